"""REST API for the workflow engine under /api/v1: the inbox and its tasks, process
definitions and instances, incidents, and co-signing of a document. Thin routes: the
workflow services check permissions and write the audit trail."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, UploadFile
from fastapi import File as FormFile

from dms.errors import InvalidInput
from dms.web import schemas_workflow as w
from dms.web.api import _CONFLICT, _ERRORS, Offset
from dms.web.auth import request_unit
from workflows import cosign, processes, tasks
from workflows.inbox import InboxFilter, list_inbox

router = APIRouter(prefix="/api/v1", responses=_ERRORS)

TASKS = "Aufgaben / Tasks"
PROCESSES = "Prozesse / Processes"
COSIGN = "Mitzeichnung / Co-signing"
MAX_BPMN_BYTES = 5 * 1024 * 1024

View = Literal["all", "mine", "groups", "deputy", "overdue", "resubmission"]
Sort = Literal["due", "created", "priority"]


def _detail(ctx: Any, task_id: int) -> w.TaskDetail:
    return w.TaskDetail.of_view(tasks.get_task(ctx, task_id))


# --- the inbox -------------------------------------------------------------------------------


@router.get("/tasks", tags=[TASKS], summary="Posteingang / inbox")
def inbox(
    request: Request,
    view: Annotated[View, Query(description="all, mine, groups, deputy (Vertretung), overdue, "
                                            "resubmission (Wiedervorlage bis heute)")] = "all",
    sort: Sort = "due",
    q: Annotated[str | None, Query(max_length=200, description="Suche in Name/Kennung")] = None,
    instance_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> w.TaskPage:
    with request_unit(request) as ctx:
        items, total = list_inbox(ctx, InboxFilter(view=view, instance_id=instance_id,
                                                   search=q, sort=sort, limit=limit,
                                                   offset=offset))
        return w.TaskPage(items=[w.TaskOut.of_item(i) for i in items], total=total,
                          limit=limit, offset=offset)


@router.get("/tasks/{task_id}", tags=[TASKS], summary="Aufgabe lesen / read a task")
def get_task(request: Request, task_id: int) -> w.TaskDetail:
    with request_unit(request) as ctx:
        return _detail(ctx, task_id)


@router.post("/tasks/{task_id}/claim", tags=[TASKS], responses=_CONFLICT,
             summary="Gruppenaufgabe übernehmen / claim a group task")
def claim(request: Request, task_id: int) -> w.TaskDetail:
    with request_unit(request) as ctx:
        tasks.claim(ctx, task_id)
        return _detail(ctx, task_id)


@router.post("/tasks/{task_id}/release", tags=[TASKS], responses=_CONFLICT,
             summary="An die Gruppe zurückgeben / release to the group")
def release(request: Request, task_id: int) -> w.TaskDetail:
    with request_unit(request) as ctx:
        tasks.release(ctx, task_id)
        return _detail(ctx, task_id)


@router.post("/tasks/{task_id}/forward", tags=[TASKS], responses=_CONFLICT,
             summary="Weiterleiten / forward to a colleague")
def forward(request: Request, task_id: int, body: w.TaskForward) -> w.TaskOut:
    with request_unit(request) as ctx:
        view = tasks.get_task(ctx, task_id)  # visibility first
        task = tasks.forward(ctx, task_id, body.to, body.remark)
        return w.TaskOut(**w.TaskOut._task_fields(task), reason=None,
                         process_name=view.process_name,
                         business_key=view.instance.business_key,
                         case_id=view.instance.case_id, document_id=view.instance.document_id)


@router.post("/tasks/{task_id}/complete", tags=[TASKS], responses=_CONFLICT,
             summary="Erledigen mit Entscheidung und Bemerkung / complete")
def complete(request: Request, task_id: int, body: w.TaskComplete) -> w.TaskDetail:
    with request_unit(request) as ctx:
        tasks.complete(ctx, task_id, variables=body.variables, decision=body.decision,
                       remark=body.remark)
        return _detail(ctx, task_id)


@router.post("/tasks/{task_id}/read", tags=[TASKS], responses=_CONFLICT,
             summary="Zur Kenntnis genommen / mark an information task as read")
def mark_read(request: Request, task_id: int) -> w.TaskDetail:
    with request_unit(request) as ctx:
        tasks.mark_read(ctx, task_id)
        return _detail(ctx, task_id)


# --- processes -------------------------------------------------------------------------------


@router.get("/processes", tags=[PROCESSES],
            summary="Prozessdefinitionen mit Versionen / process definitions")
def definitions(request: Request, key: str | None = None) -> list[w.DefinitionOut]:
    with request_unit(request) as ctx:
        return [w.DefinitionOut.of(d) for d in processes.list_definitions(ctx, key)]


@router.post("/processes", tags=[PROCESSES], status_code=201,
             summary="BPMN-Modell bereitstellen (Verwaltung) / deploy a BPMN model (admins)")
def deploy(
    request: Request,
    file: Annotated[UploadFile, FormFile(description="BPMN 2.0 XML")],
) -> list[w.DefinitionOut]:
    with request_unit(request) as ctx:
        processes.require_admin(ctx)
        data = file.file.read(MAX_BPMN_BYTES + 1)
        if len(data) > MAX_BPMN_BYTES:
            raise InvalidInput("BPMN-Datei ist zu groß (höchstens 5 MB) / file too large")
        deployed = processes.deploy(ctx, data, file.filename)
        keys = {d.key for d in deployed}
        return [w.DefinitionOut.of(i) for i in processes.list_definitions(ctx)
                if i.definition.key in keys and i.definition in deployed]


@router.post("/processes/{key}/instances", tags=[PROCESSES], status_code=201,
             responses=_CONFLICT, summary="Prozess starten / start an instance")
def start_instance(request: Request, key: str, body: w.InstanceStart) -> w.InstanceOut:
    with request_unit(request) as ctx:
        instance = processes.start_process(
            ctx, key, body.variables, business_key=body.business_key, case_id=body.case_id,
            document_id=body.document_id)
        return _instance_out(ctx, instance.id)


def _instance_out(ctx: Any, instance_id: int) -> w.InstanceOut:
    detail = processes.instance_detail(ctx, instance_id)
    return w.InstanceOut(
        id=detail["id"], key=detail["key"], version=detail["version"], name=detail["name"],
        status=detail["status"], business_key=detail["business_key"],
        case_id=detail["case_id"], document_id=detail["document_id"],
        started_at=detail["started_at"], started_by=detail["started_by"],
        ended_at=detail["ended_at"], error=detail["error"],
        open_tasks=len(detail["open_tasks"]),
    )


@router.get("/instances", tags=[PROCESSES],
            summary="Sichtbare Prozessinstanzen / instances visible to the caller")
def instances(
    request: Request,
    status: Literal["running", "completed", "cancelled", "failed", "all"] = "running",
    key: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> w.InstancePage:
    with request_unit(request) as ctx:
        rows, total = processes.list_instances(
            ctx, status=None if status == "all" else status, key=key, limit=limit,
            offset=offset)
        return w.InstancePage(items=[w.InstanceOut.of_info(r) for r in rows], total=total,
                              limit=limit, offset=offset)


@router.get("/instances/{instance_id}", tags=[PROCESSES],
            summary="Zustand und Verlauf einer Instanz / instance state and history")
def instance(request: Request, instance_id: int) -> w.InstanceDetail:
    with request_unit(request) as ctx:
        return w.InstanceDetail.of(processes.instance_detail(ctx, instance_id))


@router.get("/incidents", tags=[PROCESSES], summary="Störungen (Verwaltung) / incidents")
def incidents(request: Request) -> list[w.IncidentOut]:
    with request_unit(request) as ctx:
        return [w.IncidentOut.of(i.job, i) for i in processes.list_incidents(ctx)]


@router.post("/incidents/{job_id}/retry", tags=[PROCESSES],
             summary="Störung erneut versuchen (Verwaltung) / retry an incident")
def retry(request: Request, job_id: int) -> w.IncidentOut:
    with request_unit(request) as ctx:
        return w.IncidentOut.of(processes.retry_incident(ctx, job_id))


# --- co-signing ------------------------------------------------------------------------------


@router.post("/documents/{document_id}/cosign", tags=[COSIGN], status_code=201,
             responses=_CONFLICT,
             summary="Mitzeichnung starten / start co-signing of a document")
def start_cosigning(request: Request, document_id: int, body: w.CosignStart) -> w.InstanceOut:
    with request_unit(request) as ctx:
        instance = cosign.start_cosigning(ctx, document_id, body.cosigners, body.mode,
                                          body.signer_group)
        return _instance_out(ctx, instance.id)
