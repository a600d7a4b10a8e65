"""PAdES signing with PKCS#12 keys, checked by pyHanko's validator against the test root."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import pikepdf
import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from dms.errors import (
    ConfigError,
    InvalidInput,
    KeyAccessDenied,
    ServiceUnavailable,
    UnsupportedContent,
)
from dms.signatures import SignatureSettings, StampSpec, open_key, sign_pdf
from dms.signatures.config import load_signature_settings
from dms.signatures.stamp import stamp_lines
from tests.signatures.pki import (
    Identity,
    SigningPki,
    build_pki,
    document_timestamp_count,
    free_port,
    has_dss,
    sample_pdf,
    sign_with_pyhanko,
    signature_statuses,
)


def _sign(pdf: bytes, who: Identity, settings: SignatureSettings, level: str = "B-B",
          stamp: StampSpec | None = None) -> bytes:
    with open_key(str(who.p12_path), who.passphrase) as key:
        return sign_pdf(pdf, key, level=level, stamp=stamp,  # type: ignore[arg-type]
                        settings=settings)


def _open(spec: str, secret: str | None) -> None:
    with open_key(spec, secret):
        pass


def _drawn(form: pikepdf.Object) -> bytes:
    """Content of a form XObject and of all forms it draws (the stamp's text is nested)."""
    data = form.read_bytes()
    for child in form.get("/Resources", {}).get("/XObject", {}).values():
        data += _drawn(child)
    return data


def _widgets(pdf: bytes) -> list[tuple[str, list[float], int]]:
    """(field name, rect, page index) of every signature widget."""
    with pikepdf.open(BytesIO(pdf)) as doc:
        found = []
        for index, page in enumerate(doc.pages):
            for annot in page.obj.get("/Annots", []):
                if annot.get("/FT") == "/Sig":
                    found.append((str(annot.T), [float(v) for v in annot.Rect], index))
        return found


@pytest.mark.parametrize("level", ["B-B", "B-T", "B-LT", "B-LTA"])
def test_each_level_validates_and_reaches_its_level(
    pki: SigningPki, signature_settings: SignatureSettings, one_page_pdf: bytes, level: str
) -> None:
    signed = _sign(one_page_pdf, pki.alice, signature_settings, level)

    [status] = signature_statuses(signed, pki)
    assert status.intact and status.valid and status.trusted, status.pretty_print_details()
    assert status.signing_cert.subject.native["common_name"] == "Alice Anders"
    assert (status.timestamp_validity is not None) == (level != "B-B")
    if status.timestamp_validity is not None:
        assert status.timestamp_validity.trusted
    assert has_dss(signed) == (level in ("B-LT", "B-LTA"))
    assert document_timestamp_count(signed) == (1 if level == "B-LTA" else 0)
    assert signed.startswith(one_page_pdf)  # an incremental update of the original


@pytest.mark.slow
def test_three_signatures_stay_valid(
    pki: SigningPki, signature_settings: SignatureSettings
) -> None:
    """Co-signer, final signature, seal: every earlier signature survives the later ones."""
    original = sample_pdf(3)
    first = _sign(original, pki.alice, signature_settings, "B-T")
    second = _sign(first, pki.bob, signature_settings, "B-T")
    third = _sign(second, pki.seal, signature_settings, "B-LTA")

    assert third.startswith(second) and second.startswith(first)
    statuses = signature_statuses(third, pki)
    assert [s.signing_cert.subject.native["common_name"] for s in statuses] == [
        "Alice Anders", "Bob Berger", "Landratsamt Musterkreis (Siegel)"]
    assert all(s.bottom_line for s in statuses), [s.summary() for s in statuses]
    assert document_timestamp_count(third) == 1


def test_countersigns_a_pdf_signed_elsewhere(
    pki: SigningPki, signature_settings: SignatureSettings, one_page_pdf: bytes
) -> None:
    by_pyhanko = sign_with_pyhanko(one_page_pdf, pki.bob, "B-T")
    ours = _sign(by_pyhanko, pki.alice, signature_settings, "B-B")
    statuses = signature_statuses(ours, pki)
    assert len(statuses) == 2 and all(s.bottom_line for s in statuses)
    assert [name for name, _, _ in _widgets(ours)][-1] == "Signatur2"


def test_visible_stamps_on_the_last_page_stack_upwards(
    pki: SigningPki, signature_settings: SignatureSettings
) -> None:
    pdf = sample_pdf(2)
    first = _sign(pdf, pki.alice, signature_settings,
                  stamp=StampSpec("Alice Anders", "Sachbearbeiterin", "Bauordnungsamt"))
    both = _sign(first, pki.bob, signature_settings,
                 stamp=StampSpec("Bob Berger", "Amtsleitung", "Sozialamt"))

    widgets = _widgets(both)
    assert [(name, page) for name, _, page in widgets] == [("Signatur1", 1), ("Signatur2", 1)]
    (_, low, _), (_, high, _) = widgets
    assert low == pytest.approx(list(signature_settings.stamp_box))
    assert high[1] >= low[3]  # the second stamp sits above the first, not on top of it
    with pikepdf.open(BytesIO(both)) as doc:
        annot = [a for a in doc.pages[1].obj.Annots if a.get("/T") == "Signatur1"][0]
        drawn = _drawn(annot.AP.N)
    assert b"Elektronisch signiert" in drawn and b"Bauordnungsamt" in drawn
    assert all(s.bottom_line for s in signature_statuses(both, pki))


def test_invisible_signature_has_no_area(
    pki: SigningPki, signature_settings: SignatureSettings, one_page_pdf: bytes
) -> None:
    signed = _sign(one_page_pdf, pki.alice, signature_settings)
    [(_, rect, _)] = _widgets(signed)
    assert rect[2] - rect[0] == 0 and rect[3] - rect[1] == 0


def test_stamp_on_a_page_that_does_not_exist(
    pki: SigningPki, signature_settings: SignatureSettings, one_page_pdf: bytes
) -> None:
    with pytest.raises(InvalidInput, match="Seite 3"):
        _sign(one_page_pdf, pki.alice, signature_settings, stamp=StampSpec("A", page=3))


def test_stamp_text_is_german_in_german_time() -> None:
    winter = datetime(2026, 11, 25, 14, 5, tzinfo=UTC)
    assert stamp_lines(StampSpec("Dr. Müller", "Amtsleitung", "Straßenverkehrsamt"), winter) == [
        "Elektronisch signiert", "Dr. Müller", "Amtsleitung, Straßenverkehrsamt",
        "am 25.11.2026, 15:05 Uhr"]
    summer = datetime(2026, 7, 1, 22, 30, tzinfo=UTC)
    assert stamp_lines(StampSpec("Siegel – Amt"), summer, seal=True) == [
        "Elektronisch gesiegelt", "Siegel - Amt", "am 02.07.2026, 00:30 Uhr"]


def test_pdf_with_form_fields_is_signed_and_keeps_them(
    pki: SigningPki, signature_settings: SignatureSettings
) -> None:
    doc = pikepdf.open(BytesIO(sample_pdf(1)))
    page = doc.pages[0]
    field = doc.make_indirect(pikepdf.Dictionary(
        FT=pikepdf.Name.Tx, T=pikepdf.String("Aktenzeichen"), V=pikepdf.String("63-0001/2026"),
        Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Widget, Rect=[72, 600, 300, 620],
        P=page.obj))
    page.obj.Annots = pikepdf.Array([field])
    doc.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array([field]))
    with_form = BytesIO()
    doc.save(with_form)

    signed = _sign(with_form.getvalue(), pki.alice, signature_settings, "B-T")
    [status] = signature_statuses(signed, pki)
    assert status.bottom_line
    with pikepdf.open(BytesIO(signed)) as result:
        names = [str(f.T) for f in result.Root.AcroForm.Fields]
    assert names == ["Aktenzeichen", "Signatur1"]


def test_encrypted_pdf_is_refused(
    pki: SigningPki, signature_settings: SignatureSettings, one_page_pdf: bytes
) -> None:
    encrypted = BytesIO()
    with pikepdf.open(BytesIO(one_page_pdf)) as doc:
        doc.save(encrypted, encryption=pikepdf.Encryption(owner="o", user="u"))
    with pytest.raises(UnsupportedContent, match="verschlüsselt"):
        _sign(encrypted.getvalue(), pki.alice, signature_settings)


def test_not_a_pdf_is_refused(pki: SigningPki, signature_settings: SignatureSettings) -> None:
    with pytest.raises(UnsupportedContent, match="Keine PDF"):
        _sign(b"Sehr geehrte Damen und Herren", pki.alice, signature_settings)


def test_broken_xref_is_repaired_before_signing(
    pki: SigningPki, signature_settings: SignatureSettings, one_page_pdf: bytes
) -> None:
    head, _, _ = one_page_pdf.rpartition(b"startxref")
    broken = head + b"startxref\n999999\n%%EOF\n"  # the cross-reference offset points nowhere
    signed = _sign(broken, pki.alice, signature_settings)
    [status] = signature_statuses(signed, pki)
    assert status.bottom_line


def test_broken_pdf_with_signatures_is_not_rewritten(
    pki: SigningPki, signature_settings: SignatureSettings, one_page_pdf: bytes
) -> None:
    signed = sign_with_pyhanko(one_page_pdf, pki.bob, "B-B")
    head, _, _ = signed.rpartition(b"startxref")
    with pytest.raises(UnsupportedContent, match="beschädigt"):
        _sign(head + b"startxref\n999999\n%%EOF\n", pki.alice, signature_settings)


def test_wrong_or_missing_passphrase(pki: SigningPki) -> None:
    with pytest.raises(KeyAccessDenied, match="Falsche Passphrase") as wrong:
        _open(str(pki.alice.p12_path), "falsch")
    assert "falsch" not in wrong.value.message
    with pytest.raises(KeyAccessDenied, match="Passphrase für alice.p12 erforderlich"):
        _open(str(pki.alice.p12_path), None)


def test_key_file_missing_or_not_pkcs12(pki: SigningPki, tmp_path: Path) -> None:
    from dms.errors import NotFound

    with pytest.raises(NotFound, match="nicht gefunden"):
        _open(str(tmp_path / "fehlt.p12"), "x")
    junk = tmp_path / "kaputt.p12"
    junk.write_bytes(b"not a key")
    with pytest.raises(InvalidInput, match="Keine PKCS#12-Datei"), open_key(str(junk), "x"):
        pass


def test_key_repr_never_shows_the_passphrase(pki: SigningPki) -> None:
    with open_key(str(pki.alice.p12_path), pki.alice.passphrase) as key:
        assert pki.alice.passphrase not in repr(key) + key.description
        assert "Alice Anders" in repr(key)


def test_expired_certificate_is_refused(
    pki: SigningPki, signature_settings: SignatureSettings, one_page_pdf: bytes
) -> None:
    with pytest.raises(InvalidInput, match="abgelaufen"):
        _sign(one_page_pdf, pki.expired, signature_settings)


def test_revoked_certificate_is_refused_when_collecting_validation_data(
    pki: SigningPki, signature_settings: SignatureSettings, one_page_pdf: bytes
) -> None:
    with pytest.raises(InvalidInput, match="gesperrt"):
        _sign(one_page_pdf, pki.revoked, signature_settings, "B-LT")


def test_unreachable_timestamp_authority(
    pki: SigningPki, signature_settings: SignatureSettings, one_page_pdf: bytes
) -> None:
    url = f"http://127.0.0.1:{free_port()}/tsa"
    settings = SignatureSettings(tsa_url=url, tsa_timeout=2)
    with pytest.raises(ServiceUnavailable, match="Zeitstempeldienst nicht erreichbar") as info:
        _sign(one_page_pdf, pki.alice, settings, "B-T")
    assert url in info.value.message


def test_levels_that_need_configuration(pki: SigningPki, one_page_pdf: bytes) -> None:
    with pytest.raises(ConfigError, match="Zeitstempeldienst"):
        _sign(one_page_pdf, pki.alice, SignatureSettings(), "B-T")
    with pytest.raises(ConfigError, match="Vertrauensanker"):
        _sign(one_page_pdf, pki.alice, SignatureSettings(tsa_url=pki.tsa_url), "B-LT")


def test_shipped_configuration_loads() -> None:
    settings = load_signature_settings()
    assert settings.default_level in ("B-B", "B-T", "B-LT", "B-LTA")
    assert settings.stamp_page == -1 and len(settings.stamp_box) == 4


def test_configuration_errors_name_the_key(tmp_path: Path, pki: SigningPki) -> None:
    path = tmp_path / "signatures.toml"
    path.write_text('level = "B-X"\n')
    with pytest.raises(ConfigError, match="level"):
        load_signature_settings(path)
    path.write_text('[stamp]\nbox = [10, 10, 5, 50]\n')
    with pytest.raises(ConfigError, match="box"):
        load_signature_settings(path)
    (tmp_path / "anker").mkdir()
    (tmp_path / "anker" / "root.pem").write_bytes(pki.root_path.read_bytes())
    path.write_text('level = "B-LT"\n[tsa]\nurl = "http://tsa.example"\n[trust]\n'
                    'anchors = "anker"\n')
    (tmp_path / "anker" / "README").write_text("Hier liegen die Wurzelzertifikate.")
    settings = load_signature_settings(path)
    assert settings.tsa_url == "http://tsa.example"
    assert [c.sha256 for c in settings.trust_roots()] == [pki.root.sha256]
    path.write_text("[trust]\nanchors = \"\"\n")  # empty: trust/ beside the file
    assert load_signature_settings(path).trust_anchors_dir is None
    (tmp_path / "trust").mkdir()
    (tmp_path / "trust" / "wurzel.pem").write_bytes(pki.root_path.read_bytes())
    assert [c.sha256 for c in load_signature_settings(path).trust_roots()] == [pki.root.sha256]
    # the installation's own anchors ($DMS_HOME/trust) count too, once each; a missing
    # extra directory is simply empty
    home_trust = tmp_path / "home-trust"
    home_trust.mkdir()
    (home_trust / "demo-ca.pem").write_bytes(pki.root_path.read_bytes())
    (home_trust / "other.pem").write_bytes(pki.intermediate_path.read_bytes())
    extra = replace(load_signature_settings(path),
                    extra_trust_dirs=(home_trust, tmp_path / "missing"))
    assert [c.sha256 for c in extra.trust_roots()] == [pki.root.sha256,
                                                         pki.intermediate.sha256]


def test_signed_pdf_reads_back_with_the_reason(
    pki: SigningPki, signature_settings: SignatureSettings, one_page_pdf: bytes
) -> None:
    with open_key(str(pki.alice.p12_path), pki.alice.passphrase) as key:
        signed = sign_pdf(one_page_pdf, key, reason="Schlusszeichnung",
                          settings=signature_settings)
    [sig] = PdfFileReader(BytesIO(signed)).embedded_regular_signatures
    assert sig.sig_object["/Reason"] == "Schlusszeichnung"


def test_certified_pdf_that_forbids_changes_is_refused(
    pki: SigningPki, signature_settings: SignatureSettings, one_page_pdf: bytes
) -> None:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    bob = signers.SimpleSigner.load_pkcs12_data(pki.bob.p12_path.read_bytes(), [],
                                                pki.bob.passphrase.encode())
    meta = signers.PdfSignatureMetadata(field_name="Zertifizierung", certify=True,
                                        docmdp_permissions=fields.MDPPerm.NO_CHANGES)
    certified = BytesIO()
    signers.PdfSigner(meta, bob).sign_pdf(IncrementalPdfFileWriter(BytesIO(one_page_pdf)),
                                          output=certified)
    with pytest.raises(InvalidInput, match="zertifiziert"):
        _sign(certified.getvalue(), pki.alice, signature_settings)


def test_seal_certificates_are_told_from_personal_ones(pki: SigningPki) -> None:
    from dms.signatures.pades import is_seal

    assert is_seal(pki.seal.cert)
    assert not is_seal(pki.alice.cert) and not is_seal(pki.bob.cert)


@pytest.mark.slow
def test_revocation_services_down_or_untrusted_root_at_b_lt(
    pki: SigningPki, tmp_path: Path, one_page_pdf: bytes
) -> None:
    """A second PKI whose OCSP responder and CRLs are gone; the TSA still answers."""
    with build_pki(tmp_path / "weg") as gone:
        pass  # leaving the context stops its services
    trust = tmp_path / "trust"
    trust.mkdir()
    for index, root in enumerate((gone.root_path, pki.root_path)):
        (trust / f"{index}.pem").write_bytes(root.read_bytes())
    settings = SignatureSettings(tsa_url=pki.tsa_url, tsa_timeout=5, trust_anchors_dir=trust)
    with pytest.raises(ServiceUnavailable, match="Sperrinformationen"):
        _sign(one_page_pdf, gone.alice, settings, "B-LT")
    # and a signer whose root is not among the anchors: refused, not embedded half-checked
    (trust / "1.pem").unlink()
    with pytest.raises(InvalidInput, match="nicht vertrauenswürdig"):
        _sign(one_page_pdf, pki.alice, settings, "B-LT")


def test_revocation_checked_before_b_b_when_configured(
    pki: SigningPki, one_page_pdf: bytes
) -> None:
    checking = SignatureSettings(trust_anchors_dir=pki.trust_dir, check_revocation=True)
    with pytest.raises(InvalidInput, match="gesperrt"):
        _sign(one_page_pdf, pki.revoked, checking, "B-B")
    [status] = signature_statuses(_sign(one_page_pdf, pki.alice, checking, "B-B"), pki)
    assert status.bottom_line
    unchecked = _sign(one_page_pdf, pki.revoked, SignatureSettings(), "B-B")
    [status] = signature_statuses(unchecked, pki)
    assert status.intact and not status.bottom_line  # signed, but any validator rejects it
