"""Processes as people see them: definitions, starting an instance, who may look at which
instance, and the administrator's incidents. The rules live here; web, API and CLI call in.

An instance is visible to administrators, to the person who started it and to everyone who
has or had a task in it (assigned, offered to them or their group, completed, forwarded by
them, or held by a colleague they stand in for). Anyone else is told it does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, true

from dms.errors import InvalidInput, NotFound, PermissionDenied
from dms.services import documents, files
from dms.services.context import Ctx
from workflows import engine, jobs
from workflows.identity import Reach, reach_of
from workflows.inbox import candidate_ids
from workflows.models import Job, ProcessDefinition, ProcessInstance, Task
from workflows.status import instance_status

#: Processes with a start of their own (validation, sharing): generic starts are refused.
DEDICATED_STARTS = {
    "cosign": "Mitzeichnung über das Dokument starten (POST /api/v1/documents/{id}/cosign) / "
              "start co-signing from the document",
}


def require_admin(ctx: Ctx) -> None:
    if not ctx.actor.is_admin:
        raise PermissionDenied("Nur für die Verwaltung / administrators only")


# --- definitions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DefinitionInfo:
    definition: ProcessDefinition
    latest: bool
    running: int | None  # shown to administrators only


def list_definitions(ctx: Ctx, key: str | None = None) -> list[DefinitionInfo]:
    """Every deployed version, newest first per key (what may be started, and by which
    version)."""
    query = select(ProcessDefinition).order_by(ProcessDefinition.key,
                                               ProcessDefinition.version.desc())
    if key is not None:
        query = query.where(ProcessDefinition.key == key)
    rows = list(ctx.db.scalars(query))
    running: dict[int, int] = {}
    if ctx.actor.is_admin:
        running = {d: int(n) for d, n in ctx.db.execute(
            select(ProcessInstance.definition_id, func.count())
            .where(ProcessInstance.status == "running")
            .group_by(ProcessInstance.definition_id)).all()}
    latest: dict[str, int] = {}
    for d in rows:
        latest.setdefault(d.key, d.version)
    return [DefinitionInfo(d, latest[d.key] == d.version,
                           running.get(d.id, 0) if ctx.actor.is_admin else None) for d in rows]


def deploy(ctx: Ctx, xml: bytes, filename: str | None = None) -> list[ProcessDefinition]:
    require_admin(ctx)
    if not xml.strip():
        raise InvalidInput("Die BPMN-Datei ist leer / the BPMN file is empty")
    return engine.deploy(ctx, xml, source=filename or "upload")


def process_key(ctx: Ctx, instance: ProcessInstance) -> str | None:
    return ctx.db.scalar(select(ProcessDefinition.key).where(
        ProcessDefinition.id == instance.definition_id))


# --- starting --------------------------------------------------------------------------------


def start_process(
    ctx: Ctx, key: str, variables: dict[str, Any] | None = None, *,
    business_key: str | None = None, case_id: int | None = None,
    document_id: int | None = None,
) -> ProcessInstance:
    """Start the latest version of `key`. A case or document it works on must be writable
    by the caller (the process acts on it in their name)."""
    if ctx.actor.user_id is None and not ctx.actor.is_admin:
        raise PermissionDenied("Anmeldung erforderlich / login required")
    if document_id is not None:
        document, _versions = documents.get_document(ctx, document_id)
        if case_id is not None and case_id != document.case_id:
            raise InvalidInput("Dokument gehört nicht zu diesem Vorgang / document not in case")
        case_id = document.case_id
    if case_id is not None:
        case = files.writable_case(ctx, case_id)
        business_key = business_key or case.reference
    if key in DEDICATED_STARTS:
        raise InvalidInput(DEDICATED_STARTS[key])
    if not ctx.actor.is_admin and not ctx.actor.roles:
        raise PermissionDenied("Ohne Rolle keine Prozesse starten / no role, no processes")
    return engine.start(ctx, key, variables or {}, business_key=business_key,
                        case_id=case_id, document_id=document_id)


# --- instances -------------------------------------------------------------------------------


def _involved(reach: Reach) -> ColumnElement[bool]:
    """Instances with a task for this person (now or earlier)."""
    who = or_(
        Task.assignee == reach.username, Task.completed_by == reach.username,
        Task.delegated_from == reach.username, Task.id.in_(candidate_ids(reach)),
    )
    if reach.stand_ins:
        who = or_(who, Task.assignee.in_(reach.absent_usernames))
    return ProcessInstance.id.in_(select(Task.instance_id).where(who))


def visible_instances(ctx: Ctx) -> ColumnElement[bool]:
    if ctx.actor.is_admin:
        return true()
    reach = reach_of(ctx.db, ctx.actor)
    return or_(ProcessInstance.started_by == ctx.actor.username, _involved(reach))


def get_instance(ctx: Ctx, instance_id: int) -> ProcessInstance:
    instance = ctx.db.scalar(select(ProcessInstance).where(
        ProcessInstance.id == instance_id, visible_instances(ctx)))
    if instance is None:
        raise NotFound(f"Prozessinstanz {instance_id} nicht gefunden / instance not found")
    return instance


def instance_detail(ctx: Ctx, instance_id: int) -> dict[str, Any]:
    """State, variables, tasks, jobs and history of a visible instance."""
    get_instance(ctx, instance_id)
    return instance_status(ctx, instance_id)


@dataclass(frozen=True)
class InstanceInfo:
    instance: ProcessInstance
    key: str
    version: int
    name: str
    open_tasks: int


def list_instances(ctx: Ctx, *, status: str | None = "running", key: str | None = None,
                   limit: int = 50, offset: int = 0) -> tuple[list[InstanceInfo], int]:
    query = (
        select(ProcessInstance, ProcessDefinition.key, ProcessDefinition.version,
               ProcessDefinition.name)
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .where(visible_instances(ctx))
    )
    if status:
        query = query.where(ProcessInstance.status == status)
    if key:
        query = query.where(ProcessDefinition.key == key)
    total = ctx.db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = ctx.db.execute(query.order_by(ProcessInstance.id.desc())
                          .limit(max(1, min(limit, 500))).offset(max(0, offset))).all()
    ids = [row[0].id for row in rows]
    counts: dict[int, int] = {}
    if ids:
        counts = {i: int(n) for i, n in ctx.db.execute(
            select(Task.instance_id, func.count()).where(
                Task.instance_id.in_(ids), Task.status == "open").group_by(Task.instance_id))}
    return [InstanceInfo(inst, k, v, n, counts.get(inst.id, 0)) for inst, k, v, n in rows], \
        int(total)


# --- incidents -------------------------------------------------------------------------------


@dataclass(frozen=True)
class IncidentInfo:
    job: Job
    process_name: str | None
    business_key: str | None


def list_incidents(ctx: Ctx) -> list[IncidentInfo]:
    require_admin(ctx)
    rows = jobs.incidents(ctx)
    instance_ids = {j.instance_id for j in rows if j.instance_id is not None}
    names: dict[int, tuple[str, str | None]] = {}
    if instance_ids:
        names = {i: (n, b) for i, n, b in ctx.db.execute(
            select(ProcessInstance.id, ProcessDefinition.name, ProcessInstance.business_key)
            .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
            .where(ProcessInstance.id.in_(instance_ids)))}
    out = []
    for job in rows:
        name, business_key = names.get(job.instance_id or -1, (None, None))
        out.append(IncidentInfo(job, name, business_key))
    return out


def retry_incident(ctx: Ctx, job_id: int) -> Job:
    require_admin(ctx)
    return jobs.retry_incident(ctx, job_id)
