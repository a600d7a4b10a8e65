"""Signature validation (Signaturprüfung) against the test PKI: real certificates, a real TSA,
real OCSP and CRLs on loopback (tests/signatures/pki.py), signatures made by plain pyHanko."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pikepdf
import pytest
from asn1crypto import pem
from cryptography import x509 as cx509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers

from dms.errors import UnsupportedContent
from dms.signatures.demo_pki import make_demo_pki
from dms.signatures.report import protocol_filename, report_html
from dms.signatures.trust import TrustStore, load_certificates, load_trust_dir
from dms.signatures.validation import (
    COVERAGE_ALL,
    COVERAGE_LATER,
    MOD_ALLOWED,
    MOD_DISALLOWED,
    MOD_NONE,
    validate_pdf,
)
from tests.signatures.pki import SigningPki, sample_pdf, sign_with_pyhanko

# --- building the cases ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def store(pki: SigningPki) -> TrustStore:
    return load_trust_dir(pki.trust_dir)


@pytest.fixture(scope="module")
def alice_signed(pki: SigningPki) -> bytes:
    return sign_with_pyhanko(sample_pdf(), pki.alice, "B-B", field_name="Schlusszeichnung")


def form_pdf() -> bytes:
    """The sample letter with one empty text field (Aktenzeichen) to fill in after signing."""
    pdf = pikepdf.open(io.BytesIO(sample_pdf()))
    page = pdf.pages[0]
    field = pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Widget, FT=pikepdf.Name.Tx,
        T=pikepdf.String("Aktenzeichen"), Rect=[72, 700, 300, 720], F=4, P=page.obj))
    page.obj.Annots = pdf.make_indirect(pikepdf.Array([field]))
    pdf.Root.AcroForm = pdf.make_indirect(pikepdf.Dictionary(Fields=pikepdf.Array([field])))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def fill_form(signed: bytes) -> bytes:
    """Incremental update that only sets the text field's value (allowed after signing)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    fields = writer.root["/AcroForm"]["/Fields"]
    for i in range(len(fields)):
        ref = fields.raw_get(i)
        if ref.get_object().get("/FT") == "/Tx":
            ref.get_object()["/V"] = generic.TextStringObject("022.31-0004/2026")
            writer.mark_update(ref)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def replace_page_content(signed: bytes) -> bytes:
    """Incremental update that swaps the page's text: a content change after signing."""
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    page_ref = writer.root["/Pages"]["/Kids"].raw_get(0)
    stream = generic.StreamObject(
        stream_data=b"BT /F1 14 Tf 72 760 Td (Bescheid: Antrag abgelehnt) Tj ET")
    page_ref.get_object()["/Contents"] = writer.add_object(stream)
    writer.mark_update(page_ref)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def tamper(pdf: bytes) -> bytes:
    """Change one byte inside the signed range (the page width), keeping every offset."""
    pos = pdf.index(b"595")
    return pdf[:pos] + b"594" + pdf[pos + 3:]


def foreign_root_pem() -> bytes:
    """A self-signed CA that issued nothing in the test PKI."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = cx509.Name([cx509.NameAttribute(NameOID.COMMON_NAME, "Fremde Wurzel-CA")])
    now = datetime.now(UTC)
    cert = (cx509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(cx509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
            .add_extension(cx509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM)


# --- the cases from the issue ------------------------------------------------------------------


def test_valid_signature(pki: SigningPki, store: TrustStore, alice_signed: bytes) -> None:
    report = validate_pdf(alice_signed, trust=store)
    assert report.verdict == "valid", report.summary_de
    (check,) = report.signatures
    assert check.field_name == "Schlusszeichnung"
    assert check.signer == "Alice Anders"
    assert (check.intact, check.valid, check.trusted, check.expired) == (True, True, True, False)
    assert check.revocation == "good"  # asked the loopback OCSP responder / CRL
    assert (check.coverage, check.modification) == (COVERAGE_ALL, MOD_NONE)
    assert check.level == "B-B" and check.timestamp is None
    assert check.signed_at is not None
    assert abs(check.signed_at - datetime.now(UTC)) < timedelta(minutes=10)
    assert check.reasons_de == [] and report.summary_de.startswith("Gültig")
    assert any("Test-Wurzel-CA" in a for a in report.trust_anchors)


def test_timestamped_signature_reports_tsa_time(pki: SigningPki, store: TrustStore) -> None:
    report = validate_pdf(sign_with_pyhanko(sample_pdf(), pki.seal, "B-T"), trust=store)
    (check,) = report.signatures
    assert report.verdict == "valid", check.reasons_de
    assert check.level == "B-T"
    assert check.timestamp is not None
    assert abs(check.timestamp - datetime.now(UTC)) < timedelta(minutes=10)


def test_offline_uses_embedded_revocation_data(pki: SigningPki, store: TrustStore) -> None:
    """B-LT carries OCSP/CRL in the file: without network the status is still known."""
    signed = sign_with_pyhanko(sample_pdf(), pki.alice, "B-LT")
    report = validate_pdf(signed, trust=store, allow_fetching=False)
    (check,) = report.signatures
    assert check.level == "B-LT"
    assert check.revocation == "good" and report.verdict == "valid", check.reasons_de
    assert report.revocation_fetching is False


def test_offline_without_embedded_data_warns(store: TrustStore, alice_signed: bytes) -> None:
    report = validate_pdf(alice_signed, trust=store, allow_fetching=False)
    (check,) = report.signatures
    assert check.revocation == "not_checked"
    assert report.verdict == "warning"
    assert "Sperrstatus nicht geprüft" in check.reasons_de[0]


def test_lta_level_is_recognised(pki: SigningPki, store: TrustStore) -> None:
    report = validate_pdf(sign_with_pyhanko(sample_pdf(), pki.alice, "B-LTA"), trust=store,
                          allow_fetching=False)
    (check,) = report.signatures
    assert check.level == "B-LTA"
    # the document timestamp and DSS came later, but are upkeep, not a change
    assert check.modification == MOD_NONE and report.verdict == "valid", check.reasons_de


def test_certificate_without_revocation_service_is_unknown(store: TrustStore) -> None:
    """The demo PKI (dms init --demo) issues certificates naming no OCSP/CRL service."""
    demo = make_demo_pki({"mueller": ("Max Müller", "Bauordnungsamt")}, {}, "demo-passwort")
    signer = signers.SimpleSigner.load_pkcs12_data(
        demo.credentials["mueller"].pkcs12, other_certs=[], passphrase=b"demo-passwort")
    out = io.BytesIO()
    signers.PdfSigner(
        signers.PdfSignatureMetadata(field_name="Demo", subfilter=fields.SigSeedSubFilter.PADES),
        signer,
    ).sign_pdf(IncrementalPdfFileWriter(io.BytesIO(sample_pdf())), output=out)
    demo_store = TrustStore(tuple(load_certificates(demo.root_pem, origin="demo")))
    report = validate_pdf(out.getvalue(), trust=demo_store)
    (check,) = report.signatures
    assert check.trusted and check.revocation == "unknown"
    assert report.verdict == "warning"
    assert "nennt keinen OCSP- oder CRL-Dienst" in check.reasons_de[0]
    # the test PKI's store does not know the demo root
    assert validate_pdf(out.getvalue(), trust=store).verdict == "invalid"


def test_tampered_bytes_are_invalid(store: TrustStore, alice_signed: bytes) -> None:
    report = validate_pdf(tamper(alice_signed), trust=store)
    (check,) = report.signatures
    assert report.verdict == "invalid"
    assert check.intact is False
    assert "Integrität verletzt" in check.reasons_de[0]
    assert "Integrity broken" in check.reasons_en[0]
    assert report.summary_de.startswith("Ungültig")


def test_form_filling_after_signing_is_allowed(pki: SigningPki, store: TrustStore) -> None:
    signed = sign_with_pyhanko(form_pdf(), pki.alice, "B-B")
    report = validate_pdf(fill_form(signed), trust=store)
    (check,) = report.signatures
    assert (check.coverage, check.modification) == (COVERAGE_LATER, MOD_ALLOWED)
    assert check.intact and report.verdict == "valid", check.reasons_de
    assert "Formularfelder" in check.reasons_de[0]


def test_second_signature_is_an_allowed_change(
    pki: SigningPki, store: TrustStore, alice_signed: bytes
) -> None:
    both = sign_with_pyhanko(alice_signed, pki.bob, "B-B", field_name="Mitzeichnung")
    report = validate_pdf(both, trust=store)
    first, second = report.signatures
    assert [first.signer, second.signer] == ["Alice Anders", "Bob Berger"]
    assert (first.coverage, first.modification) == (COVERAGE_LATER, MOD_ALLOWED)
    assert (second.coverage, second.modification) == (COVERAGE_ALL, MOD_NONE)
    assert report.verdict == "valid", (first.reasons_de, second.reasons_de)
    assert "2 Signaturen" in report.summary_de


def test_content_change_after_signing_is_invalid(store: TrustStore, alice_signed: bytes) -> None:
    report = validate_pdf(replace_page_content(alice_signed), trust=store)
    (check,) = report.signatures
    assert check.intact is True  # the signed revision itself is untouched ...
    assert check.modification == MOD_DISALLOWED  # ... but what came after is not allowed
    assert report.verdict == "invalid"
    assert "unzulässig" in " ".join(check.reasons_de)


def test_expired_certificate_is_invalid(pki: SigningPki, store: TrustStore) -> None:
    report = validate_pdf(sign_with_pyhanko(sample_pdf(), pki.expired, "B-T"), trust=store)
    (check,) = report.signatures
    assert check.expired is True and check.trusted is False
    assert report.verdict == "invalid"
    assert "abgelaufen" in check.reasons_de[0]
    assert "Zeitstempel" in check.reasons_de[0]  # the time stamp came after the expiry


def test_revoked_certificate_is_invalid(pki: SigningPki, store: TrustStore) -> None:
    report = validate_pdf(sign_with_pyhanko(sample_pdf(), pki.revoked, "B-B"), trust=store)
    (check,) = report.signatures
    assert check.revocation == "revoked"
    assert report.verdict == "invalid"
    assert check.reasons_de[0].startswith("Gesperrt")
    assert "widerrufen" in report.summary_de


def test_untrusted_root_is_invalid_until_anchored(pki: SigningPki, alice_signed: bytes) -> None:
    foreign = TrustStore(tuple(load_certificates(foreign_root_pem(), origin="fremd")), "test")
    report = validate_pdf(alice_signed, trust=foreign)
    (check,) = report.signatures
    assert check.intact and not check.trusted
    assert check.revocation == "not_checked"
    assert report.verdict == "invalid"
    assert "Nicht vertrauenswürdig" in check.reasons_de[0]
    assert "Test-Zwischen-CA" in check.reasons_de[0]  # names the issuer to look for

    # the same file with the test root added for this call only
    anchored = validate_pdf(alice_signed, trust=foreign,
                            extra_anchors=[pki.root_path.read_bytes()])
    assert anchored.verdict == "valid"
    assert len(anchored.trust_anchors) == 2 and len(foreign.anchors) == 1


def test_empty_trust_store_says_so(alice_signed: bytes) -> None:
    report = validate_pdf(alice_signed, trust=TrustStore())
    assert report.verdict == "invalid"
    assert "kein Vertrauensanker" in report.signatures[0].reasons_de[0]


def test_two_signatures_first_broken(pki: SigningPki, store: TrustStore,
                                     alice_signed: bytes) -> None:
    """Someone altered alice's revision, then bob signed over it: bob's holds, alice's not."""
    both = sign_with_pyhanko(tamper(alice_signed), pki.bob, "B-B", field_name="Zweite")
    report = validate_pdf(both, trust=store)
    first, second = report.signatures
    assert first.intact is False and first.verdict == "invalid"
    assert second.intact is True and second.verdict == "valid", second.reasons_de
    assert report.verdict == "invalid"
    assert "1 von 2" in report.summary_de and "Schlusszeichnung" in report.summary_de


def test_pdf_without_signature(store: TrustStore) -> None:
    report = validate_pdf(sample_pdf(), trust=store)
    assert report.signatures == [] and report.verdict == "invalid"
    assert report.summary_de == "Das Dokument enthält keine Signatur."


def test_check_as_of_an_earlier_time(store: TrustStore, alice_signed: bytes) -> None:
    """`at` validates as of that moment; fetching is then off (only embedded data counts)."""
    report = validate_pdf(alice_signed, trust=store, at=datetime.now(UTC) - timedelta(days=40))
    (check,) = report.signatures
    assert report.revocation_fetching is False
    # alice's certificate starts 30 days ago: 40 days ago it was not yet valid
    assert report.verdict == "invalid" and not check.trusted


def test_expired_since_but_time_stamped_before(pki: SigningPki, store: TrustStore) -> None:
    """Checked after alice's certificate ran out (730 days): the B-LT file's time stamp and
    embedded revocation data prove it was valid and unrevoked when signed."""
    signed = sign_with_pyhanko(sample_pdf(), pki.alice, "B-LT")
    later = datetime.now(UTC) + timedelta(days=800)
    report = validate_pdf(signed, trust=store, at=later)
    (check,) = report.signatures
    assert check.expired is True and check.trusted is True
    assert check.revocation == "good"
    assert report.verdict == "warning"
    assert "zum Zeitpunkt des Zeitstempels" in check.reasons_de[0]

    # without a time stamp nothing proves when it was signed
    plain = validate_pdf(sign_with_pyhanko(sample_pdf(), pki.alice, "B-B"), trust=store,
                         at=later)
    assert plain.verdict == "invalid" and "abgelaufen" in plain.signatures[0].reasons_de[0]


def test_b_lt_checked_when_its_revocation_data_is_stale(pki: SigningPki,
                                                       store: TrustStore) -> None:
    """A week on, offline: the embedded OCSP/CRL are too old for today, but they speak for
    the time stamp's moment, which is what B-LT is for."""
    signed = sign_with_pyhanko(sample_pdf(), pki.alice, "B-LT")
    report = validate_pdf(signed, trust=store, at=datetime.now(UTC) + timedelta(days=7))
    (check,) = report.signatures
    assert report.verdict == "valid", check.reasons_de
    assert check.revocation == "good" and check.expired is False
    assert check.reasons_de[0].startswith("Hinweis: geprüft zum Zeitpunkt des Zeitstempels")


# --- bad input -------------------------------------------------------------------------------


def test_not_a_pdf_is_refused(store: TrustStore) -> None:
    with pytest.raises(UnsupportedContent, match="kein PDF"):
        validate_pdf(b"Sehr geehrte Damen und Herren,\n", trust=store)
    with pytest.raises(UnsupportedContent, match="leer"):
        validate_pdf(b"", trust=store)


def test_encrypted_pdf_is_refused(store: TrustStore) -> None:
    pdf = pikepdf.open(io.BytesIO(sample_pdf()))
    out = io.BytesIO()
    pdf.save(out, encryption=pikepdf.Encryption(user="geheim", owner="geheimer"))
    with pytest.raises(UnsupportedContent, match="verschlüsselt") as err:
        validate_pdf(out.getvalue(), trust=store)
    assert err.value.exit_code == 2


def test_broken_xref_is_refused(store: TrustStore, alice_signed: bytes) -> None:
    start = alice_signed.rindex(b"startxref")
    broken = alice_signed[:start] + b"startxref\n999999\n%%EOF\n"
    with pytest.raises(UnsupportedContent, match="beschädigt"):
        validate_pdf(broken, trust=store)


# --- the report as data and as a page ------------------------------------------------------------


def test_report_is_json_and_html(pki: SigningPki, store: TrustStore,
                                 alice_signed: bytes) -> None:
    both = sign_with_pyhanko(tamper(alice_signed), pki.bob, "B-B", field_name="<Zweite & Co>")
    report = validate_pdf(both, trust=store)
    data = json.loads(json.dumps(report.to_json()))
    assert data["verdict"] == "invalid"
    assert [s["verdict"] for s in data["signatures"]] == ["invalid", "valid"]
    assert datetime.fromisoformat(data["checked_at"]) == report.checked_at
    assert data["signatures"][0]["intact"] is False

    html = report_html(report)
    assert html.startswith("<!DOCTYPE html>") and 'lang="de"' in html
    assert "Prüfprotokoll" in html and "ungültig" in html and "Integrität verletzt" in html
    assert "&lt;Zweite &amp; Co&gt;" in html and "<Zweite" not in html
    assert "http" not in html.split("<body>")[0]  # self-contained: no external resources
    assert "Test-Wurzel-CA" in html


def test_trust_anchor_der_and_pem_bundle(pki: SigningPki) -> None:
    der = pem.unarmor(pki.root_path.read_bytes())[2]
    bundle = pki.root_path.read_bytes() + pki.intermediate_path.read_bytes()
    assert [c.sha256 for c in load_certificates(der, origin="x")] == [pki.root.sha256]
    assert len(load_certificates(bundle, origin="x")) == 2


def test_protocol_filename() -> None:
    assert protocol_filename("Bescheid 2026.PDF") == "Bescheid 2026-pruefprotokoll.html"
    assert protocol_filename("akte/brief.pdf") == "brief-pruefprotokoll.html"
    assert protocol_filename(".pdf") == "dokument-pruefprotokoll.html"


def test_usable_from_inside_an_event_loop(store: TrustStore, alice_signed: bytes) -> None:
    """Async web handlers call the synchronous entry point too: it must not clash with their
    running loop (it moves to a thread of its own)."""
    import asyncio

    from dms.signatures.validation import async_validate_pdf

    async def handler() -> tuple[str, str]:
        inner = validate_pdf(alice_signed, trust=store, allow_fetching=False)
        awaited = await async_validate_pdf(alice_signed, trust=store, allow_fetching=False)
        return inner.verdict, awaited.verdict

    assert asyncio.run(handler()) == ("warning", "warning")
