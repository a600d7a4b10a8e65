"""Deadlines: a reminder before the early-payment discount deadline (Skontofrist) flags the
open tasks; at the due date an invoice not yet ordered escalates to the office lead."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from dms.models import AuditEvent, utcnow
from dms.services.context import SYSTEM
from tests.invoice_approval.conftest import Finance
from workflows.models import Job


def _audit(finance: Finance, action: str, invoice_id: int) -> int:
    with finance.app.unit(SYSTEM) as ctx:
        return len(list(ctx.db.scalars(select(AuditEvent).where(
            AuditEvent.action == action, AuditEvent.object_id == str(invoice_id)))))


def test_discount_reminder_then_due_date_escalation(finance: Finance) -> None:
    invoice_id = finance.invoice(discount_in_days=10, due_in_days=30)
    finance.work()
    factual = finance.task(invoice_id, "Task_FactualCheck")
    assert not factual.escalated
    with finance.app.unit(SYSTEM) as ctx:
        timers = sorted(ctx.db.scalars(select(Job.element_id).where(
            Job.instance_id == finance.record(invoice_id).instance_id, Job.kind == "boundary")))
    assert timers == ["Timer_Discount", "Timer_Due"]

    finance.work(now=utcnow() + timedelta(days=6))  # reminder is 3 days before day 10
    assert _audit(finance, "invoice.reminder", invoice_id) == 0
    finance.work(now=utcnow() + timedelta(days=8))
    assert _audit(finance, "invoice.reminder", invoice_id) == 1
    assert finance.task(invoice_id, "Task_FactualCheck").escalated
    assert [t for t in finance.inbox("schmidt") if t.id == factual.id][0].escalated
    assert "Task_Escalation" not in {t.element_id for t in finance.open_tasks(invoice_id)}

    finance.work(now=utcnow() + timedelta(days=31))  # due date passed, still not ordered
    escalation = finance.task(invoice_id, "Task_Escalation")
    assert escalation.id in {t.id for t in finance.inbox("koch")}  # leitung-21
    assert escalation.id not in {t.id for t in finance.inbox("kaiser")}
    assert _audit(finance, "invoice.escalation", invoice_id) == 1
    assert finance.record(invoice_id).status == "factual_check"  # the checks go on


def test_no_escalation_once_exported_and_paid_ends_everything(finance: Finance) -> None:
    invoice_id = finance.invoice(discount_in_days=None, due_in_days=20)
    finance.work()
    finance.sign("schmidt", invoice_id, "Task_FactualCheck")
    finance.sign("schmidt", invoice_id, "Task_ArithmeticCheck")
    finance.sign("koch", invoice_id, "Task_PaymentOrder")
    finance.work()
    assert finance.record(invoice_id).status == "exported"
    finance.work(now=utcnow() + timedelta(days=21))  # due date while waiting for payment
    assert "Task_Escalation" not in {t.element_id for t in finance.open_tasks(invoice_id)}
    assert _audit(finance, "invoice.escalation", invoice_id) == 0
    assert _audit(finance, "invoice.reminder", invoice_id) == 0
    finance.sign("schmidt", invoice_id, "Task_Paid")
    assert finance.record(invoice_id).status == "paid"
    assert finance.open_tasks(invoice_id) == []
    with finance.app.unit(SYSTEM) as ctx:
        assert ctx.db.scalar(select(Job.id).where(
            Job.instance_id == finance.record(invoice_id).instance_id)) is None
