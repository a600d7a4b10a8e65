"""The executable process spec: what the parser makes of a BPMN model, and all the runtime reads.

A :class:`ProcessSpec` is built once per deployed definition version by
:func:`workflows.bpmn_parser.parse_bpmn` and never changes; the runtime walks it and never sees
XML. Specs are frozen dataclasses: picklable, and JSON-serialisable through
:meth:`ProcessSpec.to_dict` / :meth:`ProcessSpec.from_dict` (expressions and timers are stored
as their source text and compiled again on load), so the runtime can cache them by version.

Layout
    ``elements`` maps every flow node of the process, including those nested in embedded
    subprocesses, by id; ``flows`` maps every sequence flow by id. ``parent_id`` says which
    scope an element or flow belongs to: None for the process itself, else the id of the
    enclosing :class:`SubProcess`. ``incoming``/``outgoing`` are sequence-flow ids in
    document order. BPMN ids are unique in a document, so one flat index is enough.

Element kinds (``kind`` is the BPMN tag name, handy for dispatch and messages)
    :class:`StartEvent` (none or timer), :class:`EndEvent` (none, terminate, error),
    :class:`UserTask` (optionally :class:`MultiInstance`), :class:`ServiceTask`,
    :class:`SubProcess` (embedded), :class:`ExclusiveGateway`, :class:`ParallelGateway`,
    :class:`IntermediateTimerEvent` (catching), :class:`BoundaryTimerEvent`.
    :class:`Activity` is the base of the three that can carry boundary events.

Semantics the parser guarantees (it rejects models that break them)
    - each scope has at least one start event, at most one of them without a timer; an
      embedded subprocess has exactly one, without a timer;
    - every element is reachable from a start event of its scope and has a path to an end
      event of its scope (boundary events count as a way out of their activity);
    - flows stay inside their scope; start and boundary events have no incoming flows, end
      events no outgoing ones; every other element has both;
    - only flows leaving an exclusive gateway have conditions; when such a gateway has more
      than one outgoing flow, every one but the default has a condition;
    - boundary events are attached to an activity in the same scope.

Notes for the runtime
    - An exclusive gateway takes the first outgoing flow (document order) whose condition is
      true, else its default flow; no match and no default is an incident. Conditions are
      evaluated with :meth:`~workflows.expressions.Expression.evaluate_bool`.
    - A parallel gateway joins ``len(incoming)`` tokens, then forks to every outgoing flow.
    - An activity or intermediate event with several incoming flows passes each token on
      (implicit exclusive merge), as in Camunda.
    - Terminate ends all tokens of its scope (the subprocess, or the whole instance); an error
      end event ends the instance as failed with ``error_code`` (no error boundary events
      are supported, so nothing can catch it).
    - Multi-instance: Camunda's loop variables are a good choice (``nrOfInstances``,
      ``nrOfActiveInstances``, ``nrOfCompletedInstances``, ``loopCounter`` and the
      ``element_variable``); the completion condition is checked after each instance
      completes; a boundary event on a multi-instance task belongs to the whole task.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, ClassVar, Literal, TypeVar

from workflows.durations import Duration, TimerDefinition, parse_duration
from workflows.expressions import Expression, ExpressionError

__all__ = [
    "SPEC_FORMAT",
    "Activity",
    "BoundaryTimerEvent",
    "Duration",
    "EndEvent",
    "EnumValue",
    "ExclusiveGateway",
    "FlowNode",
    "FormConstraint",
    "FormField",
    "IntermediateTimerEvent",
    "MultiInstance",
    "ParallelGateway",
    "ProcessSpec",
    "SequenceFlow",
    "ServiceTask",
    "StartEvent",
    "SubProcess",
    "TimerDefinition",
    "UserTask",
    "resolve_names",
]

#: Version of the ``to_dict`` layout; bump when a field changes so caches are rebuilt.
SPEC_FORMAT = 1

EndType = Literal["none", "terminate", "error"]
HandlerForm = Literal["external", "delegateExpression", "zeebe", "dms"]
FORM_FIELD_TYPES = ("string", "long", "boolean", "date", "enum")


# --------------------------------------------------------------------------- parts


@dataclass(frozen=True, kw_only=True)
class SequenceFlow:
    """A sequence flow; ``condition`` only on flows leaving an exclusive gateway."""

    id: str
    source: str
    target: str
    name: str | None = None
    condition: Expression | None = None
    is_default: bool = False
    parent_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class EnumValue:
    id: str
    name: str


@dataclass(frozen=True, kw_only=True)
class FormConstraint:
    """A Camunda form field validation constraint, e.g. ``minlength`` with config ``3``."""

    name: str
    config: str | None = None


@dataclass(frozen=True, kw_only=True)
class FormField:
    """A simple form field (Camunda ``camunda:formField``): the variable it sets and how."""

    id: str
    label: str | None = None
    type: str = "string"  # one of FORM_FIELD_TYPES
    required: bool = False
    readonly: bool = False
    default: Expression | None = None
    enum_values: tuple[EnumValue, ...] = ()
    constraints: tuple[FormConstraint, ...] = ()

    def to_form(self, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """JSON-safe description for a task form, the default evaluated leniently against
        ``variables`` (a default that cannot be evaluated is left out)."""
        default = None
        if self.default is not None:
            try:
                default = self.default.evaluate(variables or {}, strict=False)
            except ExpressionError:
                default = None
            if not isinstance(default, str | int | bool | None):
                default = str(default)
        return {
            "id": self.id,
            "label": self.label or self.id,
            "type": self.type,
            "required": self.required,
            "readonly": self.readonly,
            "default": default,
            "values": [{"id": v.id, "name": v.name} for v in self.enum_values],
            "constraints": [{"name": c.name, "config": c.config} for c in self.constraints],
        }


@dataclass(frozen=True, kw_only=True)
class MultiInstance:
    """Multi-instance characteristics of a user task.

    Either ``collection`` (evaluates to a list; one instance per item, the item in
    ``element_variable``) or ``cardinality`` (evaluates to a whole number) is set.
    ``completion_condition``, when true after an instance completes, ends the whole task
    and cancels the instances still open.
    """

    sequential: bool = False
    collection: Expression | None = None
    element_variable: str | None = None
    cardinality: Expression | None = None
    completion_condition: Expression | None = None


def resolve_names(
    values: Iterable[Expression], variables: Mapping[str, Any], *, strict: bool = True
) -> tuple[str, ...]:
    """Evaluate candidate user/group expressions to a flat tuple of names.

    Each value may give a string (split on commas, as Camunda does), a list of strings, or
    null (ignored). Order is kept, duplicates and empty names are dropped.
    """
    names: list[str] = []
    for expr in values:
        value = expr.evaluate(variables, strict=strict)
        items = value if isinstance(value, list | tuple) else [value]
        for item in items:
            if item is None:
                continue
            if not isinstance(item, str):
                raise ExpressionError(
                    f"Name erwartet, erhalten {type(item).__name__}",
                    f"expected a name, got {type(item).__name__}",
                    source=expr.source,
                )
            for name in item.split(","):
                name = name.strip()
                if name and name not in names:
                    names.append(name)
    return tuple(names)


# --------------------------------------------------------------------------- flow nodes


@dataclass(frozen=True, kw_only=True)
class FlowNode:
    """Fields every element has."""

    kind: ClassVar[str] = ""

    id: str
    name: str | None = None
    parent_id: str | None = None
    incoming: tuple[str, ...] = ()
    outgoing: tuple[str, ...] = ()
    documentation: str | None = None

    def describe(self) -> str:
        """``bpmn:userTask id=Task_1 "Mitzeichnen"``, for messages and incidents."""
        label = f' "{self.name}"' if self.name else ""
        return f"bpmn:{self.kind} id={self.id}{label}"


@dataclass(frozen=True, kw_only=True)
class Activity(FlowNode):
    """A task or subprocess: something that takes time and may carry boundary events."""

    boundary_event_ids: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class StartEvent(FlowNode):
    """Start of a scope; with ``timer`` a process-level timer start (date, duration, cycle).

    ``initiator`` (``camunda:initiator``) names the variable that receives the user name of
    whoever starts the process.
    """

    kind: ClassVar[str] = "startEvent"
    timer: TimerDefinition | None = None
    initiator: str | None = None


@dataclass(frozen=True, kw_only=True)
class EndEvent(FlowNode):
    kind: ClassVar[str] = "endEvent"
    end_type: EndType = "none"
    error_code: str | None = None
    error_name: str | None = None


@dataclass(frozen=True, kw_only=True)
class UserTask(Activity):
    """A task for a person.

    ``assignee`` (one user), ``candidate_users`` and ``candidate_groups`` are value
    expressions: a literal such as ``b.meier`` or ``${cosigner}``; see :meth:`assignee_for`
    and :func:`resolve_names`. ``due_date``/``follow_up_date`` are timers of kind ``date``
    or ``duration`` (a duration counts from task creation): use ``first_due(created_at, ...)``.
    ``properties`` are Camunda/Zeebe extension properties (free key/value pairs), e.g.
    ``{"taskType": "information"}`` for Kenntnisnahme.
    ``four_eyes`` (Vier-Augen-Prinzip) are ids of earlier user tasks of the same process:
    whoever completed one of them in this instance may neither claim nor complete this task,
    and the inbox does not offer it to them (extension property ``fourEyes``, see the parser).
    """

    kind: ClassVar[str] = "userTask"
    assignee: Expression | None = None
    candidate_users: tuple[Expression, ...] = ()
    candidate_groups: tuple[Expression, ...] = ()
    due_date: TimerDefinition | None = None
    follow_up_date: TimerDefinition | None = None
    priority: Expression | None = None
    form_key: str | None = None
    form_fields: tuple[FormField, ...] = ()
    multi_instance: MultiInstance | None = None
    properties: Mapping[str, str] = field(default_factory=dict, hash=False)
    four_eyes: tuple[str, ...] = ()

    def assignee_for(self, variables: Mapping[str, Any], *, strict: bool = True) -> str | None:
        """The assignee for these variables, or None (empty string and null count as none)."""
        if self.assignee is None:
            return None
        value = self.assignee.evaluate(variables, strict=strict)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise ExpressionError(
                f"Bearbeiter muss ein Name sein, nicht {type(value).__name__}",
                f"assignee must be a name, not {type(value).__name__}",
                source=self.assignee.source,
            )
        return value.strip() or None

    def candidate_users_for(
        self, variables: Mapping[str, Any], *, strict: bool = True
    ) -> tuple[str, ...]:
        return resolve_names(self.candidate_users, variables, strict=strict)

    def candidate_groups_for(
        self, variables: Mapping[str, Any], *, strict: bool = True
    ) -> tuple[str, ...]:
        return resolve_names(self.candidate_groups, variables, strict=strict)


@dataclass(frozen=True, kw_only=True)
class ServiceTask(Activity):
    """Work done by a Python handler looked up by ``handler`` name in a registry.

    ``handler_form`` records how the model named it: Camunda external task topic
    (``camunda:type="external" camunda:topic="sign-document"``), Camunda
    ``camunda:delegateExpression="${signDocument}"`` (the name inside ``${}``), Zeebe
    ``zeebe:taskDefinition type="sign-document"`` or ``dms:handler="sign-document"``.
    ``inputs`` are the handler's parameters (``camunda:inputParameter`` /
    ``zeebe:input``) as value expressions. ``retries``/``retry_interval`` come from
    ``camunda:failedJobRetryTimeCycle`` (``R5/PT5M``) or ``zeebe:taskDefinition retries``;
    None means the runtime's default.
    """

    kind: ClassVar[str] = "serviceTask"
    handler: str
    handler_form: HandlerForm = "external"
    inputs: Mapping[str, Expression] = field(default_factory=dict, hash=False)
    properties: Mapping[str, str] = field(default_factory=dict, hash=False)
    retries: int | None = None
    retry_interval: Duration | None = None

    def inputs_for(self, variables: Mapping[str, Any], *, strict: bool = True) -> dict[str, Any]:
        return {k: e.evaluate(variables, strict=strict) for k, e in self.inputs.items()}


@dataclass(frozen=True, kw_only=True)
class SubProcess(Activity):
    """An embedded subprocess; its children have ``parent_id == self.id``."""

    kind: ClassVar[str] = "subProcess"
    start_event_ids: tuple[str, ...] = ()
    child_ids: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ExclusiveGateway(FlowNode):
    kind: ClassVar[str] = "exclusiveGateway"
    default_flow: str | None = None


@dataclass(frozen=True, kw_only=True)
class ParallelGateway(FlowNode):
    kind: ClassVar[str] = "parallelGateway"


@dataclass(frozen=True, kw_only=True)
class IntermediateTimerEvent(FlowNode):
    """A catching timer in the flow (Wiedervorlage): waits for a date or a duration."""

    kind: ClassVar[str] = "intermediateCatchEvent"
    timer: TimerDefinition


@dataclass(frozen=True, kw_only=True)
class BoundaryTimerEvent(FlowNode):
    """A timer on an activity. ``cancel_activity`` (interrupting, the BPMN default) ends the
    activity and leaves through this event; otherwise a new token leaves through it while the
    activity goes on (reminders; with a cycle timer, once per firing)."""

    kind: ClassVar[str] = "boundaryEvent"
    attached_to: str
    cancel_activity: bool = True
    timer: TimerDefinition


Element = (
    StartEvent
    | EndEvent
    | UserTask
    | ServiceTask
    | SubProcess
    | ExclusiveGateway
    | ParallelGateway
    | IntermediateTimerEvent
    | BoundaryTimerEvent
)

E = TypeVar("E", bound=FlowNode)


# --------------------------------------------------------------------------- process


@dataclass(frozen=True, kw_only=True)
class ProcessSpec:
    """One executable process of a BPMN definitions document.

    ``key`` is the BPMN process id (what ``dms process start KEY`` takes); ``version_tag``
    is ``camunda:versionTag``/``zeebe:versionTag`` as written (informational: deployment
    numbers versions). ``start_event_ids`` are the process-level start events.
    ``warnings`` lists what the parser ignored (listeners, message flows, ...), for the
    person deploying.
    """

    key: str
    name: str | None = None
    version_tag: str | None = None
    documentation: str | None = None
    elements: Mapping[str, FlowNode] = field(default_factory=dict, hash=False)
    flows: Mapping[str, SequenceFlow] = field(default_factory=dict, hash=False)
    start_event_ids: tuple[str, ...] = ()
    candidate_starter_users: tuple[str, ...] = ()
    candidate_starter_groups: tuple[str, ...] = ()
    history_time_to_live: str | None = None
    warnings: tuple[str, ...] = ()

    # -- navigation

    def element(self, element_id: str) -> FlowNode:
        return self.elements[element_id]

    def flow(self, flow_id: str) -> SequenceFlow:
        return self.flows[flow_id]

    def outgoing_flows(self, element_id: str) -> tuple[SequenceFlow, ...]:
        return tuple(self.flows[f] for f in self.elements[element_id].outgoing)

    def incoming_flows(self, element_id: str) -> tuple[SequenceFlow, ...]:
        return tuple(self.flows[f] for f in self.elements[element_id].incoming)

    def children(self, scope_id: str | None = None) -> tuple[FlowNode, ...]:
        """Direct children of the process (None) or of an embedded subprocess."""
        return tuple(e for e in self.elements.values() if e.parent_id == scope_id)

    def start_events(self, scope_id: str | None = None) -> tuple[StartEvent, ...]:
        if scope_id is None:
            ids = self.start_event_ids
        else:
            scope = self.elements[scope_id]
            if not isinstance(scope, SubProcess):
                raise KeyError(f"{scope_id} is not a subprocess")
            ids = scope.start_event_ids
        return tuple(self.elements[i] for i in ids)  # type: ignore[misc]

    def none_start_event(self, scope_id: str | None = None) -> StartEvent | None:
        """The start event without a timer (how a person or a service starts the scope)."""
        for event in self.start_events(scope_id):
            if event.timer is None:
                return event
        return None

    def timer_start_events(self) -> tuple[StartEvent, ...]:
        return tuple(e for e in self.start_events() if e.timer is not None)

    def boundary_events(self, activity_id: str) -> tuple[BoundaryTimerEvent, ...]:
        activity = self.elements[activity_id]
        if not isinstance(activity, Activity):
            return ()
        return tuple(self.elements[i] for i in activity.boundary_event_ids)  # type: ignore[misc]

    def of_type(self, cls: type[E]) -> tuple[E, ...]:
        """All elements of one kind, e.g. ``spec.of_type(UserTask)``."""
        return tuple(e for e in self.elements.values() if isinstance(e, cls))

    # -- serialisation

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict; ``ProcessSpec.from_dict(spec.to_dict()) == spec``."""
        data = _encode(self)
        data["format"] = SPEC_FORMAT
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProcessSpec:
        if data.get("format") != SPEC_FORMAT:
            raise ValueError(
                f"spec format {data.get('format')!r} is not {SPEC_FORMAT}; parse the BPMN again"
            )
        spec = _decode({k: v for k, v in data.items() if k != "format"})
        if not isinstance(spec, ProcessSpec):
            raise ValueError("not a ProcessSpec dict")
        return spec

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> ProcessSpec:
        return cls.from_dict(json.loads(text))


_CLASSES: dict[str, type] = {
    c.__name__: c
    for c in (
        ProcessSpec,
        SequenceFlow,
        EnumValue,
        FormConstraint,
        FormField,
        MultiInstance,
        StartEvent,
        EndEvent,
        UserTask,
        ServiceTask,
        SubProcess,
        ExclusiveGateway,
        ParallelGateway,
        IntermediateTimerEvent,
        BoundaryTimerEvent,
    )
}


def _encode(value: Any) -> Any:
    if isinstance(value, Expression | TimerDefinition):
        return value.to_dict()
    if isinstance(value, Duration):
        return {"$duration": value.isoformat()}
    if is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {"$type": type(value).__name__}
        for f in fields(value):
            out[f.name] = _encode(getattr(value, f.name))
        return out
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    if isinstance(value, Mapping):
        return {"$map": {str(k): _encode(v) for k, v in value.items()}}
    if value is None or isinstance(value, str | int | bool):
        return value
    raise TypeError(f"cannot encode {type(value).__name__} in a spec")


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_decode(v) for v in value)
    if not isinstance(value, dict):
        return value
    if "$expr" in value:
        return Expression.from_dict(value)
    if "$timer" in value:
        return TimerDefinition.from_dict(value)
    if "$duration" in value:
        return parse_duration(value["$duration"])
    if "$map" in value:
        return {k: _decode(v) for k, v in value["$map"].items()}
    if "$type" in value:
        cls = _CLASSES[value["$type"]]
        return cls(**{k: _decode(v) for k, v in value.items() if k != "$type"})
    raise ValueError(f"unexpected object in spec data: {sorted(value)}")
