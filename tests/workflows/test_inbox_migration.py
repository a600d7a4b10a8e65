"""Migration 0010 fills the candidate rows' denormalised task state for tasks that existed
before it: offered while the task is open and unclaimed, and the task's due date."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from dms.db import make_engine
from dms.migrations import downgrade, upgrade

DUE = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def test_upgrade_backfills_offered_and_due_date(database_url: str) -> None:
    downgrade(database_url, "0009")
    engine = make_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO wf_definitions (id, key, version, name, sha256, bpmn_xml, spec, "
            "deployed_at, deployed_by) VALUES (1, 'k', 1, 'K', 'x', '<x/>', '{}', :at, 'admin')"
        ), {"at": DUE})
        conn.execute(text(
            "INSERT INTO wf_instances (id, definition_id, status, started_at, started_by) "
            "VALUES (1, 1, 'running', :at, 'admin')"), {"at": DUE})
        for task_id, assignee, status, due in [(1, None, "open", DUE), (2, "mueller", "open", None),
                                               (3, None, "completed", DUE)]:
            conn.execute(text(
                "INSERT INTO wf_tasks (id, instance_id, element_id, name, kind, assignee, status, "
                "due_at, priority, escalated, created_at) VALUES (:id, 1, 'e', 'T', 'task', "
                ":assignee, :status, :due, 50, :no, :at)"),
                {"id": task_id, "assignee": assignee, "status": status, "due": due, "no": False,
                 "at": DUE})
            conn.execute(text("INSERT INTO wf_task_candidates (task_id, kind, value) "
                              "VALUES (:id, 'group', '63')"), {"id": task_id})
    upgrade(database_url)
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT task_id, offered, due_at FROM wf_task_candidates ORDER BY task_id")).all()
    engine.dispose()
    offered = {task_id: bool(flag) for task_id, flag, _ in rows}
    assert offered == {1: True, 2: False, 3: False}
    dues = {task_id: due for task_id, _, due in rows}
    assert dues[2] is None and dues[1] is not None and dues[3] is not None
    first = dues[1] if isinstance(dues[1], datetime) else datetime.fromisoformat(str(dues[1]))
    assert first.replace(tzinfo=first.tzinfo or UTC) == DUE
