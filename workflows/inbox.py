"""The clerk's inbox: my tasks, my groups' tasks, tasks of colleagues I stand in for; each
with the reason it is here. Reading only: changes go through workflows.tasks.

The rule: an open task is in my inbox when it is assigned to me, or assigned to someone I
stand in for today (Vertretung), or unassigned and offered to me or one of my groups; the
last two not when four-eyes excludes me (wf_task_exclusions). With a million open tasks
this is read as separate access paths, each from its own index in the page's order with the
limit pushed down (migration 0010), merged, and counted only up to COUNT_CAP."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, or_, select, union

from dms.models import utcnow
from dms.services.context import Ctx
from workflows.four_eyes import excluded_task_ids
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


def _end_of_today() -> datetime:
    today = utcnow().date()
    return datetime.combine(today + timedelta(days=1), time.min, tzinfo=UTC)


VIEWS = ("all", "mine", "groups", "deputy", "overdue", "resubmission")

#: the count stops here ("mehr als 10000"): counting is the part of the inbox that grows
#: with the number of tasks, and nobody pages through ten thousand of them
COUNT_CAP = 10_000


@dataclass(frozen=True)
class InboxPage:
    items: list[InboxItem]
    total: int  # with total_exact False a lower bound: "mehr als {total}"
    total_exact: bool = True


def _needs_task(flt: InboxFilter) -> bool:
    """Whether the offered path must read the task row (a filter or sort the candidate row
    does not carry, or a filter that must be exact even if a task's due date was changed
    behind workflows.offers' back); the default inbox (sorted by due date) never does."""
    return bool(flt.view in ("overdue", "resubmission") or flt.instance_id is not None
                or flt.search or flt.sort in ("created", "priority"))


def _keys(sort: str, id_col: Any, due: Any, created: Any, priority: Any) -> list[Any]:
    """The order of SORTS, written so that PostgreSQL can walk the indexes: due date
    ascending with NULLS LAST is the same order as (due_at IS NULL, due_at)."""
    if sort == "created":
        return [created.desc(), id_col.desc()]
    if sort == "priority":
        return [priority.desc(), due.asc().nulls_last(), id_col]
    return [due.asc().nulls_last(), id_col]


def _sort_columns(sort: str, id_col: Any, due: Any, created: Any, priority: Any) -> list[Any]:
    columns = [id_col.label("id"), due.label("due_at")]
    if sort == "created":
        columns.append(created.label("created_at"))
    if sort == "priority":
        columns.append(priority.label("priority"))
    return columns


def _filtered(query: Select[Any], flt: InboxFilter, now: datetime, due: Any) -> Select[Any]:
    if flt.view == "overdue":
        query = query.where(due < now)
    if flt.view == "resubmission":
        query = query.where(Task.follow_up_at < _end_of_today())
    if flt.instance_id is not None:
        query = query.where(Task.instance_id == flt.instance_id)
    if flt.search:
        like = f"%{flt.search.strip()}%"
        query = query.join(ProcessInstance, ProcessInstance.id == Task.instance_id).where(
            or_(Task.name.ilike(like), ProcessInstance.business_key.ilike(like)))
    return query


def _assigned_paths(people: list[str], reach: Reach, flt: InboxFilter, now: datetime,
                    *, deputised: bool) -> list[Select[Any]]:
    """Own or deputised tasks: one index range (assignee, due_at, id) per person."""
    paths = []
    for person in people:
        query = select(*_sort_columns(flt.sort, Task.id, Task.due_at, Task.created_at,
                                      Task.priority)).where(
            Task.assignee == person, Task.status == "open")
        if deputised:  # four-eyes: not offered to whoever did an earlier step it names
            query = query.where(Task.id.not_in(excluded_task_ids(reach.username)))
        paths.append(_filtered(query, flt, now, Task.due_at))
    return paths


def _offered_paths(reach: Reach, flt: InboxFilter, now: datetime) -> list[Select[Any]]:
    """Tasks offered to me or my groups: one range of the candidates' partial index per
    candidate key, without the task table unless a filter needs it."""
    c = TaskCandidate
    with_task = _needs_task(flt)
    keys = [("user", reach.username), *(("group", g) for g in sorted(reach.groups))]
    paths = []
    for kind, value in keys:
        due = Task.due_at if with_task else c.due_at
        query = select(*_sort_columns(flt.sort, c.task_id, due, Task.created_at,
                                      Task.priority)).where(
            c.kind == kind, c.value == value, c.offered,
            c.task_id.not_in(excluded_task_ids(reach.username)),
        )
        if with_task:
            query = query.join(Task, Task.id == c.task_id).where(
                Task.status == "open", Task.assignee.is_(None))
        paths.append(_filtered(query, flt, now, due))
    return paths


def _paths(reach: Reach, flt: InboxFilter, now: datetime
           ) -> tuple[list[Select[Any]], list[Select[Any]]]:
    """(assigned paths, offered paths) of the view; the three kinds never share a task:
    mine (assignee = me), deputised (assignee = someone I stand in for), offered (none)."""
    view = flt.view
    assigned: list[Select[Any]] = []
    offered: list[Select[Any]] = []
    if view in ("all", "mine", "overdue", "resubmission"):
        assigned += _assigned_paths([reach.username], reach, flt, now, deputised=False)
    if view in ("all", "deputy", "overdue", "resubmission"):
        absent = [u for u in reach.absent_usernames if u != reach.username]
        assigned += _assigned_paths(absent, reach, flt, now, deputised=True)
    if view in ("all", "groups", "overdue", "resubmission"):
        offered += _offered_paths(reach, flt, now)
    return assigned, offered


def _count(ctx: Ctx, assigned: list[Select[Any]], offered: list[Select[Any]],
           cap: int) -> tuple[int, bool]:
    """Count up to cap + 1 per path (one statement); a task offered to two of my groups
    counts once."""
    counts = [select(func.count()).select_from(p.limit(cap + 1).subquery()).scalar_subquery()
              for p in assigned]
    if offered:
        ids = union(*[select(p.subquery().c.id) for p in offered]).limit(cap + 1).subquery()
        counts.append(select(func.count()).select_from(ids).scalar_subquery())
    if not counts:
        return 0, True
    found = [int(n or 0) for n in ctx.db.execute(select(*counts)).one()]
    exact = all(n <= cap for n in found)
    return sum(min(n, cap) for n in found), exact


def _page_ids(ctx: Ctx, paths: list[Select[Any]], flt: InboxFilter, limit: int,
              offset: int) -> list[int]:
    """Each path sorted and cut to offset + limit by its own index, then merged."""
    cut = [p.order_by(*_keys(flt.sort, *_path_cols(p))).limit(offset + limit)
           for p in paths]
    merged = union(*[select(*q.subquery().c) for q in cut]).subquery()
    order = _keys(flt.sort, merged.c.id, merged.c.due_at,
                  getattr(merged.c, "created_at", None), getattr(merged.c, "priority", None))
    return list(ctx.db.scalars(
        select(merged.c.id).order_by(*order).limit(limit).offset(offset)))


def _path_cols(path: Select[Any]) -> tuple[Any, Any, Any, Any]:
    cols = {c.key: c for c in path.selected_columns}
    return cols["id"], cols["due_at"], cols.get("created_at"), cols.get("priority")


def inbox_page(ctx: Ctx, flt: InboxFilter = InboxFilter(), *,
               count_cap: int = COUNT_CAP) -> InboxPage:
    """The first (or any) page of the inbox with its count, capped at count_cap.

    Three access paths (my tasks, deputised tasks, tasks offered to me or my groups), each
    sorted and limited by its own index and merged; only the page's rows are then read in
    full with their instance and process name."""
    reach = reach_of(ctx.db, ctx.actor)
    now = utcnow()
    flt = replace(flt, sort=flt.sort if flt.sort in SORTS else "due",
                  view=flt.view if flt.view in VIEWS else "all")
    assigned, offered = _paths(reach, flt, now)
    total, exact = _count(ctx, assigned, offered, count_cap)
    limit, offset = max(1, min(flt.limit, 200)), max(0, flt.offset)
    ids = _page_ids(ctx, [*assigned, *offered], flt, limit, offset) if total else []
    rows = ctx.db.execute(
        select(Task, ProcessDefinition.name, ProcessInstance)
        .join(ProcessInstance, ProcessInstance.id == Task.instance_id)
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .where(Task.id.in_(ids), Task.status == "open")
    ).all() if ids else []
    position = {task_id: n for n, task_id in enumerate(ids)}
    rows.sort(key=lambda row: position[row[0].id])
    offered_ids = [task.id for task, _, _ in rows if task.assignee is None]
    candidates: dict[int, list[tuple[str, str]]] = {}
    if offered_ids:
        for task_id, kind, value in ctx.db.execute(
            select(TaskCandidate.task_id, TaskCandidate.kind, TaskCandidate.value)
            .where(TaskCandidate.task_id.in_(offered_ids))
        ):
            candidates.setdefault(task_id, []).append((kind, value))
    items = [_item(task, name, inst, reach, now, candidates.get(task.id, []))
             for task, name, inst in rows]
    return InboxPage(items, total, exact)


def list_inbox(ctx: Ctx, flt: InboxFilter = InboxFilter()) -> tuple[list[InboxItem], int]:
    """The page and its count (beyond COUNT_CAP a lower bound; inbox_page says so)."""
    page = inbox_page(ctx, flt)
    return page.items, page.total


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
