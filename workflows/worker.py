"""`dms worker`: APScheduler drives the polling of due jobs and the periodic housekeeping.

The engine's timers are rows in wf_jobs with their due time, so they survive any restart by
construction; the scheduler's own periodic jobs live in APScheduler's SQLAlchemy job store in
the same database (table created by our migrations), so they survive a restart too.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from dms.services.context import App
from workflows.jobs import run_due

log = logging.getLogger(__name__)
_APPS: dict[str, App] = {}


def poll_jobs(app_key: str) -> None:
    """Module-level so APScheduler can store a reference to it in the database."""
    app = _APPS.get(app_key)
    if app is not None:
        outcomes = run_due(app)
        if outcomes:
            log.info("%d jobs run, %d failed", len(outcomes), sum(not o.ok for o in outcomes))


def housekeeping(app_key: str) -> None:
    """Expired web sessions and stale upload temp files."""
    from sqlalchemy import delete

    from dms.models import WebSession, utcnow
    from dms.services.context import SYSTEM

    app = _APPS.get(app_key)
    if app is None:
        return
    with app.unit(SYSTEM) as ctx:
        ctx.db.execute(delete(WebSession).where(WebSession.expires_at < utcnow()))
    sweep = getattr(app.store, "sweep_temp", None)
    if sweep is not None:
        sweep(older_than_seconds=24 * 3600)


def index_texts(app_key: str) -> None:
    """Texts still queued after imports (dms.services.text_queue), a bounded share per tick
    so that due jobs and timers are not kept waiting behind a large import."""
    from dms.services import text_queue

    app = _APPS.get(app_key)
    if app is not None:
        done = text_queue.process(app, limit=50)
        if done:
            log.info("%d Texte indiziert / texts indexed", done)


def build_scheduler(
    app: App, poll_seconds: float, extra: list[tuple[str, Callable[[], object]]] | None = None
) -> BackgroundScheduler:
    key = app.settings.effective_database_url
    _APPS[key] = app
    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=app.engine,
                                                 tablename="apscheduler_jobs"),
                   "memory": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(1)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
    )
    scheduler.add_job(poll_jobs, "interval", seconds=poll_seconds, args=[key],
                      id="dms-poll-jobs", replace_existing=True)
    scheduler.add_job(housekeeping, "interval", hours=1, args=[key],
                      id="dms-housekeeping", replace_existing=True)
    scheduler.add_job(index_texts, "interval", seconds=poll_seconds, args=[key],
                      id="dms-text-queue", replace_existing=True)
    for name, function in extra or []:  # in-memory: sources re-register at every start
        scheduler.add_job(function, "interval", seconds=poll_seconds, id=f"dms-extra-{name}",
                          jobstore="memory", replace_existing=True)
    return scheduler


def run_worker(app: App, *, poll_seconds: float = 1.0,
               should_stop: Callable[[], bool] = lambda: False,
               extra: list[tuple[str, Callable[[], object]]] | None = None) -> None:
    scheduler = build_scheduler(app, poll_seconds, extra)
    scheduler.start()
    stopped = threading.Event()
    try:
        while not should_stop():
            stopped.wait(0.2)
    finally:
        scheduler.shutdown(wait=True)
