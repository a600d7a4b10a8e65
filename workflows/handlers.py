"""Service-task handlers, looked up by name from the model (`camunda:topic`, delegate
expression or `zeebe:taskDefinition type`). A handler runs inside the job's transaction and
returns variables to set; raising makes the job retry and finally become an incident."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dms.services import audit
from dms.services.context import Ctx


@dataclass
class HandlerCall:
    ctx: Ctx
    instance_id: int
    element_id: str
    variables: dict[str, Any]
    case_id: int | None
    document_id: int | None


Handler = Callable[[HandlerCall], dict[str, Any] | None]
HANDLERS: dict[str, Handler] = {}


def handler(name: str) -> Callable[[Handler], Handler]:
    def register(function: Handler) -> Handler:
        HANDLERS[name] = function
        return function

    return register


class UnknownHandler(LookupError):
    pass


#: Modules of this package that register handlers; imported on first miss, so a handler a
#: shipped model names is found by a worker that never imported its module.
BUILT_IN = ("workflows.invoice_approval", "workflows.signing_step")


def lookup(name: str) -> Handler:
    if name not in HANDLERS:
        import importlib

        for module in BUILT_IN:
            importlib.import_module(module)
    try:
        return HANDLERS[name]
    except KeyError:
        raise UnknownHandler(
            f"Kein Handler namens {name!r} registriert / no handler registered under this name;"
            f" bekannt / known: {', '.join(sorted(HANDLERS))}"
        ) from None


@handler("file-away")
def file_away(call: HandlerCall) -> dict[str, Any]:
    """z.d.A.: the case is closed ("zu den Akten")."""
    from dms.models import Case

    if call.case_id is not None:
        case = call.ctx.db.get(Case, call.case_id)
        if case is not None and case.status != "closed":
            case.status = "closed"
            audit.record(call.ctx, "case.status", "case", case.id,
                         before={"status": "open"}, after={"status": "closed", "via": "z.d.A."})
    return {"filed": True}


@handler("dispatch")
def dispatch(call: HandlerCall) -> dict[str, Any]:
    """Dispatch (Abgang): recorded; the outgoing channel (post, e-mail) is a connector."""
    audit.record(call.ctx, "document.dispatch", "document", call.document_id or "-",
                 after={"instance": call.instance_id})
    return {"dispatched": True}


@handler("notify")
def notify(call: HandlerCall) -> dict[str, Any]:
    """Reminder or escalation: recorded in the audit trail; tasks get flagged by the engine."""
    audit.record(call.ctx, "process.reminder", "process_instance", call.instance_id,
                 after={"element": call.element_id})
    return {}


@handler("noop")
def noop(call: HandlerCall) -> dict[str, Any]:
    return {}
