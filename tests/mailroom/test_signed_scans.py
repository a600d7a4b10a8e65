"""A signed scan (a PDF whose pages are only images, with a PAdES signature) arriving in the
mailroom is filed unchanged, byte for byte, its signatures still valid; its pages are OCR'd
(real Tesseract) into a searchable PDF/A reading copy kept beside the version, so the
letter is found by its words, also after the search index is rebuilt."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from dms.content.extract import extract_text
from dms.models import Document
from dms.search import SearchQuery
from dms.services import documents, fsck, renditions, text_queue, users
from dms.services.context import SYSTEM, App, actor_for
from dms.services.search import search
from ingest import review
from ingest.models import IntakeLetter
from ingest.pipeline import process_batch, receive
from tests.ingest.scans import pdf_of_images, text_page
from tests.mailroom.emails import mail
from tests.signatures.conftest import pki  # noqa: F401 - the session's test PKI
from tests.signatures.pki import SigningPki, sign_with_pyhanko
from tests.signatures.test_service import _config
from workflows.shipped import deploy_shipped

pytestmark = pytest.mark.slow

LINES = [
    "Rechtsanwaltskanzlei Brenner",
    "Oberdorf, den 12.11.2026",
    "Betreff: Widerspruch gegen die Baugenehmigung",
    "Namens meines Mandanten lege ich Widerspruch ein.",
    "Die Zisternenanlage verletzt die Abstandsflächen.",
    "Mit freundlichen Grüßen",
]


@pytest.fixture
def app(seeded: App, pki: SigningPki, tmp_path: Path) -> Iterator[App]:  # noqa: F811
    seeded.settings.config_dir = _config(tmp_path, pki)
    with seeded.unit(SYSTEM) as ctx:
        deploy_shipped(ctx)
    yield seeded


def signed_scan(pki: SigningPki, seed: int = 7) -> bytes:  # noqa: F811
    """One scanned page (an image, no text layer) in a PDF signed with PAdES B-B (saved once
    by pikepdf first: Pillow's PDF writer leaves an xref entry pyHanko refuses to read)."""
    import io

    import pikepdf

    clean = io.BytesIO()
    with pikepdf.open(io.BytesIO(pdf_of_images([text_page(LINES, seed=seed).image]))) as pdf:
        pdf.save(clean)
    return sign_with_pyhanko(clean.getvalue(), pki.alice, "B-B")


def _sent(app: App, letter_id: int) -> IntakeLetter:
    with app.unit(SYSTEM) as ctx:
        letter = ctx.db.get(IntakeLetter, letter_id)
        assert letter is not None
        post = actor_for(ctx.db, users.user_by_name(ctx.db, "post"))
        status = letter.status
    if status == "review":
        review.send(app, post, letter_id)
    with app.unit(SYSTEM) as ctx:
        letter = ctx.db.get(IntakeLetter, letter_id)
        assert letter is not None and letter.document_id is not None
        return letter


def _hits(app: App, word: str) -> list[int]:
    with app.unit(SYSTEM) as ctx:
        return [hit.document_id for hit in search(ctx, SearchQuery(word)).hits]


def test_signed_scan_is_filed_unchanged_with_a_searchable_copy(
    app: App, pki: SigningPki, tmp_path: Path  # noqa: F811
) -> None:
    signed = signed_scan(pki)
    assert extract_text_of(signed, tmp_path).strip() == ""  # truly image-only
    path = tmp_path / "widerspruch-signiert.pdf"
    path.write_bytes(signed)
    batch_id = receive(app, path, source="upload", operator="post")
    result = process_batch(app, batch_id)
    assert result.status == "done", result.reason
    letter = _sent(app, result.letters[0]["id"])
    assert "Zisternenanlage" in (letter.text or "")  # routing and review read the OCR text
    assert letter.transfer_note["ocr"]["method"] == "signed-ocr"
    thumbnail = review.page_image(app, letter.pdf_sha256 or "", 1)  # the review's preview
    assert thumbnail is not None and thumbnail.startswith(b"\x89PNG")
    with app.unit(SYSTEM) as ctx:
        opened = documents.open_version(ctx, letter.document_id)
        original = b"".join(opened.chunks())
        version = opened.version
        copy = renditions.open_rendition(ctx, letter.document_id)
        copy_bytes = copy.stream.read()
        copy.stream.close()
        document = ctx.db.get(Document, letter.document_id)
        assert document is not None
        check = document.attributes["signature_check"]
        report = fsck.fsck(ctx, verify_content=True)
    # the original is the version, byte for byte; its hash is the one received
    assert original == signed
    assert version.sha256 == hashlib.sha256(signed).hexdigest()
    assert version.mime_type == "application/pdf"
    assert check["verdict"] == "valid", check  # the signature still holds
    # the copy: a PDF/A with the OCR text, the one the mailroom made and reviewed
    assert copy.rendition.sha256 == letter.pdf_sha256 != version.sha256
    assert copy.rendition.page_count == 1
    assert b"pdfaid" in copy_bytes
    assert "Zisternenanlage" in extract_text_of(copy_bytes, tmp_path)
    # found by the words on the scanned page, and the copy's blob is referenced (not swept)
    assert letter.document_id in _hits(app, "Zisternenanlage")
    assert letter.document_id in _hits(app, "Abstandsflächen")
    assert copy.rendition.sha256 not in report.orphans and report.ok
    # a rebuilt index still reads the copy, not the image-only original
    with app.unit(SYSTEM) as ctx:
        text_queue.requeue(ctx, everything=True)
    text_queue.process(app)
    assert letter.document_id in _hits(app, "Zisternenanlage")


def test_signed_scan_attached_to_a_mail_stays_unchanged_and_is_searchable(
    app: App, pki: SigningPki, tmp_path: Path  # noqa: F811
) -> None:
    signed = signed_scan(pki, seed=8)
    data = mail(subject="Widerspruch", plain="Anbei der signierte Widerspruch.",
                attachments=[("widerspruch.pdf", "application/pdf", signed)])
    path = tmp_path / "nachricht.eml"
    path.write_bytes(data)
    result = process_batch(app, receive(app, path, source="upload", operator="post"))
    assert result.status == "done", result.reason
    letter = _sent(app, result.letters[0]["id"])
    (entry,) = letter.pages["attachments"]
    assert entry["method"] == "signed-ocr" and entry["reading_sha256"]
    with app.unit(SYSTEM) as ctx:
        filed = b"".join(documents.open_version(ctx, entry["document_id"]).chunks())
        copy = renditions.open_rendition(ctx, entry["document_id"])
        copy.stream.close()
    assert filed == signed
    assert copy.rendition.sha256 == entry["reading_sha256"]
    assert entry["document_id"] in _hits(app, "Zisternenanlage")


def extract_text_of(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / f"probe-{hashlib.sha256(data).hexdigest()[:8]}.pdf"
    path.write_bytes(data)
    return extract_text(path, "application/pdf").text
