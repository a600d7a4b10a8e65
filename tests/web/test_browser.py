"""End to end in a real browser: Debian's headless Chromium, driven by Playwright, against
the real app served by uvicorn on a loopback port.

Set DMS_SCREENSHOT_DIR to keep screenshots of the pages visited (for a look at the layout).
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dms.content.text_pdf import text_pdf
from dms.services.context import App
from dms.web.app import create_app
from tests.web.conftest import DEMO_PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def live_server(seeded: App) -> Iterator[str]:
    import uvicorn

    port = _free_port()
    config = uvicorn.Config(create_app(seeded), host="127.0.0.1", port=port,
                            log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


@pytest.fixture
def browser_page() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} fehlt / missing: install it with `apt-get install chromium`")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(locale="de-DE", viewport={"width": 1400, "height": 900})
            page = context.new_page()
            page.set_default_timeout(20_000)
            yield page
            context.close()
        finally:
            browser.close()


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    target = os.environ.get("DMS_SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(target) / f"{name}.png"), full_page=True)


@pytest.fixture
def sqlite_only(request: pytest.FixtureRequest) -> None:
    """Skip the PostgreSQL run before any database is made: the pages are the same there."""
    callspec = getattr(request.node, "callspec", None)
    # The key pytest files the inherited `database_url` param under varies; the value does not.
    if callspec is not None and "sqlite" not in callspec.params.values():
        pytest.skip("Browser-Test läuft nur mit SQLite / browser test runs on SQLite only")


def test_clerk_uploads_a_version_and_finds_it(  # type: ignore[no-untyped-def]
    sqlite_only: None, browser_page, live_server: str
) -> None:
    page = browser_page
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)

    # Logged out: the plan sends us to the login form, which brings us back afterwards.
    page.goto(live_server + "/plan")
    assert "/login" in page.url
    _shot(page, "login")
    page.fill("#username", "mueller")
    page.fill("#password", DEMO_PASSWORD)
    page.click("button:has-text('Anmelden')")
    page.wait_for_url(re.compile(r".*/plan$"))
    _shot(page, "plan")
    assert page.locator(".who-name").inner_text() == "Maria Müller"

    # Plan -> file -> case -> document, by clicking.
    page.click("a:has-text('Baugenehmigungsverfahren')")
    page.wait_for_url(re.compile(r".*/plan/\d+$"))
    page.click("a:has-text('Neubau Einfamilienhaus')")
    page.wait_for_url(re.compile(r".*/files/\d+$"))
    assert page.locator("h1").inner_text().startswith("Neubau Einfamilienhaus")
    _shot(page, "file")
    page.click("td a:has-text('Bauantrag Einfamilienhaus mit Garage')")
    page.wait_for_url(re.compile(r".*/cases/\d+$"))
    _shot(page, "case")
    page.click("a:has-text('Bauantrag vom 3. November')")
    page.wait_for_url(re.compile(r".*/documents/\d+$"))
    document_url = page.url
    assert page.locator("iframe.doc-frame").count() == 1

    # A new version through the form.
    new_pdf = text_pdf(
        [
            "Antrag auf Baugenehmigung (ergänzte Fassung)",
            "Nachgereicht: Entwässerungsplan mit Regenrückhaltezisterne.",
        ],
        title="Bauantrag ergänzt",
    )
    page.set_input_files(
        "#version-file",
        files=[{"name": "bauantrag-v2.pdf", "mimeType": "application/pdf", "buffer": new_pdf}],
    )
    page.fill("#version-comment", "Entwässerungsplan nachgereicht")
    page.click("button:has-text('Version hochladen')")
    page.wait_for_url(document_url)
    versions = page.locator("table.versions").inner_text()
    assert "Entwässerungsplan nachgereicht" in versions
    assert page.locator("table.versions tr.current td.num a").first.inner_text() == "2"
    page.wait_for_load_state("networkidle")
    _shot(page, "document")

    # Search for a word only the new version holds, and click through.
    page.click("nav.nav a:has-text('Suche')")
    page.wait_for_url(re.compile(r".*/search$"))
    page.fill("#search-q", "Regenrückhaltezisterne")
    page.press("#search-q", "Enter")
    page.wait_for_url(re.compile(r".*/search\?q=.*"))
    assert page.locator(".hit mark").first.inner_text() == "Regenrückhaltezisterne"
    _shot(page, "search")
    page.click(".hit h3 a:has-text('Bauantrag vom 3. November')")
    page.wait_for_url(document_url)
    assert page.locator("h1").inner_text().startswith("Bauantrag vom 3. November")

    # Log out through the header button.
    page.click("button:has-text('Abmelden')")
    page.wait_for_url(re.compile(r".*/login$"))

    assert not [p for p in problems if "Content Security Policy" in p or "page error" in p], (
        problems
    )
