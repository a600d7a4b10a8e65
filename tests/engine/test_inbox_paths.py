"""The inbox's three access paths (own, deputised, offered) give exactly what the plain rule
says, in every view and sort and on every page; and the candidate rows' denormalised
"offered" state and due date follow the task through claim, release, forward, complete and
cancellation."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from dms.models import utcnow
from dms.services.context import SYSTEM
from tests.engine.conftest import Flow
from tests.engine.helpers import bpmn
from tests.support.actors import as_user
from workflows import engine, tasks
from workflows.identity import Reach, reach_of
from workflows.inbox import InboxFilter, inbox_page
from workflows.models import Task, TaskCandidate, TaskExclusion

START, END = '<bpmn:startEvent id="start"/>', '<bpmn:endEvent id="end"/>'
VIEWS = ("all", "mine", "groups", "deputy", "overdue", "resubmission")


def _random_tasks(flow: Flow, instance_id: int, groups: list[str]) -> None:
    """80 tasks: assigned, offered to users and groups (some to two of one person's keys
    at once), closed ones, four-eyes exclusions, equal due dates to test the tie-break."""
    rng = random.Random(7)
    now = utcnow()
    dues = [now + timedelta(days=d) for d in (-3, -1, 2, 5)]
    with flow.app.unit(SYSTEM) as ctx:
        for n in range(80):
            assignee = rng.choice(["mueller", "weber", "post", None, None, None])
            due = rng.choice([None, *dues])
            task = Task(
                instance_id=instance_id, element_id=f"t{n}", name=f"Aufgabe {n} "
                + rng.choice(["Bauantrag", "Widerspruch"]), assignee=assignee,
                status=rng.choice(["open"] * 5 + ["completed"]), due_at=due,
                follow_up_at=rng.choice([None, now - timedelta(days=1), now + timedelta(3)]),
                priority=rng.choice([50, 80]), created_at=now - timedelta(hours=rng.randint(0, 9)),
            )
            ctx.db.add(task)
            ctx.db.flush()
            keys = rng.sample([("user", "mueller"), ("user", "weber"), *(
                ("group", g) for g in groups)], rng.choice([0, 1, 1, 2]))
            for kind, value in keys:
                ctx.db.add(TaskCandidate(task_id=task.id, kind=kind, value=value,
                                         offered=task.status == "open" and assignee is None,
                                         due_at=due))
            if rng.random() < 0.15:
                ctx.db.add(TaskExclusion(task_id=task.id, username=rng.choice(
                    ["mueller", "weber"])))


def _expected(flow: Flow, reach: Reach, flt: InboxFilter) -> list[int]:
    """The rule, read straight from the tables."""
    now = utcnow()
    end_of_today = now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    with flow.app.unit(SYSTEM) as ctx:
        rows = list(ctx.db.scalars(select(Task).where(Task.status == "open")))
        cands: dict[int, set[tuple[str, str]]] = {}
        for task_id, kind, value in ctx.db.execute(
                select(TaskCandidate.task_id, TaskCandidate.kind, TaskCandidate.value)):
            cands.setdefault(task_id, set()).add((kind, value))
        excluded = set(ctx.db.scalars(select(TaskExclusion.task_id).where(
            TaskExclusion.username == reach.username)))
    chosen = []
    for t in rows:
        mine = t.assignee == reach.username
        deputy = t.assignee in reach.absent_usernames and t.id not in excluded
        offered = t.assignee is None and t.id not in excluded and any(
            (k == "user" and v == reach.username) or (k == "group" and v in reach.groups)
            for k, v in cands.get(t.id, ()))
        ok = {"mine": mine, "groups": offered, "deputy": deputy}.get(
            flt.view, mine or deputy or offered)
        if flt.view == "overdue":
            ok = ok and t.due_at is not None and t.due_at < now
        if flt.view == "resubmission":
            ok = ok and t.follow_up_at is not None and t.follow_up_at < end_of_today
        if flt.search:
            ok = ok and flt.search.lower() in t.name.lower()
        if ok:
            chosen.append(t)
    far = now + timedelta(days=10_000)

    def due_key(t: Task) -> tuple[bool, Any]:
        return (t.due_at is None, t.due_at or far)

    if flt.sort == "created":
        chosen.sort(key=lambda t: (t.created_at, t.id), reverse=True)
    elif flt.sort == "priority":
        chosen.sort(key=lambda t: (-t.priority, *due_key(t), t.id))
    else:
        chosen.sort(key=lambda t: (*due_key(t), t.id))
    return [t.id for t in chosen]


@pytest.fixture
def loaded(flow: Flow) -> tuple[Flow, dict[str, Reach]]:
    flow.deploy(bpmn("holder", START + '<bpmn:userTask id="hold" camunda:assignee="post"/>'
                     + END, [("f0", "start", "hold"), ("f1", "hold", "end")]))
    instance = flow.start("holder")
    reaches = {}
    for user in ("mueller", "weber"):
        with as_user(flow.app, user) as ctx:
            reaches[user] = reach_of(ctx.db, ctx.actor)
    groups = sorted(reaches["mueller"].groups | reaches["weber"].groups | {"other-group"})
    _random_tasks(flow, instance, groups)
    return flow, reaches


def test_every_view_sort_and_page_matches_the_rule(loaded: tuple[Flow, dict[str, Reach]]
                                                   ) -> None:
    flow, reaches = loaded
    assert reaches["weber"].absent_usernames == ["mueller"]  # demo data: weber stands in
    seen_nonempty = set()
    for user, reach in reaches.items():
        for view in VIEWS:
            for sort in ("due", "created", "priority"):
                flt = InboxFilter(view=view, sort=sort, limit=200)
                expected = _expected(flow, reach, flt)
                with as_user(flow.app, user) as ctx:
                    page = inbox_page(ctx, flt)
                    assert [i.task.id for i in page.items] == expected, (user, view, sort)
                    assert (page.total, page.total_exact) == (len(expected), True)
                    # pages of 7 put together are the whole list
                    paged: list[int] = []
                    for offset in range(0, len(expected) + 7, 7):
                        paged += [i.task.id for i in inbox_page(ctx, InboxFilter(
                            view=view, sort=sort, limit=7, offset=offset)).items]
                    assert paged == expected, (user, view, sort, "paged")
                if expected:
                    seen_nonempty.add(view)
    assert seen_nonempty == set(VIEWS)  # the data reaches every path
    flt = InboxFilter(search="bauantrag")
    with as_user(flow.app, "mueller") as ctx:
        found = [i.task.id for i in inbox_page(ctx, flt).items]
    assert found == _expected(flow, reaches["mueller"], flt) and found


def test_count_is_capped_and_says_so(loaded: tuple[Flow, dict[str, Reach]]) -> None:
    flow, reaches = loaded
    full = len(_expected(flow, reaches["mueller"], InboxFilter()))
    with as_user(flow.app, "mueller") as ctx:
        capped = inbox_page(ctx, InboxFilter(limit=3), count_cap=2)
        exact = inbox_page(ctx, InboxFilter(limit=3), count_cap=full)
        unknown = inbox_page(ctx, InboxFilter(view="unbekannt", limit=3))  # as "all"
    assert [i.task.id for i in unknown.items] == [i.task.id for i in exact.items]
    assert not capped.total_exact and 2 <= capped.total < full and len(capped.items) == 3
    assert (exact.total, exact.total_exact) == (full, True)


def _candidate_state(flow: Flow, task_id: int) -> set[tuple[str, bool]]:
    with flow.app.unit(SYSTEM) as ctx:
        return {(v, o) for v, o in ctx.db.execute(select(
            TaskCandidate.value, TaskCandidate.offered).where(TaskCandidate.task_id == task_id))}


def test_candidate_rows_follow_the_task(flow: Flow) -> None:
    flow.deploy(bpmn("offer", START + """
        <bpmn:userTask id="grp" name="Amt 63" camunda:candidateGroups="63,other"
            camunda:dueDate="P3D"/>""" + END,
        [("f0", "start", "grp"), ("f1", "grp", "end")]))
    instance = flow.start("offer")
    task = flow.open_tasks(instance)[0]
    with flow.app.unit(SYSTEM) as ctx:
        dues = set(ctx.db.scalars(select(TaskCandidate.due_at).where(
            TaskCandidate.task_id == task.id)))
    assert task.due_at is not None and dues == {task.due_at}
    assert _candidate_state(flow, task.id) == {("63", True), ("other", True)}
    assert task.id in {t.id for t in flow.inbox("mueller", "groups")}
    flow.act("mueller", tasks.claim, task.id)
    assert _candidate_state(flow, task.id) == {("63", False), ("other", False)}
    assert task.id not in {t.id for t in flow.inbox("mueller", "groups")}
    assert task.id in {t.id for t in flow.inbox("mueller", "mine")}
    flow.act("mueller", tasks.release, task.id)
    assert _candidate_state(flow, task.id) == {("63", True), ("other", True)}
    flow.act("mueller", tasks.forward, task.id, "weber")
    assert _candidate_state(flow, task.id) == {("63", False), ("other", False)}
    flow.act("weber", tasks.release, task.id)
    flow.complete("mueller", task.id)
    assert _candidate_state(flow, task.id) == {("63", False), ("other", False)}
    assert flow.status(instance)["status"] == "completed"

    second = flow.start("offer")
    waiting = flow.open_tasks(second)[0]
    assert _candidate_state(flow, waiting.id) == {("63", True), ("other", True)}
    with flow.app.unit(SYSTEM) as ctx:
        engine.cancel(ctx, second, "Test")
    assert _candidate_state(flow, waiting.id) == {("63", False), ("other", False)}
    assert waiting.id not in {t.id for t in flow.inbox("mueller")}
