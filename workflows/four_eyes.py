"""Four-eyes (Vier-Augen-Prinzip) for user tasks: whoever completed the tasks a model names in
``fourEyes`` may not claim or complete this one, and the inbox does not offer it to them.

The engine writes the excluded people beside a task when it creates it (table
``wf_task_exclusions``), which is what the inbox filters by. Claim, complete and forward check
again against the completed tasks themselves, so a task whose named predecessor completes
later (on a parallel branch) is still refused to its completer.
"""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from dms.errors import PermissionDenied
from workflows.models import Task, TaskExclusion
from workflows.spec import FlowNode, UserTask


def _names(element: FlowNode | None) -> tuple[str, ...]:
    return element.four_eyes if isinstance(element, UserTask) else ()


def record_exclusions(db: Session, task: Task, element: UserTask) -> list[str]:
    """Exclude the completers of the named earlier tasks of this instance from `task`."""
    if not element.four_eyes:
        return []
    rows = db.execute(
        select(Task.completed_by, Task.id).where(
            Task.instance_id == task.instance_id, Task.element_id.in_(element.four_eyes),
            Task.status == "completed", Task.completed_by.is_not(None),
        ).order_by(Task.id)
    ).all()
    excluded: dict[str, int] = {}
    for username, source_id in rows:
        excluded.setdefault(username, source_id)
    for username, source_id in excluded.items():
        db.add(TaskExclusion(task_id=task.id, username=username, source_task_id=source_id))
    return sorted(excluded)


def excluded_task_ids(username: str) -> Select[tuple[int]]:
    """Tasks this person may not work on (for the inbox query)."""
    return select(TaskExclusion.task_id).where(TaskExclusion.username == username)


def earlier_step(db: Session, task: Task, element: FlowNode | None, username: str) -> str | None:
    """The name of the earlier step that excludes `username` from `task`, or None. Tasks
    whose element names no ``fourEyes`` cost no query."""
    if not _names(element):
        return None
    name = db.scalar(
        select(Task.name).join(TaskExclusion, TaskExclusion.source_task_id == Task.id)
        .where(TaskExclusion.task_id == task.id, TaskExclusion.username == username).limit(1)
    )
    if name is None:
        name = db.scalar(select(Task.name).where(
            Task.instance_id == task.instance_id, Task.element_id.in_(_names(element)),
            Task.status == "completed", Task.completed_by == username,
        ).limit(1))
    return name


def refuse_if_excluded(db: Session, task: Task, element: FlowNode | None, username: str,
                       *, what: str = "bearbeiten") -> None:
    """PermissionDenied (German first) when `username` did an earlier step of `task`."""
    step = earlier_step(db, task, element, username)
    if step is not None:
        raise PermissionDenied(
            f"Vier-Augen-Prinzip: {username} hat bereits „{step}“ erledigt und darf "
            f"„{task.name}“ nicht {what} / four-eyes principle: the same person may not "
            "do this step after an earlier check"
        )
