"""Signatures in the e-file: keys held by people and offices, signing a document as a new
version, sealing, checking signatures with a Prüfprotokoll, and the final signature of the
co-signing process signed from the inbox."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dms.errors import InvalidInput, KeyAccessDenied, NotFound, PermissionDenied
from dms.models import AuditEvent, Document, SigningKey, Version
from dms.services import audit, documents, files, signatures, users
from dms.services.context import SYSTEM, App
from dms.signatures.validation import validate_pdf
from tests.signatures.conftest import signing_config as _config  # noqa: F401 - used by others
from tests.signatures.pki import SigningPki, sample_pdf
from tests.support.actors import as_user

pytestmark = pytest.mark.parametrize("seeded", ["sqlite"], indirect=True)


def _pdf_document(app: App, user: str = "mueller", text: str = "Bescheid") -> int:
    with tempfile.TemporaryDirectory() as tmp, as_user(app, user) as ctx:
        office = users.office_by_code(ctx, "63")
        (file,) = files.list_files(ctx, office_id=office.id)
        (case, _n), *_ = files.list_cases(ctx, file.id)
        path = Path(tmp) / "bescheid.pdf"
        path.write_bytes(sample_pdf(2, text))
        return documents.add_document(ctx, case_id=case.id, source=path,
                                      filename="bescheid.pdf", doc_type="decision").document.id


def _add_key(app: App, pki: SigningPki, who: str = "alice", owner: str | None = "mueller",
             purpose: str = "personal") -> int:
    identity = pki.identities[who]
    with as_user(app, "admin") as ctx:
        return signatures.add_pkcs12_key(
            ctx, data=identity.p12_path.read_bytes(), passphrase=identity.passphrase,
            purpose=purpose, owner=owner).id


def _latest_bytes(app: App, document_id: int) -> tuple[Version, bytes]:
    with app.unit(SYSTEM) as ctx:
        opened = documents.open_version(ctx, document_id)
        with opened.stream as stream:
            return opened.version, stream.read()


def test_sign_makes_a_new_version_that_validates_and_keeps_the_old(
        app: App, pki: SigningPki) -> None:
    document_id = _pdf_document(app)
    key_id = _add_key(app, pki)
    with as_user(app, "mueller") as ctx:
        result = signatures.sign_document(ctx, document_id=document_id, key_id=key_id,
                                          secret=pki.alice.passphrase)
        assert result.level == "B-T" and result.signed_version == 1
    version, signed = _latest_bytes(app, document_id)
    assert version.number == 2 and version.signature_of == 1
    assert version.comment is not None and "Signiert" in version.comment
    report = validate_pdf(signed, extra_anchors=[pki.root_path.read_bytes()])
    assert report.verdict == "valid", report.summary_de
    (check,) = report.signatures
    assert check.signer == pki.alice.common_name and check.timestamp is not None
    with app.unit(SYSTEM) as ctx:
        document, versions = documents.get_document(ctx, document_id)
        assert sorted(v.number for v in versions) == [1, 2]
        actions = [e.action for e in audit.history(ctx, "document", document_id)]
        assert "document.sign" in actions
        # the passphrase is nowhere in the audit trail
        payloads = " ".join(str(e.after) for e in ctx.db.scalars(select(AuditEvent)))
        assert pki.alice.passphrase not in payloads


def test_wrong_passphrase_leaves_no_version(app: App, pki: SigningPki) -> None:
    document_id = _pdf_document(app)
    key_id = _add_key(app, pki)
    with pytest.raises(KeyAccessDenied), as_user(app, "mueller") as ctx:
        signatures.sign_document(ctx, document_id=document_id, key_id=key_id, secret="falsch")
    with app.unit(SYSTEM) as ctx:
        assert ctx.db.scalar(select(func.count()).select_from(Version)
                             .where(Version.document_id == document_id)) == 1


def test_registering_checks_the_passphrase_and_stores_nothing_on_failure(
        app: App, pki: SigningPki) -> None:
    with app.unit(SYSTEM) as ctx:  # the demo signer's key and the seal
        before = ctx.db.scalar(select(func.count()).select_from(SigningKey))
    with pytest.raises(KeyAccessDenied), as_user(app, "admin") as ctx:
        signatures.add_pkcs12_key(ctx, data=pki.alice.p12_path.read_bytes(), passphrase="nein")
    with pytest.raises(InvalidInput), as_user(app, "admin") as ctx:
        signatures.add_pkcs12_key(ctx, data=b"kein pkcs12", passphrase="x")
    with app.unit(SYSTEM) as ctx:
        assert ctx.db.scalar(select(func.count()).select_from(SigningKey)) == before


def test_keys_belong_to_their_holder(app: App, pki: SigningPki) -> None:
    document_id = _pdf_document(app)
    key_id = _add_key(app, pki, "alice", "mueller")
    with as_user(app, "admin") as ctx:  # administrators see every key
        assert key_id in [k.id for k in signatures.list_keys(ctx)]
    with as_user(app, "mueller") as ctx:
        assert [k.id for k in signatures.my_keys(ctx)] == [key_id]
    with as_user(app, "weber") as ctx:
        assert signatures.my_keys(ctx) == []
        assert signatures.list_keys(ctx) == []
    # an administrator cannot sign with mueller's key either
    with pytest.raises(NotFound), as_user(app, "admin") as ctx:
        signatures.sign_document(ctx, document_id=document_id, key_id=key_id,
                                 secret=pki.alice.passphrase)
    # keys are handed out by administrators: a clerk adds neither a seal nor a key
    with pytest.raises(PermissionDenied), as_user(app, "mueller") as ctx:
        signatures.add_pkcs12_key(ctx, data=pki.seal.p12_path.read_bytes(),
                                  passphrase=pki.seal.passphrase, purpose="seal")
    with pytest.raises(PermissionDenied), as_user(app, "mueller") as ctx:
        signatures.add_pkcs12_key(ctx, data=pki.bob.p12_path.read_bytes(),
                                  passphrase=pki.bob.passphrase)


def test_only_pdfs_are_signed(app: App, pki: SigningPki) -> None:
    key_id = _add_key(app, pki)
    with tempfile.TemporaryDirectory() as tmp, as_user(app, "mueller") as ctx:
        office = users.office_by_code(ctx, "63")
        (file,) = files.list_files(ctx, office_id=office.id)
        (case, _n), *_ = files.list_cases(ctx, file.id)
        path = Path(tmp) / "notiz.txt"
        path.write_text("Aktenvermerk", encoding="utf-8")
        note = documents.add_document(ctx, case_id=case.id, source=path,
                                      filename="notiz.txt").document.id
    with pytest.raises(InvalidInput, match="PDF"), as_user(app, "mueller") as ctx:
        signatures.sign_document(ctx, document_id=note, key_id=key_id,
                                 secret=pki.alice.passphrase)


def test_sign_then_seal_both_stay_valid(app: App, pki: SigningPki) -> None:
    document_id = _pdf_document(app)
    key_id = _add_key(app, pki)
    seal_id = _add_key(app, pki, "seal", None, purpose="seal")
    with as_user(app, "mueller") as ctx:
        signatures.sign_document(ctx, document_id=document_id, key_id=key_id,
                                 secret=pki.alice.passphrase, level="B-B")
    with pytest.raises(NotFound), as_user(app, "mueller") as ctx:  # a clerk cannot seal
        signatures.sign_document(ctx, document_id=document_id, key_id=seal_id,
                                 secret=pki.seal.passphrase)
    with app.unit(SYSTEM) as ctx:
        assert signatures.seal_key_for(ctx, None) is not None
        signatures.sign_document(ctx, document_id=document_id, key_id=seal_id,
                                 secret=pki.seal.passphrase, level="B-B")
    version, sealed = _latest_bytes(app, document_id)
    assert version.number == 3 and version.signature_of == 2
    report = validate_pdf(sealed, extra_anchors=[pki.root_path.read_bytes()])
    assert [c.verdict for c in report.signatures] == ["valid", "valid"], report.summary_de


def test_check_keeps_a_protocol_beside_the_document(app: App, pki: SigningPki) -> None:
    document_id = _pdf_document(app)
    key_id = _add_key(app, pki)
    with as_user(app, "mueller") as ctx:
        signatures.sign_document(ctx, document_id=document_id, key_id=key_id,
                                 secret=pki.alice.passphrase, level="B-B")
    with as_user(app, "mueller") as ctx:
        result = signatures.check_document(ctx, document_id=document_id)
        assert result.report.verdict == "valid", result.report.summary_de
        assert result.protocol_document_id is not None
    with app.unit(SYSTEM) as ctx:
        document = ctx.db.get(Document, document_id)
        assert document is not None
        assert document.attributes["signature_check"]["verdict"] == "valid"
        protocol, _versions = documents.get_document(ctx, result.protocol_document_id)
        assert protocol.case_id == document.case_id and "Prüfprotokoll" in protocol.title
    # an unsigned PDF is not "valid"
    plain = _pdf_document(app, text="Ohne Signatur")
    with as_user(app, "mueller") as ctx:
        assert signatures.check_document(ctx, document_id=plain).report.verdict == "invalid"


def test_the_office_policy_sets_the_level(app: App, pki: SigningPki, tmp_path: Path) -> None:
    app.settings.config_dir = _config(tmp_path, pki, level="B-B", office_levels={"63": "B-T"})
    document_id = _pdf_document(app)  # a document of office 63
    key_id = _add_key(app, pki)
    with as_user(app, "mueller") as ctx:
        assert signatures.sign_document(ctx, document_id=document_id, key_id=key_id,
                                        secret=pki.alice.passphrase).level == "B-T"
        # asked for explicitly, the signer's choice stands
        assert signatures.sign_document(ctx, document_id=document_id, key_id=key_id,
                                        secret=pki.alice.passphrase,
                                        level="B-B").level == "B-B"
