"""The invoice register row as the approval process sees it: looked up by the id the process
carries, its status moved on with an audit event, its facts (JSON) extended, the cost centres
and the validation findings it names."""

from __future__ import annotations

from typing import Any

from dms.errors import NotFound
from dms.models import utcnow
from dms.services import audit
from dms.services.context import Ctx
from ingest.invoice_records import InvoiceRecord


def cost_centres_of(invoice: InvoiceRecord) -> list[str]:
    """Cost centres the invoice names: line-level buyer accounting references (BT-133), else
    the document-level one (BT-19), else what the register stored as ``cost_centres``."""
    facts = invoice.facts or {}
    chosen = facts.get("cost_centres")
    if isinstance(chosen, list) and chosen:
        return unique(str(c) for c in chosen)
    lines = facts.get("BG-25") or facts.get("lines") or []
    found = unique(str(line.get("BT-133")) for line in lines
                   if isinstance(line, dict) and line.get("BT-133"))
    if found:
        return found
    if facts.get("BT-19"):
        return [str(facts["BT-19"])]
    return []


def unique(values: Any) -> list[str]:
    out: list[str] = []
    for value in values:
        value = value.strip()
        if value and value not in out:
            out.append(value)
    return out


def findings_of(invoice: InvoiceRecord) -> list[str]:
    facts = invoice.facts or {}
    raw = facts.get("findings") or facts.get("errors") or []
    out = []
    for item in raw:
        if isinstance(item, dict):
            if item.get("severity") not in (None, "error", "fatal"):
                continue  # warnings do not make an invoice invalid
            rule = item.get("rule") or item.get("id") or ""
            text = item.get("message_de") or item.get("message") or ""
            out.append(f"{rule}: {text}".strip(": "))
        else:
            out.append(str(item))
    return out


def set_status(ctx: Ctx, invoice: InvoiceRecord, status: str, **extra: Any) -> None:
    """Move the register row on, audited; the engine step that caused it commits with it."""
    before = invoice.status
    if before == status:
        return
    invoice.status = status
    now = utcnow()
    if status == "exported" and invoice.exported_at is None:
        invoice.exported_at = now
    if status == "paid" and invoice.paid_at is None:
        invoice.paid_at = now
    audit.record(ctx, "invoice.status", "invoice", invoice.id,
                 before={"status": before}, after={"status": status, **extra})


def invoice_of(ctx: Ctx, invoice_id: Any) -> InvoiceRecord:
    try:
        record = ctx.db.get(InvoiceRecord, int(invoice_id))
    except (TypeError, ValueError):
        record = None
    if record is None:
        raise NotFound(f"Rechnung {invoice_id} nicht gefunden / invoice not found")
    return record


def with_facts(invoice: InvoiceRecord, **changes: Any) -> None:
    """JSON columns are saved on assignment, not on in-place change: assign a new dict."""
    invoice.facts = {**(invoice.facts or {}), **changes}
