"""The German workflow pages: Posteingang with its tabs, a task beside its document with the
form from the model, co-signing started from a document, instance history and the process
administration. Forms are posted as a browser without JavaScript would."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from dms.models import utcnow
from dms.services.context import SYSTEM, App
from dms.web.app import create_app
from tests.conftest import ROOT
from tests.web.conftest import login
from tests.web.test_api_permissions import load_target
from tests.web.test_workflow_api import MODEL
from workflows import engine, jobs
from workflows.models import Task


@contextmanager
def browser(app: App, username: str) -> Iterator[tuple[TestClient, str]]:
    """A client logged in as `username`, with the CSRF token for form posts."""
    with TestClient(create_app(app), base_url="http://testserver") as client:
        yield client, login(client, username)


def _start_model(app: App) -> tuple[int, dict[str, int]]:
    target = load_target(app, "63")
    with app.unit(SYSTEM) as ctx:
        engine.deploy(ctx, MODEL)
        instance = engine.start(ctx, "api-test", {}, business_key=target.case_reference,
                                case_id=target.case_id, document_id=target.document_id)
        ids = {t.element_id: t.id for t in ctx.db.scalars(
            select(Task).where(Task.instance_id == instance.id))}
    return instance.id, ids


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr class="[^"]*" data-task="\d+">(.*?)</tr>', html, re.S)


def test_inbox_tabs_badges_and_task_work(seeded: App) -> None:
    instance, ids = _start_model(seeded)
    with seeded.unit(SYSTEM) as ctx:  # the office queue is overdue and escalated
        ctx.db.execute(update(Task).where(Task.id == ids["queue"]).values(
            due_at=utcnow() - timedelta(days=2), escalated=True))
    with browser(seeded, "mueller") as (client, csrf):
        page = client.get("/tasks")
        assert page.status_code == 200
        for label in ("Alle", "Meine", "Gruppe", "Vertretung", "Überfällig", "Wiedervorlage"):
            assert f">{label}</a>" in page.text
        assert 'href="/tasks" aria-current="page">Posteingang' in page.text
        rows = _rows(page.text)
        assert len(rows) == 2
        queue_row = next(r for r in rows if "Antrag prüfen" in r)
        assert "Aufgabe Ihrer Gruppe 63" in queue_row
        assert "überfällig" in queue_row and "eskaliert" in queue_row
        info_row = next(r for r in rows if "Zur Kenntnis" in r)
        assert "Ihnen zugewiesen" in info_row and "zur Kenntnis" in info_row
        overdue = client.get("/tasks", params={"view": "overdue"}).text
        assert len(_rows(overdue)) == 1 and "Antrag prüfen" in overdue
        assert "Heute ist nichts zur Wiedervorlage fällig." in client.get(
            "/tasks", params={"view": "resubmission"}).text
        assert len(_rows(client.get("/tasks", params={"sort": "created"}).text)) == 2

        task_page = client.get(f"/tasks/{ids['queue']}").text
        assert 'class="doc-frame"' in task_page  # the document beside the task
        assert '<select id="field-result" name="f_result" required>' in task_page
        assert 'name="f_pages" type="number"' in task_page
        assert ">Übernehmen</button>" in task_page and ">Erledigt</button>" in task_page
        assert f'href="/instances/{instance}"' in task_page

        claimed = client.post(f"/tasks/{ids['queue']}/claim", data={"csrf_token": csrf},
                              follow_redirects=False)
        assert claimed.status_code == 303
        assert "An die Gruppe zurückgeben" in client.get(claimed.headers["location"]).text
        no_csrf = client.post(f"/tasks/{ids['queue']}/complete", data={"f_result": "ok"})
        assert no_csrf.status_code == 403
        missing = client.post(f"/tasks/{ids['queue']}/complete",
                              data={"csrf_token": csrf, "f_pages": "3"})
        assert missing.status_code == 422 and "Ergebnis" in missing.text
        bad_number = client.post(f"/tasks/{ids['queue']}/complete",
                                 data={"csrf_token": csrf, "f_result": "ok", "f_pages": "drei"})
        assert bad_number.status_code == 422 and "ganze Zahl" in bad_number.text
        done = client.post(f"/tasks/{ids['queue']}/complete", follow_redirects=False, data={
            "csrf_token": csrf, "f_result": "missing", "f_pages": "3", "remark": "Plan fehlt"})
        assert done.status_code == 303 and done.headers["location"] == "/tasks?notice=done"
        assert "Aufgabe erledigt." in client.get(done.headers["location"]).text

        info_page = client.get(f"/tasks/{ids['info']}").text
        assert "Zur Kenntnis genommen</button>" in info_page
        read = client.post(f"/tasks/{ids['info']}/read", data={"csrf_token": csrf})
        assert read.status_code == 200 and "Ihr Posteingang ist leer." in read.text

        history = client.get(f"/instances/{instance}").text
        assert "abgeschlossen" in history and "Plan fehlt" in history
        assert "Aufgabe erledigt" in history

    with browser(seeded, "post") as (client, _csrf):
        assert client.get(f"/tasks/{ids['queue']}").status_code == 404
        assert client.get(f"/instances/{instance}").status_code == 404
        assert 'href="/admin/processes"' not in client.get("/tasks").text


def test_deputy_tab_and_forward(seeded: App) -> None:
    _instance, ids = _start_model(seeded)
    with browser(seeded, "weber") as (client, csrf):
        deputy = client.get("/tasks", params={"view": "deputy"}).text
        (row,) = _rows(deputy)
        assert "Vertretung für Maria Müller" in row
        forwarded = client.post(f"/tasks/{ids['info']}/forward", follow_redirects=False,
                                data={"csrf_token": csrf, "to": "admin", "remark": "z. K."})
        assert forwarded.status_code == 303
    with browser(seeded, "admin") as (client, _csrf):
        (row,) = _rows(client.get("/tasks", params={"view": "mine"}).text)
        assert "Von weber an Sie weitergeleitet" in row


def test_cosigning_from_the_document_page(seeded: App) -> None:
    target = load_target(seeded, "63")
    with seeded.unit(SYSTEM) as ctx:
        engine.deploy(ctx, (ROOT / "config/processes/cosign.bpmn").read_bytes())
    with browser(seeded, "mueller") as (client, csrf):
        document = client.get(f"/documents/{target.document_id}").text
        assert f'href="/documents/{target.document_id}/cosign"' in document
        form = client.get(f"/documents/{target.document_id}/cosign").text
        assert form.count('name="cosigner"') == 6
        assert '<option value="weber">' in form and '<option value="21">' in form
        assert '<option value="63" selected>' in form  # the author's office signs
        started = client.post(f"/documents/{target.document_id}/cosign",
                              follow_redirects=False, data={
                                  "csrf_token": csrf, "cosigner": ["weber", "", "21"],
                                  "mode": "sequential", "signer_group": "63"})
        assert started.status_code == 303, started.text
        status = client.get(started.headers["location"]).text
        assert "Mitzeichnung gestartet" in status and "Laufende Mitzeichnung" in status
        assert "nacheinander" in status and "Mitzeichnung starten</button>" not in status
        assert re.search(r"Wolfgang Weber</span>\s*<span[^>]*>angefragt", status)
        assert re.search(r"Amt 21 Kreiskasse</span>\s*<span[^>]*>wartet", status)
        again = client.post(f"/documents/{target.document_id}/cosign", data={
            "csrf_token": csrf, "cosigner": ["weber"], "mode": "parallel"})
        assert again.status_code == 409

    with browser(seeded, "weber") as (client, csrf):
        (row,) = _rows(client.get("/tasks", params={"view": "mine"}).text)
        assert "Mitzeichnen" in row
        task_id = int(re.search(r'href="/tasks/(\d+)"', row).group(1))  # type: ignore[union-attr]
        page = client.get(f"/tasks/{task_id}").text
        assert 'value="approve" class="button button-primary">Mitzeichnen' in page
        assert 'value="refuse" class="button button-danger">Ablehnen' in page
        assert 'name="f_refused"' not in page and 'name="f_remark"' not in page
        assert "Laufende" not in page and "in Mitzeichnung" in page
        approved = client.post(f"/tasks/{task_id}/complete", follow_redirects=False, data={
            "csrf_token": csrf, "decision": "approve", "remark": "Einverstanden"})
        assert approved.status_code == 303
    with browser(seeded, "schmidt") as (client, _csrf):
        (row,) = _rows(client.get("/tasks", params={"view": "groups"}).text)
        assert "Mitzeichnen (nacheinander)" in row and "Gruppe 21" in row
    with browser(seeded, "mueller") as (client, _csrf):
        status = client.get(f"/documents/{target.document_id}/cosign").text
        assert "Einverstanden" in status and "mitgezeichnet" in status
        assert "Mitzeichnung angefordert" in client.get(f"/documents/{target.document_id}").text


def test_process_administration(seeded: App) -> None:
    from workflows.handlers import HANDLERS

    with browser(seeded, "mueller") as (client, csrf):
        assert client.get("/admin/processes").status_code == 403
        assert client.post("/admin/processes", data={"csrf_token": csrf}, files={
            "file": ("m.bpmn", MODEL, "application/xml")}).status_code == 403

    def broken(call):  # type: ignore[no-untyped-def]
        raise RuntimeError("Archiv nicht erreichbar")

    HANDLERS["test-archive"] = broken
    try:
        with browser(seeded, "admin") as (client, csrf):
            assert 'href="/admin/processes"' in client.get("/tasks").text
            assert "Noch keine Prozesse bereitgestellt." in client.get("/admin/processes").text
            deployed = client.post("/admin/processes", follow_redirects=False,
                                   data={"csrf_token": csrf},
                                   files={"file": ("m.bpmn", MODEL, "application/xml")})
            assert deployed.status_code == 303
            page = client.get(deployed.headers["location"]).text
            assert "Prozessmodell bereitgestellt." in page and "<code>api-test</code>" in page
            bad = client.post("/admin/processes", data={"csrf_token": csrf},
                              files={"file": ("x.bpmn", b"<nope/>", "application/xml")})
            assert bad.status_code == 422

            from tests.engine.helpers import bpmn

            with seeded.unit(SYSTEM) as ctx:
                engine.deploy(ctx, bpmn("svc", '<bpmn:startEvent id="s"/><bpmn:serviceTask '
                                        'id="archive" camunda:type="external" '
                                        'camunda:topic="test-archive"/><bpmn:endEvent id="e"/>',
                                        [("f0", "s", "archive"), ("f1", "archive", "e")]))
                instance = engine.start(ctx, "svc", {}, business_key="AZ-4711").id
            later = utcnow()
            for _ in range(jobs.MAX_ATTEMPTS):
                later += timedelta(hours=1)
                jobs.run_due(seeded, now=later)
            page = client.get("/admin/processes").text
            assert "Archiv nicht erreichbar" in page and "AZ-4711" in page
            assert f'href="/instances/{instance}"' in page
            job_id = int(re.search(r'action="/admin/incidents/(\d+)/retry"', page).group(1))  # type: ignore[union-attr]
            retried = client.post(f"/admin/incidents/{job_id}/retry", data={"csrf_token": csrf})
            assert retried.status_code == 200 and "Keine Störungen." in retried.text
            detail = client.get(f"/instances/{instance}").text
            assert "läuft" in detail and "archive" in detail
    finally:
        del HANDLERS["test-archive"]


@pytest.mark.parametrize("path", ["/tasks/999999", "/instances/999999"])
def test_missing_things_are_not_found(seeded: App, path: str) -> None:
    with browser(seeded, "mueller") as (client, _csrf):
        page = client.get(path)
        assert page.status_code == 404 and "Nicht gefunden" in page.text


def test_a_capped_count_says_more_than(seeded: App, monkeypatch: pytest.MonkeyPatch) -> None:
    from dms.web import ui_workflow

    _start_model(seeded)
    _start_model(seeded)  # two group tasks and two of mueller's own
    with browser(seeded, "mueller") as (client, _csrf):
        assert "4 Aufgaben" in client.get("/tasks").text
        monkeypatch.setattr(ui_workflow, "INBOX_COUNT_CAP", 1)  # counted up to 1 per path
        page = client.get("/tasks").text
        assert "mehr als 2 Aufgaben" in page
        assert len(_rows(page)) == 4  # the page itself is whole
