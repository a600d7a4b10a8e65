"""Two dates per letter: the document's date is the letter's own date ("Schreiben vom"),
found in its text; the date of receipt (Eingangsdatum, per batch) stays in the document's
attributes and, for scans, on the receipt stamp of the PDF/A."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pikepdf
import pytest

from dms.content.text_pdf import text_pdf
from dms.models import Document
from dms.services import documents
from dms.services.context import SYSTEM, App
from ingest.models import IntakeLetter
from ingest.pipeline import process_batch, receive
from tests.ingest.scans import multi_page_tiff, text_page
from workflows import engine

ROOT = Path(__file__).resolve().parents[2]
RECEIVED = date(2026, 11, 20)


def _deploy(app: App) -> None:
    with app.unit(SYSTEM) as ctx:
        for path in sorted((ROOT / "config" / "processes").glob("*.bpmn")):
            engine.deploy(ctx, path.read_bytes(), source=path.name)


def _filed(app: App, path: Path) -> tuple[IntakeLetter, Document]:
    result = process_batch(app, receive(app, path, source="upload", operator="post",
                                        received_on=RECEIVED))
    assert result.status == "done", result.reason
    with app.unit(SYSTEM) as ctx:
        letter = ctx.db.get(IntakeLetter, result.letters[0]["id"])
        assert letter is not None and letter.status == "filed", letter.reason
        document = ctx.db.get(Document, letter.document_id)
        assert document is not None
        ctx.db.expunge_all()
    return letter, document


def test_document_date_is_the_letter_date_and_receipt_is_kept(seeded: App,
                                                              tmp_path: Path) -> None:
    _deploy(seeded)
    path = tmp_path / "stellungnahme.pdf"
    path.write_bytes(text_pdf(["Gemeinde Oberdorf", "Ihr Zeichen: 600-0001/2026-01",
                               "Oberdorf, den 05.11.2026",
                               "Stellungnahme zur Zufahrt des Bauvorhabens"]))
    letter, document = _filed(seeded, path)
    assert letter.extraction["date"] == "2026-11-05"
    assert document.document_date == date(2026, 11, 5)
    assert document.attributes["received_on"] == "2026-11-20"
    assert document.attributes["letter_date"] == "2026-11-05"
    assert document.attributes["transfer_note"]["received_on"] == "2026-11-20"


def test_without_a_letter_date_the_document_is_dated_by_receipt(seeded: App,
                                                                tmp_path: Path) -> None:
    _deploy(seeded)
    path = tmp_path / "nachtrag.pdf"
    path.write_bytes(text_pdf(["Gemeinde Oberdorf", "Ihr Zeichen: 600-0001/2026-01",
                               "Nachtrag zum Bauantrag: der Lageplan folgt anbei."]))
    letter, document = _filed(seeded, path)
    assert letter.extraction["date"] is None
    assert document.document_date == RECEIVED
    assert document.attributes["letter_date"] is None
    assert document.attributes["received_on"] == "2026-11-20"


@pytest.mark.slow
def test_scanned_letter_carries_the_receipt_stamp(seeded: App, tmp_path: Path) -> None:
    _deploy(seeded)
    page = text_page(["Gemeinde Oberdorf", "Ihr Zeichen: 600-0001/2026-01",
                      "Oberdorf, den 03.11.2026", "Betreff: Nachreichung Lageplan",
                      "Anbei erhalten Sie den geänderten Lageplan."], seed=7, skew=0.5)
    path = tmp_path / "scan.tif"
    path.write_bytes(multi_page_tiff([page.image]))
    _, document = _filed(seeded, path)
    assert document.document_date == date(2026, 11, 3)
    assert document.attributes["received_on"] == "2026-11-20"
    with seeded.unit(SYSTEM) as ctx:
        pdf_bytes = b"".join(documents.open_version(ctx, document.id).chunks())
    out = tmp_path / "filed.pdf"
    out.write_bytes(pdf_bytes)
    with pikepdf.open(out) as pdf:
        [stamp] = list(pdf.pages[0].obj.Annots)
        assert stamp.Subtype == "/Stamp"
        assert str(stamp.Contents) == "Eingegangen am 20.11.2026, Poststelle"
