"""The mailroom pipeline end to end with real Tesseract: a scanned batch becomes letters,
each found by search, routed with a reason, and filed into the right case."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from dms.content.text_pdf import text_pdf
from dms.search import SearchQuery
from dms.services.context import SYSTEM, App
from dms.services.search import search
from ingest.models import IntakeBatch, IntakeLetter
from ingest.pipeline import process_batch, receive
from tests.ingest.scans import blank_page, multi_page_tiff, separator_page, text_page
from workflows import engine

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _deploy(app: App) -> None:
    with app.unit(SYSTEM) as ctx:
        for path in sorted((ROOT / "config" / "processes").glob("*.bpmn")):
            engine.deploy(ctx, path.read_bytes(), source=path.name)


def test_batch_is_split_ocrd_routed_and_filed(seeded: App, tmp_path: Path) -> None:
    _deploy(seeded)
    first = text_page([
        "Landkreis Musterland - Jobcenter",
        "Oberdorf, den 03.11.2026",
        "Betreff: Antrag auf Grundsicherung im Alter",
        "Hiermit beantrage ich Leistungen der Grundsicherung.",
        "Mit freundlichen Grüßen",
    ], seed=1, skew=1.2)
    second = text_page([
        "Gemeinde Oberdorf",
        "Ihr Zeichen: 600-0001/2026-01",
        "Oberdorf, den 04.11.2026",
        "Betreff: Nachreichung Lageplan zum Bauantrag",
        "Anbei erhalten Sie den geänderten Lageplan.",
        "Mit freundlichen Grüßen",
    ], seed=2, skew=-0.8)
    batch_file = tmp_path / "stapel.tif"
    batch_file.write_bytes(multi_page_tiff([
        first.image, blank_page(3).image, separator_page(seed=4).image,
        second.image, blank_page(5).image,
    ]))
    batch_id = receive(seeded, batch_file, source="cli", operator="post", device="Scanner 1")
    result = process_batch(seeded, batch_id)
    assert result.status == "done", result.reason
    assert len(result.letters) == 2
    with seeded.unit(SYSTEM) as ctx:
        batch = ctx.db.get(IntakeBatch, batch_id)
        assert batch is not None and batch.page_count == 5 and batch.blank_pages == 2
        letters = list(ctx.db.scalars(select(IntakeLetter).order_by(IntakeLetter.seq)))
    assert [len(x.pages["indexes"]) for x in letters] == [1, 1]
    assert letters[0].register_number != letters[1].register_number
    lageplan = letters[1]
    assert lageplan.routing and "600-0001/2026-01" in lageplan.routing["reason"]
    assert lageplan.status == "filed" and lageplan.document_id is not None
    assert lageplan.transfer_note["scan_sha256"] == batch.sha256
    with seeded.unit(SYSTEM) as ctx:
        hits = search(ctx, SearchQuery("Lageplan")).hits
    assert lageplan.document_id in [h.document_id for h in hits]
    assert [h.case_reference for h in hits if h.document_id == lageplan.document_id] == [
        "600-0001/2026-01"]
    # idempotent: processing again changes nothing
    again = process_batch(seeded, batch_id)
    assert [x["id"] for x in again.letters] == [x.id for x in letters]


def test_born_digital_pdf_is_kept_as_is(seeded: App, tmp_path: Path) -> None:
    _deploy(seeded)
    data = text_pdf(["Gemeinde Oberdorf", "Ihr Zeichen: 600-0001/2026-01",
                     "Oberdorf, den 05.11.2026", "Stellungnahme zur Zufahrt des Bauvorhabens",
                     "Die Zufahrt über den Lindenweg ist gesichert."])
    path = tmp_path / "stellungnahme.pdf"
    path.write_bytes(data)
    result = process_batch(seeded, receive(seeded, path, source="upload", operator="post"))
    assert result.status == "done" and len(result.letters) == 1
    with seeded.unit(SYSTEM) as ctx:
        letter = ctx.db.get(IntakeLetter, result.letters[0]["id"])
        assert letter is not None and letter.transfer_note["ocr"]["method"] == "text-layer"
    assert letter.status == "filed" and letter.document_id is not None
    from dms.services import documents

    with seeded.unit(SYSTEM) as ctx:
        opened = documents.open_version(ctx, letter.document_id)
        assert b"".join(opened.chunks()) == data  # never rewritten


def test_unreadable_input_is_quarantined_with_a_reason(seeded: App, tmp_path: Path) -> None:
    path = tmp_path / "kaputt.pdf"
    path.write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 100)
    batch_id = receive(seeded, path, source="upload", operator="post")
    result = process_batch(seeded, batch_id)
    assert result.status == "quarantined" and "beschädigt" in (result.reason or "")
    with seeded.unit(SYSTEM) as ctx:
        batch = ctx.db.get(IntakeBatch, batch_id)
        assert batch is not None and seeded.store.exists(batch.sha256)  # nothing lost


def test_failed_automatic_send_leaves_the_letter_for_review(seeded: App, tmp_path: Path):
    # no process models deployed: the distribution process cannot start
    data = text_pdf(["Gemeinde Oberdorf", "Ihr Zeichen: 600-0001/2026-01",
                     "Oberdorf, den 05.11.2026", "Nachtrag zum Bauantrag Lindenweg."])
    path = tmp_path / "nachtrag.pdf"
    path.write_bytes(data)
    result = process_batch(seeded, receive(seeded, path, source="upload", operator="post"))
    assert result.status == "done"
    with seeded.unit(SYSTEM) as ctx:
        letter = ctx.db.get(IntakeLetter, result.letters[0]["id"])
        assert letter is not None and letter.status == "review" and letter.needs_review
        assert letter.reason and "fehlgeschlagen" in letter.reason
