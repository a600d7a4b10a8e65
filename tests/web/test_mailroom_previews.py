"""Letters that are no scans get previews on the Poststelle review screen: an e-mail shows its
header and body as text and each attachment's pages; an XML e-invoice its readable view
(rendered once, when registered, and kept, never per request); a PDF invoice its pages.
Only the mailroom (and administrators) may see them."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select

from dms.content.text_pdf import text_pdf
from dms.models import Document
from dms.services import documents
from dms.services.context import SYSTEM, App
from ingest.invoice_records import InvoiceRecord
from ingest.models import IntakeLetter
from ingest.pipeline import process_batch, receive
from tests.einvoice.builders import build_ubl, build_zugferd_pdf
from tests.mailroom.emails import mail, small_zip
from tests.mailroom.test_pipeline import _deploy
from tests.web.conftest import api_token, login

LAGEPLAN = text_pdf(["Gemeinde Oberdorf", "Ihr Zeichen: 600-0001/2026-01",
                     "Oberdorf, den 02.11.2026", "Geänderter Lageplan zum Bauantrag",
                     "Die Zufahrt erfolgt über den Lindenweg."])


def _letter(app: App, tmp_path: Path, data: bytes, name: str) -> IntakeLetter:
    path = tmp_path / name
    path.write_bytes(data)
    result = process_batch(app, receive(app, path, source="upload", operator="post"))
    assert result.status == "done", result.reason
    with app.unit(SYSTEM) as ctx:
        letter = ctx.db.get(IntakeLetter, result.letters[0]["id"])
        assert letter is not None
        return letter


def _png(web: TestClient, url: str) -> Image.Image:
    response = web.get(url)
    assert response.status_code == 200, (url, response.text[:200])
    assert response.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return image


def _has_ink(image: Image.Image) -> bool:
    return image.convert("L").getextrema()[0] < 128  # some dark pixels: a rendered page


def test_email_letter_shows_the_mail_as_text_and_its_attachment_pages(
    web: TestClient, seeded: App, tmp_path: Path
) -> None:
    _deploy(seeded)
    data = mail(attachments=[("lageplan.pdf", "application/pdf", LAGEPLAN),
                             ("flurstuecke.zip", "application/zip", small_zip())])
    letter = _letter(seeded, tmp_path, data, "nachricht.eml")
    attachment_sha = letter.pages["attachments"][0]["sha256"]
    base = f"/poststelle/briefe/{letter.id}"

    login(web, "post")
    page = web.get(base)
    assert page.status_code == 200
    # the mail as text: header lines and body
    assert "Nachreichung Lageplan" in page.text and "bauamt@oberdorf.example" in page.text
    assert "anbei der Lageplan." in page.text
    # no broken thumbnail of the .eml; the attachment's page instead, the zip with a note
    assert f'{base}/seiten/1.png' not in page.text
    thumb = f"{base}/vorschau/1/seiten/1.png?v={attachment_sha[:16]}"
    assert thumb.replace("&", "&amp;") in page.text
    assert "Anhang 1: lageplan.pdf" in page.text and "Anhang 2: flurstuecke.zip" in page.text
    assert "Keine Seitenansicht für diesen Dateityp" in page.text
    assert _has_ink(_png(web, thumb))
    assert _png(web, thumb + "&gross=1").width > _png(web, thumb).width
    assert web.get(f"{base}/vorschau/1.pdf").content == LAGEPLAN
    assert web.get(f"{base}/vorschau/1/seiten/2.png").status_code == 404  # one page only
    assert web.get(f"{base}/vorschau/2/seiten/1.png").status_code == 404  # the zip: none
    assert web.get(f"{base}/vorschau/3.pdf").status_code == 404

    detail = web.get(f"/api/v1/intake/letters/{letter.id}", headers=api_token(seeded, "post"))
    assert detail.status_code == 200
    body = detail.json()
    assert body["email"]["subject"] == "Nachreichung Lageplan" and body["pages"] == []
    assert [(p["number"], p["sha256"], p["pages"]) for p in body["previews"]] == [
        (1, attachment_sha, 1), (2, None, 0)]

    login(web, "mueller")  # a clerk is no mailroom staff
    assert web.get(f"{base}/vorschau/1/seiten/1.png").status_code in (403, 404)
    assert web.get(f"{base}/vorschau/1.pdf").status_code in (403, 404)


def test_xml_einvoice_shows_its_readable_view_rendered_once(
    web: TestClient, seeded: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    xml = build_ubl()
    letter = _letter(seeded, tmp_path, xml, "rechnung.xml")
    assert letter.status == "filed"
    with seeded.unit(SYSTEM) as ctx:
        record = ctx.db.scalar(select(InvoiceRecord)
                               .where(InvoiceRecord.document_id == letter.document_id))
        assert record is not None
        view_id = record.facts["view_document_id"]
        view = documents.latest_version(ctx, view_id)
        assert view is not None and view.mime_type == "application/pdf"
        view_bytes = b"".join(documents.open_version(ctx, view_id).chunks())
        documents_before = ctx.db.scalar(select(func.count()).select_from(Document))

    def no_rendering(*_args: object, **_kwargs: object) -> bytes:
        raise AssertionError("the view is rendered once at intake, never per request")

    monkeypatch.setattr("ingest.einvoice.pdf_view.render_pdf", no_rendering)
    base = f"/poststelle/briefe/{letter.id}"
    login(web, "post")
    page = web.get(base)
    assert page.status_code == 200
    assert "lesbare Ansicht der E-Rechnung" in page.text
    thumb = f"{base}/vorschau/1/seiten/1.png?v={view.sha256[:16]}"
    assert thumb in page.text
    assert f'{base}/seiten/1.png' not in page.text  # the XML itself has no pages
    assert _has_ink(_png(web, thumb))
    assert web.get(f"{base}/vorschau/1.pdf").content == view_bytes
    assert web.get(base).status_code == 200
    with seeded.unit(SYSTEM) as ctx:
        assert ctx.db.scalar(select(func.count()).select_from(Document)) == documents_before


def test_pdf_einvoice_shows_its_own_pages(web: TestClient, seeded: App, tmp_path: Path) -> None:
    data = build_zugferd_pdf()
    letter = _letter(seeded, tmp_path, data, "rechnung.pdf")
    assert letter.status == "filed" and letter.pdf_sha256
    base = f"/poststelle/briefe/{letter.id}"
    login(web, "post")
    page = web.get(base)
    assert page.status_code == 200 and "(E-Rechnung, PDF)" in page.text
    thumb = f"{base}/vorschau/1/seiten/1.png?v={letter.pdf_sha256[:16]}"
    assert thumb in page.text
    _png(web, thumb)
    assert web.get(f"{base}/vorschau/1.pdf").content == data


def test_xml_einvoice_mailed_and_waiting_in_review_shows_a_view_rendered_once(
    web: TestClient, seeded: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dms.errors import Conflict
    from dms.services import fsck
    from ingest import pipeline

    def failing_send(*_args: object, **_kwargs: object) -> None:
        raise Conflict("Testfall: Versand schlägt fehl")

    with monkeypatch.context() as patch:  # the automatic send fails: the letter waits
        patch.setattr(pipeline, "send_letter", failing_send)
        letter = _letter(seeded, tmp_path, mail(
            subject="Rechnung 4711", plain="Anbei unsere Rechnung.",
            attachments=[("rechnung.xml", "application/xml", build_ubl())]), "rechnung.eml")
    assert letter.status == "review"
    (entry,) = letter.pages["attachments"]
    assert entry["view_sha256"] and entry["view_pages"] >= 1
    with seeded.unit(SYSTEM) as ctx:  # kept from the orphan sweep while it waits
        report = fsck.fsck(ctx, repair=True, min_orphan_age=timedelta(0))
    assert entry["view_sha256"] not in report.orphans and seeded.store.exists(entry["view_sha256"])

    def no_rendering(*_args: object, **_kwargs: object) -> bytes:
        raise AssertionError("the view is rendered once at intake, never per request")

    monkeypatch.setattr("ingest.einvoice.pdf_view.render_pdf", no_rendering)
    base = f"/poststelle/briefe/{letter.id}"
    login(web, "post")
    page = web.get(base)
    assert "Anhang 1: rechnung.xml: lesbare Ansicht der E-Rechnung" in page.text
    thumb = f"{base}/vorschau/1/seiten/1.png?v={entry['view_sha256'][:16]}"
    assert thumb in page.text
    assert _has_ink(_png(web, thumb))
    assert web.get(f"{base}/vorschau/1.pdf").content.startswith(b"%PDF")
