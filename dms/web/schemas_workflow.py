"""Request and response models of the workflow API (tasks, processes, instances, incidents,
co-signing): plain data copied out of the rows the workflow services return, inside the
request's unit of work."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from dms.models import utcnow
from dms.web.schemas import Schema
from workflows.checks import Decision
from workflows.inbox import InboxItem
from workflows.models import Job, ProcessInstance, Task
from workflows.processes import DefinitionInfo, IncidentInfo, InstanceInfo
from workflows.tasks import TaskView

# --- tasks -----------------------------------------------------------------------------------


class CandidateOut(Schema):
    kind: Literal["user", "group"]
    value: str


class FormOptionOut(Schema):
    id: str
    name: str | None = None


class FormFieldOut(Schema):
    id: str
    label: str
    type: str = Field(description="string, long, boolean, date, enum (or a modeller's own)")
    required: bool = False
    readonly: bool = False
    default: Any = None
    options: list[FormOptionOut] = Field(default_factory=list)


class FormOut(Schema):
    key: str | None = None
    fields: list[FormFieldOut]

    @classmethod
    def of(cls, form: dict[str, Any] | None) -> FormOut | None:
        if not form:
            return None
        return cls(key=form.get("key"), fields=[
            FormFieldOut(
                id=f["id"], label=f.get("label") or f["id"], type=f.get("type") or "string",
                required=bool(f.get("required")), readonly=bool(f.get("readonly")),
                default=f.get("default"),
                options=[FormOptionOut(id=o["id"], name=o.get("name"))
                         for o in f.get("options", [])],
            ) for f in form.get("fields", [])
        ])


class DecisionOut(Schema):
    id: str = Field(examples=["approve"])
    label: str = Field(examples=["Mitzeichnen"])
    primary: bool = False

    @classmethod
    def of(cls, decision: Decision) -> DecisionOut:
        return cls(id=decision.id, label=decision.label, primary=decision.primary)


class TaskOut(Schema):
    """A task with why it is in the caller's inbox."""

    id: int
    name: str
    element_id: str
    kind: str = Field(description="task, or info (Kenntnisnahme: done by reading)")
    status: str = Field(description="open, completed or cancelled")
    assignee: str | None
    delegated_from: str | None = None
    due_at: datetime | None
    follow_up_at: datetime | None = Field(description="Wiedervorlage / resubmission date")
    priority: int
    escalated: bool
    overdue: bool
    created_at: datetime
    completed_at: datetime | None = None
    completed_by: str | None = None
    decision: str | None = None
    remark: str | None = None
    reason: str | None = Field(description="Why the task is in this inbox, in words")
    reason_code: str | None = Field(
        default=None, description="assigned, candidate, group or deputy")
    instance_id: int
    process_name: str
    business_key: str | None
    case_id: int | None
    document_id: int | None

    @staticmethod
    def _task_fields(task: Task) -> dict[str, Any]:
        return {
            "id": task.id, "name": task.name, "element_id": task.element_id, "kind": task.kind,
            "status": task.status, "assignee": task.assignee,
            "delegated_from": task.delegated_from, "due_at": task.due_at,
            "follow_up_at": task.follow_up_at, "priority": task.priority,
            "escalated": task.escalated, "created_at": task.created_at,
            "completed_at": task.completed_at, "completed_by": task.completed_by,
            "decision": task.decision, "remark": task.remark, "instance_id": task.instance_id,
            "overdue": task.status == "open" and task.due_at is not None
            and task.due_at < utcnow(),
        }

    @classmethod
    def of_item(cls, item: InboxItem) -> TaskOut:
        return cls(**cls._task_fields(item.task), reason=item.reason,
                   reason_code=item.reason_code, process_name=item.process_name,
                   business_key=item.business_key, case_id=item.case_id,
                   document_id=item.document_id)


class TaskDetail(TaskOut):
    documentation: str | None = None
    form: FormOut | None = None
    candidates: list[CandidateOut] = Field(default_factory=list)
    decisions: list[DecisionOut] = Field(
        default_factory=list,
        description="Choices the model offers (e.g. approve/refuse); empty: complete plainly")
    hidden_fields: list[str] = Field(default_factory=list,
                                     description="Form fields a decision sets")
    can_complete: bool
    can_claim: bool

    @classmethod
    def of_view(cls, view: TaskView) -> TaskDetail:
        instance: ProcessInstance = view.instance
        return cls(
            **cls._task_fields(view.task), reason=view.reason, process_name=view.process_name,
            business_key=instance.business_key, case_id=instance.case_id,
            document_id=instance.document_id, documentation=view.task.documentation,
            form=FormOut.of(view.task.form),
            candidates=[CandidateOut(kind=k, value=v)  # type: ignore[arg-type]
                        for k, v in view.candidates],
            decisions=[DecisionOut.of(d) for d in view.decisions],
            hidden_fields=sorted(view.hidden_fields), can_complete=view.can_complete,
            can_claim=view.can_claim,
        )


class TaskPage(Schema):
    items: list[TaskOut]
    total: int
    limit: int
    offset: int


class TaskComplete(Schema):
    decision: str | None = Field(default=None, max_length=64, examples=["approve"])
    remark: str | None = Field(default=None, max_length=4000)
    variables: dict[str, Any] = Field(default_factory=dict)


class TaskForward(Schema):
    to: str = Field(min_length=1, max_length=64, description="Benutzername / user name")
    remark: str | None = Field(default=None, max_length=4000)


# --- processes and instances -----------------------------------------------------------------


class DefinitionOut(Schema):
    id: int
    key: str = Field(examples=["cosign"])
    version: int
    name: str
    deployed_at: datetime
    deployed_by: str
    latest: bool
    running: int | None = Field(default=None, description="Laufende Instanzen (nur Verwaltung)")

    @classmethod
    def of(cls, info: DefinitionInfo) -> DefinitionOut:
        d = info.definition
        return cls(id=d.id, key=d.key, version=d.version, name=d.name,
                   deployed_at=d.deployed_at, deployed_by=d.deployed_by, latest=info.latest,
                   running=info.running)


class InstanceStart(Schema):
    variables: dict[str, Any] = Field(default_factory=dict)
    business_key: str | None = Field(default=None, max_length=200)
    case_id: int | None = None
    document_id: int | None = None


class InstanceOut(Schema):
    id: int
    key: str
    version: int
    name: str
    status: str
    business_key: str | None
    case_id: int | None
    document_id: int | None
    started_at: datetime
    started_by: str
    ended_at: datetime | None
    error: str | None = None
    open_tasks: int | None = None

    @classmethod
    def of_info(cls, info: InstanceInfo) -> InstanceOut:
        i = info.instance
        return cls(id=i.id, key=info.key, version=info.version, name=info.name,
                   status=i.status, business_key=i.business_key, case_id=i.case_id,
                   document_id=i.document_id, started_at=i.started_at,
                   started_by=i.started_by, ended_at=i.ended_at, error=i.error,
                   open_tasks=info.open_tasks)


class InstancePage(Schema):
    items: list[InstanceOut]
    total: int
    limit: int
    offset: int


class InstanceTaskOut(Schema):
    id: int
    name: str
    element: str
    assignee: str | None
    status: str
    due_at: datetime | None
    completed_by: str | None
    decision: str | None
    remark: str | None


class JobOut(Schema):
    id: int
    kind: str
    element: str
    due_at: datetime
    status: str
    attempts: int
    error: str | None


class HistoryOut(Schema):
    at: datetime
    event: str
    element: str | None
    actor: str | None
    details: dict[str, Any] | None


class InstanceDetail(Schema):
    """State, variables, tasks, jobs and history of one instance."""

    id: int
    key: str
    version: int
    name: str
    status: str
    error: str | None
    business_key: str | None
    case_id: int | None
    document_id: int | None
    started_at: datetime
    started_by: str
    ended_at: datetime | None
    variables: dict[str, Any]
    open_tasks: list[InstanceTaskOut]
    tasks: list[InstanceTaskOut]
    jobs: list[JobOut]
    history: list[HistoryOut]

    @classmethod
    def of(cls, status: dict[str, Any]) -> InstanceDetail:
        return cls.model_validate(status)


class IncidentOut(Schema):
    job_id: int
    instance_id: int | None
    element_id: str
    kind: str
    handler: str | None
    status: str
    attempts: int
    error: str | None
    due_at: datetime
    process_name: str | None = None
    business_key: str | None = None

    @classmethod
    def of(cls, job: Job, info: IncidentInfo | None = None) -> IncidentOut:
        return cls(job_id=job.id, instance_id=job.instance_id, element_id=job.element_id,
                   kind=job.kind, handler=job.handler, status=job.status,
                   attempts=job.attempts, error=job.last_error, due_at=job.due_at,
                   process_name=info.process_name if info else None,
                   business_key=info.business_key if info else None)


# --- co-signing ------------------------------------------------------------------------------


class CosignStart(Schema):
    """Mitzeichnung anfordern: who co-signs, in which order, who signs at the end."""

    cosigners: list[str] = Field(
        max_length=50, examples=[["weber", "21"]],
        description="Benutzernamen oder Amtskennungen (ein Amt zeichnet durch eines seiner "
                    "Mitglieder) / user names or office codes")
    mode: Literal["parallel", "sequential"] = "parallel"
    signer_group: str | None = Field(
        default=None, max_length=200,
        description="Amt oder Gruppe der Schlusszeichnung (Standard: das eigene Amt)")
