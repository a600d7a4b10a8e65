"""Jobs for `dms worker`: claimed exactly once, run in one transaction with the engine step
that follows, retried with backoff, and finally turned into an incident an admin can retry.

Claiming uses SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL: a second worker skips a row
another worker holds, and the row lock lasts for the whole transaction, so a job's effects
and its removal commit together or not at all. SQLite serialises writers (BEGIN IMMEDIATE),
which gives the same guarantee on one machine.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from dms.errors import NotFound, PermissionDenied
from dms.models import utcnow
from dms.services import audit
from dms.services.context import SYSTEM, App, Ctx
from workflows.models import Job

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3
BASE_BACKOFF = timedelta(seconds=10)


@dataclass(frozen=True)
class JobOutcome:
    job_id: int
    ok: bool
    error: str | None = None


def _claim(ctx: Ctx, now: datetime) -> Job | None:
    query = (
        select(Job).where(Job.status == "pending", Job.due_at <= now)
        .order_by(Job.due_at, Job.id).limit(1)
    )
    if ctx.app.dialect == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return ctx.db.scalar(query)


def run_one(app: App, now: datetime | None = None) -> JobOutcome | None:
    """Claim and run the next due job; None when nothing is due."""
    from workflows.engine import fire_job

    job_id: int | None = None
    try:
        with app.unit(SYSTEM) as ctx:
            job = _claim(ctx, now or utcnow())
            if job is None:
                return None
            job_id = job.id
            fire_job(ctx, job)
        return JobOutcome(job_id, True)
    except Exception as exc:  # noqa: BLE001 - any failure of a handler becomes a retry
        if job_id is None:
            raise
        log.warning("job %s failed: %s", job_id, exc)
        _record_failure(app, job_id, exc)
        return JobOutcome(job_id, False, str(exc))


def _record_failure(app: App, job_id: int, exc: Exception) -> None:
    with app.unit(SYSTEM) as ctx:
        job = ctx.db.get(Job, job_id)
        if job is None:
            return
        job.attempts += 1
        job.last_error = f"{type(exc).__name__}: {exc}"[:4000]
        if job.attempts >= MAX_ATTEMPTS:
            job.status = "incident"
            audit.record(ctx, "job.incident", "process_instance", job.instance_id or "-",
                         after={"job": job.id, "element": job.element_id, "error": job.last_error})
        else:
            job.due_at = utcnow() + BASE_BACKOFF * (2 ** (job.attempts - 1))


def run_due(app: App, limit: int = 1000, now: datetime | None = None) -> list[JobOutcome]:
    """Run due jobs until none is left (or `limit` ran); `now` lets tests move the clock."""
    outcomes: list[JobOutcome] = []
    while len(outcomes) < limit:
        outcome = run_one(app, now)
        if outcome is None:
            break
        outcomes.append(outcome)
    return outcomes


def incidents(ctx: Ctx) -> list[Job]:
    return list(ctx.db.scalars(select(Job).where(Job.status == "incident").order_by(Job.id)))


def retry_incident(ctx: Ctx, job_id: int) -> Job:
    if not ctx.actor.is_admin:
        raise PermissionDenied("Nur die Verwaltung wiederholt Störungen / admins only")
    job = ctx.db.get(Job, job_id)
    if job is None or job.status != "incident":
        raise NotFound(f"Keine Störung mit Nummer {job_id} / no such incident")
    job.status, job.attempts, job.due_at = "pending", 0, utcnow()
    audit.record(ctx, "job.retry", "process_instance", job.instance_id or "-",
                 after={"job": job.id})
    return job


def next_due(app: App) -> datetime | None:
    with app.unit(SYSTEM) as ctx:
        return ctx.db.scalar(
            select(Job.due_at).where(Job.status == "pending").order_by(Job.due_at).limit(1)
        )
