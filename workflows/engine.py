"""The process engine: deploys BPMN models as versioned specs and moves tokens through them.

Every operation on an instance runs inside the caller's transaction, with the instance row
locked first (SELECT ... FOR UPDATE on PostgreSQL; SQLite serialises writers). So completing
a task and the steps that follow commit together, and two tokens arriving at a parallel join
at the same moment are counted under one lock: the join fires exactly once.

Executions are tokens and scopes: the instance has one root scope; an embedded subprocess and
a multi-instance body are scopes of their own; tokens wait at user tasks (with a task row),
at service tasks and timers (with a job row) and at parallel joins (state "joined").
"""

from __future__ import annotations

import hashlib
from collections import deque
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import case, delete, func, insert, select, update

from dms.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from dms.models import Case, Document, utcnow
from dms.services import audit, hooks
from dms.services.context import Ctx
from workflows import four_eyes, offers
from workflows.bpmn_parser import parse_bpmn
from workflows.handlers import HandlerCall, lookup
from workflows.models import (
    Execution,
    HistoryEntry,
    Job,
    ProcessDefinition,
    ProcessInstance,
    Task,
    TaskCandidate,
    Variable,
)
from workflows.spec import (
    BoundaryTimerEvent,
    EndEvent,
    ExclusiveGateway,
    FlowNode,
    IntermediateTimerEvent,
    ParallelGateway,
    ProcessSpec,
    SequenceFlow,
    ServiceTask,
    StartEvent,
    SubProcess,
    UserTask,
)

ROOT = "__process__"
_SPECS: dict[tuple[str, int], ProcessSpec] = {}


class EngineError(Conflict):
    """The model cannot go on (no matching flow, bad expression): becomes an incident."""


# --- deployment ---------------------------------------------------------------------------


def deploy(ctx: Ctx, xml: bytes, *, source: str = "upload") -> list[ProcessDefinition]:
    """Parse and store each process of the file as a new version (unchanged XML: no new one)."""
    if not ctx.actor.is_admin:
        raise PermissionDenied("Nur die Verwaltung stellt Prozesse bereit / admins only")
    specs = parse_bpmn(xml)
    digest = hashlib.sha256(xml).hexdigest()
    text = xml.decode("utf-8", errors="replace")
    deployed = []
    for spec in specs:
        latest = _latest(ctx, spec.key)
        if latest is not None and latest.sha256 == digest:
            deployed.append(latest)
            continue
        definition = ProcessDefinition(
            key=spec.key, version=(latest.version + 1) if latest else 1,
            name=spec.name or spec.key, sha256=digest, bpmn_xml=text, spec=spec.to_dict(),
            deployed_by=ctx.actor.username,
        )
        ctx.db.add(definition)
        ctx.db.flush()
        _schedule_timer_starts(ctx, definition, spec, latest)
        audit.record(ctx, "process.deploy", "process_definition", definition.id, after={
            "key": spec.key, "version": definition.version, "source": source, "sha256": digest,
        })
        deployed.append(definition)
    return deployed


def _latest(ctx: Ctx, key: str) -> ProcessDefinition | None:
    return ctx.db.scalar(
        select(ProcessDefinition).where(ProcessDefinition.key == key)
        .order_by(ProcessDefinition.version.desc()).limit(1)
    )


def _schedule_timer_starts(ctx: Ctx, definition: ProcessDefinition, spec: ProcessSpec,
                           previous: ProcessDefinition | None) -> None:
    if previous is not None:  # a new version replaces the old version's timer starts
        ctx.db.execute(delete(Job).where(Job.definition_id == previous.id, Job.kind == "start"))
    now = utcnow()
    for start in spec.timer_start_events():
        assert start.timer is not None
        due = start.timer.first_due(now, {}, tz=ctx.app.settings.tz, where=start.describe())
        if due is not None:
            ctx.db.add(Job(definition_id=definition.id, kind="start", element_id=start.id,
                           due_at=due, repeat="0"))


def spec_of(ctx: Ctx, definition_id: int) -> ProcessSpec:
    """Specs are immutable per definition id, so a process-wide cache is safe (keyed by the
    database too, since tests and tools may open several)."""
    cache_key = (ctx.app.settings.effective_database_url, definition_id)
    spec = _SPECS.get(cache_key)
    if spec is None:
        definition = ctx.db.get(ProcessDefinition, definition_id)
        if definition is None:
            raise NotFound(f"Prozessdefinition {definition_id} fehlt / definition missing")
        spec = ProcessSpec.from_dict(definition.spec)
        _SPECS[cache_key] = spec
    return spec


def definition_for(ctx: Ctx, key: str, version: int | None = None) -> ProcessDefinition:
    query = select(ProcessDefinition).where(ProcessDefinition.key == key)
    if version is not None:
        query = query.where(ProcessDefinition.version == version)
    definition = ctx.db.scalar(query.order_by(ProcessDefinition.version.desc()).limit(1))
    if definition is None:
        raise NotFound(f"Prozess {key!r} ist nicht bereitgestellt / process not deployed")
    return definition


# --- starting -------------------------------------------------------------------------------


def start(
    ctx: Ctx, key: str, variables: dict[str, Any] | None = None, *,
    business_key: str | None = None, case_id: int | None = None,
    document_id: int | None = None, version: int | None = None,
) -> ProcessInstance:
    definition = definition_for(ctx, key, version)
    return _start(ctx, definition, variables or {}, business_key, case_id, document_id, None)


def _start(ctx: Ctx, definition: ProcessDefinition, variables: dict[str, Any],
           business_key: str | None, case_id: int | None, document_id: int | None,
           start_event_id: str | None) -> ProcessInstance:
    spec = spec_of(ctx, definition.id)
    start_event = spec.element(start_event_id) if start_event_id else spec.none_start_event()
    if start_event is None:
        raise InvalidInput(f"Prozess {spec.key} hat kein Startereignis ohne Timer / no none start")
    instance = ProcessInstance(
        definition_id=definition.id, business_key=business_key, case_id=case_id,
        document_id=document_id, started_by=ctx.actor.username,
    )
    ctx.db.add(instance)
    ctx.db.flush()
    run = _Run(ctx, instance, spec, fresh=True)
    run.set_variables(variables, scope_id=0)
    root = run.new_execution(None, ROOT, "scope", is_scope=True)
    run.history("started", None, {"key": spec.key, "version": definition.version})
    audit.record(ctx, "process.start", "process_instance", instance.id, after={
        "key": spec.key, "version": definition.version, "business_key": business_key,
        "variables": run.vars.get(0, {}),
    })
    run.enqueue(run.new_execution(root.id, start_event.id, "active"))
    run.advance()
    return instance


# --- continuing after tasks and jobs --------------------------------------------------------


def lock_instance(ctx: Ctx, instance_id: int) -> ProcessInstance:
    """The instance row, locked for this transaction (SELECT ... FOR UPDATE on PostgreSQL;
    SQLite serialises writers) and read fresh; Conflict when it no longer runs."""
    instance = ctx.db.execute(
        select(ProcessInstance).where(ProcessInstance.id == instance_id).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if instance is None:
        raise NotFound(f"Prozessinstanz {instance_id} nicht gefunden / instance not found")
    if instance.status != "running":
        raise Conflict(f"Prozessinstanz {instance_id} läuft nicht mehr / not running")
    return instance


def task_completed(ctx: Ctx, task: Task, variables: dict[str, Any], *,
                   locked: ProcessInstance | None = None) -> None:
    """Called by workflows.tasks.complete within its transaction; `locked` is the instance
    when the caller has already locked it with lock_instance (saves reading it twice)."""
    run = _Run.locked(ctx, task.instance_id, locked)
    run.set_variables(variables, scope_id=0)
    run.history("task.completed", task.element_id, {"task": task.id, "by": task.completed_by})
    execution = run.execs.get(task.execution_id or -1)
    if execution is None:
        raise EngineError(f"Aufgabe {task.id} hat keinen Token mehr / task has no token")
    element = run.spec.element(execution.element_id)
    parent = run.execs.get(execution.parent_id or -1)
    if isinstance(element, UserTask) and element.multi_instance and parent is not None \
            and parent.element_id == element.id and parent.is_scope:
        run.mi_child_done(execution, parent, element)
    else:
        run.activity_done(execution, element)
    run.advance()


def fire_job(ctx: Ctx, job: Job) -> None:
    """Run one claimed job: a service task's handler, a timer, or a timer start."""
    if job.kind == "start":
        _fire_start(ctx, job)
        return
    assert job.instance_id is not None
    run = _Run.locked(ctx, job.instance_id)
    execution = run.execs.get(job.execution_id or -1)
    if execution is None or run.instance.status != "running":
        ctx.db.delete(job)  # its token is gone (activity completed or instance ended)
        return
    element = run.spec.element(job.element_id)
    if job.kind == "service":
        assert isinstance(element, ServiceTask)
        run.run_service(execution, element)
        ctx.db.delete(job)
    elif job.kind == "timer":
        ctx.db.delete(job)
        run.history("timer.fired", element.id, None)
        run.leave(execution, element)
    elif job.kind == "boundary":
        assert isinstance(element, BoundaryTimerEvent)
        run.fire_boundary(execution, element, job)
    run.advance()


def _fire_start(ctx: Ctx, job: Job) -> None:
    assert job.definition_id is not None
    definition = ctx.db.get(ProcessDefinition, job.definition_id)
    assert definition is not None
    spec = spec_of(ctx, definition.id)
    event = spec.element(job.element_id)
    assert isinstance(event, StartEvent) and event.timer is not None
    fired = int(job.repeat or "0") + 1
    following = event.timer.next_due(job.due_at, fired, {}, tz=ctx.app.settings.tz,
                                      where=event.describe())
    if following is None:
        ctx.db.delete(job)
    else:
        job.due_at, job.repeat = following, str(fired)
    _start(ctx, definition, {}, None, None, None, event.id)


def cancel(ctx: Ctx, instance_id: int, reason: str) -> ProcessInstance:
    """End a running instance as "cancelled": its tokens and jobs go, its open tasks are
    cancelled. The caller decides who may do this (the engine checks no permissions)."""
    run = _Run.locked(ctx, instance_id)
    for ex in [e for e in run.execs.values() if e.parent_id is None]:
        run.remove(ex)
    run.instance.status, run.instance.ended_at = "cancelled", utcnow()
    run.history("cancelled", None, {"reason": reason})
    run.write_history()
    audit.record(ctx, "process.end", "process_instance", instance_id,
                 after={"status": "cancelled", "reason": reason})
    ctx.db.flush()
    return run.instance


def set_variables(ctx: Ctx, instance_id: int, values: dict[str, Any], *,
                  reason: str | None = None) -> None:
    """Change process variables of a running instance from outside (a service reacting to an
    event); recorded in the history with the reason."""
    run = _Run.locked(ctx, instance_id)
    run.set_variables(values, scope_id=0)
    run.history("variables", None, {"names": sorted(values), "reason": reason})
    run.write_history()
    ctx.db.flush()


def note(ctx: Ctx, instance_id: int, event: str, details: dict[str, Any] | None = None,
         element_id: str | None = None) -> None:
    """Add an entry to an instance's history (what people read on the status page)."""
    ctx.db.add(HistoryEntry(instance_id=instance_id, event=event[:32], element_id=element_id,
                            actor=ctx.actor.username, details=_jsonable(details)))


# --- the token walker -----------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise InvalidInput(f"Wert vom Typ {type(value).__name__} kann keine Prozessvariable sein")


@dataclass
class _Run:
    ctx: Ctx
    instance: ProcessInstance
    spec: ProcessSpec
    fresh: bool = False

    def __post_init__(self) -> None:
        self.tz = self.ctx.app.settings.tz
        self.queue: deque[Execution] = deque()
        self.execs: dict[int, Execution] = {}
        self.vars: dict[int, dict[str, Any]] = {}
        self.var_rows: dict[tuple[int, str], Variable] = {}
        self.pending_history: list[dict[str, Any]] = []
        if not self.fresh:
            db = self.ctx.db
            for ex in db.scalars(select(Execution).where(
                    Execution.instance_id == self.instance.id)):
                self.execs[ex.id] = ex
            for row in db.scalars(select(Variable).where(Variable.instance_id == self.instance.id)):
                self.vars.setdefault(row.scope_id, {})[row.name] = row.value.get("v")
                self.var_rows[(row.scope_id, row.name)] = row

    @classmethod
    def locked(cls, ctx: Ctx, instance_id: int, instance: ProcessInstance | None = None
               ) -> _Run:
        if instance is None or instance.id != instance_id:
            instance = lock_instance(ctx, instance_id)
        elif instance.status != "running":
            raise Conflict(f"Prozessinstanz {instance_id} läuft nicht mehr / not running")
        return cls(ctx, instance, spec_of(ctx, instance.definition_id))

    # -- bookkeeping

    def history(self, event: str, element_id: str | None, details: dict[str, Any] | None) -> None:
        """Kept in order and written in one multi-row INSERT by write_history (at the end of
        every engine operation), instead of one ORM object and flush each."""
        self.pending_history.append({
            "instance_id": self.instance.id, "at": utcnow(), "event": event,
            "element_id": element_id, "actor": self.ctx.actor.username, "details": details,
        })

    def write_history(self) -> None:
        if self.pending_history:
            rows, self.pending_history = self.pending_history, []
            # render_nulls: rows with and without an element id go in the same statement
            self.ctx.db.execute(insert(HistoryEntry).execution_options(render_nulls=True), rows)

    def may_hold_open_task(self, ex: Execution) -> bool:
        """Whether an open task can wait at this token: it waits at a user task."""
        element = self.spec.elements.get(ex.element_id)
        return ex.state == "waiting" and (element is None or isinstance(element, UserTask))

    def may_have_jobs(self, ex: Execution) -> bool:
        """Whether a job row can point at this token: it waits at a service task or timer,
        or at an activity with boundary timers. A token at a plain user task, a gateway or
        an event without timers has none, so its removal needs no DELETE on wf_jobs."""
        element = self.spec.elements.get(ex.element_id)
        if element is None or self.spec.boundary_events(element.id):
            return True
        return not isinstance(element, UserTask | ExclusiveGateway | ParallelGateway
                              | StartEvent | EndEvent)

    def may_offer(self, ex: Execution) -> bool:
        """Whether a task waiting at this token can have candidate rows (a user task
        naming candidate users or groups); other tokens cost no statement on removal."""
        element = self.spec.elements.get(ex.element_id)
        return isinstance(element, UserTask) and bool(
            element.candidate_users or element.candidate_groups)

    def new_execution(self, parent_id: int | None, element_id: str, state: str, *,
                      is_scope: bool = False, loop_index: int | None = None) -> Execution:
        ex = Execution(instance_id=self.instance.id, parent_id=parent_id, element_id=element_id,
                       state=state, is_scope=is_scope, loop_index=loop_index)
        self.ctx.db.add(ex)
        self.ctx.db.flush()
        self.execs[ex.id] = ex
        return ex

    def enqueue(self, ex: Execution) -> None:
        self.queue.append(ex)

    def set_variables(self, values: dict[str, Any], scope_id: int) -> None:
        bucket = self.vars.setdefault(scope_id, {})
        for name, value in values.items():
            plain = _jsonable(value)
            bucket[name] = plain
            row = self.var_rows.get((scope_id, name))
            if row is None:
                row = Variable(instance_id=self.instance.id, scope_id=scope_id, name=name,
                               value={"v": plain})
                self.ctx.db.add(row)
                self.var_rows[(scope_id, name)] = row
            else:
                row.value = {"v": plain}

    def variables_for(self, ex: Execution | None) -> dict[str, Any]:
        """Process variables overlaid by the locals of every enclosing scope, innermost last."""
        chain: list[int] = []
        current = ex
        while current is not None:
            chain.append(current.id)
            current = self.execs.get(current.parent_id or -1)
        merged = dict(self.vars.get(0, {}))
        for scope_id in reversed(chain):
            merged.update(self.vars.get(scope_id, {}))
        return merged

    def children(self, scope: Execution) -> list[Execution]:
        return [e for e in self.execs.values() if e.parent_id == scope.id]

    def descendants(self, scope: Execution) -> list[Execution]:
        found = self.children(scope)
        for child in list(found):
            found.extend(self.descendants(child))
        return found

    def remove(self, ex: Execution) -> None:
        """Delete a token or scope with everything below it; open tasks are cancelled."""
        for child in self.children(ex):
            self.remove(child)
        now = utcnow()
        if self.may_offer(ex):  # its open task leaves the candidates' inbox first
            offers.withdraw(self.ctx.db, offers.open_task_ids([ex.id]))
        if self.may_hold_open_task(ex):
            self.ctx.db.execute(  # one statement: open tasks are cancelled, all are detached
                update(Task).where(Task.execution_id == ex.id).values(
                    status=case((Task.status == "open", "cancelled"), else_=Task.status),
                    completed_at=case((Task.status == "open", now), else_=Task.completed_at),
                    execution_id=None,
                )
            )
        # else: no open task waits here; completed tasks that still name this token are
        # detached by the foreign key (ON DELETE SET NULL, enforced on SQLite too)
        if self.may_have_jobs(ex):
            self.ctx.db.execute(delete(Job).where(Job.execution_id == ex.id))
        for key in [k for k in self.var_rows if k[0] == ex.id]:
            self.ctx.db.delete(self.var_rows.pop(key))
        self.vars.pop(ex.id, None)
        self.execs.pop(ex.id, None)
        self.ctx.db.delete(ex)

    # -- movement

    def advance(self) -> None:
        while self.queue and self.instance.status == "running":
            ex = self.queue.popleft()
            if ex.id in self.execs and ex.state == "active":
                self.enter(ex)
        self.write_history()
        self.ctx.db.flush()

    def enter(self, ex: Execution) -> None:
        element = self.spec.element(ex.element_id)
        if isinstance(element, StartEvent):
            self.leave(ex, element)
        elif isinstance(element, EndEvent):
            self.end(ex, element)
        elif isinstance(element, UserTask):
            if element.multi_instance is not None:
                self.start_multi_instance(ex, element)
            else:
                ex.state = "waiting"
                self.create_task(ex, element)
                self.arm_boundaries(ex, element)
        elif isinstance(element, ServiceTask):
            ex.state = "waiting"
            self.ctx.db.add(Job(instance_id=self.instance.id, execution_id=ex.id,
                                kind="service", element_id=element.id,
                                handler=element.handler, due_at=utcnow()))
            self.arm_boundaries(ex, element)
        elif isinstance(element, SubProcess):
            ex.state, ex.is_scope = "scope", True
            start_event = self.spec.none_start_event(element.id)
            if start_event is None:
                raise EngineError(f"{element.describe()} hat kein Startereignis / no start event")
            self.arm_boundaries(ex, element)
            self.enqueue(self.new_execution(ex.id, start_event.id, "active"))
        elif isinstance(element, ExclusiveGateway):
            self.take(ex, self.choose(ex, element))
        elif isinstance(element, ParallelGateway):
            self.parallel(ex, element)
        elif isinstance(element, IntermediateTimerEvent):
            ex.state = "waiting"
            due = element.timer.first_due(utcnow(), self.variables_for(ex), tz=self.tz,
                                          where=element.describe())
            self.ctx.db.add(Job(instance_id=self.instance.id, execution_id=ex.id,
                                kind="timer", element_id=element.id, due_at=due or utcnow()))
        else:
            raise EngineError(f"{element.describe()} kann nicht ausgeführt werden / cannot run")

    def leave(self, ex: Execution, element: FlowNode) -> None:
        flows = self.spec.outgoing_flows(element.id)
        if not flows:
            self.token_ends(ex)
            return
        self.take(ex, flows[0])
        for flow in flows[1:]:
            self.enqueue(self.new_execution(ex.parent_id, flow.target, "active"))

    def take(self, ex: Execution, flow: SequenceFlow) -> None:
        ex.element_id, ex.state = flow.target, "active"
        self.enqueue(ex)

    def choose(self, ex: Execution, gateway: ExclusiveGateway) -> SequenceFlow:
        variables = self.variables_for(ex)
        default = None
        for flow in self.spec.outgoing_flows(gateway.id):
            if flow.id == gateway.default_flow or flow.is_default:
                default = flow
                continue
            if flow.condition is None or flow.condition.evaluate_bool(variables):
                self.history("gateway", gateway.id, {"flow": flow.id})
                return flow
        if default is not None:
            self.history("gateway", gateway.id, {"flow": default.id, "default": True})
            return default
        raise EngineError(f"{gateway.describe()}: keine Bedingung trifft zu und kein "
                          "Standardfluss / no condition matched and no default flow")

    def parallel(self, ex: Execution, gateway: ParallelGateway) -> None:
        needed = len(gateway.incoming)
        if needed > 1:
            ex.state = "joined"
            arrived = [e for e in self.execs.values()
                       if e.parent_id == ex.parent_id and e.element_id == gateway.id
                       and e.state == "joined"]
            if len(arrived) < needed:
                return
            for other in arrived:
                if other is not ex:
                    self.remove(other)
            self.history("joined", gateway.id, {"tokens": needed})
        ex.state = "active"
        self.leave(ex, gateway)

    def token_ends(self, ex: Execution) -> None:
        scope = self.execs.get(ex.parent_id or -1)
        self.remove(ex)
        if scope is not None and not self.children(scope):
            self.scope_done(scope)

    def end(self, ex: Execution, element: EndEvent) -> None:
        if element.end_type == "error":
            self.fail(f"Fehlerende {element.error_code or element.id}", element.id)
            return
        if element.end_type == "terminate":
            scope = self.execs.get(ex.parent_id or -1)
            if scope is not None:
                for child in self.children(scope):
                    self.remove(child)
                self.history("terminated", element.id, None)
                self.scope_done(scope)
            return
        self.token_ends(ex)

    def scope_done(self, scope: Execution) -> None:
        if scope.element_id == ROOT:
            self.remove(scope)
            self.finish("completed")
            return
        element = self.spec.element(scope.element_id)
        scope.is_scope = False
        self.activity_done(scope, element)

    def activity_done(self, ex: Execution, element: FlowNode) -> None:
        if self.spec.boundary_events(element.id):
            self.ctx.db.execute(delete(Job).where(Job.execution_id == ex.id,
                                                  Job.kind == "boundary"))
        for child in self.children(ex):
            self.remove(child)
        ex.is_scope, ex.state = False, "active"
        self.leave(ex, element)

    def finish(self, status: str, error: str | None = None) -> None:
        self.instance.status, self.instance.ended_at = status, utcnow()
        self.instance.error = error
        self.history(status, None, {"error": error} if error else None)
        audit.record(self.ctx, "process.end", "process_instance", self.instance.id,
                     after={"status": status, "error": error})

    def fail(self, error: str, element_id: str) -> None:
        for ex in [e for e in self.execs.values() if e.parent_id is None]:
            self.remove(ex)
        self.finish("failed", f"{error} ({element_id})")

    # -- user tasks

    def create_task(self, ex: Execution, element: UserTask) -> Task:
        variables = self.variables_for(ex)
        now = utcnow()
        where = element.describe()
        due = element.due_date.first_due(now, variables, tz=self.tz, where=where) \
            if element.due_date else None
        follow = element.follow_up_date.first_due(now, variables, tz=self.tz, where=where) \
            if element.follow_up_date else None
        priority = element.priority.evaluate(variables) if element.priority else 50
        task = Task(
            instance_id=self.instance.id, execution_id=ex.id, element_id=element.id,
            name=element.name or element.id, assignee=element.assignee_for(variables),
            kind="info" if element.properties.get("taskType") == "info" else "task",
            due_at=due, follow_up_at=follow, priority=int(priority or 50),
            documentation=element.documentation, form=_form(element, variables),
        )
        self.ctx.db.add(task)
        self.ctx.db.flush()
        offered, due_at = task.assignee is None, task.due_at
        for user in element.candidate_users_for(variables):
            self.ctx.db.add(TaskCandidate(task_id=task.id, kind="user", value=user,
                                          offered=offered, due_at=due_at))
        for group in element.candidate_groups_for(variables):
            self.ctx.db.add(TaskCandidate(task_id=task.id, kind="group", value=group,
                                          offered=offered, due_at=due_at))
        excluded = four_eyes.record_exclusions(self.ctx.db, task, element)
        self.history("task.created", element.id, {"task": task.id, "assignee": task.assignee,
                                                   **({"excluded": excluded} if excluded else {})})
        audit.record(self.ctx, "task.create", "task", task.id, after={
            "instance": self.instance.id, "element": element.id, "name": task.name,
            "assignee": task.assignee, "due": due,
        })
        return task

    def start_multi_instance(self, ex: Execution, element: UserTask) -> None:
        mi = element.multi_instance
        assert mi is not None
        variables = self.variables_for(ex)
        if mi.collection is not None:
            items = mi.collection.evaluate(variables)
            if not isinstance(items, list | tuple):
                raise EngineError(f"{element.describe()}: Sammlung ist keine Liste / "
                                  "collection is not a list")
            items = list(items)
        elif mi.cardinality is not None:
            items = [None] * int(mi.cardinality.evaluate(variables))
        else:
            raise EngineError(f"{element.describe()}: weder Sammlung noch Anzahl")
        ex.state, ex.is_scope = "scope", True
        self.arm_boundaries(ex, element)
        if not items:
            self.activity_done(ex, element)
            return
        self.set_variables({"nrOfInstances": len(items), "nrOfCompletedInstances": 0,
                            "nrOfActiveInstances": 0, "_items": items}, scope_id=ex.id)
        count = 1 if mi.sequential else len(items)
        for index in range(count):
            self.spawn_mi_child(ex, element, index)

    def spawn_mi_child(self, body: Execution, element: UserTask, index: int) -> None:
        mi = element.multi_instance
        assert mi is not None
        items = self.vars[body.id]["_items"]
        child = self.new_execution(body.id, element.id, "waiting", loop_index=index)
        local: dict[str, Any] = {"loopCounter": index}
        if mi.element_variable:
            local[mi.element_variable] = items[index]
        self.set_variables(local, scope_id=child.id)
        active = self.vars[body.id]["nrOfActiveInstances"] + 1
        self.set_variables({"nrOfActiveInstances": active}, scope_id=body.id)
        self.create_task(child, element)

    def mi_child_done(self, child: Execution, body: Execution, element: UserTask) -> None:
        mi = element.multi_instance
        assert mi is not None
        index = child.loop_index or 0
        counters = self.vars[body.id]
        done = counters["nrOfCompletedInstances"] + 1
        active = counters["nrOfActiveInstances"] - 1
        self.set_variables({"nrOfCompletedInstances": done, "nrOfActiveInstances": active},
                           scope_id=body.id)
        finished_early = bool(
            mi.completion_condition is not None
            and mi.completion_condition.evaluate_bool(self.variables_for(child))
        )
        self.remove(child)
        total = counters["nrOfInstances"]
        if finished_early or done >= total:
            self.history("multi-instance.done", element.id,
                         {"completed": done, "of": total, "early": finished_early})
            self.activity_done(body, element)
        elif mi.sequential:
            self.spawn_mi_child(body, element, index + 1)

    # -- jobs

    def arm_boundaries(self, ex: Execution, element: FlowNode) -> None:
        now = utcnow()
        variables = self.variables_for(ex)
        for boundary in self.spec.boundary_events(element.id):
            due = boundary.timer.first_due(now, variables, tz=self.tz,
                                           where=boundary.describe())
            if due is not None:
                self.ctx.db.add(Job(instance_id=self.instance.id, execution_id=ex.id,
                                    kind="boundary", element_id=boundary.id, due_at=due,
                                    repeat="0"))

    def fire_boundary(self, ex: Execution, boundary: BoundaryTimerEvent, job: Job) -> None:
        self.history("boundary.fired", boundary.id, {"interrupting": boundary.cancel_activity})
        if boundary.cancel_activity:
            for child in self.children(ex):
                self.remove(child)
            offers.withdraw(self.ctx.db, offers.open_task_ids([ex.id]))
            self.ctx.db.execute(
                update(Task).where(Task.execution_id == ex.id, Task.status == "open")
                .values(status="cancelled", completed_at=utcnow())
            )
            self.ctx.db.execute(delete(Job).where(Job.execution_id == ex.id))
            ex.is_scope, ex.state, ex.element_id = False, "active", boundary.id
            self.leave(ex, boundary)
            return
        # non-interrupting: the activity goes on, flagged (with every task inside it, also
        # those of a subprocess or multi-instance body); a new token follows the boundary
        waiting = [ex.id, *(d.id for d in self.descendants(ex))]
        self.ctx.db.execute(update(Task).where(Task.execution_id.in_(waiting),
                                               Task.status == "open").values(escalated=True))
        fired = int(job.repeat or "0") + 1
        following = boundary.timer.next_due(job.due_at, fired, self.variables_for(ex),
                                            tz=self.tz, where=boundary.describe())
        if following is None:
            self.ctx.db.delete(job)
        else:
            job.due_at, job.repeat = following, str(fired)
        token = self.new_execution(ex.parent_id, boundary.id, "active")
        self.leave(token, boundary)

    def run_service(self, ex: Execution, element: ServiceTask) -> None:
        self.write_history()  # a handler may add its own notes (engine.note): keep the order
        variables = self.variables_for(ex)
        variables.update(element.inputs_for(variables))
        result = lookup(element.handler)(HandlerCall(
            ctx=self.ctx, instance_id=self.instance.id, element_id=element.id,
            variables=variables, case_id=self.instance.case_id,
            document_id=self.instance.document_id,
        ))
        if result:
            self.set_variables(result, scope_id=0)
        self.history("service.done", element.id, {"handler": element.handler})
        self.activity_done(ex, element)


def _form(element: UserTask, variables: dict[str, Any]) -> dict[str, Any] | None:
    if not element.form_fields and not element.form_key:
        return None
    fields = []
    for f in element.form_fields:
        default = f.default.evaluate(variables, strict=False) if f.default else None
        fields.append({
            "id": f.id, "label": f.label or f.id, "type": f.type, "required": f.required,
            "readonly": f.readonly, "default": _jsonable(default),
            "options": [{"id": v.id, "name": v.name} for v in f.enum_values],
        })
    return {"key": element.form_key, "fields": fields}


# --- reading --------------------------------------------------------------------------------


def instance_variables(ctx: Ctx, instance_id: int) -> dict[str, Any]:
    rows = ctx.db.execute(select(Variable.name, Variable.value).where(
        Variable.instance_id == instance_id, Variable.scope_id == 0)).all()
    return {name: value.get("v") for name, value in rows}


def open_task_count(ctx: Ctx, instance_id: int) -> int:
    return int(ctx.db.scalar(select(func.count()).select_from(Task).where(
        Task.instance_id == instance_id, Task.status == "open")) or 0)


# --- the e-file's events --------------------------------------------------------------------


def _follow_moved_document(ctx: Ctx, document: Document, source: Case, target: Case) -> None:
    """A document moved to another case (Umprotokollierung): the running processes about it
    now belong to that case, so their tasks open beside the right file."""
    running = ctx.db.scalars(select(ProcessInstance).where(
        ProcessInstance.document_id == document.id, ProcessInstance.case_id == source.id,
        ProcessInstance.status == "running"))
    for instance in running:
        instance.case_id = target.id
        note(ctx, instance.id, "document.moved", {"from": source.reference,
                                                  "to": target.reference})


if _follow_moved_document not in hooks.after_document_moved:
    hooks.after_document_moved.append(_follow_moved_document)
