"""BPMN 2.0 import: every supported element, both Camunda dialects, the built-in models, and
a clear rejection of everything else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tests.workflows.bpmn_snippets import HEAD, chain, document, flow
from workflows.bpmn_parser import BpmnError, parse_bpmn, parse_bpmn_file
from workflows.durations import Duration
from workflows.spec import (
    BoundaryTimerEvent,
    EndEvent,
    ExclusiveGateway,
    IntermediateTimerEvent,
    ParallelGateway,
    ProcessSpec,
    ServiceTask,
    StartEvent,
    SubProcess,
    UserTask,
)

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"
BUILT_IN = ROOT / "config" / "processes"
NOW = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)


def one(data: bytes) -> ProcessSpec:
    specs = parse_bpmn(data)
    assert len(specs) == 1
    return specs[0]


def problems(data: bytes) -> BpmnError:
    with pytest.raises(BpmnError) as info:
        parse_bpmn(data)
    return info.value


# --------------------------------------------------------------------------- Camunda 7


@pytest.fixture(scope="module")
def c7() -> ProcessSpec:
    specs = parse_bpmn_file(FIXTURES / "camunda7-all-elements.bpmn")
    assert len(specs) == 1
    return specs[0]


def test_c7_process_attributes(c7: ProcessSpec) -> None:
    assert c7.key == "c7-all"
    assert c7.name == "Alle Elemente (Camunda 7)"
    assert c7.version_tag == "2.1"
    assert c7.candidate_starter_groups == ("office-63", "admins")
    assert c7.history_time_to_live == "180"
    assert c7.documentation == "Testmodell mit jedem unterstützten Element."
    assert c7.start_event_ids == ("Start_None", "Start_Timer")
    # lanes, pool, annotation, association and data object are drawn, not executed
    assert not {"Lane_Office", "TextAnnotation_1", "DataObjectReference_1"} & set(c7.elements)
    assert c7.warnings == (
        "bpmn:startEvent id=Start_None: Erweiterung camunda:executionListener wird ignoriert"
        " / extension camunda:executionListener is ignored",
    )


def test_c7_start_events(c7: ProcessSpec) -> None:
    none_start = c7.none_start_event()
    assert isinstance(none_start, StartEvent) and none_start.id == "Start_None"
    assert none_start.timer is None and none_start.incoming == ()
    (timer_start,) = c7.timer_start_events()
    assert timer_start.id == "Start_Timer"
    assert timer_start.timer is not None and timer_start.timer.kind == "cycle"
    assert timer_start.timer.first_due(NOW) == NOW + timedelta(days=1)


def test_c7_user_task(c7: ProcessSpec) -> None:
    task = c7.element("Task_Review")
    assert isinstance(task, UserTask) and task.kind == "userTask"
    assert task.incoming == ("Flow_Start", "Flow_Daily")
    assert task.outgoing == ("Flow_ToAmount",)
    assert task.documentation == "Den Antrag sachlich prüfen."
    variables = {
        "initiator": "m.mueller",
        "deputy": "k.kraus",
        "followUp": "2030-01-02",
        "prio": 80,
    }
    assert task.assignee_for(variables) == "m.mueller"
    assert task.candidate_users_for(variables) == ("b.meier", "k.kraus")
    assert task.candidate_groups_for(variables) == ("office-63", "finance")
    assert task.priority is not None and task.priority.evaluate(variables) == 80
    assert task.due_date is not None
    assert task.due_date.first_due(NOW) == datetime(2030, 1, 31, 12, 0, tzinfo=UTC)
    assert task.follow_up_date is not None
    assert task.follow_up_date.first_due(NOW, variables) == datetime(2030, 1, 2, tzinfo=UTC)
    assert task.form_key == "embedded:app:forms/review.html"
    assert task.properties == {"taskType": "info"}
    assert task.multi_instance is None
    fields = {f.id: f for f in task.form_fields}
    assert list(fields) == ["subject", "amount", "approved", "deadline", "channel", "caseRef"]
    assert fields["subject"].required and fields["subject"].label == "Betreff"
    assert fields["amount"].type == "long" and fields["amount"].constraints[0].config == "0"
    assert fields["approved"].default is not None
    assert fields["approved"].default.evaluate({}) == "false"
    assert fields["deadline"].type == "date"
    assert [(v.id, v.name) for v in fields["channel"].enum_values] == [
        ("post", "Brief"),
        ("mail", "E-Mail"),
    ]
    assert fields["caseRef"].readonly
    assert fields["caseRef"].default is not None
    assert fields["caseRef"].default.evaluate({"caseRef": "63.1-2024/7"}) == "63.1-2024/7"


def test_c7_gateways_and_conditions(c7: ProcessSpec) -> None:
    gateway = c7.element("Gateway_Amount")
    assert isinstance(gateway, ExclusiveGateway) and gateway.default_flow == "Flow_Small"
    large, small = c7.outgoing_flows("Gateway_Amount")
    assert large.condition is not None and not large.is_default
    assert large.condition.evaluate_bool({"amount": 6000, "approved": True}) is True
    assert large.condition.evaluate_bool({"amount": Decimal("5000.00"), "approved": True}) is False
    assert small.is_default and small.condition is None
    fork, join = c7.element("Gateway_Fork"), c7.element("Gateway_Join")
    assert isinstance(fork, ParallelGateway) and len(fork.outgoing) == 3
    assert isinstance(join, ParallelGateway) and len(join.incoming) == 3


def test_c7_service_tasks(c7: ProcessSpec) -> None:
    notify = c7.element("Task_Notify")
    assert isinstance(notify, ServiceTask)
    assert (notify.handler, notify.handler_form) == ("notifyHandler", "delegateExpression")
    assert notify.inputs_for({"initiator": "m.mueller"}) == {
        "template": "small-amount",
        "recipient": "m.mueller",
    }
    assert notify.retries == 5 and notify.retry_interval == Duration(minutes=10)
    assert notify.properties == {"channel": "mail"}
    remind = c7.element("Task_Remind")
    assert isinstance(remind, ServiceTask)
    assert (remind.handler, remind.handler_form, remind.retries) == ("notify", "external", None)


def test_c7_multi_instance_and_boundary_timers(c7: ProcessSpec) -> None:
    cosign = c7.element("Task_Cosign")
    assert isinstance(cosign, UserTask)
    mi = cosign.multi_instance
    assert mi is not None and not mi.sequential
    assert mi.collection is not None and mi.collection.evaluate({"cosigners": ["a", "b"]}) == [
        "a",
        "b",
    ]
    assert mi.element_variable == "cosigner" and mi.cardinality is None
    assert mi.completion_condition is not None
    assert mi.completion_condition.evaluate_bool({"nrOfCompletedInstances": 2, "refused": False})
    assert cosign.assignee_for({"cosigner": "c.schulz"}) == "c.schulz"
    assert cosign.boundary_event_ids == ("Timer_Escalate", "Timer_Remind")
    escalate, remind = c7.boundary_events("Task_Cosign")
    assert isinstance(escalate, BoundaryTimerEvent) and escalate.cancel_activity
    assert escalate.attached_to == "Task_Cosign" and escalate.incoming == ()
    assert escalate.timer.duration == Duration(hours=48)
    assert not remind.cancel_activity and remind.timer.kind == "cycle"
    assert remind.timer.cycle is not None and remind.timer.cycle.repetitions == 3


def test_c7_end_events(c7: ProcessSpec) -> None:
    kinds = {e.id: (e.end_type, e.error_code, e.error_name) for e in c7.of_type(EndEvent)}
    assert kinds["End_Terminate"] == ("terminate", None, None)
    assert kinds["End_Escalated"] == ("error", "ESCALATED", "Eskaliert")
    assert kinds["End_Done"] == ("none", None, None)


def test_c7_intermediate_timer(c7: ProcessSpec) -> None:
    wait = c7.element("Timer_Wait")
    assert isinstance(wait, IntermediateTimerEvent) and wait.kind == "intermediateCatchEvent"
    assert wait.timer.first_due(NOW, {"resubmitOn": "2024-04-02T10:00:00Z"}) == datetime(
        2024, 4, 2, 10, 0, tzinfo=UTC
    )


def test_c7_embedded_subprocesses_expanded_and_collapsed(c7: ProcessSpec) -> None:
    check = c7.element("SubProcess_Check")
    assert isinstance(check, SubProcess)
    assert check.child_ids == ("Sub_Start", "Sub_Timer", "Sub_Task", "Sub_End")
    assert check.start_event_ids == ("Sub_Start",)
    assert [e.id for e in c7.children("SubProcess_Check")] == list(check.child_ids)
    assert c7.start_events("SubProcess_Check")[0].parent_id == "SubProcess_Check"
    assert c7.flow("Flow_Sub1").parent_id == "SubProcess_Check"
    sub_task = c7.element("Sub_Task")
    assert isinstance(sub_task, UserTask) and sub_task.multi_instance is not None
    assert sub_task.multi_instance.sequential
    assert sub_task.multi_instance.cardinality is not None
    assert sub_task.multi_instance.cardinality.evaluate({}) == 3
    collapsed = c7.element("SubProcess_Collapsed")
    assert isinstance(collapsed, SubProcess) and collapsed.start_event_ids == ("Col_Start",)
    service = c7.element("Col_Service")
    assert isinstance(service, ServiceTask) and service.parent_id == "SubProcess_Collapsed"
    assert c7.element("Task_Review").parent_id is None


# --------------------------------------------------------------------------- Camunda 8


@pytest.fixture(scope="module")
def zeebe() -> ProcessSpec:
    (spec,) = parse_bpmn_file(FIXTURES / "zeebe-cosign.bpmn")
    return spec


def test_zeebe_user_task(zeebe: ProcessSpec) -> None:
    assert zeebe.version_tag == "3" and zeebe.warnings == ()
    task = zeebe.element("Task_Prepare")
    assert isinstance(task, UserTask)
    assert task.assignee_for({"author": "a.autor"}) == "a.autor"
    assert task.candidate_groups_for({}) == ("office-63", "office-20")
    assert task.form_key == "prepare-form"
    assert task.properties == {"taskType": "prepare"}
    assert task.due_date is not None
    due = task.due_date.first_due(NOW, {"dueAt": "2024-03-05T12:00:00+01:00"})
    assert due == datetime(2024, 3, 5, 11, 0, tzinfo=UTC)
    assert task.follow_up_date is not None
    assert task.follow_up_date.first_due(NOW) == datetime(2030, 1, 1, 8, 0, tzinfo=UTC)
    director = zeebe.element("Task_Director")
    assert isinstance(director, UserTask)
    assert director.candidate_groups_for({"signerGroup": "63-leitung"}) == (
        "directors",
        "63-leitung",
    )


def test_zeebe_feel_conditions(zeebe: ProcessSpec) -> None:
    cosign, big, small = zeebe.outgoing_flows("Gateway_Amount")
    assert small.is_default
    assert cosign.condition is not None and big.condition is not None
    variables = {"amount": 1000, "urgent": False, "status": "open"}
    assert cosign.condition.evaluate_bool(variables) is True
    assert big.condition.evaluate_bool(variables) is False
    variables = {"amount": 7000, "urgent": True, "status": "escalated"}
    assert cosign.condition.evaluate_bool(variables) is False
    assert big.condition.evaluate_bool(variables) is True


def test_zeebe_multi_instance_service_task_and_error_end(zeebe: ProcessSpec) -> None:
    cosign = zeebe.element("Task_Cosign")
    assert isinstance(cosign, UserTask) and cosign.multi_instance is not None
    mi = cosign.multi_instance
    assert mi.collection is not None and mi.collection.evaluate({"cosigners": ["x"]}) == ["x"]
    assert mi.element_variable == "cosigner"
    assert mi.completion_condition is not None
    assert mi.completion_condition.evaluate_bool({"refused": True})
    (remind,) = zeebe.boundary_events("Task_Cosign")
    assert not remind.cancel_activity and remind.timer.duration == Duration(hours=72)
    notify = zeebe.element("Task_Notify")
    assert isinstance(notify, ServiceTask)
    assert (notify.handler, notify.handler_form, notify.retries) == ("notify", "zeebe", 5)
    assert notify.inputs_for({"cosigner": "c.schulz"}) == {"recipient": "c.schulz"}
    assert notify.properties == {"template": "reminder"}
    refused = zeebe.element("End_Refused")
    assert isinstance(refused, EndEvent)
    assert (refused.end_type, refused.error_code) == ("error", "REFUSED")
    sign = zeebe.element("Task_Sign")
    assert isinstance(sign, ServiceTask) and sign.handler == "sign-document"


def test_both_dialects_give_the_same_spec_fields(c7: ProcessSpec, zeebe: ProcessSpec) -> None:
    juel, feel = c7.element("Task_Cosign"), zeebe.element("Task_Cosign")
    assert isinstance(juel, UserTask) and isinstance(feel, UserTask)
    assert juel.multi_instance is not None and feel.multi_instance is not None
    variables = {"cosigners": ["b.meier", "c.schulz"], "cosigner": "b.meier"}
    for field in ("collection",):
        a = getattr(juel.multi_instance, field).evaluate(variables)
        b = getattr(feel.multi_instance, field).evaluate(variables)
        assert a == b
    assert juel.multi_instance.element_variable == feel.multi_instance.element_variable
    assert juel.assignee_for(variables) == feel.assignee_for(variables) == "b.meier"


def test_standard_bpmn_with_default_namespace() -> None:
    (spec,) = parse_bpmn_file(FIXTURES / "bpmnio-standard.bpmn")
    task = spec.element("Task_Review")
    assert isinstance(task, UserTask) and task.multi_instance is not None
    mi = task.multi_instance
    assert mi.sequential and mi.element_variable == "reviewer"
    assert mi.collection is not None and mi.collection.evaluate({"reviewers": ["r1"]}) == ["r1"]
    archive = spec.element("Task_Archive")
    assert isinstance(archive, ServiceTask)
    assert (archive.handler, archive.handler_form) == ("archive", "dms")


# --------------------------------------------------------------------------- built-in models

HANDLERS = {"notify", "sign-document", "file-away", "seal-document", "dispatch"}


@pytest.mark.parametrize(
    "name", ["letter-distribution", "cosign", "resubmission", "bench-approval"]
)
def test_built_in_models_parse(name: str) -> None:
    path = BUILT_IN / f"{name}.bpmn"
    text = path.read_text(encoding="utf-8")
    assert 'exporter="Camunda Modeler"' in text and 'exporterVersion="5.' in text
    assert "bpmndi:BPMNDiagram" in text and 'xmlns:camunda="' in text
    (spec,) = parse_bpmn_file(path)
    assert spec.key == name and spec.warnings == ()
    assert spec.none_start_event() is not None
    for task in spec.of_type(ServiceTask):
        assert task.handler in HANDLERS
    assert ProcessSpec.from_json(spec.to_json()) == spec


def test_built_in_cosign_model() -> None:
    (spec,) = parse_bpmn_file(BUILT_IN / "cosign.bpmn")
    mode = spec.element("Gateway_Mode")
    assert isinstance(mode, ExclusiveGateway) and mode.default_flow == "Flow_ModeParallel"
    assert set(mode.incoming) == {"Flow_ToMode", "Flow_Recosign"}  # the refusal loop
    for task_id, sequential in (("Task_CosignParallel", False), ("Task_CosignSequential", True)):
        task = spec.element(task_id)
        assert isinstance(task, UserTask) and task.multi_instance is not None
        mi = task.multi_instance
        assert mi.sequential is sequential and mi.element_variable == "cosigner"
        assert mi.collection is not None and mi.collection.source == "${cosigners}"
        assert mi.completion_condition is not None
        assert mi.completion_condition.evaluate_bool({"refused": True})
        assert task.assignee_for({"cosigner": "b.meier"}) == "b.meier"
        (reminder,) = spec.boundary_events(task_id)
        assert not reminder.cancel_activity and reminder.timer.duration == Duration(days=3)
        (to_notify,) = spec.outgoing_flows(reminder.id)
        notify = spec.element(to_notify.target)
        assert isinstance(notify, ServiceTask) and notify.handler == "notify"
    refused = spec.outgoing_flows("Gateway_Refused")
    assert [f.target for f in refused] == ["Task_Revise", "Task_FinalSignature"]
    assert refused[0].condition is not None and refused[0].condition.evaluate_bool(
        {"refused": True}
    )
    final = spec.element("Task_FinalSignature")
    assert isinstance(final, UserTask)
    assert final.candidate_groups_for({"signerGroup": "63-zeichnung"}) == ("63-zeichnung",)
    assert {f.id for f in final.form_fields} == {"disposition", "remark"}
    sign = spec.element("Task_SignDocument")
    assert isinstance(sign, ServiceTask) and sign.handler == "sign-document"
    dispatch, file_away = (
        spec.flow("Flow_ToDispatch"),
        spec.flow("Flow_ToFileAway"),
    )
    assert file_away.is_default and spec.element(file_away.target).handler == "file-away"  # type: ignore[attr-defined]
    assert dispatch.condition is not None
    assert dispatch.condition.evaluate_bool({"disposition": "dispatch"})
    assert not dispatch.condition.evaluate_bool({"disposition": "file"})


def test_built_in_letter_and_resubmission_models() -> None:
    (letter,) = parse_bpmn_file(BUILT_IN / "letter-distribution.bpmn")
    queue, clerk = letter.of_type(UserTask)
    assert queue.candidate_groups_for({"office": "63"}) == ("63",)
    assert queue.due_date is not None and queue.due_date.duration == Duration(days=2)
    assert clerk.assignee_for({"clerk": "m.mueller"}) == "m.mueller"
    (resubmission,) = parse_bpmn_file(BUILT_IN / "resubmission.bpmn")
    (timer,) = resubmission.of_type(IntermediateTimerEvent)
    assert timer.timer.first_due(NOW, {"resubmitOn": "2024-04-02"}) == datetime(
        2024, 4, 2, tzinfo=UTC
    )
    (task,) = resubmission.of_type(UserTask)
    assert task.assignee_for({"owner": "m.mueller"}) == "m.mueller"


def test_built_in_bench_model() -> None:
    (spec,) = parse_bpmn_file(BUILT_IN / "bench-approval.bpmn")
    assert [t.id for t in spec.of_type(UserTask)] == [
        "Task_Review",
        "Task_CosignA",
        "Task_CosignB",
        "Task_CosignC",
        "Task_FinalSignature",
    ]
    approved = spec.flow("Flow_Approved")
    # written without ${} so that SpiffWorkflow (Python conditions) runs the same file
    assert approved.condition is not None and approved.condition.source == "approved"
    assert spec.flow("Flow_Rejected").is_default
    fork = spec.element("Gateway_Fork")
    assert isinstance(fork, ParallelGateway) and len(fork.outgoing) == 3


# --------------------------------------------------------------------------- documents


def test_several_processes_non_executable_skipped_and_pools_ignored() -> None:
    first = chain('<bpmn:userTask id="Task_1" />')
    second = chain(
        '<bpmn:userTask id="Task_2" />',
        start='<bpmn:startEvent id="Start2" />',
        end='<bpmn:endEvent id="End2" />',
        flows="Flow2",
    )
    data = (
        f"{HEAD}"
        '<bpmn:collaboration id="Collab_1">'
        '<bpmn:participant id="Part_1" processRef="first" />'
        '<bpmn:participant id="Part_2" name="Bürger" processRef="outside" />'
        '<bpmn:messageFlow id="MsgFlow_1" sourceRef="Part_2" targetRef="Task_1" />'
        "</bpmn:collaboration>"
        f'<bpmn:process id="first" isExecutable="true">{first}</bpmn:process>'
        '<bpmn:process id="outside" isExecutable="false"><bpmn:task id="T" /></bpmn:process>'
        f'<bpmn:process id="second">{second}</bpmn:process>'
        "</bpmn:definitions>"
    ).encode()
    one_, two = parse_bpmn(data)
    assert (one_.key, two.key) == ("first", "second")
    assert set(one_.elements) == {"Start", "Task_1", "End"}
    assert set(two.elements) == {"Start2", "Task_2", "End2"}
    assert any("outside" in w and "not executable" in w for w in one_.warnings)
    assert any("MsgFlow_1" in w for w in one_.warnings)


def test_str_input_and_whitespace_in_conditions() -> None:
    body = "\n".join(
        [
            '<bpmn:startEvent id="Start" />',
            '<bpmn:exclusiveGateway id="Gw" default="F_no" />',
            '<bpmn:endEvent id="Yes" />',
            '<bpmn:endEvent id="No" />',
            flow("F_in", "Start", "Gw"),
            flow("F_yes", "Gw", "Yes", "<![CDATA[\n  ${amount > 5000 && approved}\n]]>"),
            flow("F_no", "Gw", "No"),
        ]
    )
    spec = one(document(body).decode())
    condition = spec.flow("F_yes").condition
    assert condition is not None
    assert condition.evaluate_bool({"amount": 5001, "approved": True})


# --------------------------------------------------------------------------- rejections


def start_end(body: str) -> str:
    return chain(body)


REJECTIONS = [
    (chain('<bpmn:sendTask id="Activity_0x3" />'), "Activity_0x3", "bpmn:sendTask"),
    (chain('<bpmn:receiveTask id="Recv_1" />'), "Recv_1", "messages are not supported"),
    (chain('<bpmn:scriptTask id="Script_1" />'), "Script_1", "scripts do not run"),
    (chain('<bpmn:task id="Plain_1" />'), "Plain_1", "untyped task"),
    (chain('<bpmn:manualTask id="Manual_1" />'), "Manual_1", "bpmn:manualTask"),
    (chain('<bpmn:businessRuleTask id="Rule_1" />'), "Rule_1", "bpmn:businessRuleTask"),
    (chain('<bpmn:callActivity id="Call_1" />'), "Call_1", "use an embedded subprocess"),
    (chain('<bpmn:inclusiveGateway id="Or_1" />'), "Or_1", "bpmn:inclusiveGateway"),
    (chain('<bpmn:eventBasedGateway id="Ev_1" />'), "Ev_1", "bpmn:eventBasedGateway"),
    (chain('<bpmn:complexGateway id="Cx_1" />'), "Cx_1", "bpmn:complexGateway"),
    (chain('<bpmn:intermediateThrowEvent id="Throw_1" />'), "Throw_1", "intermediateThrowEvent"),
    (chain('<bpmn:transaction id="Tx_1" />'), "Tx_1", "bpmn:transaction"),
    (chain('<bpmn:adHocSubProcess id="AdHoc_1" />'), "AdHoc_1", "bpmn:adHocSubProcess"),
    (
        chain(
            start='<bpmn:startEvent id="Start"><bpmn:messageEventDefinition /></bpmn:startEvent>'
        ),
        "Start",
        "bpmn:messageEventDefinition is not supported on bpmn:startEvent",
    ),
    (
        chain(end='<bpmn:endEvent id="End"><bpmn:signalEventDefinition /></bpmn:endEvent>'),
        "End",
        "bpmn:signalEventDefinition is not supported on bpmn:endEvent",
    ),
    (
        chain(end='<bpmn:endEvent id="End"><bpmn:escalationEventDefinition /></bpmn:endEvent>'),
        "End",
        "escalationEventDefinition",
    ),
    (
        chain(
            '<bpmn:intermediateCatchEvent id="Msg_1"><bpmn:messageEventDefinition />'
            "</bpmn:intermediateCatchEvent>"
        ),
        "Msg_1",
        "messageEventDefinition",
    ),
    (
        chain('<bpmn:intermediateCatchEvent id="Bare_1" />'),
        "Bare_1",
        "without a timer is not supported",
    ),
    (
        chain(
            '<bpmn:userTask id="T1" />',
            extra='<bpmn:boundaryEvent id="Err_1" attachedToRef="T1"><bpmn:errorEventDefinition />'
            "</bpmn:boundaryEvent>",
        ),
        "Err_1",
        "errorEventDefinition is not supported on bpmn:boundaryEvent",
    ),
    (
        chain(
            '<bpmn:intermediateCatchEvent id="Both_1"><bpmn:timerEventDefinition>'
            "<bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>"
            "<bpmn:conditionalEventDefinition /></bpmn:intermediateCatchEvent>"
        ),
        "Both_1",
        "conditionalEventDefinition",
    ),
    (
        chain(
            '<bpmn:subProcess id="EvSub_1" triggeredByEvent="true" />',
        ),
        "EvSub_1",
        "event subprocesses are not supported",
    ),
    (
        chain(
            '<bpmn:serviceTask id="Svc_1" camunda:type="external" camunda:topic="x">'
            '<bpmn:multiInstanceLoopCharacteristics camunda:collection="${a}" />'
            "</bpmn:serviceTask>"
        ),
        "Svc_1",
        "multi-instance only on user tasks",
    ),
    (
        chain('<bpmn:userTask id="Loop_1"><bpmn:standardLoopCharacteristics /></bpmn:userTask>'),
        "Loop_1",
        "model the loop with a gateway",
    ),
    (
        chain('<bpmn:serviceTask id="Java_1" camunda:class="org.example.Sign" />'),
        "Java_1",
        "camunda:class is not supported",
    ),
    (
        chain('<bpmn:serviceTask id="Expr_1" camunda:expression="${bean.run()}" />'),
        "Expr_1",
        "camunda:expression is not supported",
    ),
    (
        chain('<bpmn:serviceTask id="Conn_1" camunda:type="connector" />'),
        "Conn_1",
        'camunda:type="connector" is not supported',
    ),
    (
        chain('<bpmn:serviceTask id="NoTopic_1" camunda:type="external" />'),
        "NoTopic_1",
        "camunda:topic is missing",
    ),
    (chain('<bpmn:serviceTask id="Bare_2" />'), "Bare_2", "service task without a handler"),
    (
        chain('<bpmn:serviceTask id="Del_1" camunda:delegateExpression="${a.b}" />'),
        "Del_1",
        "camunda:delegateExpression must be ${name}",
    ),
    (
        chain(
            '<bpmn:serviceTask id="Two_1" camunda:type="external" camunda:topic="a" '
            'dms:handler="b" />'
        ),
        "Two_1",
        "conflicting handler names: a, b",
    ),
    (
        chain(
            '<bpmn:serviceTask id="ZExpr_1"><bpmn:extensionElements>'
            '<zeebe:taskDefinition type="=handlerName" /></bpmn:extensionElements>'
            "</bpmn:serviceTask>"
        ),
        "ZExpr_1",
        "needs a fixed type",
    ),
    (
        chain(
            '<bpmn:serviceTask id="Out_1" camunda:type="external" camunda:topic="a">'
            "<bpmn:extensionElements><camunda:inputOutput>"
            '<camunda:outputParameter name="x">${y}</camunda:outputParameter>'
            "</camunda:inputOutput></bpmn:extensionElements></bpmn:serviceTask>"
        ),
        "Out_1",
        "camunda:outputParameter x is not supported",
    ),
    (
        chain(
            '<bpmn:serviceTask id="Script_2" camunda:type="external" camunda:topic="a">'
            "<bpmn:extensionElements><camunda:inputOutput>"
            '<camunda:inputParameter name="x"><camunda:script scriptFormat="groovy">1'
            "</camunda:script></camunda:inputParameter>"
            "</camunda:inputOutput></bpmn:extensionElements></bpmn:serviceTask>"
        ),
        "Script_2",
        "camunda:inputParameter x is not supported",
    ),
    (
        chain(
            '<bpmn:userTask id="Io_1"><bpmn:extensionElements><camunda:inputOutput />'
            "</bpmn:extensionElements></bpmn:userTask>"
        ),
        "Io_1",
        "camunda:inputOutput is only possible on service tasks",
    ),
    (
        chain(
            '<bpmn:userTask id="Form_1"><bpmn:extensionElements><camunda:formData>'
            '<camunda:formField id="f" type="file" /></camunda:formData>'
            "</bpmn:extensionElements></bpmn:userTask>"
        ),
        "Form_1",
        "form field f: type 'file' not supported",
    ),
    (
        chain('<bpmn:userTask id="Assign_1" camunda:assignee="${a +}" />'),
        "Assign_1",
        "camunda:assignee: unexpected '}'",
    ),
    (
        chain('<bpmn:userTask id="Due_1" camunda:dueDate="${dateTime().plusDays(3).toDate()}" />'),
        "Due_1",
        "unknown function 'dateTime'",
    ),
    (
        chain('<bpmn:userTask id="Due_2" camunda:followUpDate="next week" />'),
        "Due_2",
        "followUpDate: 'next week' is not an ISO 8601 date",
    ),
    (
        chain('<bpmn:userTask id="MI_1"><bpmn:multiInstanceLoopCharacteristics /></bpmn:userTask>'),
        "MI_1",
        "multi-instance needs either a collection",
    ),
    (
        chain(
            '<bpmn:userTask id="MI_2"><bpmn:multiInstanceLoopCharacteristics '
            'camunda:collection="${a}"><bpmn:loopCardinality>3</bpmn:loopCardinality>'
            "</bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>"
        ),
        "MI_2",
        "multi-instance needs either a collection",
    ),
    (
        chain(
            '<bpmn:userTask id="MI_3"><bpmn:multiInstanceLoopCharacteristics '
            'camunda:collection="${a}" camunda:elementVariable="not a name" />'
            "</bpmn:userTask>"
        ),
        "MI_3",
        "elementVariable 'not a name' is not a valid variable name",
    ),
    (
        chain(
            '<bpmn:userTask id="MI_4"><bpmn:multiInstanceLoopCharacteristics>'
            "<bpmn:extensionElements>"
            '<zeebe:loopCharacteristics inputCollection="=a" outputCollection="out" />'
            "</bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>"
        ),
        "MI_4",
        "outputCollection/outputElement are not supported",
    ),
    (
        chain(
            '<bpmn:userTask id="MI_5"><bpmn:multiInstanceLoopCharacteristics '
            'camunda:collection="${a}"><bpmn:completionCondition>${done ==}'
            "</bpmn:completionCondition></bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>"
        ),
        "MI_5",
        "completionCondition: unexpected '}'",
    ),
    (
        chain(
            '<bpmn:intermediateCatchEvent id="Cycle_1"><bpmn:timerEventDefinition>'
            "<bpmn:timeCycle>R/P1D</bpmn:timeCycle></bpmn:timerEventDefinition>"
            "</bpmn:intermediateCatchEvent>"
        ),
        "Cycle_1",
        "use timeDate or timeDuration, not timeCycle",
    ),
    (
        chain(
            '<bpmn:intermediateCatchEvent id="Cron_1"><bpmn:timerEventDefinition>'
            "<bpmn:timeCycle>0 0 9 * * ?</bpmn:timeCycle></bpmn:timerEventDefinition>"
            "</bpmn:intermediateCatchEvent>"
        ),
        "Cron_1",
        "cron expressions ('0 0 9 * * ?') are not supported",
    ),
    (
        chain(
            '<bpmn:intermediateCatchEvent id="Empty_1"><bpmn:timerEventDefinition />'
            "</bpmn:intermediateCatchEvent>"
        ),
        "Empty_1",
        "exactly one of timeDate, timeDuration or timeCycle",
    ),
    (
        chain(
            '<bpmn:userTask id="T1" camunda:asyncBefore="true" default="Flow_1" />',
        ),
        "T1",
        "a default flow on an activity is not supported",
    ),
]


@pytest.mark.parametrize(("body", "element_id", "fragment"), REJECTIONS)
def test_rejected_with_the_element_named(body: str, element_id: str, fragment: str) -> None:
    err = problems(document(body))
    text = str(err)
    assert fragment in text, text
    assert any(p.element_id == element_id or element_id in str(p) for p in err.problems), text
    assert all(p.line for p in err.problems), text
    assert len(err.problems) == 1, text  # the cause only, no follow-up noise
    assert "nicht" in text  # German first, English after " / "


def test_unsupported_message_format() -> None:
    err = problems(document(chain('<bpmn:sendTask id="Activity_0x3" />')))
    (problem,) = err.problems  # and no follow-up noise about its neighbours' flows
    assert problem.tag == "bpmn:sendTask" and problem.element_id == "Activity_0x3"
    assert str(problem) == (
        "Zeile/line 5, bpmn:sendTask id=Activity_0x3: Element wird nicht unterstützt; "
        "Service-Task mit Handler verwenden / element not supported; "
        "use a service task with a handler"
    )


STRUCTURE = [
    (
        "\n".join(['<bpmn:userTask id="T" />', '<bpmn:endEvent id="E" />', flow("F", "T", "E")]),
        "no start event",
    ),
    (
        "\n".join(['<bpmn:startEvent id="S" />', '<bpmn:userTask id="T" />', flow("F", "S", "T")]),
        "no end event",
    ),
    (chain(extra=flow("F_bad", "Start", "Nowhere")), "targetRef 'Nowhere' does not name"),
    (
        chain('<bpmn:startEvent id="S2" />', start='<bpmn:startEvent id="S1" />'),
        "start and boundary events cannot have incoming sequence flows",
    ),
    (
        chain(extra='<bpmn:startEvent id="S2" />' + flow("F_x", "S2", "End")),
        "at most one start event without a timer",
    ),
    (
        chain(extra='<bpmn:userTask id="Lonely" />' + flow("F_x", "Lonely", "End")),
        "no incoming sequence flow",
    ),
    (
        chain(extra='<bpmn:userTask id="Dead" />' + flow("F_x", "Start", "Dead")),
        "no outgoing sequence flow",
    ),
    (
        chain(
            '<bpmn:userTask id="A" />',
            extra='<bpmn:userTask id="B" /><bpmn:userTask id="C" />'
            + flow("F_bc", "B", "C")
            + flow("F_cb", "C", "B"),
        ),
        "not reachable from any start event",
    ),
    (
        chain(
            '<bpmn:exclusiveGateway id="G" default="F_end" />',
            extra='<bpmn:userTask id="Loop" />'
            + flow("F_loop", "G", "Loop", "${again}")
            + flow("F_back", "Loop", "Loop2")
            + '<bpmn:userTask id="Loop2" />'
            + flow("F_back2", "Loop2", "Loop"),
        ).replace('id="Flow_1"', 'id="F_end"'),
        "no path to an end event",
    ),
    (
        "\n".join(
            [
                '<bpmn:startEvent id="S" />',
                '<bpmn:exclusiveGateway id="G" />',
                '<bpmn:endEvent id="E1" />',
                '<bpmn:endEvent id="E2" />',
                flow("F0", "S", "G"),
                flow("F1", "G", "E1", "${a}"),
                flow("F2", "G", "E2"),
            ]
        ),
        "outgoing flows without a condition: F2",
    ),
    (
        "\n".join(
            [
                '<bpmn:startEvent id="S" />',
                '<bpmn:exclusiveGateway id="G" default="F1" />',
                '<bpmn:endEvent id="E1" />',
                '<bpmn:endEvent id="E2" />',
                flow("F0", "S", "G"),
                flow("F1", "G", "E1", "${a}"),
                flow("F2", "G", "E2", "${b}"),
            ]
        ),
        "default flow F1 cannot have a condition",
    ),
    (
        "\n".join(
            [
                '<bpmn:startEvent id="S" />',
                '<bpmn:exclusiveGateway id="G" default="F0" />',
                '<bpmn:endEvent id="E1" />',
                flow("F0", "S", "G"),
                flow("F1", "G", "E1"),
            ]
        ),
        "default flow F0 is not an outgoing flow of this gateway",
    ),
    (
        "\n".join(
            [
                '<bpmn:startEvent id="S" />',
                '<bpmn:userTask id="T" />',
                '<bpmn:endEvent id="E" />',
                flow("F0", "S", "T"),
                flow("F1", "T", "E", "${a}"),
            ]
        ),
        "conditions are only allowed on flows leaving an exclusive gateway",
    ),
    (
        "\n".join(
            [
                '<bpmn:startEvent id="S" />',
                '<bpmn:exclusiveGateway id="G" default="F2" />',
                '<bpmn:endEvent id="E1" />',
                '<bpmn:endEvent id="E2" />',
                flow("F0", "S", "G"),
                flow("F1", "G", "E1", "${amount >> 3}"),
                flow("F2", "G", "E2"),
            ]
        ),
        "condition: unexpected '>'",
    ),
    (
        chain(
            extra='<bpmn:sequenceFlow id="F_js" sourceRef="Start" targetRef="End">'
            '<bpmn:conditionExpression language="javascript">true</bpmn:conditionExpression>'
            "</bpmn:sequenceFlow>"
        ),
        "condition language 'javascript' is not supported",
    ),
    (
        chain(
            '<bpmn:parallelGateway id="P" />',
            extra='<bpmn:boundaryEvent id="B" attachedToRef="P"><bpmn:timerEventDefinition>'
            "<bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>"
            "</bpmn:boundaryEvent>" + flow("F_b", "B", "End"),
        ),
        "attachedToRef P is not a supported activity",
    ),
    (
        chain(
            extra='<bpmn:boundaryEvent id="B" attachedToRef="Ghost"><bpmn:timerEventDefinition>'
            "<bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>"
            "</bpmn:boundaryEvent>" + flow("F_b", "B", "End"),
        ),
        "attachedToRef Ghost is not a supported activity",
    ),
    (
        chain(
            '<bpmn:subProcess id="Sub">'
            '<bpmn:startEvent id="SubStart"><bpmn:timerEventDefinition>'
            "<bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>"
            "</bpmn:startEvent>"
            '<bpmn:endEvent id="SubEnd" />'
            + flow("F_s", "SubStart", "SubEnd")
            + "</bpmn:subProcess>"
        ),
        "the start event of an embedded subprocess cannot have a timer",
    ),
    (
        chain(
            '<bpmn:subProcess id="Sub"><bpmn:userTask id="Inner" />'
            '<bpmn:startEvent id="SubStart" /><bpmn:endEvent id="SubEnd" />'
            + flow("F_s1", "SubStart", "Inner")
            + flow("F_s2", "Inner", "SubEnd")
            + "</bpmn:subProcess>",
            extra=flow("F_cross", "Start", "Inner"),
        ),
        "targetRef Inner lies in a different (sub)process",
    ),
    (
        chain(
            '<bpmn:subProcess id="Sub"><bpmn:userTask id="Inner" />'
            '<bpmn:endEvent id="SubEnd" />' + flow("F_s2", "Inner", "SubEnd") + "</bpmn:subProcess>"
        ),
        "no start event",
    ),
    (
        chain(
            '<bpmn:userTask id="Dup" />',
            extra='<bpmn:serviceTask id="Dup" dms:handler="x" />',
        ),
        "id Dup is used more than once",
    ),
    (chain('<bpmn:userTask name="anonymous" />'), "element without an id"),
    (
        chain(
            end='<bpmn:endEvent id="End"><bpmn:errorEventDefinition errorRef="Missing" />'
            "</bpmn:endEvent>"
        ),
        "errorRef Missing does not name a bpmn:error",
    ),
]


@pytest.mark.parametrize(("body", "fragment"), STRUCTURE)
def test_structure_rejected(body: str, fragment: str) -> None:
    err = problems(document(body))
    assert fragment in str(err), str(err)


def test_all_problems_are_reported_at_once() -> None:
    body = chain(
        '<bpmn:sendTask id="Send_1" />',
        '<bpmn:userTask id="Due_1" camunda:dueDate="soon" />',
        '<bpmn:serviceTask id="Svc_1" />',
    )
    err = problems(document(body))
    ids = [p.element_id for p in err.problems]
    assert ids == ["Send_1", "Due_1", "Svc_1"]  # sorted by line, no follow-up noise
    assert "(3 Probleme)" in str(err) and "(3 problems)" in str(err)
    assert err.http_status == 422 and err.code == "invalid_bpmn"


def test_no_executable_process() -> None:
    data = (HEAD + '<bpmn:process id="p" isExecutable="false" /></bpmn:definitions>').encode()
    assert "no executable process" in str(problems(data))


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"not xml at all", "not well-formed XML"),
        (b"<a><b></a>", "not well-formed XML"),
        (b'<?xml version="1.0"?><definitions />', "not a BPMN 2.0 document (root element"),
        (
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
            b"<lolz>&lol2;</lolz>",
            "a DOCTYPE/DTD is not allowed",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">'
            b'<bpmn:process id="p" name="&xxe;" /></bpmn:definitions>',
            "a DOCTYPE/DTD is not allowed",
        ),
        (b"x" * (20 * 1024 * 1024 + 1), "file larger than"),
    ],
)
def test_unsafe_or_broken_xml_rejected(data: bytes, fragment: str) -> None:
    err = problems(data)
    assert fragment in str(err)
    assert "root:" not in str(err)  # /etc/passwd was never read


def test_source_name_in_message() -> None:
    with pytest.raises(BpmnError) as info:
        parse_bpmn(b"nope", source="upload.bpmn")
    assert str(info.value).startswith("upload.bpmn: BPMN-Modell nicht verwendbar")


def test_warnings_for_ignored_camunda_extensions() -> None:
    body = chain(
        '<bpmn:userTask id="T"><bpmn:extensionElements>'
        '<camunda:taskListener class="x" event="create" />'
        '<other:thing xmlns:other="urn:other" />'
        "</bpmn:extensionElements></bpmn:userTask>",
        '<bpmn:exclusiveGateway id="G"><bpmn:extensionElements>'
        '<camunda:executionListener expression="${x}" event="start" />'
        "</bpmn:extensionElements></bpmn:exclusiveGateway>",
    )
    spec = one(document(body))
    assert len(spec.warnings) == 2
    assert spec.warnings[0].startswith("bpmn:userTask id=T: ")
    assert "camunda:taskListener" in spec.warnings[0]
    assert "camunda:executionListener" in spec.warnings[1]


def test_initiator_and_single_condition_merge_gateway() -> None:
    body = chain(
        '<bpmn:exclusiveGateway id="Merge" />',
        start='<bpmn:startEvent id="Start" camunda:initiator="starter" />',
    )
    spec = one(document(body))
    start = spec.none_start_event()
    assert start is not None and start.initiator == "starter"
    gw = spec.element("Merge")
    assert isinstance(gw, ExclusiveGateway) and gw.default_flow is None
