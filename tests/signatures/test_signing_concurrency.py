"""Signing at a screen against the database's locking, on SQLite and PostgreSQL: no
transaction is held while the signature is made, and a version filed meanwhile wins."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from dms.errors import Conflict
from dms.services import audit, documents, signatures
from dms.services.context import App
from tests.signatures.pki import SigningPki, sample_pdf
from tests.signatures.test_service import _add_key, _latest_bytes, _pdf_document
from tests.support.actors import actor_of, as_user


def test_signing_at_a_screen_holds_no_transaction_while_the_signature_is_made(
        app: App, pki: SigningPki, monkeypatch: pytest.MonkeyPatch) -> None:
    """The TSA, OCSP, a token or a remote service may take seconds: meanwhile no database
    connection (and on SQLite no write lock) is held, and others can write."""
    document_id = _pdf_document(app)
    key_id = _add_key(app, pki)
    real_sign = signatures.sign_pdf
    seen: list[int] = []

    def watching_sign(*args: object, **kwargs: object) -> bytes:
        seen.append(app.engine.pool.checkedout())  # type: ignore[attr-defined]
        with as_user(app, "weber") as ctx:  # another person writes in the meantime
            audit.record(ctx, "probe.meanwhile", "probe", "signing")
        return real_sign(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(signatures, "sign_pdf", watching_sign)
    result = signatures.sign_document_now(app, actor_of(app, "mueller"),
                                          document_id=document_id, key_id=key_id,
                                          secret=pki.alice.passphrase)
    assert seen == [0]
    assert result.version.number == 2 and result.signed_version == 1
    assert _latest_bytes(app, document_id)[0].signature_of == 1


def test_a_version_added_while_signing_refuses_the_signature(
        app: App, pki: SigningPki, monkeypatch: pytest.MonkeyPatch) -> None:
    """Signed is what was shown: if someone files a new version meanwhile, the signature of
    the old one is not filed as the newest version."""
    document_id = _pdf_document(app)
    key_id = _add_key(app, pki)
    real_sign = signatures.sign_pdf

    def racing_sign(*args: object, **kwargs: object) -> bytes:
        with tempfile.TemporaryDirectory() as tmp, as_user(app, "mueller") as ctx:
            path = Path(tmp) / "bescheid.pdf"
            path.write_bytes(sample_pdf(2, "Bescheid, geändert"))
            documents.add_version(ctx, document_id=document_id, source=path,
                                  filename="bescheid.pdf")
        return real_sign(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(signatures, "sign_pdf", racing_sign)
    with pytest.raises(Conflict, match="Version 2"):
        signatures.sign_document_now(app, actor_of(app, "mueller"), document_id=document_id,
                                     key_id=key_id, secret=pki.alice.passphrase)
    version, _ = _latest_bytes(app, document_id)
    assert version.number == 2 and version.signature_of is None
