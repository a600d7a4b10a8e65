"""Runtime state of the engine: definitions, instances, executions (tokens), variables,
tasks with their candidates, jobs (service tasks, timers) and the per-instance history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from dms.models.base import Base, utcnow


class ProcessDefinition(Base):
    """One deployed version of a BPMN process; the parsed spec is stored beside the XML so
    the runtime never parses XML (specs are cached per definition id)."""

    __tablename__ = "wf_definitions"
    __table_args__ = (UniqueConstraint("key", "version", name="uq_wf_definitions_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    bpmn_xml: Mapped[str] = mapped_column(Text)
    spec: Mapped[dict[str, Any]]
    deployed_at: Mapped[datetime] = mapped_column(default=utcnow)
    deployed_by: Mapped[str] = mapped_column(String(64))


class ProcessInstance(Base):
    __tablename__ = "wf_instances"

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("wf_definitions.id"), index=True)
    business_key: Mapped[str | None] = mapped_column(String(200), index=True)
    status: Mapped[str] = mapped_column(String(16), default="running", index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    started_by: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)
    error: Mapped[str | None] = mapped_column(Text)


class Execution(Base):
    """A token, or a scope (process, embedded subprocess, multi-instance body) holding tokens."""

    __tablename__ = "wf_executions"
    # a scope's children and a token's jobs also go by ON DELETE CASCADE, so the ORM may find
    # fewer rows to delete than it queued: expected, not an error
    __mapper_args__ = {"confirm_deleted_rows": False}

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("wf_instances.id", ondelete="CASCADE"), index=True
    )
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("wf_executions.id", ondelete="CASCADE"), index=True
    )
    element_id: Mapped[str] = mapped_column(String(200))
    # active: moving; waiting: at a user task, timer or job; joined: arrived at a parallel join
    # and waiting for its siblings; scope: container of child executions
    state: Mapped[str] = mapped_column(String(16))
    is_scope: Mapped[bool] = mapped_column(default=False)
    loop_index: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Variable(Base):
    __tablename__ = "wf_variables"
    __table_args__ = (UniqueConstraint("instance_id", "scope_id", "name", name="uq_wf_variables"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("wf_instances.id", ondelete="CASCADE"), index=True
    )
    # 0 = the process scope; otherwise the id of the scope execution holding a local variable
    scope_id: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(200))
    value: Mapped[dict[str, Any]]  # {"v": <JSON value>} so that scalars fit a JSON column


class Task(Base):
    """A user task in someone's inbox."""

    __tablename__ = "wf_tasks"
    __table_args__ = (
        Index("ix_wf_tasks_assignee_open", "assignee", "status"),
        Index("ix_wf_tasks_status_due", "status", "due_at"),
        # the inbox's own and deputised tasks: one index range per person, already in
        # due-date order (NULLS LAST is the ascending default on PostgreSQL), open ones only
        Index("ix_wf_tasks_open_assignee_due", "assignee", "due_at", "id",
              postgresql_where=text("status = 'open'"), sqlite_where=text("status = 'open'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("wf_instances.id", ondelete="CASCADE"), index=True
    )
    execution_id: Mapped[int | None] = mapped_column(
        ForeignKey("wf_executions.id", ondelete="SET NULL"), index=True
    )
    element_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(16), default="task")  # task | info (Kenntnisnahme)
    assignee: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="open")
    due_at: Mapped[datetime | None]
    follow_up_at: Mapped[datetime | None]
    priority: Mapped[int] = mapped_column(default=50)
    form: Mapped[dict[str, Any] | None]
    documentation: Mapped[str | None] = mapped_column(Text)
    escalated: Mapped[bool] = mapped_column(default=False)
    delegated_from: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[str | None] = mapped_column(String(64))
    decision: Mapped[str | None] = mapped_column(String(64))
    remark: Mapped[str | None] = mapped_column(Text)


class TaskCandidate(Base):
    """Who may claim an unassigned task: a user name or a group (group name or office code)."""

    __tablename__ = "wf_task_candidates"
    __table_args__ = (
        Index("ix_wf_task_candidates_lookup", "kind", "value", "task_id"),
        # the inbox's offered tasks (group / candidate user): a covering range per group in
        # due-date order, over the rows still offered only
        Index("ix_wf_task_candidates_offered_due", "kind", "value", "due_at", "task_id",
              postgresql_where=text("offered"), sqlite_where=text("offered")),
    )

    task_id: Mapped[int] = mapped_column(
        ForeignKey("wf_tasks.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # user | group
    value: Mapped[str] = mapped_column(String(200), primary_key=True)
    # Denormalised from the task (kept by workflows.offers) so that the inbox reads one
    # index and never the task table to find a group's open, unclaimed tasks: "offered" is
    # the task's status == "open" and assignee IS NULL (angeboten, nicht übernommen).
    offered: Mapped[bool] = mapped_column(default=True, server_default=true())
    due_at: Mapped[datetime | None]


class TaskExclusion(Base):
    """Four-eyes (Vier-Augen-Prinzip): a person who may not claim or complete this task,
    because they completed an earlier task the model names (``fourEyes``). Written when the
    task is created, so the inbox can leave the task out with one indexed lookup."""

    __tablename__ = "wf_task_exclusions"
    __table_args__ = (Index("ix_wf_task_exclusions_user", "username", "task_id"),)

    task_id: Mapped[int] = mapped_column(
        ForeignKey("wf_tasks.id", ondelete="CASCADE"), primary_key=True
    )
    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    source_task_id: Mapped[int | None]  # the completed task that excludes them


class Job(Base):
    """Work for `dms worker`: a service task to run or a timer to fire, claimed exactly once."""

    __tablename__ = "wf_jobs"
    __mapper_args__ = {"confirm_deleted_rows": False}  # see Execution
    __table_args__ = (Index("ix_wf_jobs_pending", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # instance jobs carry the instance; a timer start event carries the definition instead
    instance_id: Mapped[int | None] = mapped_column(
        ForeignKey("wf_instances.id", ondelete="CASCADE"), index=True
    )
    definition_id: Mapped[int | None] = mapped_column(
        ForeignKey("wf_definitions.id", ondelete="CASCADE"), index=True
    )
    execution_id: Mapped[int | None] = mapped_column(
        ForeignKey("wf_executions.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # service | timer | boundary | start
    element_id: Mapped[str] = mapped_column(String(200))
    handler: Mapped[str | None] = mapped_column(String(200))
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | incident
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    repeat: Mapped[str | None] = mapped_column(String(100))  # remaining timer cycle, if any
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class HistoryEntry(Base):
    """What happened in an instance, in order: for the status view and `dms process status`."""

    __tablename__ = "wf_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("wf_instances.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    event: Mapped[str] = mapped_column(String(32))
    element_id: Mapped[str | None] = mapped_column(String(200))
    actor: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any] | None]


class SchedulerJob(Base):
    """APScheduler's persistent job store table (its SQLAlchemyJobStore schema), created by our
    migrations so that the schema stays under Alembic."""

    __tablename__ = "apscheduler_jobs"

    id: Mapped[str] = mapped_column(String(191), primary_key=True)
    next_run_time: Mapped[float | None] = mapped_column(index=True)
    job_state: Mapped[bytes] = mapped_column(LargeBinary)
