"""`dms process ...`, `dms task ...`, `dms worker`: the workflow engine from the shell."""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path
from typing import Any

import click
from sqlalchemy import func, select

from dms.cli.output import emit_json, table
from dms.errors import InvalidInput


def parse_vars(pairs: tuple[str, ...]) -> dict[str, Any]:
    """`k=v`: v is read as JSON when it parses as JSON, else taken as a string."""
    values: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep or not name.strip():
            raise InvalidInput(f"--var {pair!r}: bitte NAME=WERT / use NAME=VALUE")
        try:
            values[name.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            values[name.strip()] = raw
    return values


def register(main: click.Group, state: Any, json_option: Any) -> None:  # noqa: C901
    import workflows.cosign  # noqa: F401 - a new version via the CLI invalidates co-signatures

    @main.group("process")
    def process_group() -> None:
        """Prozessmodelle (BPMN) und Prozessinstanzen."""

    @process_group.command("deploy")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @json_option
    def deploy(path: Path, as_json: bool) -> None:
        """BPMN-2.0-Datei bereitstellen (neue Version, wenn geändert)."""
        from workflows import engine

        with state().unit() as ctx:
            rows = [{"id": d.id, "key": d.key, "version": d.version, "name": d.name}
                    for d in engine.deploy(ctx, path.read_bytes(), source=path.name)]
        if as_json:
            emit_json(rows)
        else:
            table(rows, ["key", "version", "name", "id"])

    @process_group.command("start")
    @click.argument("key")
    @click.option("--var", "pairs", multiple=True, help="NAME=WERT (JSON oder Text)")
    @click.option("--business-key", default=None)
    @click.option("--case", "case_ref", default=None, help="Aktenzeichen des Vorgangs")
    @click.option("--document", "document_id", type=int, default=None)
    @json_option
    def start(key: str, pairs: tuple[str, ...], business_key: str | None,
              case_ref: str | None, document_id: int | None, as_json: bool) -> None:
        """Prozess starten; gibt die Instanznummer aus."""
        from dms.services import files
        from workflows import engine

        with state().unit() as ctx:
            case_id = files.case_by_reference(ctx, case_ref).id if case_ref else None
            instance = engine.start(ctx, key, parse_vars(pairs), business_key=business_key,
                                    case_id=case_id, document_id=document_id)
            result = {"id": instance.id, "status": instance.status}
        if as_json:
            emit_json(result)
        else:
            click.echo(result["id"])

    @process_group.command("list")
    @json_option
    def list_definitions(as_json: bool) -> None:
        """Bereitgestellte Prozessdefinitionen mit Versionen und laufenden Instanzen."""
        from workflows.models import ProcessDefinition, ProcessInstance

        with state().unit() as ctx:
            running = dict(ctx.db.execute(
                select(ProcessInstance.definition_id, func.count())
                .where(ProcessInstance.status == "running")
                .group_by(ProcessInstance.definition_id)).all())
            rows = [{"id": d.id, "key": d.key, "version": d.version, "name": d.name,
                     "deployed_at": d.deployed_at, "running": running.get(d.id, 0)}
                    for d in ctx.db.scalars(select(ProcessDefinition).order_by(
                        ProcessDefinition.key, ProcessDefinition.version))]
        if as_json:
            emit_json(rows)
        else:
            table(rows, ["key", "version", "name", "running", "deployed_at"])

    @process_group.command("status")
    @click.argument("instance_id", type=int)
    @json_option
    def status(instance_id: int, as_json: bool) -> None:
        """Zustand, offene Aufgaben und Verlauf einer Instanz."""
        from workflows.status import instance_status

        with state().unit() as ctx:
            result = instance_status(ctx, instance_id)
        if as_json:
            emit_json(result)
            return
        click.echo(f"Instanz {result['id']} ({result['key']} v{result['version']}): "
                   f"{result['status']}")
        table(result["open_tasks"], ["id", "name", "assignee", "due_at"])

    @process_group.command("incidents")
    @json_option
    def incidents(as_json: bool) -> None:
        """Störungen (fehlgeschlagene Jobs)."""
        from workflows import jobs

        with state().unit() as ctx:
            rows = [{"id": j.id, "instance": j.instance_id, "element": j.element_id,
                     "handler": j.handler, "attempts": j.attempts, "error": j.last_error}
                    for j in jobs.incidents(ctx)]
        if as_json:
            emit_json(rows)
        else:
            table(rows, ["id", "instance", "element", "attempts", "error"])

    @process_group.command("retry")
    @click.argument("job_id", type=int)
    def retry(job_id: int) -> None:
        """Störung erneut versuchen."""
        from workflows import jobs

        with state().unit() as ctx:
            jobs.retry_incident(ctx, job_id)
        click.echo(f"Job {job_id} wird erneut ausgeführt")

    @main.group("task")
    def task_group() -> None:
        """Aufgaben (Posteingang)."""

    @task_group.command("list")
    @click.option("--user", "username", default=None, help="Posteingang dieser Person")
    @click.option("--instance", "instance_id", type=int, default=None)
    @click.option("--view", default="all",
                  type=click.Choice(["all", "mine", "groups", "deputy", "overdue",
                                     "resubmission"]))
    @json_option
    def task_list(username: str | None, instance_id: int | None, view: str,
                  as_json: bool) -> None:
        """Offene Aufgaben: eigene, der Gruppen, aus Vertretung."""
        from workflows.inbox import InboxFilter, list_inbox
        from workflows.models import Task

        st = state()
        if username:
            st.username = username
        with st.unit() as ctx:
            if ctx.actor.user_id is None:  # the operator: every open task
                query = select(Task).where(Task.status == "open")
                if instance_id is not None:
                    query = query.where(Task.instance_id == instance_id)
                rows = [_task_row(t, "") for t in ctx.db.scalars(query.order_by(Task.id))]
            else:
                items, _ = list_inbox(ctx, InboxFilter(view=view, instance_id=instance_id,
                                                       limit=200))
                rows = [_task_row(i.task, i.reason) for i in items]
        if as_json:
            emit_json(rows)
        else:
            table(rows, ["id", "name", "assignee", "instance", "due_at", "reason"])

    @task_group.command("complete")
    @click.argument("task_id", type=int)
    @click.option("--var", "pairs", multiple=True, help="NAME=WERT (JSON oder Text)")
    @click.option("--decision", default=None)
    @click.option("--remark", default=None)
    def task_complete(task_id: int, pairs: tuple[str, ...], decision: str | None,
                      remark: str | None) -> None:
        """Aufgabe erledigen (als --user oder als Betreiber)."""
        from workflows import tasks

        with state().unit() as ctx:
            if ctx.actor.user_id is None:
                ctx.actor = _assignee_actor(ctx, task_id)
            tasks.complete(ctx, task_id, variables=parse_vars(pairs), decision=decision,
                           remark=remark)
        click.echo(f"Aufgabe {task_id} erledigt")

    @main.command("worker")
    @click.option("--once", is_flag=True, help="Fällige Jobs ausführen und beenden")
    @click.option("--poll", default=1.0, show_default=True, help="Abfrageintervall (s)")
    @click.option("--hotfolder", "hotfolders", multiple=True,
                  help="Scanordner VERZEICHNIS[=GERÄT] überwachen (mehrfach möglich)")
    def worker(once: bool, poll: float, hotfolders: tuple[str, ...]) -> None:
        """Service-Tasks, Timer und Posteingang (Stapel, Scanordner) abarbeiten."""
        from connectors.hotfolder import HotFolder
        from ingest.pipeline import pending_batches, process_batch
        from workflows.jobs import run_due
        from workflows.worker import run_worker

        app = state().app

        def batches() -> int:
            ids = pending_batches(app)
            for batch_id in ids:
                process_batch(app, batch_id)
            return len(ids)

        folders = []
        for spec in hotfolders:
            directory, _, device = spec.partition("=")
            folders.append(HotFolder(Path(directory), device or Path(directory).name))

        if once:
            for folder in folders:
                folder.stable_files()  # first look: a file must be seen unchanged twice
            time.sleep(0.5 if folders else 0)
            received = sum(len(folder.poll(app)) for folder in folders)
            processed, seen = 0, set()
            while ids := [i for i in pending_batches(app, limit=10_000) if i not in seen]:
                for batch_id in ids:  # every waiting batch, not just one page of them
                    process_batch(app, batch_id)
                seen.update(ids)
                processed += len(ids)
            outcomes = run_due(app)
            click.echo(f"{received} Dateien übernommen, {processed} Stapel verarbeitet, "
                       f"{len(outcomes)} Jobs, {sum(not o.ok for o in outcomes)} fehlgeschlagen")
            return
        extra = [(f"hotfolder-{i}", lambda f=folder: f.poll(app))
                 for i, folder in enumerate(folders)]
        extra.append(("batches", batches))
        stop = {"flag": False}

        def _stop(*_: Any) -> None:
            stop["flag"] = True

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        click.echo("Worker läuft (Strg+C beendet)", err=True)
        run_worker(app, poll_seconds=poll, should_stop=lambda: stop["flag"], extra=extra)
        time.sleep(0)
        sys.exit(0)


def _task_row(task: Any, reason: str) -> dict[str, Any]:
    return {"id": task.id, "name": task.name, "assignee": task.assignee,
            "instance": task.instance_id, "element": task.element_id, "due_at": task.due_at,
            "follow_up_at": task.follow_up_at, "status": task.status, "reason": reason,
            "escalated": task.escalated}


def _assignee_actor(ctx: Any, task_id: int) -> Any:
    """The operator completes a task on behalf of its assignee (or as an administrator)."""
    from dms.models import User
    from dms.services.context import SYSTEM, actor_for
    from workflows.models import Task

    task = ctx.db.get(Task, task_id)
    if task is not None and task.assignee:
        user = ctx.db.scalar(select(User).where(User.username == task.assignee))
        if user is not None:
            return actor_for(ctx.db, user)
    return SYSTEM
