"""Several worker processes on one PostgreSQL database: every job runs exactly once, every
parallel join fires once, every instance completes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dms.services.context import SYSTEM
from tests.engine.conftest import Flow
from tests.engine.helpers import bpmn
from workflows.models import HistoryEntry, Job, ProcessInstance

ROOT = Path(__file__).resolve().parents[2]
INSTANCES = 30


@pytest.mark.slow
@pytest.mark.parametrize("seeded", ["postgresql"], indirect=True)
def test_three_workers_run_each_job_exactly_once(flow: Flow) -> None:
    flow.deploy(bpmn("fanout", """
        <bpmn:startEvent id="start"/><bpmn:parallelGateway id="split"/>
        <bpmn:serviceTask id="a" camunda:type="external" camunda:topic="noop"/>
        <bpmn:serviceTask id="b" camunda:type="external" camunda:topic="noop"/>
        <bpmn:serviceTask id="c" camunda:type="external" camunda:topic="noop"/>
        <bpmn:parallelGateway id="join"/>
        <bpmn:serviceTask id="d" camunda:type="external" camunda:topic="noop"/>
        <bpmn:endEvent id="end"/>""",
        [("f0", "start", "split"), ("fa", "split", "a"), ("fb", "split", "b"),
         ("fc", "split", "c"), ("ja", "a", "join"), ("jb", "b", "join"), ("jc", "c", "join"),
         ("f1", "join", "d"), ("f2", "d", "end")]))
    instances = [flow.start("fanout") for _ in range(INSTANCES)]
    settings = flow.app.settings
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DMS_HOME": str(settings.home),
           "DMS_DATABASE_URL": settings.effective_database_url,
           "DMS_STORAGE_URL": settings.effective_storage_url}
    workers = [subprocess.Popen([sys.executable, "-m", "tests.support.worker_loop"], env=env,
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True) for _ in range(3)]
    counts = []
    for worker in workers:
        out, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err
        counts.append(int(out.split()[-1]))
    assert sum(counts) == INSTANCES * 4  # a, b, c, d per instance, each exactly once
    with flow.app.unit(SYSTEM) as ctx:
        done = ctx.db.scalar(select(func.count()).select_from(ProcessInstance).where(
            ProcessInstance.id.in_(instances), ProcessInstance.status == "completed"))
        left = ctx.db.scalar(select(func.count()).select_from(Job))
        per_element = ctx.db.execute(
            select(HistoryEntry.instance_id, HistoryEntry.element_id, func.count())
            .where(HistoryEntry.event.in_(("service.done", "joined")))
            .group_by(HistoryEntry.instance_id, HistoryEntry.element_id)).all()
    assert done == INSTANCES and left == 0
    assert len(per_element) == INSTANCES * 5 and all(n == 1 for _, _, n in per_element)
