"""Four-eyes (Vier-Augen-Prinzip) in the engine: a user task naming earlier tasks in its
``fourEyes`` property is refused to whoever completed them (claim, complete, forward) and not
offered in their inbox; everyone else works it as usual."""

from __future__ import annotations

import pytest

from dms.errors import PermissionDenied
from tests.engine.conftest import Flow
from tests.engine.helpers import bpmn
from workflows import tasks
from workflows.bpmn_parser import BpmnError, parse_bpmn
from workflows.spec import ProcessSpec, UserTask

START, END = '<bpmn:startEvent id="start"/>', '<bpmn:endEvent id="end"/>'


def _model(four_eyes: str = "check") -> bytes:
    return bpmn("fe", START + f"""
        <bpmn:userTask id="check" name="Sachlich richtig" camunda:candidateGroups="21"/>
        <bpmn:userTask id="order" name="Anordnen" camunda:candidateGroups="21">
          <bpmn:extensionElements><camunda:properties>
            <camunda:property name="fourEyes" value="{four_eyes}"/>
          </camunda:properties></bpmn:extensionElements>
        </bpmn:userTask>""" + END,
        [("f0", "start", "check"), ("f1", "check", "order"), ("f2", "order", "end")])


def test_parser_reads_four_eyes_and_the_spec_round_trips() -> None:
    spec = parse_bpmn(_model())[0]
    order = spec.element("order")
    assert isinstance(order, UserTask) and order.four_eyes == ("check",)
    assert ProcessSpec.from_dict(spec.to_dict()) == spec
    assert spec.element("check").four_eyes == ()  # type: ignore[attr-defined]


@pytest.mark.parametrize("bad", ["nosuch", "order", "start"])
def test_parser_rejects_four_eyes_naming_no_other_user_task(bad: str) -> None:
    with pytest.raises(BpmnError) as info:
        parse_bpmn(_model(bad))
    assert "fourEyes" in str(info.value) and bad in str(info.value)


def _at_order(flow: Flow) -> tuple[int, int]:
    flow.deploy(_model())
    instance = flow.start("fe")
    check = flow.open_tasks(instance)[0]
    flow.complete("schmidt", check.id)
    order = flow.open_tasks(instance)[0]
    assert order.element_id == "order"
    return instance, order.id


def test_the_checker_may_neither_claim_nor_complete_nor_see_it(flow: Flow) -> None:
    instance, order = _at_order(flow)
    assert order not in {t.id for t in flow.inbox("schmidt")}
    assert order in {t.id for t in flow.inbox("koch")}
    with pytest.raises(PermissionDenied, match="Vier-Augen-Prinzip.*Sachlich richtig"):
        flow.act("schmidt", tasks.claim, order)
    with pytest.raises(PermissionDenied, match="Vier-Augen-Prinzip"):
        flow.act("schmidt", tasks.complete, order)
    view = flow.act("schmidt", tasks.get_task, order)
    assert not view.can_claim and not view.can_complete
    # nor may the task be forwarded to her
    with pytest.raises(PermissionDenied, match="Vier-Augen-Prinzip"):
        flow.act("koch", tasks.forward, order, "schmidt")
    flow.act("koch", tasks.claim, order)
    flow.complete("koch", order)
    assert flow.status(instance)["status"] == "completed"


def test_an_administrator_who_checked_is_refused_too(flow: Flow) -> None:
    flow.deploy(_model())
    instance = flow.start("fe")
    check = flow.open_tasks(instance)[0]
    flow.act("admin", tasks.claim, check.id)
    flow.complete("admin", check.id)
    order = flow.open_tasks(instance)[0].id
    with pytest.raises(PermissionDenied, match="Vier-Augen-Prinzip"):
        flow.act("admin", tasks.claim, order)


def test_without_four_eyes_the_same_person_may_go_on(flow: Flow) -> None:
    flow.deploy(bpmn("plain", START + """
        <bpmn:userTask id="check" camunda:candidateGroups="21"/>
        <bpmn:userTask id="order" camunda:candidateGroups="21"/>""" + END,
        [("f0", "start", "check"), ("f1", "check", "order"), ("f2", "order", "end")]))
    instance = flow.start("plain")
    flow.complete("schmidt", flow.open_tasks(instance)[0].id)
    order = flow.open_tasks(instance)[0].id
    assert order in {t.id for t in flow.inbox("schmidt")}
    flow.complete("schmidt", order)
    assert flow.status(instance)["status"] == "completed"
