"""Booking records of approved invoices and their export to the finance system (Export an
das Finanzverfahren), through the connector configured in config/finance_export.toml. Used by
the export step of the approval process and by ``dms invoice export``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from connectors.finance_export import (
    Approval,
    BookingRecord,
    ExportResult,
    exporter_for,
    load_export_config,
)
from dms.errors import Conflict, PermissionDenied
from dms.services import audit, documents
from dms.services.context import Ctx
from ingest.invoice_records import InvoiceRecord
from workflows.invoice_facts import cost_centres_of, unique, with_facts


def _parse_at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def booking_record(invoice: InvoiceRecord) -> BookingRecord:
    """The booking record of an invoice: register row, business terms and signatures."""
    facts = invoice.facts or {}
    approvals = tuple(
        Approval(a["step"], a["by"], _parse_at(a["at"]))
        for a in facts.get("approvals", [])
        if a.get("approved") and a.get("step") in ("factual", "arithmetic", "payment_order")
    )
    vat = facts.get("vat_cents")
    if vat is None and invoice.gross_cents is not None and invoice.net_cents is not None:
        vat = invoice.gross_cents - invoice.net_cents
    centres = [a.get("costCentre") for a in facts.get("approvals", []) if a.get("costCentre")]
    return BookingRecord(
        booking_id=f"RE-{invoice.id:06d}",
        invoice_id=invoice.id,
        invoice_number=invoice.invoice_number,
        invoice_date=invoice.issue_date,
        supplier_name=invoice.seller_name,
        supplier_vat_id=_fact(facts, "seller_vat_id", "BT-31"),
        iban=_fact(facts, "iban", "BT-84"),
        bic=_fact(facts, "bic", "BT-86"),
        currency=invoice.currency,
        net_cents=invoice.net_cents,
        vat_cents=vat,
        gross_cents=invoice.gross_cents,
        due_cents=invoice.due_cents if invoice.due_cents is not None else invoice.gross_cents,
        due_date=invoice.due_date,
        discount_until=invoice.discount_until,
        discount_cents=invoice.discount_cents,
        cost_centres=tuple(unique(centres) or cost_centres_of(invoice)),
        accounts=tuple(str(a) for a in facts.get("accounts", []) if a),
        leitweg_id=invoice.leitweg_id,
        order_reference=invoice.order_reference,
        approvals=approvals,
    )


def read_payee(ctx: Ctx, invoice: InvoiceRecord) -> None:
    """Seller VAT id (BT-31), IBAN (BT-84), BIC (BT-86) and VAT total (BT-110) from the filed
    original, once, into the row's facts: the register does not keep them, a booking needs
    them. An original that cannot be read leaves them empty (the export still runs; the
    finance system asks for what is missing)."""
    facts = invoice.facts or {}
    if facts.get("payee_read") or facts.get("BT-84"):
        return
    found: dict[str, Any] = {"payee_read": True}
    try:
        from ingest.einvoice import parse_invoice
        from ingest.payment_terms import cents

        _document, versions = documents.get_document(ctx, invoice.document_id)
        with ctx.app.store.open(versions[0].sha256) as handle:
            parsed = parse_invoice(handle.read()).invoice
        if parsed.seller is not None and parsed.seller.vat_id:
            found["BT-31"] = parsed.seller.vat_id
        transfers = parsed.payment_instructions.credit_transfers \
            if parsed.payment_instructions else ()
        if transfers:
            found["BT-84"] = transfers[0].account_id
            found["BT-86"] = transfers[0].service_provider_id
        if parsed.totals is not None and parsed.totals.vat_total is not None:
            found["vat_cents"] = cents(parsed.totals.vat_total)
    except Exception as exc:  # noqa: BLE001 - an unreadable original must not stop payment
        found["payee_error"] = f"{type(exc).__name__}: {exc}"[:300]
    with_facts(invoice, **{k: v for k, v in found.items() if v is not None})


def _fact(facts: dict[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = facts.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def export_invoices(ctx: Ctx, invoices: Sequence[InvoiceRecord], *, fmt: str | None = None,
                    directory: Path | None = None) -> ExportResult:
    """Write booking records with the configured (or given) format and directory. Only
    invoices ordered for payment are exported: a booking needs its Anordnung."""
    config = load_export_config(ctx.app.settings.config_dir, ctx.app.settings.home)
    records = []
    for invoice in invoices:
        read_payee(ctx, invoice)
        record = booking_record(invoice)
        if record.approval("payment_order") is None:
            raise Conflict(f"Rechnung {invoice.invoice_number} ist nicht zur Zahlung angeordnet"
                           " / not ordered for payment")
        records.append(record)
    exporter = exporter_for(fmt or config.format, directory or config.directory)
    result = exporter.export(records)
    audit.record(ctx, "invoice.export", "invoice", ",".join(str(i.id) for i in invoices)[:64]
                 or "-", after={"format": result.format, "directory": str(result.directory),
                                "exported": list(result.exported_ids),
                                "skipped": list(result.skipped_ids)})
    return result


def exportable(ctx: Ctx) -> list[InvoiceRecord]:
    """Invoices ordered for payment and not yet paid: exported already, or waiting for the
    export step (e.g. its job became an incident)."""
    rows = ctx.db.scalars(select(InvoiceRecord).where(
        InvoiceRecord.status.in_(("payment_order", "exported"))).order_by(InvoiceRecord.id))
    return [r for r in rows if booking_record(r).approval("payment_order") is not None]


def export_manually(ctx: Ctx, *, fmt: str | None = None,
                    directory: Path | None = None) -> ExportResult:
    """``dms invoice export``: every invoice ordered for payment and not yet paid, in the
    configured or given format and directory. Bookings the target's ledger holds already are
    skipped, so a repeated run hands nothing over twice. Finance staff and administrators."""
    if not (ctx.actor.is_admin or ctx.actor.has_role("finance")):
        raise PermissionDenied("Nur Finanzbuchhaltung oder Verwaltung exportieren Buchungen / "
                               "finance staff or administrators only")
    return export_invoices(ctx, exportable(ctx), fmt=fmt, directory=directory)
