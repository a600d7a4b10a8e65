"""The shipped model as Camunda Modeler saves it: parses without warnings, names only
handlers and checks that exist, and carries the four-eyes rule on the payment order."""

from __future__ import annotations

from pathlib import Path

from workflows import checks, handlers
from workflows.bpmn_parser import parse_bpmn_file
from workflows.spec import BoundaryTimerEvent, ProcessSpec, ServiceTask, UserTask

MODEL = Path(__file__).resolve().parents[2] / "config" / "processes" / "invoice-approval.bpmn"


def test_model_parses_cleanly_with_four_eyes_and_timers() -> None:
    spec = parse_bpmn_file(MODEL)[0]
    assert spec.key == "invoice-approval" and spec.warnings == ()
    assert ProcessSpec.from_dict(spec.to_dict()) == spec
    order = spec.element("Task_PaymentOrder")
    assert isinstance(order, UserTask)
    assert order.four_eyes == ("Task_FactualCheck", "Task_ArithmeticCheck")
    factual = spec.element("Task_FactualCheck")
    assert isinstance(factual, UserTask) and factual.multi_instance is not None
    timers = [e for e in spec.of_type(BoundaryTimerEvent)]
    assert sorted(t.id for t in timers) == ["Timer_Discount", "Timer_Due"]
    assert all(not t.cancel_activity and t.attached_to == "Sub_Approval" for t in timers)


def test_every_handler_and_check_the_model_names_is_registered() -> None:
    spec = parse_bpmn_file(MODEL)[0]
    for task in spec.of_type(ServiceTask):
        assert handlers.lookup(task.handler) is not None
    for task in spec.of_type(UserTask):
        assert len(checks.specs_for(task)) == len(checks.names_for(task))
