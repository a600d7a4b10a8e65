"""Signature validation (Signaturprüfung) of signed PDFs, on pyHanko.

For every signature in a PDF we answer the questions a clerk or a court asks: is it intact
(Integrität), was the document changed after signing and how (Änderungen nach der Signatur:
none, the kind PAdES allows — form filling, annotations, a further signature — or anything
else), does the certificate chain end in one of our trust anchors (Vertrauensanker), was the
certificate revoked (Sperrstatus: OCSP/CRL when reachable, the data embedded in the PDF
otherwise), and when was it signed (claimed time vs. a time-stamp authority's time).

The result is plain data (`ValidationReport`), JSON-serialisable, with a verdict per signature
and for the document: "valid", "warning" (valid, but a person should read why) or "invalid".
pyHanko's own status objects stay inside this module; the shell renders our report.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import hashlib
import io
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509
from pyhanko.pdf_utils import misc as pdf_misc
from pyhanko.pdf_utils.crypt import AuthStatus, StandardSecurityHandler
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESIndeterminate
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import (
    DocumentSecurityStore,
    EmbeddedPdfSignature,
    PdfSignatureStatus,
    SignatureCoverageLevel,
    async_validate_pdf_signature,
)
from pyhanko.sign.validation.errors import NoDSSFoundError, SignatureValidationError
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko_certvalidator import ValidationContext

from dms.errors import UnsupportedContent
from dms.signatures import report as texts
from dms.signatures.trust import TrustStore, configured_trust_store, extra_anchors, short_dn

log = logging.getLogger(__name__)

Verdict = Literal["valid", "warning", "invalid"]
Revocation = Literal["good", "revoked", "unknown", "not_checked"]

COVERAGE_ALL = "ganzes Dokument"
COVERAGE_LATER = "spätere Änderungen"
MOD_NONE = "keine"
MOD_ALLOWED = "erlaubte Änderungen (Formular/Anmerkungen/weitere Signatur)"
MOD_DISALLOWED = "unzulässige Änderungen"

_VERDICT_RANK: dict[str, int] = {"valid": 0, "warning": 1, "invalid": 2}
# PAdES signers use nonRepudiation (contentCommitment) or digitalSignature; seals often only
# the latter. Either one is enough; the path to a trust anchor is what carries the weight.
_KEY_USAGE = KeyUsageConstraints(
    key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False
)
_ALLOWED_LEVELS = (
    ModificationLevel.LTA_UPDATES,
    ModificationLevel.FORM_FILLING,
    ModificationLevel.ANNOTATIONS,
)
_RECHECK_AT_TIMESTAMP = (
    AdESIndeterminate.OUT_OF_BOUNDS_NO_POE,  # certificate expired since
    AdESIndeterminate.TRY_LATER,  # revocation data too old for today's check
)
_UNTRUSTED_INDICS = (
    AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND,
    AdESIndeterminate.CHAIN_CONSTRAINTS_FAILURE,
    AdESIndeterminate.CERTIFICATE_CHAIN_GENERAL_FAILURE,
    AdESIndeterminate.NO_SIGNING_CERTIFICATE_FOUND,
)


@dataclass(frozen=True)
class SignatureCheck:
    """The result for one signature field (Signaturfeld)."""

    field_name: str
    signer: str  # subject CN of the signing certificate
    signed_at: datetime | None  # the signer's claimed time (not proof)
    timestamp: datetime | None  # a time-stamp authority's time, when present and intact
    level: str  # PAdES baseline level, best guess: B-B, B-T, B-LT, B-LTA
    intact: bool  # the signed bytes hash to the signed digest
    valid: bool  # the cryptographic signature over that digest verifies
    trusted: bool  # a certificate path to a trust anchor was built and validated
    revocation: Revocation
    expired: bool  # the signer's certificate has expired at the time of the check
    coverage: str  # COVERAGE_ALL or COVERAGE_LATER
    modification: str  # MOD_NONE, MOD_ALLOWED or MOD_DISALLOWED
    verdict: Verdict
    reasons_de: list[str] = field(default_factory=list)
    reasons_en: list[str] = field(default_factory=list)
    issuer: str = ""
    certificate_valid_until: datetime | None = None


@dataclass(frozen=True)
class ValidationReport:
    """The Prüfprotokoll of one PDF: every signature, the worst verdict, and a summary."""

    verdict: Verdict
    signatures: list[SignatureCheck]
    summary_de: str
    summary_en: str
    checked_at: datetime
    trust_anchors: list[str]
    revocation_fetching: bool = True

    @property
    def ok(self) -> bool:
        return self.verdict == "valid"

    def to_json(self) -> dict[str, Any]:
        def conv(value: Any) -> Any:
            if isinstance(value, datetime):
                return value.isoformat()
            if isinstance(value, dict):
                return {k: conv(v) for k, v in value.items()}
            if isinstance(value, list):
                return [conv(v) for v in value]
            return value

        return conv(asdict(self))  # type: ignore[no-any-return]


class _Reasons:
    """Collects findings (German and English side by side) and the worst verdict so far."""

    def __init__(self) -> None:
        self.de: list[str] = []
        self.en: list[str] = []
        self.verdict: Verdict = "valid"

    def add(self, verdict: Verdict, de: str, en: str) -> None:
        self.de.append(de)
        self.en.append(en)
        if _VERDICT_RANK[verdict] > _VERDICT_RANK[self.verdict]:
            self.verdict = verdict


# --- opening the file ---------------------------------------------------------------------


def open_pdf(pdf: bytes) -> PdfFileReader:
    """A reader for `pdf`, or UnsupportedContent with a reason a person can act on."""
    if not pdf:
        raise UnsupportedContent("Die Datei ist leer. / The file is empty.")
    if b"%PDF-" not in pdf[:1024]:
        raise UnsupportedContent(
            "Die Datei ist kein PDF (Kopfzeile %PDF- fehlt). / The file is not a PDF."
        )
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=True)
        if reader.security_handler is not None:
            _decrypt_or_refuse(reader)
        reader.root  # noqa: B018 - resolve the catalogue now so damage surfaces here
    except UnsupportedContent:
        raise
    except (pdf_misc.PdfError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise UnsupportedContent(
            "Das PDF ist beschädigt und kann nicht gelesen werden (Querverweistabelle/xref oder "
            f"Struktur defekt: {exc}). / The PDF is damaged (broken xref or structure)."
        ) from exc
    return reader


def _decrypt_or_refuse(reader: PdfFileReader) -> None:
    """Open an encrypted PDF only when it needs no password (permissions-only encryption)."""
    handler = reader.security_handler
    if isinstance(handler, StandardSecurityHandler):
        if reader.decrypt("").status != AuthStatus.FAILED:
            return
        raise UnsupportedContent(
            "Das PDF ist mit einem Kennwort verschlüsselt; Signaturen können erst nach dem "
            "Entschlüsseln geprüft werden. / The PDF is password-encrypted; decrypt it first."
        )
    raise UnsupportedContent(
        "Das PDF ist mit Zertifikaten verschlüsselt; Signaturen können so nicht geprüft werden. "
        "/ The PDF is encrypted with certificates and cannot be checked."
    )


# --- the public entry points ----------------------------------------------------------------


def validate_pdf(
    pdf: bytes,
    *,
    trust: TrustStore | None = None,
    extra_anchors: Sequence[bytes] = (),
    allow_fetching: bool = True,
    at: datetime | None = None,
) -> ValidationReport:
    """Check every signature in `pdf` and return the Prüfprotokoll.

    `trust` defaults to the configured store (config/trust/); `extra_anchors` (PEM or DER)
    are added for this call only. `allow_fetching` lets the validator ask OCSP responders and
    CRL distribution points; revocation data embedded in the PDF is always used. `at` checks
    as of a past moment (then only embedded revocation data counts). Raises UnsupportedContent
    for input that is not a readable PDF; a PDF without signatures yields verdict "invalid".
    """
    coro = async_validate_pdf(
        pdf, trust=trust, extra_anchors=extra_anchors, allow_fetching=allow_fetching, at=at
    )
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    # called from inside an event loop (e.g. an async web handler): run on a thread of its own
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def async_validate_pdf(
    pdf: bytes,
    *,
    trust: TrustStore | None = None,
    extra_anchors: Sequence[bytes] = (),
    allow_fetching: bool = True,
    at: datetime | None = None,
) -> ValidationReport:
    """As `validate_pdf`, for callers that already run an event loop."""
    store = _store(trust, extra_anchors)
    reader = open_pdf(pdf)
    checked_at = at or datetime.now(UTC)
    fetching = allow_fetching and at is None
    try:
        signatures = list(reader.embedded_regular_signatures)
        doc_timestamps = list(reader.embedded_timestamp_signatures)
        embedded = _embedded_revinfo(reader)
    except (pdf_misc.PdfError, ValueError, KeyError, TypeError) as exc:
        raise UnsupportedContent(
            f"Die Signaturfelder des PDFs sind nicht lesbar ({exc}). / "
            "The PDF's signature fields cannot be read."
        ) from exc
    lta_revisions = [ts.signed_revision for ts in doc_timestamps]
    checks = [
        await _check_signature(
            sig, store, embedded, fetching=fetching, at=at, checked_at=checked_at,
            lta_revisions=lta_revisions,
        )
        for sig in signatures
    ]
    verdict: Verdict = "invalid"
    if checks:
        verdict = max((c.verdict for c in checks), key=lambda v: _VERDICT_RANK[v])
    summary_de, summary_en = texts.summarise(verdict, checks)
    return ValidationReport(
        verdict=verdict,
        signatures=checks,
        summary_de=summary_de,
        summary_en=summary_en,
        checked_at=checked_at,
        trust_anchors=store.describe(),
        revocation_fetching=fetching,
    )


def _store(trust: TrustStore | None, blobs: Sequence[bytes]) -> TrustStore:
    store = trust if trust is not None else configured_trust_store()
    if blobs:
        store = store.with_extra(extra_anchors(blobs), "--trust")
    return store


# --- embedded validation data -------------------------------------------------------------


@dataclass(frozen=True)
class _Embedded:
    """Certificates and revocation data the PDF carries (DSS, PAdES B-LT and later)."""

    certs: list[x509.Certificate]
    ocsps: list[asn1_ocsp.OCSPResponse]
    crls: list[asn1_crl.CertificateList]

    @property
    def has_revinfo(self) -> bool:
        return bool(self.ocsps or self.crls)


def _embedded_revinfo(reader: PdfFileReader) -> _Embedded:
    try:
        dss = DocumentSecurityStore.read_dss(reader)
    except NoDSSFoundError:
        return _Embedded([], [], [])
    ocsps = [asn1_ocsp.OCSPResponse.load(ref.get_object().data) for ref in dss.ocsps]
    crls = [asn1_crl.CertificateList.load(ref.get_object().data) for ref in dss.crls]
    return _Embedded(list(dss.load_certs()), ocsps, crls)


def _signed_attr_revinfo(sig: EmbeddedPdfSignature) -> tuple[list[Any], list[Any]]:
    """Adobe's revocation-info-archival attribute: OCSP/CRL signed into the CMS (B-LT style)."""
    attrs = sig.signer_info["signed_attrs"]
    for attr in attrs:
        if attr["type"].native == "adobe_revocation_info_archival":
            value = attr["values"][0]
            return list(value["ocsp"] or []), list(value["crl"] or [])
    return [], []


# --- one signature --------------------------------------------------------------------------


def _context(
    store: TrustStore,
    sig: EmbeddedPdfSignature,
    embedded: _Embedded,
    *,
    fetching: bool,
    moment: datetime | None,
) -> ValidationContext:
    attr_ocsps, attr_crls = _signed_attr_revinfo(sig)
    return ValidationContext(
        trust_roots=list(store.anchors),
        other_certs=embedded.certs + list(sig.other_embedded_certs),
        ocsps=embedded.ocsps + attr_ocsps,
        crls=embedded.crls + attr_crls,
        allow_fetching=fetching,
        revocation_mode="soft-fail",
        moment=moment,
    )


async def _status(
    sig: EmbeddedPdfSignature, vc: ValidationContext, *, skip_diff: bool = False
) -> PdfSignatureStatus:
    try:
        return await async_validate_pdf_signature(
            sig, signer_validation_context=vc, key_usage_settings=_KEY_USAGE, skip_diff=skip_diff
        )
    finally:
        await vc.aclose()


async def _check_signature(
    sig: EmbeddedPdfSignature,
    store: TrustStore,
    embedded: _Embedded,
    *,
    fetching: bool,
    at: datetime | None,
    checked_at: datetime,
    lta_revisions: list[int],
) -> SignatureCheck:
    name = str(sig.field_name or "?")
    try:
        vc = _context(store, sig, embedded, fetching=fetching, moment=at)
        status = await _status(sig, vc)
    except (SignatureValidationError, pdf_misc.PdfError, ValueError, KeyError) as exc:
        log.warning("signature %s could not be evaluated", name, exc_info=exc)
        return _unreadable(sig, name, exc)
    except Exception as exc:  # noqa: BLE001 - one odd signature must not stop the others
        log.exception("unexpected failure validating signature %s", name)
        return _unreadable(sig, name, exc)

    reasons = _Reasons()
    cert: x509.Certificate = status.signing_cert
    tst = status.timestamp_validity
    tst_ok = tst is not None and tst.intact and tst.valid
    ts_time = tst.timestamp if tst_ok and tst is not None else None
    expired = cert.not_valid_after < checked_at
    trusted = status.trusted
    indic = status.trust_problem_indic

    _judge_integrity(status, reasons)
    # with broken integrity, notes about later (allowed) additions would only distract
    coverage, modification = _judge_modifications(
        status, reasons if status.intact and status.valid else _Reasons()
    )

    # The time stamp proves the signature existed at that moment. An expired certificate, or
    # revocation data too old for today (B-LT checked later), is then no defect: check again
    # as of the time stamp, with the validation data the file carries (PAdES LTV semantics).
    if (
        indic in _RECHECK_AT_TIMESTAMP
        and ts_time is not None
        and ts_time <= cert.not_valid_after
    ):
        later = _context(store, sig, embedded, fetching=False, moment=ts_time)
        again = await _recheck(sig, later)
        again_tst = again.timestamp_validity if again is not None else None
        if again is not None and again.trusted and again_tst is not None and again_tst.trusted:
            trusted, vc = True, later
            if expired or indic == AdESIndeterminate.OUT_OF_BOUNDS_NO_POE:
                reasons.add(
                    "warning",
                    f"Zertifikat am {texts.fmt_dt(cert.not_valid_after)} abgelaufen; zum "
                    f"Zeitpunkt des Zeitstempels ({texts.fmt_dt(ts_time)}) war es gültig.",
                    f"Certificate expired on {texts.fmt_dt(cert.not_valid_after)}; it was "
                    f"valid at the time stamp ({texts.fmt_dt(ts_time)}).",
                )
            else:
                reasons.add(
                    "valid",
                    "Hinweis: geprüft zum Zeitpunkt des Zeitstempels "
                    f"({texts.fmt_dt(ts_time)}) mit den im Dokument eingebetteten "
                    "Sperrinformationen.",
                    f"Note: checked as of the time stamp ({texts.fmt_dt(ts_time)}) with the "
                    "revocation data embedded in the document.",
                )
            indic = None
            status = _with_trust_from(status, again)
    revocation = _revocation(status, vc, cert, trusted)
    _judge_trust(status, indic, cert, expired, store, reasons)
    _judge_revocation(revocation, status, cert, reasons)
    _judge_timestamp(status, reasons)

    return SignatureCheck(
        field_name=name,
        signer=_common_name(cert),
        signed_at=status.signer_reported_dt,
        timestamp=ts_time,
        level=_level(sig, status, embedded, lta_revisions),
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=trusted,
        revocation=revocation,
        expired=expired,
        coverage=coverage,
        modification=modification,
        verdict=reasons.verdict,
        reasons_de=reasons.de,
        reasons_en=reasons.en,
        issuer=short_dn(cert.issuer),
        certificate_valid_until=cert.not_valid_after,
    )


async def _recheck(sig: EmbeddedPdfSignature, vc: ValidationContext) -> PdfSignatureStatus | None:
    """The status as of `vc`'s moment, or None when that second look fails (then the first
    finding stands)."""
    try:
        return await _status(sig, vc, skip_diff=True)
    except Exception:  # noqa: BLE001 - the first result is still a valid answer
        log.warning("re-check of %s as of its time stamp failed", sig.field_name, exc_info=True)
        return None


def _with_trust_from(status: PdfSignatureStatus, other: PdfSignatureStatus) -> PdfSignatureStatus:
    """`status` with the trust findings of a re-check as of the time stamp."""
    return replace(
        status,
        trust_problem_indic=other.trust_problem_indic,
        validation_path=other.validation_path,
        revocation_details=other.revocation_details,
        timestamp_validity=other.timestamp_validity,
    )


def _unreadable(sig: EmbeddedPdfSignature, name: str, exc: Exception) -> SignatureCheck:
    signer = "?"
    with contextlib.suppress(Exception):  # the CMS itself may be the damaged part
        signer = _common_name(sig.signer_cert)
    return SignatureCheck(
        field_name=name, signer=signer, signed_at=None, timestamp=None, level="?",
        intact=False, valid=False, trusted=False, revocation="not_checked", expired=False,
        coverage=COVERAGE_LATER, modification=MOD_DISALLOWED, verdict="invalid",
        reasons_de=[f"Signatur nicht auswertbar: {exc}"],
        reasons_en=[f"Signature cannot be evaluated: {exc}"],
    )


def _judge_integrity(status: PdfSignatureStatus, reasons: _Reasons) -> None:
    if not status.intact:
        reasons.add(
            "invalid",
            "Integrität verletzt: der signierte Inhalt wurde nach dem Signieren verändert "
            "(Prüfsumme stimmt nicht).",
            "Integrity broken: the signed content was altered after signing (digest mismatch).",
        )
    elif not status.valid:
        reasons.add(
            "invalid",
            "Die kryptografische Signatur ist ungültig (passt nicht zum Zertifikat).",
            "The cryptographic signature does not verify against the certificate.",
        )


def _judge_modifications(status: PdfSignatureStatus, reasons: _Reasons) -> tuple[str, str]:
    coverage = status.coverage
    if coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return COVERAGE_ALL, MOD_NONE
    if coverage != SignatureCoverageLevel.ENTIRE_REVISION:
        reasons.add(
            "invalid",
            "Die Signatur deckt das Dokument nicht vollständig ab (ungewöhnlicher Byte-Bereich).",
            "The signature does not cover its revision of the document (unusual byte range).",
        )
        return COVERAGE_LATER, MOD_DISALLOWED
    level = status.modification_level
    if level in _ALLOWED_LEVELS and status.docmdp_ok:
        if level == ModificationLevel.LTA_UPDATES:
            # DSS and document time stamps: signature upkeep, not a change in the PAdES sense
            return COVERAGE_LATER, MOD_NONE
        if level == ModificationLevel.FORM_FILLING:
            # further signatures and filled-in form fields are the normal course of a
            # co-signed document (Mitzeichnung): worth saying, not worth a warning
            reasons.add(
                "valid",
                "Hinweis: nach dem Signieren kamen nur weitere Signaturen oder ausgefüllte "
                "Formularfelder hinzu (erlaubt).",
                "Note: after signing, only further signatures or form field values were added "
                "(permitted).",
            )
        else:
            # annotations may cover or comment on the signed text: a person should look
            reasons.add(
                "warning",
                "Nach dem Signieren wurden Anmerkungen (Kommentare, Stempel, Markierungen) "
                "hinzugefügt; das ist erlaubt, kann aber die Darstellung verändern.",
                "Annotations (comments, stamps, highlights) were added after signing; this is "
                "permitted but may change what the reader sees.",
            )
        return COVERAGE_LATER, MOD_ALLOWED
    if level in _ALLOWED_LEVELS:
        reasons.add(
            "invalid",
            "Nach dem Signieren wurde das Dokument auf eine Weise geändert, die der "
            "Zertifizierungssignatur (DocMDP) nach nicht erlaubt ist.",
            "The document was changed after signing in a way its certification (DocMDP) "
            "does not permit.",
        )
    else:
        reasons.add(
            "invalid",
            "Nach dem Signieren wurde der Inhalt des Dokuments unzulässig geändert (nicht nur "
            "Formularfelder, Anmerkungen oder weitere Signaturen).",
            "The document content was changed after signing (beyond form filling, "
            "annotations or further signatures).",
        )
    return COVERAGE_LATER, MOD_DISALLOWED


def _judge_trust(
    status: PdfSignatureStatus,
    indic: Any,
    cert: x509.Certificate,
    expired: bool,
    store: TrustStore,
    reasons: _Reasons,
) -> None:
    if not (status.intact and status.valid) or indic is None:
        return
    if status.revoked:
        details = status.revocation_details
        when = texts.fmt_dt(details.revocation_date) if details else "?"
        who_de = "ein Zertifikat der Kette (CA)" if details and details.ca_revoked else (
            "das Zertifikat des Unterzeichners")
        who_en = "a CA certificate in the chain" if details and details.ca_revoked else (
            "the signer's certificate")
        reasons.add("invalid", f"Gesperrt: {who_de} wurde am {when} widerrufen.",
                    f"Revoked: {who_en} was revoked on {when}.")
    elif indic in (AdESIndeterminate.OUT_OF_BOUNDS_NO_POE, AdESIndeterminate.EXPIRED):
        until = texts.fmt_dt(cert.not_valid_after)
        tst = status.timestamp_validity
        if tst is not None and tst.intact and tst.valid and tst.timestamp > cert.not_valid_after:
            later_de = f" (der Zeitstempel vom {texts.fmt_dt(tst.timestamp)} liegt danach)"
            later_en = f" (the time stamp of {texts.fmt_dt(tst.timestamp)} is later)"
        else:
            later_de = later_en = ""
        reasons.add(
            "invalid",
            f"Das Zertifikat des Unterzeichners ist am {until} abgelaufen, und kein "
            f"vertrauenswürdiger Zeitstempel belegt eine Signatur davor{later_de}.",
            f"The signer's certificate expired on {until} and no trusted time stamp proves "
            f"the signature was made before{later_en}.",
        )
    elif indic == AdESIndeterminate.NOT_YET_VALID:
        reasons.add("invalid", "Das Zertifikat des Unterzeichners ist noch nicht gültig.",
                    "The signer's certificate is not yet valid.")
    elif indic == AdESIndeterminate.TRY_LATER:
        reasons.add(
            "warning",
            "Der Sperrstatus ist derzeit nicht aktuell prüfbar (Sperrinformation veraltet); "
            "später erneut prüfen.",
            "Revocation status cannot be checked with current data (stale); check again later.",
        )
    elif indic in (AdESIndeterminate.CRYPTO_CONSTRAINTS_FAILURE,
                   AdESIndeterminate.CRYPTO_CONSTRAINTS_FAILURE_NO_POE):
        reasons.add("invalid", "Unsicherer oder nicht zugelassener Algorithmus.",
                    "Weak or disallowed algorithm.")
    elif indic in _UNTRUSTED_INDICS or not status.trusted:
        if not store.anchors:
            reasons.add(
                "invalid",
                "Nicht vertrauenswürdig: es ist kein Vertrauensanker eingerichtet "
                "(config/trust/ oder --trust).",
                "Untrusted: no trust anchor is configured (config/trust/ or --trust).",
            )
        else:
            reasons.add(
                "invalid",
                f"Nicht vertrauenswürdig: die Zertifikatskette von „{_common_name(cert)}“ "
                f"(ausgestellt von {short_dn(cert.issuer)}) endet bei keinem "
                "konfigurierten Vertrauensanker.",
                f"Untrusted: the certificate chain of '{_common_name(cert)}' (issued by "
                f"{short_dn(cert.issuer)}) does not end in a configured trust anchor.",
            )


def _judge_revocation(revocation: Revocation, status: PdfSignatureStatus,
                      cert: x509.Certificate, reasons: _Reasons) -> None:
    if revocation == "unknown" and not (cert.ocsp_urls or cert.crl_distribution_points):
        reasons.add(
            "warning",
            "Sperrstatus unbekannt: das Zertifikat nennt keinen OCSP- oder CRL-Dienst, und das "
            "Dokument enthält keine Sperrinformationen.",
            "Revocation status unknown: the certificate names no OCSP or CRL service and the "
            "document carries no revocation data.",
        )
    elif revocation == "unknown":
        reasons.add(
            "warning",
            "Sperrstatus unbekannt: weder ein erreichbarer OCSP-/CRL-Dienst noch im Dokument "
            "eingebettete Sperrinformationen gaben Auskunft.",
            "Revocation status unknown: no reachable OCSP/CRL service and no embedded "
            "revocation data answered.",
        )
    elif revocation == "not_checked" and status.intact and status.valid and status.trusted:
        reasons.add(
            "warning",
            "Sperrstatus nicht geprüft (Abruf abgeschaltet, keine eingebetteten Daten).",
            "Revocation status not checked (fetching disabled, no embedded data).",
        )


def _judge_timestamp(status: PdfSignatureStatus, reasons: _Reasons) -> None:
    tst = status.timestamp_validity
    if tst is None:
        return
    if not (tst.intact and tst.valid):
        reasons.add("invalid", "Der Zeitstempel der Signatur ist beschädigt.",
                    "The signature time stamp is damaged.")
    elif not tst.trusted:
        reasons.add(
            "warning",
            "Der Zeitstempel stammt von keinem vertrauenswürdigen Zeitstempeldienst; die "
            "Signaturzeit ist nur behauptet.",
            "The time stamp is not from a trusted time-stamp authority; the signing time is "
            "only claimed.",
        )


# --- revocation status --------------------------------------------------------------------


def _revocation(
    status: PdfSignatureStatus, vc: ValidationContext, cert: x509.Certificate, trusted: bool
) -> Revocation:
    """good / revoked / unknown / not_checked for the signer's certificate.

    pyHanko runs revocation checks inside path validation ("soft-fail": an unreachable
    responder is not an error). Whether an answer existed we read from what the context held
    afterwards: an OCSP response or a CRL of the issuer covering the signer's certificate.
    """
    if status.revoked:
        return "revoked"
    if not trusted or status.validation_path is None:
        return "not_checked"  # without a trusted path revocation is not looked at
    if _has_ocsp_for(cert, vc.ocsps) or _has_crl_for(cert, vc.crls):
        return "good"
    if not vc.fetching_allowed and not vc.ocsps and not vc.crls:
        return "not_checked"
    return "unknown"


def _has_ocsp_for(cert: x509.Certificate, responses: Sequence[asn1_ocsp.OCSPResponse]) -> bool:
    for resp in responses:
        try:
            if resp["response_status"].native != "successful":
                continue
            basic = resp.basic_ocsp_response
            for single in basic["tbs_response_data"]["responses"]:
                cert_id = single["cert_id"]
                if cert_id["serial_number"].native != cert.serial_number:
                    continue
                algo = cert_id["hash_algorithm"]["algorithm"].native
                digest = hashlib.new(algo, cert.issuer.dump()).digest()
                if digest == cert_id["issuer_name_hash"].native:
                    return True
        except (ValueError, KeyError, TypeError):
            continue
    return False


def _has_crl_for(cert: x509.Certificate, crls: Sequence[asn1_crl.CertificateList]) -> bool:
    for crl in crls:
        try:
            if crl.issuer == cert.issuer:
                return True
        except (ValueError, KeyError, TypeError):
            continue
    return False


# --- level and names ------------------------------------------------------------------------


def _level(
    sig: EmbeddedPdfSignature,
    status: PdfSignatureStatus,
    embedded: _Embedded,
    lta_revisions: list[int],
) -> str:
    """PAdES baseline level, best guess from what the file carries."""
    if status.timestamp_validity is None:
        return "B-B"
    attr_ocsps, attr_crls = _signed_attr_revinfo(sig)
    if not (embedded.has_revinfo or attr_ocsps or attr_crls):
        return "B-T"
    if any(rev > sig.signed_revision for rev in lta_revisions):
        return "B-LTA"
    return "B-LT"


def _common_name(cert: x509.Certificate) -> str:
    native = cert.subject.native
    return str(native.get("common_name") or short_dn(cert.subject))
