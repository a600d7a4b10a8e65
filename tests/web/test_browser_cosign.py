"""Co-signing in a real browser (Debian's headless Chromium through Playwright): the author
starts co-signing from the document page, a co-signer refuses with a remark, the author
uploads a new version and resubmits, both co-signers approve and an entitled colleague signs.
Every person's inbox is checked at each step.

Set DMS_SCREENSHOT_DIR to keep screenshots of the pages visited.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from dms.content.text_pdf import text_pdf
from dms.models import Case
from dms.services import documents
from dms.services.context import SYSTEM, App
from tests.conftest import ROOT
from tests.web.conftest import DEMO_PASSWORD
from tests.web.test_api_permissions import load_target
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS, _shot, live_server, sqlite_only
from workflows import cosign, engine, jobs

__all__ = ["live_server", "sqlite_only"]  # fixtures shared with test_browser

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def people(live_server: str) -> Iterator[Callable[[str], Any]]:
    """`people("weber")` is a page of a browser context logged in as weber (one per person)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} fehlt / missing: install it with `apt-get install chromium`")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed")
    problems: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        pages: dict[str, Any] = {}

        def page_of(username: str) -> Any:
            if username not in pages:
                context = browser.new_context(locale="de-DE",
                                              viewport={"width": 1400, "height": 900})
                page = context.new_page()
                page.set_default_timeout(20_000)
                page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
                page.on("console", lambda msg: problems.append(msg.text)
                        if msg.type == "error" else None)
                page.goto(live_server + "/login")
                page.fill("#username", username)
                page.fill("#password", DEMO_PASSWORD)
                page.click("button:has-text('Anmelden')")
                page.wait_for_url(re.compile(r".*/$"))
                pages[username] = page
            return pages[username]

        try:
            yield page_of
        finally:
            browser.close()
    assert not [p for p in problems if "Content Security Policy" in p or "page error" in p], (
        problems
    )


def _inbox(page: Any, base: str, view: str = "all") -> list[tuple[str, str]]:
    """(task name, why it is here) of every row of the inbox view."""
    page.goto(base + "/tasks" + (f"?view={view}" if view != "all" else ""))
    rows = page.locator("table.inbox tbody tr")
    return [(rows.nth(i).locator("a.task-link").inner_text().strip(),
             rows.nth(i).locator("td.reason").inner_text().strip())
            for i in range(rows.count())]


def _open_task(page: Any, base: str, name: str) -> None:
    page.goto(base + "/tasks")
    page.click(f"a.task-link:text-is('{name}')")
    page.wait_for_url(re.compile(r".*/tasks/\d+$"))


def _decide(page: Any, button: str, remark: str | None = None) -> None:
    if remark:
        page.fill("#task-remark", remark)
    page.click(f".decision-buttons button:has-text('{button}')")
    page.wait_for_url(re.compile(r".*/tasks\?notice=done$"))
    assert "Aufgabe erledigt." in page.locator(".alert-ok").inner_text()


def test_cosigning_round_trip_with_refusal_and_recosign(  # type: ignore[no-untyped-def]
    sqlite_only: None, seeded: App, live_server: str, people
) -> None:
    base = live_server
    target = load_target(seeded, "63")
    with seeded.unit(SYSTEM) as ctx:
        engine.deploy(ctx, (ROOT / "config/processes/cosign.bpmn").read_bytes())

    # 1. the author starts co-signing from the document page
    author = people("mueller")
    author.goto(f"{base}/documents/{target.document_id}")
    author.click("a:has-text('Mitzeichnung starten')")
    author.wait_for_url(re.compile(r".*/documents/\d+/cosign$"))
    author.select_option("#cosigner-1", "weber")
    author.select_option("#cosigner-2", "schmidt")
    author.check("#mode-parallel")
    assert author.locator("#signer-group").input_value() == "63"
    _shot(author, "cosign-start")
    author.click("button:has-text('Mitzeichnung starten')")
    author.wait_for_url(re.compile(r".*/cosign\?notice=started$"))
    card = author.locator(".cosign-state").inner_text()
    assert "in Mitzeichnung" in card and card.count("angefragt") == 2
    assert _inbox(author, base) == []
    weber, schmidt = people("weber"), people("schmidt")
    assert _inbox(weber, base) == [("Mitzeichnen", "Ihnen zugewiesen")]
    assert _inbox(schmidt, base) == [("Mitzeichnen", "Ihnen zugewiesen")]

    # 2. co-signer A refuses, with a remark; the draft returns to the author
    _open_task(weber, base, "Mitzeichnen")
    assert weber.locator("iframe.doc-frame").count() == 1  # the draft beside the task
    _shot(weber, "cosign-task")
    weber.click(".decision-buttons button:has-text('Ablehnen')")  # without a reason: refused
    assert "begründen" in weber.locator("main").inner_text()
    weber.go_back()
    _decide(weber, "Ablehnen", "Bitte die Kostenschätzung ergänzen.")
    # weber stands in for mueller (demo data), so the revision shows up as a deputy task
    assert _inbox(weber, base) == [
        ("Entwurf überarbeiten", "Vertretung für Maria Müller")]
    _shot(weber, "cosign-inbox")
    assert _inbox(schmidt, base) == []  # the refusal ended the round
    assert _inbox(author, base) == [("Entwurf überarbeiten", "Ihnen zugewiesen")]

    # 3. the author revises: uploads a new version, then resubmits
    _open_task(author, base, "Entwurf überarbeiten")
    card = author.locator(".cosign-state").inner_text()
    assert "abgelehnt" in card and "Bitte die Kostenschätzung ergänzen." in card
    task_url = author.url
    author.click(".doc-view-bar a >> nth=0")
    author.wait_for_url(re.compile(rf".*/documents/{target.document_id}$"))
    author.set_input_files("#version-file", files=[{
        "name": "entwurf-v2.pdf", "mimeType": "application/pdf",
        "buffer": text_pdf(["Entwurf, überarbeitet", "Kostenschätzung: 412.000 EUR"]),
    }])
    author.fill("#version-comment", "Kostenschätzung ergänzt")
    author.click("button:has-text('Version hochladen')")
    author.wait_for_url(re.compile(rf".*/documents/{target.document_id}$"))
    author.goto(task_url)
    assert author.locator("#field-cosignMode").input_value() == "parallel"
    _shot(author, "cosign-revise")
    _decide(author, "Erneut zur Mitzeichnung geben", "Kostenschätzung ergänzt.")
    assert _inbox(author, base) == []
    assert _inbox(weber, base) == [("Mitzeichnen", "Ihnen zugewiesen")]
    assert _inbox(schmidt, base) == [("Mitzeichnen", "Ihnen zugewiesen")]

    # 4. both co-signers approve the new version
    _open_task(weber, base, "Mitzeichnen")
    assert "Version 2" in weber.locator(".doc-view-bar").inner_text()
    _decide(weber, "Mitzeichnen")
    _open_task(schmidt, base, "Mitzeichnen")
    _decide(schmidt, "Mitzeichnen", "Haushaltsmittel stehen bereit.")
    assert _inbox(weber, base) == [] and _inbox(schmidt, base) == []
    signer = people("hoffmann")  # Amtsleitung, with the demo certificate of `dms init`
    group_reason = "Aufgabe Ihrer Gruppe 63"
    assert _inbox(signer, base) == [("Schlusszeichnung", group_reason)]
    assert _inbox(author, base) == [("Schlusszeichnung", group_reason)]

    # 5. the author may not sign (no Zeichnungsbefugnis); the entitled colleague signs
    _open_task(author, base, "Schlusszeichnung")
    assert "keine Zeichnungsbefugnis" in author.locator("main").inner_text()
    _open_task(signer, base, "Schlusszeichnung")
    assert "keine Zeichnungsbefugnis" not in signer.locator("main").inner_text()
    assert "Hannah Hoffmann" in signer.locator(".stamp-preview").inner_text()
    signer.select_option("#sign-field-disposition", "file")
    signer.fill("#sign-secret", DEMO_PASSWORD)
    signer.fill("#sign-remark", "Gezeichnet.")
    _shot(signer, "cosign-sign")
    signer.click("button:has-text('Signieren und abschließen')")
    signer.wait_for_url(re.compile(r".*/tasks\?notice=signed$"))
    for who in (author, weber, schmidt, signer):
        assert _inbox(who, base) == []

    # the signed PDF is version 3; the worker records the signature and files away (z.d.A.)
    assert all(o.ok for o in jobs.run_due(seeded))
    with seeded.unit(SYSTEM) as ctx:
        (state,) = [s for s in cosign.cosign_history(ctx, target.document_id)
                    if s.instance.status == "completed"]
        assert state.cosigned_version == 2
        latest = documents.latest_version(ctx, target.document_id)
        assert latest is not None and latest.number == 3 and latest.signature_of == 2
        assert [c.state for c in state.cosigners] == ["approved", "approved"]
        case = ctx.db.get(Case, target.case_id)
        assert case is not None and case.status == "closed"
    author.goto(f"{base}/documents/{target.document_id}/cosign")
    assert "abgeschlossen" in author.locator("main").inner_text()
    _shot(author, "cosign-done")
