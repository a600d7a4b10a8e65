"""The whole way of an invoice, on SQLite and PostgreSQL: formal check, factual and arithmetic
check, payment order by another person, export, paid."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from dms.services.context import SYSTEM, App
from tests.invoice_approval.conftest import Finance
from tests.support.actors import as_user
from workflows import invoice_approval
from workflows.models import ProcessDefinition, ProcessInstance


def test_invoice_goes_from_receipt_to_paid(finance: Finance) -> None:
    invoice_id = finance.invoice(gross_cents=124_950)
    assert finance.record(invoice_id).status == "formal_check"
    finance.work()  # the formal check runs in the worker
    assert finance.record(invoice_id).status == "factual_check"
    factual = finance.task(invoice_id, "Task_FactualCheck")
    assert factual.id in {t.id for t in finance.inbox("schmidt")}  # office 21 orders
    assert factual.id not in {t.id for t in finance.inbox("mueller")}

    finance.sign("schmidt", invoice_id, "Task_FactualCheck")
    assert finance.record(invoice_id).status == "arithmetic_check"
    finance.sign("schmidt", invoice_id, "Task_ArithmeticCheck")
    assert finance.record(invoice_id).status == "payment_order"
    finance.sign("koch", invoice_id, "Task_PaymentOrder")
    finance.work()  # the export
    record = finance.record(invoice_id)
    assert record.status == "exported" and record.exported_at is not None

    target = finance.app.settings.home / "finance-export" / f"RE-{invoice_id:06d}.csv"
    rows = list(csv.reader(io.StringIO(target.read_bytes().decode("utf-8-sig")),
                           delimiter=";"))
    assert rows[1][2] == record.invoice_number and rows[1][11] == "1249,50"
    assert rows[1][20] == "schmidt" and rows[1][24] == "koch"

    with as_user(finance.app, "schmidt") as ctx:
        invoice_approval.mark_paid(ctx, invoice_id, remark="Zahllauf 48")
    record = finance.record(invoice_id)
    assert record.status == "paid" and record.paid_at is not None
    with finance.app.unit(SYSTEM) as ctx:
        instance = ctx.db.scalar(select(ProcessInstance).where(
            ProcessInstance.id == record.instance_id))
        assert instance is not None and instance.status == "completed"
    steps = [(a["step"], a["by"]) for a in record.facts["approvals"]]
    assert steps == [("factual", "schmidt"), ("arithmetic", "schmidt"),
                     ("payment_order", "koch")]


def test_model_is_deployed_on_first_use(seeded: App) -> None:
    finance = Finance(seeded)  # no deploy_shipped: a database from before the model shipped
    invoice_id = finance.invoice()
    with seeded.unit(SYSTEM) as ctx:
        keys = list(ctx.db.scalars(select(ProcessDefinition.key)))
    assert keys == ["invoice-approval"]
    finance.work()
    assert finance.record(invoice_id).status == "factual_check"
