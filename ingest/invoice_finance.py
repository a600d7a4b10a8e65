"""The finance desk over the invoice register (Rechnungseingangsbuch): who may use it, the
list with filters and totals, one invoice with its findings and history, and the decision
(approve or reject with a remark) that completes the invoice's open task in its process.

Who sees what follows :mod:`dms.services.access`: an invoice is visible when its file is
(finance staff: every invoice file; clerks: their own office's files; administrators: all).
Mailroom staff without another role do not use the finance desk at all (PermissionDenied
before anything is looked up, so they learn nothing). An invisible invoice is NotFound.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Select, func, or_, select

from dms.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from dms.models import AuditEvent, Case, File, Office, Version
from dms.services import audit
from dms.services.access import visible_files
from dms.services.context import Actor, Ctx
from ingest.invoice_records import INVOICE_STATES, InvoiceRecord

STATUS_LABELS = {
    "received": "eingegangen",
    "formal_check": "formale Prüfung",
    "rejected": "zurückgewiesen",
    "factual_check": "sachlich richtig (offen)",
    "arithmetic_check": "rechnerisch richtig (offen)",
    "payment_order": "Anordnung (offen)",
    "exported": "an Finanzverfahren übergeben",
    "paid": "bezahlt",
    "cancelled": "storniert",
}
FINANCE_ROLES = ("admin", "finance", "clerk")
MAX_REMARK = 2000


def may_use_finance(actor: Actor) -> bool:
    return any(actor.has_role(role) for role in FINANCE_ROLES)


def require_finance(actor: Actor) -> None:
    if not may_use_finance(actor):
        raise PermissionDenied("Der Rechnungseingang ist dem Finanzwesen und der Sachbearbeitung"
                               " vorbehalten / finance and clerks only")


@dataclass(frozen=True)
class InvoiceFilter:
    status: str | None = None
    office: str | None = None  # office code
    supplier: str | None = None
    due_before: date | None = None
    text: str | None = None
    duplicates_only: bool = False
    limit: int = 100
    offset: int = 0

    def checked(self) -> InvoiceFilter:
        if self.status and self.status not in INVOICE_STATES:
            raise InvalidInput(f"Unbekannter Status {self.status!r}; erlaubt / allowed: "
                               + ", ".join(INVOICE_STATES))
        if not 1 <= self.limit <= 1000 or self.offset < 0:
            raise InvalidInput("limit 1–1000, offset ≥ 0")
        return self


@dataclass(frozen=True)
class Totals:
    """Sums of the whole filtered set (not just the page), in cents per currency."""

    count: int
    gross_cents: dict[str, int]
    due_cents: dict[str, int]
    discount_cents: dict[str, int]


@dataclass(frozen=True)
class InvoiceRow:
    record: InvoiceRecord
    office_code: str
    office_name: str


@dataclass
class InvoiceDetail:
    row: InvoiceRow
    case_reference: str
    original_mime: str
    original_filename: str
    findings: list[dict[str, Any]]
    history: list[AuditEvent]
    process_history: list[dict[str, Any]]
    open_tasks: list[dict[str, Any]]
    duplicate_of: InvoiceRecord | None
    duplicates: list[InvoiceRecord] = field(default_factory=list)
    can_decide: bool = False


def _visible(actor: Actor) -> Select[Any]:
    return (select(InvoiceRecord, Office.code, Office.name)
            .join(Case, Case.id == InvoiceRecord.case_id)
            .join(File, File.id == Case.file_id)
            .join(Office, Office.id == InvoiceRecord.office_id)
            .where(visible_files(actor)))


def _filtered(query: Select[Any], flt: InvoiceFilter) -> Select[Any]:
    if flt.status:
        query = query.where(InvoiceRecord.status == flt.status)
    if flt.office:
        query = query.where(Office.code == flt.office.strip())
    if flt.supplier and flt.supplier.strip():
        word = f"%{flt.supplier.strip().lower()}%"
        query = query.where(or_(func.lower(InvoiceRecord.seller_name).like(word),
                                func.lower(InvoiceRecord.seller_key).like(word)))
    if flt.due_before:
        query = query.where(InvoiceRecord.due_date.is_not(None),
                            InvoiceRecord.due_date <= flt.due_before)
    if flt.text and flt.text.strip():
        word = f"%{flt.text.strip().lower()}%"
        query = query.where(or_(*(func.lower(column).like(word) for column in (
            InvoiceRecord.invoice_number, InvoiceRecord.seller_name,
            InvoiceRecord.order_reference, InvoiceRecord.leitweg_id))))
    if flt.duplicates_only:
        query = query.where(InvoiceRecord.duplicate_of_id.is_not(None))
    return query


def list_invoices(ctx: Ctx, flt: InvoiceFilter = InvoiceFilter()) -> tuple[list[InvoiceRow],
                                                                           Totals]:
    """One page of the filtered invoices (most urgent due date first) and the set's totals."""
    require_finance(ctx.actor)
    flt = flt.checked()
    query = _filtered(_visible(ctx.actor), flt)
    rows = ctx.db.execute(
        query.order_by(InvoiceRecord.due_date.is_(None), InvoiceRecord.due_date,
                       InvoiceRecord.id.desc())
        .limit(flt.limit).offset(flt.offset)).all()
    ids = _filtered(_visible(ctx.actor), flt).with_only_columns(InvoiceRecord.id).subquery()
    sums = ctx.db.execute(
        select(InvoiceRecord.currency, func.count(), func.sum(InvoiceRecord.gross_cents),
               func.sum(InvoiceRecord.due_cents), func.sum(InvoiceRecord.discount_cents))
        .where(InvoiceRecord.id.in_(select(ids.c.id)))
        .group_by(InvoiceRecord.currency)).all()
    totals = Totals(
        count=sum(int(n) for _, n, _, _, _ in sums),
        gross_cents={c: int(g or 0) for c, _, g, _, _ in sums},
        due_cents={c: int(d or 0) for c, _, _, d, _ in sums},
        discount_cents={c: int(s or 0) for c, _, _, _, s in sums})
    return [InvoiceRow(r, code, name) for r, code, name in rows], totals


def get_invoice(ctx: Ctx, invoice_id: int) -> InvoiceRow:
    require_finance(ctx.actor)
    row = ctx.db.execute(_visible(ctx.actor).where(InvoiceRecord.id == invoice_id)).first()
    if row is None:
        raise NotFound(f"Rechnung {invoice_id} nicht gefunden / invoice not found")
    return InvoiceRow(row[0], row[1], row[2])


def invoice_detail(ctx: Ctx, invoice_id: int) -> InvoiceDetail:
    row = get_invoice(ctx, invoice_id)
    record = row.record
    version = ctx.db.scalar(select(Version).where(Version.document_id == record.document_id)
                            .order_by(Version.number.desc()).limit(1))
    case = ctx.db.get(Case, record.case_id)
    assert version is not None and case is not None
    visible_ids = {r.record.id for r in _rows_by_id(ctx, _related_ids(ctx, record))}
    duplicate_of = (ctx.db.get(InvoiceRecord, record.duplicate_of_id)
                    if record.duplicate_of_id in visible_ids else None)
    duplicates = [ctx.db.get(InvoiceRecord, i) for i in sorted(visible_ids)
                  if i != record.duplicate_of_id]
    open_tasks, can_decide, process_history = _process(ctx, record)
    return InvoiceDetail(
        row=row, case_reference=case.reference, original_mime=version.mime_type,
        original_filename=version.filename,
        findings=list((record.facts or {}).get("findings") or []),
        history=audit.history(ctx, "invoice", record.id),
        process_history=process_history, open_tasks=open_tasks,
        duplicate_of=duplicate_of, duplicates=[d for d in duplicates if d is not None],
        can_decide=can_decide)


def _related_ids(ctx: Ctx, record: InvoiceRecord) -> set[int]:
    ids = set(ctx.db.scalars(select(InvoiceRecord.id)
                             .where(InvoiceRecord.duplicate_of_id == record.id)))
    if record.duplicate_of_id is not None:
        ids.add(record.duplicate_of_id)
    return ids


def _rows_by_id(ctx: Ctx, ids: set[int]) -> list[InvoiceRow]:
    if not ids:
        return []
    rows = ctx.db.execute(_visible(ctx.actor).where(InvoiceRecord.id.in_(ids))).all()
    return [InvoiceRow(r, code, name) for r, code, name in rows]


def _process(ctx: Ctx, record: InvoiceRecord) -> tuple[list[dict[str, Any]], bool,
                                                        list[dict[str, Any]]]:
    """Open tasks (with whether the caller may complete them) and the process history."""
    if record.instance_id is None:
        return [], False, []
    from workflows import tasks
    from workflows.models import HistoryEntry, Task

    opened: list[dict[str, Any]] = []
    can_decide = False
    for task in ctx.db.scalars(select(Task).where(Task.instance_id == record.instance_id,
                                                  Task.status == "open").order_by(Task.id)):
        try:
            mine = tasks.get_task(ctx, task.id).can_complete
        except NotFound:
            mine = False
        can_decide = can_decide or mine
        opened.append({"id": task.id, "name": task.name, "assignee": task.assignee,
                       "due_at": task.due_at, "mine": mine})
    history = [{"at": h.at, "event": h.event, "element": h.element_id, "actor": h.actor,
                "details": h.details}
               for h in ctx.db.scalars(select(HistoryEntry)
                                       .where(HistoryEntry.instance_id == record.instance_id)
                                       .order_by(HistoryEntry.id))]
    return opened, can_decide, history


def decide(ctx: Ctx, invoice_id: int, *, approved: bool, remark: str = "") -> InvoiceRecord:
    """Approve or reject: completes the invoice's current open task that the caller may work
    on, with ``{"approved": bool, "remark": str}``; the process moves the status on."""
    from workflows import tasks
    from workflows.models import Task

    record = get_invoice(ctx, invoice_id).record
    remark = (remark or "").strip()
    if len(remark) > MAX_REMARK:
        raise InvalidInput(f"Bemerkung ist zu lang (höchstens {MAX_REMARK} Zeichen) / remark "
                           "too long")
    if not approved and not remark:
        raise InvalidInput("Bitte begründen, warum die Rechnung zurückgewiesen wird / a "
                           "rejection needs a remark")
    if record.instance_id is None:
        raise Conflict(f"Rechnung {record.invoice_number} hat keinen Prüfprozess "
                       "/ invoice has no approval process")
    from workflows.invoice_approval import STEPS

    # the checks (sachlich, rechnerisch, Anordnung) before anything else that is open, such
    # as an escalation task of the office lead
    open_tasks = ctx.db.execute(select(Task.id, Task.element_id).where(
        Task.instance_id == record.instance_id, Task.status == "open").order_by(Task.id)).all()
    open_ids = [t for t, _ in sorted(open_tasks, key=lambda row: (row[1] not in STEPS, row[0]))]
    if not open_ids:
        raise Conflict(f"Zu Rechnung {record.invoice_number} ist keine Aufgabe offen "
                       f"(Status: {STATUS_LABELS.get(record.status, record.status)}) / no open "
                       "task for this invoice")
    chosen = None
    for task_id in open_ids:
        try:
            if tasks.get_task(ctx, task_id).can_complete:
                chosen = task_id
                break
        except NotFound:
            continue
    if chosen is None:
        raise PermissionDenied("Die offene Aufgabe zu dieser Rechnung ist nicht Ihnen "
                               "zugewiesen / the open task is not yours")
    before = record.status
    tasks.complete(ctx, chosen, variables={"approved": approved, "remark": remark},
                   remark=remark or None)
    audit.record(ctx, "invoice.approve" if approved else "invoice.reject", "invoice",
                 record.id, before={"status": before},
                 after={"task": chosen, "remark": remark or None, "status": record.status})
    return record


def view_html(ctx: Ctx, invoice_id: int) -> str:
    """The readable German view, rendered afresh from the stored original (so it always
    shows the findings of the current rule set beside the unchanged invoice)."""
    from dms.services import documents
    from ingest.einvoice import parse_invoice
    from ingest.einvoice.validation import validate
    from ingest.einvoice.view import render_html

    record = get_invoice(ctx, invoice_id).record
    opened = documents.open_version(ctx, record.document_id)
    data = b"".join(opened.chunks())
    parsed = parse_invoice(data)
    return render_html(parsed, validate(parsed))
