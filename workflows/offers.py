"""Keeps the inbox's denormalised copy of a task's state on its candidate rows
(wf_task_candidates.offered and .due_at) in step with the task.

A task is offered (angeboten) to its candidate users and groups while it is open and nobody
has claimed it. The inbox finds a group's offered tasks from one partial index over the
candidate rows, without reading the task table, so every change of a task's status or
assignee must come through here, in the same transaction as the change itself.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from workflows.models import Task, TaskCandidate


def is_offered(task: Task) -> bool:
    return task.status == "open" and task.assignee is None


def refresh(db: Session, task: Task) -> None:
    """After claim, release, forward, complete or a new due date: one UPDATE by the
    candidate key's prefix (task_id); when the task has no candidates it touches nothing."""
    db.execute(
        update(TaskCandidate).where(TaskCandidate.task_id == task.id)
        .values(offered=is_offered(task), due_at=task.due_at)
        .execution_options(synchronize_session=False)
    )


def withdraw(db: Session, task_ids: Iterable[int] | Select[tuple[int]]) -> None:
    """Tasks cancelled or completed in bulk (a token removed, an interrupting boundary
    event): no longer offered to anyone."""
    ids = task_ids if isinstance(task_ids, Select) else list(task_ids)
    if not isinstance(ids, Select) and not ids:
        return
    db.execute(
        update(TaskCandidate)
        .where(TaskCandidate.task_id.in_(ids), TaskCandidate.offered.is_(True))
        .values(offered=False)
        .execution_options(synchronize_session=False)
    )


def open_task_ids(execution_ids: list[int]) -> Select[tuple[int]]:
    """The open tasks waiting at these executions (for withdraw, before they are cancelled)."""
    return select(Task.id).where(Task.execution_id.in_(execution_ids), Task.status == "open")
