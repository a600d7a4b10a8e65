"""Property tests over random well-formed models: every token ends, every parallel join fires
exactly once, and no task is lost or completed twice."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from dms.errors import Conflict
from dms.services.context import SYSTEM
from tests.engine.conftest import Flow
from tests.engine.helpers import bpmn
from workflows.models import Execution, HistoryEntry, Task

# A model is a sequence of blocks: ("task",), ("par", k) or ("xor", k): a parallel split into
# k tasks that join again, or an exclusive choice of one of k tasks by the variable `pick`.
blocks = st.lists(
    st.one_of(st.tuples(st.just("task")),
              st.tuples(st.just("par"), st.integers(2, 4)),
              st.tuples(st.just("xor"), st.integers(2, 3))),
    min_size=1, max_size=5,
)
_counter = itertools.count()


def _model(key: str, shape: list[tuple]) -> tuple[bytes, int, int]:
    """BPMN for the shape; returns xml, the number of tasks a run completes, and joins."""
    body, flows, ids = ['<bpmn:startEvent id="start"/>'], [], itertools.count()
    last, expected_tasks, joins = "start", 0, 0

    def flow(source: str, target: str, condition: str | None = None) -> None:
        fid = f"f{next(ids)}"
        flows.append((fid, source, target, condition) if condition else (fid, source, target))

    for index, block in enumerate(shape):
        if block[0] == "task":
            task = f"t{index}"
            body.append(f'<bpmn:userTask id="{task}" camunda:assignee="mueller"/>')
            flow(last, task)
            last, expected_tasks = task, expected_tasks + 1
            continue
        gate_in, gate_out = f"g{index}a", f"g{index}b"
        kind = "parallelGateway" if block[0] == "par" else "exclusiveGateway"
        body.append(f'<bpmn:{kind} id="{gate_in}"/><bpmn:{kind} id="{gate_out}"/>')
        flow(last, gate_in)
        for branch in range(block[1]):
            task = f"t{index}_{branch}"
            body.append(f'<bpmn:userTask id="{task}" camunda:assignee="mueller"/>')
            condition = f"${{pick == {branch}}}" if block[0] == "xor" else None
            flow(gate_in, task, condition)
            flow(task, gate_out)
        last = gate_out
        expected_tasks += block[1] if block[0] == "par" else 1
        joins += block[0] == "par"
    body.append('<bpmn:endEvent id="end"/>')
    flow(last, "end")
    return bpmn(key, "".join(body), flows), expected_tasks, joins


@pytest.mark.slow
@pytest.mark.parametrize("seeded", ["sqlite"], indirect=True)
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shape=blocks, seed=st.integers(0, 10_000))
def test_random_models_run_to_completion(flow: Flow, shape: list[tuple], seed: int) -> None:
    rng = random.Random(seed)
    key = f"prop{next(_counter)}"
    xml, expected_tasks, joins = _model(key, shape)
    flow.deploy(xml)
    instance = flow.start(key, pick=rng.randrange(2))
    completed: set[int] = set()
    for _ in range(100):
        open_tasks = flow.open_tasks(instance)
        if not open_tasks:
            break
        task = rng.choice(open_tasks)
        assert task.id not in completed
        flow.complete("mueller", task.id)
        completed.add(task.id)
        with pytest.raises(Conflict):  # a completed task cannot be completed again
            flow.complete("mueller", task.id)
    assert flow.status(instance)["status"] == "completed"
    assert len(completed) == expected_tasks
    with flow.app.unit(SYSTEM) as ctx:
        tokens = ctx.db.scalar(select(func.count()).select_from(Execution)
                               .where(Execution.instance_id == instance))
        fired = ctx.db.scalar(select(func.count()).select_from(HistoryEntry).where(
            HistoryEntry.instance_id == instance, HistoryEntry.event == "joined"))
        cancelled = ctx.db.scalar(select(func.count()).select_from(Task).where(
            Task.instance_id == instance, Task.status != "completed"))
    assert tokens == 0  # every token and scope is gone
    assert fired == joins  # each parallel join fired exactly once
    assert cancelled == 0  # no task was lost on the way

