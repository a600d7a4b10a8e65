"""An instance as people want to see it: state, variables, open tasks, history, incidents."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from dms.errors import NotFound
from dms.services.context import Ctx
from workflows.engine import instance_variables
from workflows.models import HistoryEntry, Job, ProcessDefinition, ProcessInstance, Task


def instance_status(ctx: Ctx, instance_id: int) -> dict[str, Any]:
    instance = ctx.db.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound(f"Prozessinstanz {instance_id} nicht gefunden / instance not found")
    definition = ctx.db.get(ProcessDefinition, instance.definition_id)
    assert definition is not None
    tasks = ctx.db.scalars(select(Task).where(Task.instance_id == instance.id)
                           .order_by(Task.id)).all()
    history = ctx.db.scalars(select(HistoryEntry).where(HistoryEntry.instance_id == instance.id)
                             .order_by(HistoryEntry.id)).all()
    jobs = ctx.db.scalars(select(Job).where(Job.instance_id == instance.id)).all()
    return {
        "id": instance.id, "key": definition.key, "version": definition.version,
        "name": definition.name, "status": instance.status, "error": instance.error,
        "business_key": instance.business_key, "case_id": instance.case_id,
        "document_id": instance.document_id, "started_at": instance.started_at,
        "started_by": instance.started_by,
        "ended_at": instance.ended_at, "variables": instance_variables(ctx, instance.id),
        "open_tasks": [_task(t) for t in tasks if t.status == "open"],
        "tasks": [_task(t) for t in tasks],
        "jobs": [{"id": j.id, "kind": j.kind, "element": j.element_id, "due_at": j.due_at,
                  "status": j.status, "attempts": j.attempts, "error": j.last_error}
                 for j in jobs],
        "history": [{"at": h.at, "event": h.event, "element": h.element_id, "actor": h.actor,
                     "details": h.details} for h in history],
    }


def _task(task: Task) -> dict[str, Any]:
    return {"id": task.id, "name": task.name, "element": task.element_id,
            "assignee": task.assignee, "status": task.status, "due_at": task.due_at,
            "completed_by": task.completed_by, "decision": task.decision, "remark": task.remark}
