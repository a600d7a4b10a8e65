"""BPMN 2.0 XML -> :class:`~workflows.spec.ProcessSpec`, once per deployed definition version.

:func:`parse_bpmn` reads what Camunda Modeler (Camunda 7 ``camunda:`` attributes and Camunda 8
``zeebe:`` extension elements) and bpmn.io write, for exactly the subset the runtime executes:

- start events (none, timer), end events (none, terminate, error);
- user tasks: assignee, candidate users and groups, due and follow-up date, priority, form
  key, simple form fields (``camunda:formData``), properties; multi-instance, parallel or
  sequential, over ``camunda:collection``/``camunda:elementVariable``, the standard
  ``loopDataInputRef``/``inputDataItem``, ``zeebe:loopCharacteristics``, or
  ``loopCardinality``, with a ``completionCondition``;
- four-eyes (Vier-Augen-Prinzip) on a user task: the extension property ``fourEyes`` (in
  Camunda Modeler: Properties > Extension properties; ``camunda:property`` or
  ``zeebe:property``) lists, comma-separated, the ids of earlier user tasks of the same
  process, e.g. ``<camunda:property name="fourEyes" value="Task_Factual,Task_Arithmetic"/>``.
  Whoever completed one of them in the instance may not claim or complete this task, and the
  inbox does not offer it to them. A property is what the modeler can draw and what Camunda
  itself ignores, so the model deploys unchanged on both; an id that is not a user task of
  the process is an error (a misspelt id would silently switch the control off);
- service tasks naming a Python handler: ``camunda:type="external" camunda:topic="name"``,
  ``camunda:delegateExpression="${name}"``, ``zeebe:taskDefinition type="name"`` or
  ``dms:handler="name"`` (namespace :data:`DMS_NS`); input parameters; retry cycle;
- exclusive gateways (conditions in the safe expression language, JUEL ``${...}`` or FEEL
  ``=...``, and a default flow) and parallel gateways;
- intermediate catching timer events; boundary timer events, interrupting or not;
- embedded subprocesses (collapsed or expanded: the XML is the same).

Everything else that changes behaviour is rejected with a :class:`BpmnError` that lists all
problems at once, each naming the element tag, its id and the source line. Diagram
information (``bpmndi``), documentation, text annotations, associations, groups, data
objects, lanes and the collaboration (pools) are ignored; so are extension elements in
other namespaces. Camunda/Zeebe extensions that would run code we don't have (listeners,
unknown extension elements) are ignored with a warning in :attr:`ProcessSpec.warnings`.

Structural checks (all errors, see :mod:`workflows.spec` for the guarantees): flows connect
existing elements of one scope; start events present; every element reachable from a start
event and with a path to an end event (a model that can only loop forever or get stuck is
almost always a drawing mistake, and the runtime would keep the instance open for ever);
exclusive gateway branches have conditions except the default; boundary events are attached
to an activity. Non-executable processes (``isExecutable="false"``, e.g. a pool drawn for
an outside party) are skipped with a warning; a document without an executable process is
an error.

The XML parser is hardened: no DTDs (a DOCTYPE is rejected), no entity expansion, no
network access, no processing instructions, size limit :data:`MAX_BYTES`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from lxml import etree

from dms.errors import InvalidInput
from workflows.durations import DurationError, TimerDefinition, parse_repeating
from workflows.expressions import (
    Expression,
    ExpressionError,
    Var,
    compile_expression,
    compile_value,
)
from workflows.spec import (
    FORM_FIELD_TYPES,
    Activity,
    BoundaryTimerEvent,
    EndEvent,
    EnumValue,
    ExclusiveGateway,
    FlowNode,
    FormConstraint,
    FormField,
    IntermediateTimerEvent,
    MultiInstance,
    ParallelGateway,
    ProcessSpec,
    SequenceFlow,
    ServiceTask,
    StartEvent,
    SubProcess,
    UserTask,
)

__all__ = [
    "BPMN_NS",
    "CAMUNDA_NS",
    "DMS_NS",
    "ZEEBE_NS",
    "BpmnError",
    "BpmnProblem",
    "parse_bpmn",
    "parse_bpmn_file",
]

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
#: Our own extension namespace, for ``dms:handler`` on service tasks.
DMS_NS = "urn:dms:bpmn:1.0"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"

MAX_BYTES = 20 * 1024 * 1024

_B = f"{{{BPMN_NS}}}"
_C = f"{{{CAMUNDA_NS}}}"
_Z = f"{{{ZEEBE_NS}}}"

#: Flow elements that are drawn but carry no behaviour for us.
_IGNORED_FLOW_CONTENT = frozenset(
    {
        "laneSet",
        "textAnnotation",
        "association",
        "group",
        "dataObject",
        "dataObjectReference",
        "dataStoreReference",
        "property",
        "ioSpecification",
        "documentation",
        "extensionElements",
        "auditing",
        "monitoring",
        "incoming",  # of a subprocess
        "outgoing",
        "multiInstanceLoopCharacteristics",  # of a subprocess: reported by parse_subProcess
        "standardLoopCharacteristics",
    }
)
_DATA_TAGS = ("property", "dataInput", "dataObject", "dataObjectReference")
#: Children a flow node may have that carry no behaviour for us.
_IGNORED_NODE_CHILDREN = frozenset(
    {
        "incoming",
        "outgoing",
        "documentation",
        "extensionElements",
        "ioSpecification",
        "property",
        "dataInputAssociation",
        "dataOutputAssociation",
        "auditing",
        "monitoring",
    }
)
_HINTS = {
    "task": "Aufgabe ohne Typ: Benutzer- oder Service-Task verwenden / "
    "untyped task: use a user task or a service task",
    "manualTask": "Benutzer-Task verwenden / use a user task",
    "scriptTask": "Skripte laufen nicht in der Engine; Service-Task mit Handler verwenden / "
    "scripts do not run in the engine; use a service task with a handler",
    "businessRuleTask": "Service-Task mit Handler verwenden / use a service task with a handler",
    "sendTask": "Service-Task mit Handler verwenden / use a service task with a handler",
    "receiveTask": "Nachrichten werden nicht unterstützt / messages are not supported",
    "callActivity": "eingebetteten Teilprozess verwenden / use an embedded subprocess",
    "inclusiveGateway": "exklusive und parallele Gateways kombinieren / "
    "combine exclusive and parallel gateways",
    "multiInstanceLoopCharacteristics": "Multi-Instanz nur an Benutzer-Tasks / "
    "multi-instance only on user tasks",
    "standardLoopCharacteristics": "Schleife mit einem Gateway modellieren / "
    "model the loop with a gateway",
}


@dataclass(frozen=True)
class BpmnProblem:
    """One reason a model cannot be deployed."""

    german: str
    english: str
    element_id: str | None = None
    tag: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"Zeile/line {self.line}")
        if self.tag:
            where.append(f"{self.tag} id={self.element_id}" if self.element_id else self.tag)
        prefix = ", ".join(where)
        return (
            f"{prefix}: {self.german} / {self.english}"
            if prefix
            else (f"{self.german} / {self.english}")
        )


class BpmnError(InvalidInput):
    """The model cannot be deployed; ``problems`` lists every reason found."""

    code = "invalid_bpmn"

    def __init__(self, problems: list[BpmnProblem], source: str | None = None) -> None:
        self.problems = problems
        self.source = source
        head = f"{source}: " if source else ""
        count = len(problems)
        lines = "\n".join(f"- {p}" for p in problems)
        super().__init__(
            f"{head}BPMN-Modell nicht verwendbar ({count} Problem{'e' if count != 1 else ''}) / "
            f"BPMN model not usable ({count} problem{'s' if count != 1 else ''}):\n{lines}"
        )


def parse_bpmn(data: bytes | str, *, source: str | None = None) -> list[ProcessSpec]:
    """Parse a BPMN 2.0 definitions document into one spec per executable process.

    ``source`` (a file name) only appears in the error message. Raises :class:`BpmnError`.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    if len(data) > MAX_BYTES:
        raise BpmnError(
            [
                BpmnProblem(
                    f"Datei größer als {MAX_BYTES} Bytes", f"file larger than {MAX_BYTES} bytes"
                )
            ],
            source,
        )
    root = _parse_xml(data, source)
    return _DocumentParser(root, source).parse()


def parse_bpmn_file(path: str | Path) -> list[ProcessSpec]:
    path = Path(path)
    return parse_bpmn(path.read_bytes(), source=path.name)


def _parse_xml(data: bytes, source: str | None) -> etree._Element:
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        if b"<!DOCTYPE" in data:
            raise BpmnError(
                [
                    BpmnProblem(
                        "DOCTYPE/DTD ist nicht erlaubt", "a DOCTYPE/DTD is not allowed", line=1
                    )
                ],
                source,
            ) from None
        raise BpmnError(
            [
                BpmnProblem(
                    f"Kein gültiges XML: {exc}", f"not well-formed XML: {exc}", line=exc.lineno
                )
            ],
            source,
        ) from None
    if root.getroottree().docinfo.doctype:
        raise BpmnError(
            [BpmnProblem("DOCTYPE/DTD ist nicht erlaubt", "a DOCTYPE/DTD is not allowed", line=1)],
            source,
        )
    if root.tag != f"{_B}definitions":
        raise BpmnError(
            [
                BpmnProblem(
                    f"Kein BPMN-2.0-Dokument (Wurzelelement {_qname(root)})",
                    f"not a BPMN 2.0 document (root element {_qname(root)})",
                    line=root.sourceline,
                )
            ],
            source,
        )
    return root


_PREFIXES = {BPMN_NS: "bpmn", CAMUNDA_NS: "camunda", ZEEBE_NS: "zeebe", DMS_NS: "dms"}


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname


def _ns(el: etree._Element) -> str | None:
    return etree.QName(el).namespace


def _qname(el: etree._Element) -> str:
    q = etree.QName(el)
    prefix = _PREFIXES.get(q.namespace or "") or el.prefix
    return f"{prefix}:{q.localname}" if prefix else q.localname


def _elements(el: etree._Element) -> list[etree._Element]:
    return [c for c in el if isinstance(c.tag, str)]


def _text(el: etree._Element | None) -> str:
    return "".join(el.itertext()).strip() if el is not None else ""


def _bool_attr(value: str | None, default: bool) -> bool:
    if value is None:
        return default
    return value.strip().lower() == "true"


def _split_list(text: str) -> list[str]:
    """Split ``a, ${x}, b`` on commas outside ``${...}`` (and outside quotes inside it)."""
    items: list[str] = []
    current: list[str] = []
    in_expr = False
    quote: str | None = None
    i = 0
    while i < len(text):
        ch = text[i]
        if in_expr:
            if quote:
                if ch == "\\":
                    current.append(text[i : i + 2])
                    i += 2
                    continue
                if ch == quote:
                    quote = None
            elif ch in "'\"":
                quote = ch
            elif ch == "}":
                in_expr = False
        elif text.startswith(("${", "#{"), i):
            in_expr = True
        elif ch == ",":
            items.append("".join(current))
            current = []
            i += 1
            continue
        current.append(ch)
        i += 1
    items.append("".join(current))
    return [s.strip() for s in items if s.strip()]


#: Extension property of a user task naming the tasks whose completers are excluded.
FOUR_EYES_PROPERTY = "fourEyes"


def _split_ids(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


class _Draft:
    """An element before incoming/outgoing are known."""

    def __init__(self, cls: type[FlowNode], el: etree._Element, parent_id: str | None, **kw: Any):
        self.cls = cls
        self.el = el
        self.id: str = kw["id"]
        self.parent_id = parent_id
        self.kw = kw


class _DocumentParser:
    def __init__(self, root: etree._Element, source: str | None) -> None:
        self.root = root
        self.source = source
        self.problems: list[BpmnProblem] = []
        self.errors: dict[str, etree._Element] = {}
        self.ids: dict[str, etree._Element] = {}

    # -- reporting

    def problem(self, el: etree._Element | None, german: str, english: str) -> None:
        if el is None:
            self.problems.append(BpmnProblem(german, english))
            return
        self.problems.append(BpmnProblem(german, english, el.get("id"), _qname(el), el.sourceline))

    def unsupported(self, el: etree._Element, where: str = "") -> None:
        hint = _HINTS.get(_local(el))
        de = "wird nicht unterstützt"
        en = "not supported"
        if where:
            de += f" (in {where})"
            en += f" (in {where})"
        if hint:
            hint_de, _, hint_en = hint.partition(" / ")
            de += f"; {hint_de}"
            en += f"; {hint_en}"
        self.problem(el, f"Element {de}", f"element {en}")

    # -- document

    def parse(self) -> list[ProcessSpec]:
        processes: list[etree._Element] = []
        document_warnings: list[str] = []
        for child in _elements(self.root):
            local, ns = _local(child), _ns(child)
            if ns != BPMN_NS:
                continue
            if local == "error" and child.get("id"):
                self.errors[child.get("id")] = child
            elif local == "process":
                if _bool_attr(child.get("isExecutable"), True):
                    processes.append(child)
                else:
                    document_warnings.append(
                        f"Prozess {child.get('id')} ist nicht ausführbar und wird übersprungen / "
                        f"process {child.get('id')} is not executable and is skipped"
                    )
            elif local == "collaboration":
                for item in _elements(child):
                    if _local(item) == "messageFlow":
                        document_warnings.append(
                            f"Nachrichtenfluss {item.get('id')} wird ignoriert / "
                            f"message flow {item.get('id')} is ignored"
                        )
        if not processes:
            self.problem(
                self.root,
                'Kein ausführbarer Prozess (bpmn:process mit isExecutable="true")',
                'no executable process (bpmn:process with isExecutable="true")',
            )
        specs = [_ProcessParser(self, p, document_warnings).parse() for p in processes]
        if self.problems:
            self.problems.sort(key=lambda p: p.line or 0)
            raise BpmnError(self.problems, self.source)
        return [s for s in specs if s is not None]


class _ProcessParser:
    def __init__(self, doc: _DocumentParser, process: etree._Element, warnings: list[str]) -> None:
        self.doc = doc
        self.process = process
        self.warnings = list(warnings)
        self.drafts: dict[str, _Draft] = {}
        self.flow_els: list[tuple[etree._Element, str | None]] = []
        self.data_names: dict[str, str] = {}
        self.failed: set[str] = set()  # ids of elements dropped for a problem already reported
        self.failed_tags: set[tuple[str | None, str]] = set()  # (scope, tag) of those
        self.problems_before = len(doc.problems)
        self.problem = doc.problem

    # -- helpers

    def where(self, el: etree._Element) -> str:
        return f"{_qname(el)} id={el.get('id')}"

    def warn(self, el: etree._Element, german: str, english: str) -> None:
        self.warnings.append(f"{self.where(el)}: {german} / {english}")

    def expression(self, el: etree._Element, text: str, what: str) -> Expression | None:
        try:
            return compile_expression(text)
        except ExpressionError as exc:
            self.problem(el, f"{what}: {exc.german}", f"{what}: {exc.english} in {text!r}")
            return None

    def value(self, el: etree._Element, text: str | None, what: str) -> Expression | None:
        if text is None or not text.strip():
            return None
        try:
            return compile_value(text.strip())
        except ExpressionError as exc:
            self.problem(el, f"{what}: {exc.german}", f"{what}: {exc.english} in {text!r}")
            return None

    def values(self, el: etree._Element, text: str | None, what: str) -> tuple[Expression, ...]:
        if text is None or not text.strip():
            return ()
        text = text.strip()
        parts = [text] if text.startswith("=") else _split_list(text)
        out = [self.value(el, part, what) for part in parts]
        return tuple(e for e in out if e is not None)

    def extensions(self, el: etree._Element) -> list[etree._Element]:
        out: list[etree._Element] = []
        for child in _elements(el):
            if _ns(child) == BPMN_NS and _local(child) == "extensionElements":
                out.extend(_elements(child))
        return out

    def documentation(self, el: etree._Element) -> str | None:
        texts = [
            _text(c)
            for c in _elements(el)
            if _ns(c) == BPMN_NS and _local(c) == "documentation" and _text(c)
        ]
        return "\n\n".join(texts) or None

    def properties(self, ext: etree._Element) -> dict[str, str]:
        """camunda:properties / zeebe:properties / zeebe:taskHeaders children."""
        out: dict[str, str] = {}
        for prop in _elements(ext):
            if _local(prop) in ("property", "header"):
                name = prop.get("name") or prop.get("key")
                if name:
                    out[name] = prop.get("value") or ""
        return out

    def warn_extensions(self, el: etree._Element) -> None:
        """For elements that read no extensions: warn about Camunda/Zeebe ones we skip."""
        for ext in self.extensions(el):
            self.ignore_extension(ext, el)

    def ignore_extension(self, ext: etree._Element, owner: etree._Element) -> None:
        if _ns(ext) in (CAMUNDA_NS, ZEEBE_NS):
            self.warn(
                owner,
                f"Erweiterung {_qname(ext)} wird ignoriert",
                f"extension {_qname(ext)} is ignored",
            )

    # -- process

    def parse(self) -> ProcessSpec | None:
        p = self.process
        key = p.get("id")
        if not key:
            self.problem(p, "Prozess ohne id", "process without an id")
            return None
        self.collect_data_names(p)
        version_tag = p.get(f"{_C}versionTag")
        properties: dict[str, str] = {}
        for ext in self.extensions(p):
            local = _local(ext)
            if _ns(ext) == ZEEBE_NS and local == "versionTag":
                version_tag = ext.get("value") or version_tag
            elif local == "properties" and _ns(ext) in (CAMUNDA_NS, ZEEBE_NS):
                properties.update(self.properties(ext))
            else:
                self.ignore_extension(ext, p)
        self.parse_scope(p, None)
        return self.build(
            key=key,
            name=p.get("name"),
            version_tag=version_tag,
            documentation=self.documentation(p),
            candidate_starter_users=tuple(_split_list(p.get(f"{_C}candidateStarterUsers") or "")),
            candidate_starter_groups=tuple(_split_list(p.get(f"{_C}candidateStarterGroups") or "")),
            history_time_to_live=p.get(f"{_C}historyTimeToLive"),
        )

    def collect_data_names(self, p: etree._Element) -> None:
        """ids of data inputs/properties/data objects -> variable names, for loopDataInputRef."""
        for el in p.iter():
            if not isinstance(el.tag, str) or _ns(el) != BPMN_NS:
                continue
            if _local(el) in _DATA_TAGS and el.get("id"):
                self.data_names[el.get("id")] = el.get("name") or el.get("id")

    def parse_scope(self, container: etree._Element, scope_id: str | None) -> list[str]:
        """Parse the flow elements of a process or subprocess; returns the child ids."""
        child_ids: list[str] = []
        for el in _elements(container):
            ns, local = _ns(el), _local(el)
            if ns != BPMN_NS:
                continue
            if local in _IGNORED_FLOW_CONTENT:
                continue
            if scope_id is not None and (
                local in _IGNORED_NODE_CHILDREN or local.endswith("LoopCharacteristics")
            ):
                continue  # the subprocess's own children (incoming/outgoing), not its content
            if local == "sequenceFlow":
                self.flow_els.append((el, scope_id))
                continue
            handler = getattr(self, f"parse_{local}", None)
            element_id = el.get("id")
            if element_id:
                self.failed.add(element_id)  # until parsed
            self.failed_tags.add((scope_id, local))  # until parsed
            if handler is None:
                self.doc.unsupported(el)
                continue
            if not element_id:
                self.problem(el, "Element ohne id", "element without an id")
                continue
            if element_id in self.doc.ids:
                self.problem(
                    el,
                    f"id {element_id} ist doppelt vergeben",
                    f"id {element_id} is used more than once",
                )
                continue
            self.doc.ids[element_id] = el
            draft = handler(el, scope_id)
            if draft is not None:
                self.failed.discard(element_id)
                self.failed_tags.discard((scope_id, local))
                self.drafts[element_id] = draft
                child_ids.append(element_id)
        return child_ids

    def base(self, el: etree._Element) -> dict[str, Any]:
        return {"id": el.get("id"), "name": el.get("name"), "documentation": self.documentation(el)}

    def check_children(
        self, el: etree._Element, allowed: frozenset[str] = frozenset()
    ) -> list[etree._Element]:
        """BPMN children other than the ignorable ones; unexpected ones are problems."""
        relevant: list[etree._Element] = []
        for child in _elements(el):
            if _ns(child) != BPMN_NS or _local(child) in _IGNORED_NODE_CHILDREN:
                continue
            if _local(child) in allowed:
                relevant.append(child)
            else:
                self.doc.unsupported(child, self.where(el))
        return relevant

    # -- events

    def event_definitions(
        self, el: etree._Element, allowed: tuple[str, ...]
    ) -> tuple[bool, etree._Element | None]:
        """(ok, the single event definition or None); unsupported ones are reported."""
        definitions = [
            c for c in _elements(el) if _ns(c) == BPMN_NS and _local(c).endswith("EventDefinition")
        ]
        self.check_children(el, frozenset(_local(c) for c in definitions))
        ok = True
        for d in definitions:
            if _local(d) not in allowed:
                self.problem(
                    el,
                    f"{_qname(d)} wird an {_qname(el)} nicht unterstützt",
                    f"{_qname(d)} is not supported on {_qname(el)}",
                )
                ok = False
        if ok and len(definitions) > 1:
            self.problem(
                el,
                "Mehrere Ereignisdefinitionen an einem Ereignis werden nicht unterstützt",
                "several event definitions on one event are not supported",
            )
            ok = False
        return ok, (definitions[0] if definitions and ok else None)

    def timer(self, el: etree._Element, definition: etree._Element) -> TimerDefinition | None:
        parts = [
            c
            for c in _elements(definition)
            if _ns(c) == BPMN_NS and _local(c) in ("timeDate", "timeDuration", "timeCycle")
        ]
        if len(parts) != 1:
            self.problem(
                el,
                "Timer braucht genau eine Angabe: timeDate, timeDuration oder timeCycle",
                "a timer needs exactly one of timeDate, timeDuration or timeCycle",
            )
            return None
        kind = {"timeDate": "date", "timeDuration": "duration", "timeCycle": "cycle"}[
            _local(parts[0])
        ]
        try:
            return TimerDefinition.parse(kind, _text(parts[0]), where=self.where(el))  # type: ignore[arg-type]
        except DurationError as exc:
            self.problem(el, exc.german, exc.english)
            return None

    def parse_startEvent(self, el: etree._Element, scope: str | None) -> _Draft | None:  # noqa: N802
        ok, definition = self.event_definitions(el, ("timerEventDefinition",))
        if not ok:
            return None
        timer = None
        if definition is not None:
            if scope is not None:
                self.problem(
                    el,
                    "Start-Ereignis eines eingebetteten Teilprozesses darf keinen Timer haben",
                    "the start event of an embedded subprocess cannot have a timer",
                )
                return None
            timer = self.timer(el, definition)
            if timer is None:
                return None
        self.warn_extensions(el)
        initiator = (el.get(f"{_C}initiator") or "").strip() or None
        if initiator is not None and not initiator.isidentifier():
            self.problem(
                el,
                f"camunda:initiator {initiator!r} ist kein gültiger Variablenname",
                f"camunda:initiator {initiator!r} is not a valid variable name",
            )
            return None
        return _Draft(StartEvent, el, scope, timer=timer, initiator=initiator, **self.base(el))

    def parse_endEvent(self, el: etree._Element, scope: str | None) -> _Draft | None:  # noqa: N802
        ok, definition = self.event_definitions(
            el, ("terminateEventDefinition", "errorEventDefinition")
        )
        if not ok:
            return None
        kw: dict[str, Any] = {"end_type": "none"}
        if definition is not None and _local(definition) == "terminateEventDefinition":
            kw["end_type"] = "terminate"
        elif definition is not None:
            kw["end_type"] = "error"
            ref = definition.get("errorRef")
            if ref:
                error = self.doc.errors.get(ref)
                if error is None:
                    self.problem(
                        el,
                        f"errorRef {ref} verweist auf kein bpmn:error",
                        f"errorRef {ref} does not name a bpmn:error",
                    )
                    return None
                kw["error_code"] = error.get("errorCode") or error.get("id")
                kw["error_name"] = error.get("name")
        self.warn_extensions(el)
        return _Draft(EndEvent, el, scope, **kw, **self.base(el))

    def parse_intermediateCatchEvent(self, el: etree._Element, scope: str | None) -> _Draft | None:  # noqa: N802
        ok, definition = self.event_definitions(el, ("timerEventDefinition",))
        if not ok:
            return None
        if definition is None:
            self.problem(
                el,
                "Zwischenereignis ohne Timer wird nicht unterstützt",
                "an intermediate catch event without a timer is not supported",
            )
            return None
        timer = self.timer(el, definition)
        if timer is None:
            return None
        if timer.kind == "cycle":
            self.problem(
                el,
                "Ein Zwischenereignis wartet einmal: timeDate oder timeDuration statt timeCycle",
                "an intermediate event waits once: use timeDate or timeDuration, not timeCycle",
            )
            return None
        self.warn_extensions(el)
        return _Draft(IntermediateTimerEvent, el, scope, timer=timer, **self.base(el))

    def parse_boundaryEvent(self, el: etree._Element, scope: str | None) -> _Draft | None:  # noqa: N802
        ok, definition = self.event_definitions(el, ("timerEventDefinition",))
        if not ok:
            return None
        if definition is None:
            self.problem(
                el,
                "Randereignis ohne Timer wird nicht unterstützt",
                "a boundary event without a timer is not supported",
            )
            return None
        attached = el.get("attachedToRef")
        if not attached:
            self.problem(el, "attachedToRef fehlt", "attachedToRef is missing")
            return None
        timer = self.timer(el, definition)
        if timer is None:
            return None
        self.warn_extensions(el)
        return _Draft(
            BoundaryTimerEvent,
            el,
            scope,
            attached_to=attached,
            cancel_activity=_bool_attr(el.get("cancelActivity"), True),
            timer=timer,
            **self.base(el),
        )

    # -- gateways

    def parse_exclusiveGateway(self, el: etree._Element, scope: str | None) -> _Draft:  # noqa: N802
        self.check_children(el)
        self.warn_extensions(el)
        return _Draft(ExclusiveGateway, el, scope, default_flow=el.get("default"), **self.base(el))

    def parse_parallelGateway(self, el: etree._Element, scope: str | None) -> _Draft:  # noqa: N802
        self.check_children(el)
        self.warn_extensions(el)
        return _Draft(ParallelGateway, el, scope, **self.base(el))

    # -- activities

    def check_activity_attributes(self, el: etree._Element) -> bool:
        if el.get("default"):
            self.problem(
                el,
                "Standardfluss an Aktivitäten wird nicht unterstützt (Gateway verwenden)",
                "a default flow on an activity is not supported (use a gateway)",
            )
            return False
        return True

    def parse_userTask(self, el: etree._Element, scope: str | None) -> _Draft | None:  # noqa: N802
        loops = self.check_children(el, frozenset({"multiInstanceLoopCharacteristics"}))
        ok = self.check_activity_attributes(el)
        where = self.where(el)
        kw: dict[str, Any] = self.base(el)
        kw["assignee"] = self.value(el, el.get(f"{_C}assignee"), "camunda:assignee")
        kw["candidate_users"] = self.values(el, el.get(f"{_C}candidateUsers"), "candidateUsers")
        kw["candidate_groups"] = self.values(el, el.get(f"{_C}candidateGroups"), "candidateGroups")
        kw["priority"] = self.value(el, el.get(f"{_C}priority"), "camunda:priority")
        kw["form_key"] = el.get(f"{_C}formKey") or el.get(f"{_C}formRef")
        due, follow_up = el.get(f"{_C}dueDate"), el.get(f"{_C}followUpDate")
        properties: dict[str, str] = {}
        form_fields: list[FormField] = []
        for ext in self.extensions(el):
            local, ns = _local(ext), _ns(ext)
            if ns == CAMUNDA_NS and local == "formData":
                form_fields.extend(self.form_fields(el, ext))
            elif ns in (CAMUNDA_NS, ZEEBE_NS) and local == "properties":
                properties.update(self.properties(ext))
            elif ns == ZEEBE_NS and local == "assignmentDefinition":
                kw["assignee"] = self.value(el, ext.get("assignee"), "zeebe:assignee")
                kw["candidate_users"] = self.values(el, ext.get("candidateUsers"), "candidateUsers")
                kw["candidate_groups"] = self.values(
                    el, ext.get("candidateGroups"), "candidateGroups"
                )
            elif ns == ZEEBE_NS and local == "taskSchedule":
                due = ext.get("dueDate") or due
                follow_up = ext.get("followUpDate") or follow_up
            elif ns == ZEEBE_NS and local == "formDefinition":
                kw["form_key"] = (
                    ext.get("formKey") or ext.get("formId") or ext.get("externalReference")
                )
            elif ns == ZEEBE_NS and local == "priorityDefinition":
                kw["priority"] = self.value(el, ext.get("priority"), "zeebe:priority")
            elif ns == ZEEBE_NS and local == "userTask":
                pass  # marks a Camunda user task in Zeebe; nothing to read
            elif local in ("inputOutput", "ioMapping") and ns in (CAMUNDA_NS, ZEEBE_NS):
                self.problem(
                    el,
                    f"{_qname(ext)} ist nur an Service-Tasks möglich",
                    f"{_qname(ext)} is only possible on service tasks",
                )
                ok = False
            else:
                self.ignore_extension(ext, el)
        for attr, text in (("dueDate", due), ("followUpDate", follow_up)):
            timer = None
            if text and text.strip():
                try:
                    timer = TimerDefinition.parse_due_date(text, where=f"{where} ({attr})")
                except DurationError as exc:
                    self.problem(el, f"{attr}: {exc.german}", f"{attr}: {exc.english}")
                    ok = False
            kw["due_date" if attr == "dueDate" else "follow_up_date"] = timer
        kw["form_fields"] = tuple(form_fields)
        kw["properties"] = properties
        kw["four_eyes"] = tuple(_split_ids(properties.get(FOUR_EYES_PROPERTY, "")))
        kw["multi_instance"] = None
        for loop in loops:
            kw["multi_instance"] = self.multi_instance(el, loop)
            if kw["multi_instance"] is None:
                ok = False
        return _Draft(UserTask, el, scope, **kw) if ok else None

    def form_fields(self, task: etree._Element, form_data: etree._Element) -> list[FormField]:
        out: list[FormField] = []
        for f in _elements(form_data):
            if _local(f) != "formField":
                continue
            field_id = f.get("id")
            ftype = f.get("type") or "string"
            if not field_id:
                self.problem(task, "Formularfeld ohne id", "form field without an id")
                continue
            if ftype not in FORM_FIELD_TYPES:
                self.problem(
                    task,
                    f"Formularfeld {field_id}: Typ {ftype!r} nicht unterstützt "
                    f"({', '.join(FORM_FIELD_TYPES)})",
                    f"form field {field_id}: type {ftype!r} not supported "
                    f"({', '.join(FORM_FIELD_TYPES)})",
                )
                continue
            constraints: list[FormConstraint] = []
            enum_values: list[EnumValue] = []
            for child in _elements(f):
                if _local(child) == "validation":
                    for c in _elements(child):
                        if _local(c) == "constraint" and c.get("name"):
                            constraints.append(
                                FormConstraint(name=c.get("name"), config=c.get("config"))
                            )
                elif _local(child) == "value" and child.get("id"):
                    enum_values.append(
                        EnumValue(id=child.get("id"), name=child.get("name") or child.get("id"))
                    )
            names = {c.name for c in constraints}
            out.append(
                FormField(
                    id=field_id,
                    label=f.get("label"),
                    type=ftype,
                    required="required" in names,
                    readonly="readonly" in names,
                    default=self.value(task, f.get("defaultValue"), f"formField {field_id}"),
                    enum_values=tuple(enum_values),
                    constraints=tuple(constraints),
                )
            )
        return out

    def multi_instance(self, task: etree._Element, loop: etree._Element) -> MultiInstance | None:
        ok = True
        collection_text = loop.get(f"{_C}collection")
        element_variable = loop.get(f"{_C}elementVariable")
        cardinality = completion = None
        for child in _elements(loop):
            local, ns = _local(child), _ns(child)
            if ns == BPMN_NS and local == "loopDataInputRef":
                ref = _text(child)
                collection_text = self.data_names.get(ref, ref)
            elif ns == BPMN_NS and local == "inputDataItem":
                element_variable = child.get("name") or child.get("id")
            elif ns == BPMN_NS and local == "loopCardinality":
                cardinality = self.expression(task, _text(child), "loopCardinality")
                ok = ok and cardinality is not None
            elif ns == BPMN_NS and local == "completionCondition":
                completion = self.expression(task, _text(child), "completionCondition")
                ok = ok and completion is not None
            elif ns == BPMN_NS and local == "extensionElements":
                for ext in _elements(child):
                    if _ns(ext) == ZEEBE_NS and _local(ext) == "loopCharacteristics":
                        collection_text = ext.get("inputCollection") or collection_text
                        element_variable = ext.get("inputElement") or element_variable
                        if ext.get("outputCollection") or ext.get("outputElement"):
                            self.problem(
                                task,
                                "outputCollection/outputElement werden nicht unterstützt",
                                "outputCollection/outputElement are not supported",
                            )
                            ok = False
                    else:
                        self.ignore_extension(ext, task)
            elif ns == BPMN_NS and local in (
                "loopDataOutputRef",
                "outputDataItem",
                "complexBehaviorDefinition",
            ):
                self.doc.unsupported(child, self.where(task))
                ok = False
        collection = None
        if collection_text and collection_text.strip():
            collection = self.expression(task, collection_text, "Multi-Instanz-Sammlung/collection")
            ok = ok and collection is not None
        if element_variable is not None and not element_variable.isidentifier():
            self.problem(
                task,
                f"elementVariable {element_variable!r} ist kein gültiger Variablenname",
                f"elementVariable {element_variable!r} is not a valid variable name",
            )
            ok = False
        if ok and (collection is None) == (cardinality is None):
            self.problem(
                task,
                "Multi-Instanz braucht entweder eine Sammlung (collection/loopDataInputRef) "
                "oder loopCardinality",
                "multi-instance needs either a collection (collection/loopDataInputRef) "
                "or loopCardinality",
            )
            ok = False
        if not ok:
            return None
        return MultiInstance(
            sequential=_bool_attr(loop.get("isSequential"), False),
            collection=collection,
            element_variable=element_variable,
            cardinality=cardinality,
            completion_condition=completion,
        )

    def parse_serviceTask(self, el: etree._Element, scope: str | None) -> _Draft | None:  # noqa: N802
        self.check_children(el)
        ok = self.check_activity_attributes(el)
        names: list[tuple[str, str]] = []  # (handler, form)
        for attr, label in (
            ("class", "Java-Klassen"),
            ("expression", "camunda:expression"),
            ("resultVariable", "camunda:resultVariable"),
        ):
            if el.get(f"{_C}{attr}"):
                self.problem(
                    el,
                    f"camunda:{attr} wird nicht unterstützt ({label}); "
                    'camunda:type="external" mit camunda:topic verwenden',
                    f'camunda:{attr} is not supported; use camunda:type="external" '
                    "with camunda:topic",
                )
                ok = False
        ctype = el.get(f"{_C}type")
        if ctype is not None:
            if ctype != "external":
                self.problem(
                    el,
                    f'camunda:type="{ctype}" wird nicht unterstützt, nur "external"',
                    f'camunda:type="{ctype}" is not supported, only "external"',
                )
                ok = False
            elif not (el.get(f"{_C}topic") or "").strip():
                self.problem(el, "camunda:topic fehlt", "camunda:topic is missing")
                ok = False
            else:
                names.append((el.get(f"{_C}topic").strip(), "external"))
        delegate = el.get(f"{_C}delegateExpression")
        if delegate is not None:
            handler = self.delegate_name(delegate)
            if handler is None:
                self.problem(
                    el,
                    f"camunda:delegateExpression muss ${{name}} sein, nicht {delegate!r}",
                    f"camunda:delegateExpression must be ${{name}}, not {delegate!r}",
                )
                ok = False
            else:
                names.append((handler, "delegateExpression"))
        if el.get(f"{{{DMS_NS}}}handler"):
            names.append((el.get(f"{{{DMS_NS}}}handler").strip(), "dms"))
        inputs: dict[str, Expression] = {}
        properties: dict[str, str] = {}
        retries: int | None = None
        retry_interval = None
        for ext in self.extensions(el):
            local, ns = _local(ext), _ns(ext)
            if ns == ZEEBE_NS and local == "taskDefinition":
                task_type = (ext.get("type") or "").strip()
                if not task_type or task_type.startswith("="):
                    self.problem(
                        el,
                        "zeebe:taskDefinition braucht einen festen type (kein Ausdruck)",
                        "zeebe:taskDefinition needs a fixed type (not an expression)",
                    )
                    ok = False
                else:
                    names.append((task_type, "zeebe"))
                if (ext.get("retries") or "").strip().isdigit():
                    retries = int(ext.get("retries"))
            elif ns == CAMUNDA_NS and local == "inputOutput":
                ok = self.camunda_inputs(el, ext, inputs) and ok
            elif ns == ZEEBE_NS and local == "ioMapping":
                ok = self.zeebe_inputs(el, ext, inputs) and ok
            elif ns in (CAMUNDA_NS, ZEEBE_NS) and local in ("properties", "taskHeaders"):
                properties.update(self.properties(ext))
            elif ns == CAMUNDA_NS and local == "failedJobRetryTimeCycle":
                try:
                    cycle = parse_repeating(_text(ext))
                except DurationError as exc:
                    self.problem(
                        el,
                        f"failedJobRetryTimeCycle: {exc.german}",
                        f"failedJobRetryTimeCycle: {exc.english}",
                    )
                    ok = False
                    continue
                retries, retry_interval = cycle.repetitions, cycle.interval
            elif ns == CAMUNDA_NS and local in ("connector", "field"):
                self.problem(
                    el,
                    f"{_qname(ext)} wird nicht unterstützt",
                    f"{_qname(ext)} is not supported",
                )
                ok = False
            else:
                self.ignore_extension(ext, el)
        distinct = {n for n, _ in names}
        if not names and ok:
            self.problem(
                el,
                'Service-Task ohne Handler: camunda:type="external" camunda:topic="name", '
                'zeebe:taskDefinition type="name" oder camunda:delegateExpression="${name}"',
                'service task without a handler: camunda:type="external" camunda:topic="name", '
                'zeebe:taskDefinition type="name" or camunda:delegateExpression="${name}"',
            )
            ok = False
        elif len(distinct) > 1:
            self.problem(
                el,
                f"Widersprüchliche Handler-Namen: {', '.join(sorted(distinct))}",
                f"conflicting handler names: {', '.join(sorted(distinct))}",
            )
            ok = False
        if not ok:
            return None
        handler, form = names[0]
        return _Draft(
            ServiceTask,
            el,
            scope,
            handler=handler,
            handler_form=form,
            inputs=inputs,
            properties=properties,
            retries=retries,
            retry_interval=retry_interval,
            **self.base(el),
        )

    @staticmethod
    def delegate_name(text: str) -> str | None:
        try:
            expr = compile_expression(text)
        except ExpressionError:
            return None
        return expr.node.name if isinstance(expr.node, Var) else None

    def camunda_inputs(
        self, el: etree._Element, io: etree._Element, inputs: dict[str, Expression]
    ) -> bool:
        ok = True
        for param in _elements(io):
            local = _local(param)
            name = param.get("name")
            if local == "inputParameter" and name and not _elements(param):
                value = self.value(el, param.text or "", f"inputParameter {name}")
                inputs[name] = value if value is not None else compile_value("")
            else:
                self.problem(
                    el,
                    f"{_qname(param)} {name or ''} wird nicht unterstützt (nur "
                    "camunda:inputParameter mit Text oder ${...})",
                    f"{_qname(param)} {name or ''} is not supported (only "
                    "camunda:inputParameter with text or ${...})",
                )
                ok = False
        return ok

    def zeebe_inputs(
        self, el: etree._Element, io: etree._Element, inputs: dict[str, Expression]
    ) -> bool:
        ok = True
        for param in _elements(io):
            target = param.get("target")
            if _local(param) == "input" and target:
                value = self.value(el, param.get("source") or "", f"zeebe:input {target}")
                if value is None:
                    ok = False
                else:
                    inputs[target] = value
            else:
                self.problem(
                    el,
                    f"{_qname(param)} wird nicht unterstützt (nur zeebe:input)",
                    f"{_qname(param)} is not supported (only zeebe:input)",
                )
                ok = False
        return ok

    def parse_subProcess(self, el: etree._Element, scope: str | None) -> _Draft | None:  # noqa: N802
        ok = self.check_activity_attributes(el)
        if _bool_attr(el.get("triggeredByEvent"), False):
            self.problem(
                el,
                "Ereignis-Teilprozesse werden nicht unterstützt",
                "event subprocesses are not supported",
            )
            return None
        for child in _elements(el):
            if _ns(child) == BPMN_NS and _local(child).endswith("LoopCharacteristics"):
                self.doc.unsupported(child, self.where(el))
                ok = False
        for ext in self.extensions(el):
            self.ignore_extension(ext, el)
        child_ids = self.parse_scope(el, el.get("id"))
        if not ok:
            return None
        return _Draft(SubProcess, el, scope, child_ids=tuple(child_ids), **self.base(el))

    # -- flows

    def parse_flow(self, el: etree._Element, scope: str | None) -> SequenceFlow | None:
        flow_id, source, target = el.get("id"), el.get("sourceRef"), el.get("targetRef")
        if not flow_id:
            self.problem(el, "Sequenzfluss ohne id", "sequence flow without an id")
            return None
        if flow_id in self.doc.ids:
            self.problem(
                el, f"id {flow_id} ist doppelt vergeben", f"id {flow_id} is used more than once"
            )
            return None
        self.doc.ids[flow_id] = el
        ok = True
        for attr, ref in (("sourceRef", source), ("targetRef", target)):
            if ref in self.failed:
                ok = False
            elif not ref or ref not in self.drafts:
                self.problem(
                    el,
                    f"{attr} {ref!r} verweist auf kein unterstütztes Element",
                    f"{attr} {ref!r} does not name a supported element",
                )
                ok = False
            elif self.drafts[ref].parent_id != scope:
                self.problem(
                    el,
                    f"{attr} {ref} liegt in einem anderen (Teil-)Prozess",
                    f"{attr} {ref} lies in a different (sub)process",
                )
                ok = False
        condition = None
        for child in _elements(el):
            if _ns(child) == BPMN_NS and _local(child) == "conditionExpression":
                language = (child.get("language") or "").strip().lower()
                if language and language not in (
                    "juel",
                    "feel",
                    "http://www.omg.org/spec/feel/20140401",
                ):
                    self.problem(
                        el,
                        f"Bedingungssprache {language!r} wird nicht unterstützt (JUEL/FEEL)",
                        f"condition language {language!r} is not supported (JUEL/FEEL)",
                    )
                    ok = False
                elif child.get(f"{_C}resource"):
                    self.problem(
                        el,
                        "Externe Bedingungsskripte werden nicht unterstützt",
                        "external condition scripts are not supported",
                    )
                    ok = False
                elif _text(child):
                    condition = self.expression(el, _text(child), "Bedingung/condition")
                    ok = ok and condition is not None
            elif _ns(child) == BPMN_NS and _local(child) not in _IGNORED_NODE_CHILDREN:
                self.doc.unsupported(child, self.where(el))
                ok = False
        if not ok:
            return None
        self.warn_extensions(el)
        return SequenceFlow(
            id=flow_id,
            source=source,
            target=target,
            name=el.get("name"),
            condition=condition,
            parent_id=scope,
        )

    # -- assembly and validation

    def build(self, **process_kw: Any) -> ProcessSpec | None:
        flows: dict[str, SequenceFlow] = {}
        complete = not self.failed
        dangling: set[str] = set()  # lost a flow to an earlier problem: no follow-up noise
        for el, scope in self.flow_els:
            flow = self.parse_flow(el, scope)
            if flow is not None:
                flows[flow.id] = flow
            else:
                complete = False
                dangling.update(r for r in (el.get("sourceRef"), el.get("targetRef")) if r)
        incoming: dict[str, list[str]] = {i: [] for i in self.drafts}
        outgoing: dict[str, list[str]] = {i: [] for i in self.drafts}
        for flow in flows.values():
            outgoing[flow.source].append(flow.id)
            incoming[flow.target].append(flow.id)
        boundary: dict[str, list[str]] = {i: [] for i in self.drafts}
        for d in self.drafts.values():
            if d.cls is BoundaryTimerEvent:
                target = self.drafts.get(d.kw["attached_to"])
                if d.kw["attached_to"] in self.failed:
                    complete = False
                elif target is None or not issubclass(target.cls, Activity):
                    self.problem(
                        d.el,
                        f"attachedToRef {d.kw['attached_to']} ist keine unterstützte Aktivität",
                        f"attachedToRef {d.kw['attached_to']} is not a supported activity",
                    )
                elif target.parent_id != d.parent_id:
                    self.problem(
                        d.el,
                        "Randereignis und Aktivität liegen in verschiedenen Teilprozessen",
                        "boundary event and activity lie in different subprocesses",
                    )
                else:
                    boundary[target.id].append(d.id)
        self.check_flows(flows, incoming, outgoing, dangling)
        self.check_gateways(flows, outgoing)
        self.check_four_eyes()
        self.check_scopes(flows, boundary, complete=complete)
        if len(self.doc.problems) > self.problems_before:
            return None
        elements: dict[str, FlowNode] = {}
        for d in self.drafts.values():
            kw = dict(d.kw)
            kw["parent_id"] = d.parent_id
            kw["incoming"] = tuple(incoming[d.id])
            kw["outgoing"] = tuple(outgoing[d.id])
            if issubclass(d.cls, Activity):
                kw["boundary_event_ids"] = tuple(boundary[d.id])
            if d.cls is SubProcess:
                kw["start_event_ids"] = tuple(
                    c for c in kw["child_ids"] if self.drafts[c].cls is StartEvent
                )
            elements[d.id] = d.cls(**kw)
        defaults = {e.default_flow for e in elements.values() if isinstance(e, ExclusiveGateway)}
        flows = {f.id: _replace_default(f, f.id in defaults) for f in flows.values()}
        return ProcessSpec(
            elements=elements,
            flows=flows,
            start_event_ids=tuple(
                d.id for d in self.drafts.values() if d.cls is StartEvent and d.parent_id is None
            ),
            warnings=tuple(self.warnings),
            **process_kw,
        )

    def check_four_eyes(self) -> None:
        """Every id a ``fourEyes`` property names is a user task of this process."""
        for d in self.drafts.values():
            for ref in d.kw.get("four_eyes", ()):
                if ref in self.failed:
                    continue  # its own problem is reported already
                target = self.drafts.get(ref)
                if target is None or target.cls is not UserTask or ref == d.id:
                    self.problem(
                        d.el,
                        f"fourEyes nennt {ref!r}, das ist keine andere Benutzeraufgabe des "
                        "Prozesses",
                        f"fourEyes names {ref!r}, which is not another user task of the process",
                    )

    def check_flows(
        self,
        flows: dict[str, SequenceFlow],
        incoming: dict[str, list[str]],
        outgoing: dict[str, list[str]],
        dangling: set[str],
    ) -> None:
        for d in self.drafts.values():
            cls = d.cls
            if d.id in dangling:
                continue
            if cls in (StartEvent, BoundaryTimerEvent) and incoming[d.id]:
                self.problem(
                    d.el,
                    "Start- und Randereignisse dürfen keinen eingehenden Sequenzfluss haben",
                    "start and boundary events cannot have incoming sequence flows",
                )
            if cls is EndEvent and outgoing[d.id]:
                self.problem(
                    d.el,
                    "Ende-Ereignisse dürfen keinen ausgehenden Sequenzfluss haben",
                    "end events cannot have outgoing sequence flows",
                )
            if cls not in (StartEvent, BoundaryTimerEvent) and not incoming[d.id]:
                self.problem(d.el, "Kein eingehender Sequenzfluss", "no incoming sequence flow")
            if cls is not EndEvent and not outgoing[d.id]:
                self.problem(
                    d.el,
                    "Kein ausgehender Sequenzfluss (mit einem Ende-Ereignis abschließen)",
                    "no outgoing sequence flow (finish with an end event)",
                )
        for flow in flows.values():
            source = self.drafts[flow.source]
            if flow.condition is not None and source.cls is not ExclusiveGateway:
                self.problem(
                    self.doc.ids[flow.id],
                    "Bedingungen sind nur an Flüssen aus exklusiven Gateways erlaubt",
                    "conditions are only allowed on flows leaving an exclusive gateway",
                )

    def check_gateways(
        self, flows: dict[str, SequenceFlow], outgoing: dict[str, list[str]]
    ) -> None:
        for d in self.drafts.values():
            if d.cls is not ExclusiveGateway:
                continue
            default = d.kw["default_flow"]
            out = outgoing[d.id]
            if default is not None and default not in out:
                self.problem(
                    d.el,
                    f"Standardfluss {default} ist kein ausgehender Fluss dieses Gateways",
                    f"default flow {default} is not an outgoing flow of this gateway",
                )
                continue
            if default is not None and flows[default].condition is not None:
                self.problem(
                    d.el,
                    f"Standardfluss {default} darf keine Bedingung haben",
                    f"default flow {default} cannot have a condition",
                )
            if len(out) > 1:
                missing = [f for f in out if f != default and flows[f].condition is None]
                if missing:
                    self.problem(
                        d.el,
                        f"Ausgehende Flüsse ohne Bedingung: {', '.join(missing)} "
                        "(Bedingung ergänzen oder als Standardfluss markieren)",
                        f"outgoing flows without a condition: {', '.join(missing)} "
                        "(add a condition or mark one as the default flow)",
                    )

    def check_scopes(
        self,
        flows: dict[str, SequenceFlow],
        boundary: dict[str, list[str]],
        *,
        complete: bool,
    ) -> None:
        """Start and end events per scope; with ``complete`` (nothing was dropped for earlier
        problems, which would only cause follow-up noise) reachability both ways."""
        successors: dict[str, list[str]] = {i: [] for i in self.drafts}
        predecessors: dict[str, list[str]] = {i: [] for i in self.drafts}
        for flow in flows.values():
            successors[flow.source].append(flow.target)
            predecessors[flow.target].append(flow.source)
        for activity, events in boundary.items():
            for e in events:
                successors[activity].append(e)
                predecessors[e].append(activity)
        scopes: dict[str | None, list[_Draft]] = {}
        for d in self.drafts.values():
            scopes.setdefault(d.parent_id, []).append(d)
        scope_ids: list[str | None] = [None] + [
            d.id for d in self.drafts.values() if d.cls is SubProcess
        ]
        for scope in scope_ids:
            members = scopes.get(scope, [])
            owner = self.process if scope is None else self.drafts[scope].el
            starts = [d for d in members if d.cls is StartEvent]
            ends = [d for d in members if d.cls is EndEvent]
            none_starts = [d for d in starts if d.kw["timer"] is None]
            if not starts:
                if (scope, "startEvent") not in self.failed_tags:
                    self.problem(owner, "Kein Start-Ereignis", "no start event")
            elif scope is not None and len(starts) > 1:
                self.problem(
                    owner,
                    "Ein eingebetteter Teilprozess braucht genau ein Start-Ereignis",
                    "an embedded subprocess needs exactly one start event",
                )
            elif len(none_starts) > 1:
                self.problem(
                    owner,
                    "Höchstens ein Start-Ereignis ohne Timer erlaubt",
                    "at most one start event without a timer is allowed",
                )
            if not ends and (scope, "endEvent") not in self.failed_tags:
                self.problem(owner, "Kein Ende-Ereignis", "no end event")
            if not starts or not ends or not complete:
                continue
            reached = _reach([d.id for d in starts], successors)
            for d in members:
                if d.id not in reached and d.cls is not StartEvent:
                    self.problem(
                        d.el,
                        "Von keinem Start-Ereignis aus erreichbar",
                        "not reachable from any start event",
                    )
            finishing = _reach([d.id for d in ends], predecessors)
            for d in members:
                if d.id not in finishing and d.id in reached and successors[d.id]:
                    self.problem(
                        d.el,
                        "Kein Weg zu einem Ende-Ereignis (Endlosschleife oder Sackgasse)",
                        "no path to an end event (endless loop or dead end)",
                    )


def _reach(starts: list[str], edges: dict[str, list[str]]) -> set[str]:
    seen = set(starts)
    queue = deque(starts)
    while queue:
        for nxt in edges.get(queue.popleft(), ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def _replace_default(flow: SequenceFlow, is_default: bool) -> SequenceFlow:
    return flow if flow.is_default == is_default else replace(flow, is_default=is_default)
