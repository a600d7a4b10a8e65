"""Working on tasks: open, claim, release, forward, complete, mark as read (Kenntnisnahme).
The rules of who may do what live here; the engine step after completion runs in the same
transaction, so a completed task never lacks its successor."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from dms.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from dms.models import User, utcnow
from dms.services import audit
from dms.services.context import Ctx
from workflows import checks, four_eyes, offers
from workflows.identity import Reach, reach_of
from workflows.inbox import explain
from workflows.models import ProcessDefinition, ProcessInstance, Task, TaskCandidate


@dataclass(frozen=True)
class TaskView:
    task: Task
    reason: str
    candidates: list[tuple[str, str]]
    process_name: str
    instance: ProcessInstance
    can_complete: bool
    can_claim: bool
    #: choices the model's checks offer (e.g. co-sign / refuse); empty: a plain "done"
    decisions: tuple[checks.Decision, ...] = ()
    #: form fields a decision sets, not shown as inputs
    hidden_fields: frozenset[str] = field(default_factory=frozenset)


def _candidates(ctx: Ctx, task_id: int) -> list[tuple[str, str]]:
    return [(k, v) for k, v in ctx.db.execute(
        select(TaskCandidate.kind, TaskCandidate.value).where(TaskCandidate.task_id == task_id)
    )]


def _offered_to(reach: Reach, candidates: list[tuple[str, str]]) -> bool:
    return any((k == "user" and v == reach.username) or (k == "group" and v in reach.groups)
               for k, v in candidates)


def _may_work(reach: Reach, task: Task) -> bool:
    return task.assignee == reach.username or task.assignee in reach.absent_usernames


def _load(ctx: Ctx, task_id: int, *, own_is_enough: bool = False
          ) -> tuple[Task, Reach, list[tuple[str, str]]]:
    """The task, the actor's reach and the task's candidates; NotFound when the actor may
    not see it. With own_is_enough, one's own task comes back with a bare reach and no
    candidates (for completing it: visible and workable whatever one's groups and deputies
    are, and no longer offered to anyone), which spares four queries per engine step."""
    task = ctx.db.get(Task, task_id)
    if task is None:
        raise NotFound(f"Aufgabe {task_id} nicht gefunden / task not found")
    if own_is_enough and task.assignee is not None and task.assignee == ctx.actor.username:
        return task, Reach(ctx.actor.username, frozenset(), ()), []
    reach = reach_of(ctx.db, ctx.actor)
    candidates = _candidates(ctx, task.id)
    visible = (
        ctx.actor.is_admin or _may_work(reach, task)
        or (task.assignee is None and _offered_to(reach, candidates))
        or task.delegated_from == reach.username
    )
    if not visible:
        raise NotFound(f"Aufgabe {task_id} nicht gefunden / task not found")
    return task, reach, candidates


def get_task(ctx: Ctx, task_id: int) -> TaskView:
    task, reach, candidates = _load(ctx, task_id)
    instance = ctx.db.get(ProcessInstance, task.instance_id)
    assert instance is not None
    name = ctx.db.scalar(select(ProcessDefinition.name)
                         .where(ProcessDefinition.id == instance.definition_id)) or ""
    open_ = task.status == "open"
    offered = task.assignee is None and _offered_to(reach, candidates)
    element = element_of(ctx, task, instance)
    if four_eyes.earlier_step(ctx.db, task, element, reach.username) is not None:
        offered = False  # four-eyes: shown, but neither to claim nor to complete
        may_work = False
    else:
        may_work = _may_work(reach, task)
    return TaskView(
        task=task, reason=explain(task, reach, candidates)[1], candidates=candidates,
        process_name=name, instance=instance,
        can_complete=open_ and (may_work or offered),
        can_claim=open_ and offered,
        decisions=checks.decisions_for(element),
        hidden_fields=checks.hidden_fields_for(element),
    )


def element_of(ctx: Ctx, task: Task, instance: ProcessInstance | None = None) -> Any:
    """The model element of a task (from the cached spec of the instance's version)."""
    from workflows.engine import spec_of

    instance = instance or ctx.db.get(ProcessInstance, task.instance_id)
    assert instance is not None
    spec = spec_of(ctx, instance.definition_id)
    return spec.elements.get(task.element_id)


def _require_open(task: Task) -> None:
    if task.status != "open":
        raise Conflict(f"Aufgabe {task.id} ist bereits erledigt / task is no longer open")


def claim(ctx: Ctx, task_id: int) -> Task:
    task, reach, candidates = _load(ctx, task_id)
    _require_open(task)
    if task.assignee is not None:
        raise Conflict(f"Aufgabe ist bereits {task.assignee} zugewiesen / already assigned")
    if not _offered_to(reach, candidates) and not ctx.actor.is_admin:
        raise PermissionDenied("Aufgabe ist Ihnen nicht angeboten / not offered to you")
    four_eyes.refuse_if_excluded(ctx.db, task, element_of(ctx, task), reach.username,
                                 what="übernehmen")
    task.assignee = reach.username
    offers.refresh(ctx.db, task)
    _event(ctx, task, "task.claim", after={"assignee": task.assignee})
    return task


def release(ctx: Ctx, task_id: int) -> Task:
    task, reach, candidates = _load(ctx, task_id)
    _require_open(task)
    if task.assignee != reach.username:
        raise PermissionDenied("Nur eigene Aufgaben zurückgeben / only your own tasks")
    if not candidates:
        raise Conflict("Aufgabe hat keine Gruppe, an die sie zurückgehen kann / no group to "
                       "return the task to; forward it instead")
    task.assignee = None
    offers.refresh(ctx.db, task)
    _event(ctx, task, "task.release", before={"assignee": reach.username})
    return task


def forward(ctx: Ctx, task_id: int, to_username: str, remark: str | None = None) -> Task:
    """Weiterleiten / delegate: the task goes to a colleague, who sees where it came from."""
    task, reach, candidates = _load(ctx, task_id)
    _require_open(task)
    if not (_may_work(reach, task) or ctx.actor.is_admin
            or (task.assignee is None and _offered_to(reach, candidates))):
        raise PermissionDenied("Nur eigene Aufgaben weiterleiten / only your own tasks")
    target = ctx.db.scalar(select(User).where(User.username == to_username.strip().lower()))
    if target is None or not target.active:
        raise InvalidInput(f"Unbekannte Person {to_username!r} / unknown user")
    four_eyes.refuse_if_excluded(ctx.db, task, element_of(ctx, task), target.username,
                                 what="übernehmen")
    before = task.assignee
    task.assignee, task.delegated_from = target.username, reach.username
    offers.refresh(ctx.db, task)
    _event(ctx, task, "task.forward", before={"assignee": before},
           after={"assignee": target.username, "remark": remark})
    return task


def complete(
    ctx: Ctx, task_id: int, *, variables: dict[str, Any] | None = None,
    decision: str | None = None, remark: str | None = None,
) -> Task:
    """Complete and let the engine take the next step, in this same transaction."""
    from workflows.engine import lock_instance, task_completed

    task, reach, candidates = _load(ctx, task_id, own_is_enough=True)
    _require_open(task)
    offered = task.assignee is None and _offered_to(reach, candidates)
    if not (_may_work(reach, task) or offered):
        raise PermissionDenied("Diese Aufgabe ist nicht Ihnen zugewiesen / not assigned to you")
    values = dict(variables or {})
    fields = (task.form or {}).get("fields", [])
    for form_field in fields:  # as a generated form would send
        if form_field["id"] not in values and form_field.get("default") is not None:
            values[form_field["id"]] = form_field["default"]
    if remark and any(f["id"] == "remark" for f in fields) and not values.get("remark"):
        values["remark"] = remark  # the remark box is the form's remark field
    instance = lock_instance(ctx, task.instance_id)  # the engine step below runs under it
    # someone may have completed it while we waited for the lock: read its state again
    ctx.db.refresh(task, ["status", "assignee"])
    _require_open(task)
    element = element_of(ctx, task, instance)
    four_eyes.refuse_if_excluded(ctx.db, task, element, reach.username, what="abschließen")
    if checks.names_for(element):
        completion = checks.Completion(
            ctx=ctx, task=task, instance=instance, element=element, by=reach.username,
            values=values, decision=decision, remark=remark,
        )
        checks.run(completion)
        values, decision, remark = completion.values, completion.decision, completion.remark
    _check_form(task, values)
    if decision is not None:
        values.setdefault("decision", decision)
    task.status, task.completed_at, task.completed_by = "completed", utcnow(), reach.username
    task.decision, task.remark = decision, remark
    if task.assignee is None:
        task.assignee = reach.username
    if candidates:
        offers.refresh(ctx.db, task)
    _event(ctx, task, "task.complete", after={
        "decision": decision, "remark": remark, "variables": values,
        "on_behalf_of": task.assignee if task.assignee != reach.username else None,
    })
    task_completed(ctx, task, values, locked=instance)
    return task


def mark_read(ctx: Ctx, task_id: int) -> Task:
    """Kenntnisnahme: an information task is done by reading it."""
    task, _, _ = _load(ctx, task_id)
    if task.kind != "info":
        raise InvalidInput("Nur Kenntnisnahme-Aufgaben werden durch Lesen erledigt / only "
                           "information tasks are completed by reading")
    return complete(ctx, task_id, decision="read")


def coerce_form_values(task: Task, raw: dict[str, str], *,
                       skip: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Typed variables from the strings an HTML form sends, per the task's form fields
    (string, long, boolean, date, enum). A checkbox that is not sent is false; an empty
    optional field is left out, so the model's default applies."""
    values: dict[str, Any] = {}
    for f in (task.form or {}).get("fields", []):
        name, kind = f["id"], f.get("type") or "string"
        if f.get("readonly") or name in skip:
            continue
        label = f.get("label") or name
        text = (raw.get(name) or "").strip()
        if kind == "boolean":
            values[name] = text.lower() in ("true", "on", "1", "ja", "yes")
            continue
        if not text:
            continue
        if kind == "long":
            try:
                values[name] = int(text)
            except ValueError:
                raise InvalidInput(f"{label}: ganze Zahl erwartet / whole number expected") \
                    from None
        elif kind == "date":
            values[name] = _parse_date(text, label).isoformat()
        elif kind == "enum":
            options = [o["id"] for o in f.get("options", [])]
            if options and text not in options:
                raise InvalidInput(f"{label}: ungültige Auswahl {text!r} / invalid choice")
            values[name] = text
        else:
            values[name] = text
    return values


def _parse_date(text: str, label: str) -> date:
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise InvalidInput(f"{label}: Datum als TT.MM.JJJJ angeben / invalid date {text!r}")


def _check_form(task: Task, values: dict[str, Any]) -> None:
    fields = (task.form or {}).get("fields", [])
    missing = [f.get("label") or f["id"] for f in fields
               if f.get("required") and values.get(f["id"]) in (None, "")]
    if missing:
        raise InvalidInput(f"Pflichtfelder fehlen / required fields missing: {', '.join(missing)}")


def _event(ctx: Ctx, task: Task, action: str, *, before: dict[str, Any] | None = None,
           after: dict[str, Any] | None = None) -> None:
    audit.record(ctx, action, "task", task.id, before=before, after=after)
