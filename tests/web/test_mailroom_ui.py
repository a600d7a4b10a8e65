"""The Poststelle screen, posted as a browser without JavaScript would: upload a scan, review
the letter (thumbnails, OCR text with evidence, routing), turn a page, correct and send, the
quality check, the quarantine; and nobody but the mailroom (and admins) gets in."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from dms.services import documents, files
from dms.services.context import SYSTEM, App
from ingest.models import IntakeBatch, IntakeLetter
from ingest.pipeline import process_batch, receive
from tests.ingest.scans import multi_page_tiff, png_bytes, separator_page, text_page
from tests.mailroom.test_pipeline import _deploy
from tests.mailroom.test_review import THANKS
from tests.web.conftest import DEMO_PASSWORD, login
from tests.web.test_browser import browser_page, live_server  # noqa: F401 - fixtures


def _upload(web: TestClient, csrf: str, content: bytes, name: str, **data: str):  # type: ignore[no-untyped-def]
    return web.post(
        "/poststelle/upload",
        data={"csrf_token": csrf, **data},
        files={"file": (name, content, "application/octet-stream")},
        follow_redirects=False,
    )


def _id(location: str, prefix: str) -> int:
    match = re.match(rf"{re.escape(prefix)}(\d+)", location)
    assert match, location
    return int(match.group(1))


@pytest.mark.slow
def test_upload_review_rotate_correct_and_send(web: TestClient, seeded: App) -> None:
    _deploy(seeded)
    csrf = login(web, "post")
    home = web.get("/poststelle")
    assert home.status_code == 200
    assert 'href="/poststelle" aria-current="page">Poststelle' in home.text
    assert "Scan hochladen" in home.text and 'src="/static/mailroom.js"' in home.text
    assert web.get("/static/mailroom.js").status_code == 200

    yesterday = (date.today() - timedelta(days=1)).isoformat()
    scan = png_bytes(text_page(THANKS, seed=3).image)
    response = _upload(web, csrf, scan, "brief.png", received_on=yesterday)
    assert response.status_code == 303
    batch_id = _id(response.headers["location"], "/poststelle/stapel/")
    assert "notice=uploaded" in response.headers["location"]
    batch_page = web.get(response.headers["location"])
    assert "Scan übernommen und verarbeitet." in batch_page.text
    assert "brief.png" in batch_page.text and "1 zu prüfen" in batch_page.text

    first = web.get("/poststelle/pruefen", follow_redirects=False)
    letter_id = _id(first.headers["location"], "/poststelle/briefe/")
    page = web.get(f"/poststelle/briefe/{letter_id}")
    assert page.status_code == 200
    with seeded.unit(SYSTEM) as ctx:
        letter = ctx.db.get(IntakeLetter, letter_id)
        assert letter is not None and letter.batch_id == batch_id
        register, sha = letter.register_number, letter.pdf_sha256
        batch = ctx.db.get(IntakeBatch, batch_id)
        assert batch is not None and batch.received_on.isoformat() == yesterday
    assert register in page.text and "Senden wie vorgeschlagen" in page.text
    assert "Beratung" in page.text  # the OCR text
    assert re.search(r'<mark title="Briefdatum">12\.11\.2026</mark>', page.text)  # evidence
    assert 'data-shortcut="enter"' in page.text and 'data-shortcut="r"' in page.text
    thumb_url = f"/poststelle/briefe/{letter_id}/seiten/1.png?v={sha[:16]}"
    assert thumb_url.replace("&", "&amp;") in page.text

    thumb = web.get(thumb_url)
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/png"
    assert thumb.content.startswith(b"\x89PNG") and "max-age" in thumb.headers["cache-control"]
    cached = web.get(thumb_url, headers={"If-None-Match": thumb.headers["etag"]})
    assert cached.status_code == 304
    assert web.get(f"/poststelle/briefe/{letter_id}/seiten/2.png").status_code == 404
    pdf = web.get(f"/poststelle/briefe/{letter_id}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    turned = web.post(
        f"/poststelle/briefe/{letter_id}/drehen",
        data={"csrf_token": csrf, "page": "1", "degrees": "180"},
        follow_redirects=False,
    )
    assert turned.status_code == 303 and "notice=rotated" in turned.headers["location"]
    with seeded.unit(SYSTEM) as ctx:
        letter = ctx.db.get(IntakeLetter, letter_id)
        assert letter is not None and letter.pages["rotations"] == [180]
    bad = web.post(
        f"/poststelle/briefe/{letter_id}/senden",
        data={
            "csrf_token": csrf,
            "mode": "corrected",
            "office_code": "63",
            "case_reference": "600-9999/2026-01",
        },
    )
    assert bad.status_code == 404 and "Vorgang 600-9999/2026-01 nicht gefunden" in bad.text
    assert 'value="600-9999/2026-01"' in bad.text  # the form keeps what was typed

    sent = web.post(
        f"/poststelle/briefe/{letter_id}/senden",
        data={
            "csrf_token": csrf,
            "mode": "corrected",
            "office_code": "63",
            "case_reference": "600-0001/2026-01",
            "assignee": "mueller",
        },
        follow_redirects=False,
    )
    assert sent.status_code == 303 and sent.headers["location"].startswith("/poststelle")
    assert "sent-corrected" in sent.headers["location"]
    with seeded.unit(SYSTEM) as ctx:
        letter = ctx.db.get(IntakeLetter, letter_id)
        assert letter is not None and letter.status == "filed"
        case = files.case_by_reference(ctx, "600-0001/2026-01")
        assert letter.case_id == case.id and letter.routing["assignee"] == "mueller"
        assert letter.document_id in [d.id for d, _ in documents.list_documents(ctx, case.id)]

    quality = web.get(f"/poststelle/stapel/{batch_id}/qualitaet")
    assert quality.status_code == 200 and "Stichprobe: 1 von 1 Seiten" in quality.text
    (field,) = re.findall(r'name="(ok-\d+)" value="ja"', quality.text)
    index = field.removeprefix("ok-")
    missing_remark = web.post(
        f"/poststelle/stapel/{batch_id}/qualitaet",
        data={"csrf_token": csrf, field: "nein", f"remark-{index}": ""},
    )
    assert missing_remark.status_code == 422 and "Bemerkung" in missing_remark.text
    saved = web.post(
        f"/poststelle/stapel/{batch_id}/qualitaet",
        data={"csrf_token": csrf, field: "ja", f"remark-{index}": "scharf"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert "bestanden" in web.get(saved.headers["location"]).text
    with seeded.unit(SYSTEM) as ctx:
        letter = ctx.db.get(IntakeLetter, letter_id)
        assert letter is not None
        assert letter.transfer_note["quality_control"]["result"] == "passed"


def test_quarantine_on_the_screen(web: TestClient, seeded: App) -> None:
    csrf = login(web, "post")
    response = _upload(web, csrf, b"%PDF-1.7\n" + b"\x00garbage" * 100, "kaputt.pdf")
    assert response.status_code == 303 and "notice=quarantined" in response.headers["location"]
    batch_id = _id(response.headers["location"], "/poststelle/stapel/")
    home = web.get("/poststelle")
    assert "Quarantäne" in home.text and "beschädigt" in home.text
    assert f'action="/poststelle/stapel/{batch_id}/verwerfen"' in home.text
    retried = web.post(
        f"/poststelle/stapel/{batch_id}/wiederholen",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert retried.status_code == 303 and "notice=quarantined" in retried.headers["location"]
    discarded = web.post(
        f"/poststelle/stapel/{batch_id}/verwerfen",
        data={"csrf_token": csrf, "remark": "neu angefordert"},
        follow_redirects=False,
    )
    assert discarded.status_code == 303
    home = web.get(discarded.headers["location"])
    assert "Stapel verworfen" in home.text and "Keine Stapel in Quarantäne." in home.text
    with seeded.unit(SYSTEM) as ctx:
        batch = ctx.db.get(IntakeBatch, batch_id)
        assert batch is not None and batch.status == "discarded"
        assert seeded.store.exists(batch.sha256)
    future = (date.today() + timedelta(days=3)).isoformat()
    refused = _upload(web, csrf, png_bytes(text_page(["x"]).image), "a.png", received_on=future)
    assert refused.status_code == 422 and "Zukunft" in refused.text
    no_csrf = web.post(f"/poststelle/stapel/{batch_id}/wiederholen", follow_redirects=False)
    assert no_csrf.status_code == 403


@pytest.mark.parametrize("username", ["mueller", "schmidt"])
def test_only_the_mailroom_gets_in(web: TestClient, seeded: App, username: str) -> None:
    csrf = login(web, username)
    assert 'href="/poststelle"' not in web.get("/").text
    with seeded.unit(SYSTEM) as ctx:
        letter_id = ctx.db.scalar(select(IntakeLetter.id).limit(1)) or 1
    for path in (
        "/poststelle",
        "/poststelle/pruefen",
        "/poststelle/stapel/1",
        f"/poststelle/briefe/{letter_id}",
        f"/poststelle/briefe/{letter_id}/pdf",
        f"/poststelle/briefe/{letter_id}/seiten/1.png",
        "/poststelle/stapel/1/qualitaet",
    ):
        response = web.get(path)
        assert response.status_code == 403, path
        assert "Keine Berechtigung" in response.text
    refused = _upload(web, csrf, png_bytes(text_page(["x"]).image), "a.png")
    assert refused.status_code == 403
    for action in ("senden", "drehen", "verschieben", "teilen", "zusammenfuehren"):
        response = web.post(
            f"/poststelle/briefe/1/{action}", data={"csrf_token": csrf, "page": "1"}
        )
        assert response.status_code == 403, action
    with seeded.unit(SYSTEM) as ctx:
        assert ctx.db.scalar(select(IntakeBatch.id).limit(1)) is None


def test_admin_sees_the_mailroom(web: TestClient) -> None:
    login(web, "admin")
    assert 'href="/poststelle"' in web.get("/").text
    assert web.get("/poststelle").status_code == 200


@pytest.mark.slow
@pytest.mark.browser
def test_keyboard_alone(
    seeded: App,
    live_server: str,  # noqa: F811
    browser_page: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Headless Chromium: open the queue with Enter, j/k between letters, r turns the chosen
    page, Enter sends as proposed and moves on to the next letter."""
    _deploy(seeded)
    path = tmp_path / "stapel.tif"
    path.write_bytes(
        multi_page_tiff(
            [
                text_page(THANKS, seed=3).image,
                text_page(["Anlage", "Kopie des Ausweises"], seed=4).image,
                separator_page(seed=5).image,
                text_page(["Kurze Nachricht", "Bitte um Rückruf"], seed=6).image,
            ]
        )
    )
    batch_id = receive(seeded, path, source="upload", operator="post")
    assert process_batch(seeded, batch_id).status == "done"
    with seeded.unit(SYSTEM) as ctx:
        first, second = ctx.db.scalars(
            select(IntakeLetter.id)
            .where(IntakeLetter.batch_id == batch_id)
            .order_by(IntakeLetter.seq)
        )
    page = browser_page
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", "post")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server}/poststelle")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/poststelle/briefe/{first}")
    page.keyboard.press("j")
    page.wait_for_url(f"**/poststelle/briefe/{second}")
    page.keyboard.press("k")
    page.wait_for_url(f"**/poststelle/briefe/{first}")
    page.keyboard.press("ArrowRight")  # choose page 2
    page.keyboard.press("r")
    page.wait_for_url(f"**/poststelle/briefe/{first}?notice=rotated")
    with seeded.unit(SYSTEM) as ctx:
        letter = ctx.db.get(IntakeLetter, first)
        assert letter is not None and letter.pages["rotations"][1] == 270
    page.keyboard.press("o")
    assert page.evaluate("document.activeElement.id") == "office"
    page.keyboard.press("Escape")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/poststelle/briefe/{second}?notice=sent")
    with seeded.unit(SYSTEM) as ctx:
        letter = ctx.db.get(IntakeLetter, first)
        assert letter is not None and letter.status == "filed" and letter.filed_by == "post"
