"""E-invoices in the mailroom: an XRechnung XML or a ZUGFeRD PDF is recognised, never OCR'd or
rewritten, validated, and filed into the invoice file of the office its Leitweg-ID (BT-10)
names (config/leitweg.toml), with the findings beside it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import select

from dms.config_files import read_toml
from dms.models import Case, File
from dms.services import fileplan, files
from dms.services.context import Ctx
from dms.services.users import office_by_code

INVOICE_PLAN_CODE = "211"


@dataclass(frozen=True)
class InvoiceFacts:
    summary: dict[str, Any]
    office_code: str
    reason: str
    valid: bool


@lru_cache(maxsize=4)
def _leitweg_table(config_dir: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    path = Path(config_dir) / "leitweg.toml"
    data = read_toml(path)
    routes = sorted(((str(r["prefix"]), str(r["office"])) for r in data.get("route", [])),
                    key=lambda r: -len(r[0]))
    return str(data.get("default_office", "21")), tuple(routes)


def office_for_leitweg(config_dir: str, leitweg_id: str | None) -> tuple[str, str]:
    default, routes = _leitweg_table(config_dir)
    if leitweg_id:
        for prefix, office in routes:
            if leitweg_id.startswith(prefix):
                return office, f"Leitweg-ID {leitweg_id} → Amt {office}"
        return default, f"Leitweg-ID {leitweg_id} unbekannt → Kreiskasse ({default})"
    return default, f"Keine Leitweg-ID → Kreiskasse ({default})"


def examine_invoice(ctx: Ctx, path: Path) -> InvoiceFacts | None:
    """None when the file is not an e-invoice; else its facts, verdict and target office."""
    from ingest.einvoice import parse_invoice
    from ingest.einvoice.detect import detect
    from ingest.einvoice.validation import validate

    if detect(path).kind == "none":
        return None
    parsed = parse_invoice(path)
    report = validate(parsed)
    invoice = parsed.invoice
    leitweg = invoice.buyer_reference
    office, reason = office_for_leitweg(str(ctx.app.settings.config_dir), leitweg)
    totals, seller = invoice.totals, invoice.seller
    seller_name = seller.name if seller else None
    gross = (totals.amount_due or totals.total_with_vat) if totals else None
    summary = {
        "title": " – ".join(p for p in (f"Rechnung {invoice.number}", seller_name) if p),
        "sender": seller_name,
        "document_type": "invoice",
        "invoice_number": invoice.number,
        "leitweg_id": leitweg,
        "amount_due": str(gross) if gross is not None else None,
        "currency": invoice.currency_code,
        "profile": invoice.profile.value,
        "valid": report.valid,
        "errors": len(report.errors),
        "warnings": len(report.warnings),
        "note": report.note,
    }
    verdict = "formal gültig" if report.valid else f"{len(report.errors)} Fehler"
    return InvoiceFacts(summary, office, f"E-Rechnung ({invoice.profile.value}, {verdict}); "
                        + reason, report.valid)


def invoice_case(ctx: Ctx, office_code: str, year: int) -> Case:
    """The office's invoice file for the year (kind "invoice": finance staff see it)."""
    office = office_by_code(ctx, office_code)
    file = ctx.db.scalar(select(File).where(
        File.office_id == office.id, File.kind == "invoice", File.year == year))
    if file is None:
        node = fileplan.node_by_code(ctx, INVOICE_PLAN_CODE)
        file = files.create_file(ctx, plan_node_id=node.id, kind="invoice", year=year,
                                 title=f"Eingangsrechnungen {office.name} {year}",
                                 office_id=office.id)
    case = ctx.db.scalar(select(Case).where(Case.file_id == file.id).order_by(Case.seq).limit(1))
    if case is None:
        case = files.create_case(ctx, file_id=file.id, title=f"Rechnungseingang {year}")
    return case
