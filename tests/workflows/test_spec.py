"""The spec API the runtime reads: navigation, resolution helpers, serialisation."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from workflows.bpmn_parser import parse_bpmn_file
from workflows.expressions import ExpressionError, compile_value
from workflows.spec import (
    SPEC_FORMAT,
    Activity,
    BoundaryTimerEvent,
    ProcessSpec,
    ServiceTask,
    SubProcess,
    UserTask,
    resolve_names,
)

ROOT = Path(__file__).resolve().parents[2]
MODELS = sorted((ROOT / "config" / "processes").glob("*.bpmn")) + sorted(
    (Path(__file__).parent / "fixtures").glob("*.bpmn")
)


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.name)
def test_spec_survives_json_and_pickle(path: Path) -> None:
    (spec,) = parse_bpmn_file(path)
    data = spec.to_dict()
    assert data["format"] == SPEC_FORMAT
    text = json.dumps(data)  # plain JSON, nothing else
    again = ProcessSpec.from_dict(json.loads(text))
    assert again == spec
    assert ProcessSpec.from_json(spec.to_json()) == spec
    assert pickle.loads(pickle.dumps(spec)) == spec
    for element_id, element in again.elements.items():
        assert type(element) is type(spec.elements[element_id])
    # compiled expressions still work after the round trip
    for flow in again.flows.values():
        if flow.condition is not None:
            assert flow.condition.variables


def test_from_dict_rejects_other_formats() -> None:
    (spec,) = parse_bpmn_file(MODELS[0])
    data = spec.to_dict()
    data["format"] = SPEC_FORMAT + 1
    with pytest.raises(ValueError, match="parse the BPMN again"):
        ProcessSpec.from_dict(data)


def test_navigation() -> None:
    (spec,) = parse_bpmn_file(ROOT / "config" / "processes" / "cosign.bpmn")
    assert spec.element("Task_Prepare").describe() == (
        'bpmn:userTask id=Task_Prepare "Entwurf zur Mitzeichnung vorbereiten"'
    )
    assert [f.target for f in spec.incoming_flows("Gateway_Mode")] == [
        "Gateway_Mode",
        "Gateway_Mode",
    ]
    assert {f.source for f in spec.incoming_flows("Gateway_Mode")} == {
        "Task_Prepare",
        "Task_Revise",
    }
    assert len(spec.children()) == len(spec.elements)  # no subprocess in this model
    assert all(isinstance(e, Activity) for e in spec.of_type(UserTask))
    assert spec.boundary_events("Gateway_Mode") == ()
    assert all(
        isinstance(b, BoundaryTimerEvent) for b in spec.boundary_events("Task_CosignParallel")
    )
    handlers = {t.handler for t in spec.of_type(ServiceTask)}
    assert handlers == {"notify", "sign-document", "file-away", "seal-document", "dispatch"}
    with pytest.raises(KeyError):
        spec.start_events("Task_Prepare")


def test_subprocess_scope_navigation() -> None:
    (spec,) = parse_bpmn_file(Path(__file__).parent / "fixtures" / "camunda7-all-elements.bpmn")
    (sub,) = [s for s in spec.of_type(SubProcess) if s.id == "SubProcess_Check"]
    assert spec.none_start_event("SubProcess_Check") == spec.element("Sub_Start")
    assert all(spec.flow(f).parent_id == "SubProcess_Check" for f in ("Flow_Sub1", "Flow_Sub2"))
    top = {e.id for e in spec.children()}
    assert "Sub_Task" not in top and sub.id in top


def test_resolve_names() -> None:
    values = (
        compile_value("office-63"),
        compile_value("${groups}"),
        compile_value("${csv}"),
        compile_value("${nothing}"),
        compile_value("office-63"),
    )
    variables = {"groups": ["a", "b"], "csv": "c, d,,", "nothing": None}
    assert resolve_names(values, variables) == ("office-63", "a", "b", "c", "d")
    with pytest.raises(ExpressionError, match="expected a name, got int"):
        resolve_names((compile_value("${n}"),), {"n": 5})
    with pytest.raises(ExpressionError, match="unknown variable"):
        resolve_names((compile_value("${missing}"),), {})
    assert resolve_names((compile_value("${missing}"),), {}, strict=False) == ()


def test_assignee_for() -> None:
    task = UserTask(id="T", assignee=compile_value("${who}"))
    assert task.assignee_for({"who": " b.meier "}) == "b.meier"
    assert task.assignee_for({"who": ""}) is None
    assert task.assignee_for({"who": None}) is None
    assert UserTask(id="T2").assignee_for({}) is None
    with pytest.raises(ExpressionError, match="assignee must be a name"):
        task.assignee_for({"who": ["a", "b"]})


def test_specs_are_frozen() -> None:
    task = UserTask(id="T")
    with pytest.raises(AttributeError):
        task.id = "U"  # type: ignore[misc]


def test_form_field_to_form() -> None:
    (spec,) = parse_bpmn_file(Path(__file__).parent / "fixtures" / "camunda7-all-elements.bpmn")
    task = spec.element("Task_Review")
    assert isinstance(task, UserTask)
    forms = [f.to_form({"caseRef": "63.1-7"}) for f in task.form_fields]
    json.dumps(forms)
    by_id = {f["id"]: f for f in forms}
    assert by_id["subject"]["required"] is True and by_id["subject"]["label"] == "Betreff"
    assert by_id["channel"]["values"] == [
        {"id": "post", "name": "Brief"},
        {"id": "mail", "name": "E-Mail"},
    ]
    assert by_id["channel"]["default"] == "post"
    assert by_id["caseRef"]["default"] == "63.1-7" and by_id["caseRef"]["readonly"] is True
    assert by_id["amount"]["constraints"] == [{"name": "min", "config": "0"}]
    assert task.form_fields[-1].to_form({})["default"] is None
