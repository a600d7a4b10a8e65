"""`dms`: set up, serve and operate the e-file from the shell.

Commands act as the server's operator (`system`, full rights) unless `--user NAME` (or
DMS_USER) names a user whose permissions then apply, exactly as in the web app.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from dms.cli.output import emit_json, table
from dms.cli.parsing import parse_date
from dms.errors import DmsError, InvalidInput
from dms.search import SearchQuery
from dms.services import audit, documents, fileplan, files, fsck, users
from dms.services.context import SYSTEM, Actor, App, Ctx, actor_for
from dms.settings import load_settings


class State:
    def __init__(self, username: str | None) -> None:
        self.username = username
        self._app: App | None = None

    @property
    def app(self) -> App:
        if self._app is None:
            self._app = App.from_settings(load_settings())
        return self._app

    @contextmanager
    def unit(self) -> Iterator[Ctx]:
        with self.app.unit(self.actor()) as ctx:
            yield ctx

    def actor(self) -> Actor:
        """Who the command acts as: --user, else the system."""
        if not self.username:
            return SYSTEM
        with self.app.unit(SYSTEM) as ctx:
            return actor_for(ctx.db, users.user_by_name(ctx.db, self.username))


class DmsGroup(click.Group):
    """Maps every DmsError to its message on stderr and its exit code, in one place."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DmsError as exc:
            click.echo(f"Fehler: {exc.message}", err=True)
            sys.exit(exc.exit_code)


json_option = click.option("--json", "as_json", is_flag=True, help="Ausgabe als JSON")


@click.group(cls=DmsGroup)
@click.option("--user", envvar="DMS_USER", default=None, help="Als dieser Benutzer handeln")
@click.pass_context
def main(click_ctx: click.Context, user: str | None) -> None:
    """E-Akte: Aktenplan, Akten, Vorgänge, Dokumente, Suche, Protokoll."""
    click_ctx.obj = State(user)


def _state() -> State:
    return click.get_current_context().find_object(State)  # type: ignore[return-value]


# --- setup ------------------------------------------------------------------------------


@main.command()
@click.option("--demo/--no-demo", default=True, help="Demo-Benutzer und -Akten anlegen")
@json_option
def init(demo: bool, as_json: bool) -> None:
    """Datenbank, Ablage und Grunddaten in $DMS_HOME anlegen (wiederholbar)."""
    from dms.migrations import upgrade
    from dms.services.demo import load_defaults, load_demo
    from workflows.shipped import deploy_shipped, start_demo

    state = _state()
    settings = state.app.settings
    settings.home.mkdir(parents=True, exist_ok=True)
    upgrade(settings.effective_database_url)
    with state.app.unit(SYSTEM) as ctx:
        load_defaults(ctx)
        state.app.store.iter_hashes()  # touches the store: fails early if unreachable
        summary = load_demo(ctx) if demo else None
        processes = [f"{d.key} v{d.version}" for d in deploy_shipped(ctx)]
    demo_instances = start_demo(state.app) if summary and summary.created else []
    result = {
        "home": str(settings.home),
        "database": settings.effective_database_url,
        "storage": state.app.store.url,
        "demo_users": summary.users if summary else [],
        "demo_password": summary.password if summary else None,
        "processes": processes,
        "demo_instances": demo_instances,
    }
    if as_json:
        emit_json(result)
        return
    click.echo(f"E-Akte bereit in {settings.home}")
    click.echo(f"Prozesse: {', '.join(processes)}")
    if summary:
        click.echo(f"Demo-Benutzer: {', '.join(summary.users)} (Passwort: {summary.password})")


@main.group()
def db() -> None:
    """Datenbankschema verwalten."""


@db.command("upgrade")
@click.option("--revision", default="head")
def db_upgrade(revision: str) -> None:
    """Alle Migrationen anwenden (SQLite und PostgreSQL)."""
    from dms.migrations import upgrade

    upgrade(_state().app.settings.effective_database_url, revision)
    click.echo("Datenbank ist aktuell / database is up to date")


@main.command()
@click.option("--host", default=None)
@click.option("--port", default=None, type=int)
@click.option("--worker/--no-worker", default=True,
              help="Worker im selben Prozess (Timer, Service-Tasks, Posteingang, Scanordner)")
def serve(host: str | None, port: int | None, worker: bool) -> None:
    """Web-Anwendung und REST-API starten (eingebettet mit Worker und Scanordner)."""
    import uvicorn

    from dms.web.app import create_app

    settings = _state().app.settings
    scheduler = _in_process_worker(_state().app) if worker else None
    try:
        uvicorn.run(
            create_app(_state().app),
            host=host or settings.host,
            port=port or settings.port,
            proxy_headers=True,
        )
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)


def _in_process_worker(app: App) -> Any:
    """The embedded default needs no second process: jobs, batches and the scanner folder
    $DMS_HOME/scanner are polled in a background thread of the web server."""
    from connectors.hotfolder import HotFolder
    from ingest.pipeline import pending_batches, process_batch
    from workflows.worker import build_scheduler

    scanner = app.settings.home / "scanner"
    scanner.mkdir(parents=True, exist_ok=True)
    folder = HotFolder(scanner, "Scanordner")

    def batches() -> None:
        for batch_id in pending_batches(app):
            process_batch(app, batch_id)

    scheduler = build_scheduler(app, 2.0, [("scanner", lambda: folder.poll(app)),
                                           ("batches", batches)])
    scheduler.start()
    click.echo(f"Worker läuft; Scans in {scanner} werden übernommen", err=True)
    return scheduler


# --- e-file -----------------------------------------------------------------------------


@main.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--case", "case_ref", required=True, help="Aktenzeichen des Vorgangs")
@click.option("--type", "doc_type", default=None, help="Dokumentart (letter, invoice, ...)")
@click.option("--title", default=None, help="Titel (sonst der Dateiname)")
@click.option("--batch", default=50, show_default=True,
              help="Dateien je Transaktion (jede Datei für sich ganz oder gar nicht)")
@click.option("--no-index", is_flag=True,
              help="Texte nicht sofort lesen; das erledigt der Worker (dms worker/serve)")
@json_option
def import_(
    paths: tuple[Path, ...],
    case_ref: str,
    doc_type: str | None,
    title: str | None,
    batch: int,
    no_index: bool,
    as_json: bool,
) -> None:
    """Dateien als Dokumente in einen Vorgang übernehmen; jede Datei für sich.

    Files are committed in groups of --batch (dms.services.documents.import_files): each
    file is all-or-nothing (a refused file has no rows), and a crash loses at most the groups
    not yet committed (those files are not in the e-file, their stored bytes are orphans
    `dms fsck --repair` sweeps; importing them again is safe). Texts are read for search after
    all files are in (or by the worker, with --no-index).
    """
    from dms.services import text_queue

    state = _state()
    actor = state.actor()
    results: list[dict[str, Any]] = []
    for one in documents.import_files(state.app, actor, case_ref, paths, title=title,
                                      doc_type=doc_type, batch=batch):
        if one.error is not None:
            results.append({"path": str(one.path), "ok": False, "error": one.error.message})
        else:
            results.append({
                "path": str(one.path),
                "ok": True,
                "document_id": one.document_id,
                "sha256": one.sha256,
                "mime_type": one.mime_type,
                "duplicates": list(one.duplicates),
            })
    failed = sum(1 for r in results if not r["ok"])
    imported = [r["document_id"] for r in results if r["ok"]]
    if imported and not no_index:
        text_queue.process(state.app, document_ids=imported, workers=None)
    if as_json:
        emit_json(results)
    else:
        for r in results:
            if r["ok"]:
                dup = (
                    f" (gleicher Inhalt wie Dokument {r['duplicates']})" if r["duplicates"] else ""
                )
                click.echo(f"OK     {r['path']} -> Dokument {r['document_id']}{dup}")
            else:
                click.echo(f"FEHLER {r['path']}: {r['error']}", err=True)
        if imported and no_index:
            click.echo("Texte werden vom Worker gelesen (dms worker) / texts queued", err=True)
    if failed:
        sys.exit(2)


@main.command()
@click.argument("words", nargs=-1, required=False)
@click.option("--office", default=None, help="Amt (Kennziffer)")
@click.option("--plan", default=None, help="Aktenplan-Kennzeichen (mit Unterpunkten)")
@click.option("--from", "date_from", default=None, help="Dokumentdatum ab (JJJJ-MM-TT)")
@click.option("--to", "date_to", default=None, help="Dokumentdatum bis (JJJJ-MM-TT)")
@click.option("--type", "doc_type", default=None)
@click.option("--limit", default=20, show_default=True)
@click.option("--reindex", is_flag=True, help="Fehlende Sucheinträge aus den Blobs neu aufbauen")
@click.option("--all", "everything", is_flag=True, help="mit --reindex: alle Dokumente")
@json_option
def search(
    words: tuple[str, ...],
    office: str | None,
    plan: str | None,
    date_from: str | None,
    date_to: str | None,
    doc_type: str | None,
    limit: int,
    reindex: bool,
    everything: bool,
    as_json: bool,
) -> None:
    """Volltextsuche in Dokumenten und Metadaten (oder --reindex)."""
    from dms.services.search import reindex as run_reindex
    from dms.services.search import search as run_search

    if reindex:
        count = run_reindex(_state().app, everything=everything)
        click.echo(f"{count} Dokumente neu indiziert")
        return
    if not words:
        raise InvalidInput("Bitte Suchbegriffe angeben / give search words")

    with _state().unit() as ctx:
        query = SearchQuery(
            text=" ".join(words),
            office_id=users.office_by_code(ctx, office).id if office else None,
            plan_node_ids=(fileplan.node_by_code(ctx, plan).id,) if plan else (),
            date_from=parse_date(date_from),
            date_to=parse_date(date_to),
            doc_type=doc_type,
            limit=limit,
        )
        result = run_search(ctx, query)
    if as_json:
        emit_json({"total": result.total, "total_exact": result.total_exact,
                   "hits": result.hits})
        return
    click.echo(("mehr als " if not result.total_exact else "") + f"{result.total} Treffer")
    for hit in result.hits:
        click.echo(f"[{hit.document_id}] {hit.title}  ({hit.case_reference}, {hit.document_date})")
        if hit.snippet:
            click.echo("    " + re.sub(r"</?mark>", "*", hit.snippet))


@main.command("fsck")
@click.option("--repair", is_flag=True, help="Verwaiste Blobs löschen")
@click.option("--quick", is_flag=True, help="Nur Existenz prüfen, keine Prüfsummen")
@click.option("--min-age", default=3600, show_default=True,
              help="Verwaiste Blobs erst ab diesem Alter (Sekunden) löschen")
@json_option
def fsck_command(repair: bool, quick: bool, min_age: int, as_json: bool) -> None:
    """Jede Version: Blob vorhanden und SHA-256 stimmt? Exit 8 bei Schäden."""
    with _state().unit() as ctx:
        report = fsck.fsck(ctx, repair=repair, verify_content=not quick,
                           min_orphan_age=timedelta(seconds=min_age))
    if as_json:
        emit_json(
            {
                "ok": report.ok,
                "checked": report.checked,
                "problems": report.problems,
                "orphans": report.orphans,
                "removed_orphans": report.removed_orphans,
            }
        )
    else:
        click.echo(
            f"{report.checked} Blobs geprüft, {len(report.problems)} Schäden, "
            f"{len(report.orphans)} verwaist, {report.removed_orphans} entfernt"
        )
        for p in report.problems:
            click.echo(f"  {p.problem.upper()} {p.sha256} ({', '.join(p.referenced_by)})", err=True)
    if not report.ok:
        sys.exit(8)


@main.group("audit")
def audit_group() -> None:
    """Protokoll (Audit-Trail)."""


@audit_group.command("verify")
@json_option
def audit_verify(as_json: bool) -> None:
    """Hash-Kette des Protokolls prüfen; Exit 8, wenn etwas verändert oder gelöscht wurde."""
    with _state().app.unit(SYSTEM) as ctx:
        report = audit.verify_chain(ctx.db)
    if as_json:
        emit_json({"ok": report.ok, "events": report.events, "problems": report.problems})
    else:
        click.echo(
            f"{report.events} Ereignisse geprüft: "
            + ("in Ordnung" if report.ok else f"{len(report.problems)} Fehler")
        )
        for p in report.problems:
            click.echo(f"  Ereignis {p.event_id}: {p.problem}", err=True)
    if not report.ok:
        sys.exit(8)


@audit_group.command("log")
@click.option("--object", "obj", default=None, help="TYP:ID, z. B. document:12")
@click.option("--limit", default=50, show_default=True)
@json_option
def audit_log(obj: str | None, limit: int, as_json: bool) -> None:
    """Protokolleinträge anzeigen (neueste zuerst)."""
    from sqlalchemy import select

    from dms.models import AuditEvent

    with _state().unit() as ctx:
        if not ctx.actor.is_admin:
            raise InvalidInput("Nur für die Verwaltung / administrators only")
        query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
        if obj:
            kind, _, ident = obj.partition(":")
            query = query.where(AuditEvent.object_type == kind, AuditEvent.object_id == ident)
        rows = [
            {
                "id": e.id,
                "at": e.occurred_at,
                "actor": e.actor,
                "action": e.action,
                "object": f"{e.object_type}:{e.object_id}",
                "after": e.after,
            }
            for e in ctx.db.scalars(query)
        ]
    if as_json:
        emit_json(rows)
    else:
        table(rows, ["id", "at", "actor", "action", "object"])


@main.group("plan")
def plan_group() -> None:
    """Aktenplan."""


@plan_group.command("list")
@json_option
def plan_list(as_json: bool) -> None:
    """Aktenplan als Baum."""
    with _state().unit() as ctx:
        rows: list[dict[str, Any]] = []

        def walk(entries: list[fileplan.PlanEntry], depth: int) -> None:
            for e in entries:
                rows.append(
                    {
                        "code": e.node.code,
                        "title": "  " * depth + e.node.title,
                        "files": e.visible_files,
                        "retention": e.node.retention_years,
                        "parent": e.node.parent_id,
                        "id": e.node.id,
                    }
                )
                walk(e.children, depth + 1)

        walk(fileplan.tree(ctx), 0)
    if as_json:
        emit_json([{**r, "title": r["title"].strip()} for r in rows])
    else:
        table(rows, ["code", "title", "files", "retention"])


@main.group("file")
def file_group() -> None:
    """Akten."""


@file_group.command("create")
@click.option("--plan", required=True, help="Aktenplan-Kennzeichen")
@click.option("--title", required=True)
@click.option("--office", default=None, help="Amt (Kennziffer); sonst das eigene")
@click.option("--kind", default="general", type=click.Choice(["general", "intake", "invoice"]))
@click.option(
    "--sensitive", is_flag=True, help="Besonders schutzwürdig (Lesezugriffe protokolliert)"
)
@json_option
def file_create(
    plan: str, title: str, office: str | None, kind: str, sensitive: bool, as_json: bool
) -> None:
    """Neue Akte anlegen; das Aktenzeichen wird vergeben."""
    with _state().unit() as ctx:
        node = fileplan.node_by_code(ctx, plan)
        office_id = users.office_by_code(ctx, office).id if office else None
        file = files.create_file(
            ctx,
            plan_node_id=node.id,
            title=title,
            office_id=office_id,
            kind=kind,
            sensitive=sensitive,
        )
    if as_json:
        emit_json({"id": file.id, "reference": file.reference, "title": file.title})
    else:
        click.echo(file.reference)


@file_group.command("list")
@click.option("--plan", default=None)
@json_option
def file_list(plan: str | None, as_json: bool) -> None:
    """Sichtbare Akten."""
    with _state().unit() as ctx:
        node_id = fileplan.node_by_code(ctx, plan).id if plan else None
        rows = [
            {
                "id": f.id,
                "reference": f.reference,
                "title": f.title,
                "office": f.office.code,
                "kind": f.kind,
                "status": f.status,
                "sensitive": f.sensitive,
            }
            for f in files.list_files(ctx, plan_node_id=node_id)
        ]
    if as_json:
        emit_json(rows)
    else:
        table(rows, ["reference", "title", "office", "kind", "status"])


@main.group("case")
def case_group() -> None:
    """Vorgänge."""


@case_group.command("create")
@click.option("--file", "file_ref", required=True, help="Aktenzeichen der Akte")
@click.option("--title", required=True)
@json_option
def case_create(file_ref: str, title: str, as_json: bool) -> None:
    """Neuen Vorgang in einer Akte anlegen."""
    with _state().unit() as ctx:
        file = files.file_by_reference(ctx, file_ref)
        case = files.create_case(ctx, file_id=file.id, title=title)
    if as_json:
        emit_json({"id": case.id, "reference": case.reference, "title": case.title})
    else:
        click.echo(case.reference)


@case_group.command("list")
@click.option("--file", "file_ref", required=True)
@json_option
def case_list(file_ref: str, as_json: bool) -> None:
    """Vorgänge einer Akte."""
    with _state().unit() as ctx:
        file = files.file_by_reference(ctx, file_ref)
        rows = [
            {
                "id": c.id,
                "reference": c.reference,
                "title": c.title,
                "status": c.status,
                "documents": n,
            }
            for c, n in files.list_cases(ctx, file.id)
        ]
    if as_json:
        emit_json(rows)
    else:
        table(rows, ["reference", "title", "status", "documents"])


@main.group("doc")
def doc_group() -> None:
    """Dokumente."""


@doc_group.command("list")
@click.option("--case", "case_ref", required=True)
@json_option
def doc_list(case_ref: str, as_json: bool) -> None:
    """Dokumente eines Vorgangs mit aktueller Version."""
    with _state().unit() as ctx:
        case = files.case_by_reference(ctx, case_ref)
        rows = [
            {
                "id": d.id,
                "title": d.title,
                "type": d.doc_type,
                "date": d.document_date,
                "version": v.number,
                "mime_type": v.mime_type,
                "size": v.size,
                "sha256": v.sha256,
            }
            for d, v in documents.list_documents(ctx, case.id)
        ]
    if as_json:
        emit_json(rows)
    else:
        table(rows, ["id", "title", "type", "date", "version", "size"])


@doc_group.command("get")
@click.argument("document_id", type=int)
@click.option("--version", "number", type=int, default=None)
@click.option("--out", type=click.Path(path_type=Path), required=True)
def doc_get(document_id: int, number: int | None, out: Path) -> None:
    """Inhalt einer Version in eine Datei schreiben."""
    with _state().unit() as ctx:
        opened = documents.open_version(ctx, document_id, number)
        with out.open("wb") as handle:
            for chunk in opened.chunks():
                handle.write(chunk)
    click.echo(f"{out} ({opened.version.size} Byte, Version {opened.version.number})")


@doc_group.command("add-version")
@click.argument("document_id", type=int)
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--comment", default=None)
def doc_add_version(document_id: int, path: Path, comment: str | None) -> None:
    """Neue Version eines Dokuments aus einer Datei."""
    with _state().unit() as ctx:
        added = documents.add_version(
            ctx, document_id=document_id, source=path, filename=path.name, comment=comment
        )
    click.echo(f"Version {added.version.number} ({added.version.sha256[:12]})")


def _document_row(document: Any) -> dict[str, Any]:
    return {"id": document.id, "title": document.title, "type": document.doc_type,
            "date": document.document_date, "sender": document.sender,
            "case": document.case.reference}


@doc_group.command("edit")
@click.argument("document_id", type=int)
@click.option("--title", default=None)
@click.option("--type", "doc_type", default=None, help="Dokumentart, z. B. letter, application")
@click.option("--date", "document_date", default=None, help="Datum (JJJJ-MM-TT)")
@click.option("--sender", default=None, help="Absender (leer: entfernen)")
@json_option
def doc_edit(document_id: int, title: str | None, doc_type: str | None,
             document_date: str | None, sender: str | None, as_json: bool) -> None:
    """Angaben eines Dokuments berichtigen (Titel, Art, Datum, Absender)."""
    from dms.services.document_edits import MetadataChange, update_metadata

    with _state().unit() as ctx:
        document = update_metadata(ctx, document_id, MetadataChange(
            title=title, doc_type=doc_type, sender=sender,
            document_date=parse_date(document_date)))
        row = _document_row(document)
    if as_json:
        emit_json(row)
    else:
        click.echo(f"Dokument {row['id']}: {row['title']} ({row['type']}, {row['date']})")


@doc_group.command("move")
@click.argument("document_id", type=int)
@click.option("--case", "case_ref", required=True, help="Aktenzeichen des Ziel-Vorgangs")
@click.option("--reason", required=True, help="Grund der Umprotokollierung")
@json_option
def doc_move(document_id: int, case_ref: str, reason: str, as_json: bool) -> None:
    """Dokument mit allen Versionen in einen anderen Vorgang verschieben (umprotokollieren)."""
    from dms.services.document_edits import move_document

    with _state().unit() as ctx:
        target = files.case_by_reference(ctx, case_ref)
        row = _document_row(move_document(ctx, document_id, case_id=target.id, reason=reason))
    if as_json:
        emit_json(row)
    else:
        click.echo(f"Dokument {row['id']} liegt jetzt in {row['case']}")


@main.group("user")
def user_group() -> None:
    """Benutzer, Rollen, Vertretungen, API-Tokens."""


@user_group.command("add")
@click.argument("username")
@click.option("--name", "display_name", required=True)
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(["admin", "clerk", "mailroom", "finance"]),
)
@click.option("--office", default=None)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def user_add(
    username: str, display_name: str, roles: tuple[str, ...], office: str | None, password: str
) -> None:
    """Benutzer anlegen."""
    with _state().unit() as ctx:
        users.create_user(
            ctx,
            username=username,
            display_name=display_name,
            password=password,
            roles=list(roles),
            office_code=office,
        )
    click.echo(f"Benutzer {username} angelegt")


@user_group.command("list")
@json_option
def user_list(as_json: bool) -> None:
    """Benutzer."""
    with _state().unit() as ctx:
        rows = [
            {
                "username": u.username,
                "name": u.display_name,
                "roles": ",".join(sorted(u.roles)),
                "office": u.office.code if u.office else None,
                "active": u.active,
            }
            for u in users.list_users(ctx)
        ]
    if as_json:
        emit_json(rows)
    else:
        table(rows, ["username", "name", "roles", "office", "active"])


@user_group.command("passwd")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def user_passwd(username: str, password: str) -> None:
    """Passwort setzen."""
    with _state().unit() as ctx:
        users.set_password(ctx, username, password)
    click.echo("Passwort geändert")


@user_group.command("token")
@click.argument("username")
@click.option("--label", default="cli")
@click.option("--days", default=365, show_default=True)
def user_token(username: str, label: str, days: int) -> None:
    """API-Token (Bearer) für die REST-API erzeugen; wird nur einmal angezeigt."""
    with _state().unit() as ctx:
        click.echo(users.create_api_token(ctx, username, label, days))


from dms.cli import (  # noqa: E402 - register on `main`
    ingest_commands,
    invoice_commands,
    key_commands,
    sign_commands,
    verify_commands,
    workflow_commands,
)

workflow_commands.register(main, _state, json_option)
invoice_commands.register(main, json_option)
ingest_commands.register(main, _state, json_option)
verify_commands.register(main, json_option)
sign_commands.register(main, json_option)
key_commands.register(main, doc_group, _state, json_option)

if __name__ == "__main__":
    main()
