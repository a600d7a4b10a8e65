"""Each supported element, end to end through the database, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dms.errors import NotFound, PermissionDenied
from dms.models import utcnow
from tests.engine.conftest import Flow
from tests.engine.helpers import bpmn
from workflows import jobs, tasks

START, END = '<bpmn:startEvent id="start"/>', '<bpmn:endEvent id="end"/>'


def test_exclusive_gateway_takes_the_matching_branch(flow: Flow) -> None:
    flow.deploy(bpmn("gw", START + """
        <bpmn:exclusiveGateway id="g" default="low"/>
        <bpmn:userTask id="big" name="Große Summe" camunda:assignee="mueller"/>
        <bpmn:userTask id="small" name="Kleine Summe" camunda:assignee="mueller"/>
        <bpmn:endEvent id="e1"/><bpmn:endEvent id="e2"/>""",
        [("f0", "start", "g"), ("high", "g", "big", "${amount &gt; 5000 &amp;&amp; approved}"),
         ("low", "g", "small"), ("f1", "big", "e1"), ("f2", "small", "e2")]))
    big = flow.start("gw", amount=6000, approved=True)
    small = flow.start("gw", amount=6000, approved=False)
    assert [t.element_id for t in flow.open_tasks(big)] == ["big"]
    assert [t.element_id for t in flow.open_tasks(small)] == ["small"]


def test_parallel_join_fires_once_after_all_branches(flow: Flow) -> None:
    flow.deploy(bpmn("par", START + """
        <bpmn:parallelGateway id="split"/>
        <bpmn:userTask id="a" camunda:assignee="mueller"/>
        <bpmn:userTask id="b" camunda:assignee="mueller"/>
        <bpmn:userTask id="c" camunda:assignee="mueller"/>
        <bpmn:parallelGateway id="join"/>
        <bpmn:userTask id="after" camunda:assignee="mueller"/>""" + END,
        [("f0", "start", "split"), ("fa", "split", "a"), ("fb", "split", "b"),
         ("fc", "split", "c"), ("ja", "a", "join"), ("jb", "b", "join"), ("jc", "c", "join"),
         ("f1", "join", "after"), ("f2", "after", "end")]))
    instance = flow.start("par")
    branch = flow.open_tasks(instance)
    assert sorted(t.element_id for t in branch) == ["a", "b", "c"]
    for task in branch[:2]:
        flow.complete("mueller", task.id)
        assert "after" not in [t.element_id for t in flow.open_tasks(instance)]
    flow.complete("mueller", branch[2].id)
    after = flow.open_tasks(instance)
    assert [t.element_id for t in after] == ["after"]
    flow.complete("mueller", after[0].id)
    assert flow.status(instance)["status"] == "completed"


def test_parallel_multi_instance_with_completion_condition(flow: Flow) -> None:
    flow.deploy(bpmn("mi", START + """
        <bpmn:userTask id="cosign" name="Mitzeichnung" camunda:assignee="${cosigner}">
          <bpmn:multiInstanceLoopCharacteristics camunda:collection="${cosigners}"
              camunda:elementVariable="cosigner">
            <bpmn:completionCondition xsi:type="bpmn:tFormalExpression">${refused}
            </bpmn:completionCondition>
          </bpmn:multiInstanceLoopCharacteristics>
        </bpmn:userTask>
        <bpmn:userTask id="next" camunda:assignee="mueller"/>""" + END,
        [("f0", "start", "cosign"), ("f1", "cosign", "next"), ("f2", "next", "end")]))
    instance = flow.start("mi", cosigners=["weber", "schmidt", "post"], refused=False)
    open_ = flow.open_tasks(instance)
    assert sorted(t.assignee for t in open_) == ["post", "schmidt", "weber"]
    flow.complete("weber", next(t.id for t in open_ if t.assignee == "weber"), refused=False)
    assert len(flow.open_tasks(instance)) == 2
    flow.complete("post", next(t.id for t in open_ if t.assignee == "post"), refused=True)
    remaining = flow.open_tasks(instance)
    assert [t.element_id for t in remaining] == ["next"]  # schmidt's task was cancelled


def test_sequential_multi_instance_goes_one_by_one(flow: Flow) -> None:
    flow.deploy(bpmn("seq", START + """
        <bpmn:userTask id="sign" camunda:assignee="${who}">
          <bpmn:multiInstanceLoopCharacteristics isSequential="true"
              camunda:collection="${people}" camunda:elementVariable="who"/>
        </bpmn:userTask>""" + END, [("f0", "start", "sign"), ("f1", "sign", "end")]))
    instance = flow.start("seq", people=["weber", "mueller"])
    first = flow.open_tasks(instance)
    assert [t.assignee for t in first] == ["weber"]
    flow.complete("weber", first[0].id)
    second = flow.open_tasks(instance)
    assert [t.assignee for t in second] == ["mueller"]
    flow.complete("mueller", second[0].id)
    assert flow.status(instance)["status"] == "completed"


def test_embedded_subprocess_and_terminate(flow: Flow) -> None:
    flow.deploy(bpmn("sub", START + """
        <bpmn:subProcess id="inner">
          <bpmn:startEvent id="is"><bpmn:outgoing>i1</bpmn:outgoing></bpmn:startEvent>
          <bpmn:parallelGateway id="ifork"><bpmn:incoming>i1</bpmn:incoming>
            <bpmn:outgoing>i2</bpmn:outgoing><bpmn:outgoing>i3</bpmn:outgoing></bpmn:parallelGateway>
          <bpmn:userTask id="work" camunda:assignee="mueller"><bpmn:incoming>i2</bpmn:incoming>
            <bpmn:outgoing>i4</bpmn:outgoing></bpmn:userTask>
          <bpmn:userTask id="other" camunda:assignee="mueller"><bpmn:incoming>i3</bpmn:incoming>
            <bpmn:outgoing>i5</bpmn:outgoing></bpmn:userTask>
          <bpmn:endEvent id="kill"><bpmn:incoming>i4</bpmn:incoming>
            <bpmn:terminateEventDefinition/></bpmn:endEvent>
          <bpmn:endEvent id="ie"><bpmn:incoming>i5</bpmn:incoming></bpmn:endEvent>
          <bpmn:sequenceFlow id="i1" sourceRef="is" targetRef="ifork"/>
          <bpmn:sequenceFlow id="i2" sourceRef="ifork" targetRef="work"/>
          <bpmn:sequenceFlow id="i3" sourceRef="ifork" targetRef="other"/>
          <bpmn:sequenceFlow id="i4" sourceRef="work" targetRef="kill"/>
          <bpmn:sequenceFlow id="i5" sourceRef="other" targetRef="ie"/>
        </bpmn:subProcess>
        <bpmn:userTask id="after" camunda:assignee="mueller"/>""" + END,
        [("f0", "start", "inner"), ("f1", "inner", "after"), ("f2", "after", "end")]))
    instance = flow.start("sub")
    inside = {t.element_id: t for t in flow.open_tasks(instance)}
    assert set(inside) == {"work", "other"}
    flow.complete("mueller", inside["work"].id)  # terminate ends the subprocess only
    assert [t.element_id for t in flow.open_tasks(instance)] == ["after"]
    statuses = {t["element"]: t["status"] for t in flow.status(instance)["tasks"]}
    assert statuses["other"] == "cancelled"


def test_intermediate_timer_waits_for_its_date(flow: Flow) -> None:
    flow.deploy(bpmn("wv", START + """
        <bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition>
          <bpmn:timeDate>${resubmitOn}</bpmn:timeDate></bpmn:timerEventDefinition>
        </bpmn:intermediateCatchEvent>
        <bpmn:userTask id="again" name="Wiedervorlage" camunda:assignee="mueller"/>""" + END,
        [("f0", "start", "wait"), ("f1", "wait", "again"), ("f2", "again", "end")]))
    when = utcnow() + timedelta(days=3)
    instance = flow.start("wv", resubmitOn=when.isoformat())
    assert flow.open_tasks(instance) == []
    assert jobs.run_due(flow.app) == []
    outcomes = jobs.run_due(flow.app, now=when + timedelta(seconds=1))
    assert [o.ok for o in outcomes] == [True]
    assert [t.element_id for t in flow.open_tasks(instance)] == ["again"]


def test_boundary_timers_escalate_and_interrupt(flow: Flow) -> None:
    flow.deploy(bpmn("esc", START + """
        <bpmn:userTask id="work" camunda:assignee="mueller"/>
        <bpmn:boundaryEvent id="remind" attachedToRef="work" cancelActivity="false">
          <bpmn:timerEventDefinition><bpmn:timeDuration>P3D</bpmn:timeDuration>
          </bpmn:timerEventDefinition></bpmn:boundaryEvent>
        <bpmn:boundaryEvent id="timeout" attachedToRef="work">
          <bpmn:timerEventDefinition><bpmn:timeDuration>P10D</bpmn:timeDuration>
          </bpmn:timerEventDefinition></bpmn:boundaryEvent>
        <bpmn:serviceTask id="notify" camunda:type="external" camunda:topic="notify"/>
        <bpmn:userTask id="boss" camunda:assignee="admin"/>
        <bpmn:endEvent id="e2"/><bpmn:endEvent id="e3"/>""" + END,
        [("f0", "start", "work"), ("f1", "work", "end"), ("r1", "remind", "notify"),
         ("r2", "notify", "e2"), ("t1", "timeout", "boss"), ("t2", "boss", "e3")]))
    instance = flow.start("esc")
    now = utcnow()
    jobs.run_due(flow.app, now=now + timedelta(days=3, minutes=1))
    work = flow.open_tasks(instance)
    assert [t.element_id for t in work] == ["work"] and work[0].escalated
    jobs.run_due(flow.app, now=now + timedelta(days=10, minutes=1))
    assert [t.element_id for t in flow.open_tasks(instance)] == ["boss"]


def test_failing_service_task_retries_then_raises_an_incident(flow: Flow) -> None:
    from workflows.handlers import HANDLERS

    calls: list[int] = []

    def flaky(call):  # type: ignore[no-untyped-def]
        calls.append(call.instance_id)
        if len(calls) < 4:
            raise RuntimeError("Finanzsystem nicht erreichbar")
        return {"exported": True}

    HANDLERS["test-flaky"] = flaky
    try:
        flow.deploy(bpmn("svc", START + """
            <bpmn:serviceTask id="export" camunda:type="external" camunda:topic="test-flaky"/>
            """ + END, [("f0", "start", "export"), ("f1", "export", "end")]))
        instance = flow.start("svc")
        later = utcnow()
        for _ in range(3):
            later += timedelta(hours=1)
            jobs.run_due(flow.app, now=later)
        status = flow.status(instance)
        assert status["status"] == "running"
        assert status["jobs"][0]["status"] == "incident"
        assert "Finanzsystem" in status["jobs"][0]["error"]
        job_id = status["jobs"][0]["id"]
        with pytest.raises(PermissionDenied):
            flow.act("mueller", jobs.retry_incident, job_id)
        flow.act("admin", jobs.retry_incident, job_id)
        jobs.run_due(flow.app, now=later + timedelta(hours=1))
        done = flow.status(instance)
        assert done["status"] == "completed" and done["variables"]["exported"] is True
    finally:
        del HANDLERS["test-flaky"]


def test_instance_stays_on_its_version(flow: Flow) -> None:
    one = bpmn("ver", START + '<bpmn:userTask id="v1" camunda:assignee="mueller"/>' + END,
               [("f0", "start", "v1"), ("f1", "v1", "end")])
    two = bpmn("ver", START + '<bpmn:userTask id="v2" camunda:assignee="mueller"/>' + END,
               [("f0", "start", "v2"), ("f1", "v2", "end")])
    first = flow.deploy(one)
    assert flow.deploy(one) == first  # unchanged file: no new version
    old = flow.start("ver")
    flow.deploy(two)
    new = flow.start("ver")
    assert flow.status(old)["version"] == 1 and flow.status(new)["version"] == 2
    flow.complete("mueller", flow.open_tasks(old)[0].id)
    assert flow.status(old)["status"] == "completed"


def test_inbox_reasons_claims_deputies_and_permissions(flow: Flow) -> None:
    flow.deploy(bpmn("inbox", START + """
        <bpmn:parallelGateway id="split"/>
        <bpmn:userTask id="mine" name="Eigene" camunda:assignee="mueller"/>
        <bpmn:userTask id="grp" name="Amt 63" camunda:candidateGroups="63"/>
        <bpmn:parallelGateway id="join"/>""" + END,
        [("f0", "start", "split"), ("a", "split", "mine"), ("b", "split", "grp"),
         ("c", "mine", "join"), ("d", "grp", "join"), ("e", "join", "end")]))
    instance = flow.start("inbox")
    tasks_by_element = {t.element_id: t for t in flow.open_tasks(instance)}
    assert {t.element_id for t in flow.inbox("mueller")} == {"mine", "grp"}
    assert {t.element_id for t in flow.inbox("mueller", "groups")} == {"grp"}
    # weber stands in for mueller (demo data): mueller's own task, not the group's
    assert {t.element_id for t in flow.inbox("weber")} == {"mine"}
    assert {t.element_id for t in flow.inbox("weber", "deputy")} == {"mine"}
    assert flow.inbox("post") == []
    grp = tasks_by_element["grp"]
    with pytest.raises(NotFound):
        flow.complete("post", grp.id)
    flow.act("mueller", tasks.claim, grp.id)
    flow.act("mueller", tasks.forward, grp.id, "weber")
    assert "grp" in {t.element_id for t in flow.inbox("weber", "mine")}
    flow.complete("weber", grp.id)
    flow.complete("weber", tasks_by_element["mine"].id)  # as deputy
    assert flow.status(instance)["status"] == "completed"
