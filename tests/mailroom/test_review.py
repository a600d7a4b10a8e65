"""The mailroom's review with real Tesseract on generated scans: correct and send, turn an
upside-down page, move / split / merge, the sampled quality check, uploads, the quarantine,
and who may do any of it."""

from __future__ import annotations

import functools
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select

from dms.content.extract import extract_text
from dms.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from dms.models import AuditEvent, Document, User
from dms.services import documents, files, users
from dms.services.context import SYSTEM, Actor, App, actor_for
from ingest import review
from ingest.models import IntakeBatch, IntakeLetter
from ingest.pipeline import process_batch, quarantine, receive
from tests.ingest.scans import multi_page_tiff, png_bytes, separator_page, text_page
from tests.mailroom.test_pipeline import _deploy

pytestmark = pytest.mark.slow

THANKS = [
    "Elke Bäumer",
    "Fröbelweg 21, 35390 Gießen",
    "Gießen, den 12.11.2026",
    "Betreff: Dank für die freundliche Beratung",
    "Sehr geehrte Damen und Herren,",
    "ich bedanke mich herzlich für das freundliche Gespräch.",
    "Mit freundlichen Grüßen",
]


def _actor(app: App, username: str) -> Actor:
    with app.unit(SYSTEM) as ctx:
        return actor_for(ctx.db, users.user_by_name(ctx.db, username))


def _batch(app: App, images: list[Image.Image], tmp_path: Path, name: str = "stapel.tif") -> int:
    path = tmp_path / name
    path.write_bytes(multi_page_tiff(images))
    batch_id = receive(app, path, source="upload", operator="post", device="Scanner 1")
    result = process_batch(app, batch_id)
    assert result.status == "done", result.reason
    return batch_id


def _letters(app: App, batch_id: int) -> list[IntakeLetter]:
    with app.unit(SYSTEM) as ctx:
        return list(
            ctx.db.scalars(
                select(IntakeLetter)
                .where(IntakeLetter.batch_id == batch_id)
                .order_by(IntakeLetter.seq)
            )
        )


def _pdf_text(app: App, sha256: str, tmp_path: Path) -> tuple[str, int | None]:
    path = tmp_path / f"{sha256}.pdf"
    with app.store.open(sha256) as stream:
        path.write_bytes(stream.read())
    extracted = extract_text(path, "application/pdf", max_chars=100_000)
    return extracted.text, extracted.pages


def _page_images(app: App, sha256: str) -> list[bytes]:
    """The encoded image of each page of a stored PDF (as written by ingest.pdfa)."""
    import pikepdf

    with app.store.open(sha256) as stream, pikepdf.open(stream) as pdf:
        return [bytes(page.Resources.XObject.Im0.read_raw_bytes()) for page in pdf.pages]


def test_correct_and_send_files_the_letter_into_the_chosen_case(
    seeded: App, tmp_path: Path
) -> None:
    _deploy(seeded)
    post = _actor(seeded, "post")
    batch_id = _batch(seeded, [text_page(THANKS, seed=3).image], tmp_path=tmp_path)
    (letter,) = _letters(seeded, batch_id)
    assert letter.status == "review" and letter.needs_review
    assert letter.pages["rotations"] == [0] and len(letter.pages["ocr"]) == 1

    with seeded.unit(post) as ctx:
        queue = review.list_review(ctx)
        assert [x.id for x in queue] == [letter.id]
        view = review.letter_detail(ctx, letter.id)
        batches = review.list_batches(ctx)
    assert view.editable and len(view.pages) == 1 and "Beratung" in view.text
    assert view.routing["reason"] and view.routing["office_code"]
    date_field = next(f for f in view.fields if f.name == "date")
    assert date_field.value == "12.11.2026" and "12.11.2026" in date_field.evidence[0]
    marked = [s for page in view.text_pages for s in page if s.mark]
    assert any("12.11.2026" in s.text for s in marked)
    assert batches[0].id == batch_id and batches[0].to_review == 1
    assert batches[0].pages_in_letters == 1 and batches[0].status == "done"

    with seeded.unit(SYSTEM) as ctx:
        case = files.case_by_reference(ctx, "600-0001/2026-01")
        case_id, owner_id = case.id, case.owner_id
    with pytest.raises(NotFound):
        review.send(seeded, post, letter.id, review.Correction(case_reference="600-9999/2026-01"))
    sent = review.send(
        seeded,
        post,
        letter.id,
        review.Correction(office_code="50", case_reference=" 600-0001/2026-01 "),
    )
    assert sent.status == "filed" and sent.corrected
    assert sent.case_id == case_id and sent.case_reference == "600-0001/2026-01"
    assert sent.office_code == "63"  # the case decides the office
    with seeded.unit(SYSTEM) as ctx:
        filed = ctx.db.get(IntakeLetter, letter.id)
        assert filed is not None and filed.filed_by == "post"
        assert filed.routing["rule_id"] == "poststelle" and "post" in filed.routing["reason"]
        rows = documents.list_documents(ctx, case_id)
        assert filed.document_id in [d.id for d, _ in rows]
        if owner_id is not None:
            assert filed.routing["assignee"] == ctx.db.get(User, owner_id).username
        actions = [
            (e.actor, e.action)
            for e in ctx.db.scalars(
                select(AuditEvent).where(AuditEvent.object_type == "intake_letter")
            )
        ]
    assert ("post", "intake.review.send") in actions
    with pytest.raises(Conflict):  # sending twice is refused, not filed twice
        review.send(seeded, post, letter.id)


def test_rotate_turns_an_upside_down_page_readable(
    seeded: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ingest.pages

    upside_down = text_page(THANKS, seed=5).image.rotate(180)
    upside_down.info["dpi"] = (300, 300)
    # The scanner's orientation detection missed it (OSD is off here): the page stays upside
    # down, and staff turn it by hand.
    monkeypatch.setattr(
        ingest.pages, "PageSettings", functools.partial(ingest.pages.PageSettings, orient=False)
    )
    batch_id = _batch(seeded, [upside_down], tmp_path=tmp_path)
    (letter,) = _letters(seeded, batch_id)
    assert "Beratung" not in (letter.text or "")
    post = _actor(seeded, "post")

    result = review.rotate_page(seeded, post, letter.id, 1, 180)
    assert result.ocr_pages == 1 and result.letter_ids == (letter.id,)
    (turned,) = _letters(seeded, batch_id)
    assert "Beratung" in (turned.text or "") and "freundliche" in (turned.text or "")
    assert turned.pages["rotations"] == [180]
    assert turned.pdf_sha256 != letter.pdf_sha256
    assert turned.transfer_note["edits"][-1]["action"] == "rotate"
    text, pages = _pdf_text(seeded, turned.pdf_sha256, tmp_path)
    assert "Beratung" in text and pages == 1  # the rebuilt PDF/A is searchable
    with pytest.raises(InvalidInput):
        review.rotate_page(seeded, post, letter.id, 1, 45)
    with pytest.raises(InvalidInput):
        review.rotate_page(seeded, post, letter.id, 2, 90)


def test_move_split_and_merge_keep_every_page_exactly_once(seeded: App, tmp_path: Path) -> None:
    first = text_page(["Erster Brief", "Seite eins vom Antrag"], seed=1)
    second = text_page(["Zweite Seite", "Fortsetzung Kirschbaum"], seed=2)
    third = text_page(["Anderer Brief", "Nachricht wegen Holunder"], seed=3)
    batch_id = _batch(
        seeded,
        [first.image, second.image, separator_page(seed=4).image, third.image],
        tmp_path=tmp_path,
    )
    one, two = _letters(seeded, batch_id)
    assert (one.pages["indexes"], two.pages["indexes"]) == ([0, 1], [3])
    post = _actor(seeded, "post")
    with pytest.raises(InvalidInput):  # there is no letter before the first
        review.move_page(seeded, post, one.id, 1, "previous")

    second_page = _page_images(seeded, one.pdf_sha256)[1]
    moved = review.move_page(seeded, post, one.id, 2, "next")
    assert moved.ocr_pages == 0  # a moved page is not read again
    one, two = _letters(seeded, batch_id)
    # rebuilt from the original scan exactly as the pipeline prepared it: the same image
    assert _page_images(seeded, two.pdf_sha256)[0] == second_page
    assert (one.pages["indexes"], two.pages["indexes"]) == ([0], [1, 3])
    assert "Kirschbaum" in two.text.split("\f")[0] and "Holunder" in two.text.split("\f")[1]
    assert "Kirschbaum" not in one.text
    assert _pdf_text(seeded, two.pdf_sha256, tmp_path)[1] == 2
    with pytest.raises(InvalidInput):  # the only page: merge instead
        review.move_page(seeded, post, one.id, 1, "next")

    split = review.split_letter(seeded, post, two.id, 2)
    assert split.ocr_pages == 0 and len(split.letter_ids) == 2
    one, two, three = _letters(seeded, batch_id)
    assert [x.pages["indexes"] for x in (one, two, three)] == [[0], [1], [3]]
    assert three.register_number not in (one.register_number, two.register_number)
    assert three.status == "review" and "Holunder" in three.text
    assert three.transfer_note["split_from"] == two.register_number
    assert [x.seq for x in (one, two, three)] == [1, 2, 3]

    merged = review.merge_with_next(seeded, post, one.id)
    assert merged.removed_letter_id == two.id
    rows = _letters(seeded, batch_id)
    active = [x for x in rows if x.status != "merged"]
    gone = next(x for x in rows if x.id == two.id)
    assert gone.status == "merged" and one.register_number in (gone.reason or "")
    assert [x.pages["indexes"] for x in active] == [[0, 1], [3]]
    assert "Kirschbaum" in active[0].text and "Antrag" in active[0].text
    assert _pdf_text(seeded, active[0].pdf_sha256, tmp_path)[1] == 2
    # every content page of the batch is in exactly one letter
    pages = sorted(i for x in active for i in x.pages["indexes"])
    assert pages == [0, 1, 3]
    with seeded.unit(post) as ctx:
        assert review.get_batch(ctx, batch_id).letter_count == 2
        with pytest.raises(NotFound):
            review.letter_detail(ctx, two.id)


def test_quality_check_goes_into_the_transfer_note(seeded: App, tmp_path: Path) -> None:
    _deploy(seeded)
    batch_id = _batch(
        seeded,
        [text_page(["Kurzer Brief", "Bitte um Rückruf"], seed=7).image],
        tmp_path=tmp_path,
    )
    post = _actor(seeded, "post")
    with seeded.unit(post) as ctx:
        check = review.quality_check(ctx, batch_id)
    assert check.result is None and check.pages_total == 1 and len(check.sample) == 1
    (page,) = check.sample
    with seeded.unit(post) as ctx, pytest.raises(InvalidInput):
        review.record_quality(ctx, batch_id, {page.index: (False, "  ")})  # remark required
    with seeded.unit(post) as ctx:
        done = review.record_quality(ctx, batch_id, {page.index: (False, "Seite unscharf")})
    assert done.result == "failed" and done.checked_by == "post"
    assert done.sample[0].ok is False and done.sample[0].remark == "Seite unscharf"
    (letter,) = _letters(seeded, batch_id)
    note = letter.transfer_note["quality_control"]
    assert note["result"] == "failed" and note["pages_checked"] == 1
    assert note["pages"][0]["remark"] == "Seite unscharf"
    with seeded.unit(SYSTEM) as ctx:
        batch = ctx.db.get(IntakeBatch, batch_id)
        assert batch is not None and batch.quality["result"] == "failed"
    with seeded.unit(post) as ctx:
        again = review.record_quality(ctx, batch_id, {page.index: (True, "")})
    assert again.result == "passed"
    # a letter filed before the check carries the result in its document's transfer note
    sent = review.send(seeded, post, letter.id)
    with seeded.unit(post) as ctx:
        review.record_quality(ctx, batch_id, {page.index: (True, "nachgesehen")})
    with seeded.unit(SYSTEM) as ctx:
        document = ctx.db.get(Document, sent.document_id)
        assert document is not None
        assert document.attributes["transfer_note"]["quality_control"]["result"] == "passed"


def test_quality_sample_is_a_share_of_the_pages() -> None:
    from types import SimpleNamespace

    batch = SimpleNamespace(id=7, sha256="ab" * 32)
    pages = list(range(40))
    sample = review._sample(batch, pages, 0.10)  # type: ignore[arg-type]
    assert len(sample) == 4 and sample == review._sample(batch, pages, 0.10)  # type: ignore[arg-type]
    assert len(review._sample(batch, pages[:3], 0.10)) == 1  # type: ignore[arg-type]


def test_upload_processes_small_batches_at_once(seeded: App, tmp_path: Path) -> None:
    post = _actor(seeded, "post")
    path = tmp_path / "scan.png"
    path.write_bytes(png_bytes(text_page(["Kurze Mitteilung", "Termin am Montag"], seed=9).image))
    yesterday = date.today() - timedelta(days=1)
    result = review.upload(seeded, post, path, "scan.png", received_on=yesterday)
    assert result.processed_inline and result.status == "done" and result.letters == 1
    with seeded.unit(SYSTEM) as ctx:
        batch = ctx.db.get(IntakeBatch, result.batch_id)
        assert batch is not None and batch.source == "upload" and batch.operator == "post"
        assert batch.received_on == yesterday
    with pytest.raises(InvalidInput):
        review.upload(seeded, post, path, "scan.png", received_on=date.today() + timedelta(2))
    many = tmp_path / "gross.tif"
    many.write_bytes(multi_page_tiff([Image.new("L", (200, 280), 255)] * 6))
    later = review.upload(seeded, post, many, "gross.tif")
    assert not later.processed_inline and later.status == "received"  # the worker's job


def test_quarantine_retry_and_discard(seeded: App, tmp_path: Path) -> None:
    post = _actor(seeded, "post")
    broken = tmp_path / "kaputt.pdf"
    broken.write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 100)
    bad_id = receive(seeded, broken, source="upload", operator="post")
    assert process_batch(seeded, bad_id).status == "quarantined"
    good = tmp_path / "gut.png"
    good.write_bytes(png_bytes(text_page(["Nachricht", "Alles in Ordnung"], seed=8).image))
    good_id = receive(seeded, good, source="upload", operator="post")
    quarantine(seeded, good_id, "Tesseract-Sprachmodell fehlte")  # e.g. fixed since

    with seeded.unit(post) as ctx:
        listed = review.list_quarantine(ctx)
    assert {b.id for b in listed} == {bad_id, good_id}
    assert "beschädigt" in next(b.reason for b in listed if b.id == bad_id)

    retried = review.retry_batch(seeded, post, good_id)
    assert retried.status == "done" and retried.letters == 1
    again = review.retry_batch(seeded, post, bad_id)
    assert again.status == "quarantined" and "beschädigt" in (again.reason or "")
    with pytest.raises(Conflict):
        review.retry_batch(seeded, post, good_id)

    with seeded.unit(post) as ctx:
        discarded = review.discard_batch(ctx, bad_id, "Absender schickt neu")
    assert discarded.status == "discarded" and "Absender schickt neu" in (discarded.reason or "")
    with seeded.unit(post) as ctx:
        assert review.list_quarantine(ctx) == []
        with pytest.raises(Conflict):
            review.discard_batch(ctx, bad_id)
    with seeded.unit(SYSTEM) as ctx:
        batch = ctx.db.get(IntakeBatch, bad_id)
        assert batch is not None and seeded.store.exists(batch.sha256)  # nothing lost
        assert [
            e.action
            for e in ctx.db.scalars(
                select(AuditEvent).where(
                    AuditEvent.object_type == "intake_batch", AuditEvent.object_id == str(bad_id)
                )
            )
        ][-1] == "intake.discard"
    assert process_batch(seeded, bad_id).status == "discarded"  # the worker leaves it alone


@pytest.mark.parametrize("username", ["mueller", "schmidt"])
def test_only_the_mailroom_may(seeded: App, tmp_path: Path, username: str) -> None:
    path = tmp_path / "scan.png"
    path.write_bytes(png_bytes(Image.new("L", (200, 280), 255)))
    batch_id = receive(seeded, path, source="upload", operator="post")
    with seeded.unit(SYSTEM) as ctx:
        letter = IntakeLetter(
            batch_id=batch_id,
            seq=1,
            register_number="PE-2026-999999",
            pages={"indexes": [0]},
            status="review",
            text="Geheim",
        )
        ctx.db.add(letter)
        ctx.db.flush()
        letter_id = letter.id
    outsider = _actor(seeded, username)
    for batch, letter in ((batch_id, letter_id), (999_999, 999_999)):
        with seeded.unit(outsider) as ctx:
            light: list[tuple[Any, tuple[Any, ...]]] = [
                (review.list_batches, ()),
                (review.list_review, ()),
                (review.list_quarantine, ()),
                (review.queue_counts, ()),
                (review.get_batch, (batch,)),
                (review.letter_detail, (letter,)),
                (review.letter_pdf, (letter,)),
                (review.quality_check, (batch,)),
                (review.record_quality, (batch, {0: (True, "")})),
                (review.discard_batch, (batch,)),
            ]
            for function, args in light:
                with pytest.raises(PermissionDenied):
                    function(ctx, *args)
        heavy: list[tuple[Any, tuple[Any, ...]]] = [
            (review.send, (letter,)),
            (review.rotate_page, (letter, 1, 90)),
            (review.move_page, (letter, 1, "next")),
            (review.split_letter, (letter, 2)),
            (review.merge_with_next, (letter,)),
            (review.retry_batch, (batch,)),
            (review.upload, (path, "scan.png")),
        ]
        for function, args in heavy:
            with pytest.raises(PermissionDenied):
                function(seeded, outsider, *args)
    with seeded.unit(SYSTEM) as ctx:
        assert ctx.db.get(IntakeLetter, letter_id).status == "review"  # type: ignore[union-attr]
        assert not list(ctx.db.scalars(select(AuditEvent).where(AuditEvent.actor == username)))
