"""Payment order: four-eyes against the checkers, the approval level by amount, and the
factual check split across cost centres."""

from __future__ import annotations

import pytest

from dms.errors import Conflict, NotFound, PermissionDenied
from dms.services.context import SYSTEM
from tests.invoice_approval.conftest import Finance
from tests.support.actors import as_user
from workflows import engine, tasks
from workflows.invoice_approval import load_config

FOUR_EYES = "Vier-Augen-Prinzip"


def _ordered_by(finance: Finance, gross_cents: int) -> tuple[int, int]:
    invoice_id = finance.invoice(gross_cents=gross_cents)
    finance.work()
    finance.sign("schmidt", invoice_id, "Task_FactualCheck")
    finance.sign("schmidt", invoice_id, "Task_ArithmeticCheck")
    return invoice_id, finance.task(invoice_id, "Task_PaymentOrder").id


def test_checker_may_not_order_payment_and_is_not_offered_the_task(finance: Finance) -> None:
    invoice_id, order = _ordered_by(finance, 99_00)
    # schmidt is in the ordering group (anordnung-sachgebiet) but signed both checks
    assert order not in {t.id for t in finance.inbox("schmidt")}
    assert order in {t.id for t in finance.inbox("koch")}
    with as_user(finance.app, "schmidt") as ctx, pytest.raises(PermissionDenied, match=FOUR_EYES):
        tasks.claim(ctx, order)
    with as_user(finance.app, "schmidt") as ctx, pytest.raises(PermissionDenied, match=FOUR_EYES):
        tasks.complete(ctx, order, variables={"approved": True})
    assert finance.record(invoice_id).status == "payment_order"
    finance.complete("koch", order, approved=True)
    finance.work()
    assert finance.record(invoice_id).status == "exported"


def test_a_colleague_who_did_only_the_factual_check_is_excluded_as_well(
        finance: Finance) -> None:
    invoice_id = finance.invoice(gross_cents=99_00)
    finance.work()
    finance.sign("koch", invoice_id, "Task_FactualCheck")
    finance.sign("schmidt", invoice_id, "Task_ArithmeticCheck")
    order = finance.task(invoice_id, "Task_PaymentOrder").id
    assert order not in {t.id for t in finance.inbox("koch")}
    assert order not in {t.id for t in finance.inbox("schmidt")}
    assert order in {t.id for t in finance.inbox("kaiser")}  # a higher level may order


@pytest.mark.parametrize(("gross_cents", "level", "may", "may_not"), [
    (5_000_00, "Sachgebietsleitung", "koch", "mueller"),
    (5_000_01, "Amtsleitung", "koch", "weber"),
    (50_000_01, "Kämmerei-Leitung", "kaiser", "koch"),
])
def test_approval_level_follows_the_amount(finance: Finance, gross_cents: int, level: str,
                                           may: str, may_not: str) -> None:
    invoice_id = finance.invoice(gross_cents=gross_cents)
    with finance.app.unit(SYSTEM) as ctx:
        variables = engine.instance_variables(ctx, finance.record(invoice_id).instance_id or 0)
    assert variables["approvalLevel"] == level
    finance.work()
    finance.sign("schmidt", invoice_id, "Task_FactualCheck")
    finance.sign("schmidt", invoice_id, "Task_ArithmeticCheck")
    order = finance.task(invoice_id, "Task_PaymentOrder").id
    assert order not in {t.id for t in finance.inbox(may_not)}
    with as_user(finance.app, may_not) as ctx, pytest.raises(NotFound):  # not offered: invisible
        tasks.claim(ctx, order)
    finance.complete(may, order, approved=True)
    finance.work()
    assert finance.record(invoice_id).status == "exported"


def test_levels_are_cumulative_upwards(finance: Finance) -> None:
    config = load_config(finance.app.settings.config_dir)
    assert config.level_for(10.0)[1] == ["anordnung-sachgebiet", "anordnung-amtsleitung",
                                         "anordnung-kaemmerei"]
    assert config.level_for(60_000.0) == (config.levels[2], ["anordnung-kaemmerei"])


def test_factual_check_is_split_across_cost_centres(finance: Finance) -> None:
    invoice_id = finance.invoice(facts={"lines": [
        {"BT-126": "1", "BT-133": "KST-100"}, {"BT-126": "2", "BT-133": "KST-200"},
        {"BT-126": "3", "BT-133": "KST-100"}]})
    finance.work()
    factual = [t for t in finance.open_tasks(invoice_id) if t.element_id == "Task_FactualCheck"]
    assert len(factual) == 2
    finance.complete("schmidt", factual[0].id, approved=True)
    assert finance.record(invoice_id).status == "factual_check"  # one cost centre still open
    assert "Task_ArithmeticCheck" not in {t.element_id for t in finance.open_tasks(invoice_id)}
    finance.complete("koch", factual[1].id, approved=True)
    assert finance.record(invoice_id).status == "arithmetic_check"
    centres = [a.get("costCentre") for a in finance.record(invoice_id).facts["approvals"]]
    assert centres == ["KST-100", "KST-200"]
    # both people who signed a cost centre are kept from the payment order
    finance.sign("schmidt", invoice_id, "Task_ArithmeticCheck")
    order = finance.task(invoice_id, "Task_PaymentOrder").id
    with as_user(finance.app, "koch") as ctx, pytest.raises(PermissionDenied, match=FOUR_EYES):
        tasks.claim(ctx, order)


def test_an_invoice_is_not_started_twice(finance: Finance) -> None:
    from ingest.invoice_records import InvoiceRecord
    from workflows.invoice_approval import start_approval

    invoice_id = finance.invoice()
    with finance.app.unit(SYSTEM) as ctx:
        record = ctx.db.get(InvoiceRecord, invoice_id)
        assert record is not None
        with pytest.raises(Conflict, match="bereits in Bearbeitung"):
            start_approval(ctx, record)
