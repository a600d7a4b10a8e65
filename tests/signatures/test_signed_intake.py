"""A signed PDF arriving in the mailroom is filed unchanged (never split, OCR'd or rewritten,
even with almost no text), its signatures are checked on intake, and the Prüfprotokoll lies
beside it; a tampered one is filed too, marked invalid."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from dms.models import Document
from dms.services import documents, users
from dms.services.context import SYSTEM, App, actor_for
from ingest import review
from ingest.models import IntakeLetter
from ingest.pipeline import process_batch, receive
from tests.signatures.pki import SigningPki, sample_pdf, sign_with_pyhanko
from tests.signatures.test_service import _config
from workflows.shipped import deploy_shipped

pytestmark = pytest.mark.parametrize("seeded", ["sqlite"], indirect=True)


@pytest.fixture
def app(seeded: App, pki: SigningPki, tmp_path: Path) -> Iterator[App]:
    seeded.settings.config_dir = _config(tmp_path, pki)
    with seeded.unit(SYSTEM) as ctx:
        deploy_shipped(ctx)
    yield seeded


def _ingest(app: App, tmp_path: Path, data: bytes, name: str) -> Document:
    path = tmp_path / name
    path.write_bytes(data)
    batch = receive(app, path, source="upload", operator="post")
    result = process_batch(app, batch)
    assert result.status == "done", result.reason
    with app.unit(SYSTEM) as ctx:
        letter = ctx.db.scalar(select(IntakeLetter).where(IntakeLetter.batch_id == batch))
        assert letter is not None
        letter_id, status = letter.id, letter.status
        post = actor_for(ctx.db, users.user_by_name(ctx.db, "post"))
    if status == "review":  # too little to route by: the mailroom sends it on
        review.send(app, post, letter_id)
    with app.unit(SYSTEM) as ctx:
        letter = ctx.db.get(IntakeLetter, letter_id)
        assert letter is not None and letter.document_id is not None
        document = ctx.db.get(Document, letter.document_id)
        assert document is not None
        return document


def test_signed_pdf_is_filed_unchanged_and_checked(app: App, pki: SigningPki,
                                                   tmp_path: Path) -> None:
    signed = sign_with_pyhanko(sample_pdf(1, "Widerspruch"), pki.alice, "B-B")
    document = _ingest(app, tmp_path, signed, "widerspruch-signiert.pdf")
    with app.unit(SYSTEM) as ctx:
        opened = documents.open_version(ctx, document.id)
        with opened.stream as stream:
            assert hashlib.sha256(stream.read()).hexdigest() == hashlib.sha256(signed).hexdigest()
    check = document.attributes["signature_check"]
    assert check["verdict"] == "valid", check
    with app.unit(SYSTEM) as ctx:
        protocol, _ = documents.get_document(ctx, check["protocol_document_id"])
        assert protocol.case_id == document.case_id


def test_tampered_signed_pdf_is_filed_and_marked_invalid(app: App, pki: SigningPki,
                                                         tmp_path: Path) -> None:
    signed = bytearray(sign_with_pyhanko(sample_pdf(1, "Widerspruch"), pki.alice, "B-B"))
    assert signed[9:10] == b"%"  # the binary comment after the header: still a valid PDF,
    signed[11] ^= 0x01  # but the signed bytes no longer match
    document = _ingest(app, tmp_path, bytes(signed), "manipuliert.pdf")
    assert document.attributes["signature_check"]["verdict"] == "invalid"


def test_unsigned_pdf_gets_no_protocol(app: App, tmp_path: Path) -> None:
    document = _ingest(app, tmp_path, sample_pdf(1, "Ein Brief " * 20), "brief.pdf")
    assert "signature_check" not in document.attributes
