"""Checks a user task runs before it completes, named by the process model.

A user task names its checks in the extension property ``completionCheck`` (in Camunda
Modeler: Properties > Extension properties, ``completionCheck = signing-authority``; several
names comma-separated); a module registers what each name means, as service-task handlers are
registered in workflows.handlers. So tasks.complete stays free of element ids, and a model
decides which of its steps need, for example, a person entitled to sign.

A check runs inside the completing transaction, before the engine moves on. It may refuse
(raise PermissionDenied, InvalidInput, Conflict), normalise the decision, or add variables.
A name nobody registered refuses completion: a model asking for a check must not slip past it.
Checks may also name the decisions their task offers (buttons in the UI, values in the API).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dms.errors import Conflict
from dms.services.context import Ctx
from workflows.models import ProcessInstance, Task
from workflows.spec import FlowNode, UserTask

PROPERTY = "completionCheck"
#: Modules of this package that register checks; imported on first use, so a check named by
#: a shipped model is found even when nothing imported its module yet.
BUILT_IN = ("workflows.cosign", "workflows.invoice_approval")


@dataclass
class Completion:
    """One completion on its way: checks may change `decision` and `values`."""

    ctx: Ctx
    task: Task
    instance: ProcessInstance
    element: UserTask
    by: str  # the person completing (on behalf of `task.assignee` when a deputy)
    values: dict[str, Any]
    decision: str | None
    remark: str | None


@dataclass(frozen=True)
class Decision:
    id: str
    label: str
    primary: bool = False


@dataclass(frozen=True)
class CheckSpec:
    name: str
    function: Callable[[Completion], None]
    decisions: tuple[Decision, ...] = ()
    hidden_fields: frozenset[str] = field(default_factory=frozenset)


CHECKS: dict[str, CheckSpec] = {}
_loaded = False


def check(name: str, *, decisions: tuple[Decision, ...] = (),
          hidden_fields: tuple[str, ...] = ()) -> Callable[[Callable[[Completion], None]],
                                                          Callable[[Completion], None]]:
    """Register a check. `decisions` are the choices the task offers (the first primary one is
    the usual answer); `hidden_fields` are form fields the decision sets, not to be shown."""

    def register(function: Callable[[Completion], None]) -> Callable[[Completion], None]:
        CHECKS[name] = CheckSpec(name, function, decisions, frozenset(hidden_fields))
        return function

    return register


def _load_built_ins() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        for module in BUILT_IN:
            importlib.import_module(module)


def names_for(element: FlowNode | None) -> list[str]:
    if not isinstance(element, UserTask):
        return []
    raw = element.properties.get(PROPERTY, "")
    return [n.strip() for n in raw.split(",") if n.strip()]


def specs_for(element: FlowNode | None) -> list[CheckSpec]:
    specs = []
    for name in names_for(element):
        if name not in CHECKS:
            _load_built_ins()
        spec = CHECKS.get(name)
        if spec is None:
            raise Conflict(
                f"Die Aufgabe verlangt die Prüfung {name!r}, die nicht registriert ist; sie kann "
                f"nicht abgeschlossen werden / the task requires an unregistered check {name!r}"
            )
        specs.append(spec)
    return specs


def run(completion: Completion) -> None:
    for spec in specs_for(completion.element):
        spec.function(completion)


def decisions_for(element: FlowNode | None) -> tuple[Decision, ...]:
    for spec in specs_for(element):
        if spec.decisions:
            return spec.decisions
    return ()


def hidden_fields_for(element: FlowNode | None) -> frozenset[str]:
    hidden: set[str] = set()
    for spec in specs_for(element):
        hidden |= spec.hidden_fields
    return frozenset(hidden)
