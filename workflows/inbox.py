"""The clerk's inbox: my tasks, my groups' tasks, tasks of colleagues I stand in for; each
with the reason it is here. Reading only: changes go through workflows.tasks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select

from dms.models import utcnow
from dms.services.context import Ctx
from workflows.identity import Reach, reach_of
from workflows.models import ProcessDefinition, ProcessInstance, Task, TaskCandidate

SORTS = {
    "due": (Task.due_at.is_(None), Task.due_at, Task.id),
    "created": (Task.created_at.desc(), Task.id.desc()),
    "priority": (Task.priority.desc(), Task.due_at.is_(None), Task.due_at, Task.id),
}


@dataclass(frozen=True)
class InboxFilter:
    view: str = "all"  # all | mine | groups | deputy | overdue | resubmission
    instance_id: int | None = None
    search: str | None = None
    sort: str = "due"
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True)
class InboxItem:
    task: Task
    reason: str
    reason_code: str  # assigned | candidate | group | deputy
    overdue: bool
    process_name: str
    business_key: str | None
    case_id: int | None
    document_id: int | None


def candidate_ids(reach: Reach):  # type: ignore[no-untyped-def]
    who = and_(TaskCandidate.kind == "user", TaskCandidate.value == reach.username)
    if reach.groups:
        who = or_(who, and_(TaskCandidate.kind == "group",
                            TaskCandidate.value.in_(sorted(reach.groups))))
    return select(TaskCandidate.task_id).where(who)


def reach_condition(reach: Reach, view: str = "all") -> ColumnElement[bool]:
    """Open tasks this person may work on, per view."""
    mine = Task.assignee == reach.username
    offered = and_(Task.assignee.is_(None), Task.id.in_(candidate_ids(reach)))
    deputy = Task.assignee.in_(reach.absent_usernames) if reach.stand_ins else None
    parts = {"mine": [mine], "groups": [offered], "deputy": [deputy] if deputy is not None else []}
    chosen = parts.get(view) if view in parts else [mine, offered, *parts["deputy"]]
    if not chosen:
        return Task.id.is_(None)
    return and_(Task.status == "open", or_(*chosen))


def _end_of_today() -> datetime:
    today = utcnow().date()
    return datetime.combine(today + timedelta(days=1), time.min, tzinfo=UTC)


def list_inbox(ctx: Ctx, flt: InboxFilter = InboxFilter()) -> tuple[list[InboxItem], int]:
    reach = reach_of(ctx.db, ctx.actor)
    condition = reach_condition(reach, flt.view if flt.view in ("mine", "groups", "deputy")
                                else "all")
    query = (
        select(Task, ProcessDefinition.name, ProcessInstance)
        .join(ProcessInstance, ProcessInstance.id == Task.instance_id)
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .where(condition)
    )
    now = utcnow()
    if flt.view == "overdue":
        query = query.where(Task.due_at < now)
    if flt.view == "resubmission":
        query = query.where(Task.follow_up_at < _end_of_today())
    if flt.instance_id is not None:
        query = query.where(Task.instance_id == flt.instance_id)
    if flt.search:
        like = f"%{flt.search.strip()}%"
        query = query.where(or_(Task.name.ilike(like), ProcessInstance.business_key.ilike(like)))
    total = ctx.db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = ctx.db.execute(
        query.order_by(*SORTS.get(flt.sort, SORTS["due"]))
        .limit(max(1, min(flt.limit, 200))).offset(max(0, flt.offset))
    ).all()
    offered = [task.id for task, _, _ in rows if task.assignee is None]
    candidates: dict[int, list[tuple[str, str]]] = {}
    if offered:
        for task_id, kind, value in ctx.db.execute(
            select(TaskCandidate.task_id, TaskCandidate.kind, TaskCandidate.value)
            .where(TaskCandidate.task_id.in_(offered))
        ):
            candidates.setdefault(task_id, []).append((kind, value))
    items = [_item(task, name, inst, reach, now, candidates.get(task.id, []))
             for task, name, inst in rows]
    return items, int(total)


def _item(task: Task, process_name: str, instance: ProcessInstance, reach: Reach,
          now: datetime, candidates: list[tuple[str, str]]) -> InboxItem:
    reason_code, reason = explain(task, reach, candidates)
    return InboxItem(
        task=task, reason=reason, reason_code=reason_code,
        overdue=task.due_at is not None and task.due_at < now, process_name=process_name,
        business_key=instance.business_key, case_id=instance.case_id,
        document_id=instance.document_id,
    )


def explain(task: Task, reach: Reach, candidates: list[tuple[str, str]] | None = None
            ) -> tuple[str, str]:
    """Why this task is in this person's inbox, in words."""
    escalated = " (eskaliert)" if task.escalated else ""
    if task.assignee == reach.username:
        if task.delegated_from:
            return "assigned", f"Von {task.delegated_from} an Sie weitergeleitet{escalated}"
        return "assigned", f"Ihnen zugewiesen{escalated}"
    for stand_in in reach.stand_ins:
        if task.assignee == stand_in.username:
            until = f" bis {stand_in.until:%d.%m.%Y}" if stand_in.until else ""
            return "deputy", f"Vertretung für {stand_in.display_name}{until}{escalated}"
    if candidates is not None:
        groups = sorted(v for k, v in candidates if k == "group" and v in reach.groups)
        if groups:
            return "group", f"Aufgabe Ihrer Gruppe {', '.join(groups)}{escalated}"
    return "candidate", f"Ihnen oder Ihrer Gruppe angeboten{escalated}"
