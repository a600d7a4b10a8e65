"""Invoice approval (Rechnungsprüfung und Anordnung): starting the process of
config/processes/invoice-approval.bpmn for an invoice register row, the service-task handlers
and completion checks of that model, and keeping ``InvoiceRecord.status`` in step with it.

The path: Eingang → formale Prüfung (automatic; an invalid invoice gets a rejection notice,
Zurückweisung, filed in the case and listing the findings) → sachlich richtig (the ordering
office, one task per cost centre) → rechnerisch richtig → Anordnung (an authorised person at
the level the amount needs, never one who checked before: four-eyes, enforced by the engine
through the ``fourEyes`` property of the model) → Export an das Finanzverfahren → bezahlt.

A refusal (``approved = false``) at any of the three checks ends the process as *rejected*,
with the remark recorded on the invoice and a rejection notice filed. We do not send the
invoice back a step: an e-invoice is immutable, and what a check finds wrong (goods not
delivered, wrong amount, wrong price) is put right only by the supplier with a credit note and
a new invoice, which starts a new approval. A Kasse wants a clear end and a record of why,
not an invoice circling between offices while the payment deadline runs.

Status sync: the service-task handlers set the status of the steps they do; the user tasks
carry the completion check ``invoice-step`` (see :mod:`workflows.checks`), which records
who approved when (the approvals the booking record carries) and moves the status on.
Booking records and the export are in :mod:`workflows.invoice_export`, the register-row
helpers in :mod:`workflows.invoice_facts`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from dms.config_files import read_toml
from dms.content.text_pdf import text_pdf
from dms.errors import ConfigError, Conflict, InvalidInput, NotFound
from dms.models import Office, utcnow
from dms.services import audit, documents
from dms.services.context import SYSTEM, Ctx
from ingest.invoice_records import InvoiceRecord
from workflows import checks, engine, tasks
from workflows.checks import Completion, Decision
from workflows.handlers import HandlerCall, handler
from workflows.invoice_export import export_invoices
from workflows.invoice_facts import (
    cost_centres_of,
    findings_of,
    invoice_of,
    set_status,
    unique,
    with_facts,
)
from workflows.models import Task

PROCESS_KEY = "invoice-approval"
CONFIG_FILE = "invoice_approval.toml"
#: Statuses in which a process may (still) be started for an invoice.
STARTABLE = ("received",)


# --- configuration ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ApprovalLevel:
    """One approval level (Anordnungsbefugnis): amounts up to ``up_to`` euros (None: any)."""

    label: str
    group: str
    up_to: float | None


@dataclass(frozen=True)
class ApprovalConfig:
    levels: tuple[ApprovalLevel, ...]
    arithmetic_group: str  # rechnerisch richtig: who checks the sums (a group or office code)
    paid_group: str  # who confirms the payment (Kasse)
    lead_group: str  # escalation at the due date; "{office}" is replaced by the office code
    reminder_days: int  # reminder this many days before the discount deadline (Skontofrist)
    default_term_days: int  # payment term when the invoice names no due date

    def level_for(self, amount: float) -> tuple[ApprovalLevel, list[str]]:
        """The lowest level allowed to order this amount, and the candidate groups: that level
        and every higher one (a Kämmerei-Leitung may order what a Sachgebietsleitung may)."""
        for index, level in enumerate(self.levels):
            if level.up_to is None or amount <= level.up_to:
                return level, [lv.group for lv in self.levels[index:]]
        raise ConfigError(f"{CONFIG_FILE}: keine Anordnungsstufe für {amount:.2f} € "
                          "(die letzte Stufe braucht kein up_to) / no level for this amount")


def load_config(config_dir: Path) -> ApprovalConfig:
    path = config_dir / CONFIG_FILE
    data = read_toml(path)
    try:
        levels = tuple(ApprovalLevel(str(row["label"]), str(row["group"]),
                                     float(row["up_to"]) if "up_to" in row else None)
                       for row in data.get("level", []))
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{path}: [[level]] braucht label, group und up_to (Euro) / "
                          f"needs label, group, up_to: {exc}") from exc
    if not levels:
        raise ConfigError(f"{path}: mindestens eine [[level]] nötig / at least one level")
    return ApprovalConfig(
        levels=levels,
        arithmetic_group=str(data.get("arithmetic_group", "21")),
        paid_group=str(data.get("paid_group", "21")),
        lead_group=str(data.get("lead_group", "leitung-{office}")),
        reminder_days=int(data.get("reminder_days", 3)),
        default_term_days=int(data.get("default_term_days", 30)),
    )


def approval_variables(ctx: Ctx, invoice: InvoiceRecord,
                       cost_centres: list[str] | None = None) -> dict[str, Any]:
    """The process variables for an invoice, from its register row and the config."""
    config = load_config(ctx.app.settings.config_dir)
    office = ctx.db.get(Office, invoice.office_id)
    if office is None:
        raise NotFound(f"Amt der Rechnung {invoice.id} fehlt / office missing")
    cents = invoice.due_cents if invoice.due_cents is not None else invoice.gross_cents
    amount = round((cents or 0) / 100, 2)
    level, groups = config.level_for(amount)
    start = invoice.issue_date or utcnow().date()
    due = invoice.due_date or (start + timedelta(days=config.default_term_days))
    today = utcnow().date()
    # remind before the discount deadline while it can still be met, else before the due date
    discount = invoice.discount_until if invoice.discount_until and \
        invoice.discount_until >= today else None
    reminder = max((discount or due) - timedelta(days=config.reminder_days), today)
    centres = unique(cost_centres) if cost_centres else cost_centres_of(invoice)
    return {
        "invoiceId": invoice.id,
        "invoiceNumber": invoice.invoice_number,
        "supplier": invoice.seller_name,
        "amount": amount,
        "currency": invoice.currency,
        "office": office.code,
        "valid": bool(invoice.valid) and invoice.duplicate_of_id is None,
        "duplicateOf": invoice.duplicate_of_id,
        "findings": findings_of(invoice),
        "dueDate": due.isoformat(),
        "discountUntil": invoice.discount_until.isoformat() if invoice.discount_until else None,
        "reminderAt": reminder.isoformat(),
        "escalateAt": max(due, today).isoformat(),
        # one factual check per cost centre; one task without a cost centre if none is named
        "costCentres": centres or ["–"],
        "arithmeticGroup": config.arithmetic_group,
        "approvalLevel": level.label,
        "approvalGroups": groups,
        "paidGroup": config.paid_group,
        "leadGroup": config.lead_group.replace("{office}", office.code),
    }


def start_approval(ctx: Ctx, invoice: InvoiceRecord,
                   cost_centres: list[str] | None = None) -> int:
    """Start the approval process for a registered invoice; returns the instance id.

    Sets ``invoice.instance_id`` and the status ``formal_check``. An invoice already in
    approval is refused (Conflict), so a second intake of the same row cannot start twice.
    ``cost_centres`` overrides the ones the invoice names (the user's choice of split).
    """
    if invoice.instance_id is not None or invoice.status not in STARTABLE:
        raise Conflict(f"Rechnung {invoice.invoice_number} ist bereits in Bearbeitung "
                       f"(Status {invoice.status}) / invoice already in approval")
    variables = approval_variables(ctx, invoice, cost_centres)
    _ensure_deployed(ctx)
    instance = engine.start(ctx, PROCESS_KEY, variables,
                            business_key=f"RE-{invoice.id} {invoice.invoice_number}"[:200],
                            case_id=invoice.case_id, document_id=invoice.document_id)
    invoice.instance_id = instance.id
    set_status(ctx, invoice, "formal_check")
    return instance.id


def _ensure_deployed(ctx: Ctx) -> None:
    """A database set up before this model shipped gets it on first use (as `dms init`
    would deploy it), so the first invoice does not wait for an administrator."""
    from workflows.models import ProcessDefinition

    if ctx.db.scalar(select(ProcessDefinition.id).where(
            ProcessDefinition.key == PROCESS_KEY).limit(1)) is not None:
        return
    path = ctx.app.settings.config_dir / "processes" / f"{PROCESS_KEY}.bpmn"
    if not path.is_file():
        raise ConfigError(f"Prozessmodell fehlt / process model missing: {path}")
    engine.deploy(Ctx(db=ctx.db, actor=SYSTEM, app=ctx.app), path.read_bytes(),
                  source=path.name)


# --- the steps people sign (completion checks) -------------------------------------------------

#: model element id -> (step key in the booking record, German name of the signature)
STEPS = {
    "Task_FactualCheck": ("factual", "sachlich richtig"),
    "Task_ArithmeticCheck": ("arithmetic", "rechnerisch richtig"),
    "Task_PaymentOrder": ("payment_order", "Anordnung"),
}
#: status once a step is approved (None: the service task that follows sets it)
NEXT_STATUS = {"factual": "arithmetic_check", "arithmetic": "payment_order",
               "payment_order": None}
APPROVE, REJECT = "approve", "reject"


@checks.check("invoice-step", decisions=(Decision(APPROVE, "Freigeben", primary=True),
                                         Decision(REJECT, "Ablehnen")),
              hidden_fields=("approved",))
def _check_step(c: Completion) -> None:
    """A factual, arithmetic or payment-order signature: approve or reject (a rejection needs
    a remark), recorded on the invoice with who and when; the status moves on."""
    decision = c.decision if c.decision not in (None, "", "done") else None
    if decision is None:
        decision = REJECT if c.values.get("approved") is False else APPROVE
    if decision not in (APPROVE, REJECT):
        raise InvalidInput(f"Entscheidung {decision!r}: approve (freigeben) oder reject "
                           "(ablehnen) / decision must be approve or reject")
    remark = (c.remark or c.values.get("remark") or "").strip() or None
    if decision == REJECT and not remark:
        raise InvalidInput("Bitte die Ablehnung in der Bemerkung begründen / a rejection needs "
                           "a remark")
    variables = engine.instance_variables(c.ctx, c.instance.id)
    invoice = invoice_of(c.ctx, variables.get("invoiceId"))
    step, label = STEPS.get(c.element.id, (c.element.id, c.element.name or c.element.id))
    entry = {"step": step, "label": label, "by": c.by, "approved": decision == APPROVE,
             "remark": remark, "task": c.task.id, "at": utcnow().isoformat(timespec="seconds")}
    centre = _local_variable(c, "costCentre")
    if centre and centre != "–":
        entry["costCentre"] = centre
    with_facts(invoice, approvals=[*(invoice.facts or {}).get("approvals", []), entry])
    c.values["approved"] = decision == APPROVE
    if remark:
        c.values["remark"] = remark
    c.decision, c.remark = decision, remark
    audit.record(c.ctx, f"invoice.{step}", "invoice", invoice.id, after={
        "decision": decision, "by": c.by, "remark": remark, "instance": c.instance.id})
    following = NEXT_STATUS.get(step)
    if decision == APPROVE and following and not _siblings_open(c):
        set_status(c.ctx, invoice, following)


def _local_variable(c: Completion, name: str) -> Any:
    from workflows.models import Variable

    if c.task.execution_id is None:
        return None
    row = c.ctx.db.scalar(select(Variable.value).where(
        Variable.instance_id == c.instance.id, Variable.scope_id == c.task.execution_id,
        Variable.name == name))
    return row.get("v") if row else None


def _siblings_open(c: Completion) -> bool:
    """Another instance of the same multi-instance step is still open (several cost centres)."""
    return c.ctx.db.scalar(select(Task.id).where(
        Task.instance_id == c.instance.id, Task.element_id == c.task.element_id,
        Task.status == "open", Task.id != c.task.id).limit(1)) is not None


@checks.check("invoice-paid", decisions=(Decision("paid", "Zahlung bestätigen", primary=True),))
def _check_paid(c: Completion) -> None:
    """The Kasse confirms the payment: status paid."""
    variables = engine.instance_variables(c.ctx, c.instance.id)
    invoice = invoice_of(c.ctx, variables.get("invoiceId"))
    c.decision = "paid"
    c.values["approved"] = True
    set_status(c.ctx, invoice, "paid", by=c.by)


# --- service tasks ---------------------------------------------------------------------------


@handler("invoice-formal-check")
def formal_check(call: HandlerCall) -> dict[str, Any]:
    """Formale Prüfung: the register row is the truth (validation result, duplicate)."""
    invoice = invoice_of(call.ctx, call.variables.get("invoiceId"))
    findings = findings_of(invoice)
    if invoice.duplicate_of_id is not None:
        findings.append(f"Doppelte Rechnung: bereits als Rechnung {invoice.duplicate_of_id} "
                        "registriert")
    valid = bool(invoice.valid) and invoice.duplicate_of_id is None
    if not valid and not findings:
        findings.append("Die Rechnung entspricht nicht den Anforderungen an eine E-Rechnung "
                        "(EN 16931 / XRechnung).")
    if valid:
        set_status(call.ctx, invoice, "factual_check")
    return {"valid": valid, "findings": findings}


@handler("invoice-reject")
def reject(call: HandlerCall) -> dict[str, Any]:
    """Zurückweisung: a notice to the supplier filed in the invoice's case, status rejected.
    ``reason`` (input parameter) is ``formal`` (findings of the formal check) or ``refused``
    (a signature was refused; the notice gives the step and the remark)."""
    invoice = invoice_of(call.ctx, call.variables.get("invoiceId"))
    reason = str(call.variables.get("reason") or "formal")
    if reason == "formal":
        points = list(call.variables.get("findings") or findings_of(invoice))
        remark = None
    else:
        refusal = next((a for a in reversed((invoice.facts or {}).get("approvals", []))
                        if not a.get("approved")), None)
        remark = (refusal or {}).get("remark") or call.variables.get("remark")
        label = (refusal or {}).get("label", "Prüfung")
        points = [f"Abgelehnt bei „{label}“: {remark or 'ohne Begründung'}"]
    document_id = (invoice.facts or {}).get("rejection_document_id")
    if document_id is None:
        document_id = _file_notice(call.ctx, invoice, points)
    with_facts(invoice, rejection={"reason": reason, "findings": points, "remark": remark,
                                    "at": utcnow().isoformat(timespec="seconds")},
                rejection_document_id=document_id)
    set_status(call.ctx, invoice, "rejected", reason=reason, remark=remark)
    return {"rejectionDocumentId": document_id}


def notice_lines(invoice: InvoiceRecord, points: Sequence[str]) -> list[str]:
    """The text of the rejection notice (Zurückweisung), German."""
    issued = invoice.issue_date.strftime("%d.%m.%Y") if invoice.issue_date else "ohne Datum"
    amount = f"{(invoice.gross_cents or 0) / 100:.2f}".replace(".", ",")
    return [
        "Zurückweisung einer Rechnung",
        f"An: {invoice.seller_name or 'Rechnungssteller'}",
        f"Ihre Rechnung Nr. {invoice.invoice_number} vom {issued} über {amount} "
        f"{invoice.currency}",
        "können wir nicht begleichen. Wir weisen sie aus folgenden Gründen zurück:",
        *[f"- {point}" for point in points],
        "Bitte stellen Sie eine korrigierte Rechnung aus; eine Zahlung erfolgt erst dann.",
        f"Leitweg-ID: {invoice.leitweg_id or '-'}",
    ]


def _file_notice(ctx: Ctx, invoice: InvoiceRecord, points: Sequence[str]) -> int:
    title = f"Zurückweisung Rechnung {invoice.invoice_number}"[:300]
    pdf = text_pdf(notice_lines(invoice, points), title=title)
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf)
        handle.flush()
        result = documents.add_document(
            ctx, case_id=invoice.case_id, source=Path(handle.name),
            filename=f"Zurueckweisung-{invoice.id}.pdf", title=title, doc_type="letter",
            attributes={"invoice_id": invoice.id, "kind": "invoice_rejection",
                        "findings": list(points)},
        )
    return result.document.id


@handler("invoice-export")
def export(call: HandlerCall) -> dict[str, Any]:
    """Export an das Finanzverfahren with the configured connector; status exported."""
    invoice = invoice_of(call.ctx, call.variables.get("invoiceId"))
    result = export_invoices(call.ctx, [invoice])
    set_status(call.ctx, invoice, "exported", format=result.format)
    return {"exported": True, "exportFormat": result.format}


@handler("invoice-remind")
def remind(call: HandlerCall) -> dict[str, Any]:
    """Skontofrist naht: the open tasks are flagged by the engine (shown as escalated in the
    inbox of the candidate group); here the reminder goes into the audit trail and history."""
    invoice = invoice_of(call.ctx, call.variables.get("invoiceId"))
    if invoice.status in ("exported", "paid", "rejected", "cancelled"):
        return {}
    audit.record(call.ctx, "invoice.reminder", "invoice", invoice.id, after={
        "discount_until": call.variables.get("discountUntil"),
        "due": call.variables.get("dueDate"), "status": invoice.status})
    engine.note(call.ctx, call.instance_id, "invoice.reminder", {
        "text": "Skontofrist naht / early-payment discount deadline near",
        "discountUntil": call.variables.get("discountUntil")}, element_id=call.element_id)
    return {"reminded": True}


@handler("invoice-escalate")
def escalate(call: HandlerCall) -> dict[str, Any]:
    """Zahlungsfrist erreicht: escalate to the office lead unless payment is ordered already."""
    invoice = invoice_of(call.ctx, call.variables.get("invoiceId"))
    needed = invoice.status not in ("exported", "paid", "rejected", "cancelled")
    if needed:
        audit.record(call.ctx, "invoice.escalation", "invoice", invoice.id, after={
            "due": call.variables.get("dueDate"), "status": invoice.status,
            "to": call.variables.get("leadGroup")})
    return {"escalate": needed}


# --- booking records and export ----------------------------------------------------------------


# --- paid ----------------------------------------------------------------------------------------


def mark_paid(ctx: Ctx, invoice_id: int, remark: str | None = None) -> InvoiceRecord:
    """Zahlung bestätigen: complete the invoice's "paid" task as the caller (an administrator
    or the operator may take it over). Refused before the export."""
    invoice = invoice_of(ctx, invoice_id)
    if invoice.status == "paid":
        return invoice
    task_id = None
    if invoice.instance_id is not None:
        task_id = ctx.db.scalar(select(Task.id).where(
            Task.instance_id == invoice.instance_id, Task.element_id == "Task_Paid",
            Task.status == "open").limit(1))
    if task_id is None:
        raise Conflict(f"Rechnung {invoice.invoice_number} wartet nicht auf die Zahlung "
                       f"(Status {invoice.status}) / invoice is not awaiting payment")
    task = ctx.db.get(Task, task_id)
    assert task is not None
    if task.assignee is None and ctx.actor.is_admin:
        tasks.claim(ctx, task_id)
    tasks.complete(ctx, task_id, decision="paid", remark=remark)
    return invoice
