"""PAdES signing (B-B, B-T, B-LT, B-LTA) of a PDF as an incremental update, with pyHanko.

Why incremental: co-signers approve, then the final signature, then the seal; each signature
covers the bytes before it, so appending is the only way every earlier signature stays valid.
The function takes and returns bytes and writes nothing: the caller stores the result
atomically (a new version, or OUT via a temporary file), so nothing is ever half-written.

Levels (ETSI EN 319 142-1 baseline):
  B-B   the CMS signature with signing certificate attribute (subfilter ETSI.CAdES.detached);
  B-T   plus an RFC 3161 signature timestamp from the configured timestamp authority;
  B-LT  plus certificates, OCSP responses and CRLs in the document security store (DSS);
  B-LTA plus a document timestamp over all of it, so it can be renewed before algorithms age.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from typing import Any, cast

from asn1crypto import x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError, PdfReadError
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.timestamps import HTTPTimeStamper, TimestampRequestError

from dms.errors import ConfigError, DmsError, InvalidInput, ServiceUnavailable, UnsupportedContent
from dms.signatures.config import LEVELS, Level, SignatureSettings, load_signature_settings
from dms.signatures.keys import SigningKey, run_sync
from dms.signatures.stamp import StampSpec, stamp_style

__all__ = ["Level", "SignatureSettings", "StampSpec", "sign_pdf", "async_sign_pdf"]

_STAMP_GAP = 8.0  # points between stacked stamps


@dataclass(frozen=True)
class _Prepared:
    writer: IncrementalPdfFileWriter
    page_count: int


def sign_pdf(pdf: bytes, signer: SigningKey, *, level: Level = "B-B",
             stamp: StampSpec | None = None, reason: str | None = None,
             settings: SignatureSettings | None = None) -> bytes:
    """Sign `pdf` with `signer` at `level`; `stamp` makes the signature visible.

    Earlier signatures stay valid (incremental update). Raises dms.errors types with a
    message a clerk can act on: bad PDF, unusable certificate, TSA unreachable, ...
    """
    return run_sync(async_sign_pdf(pdf, signer, level=level, stamp=stamp, reason=reason,
                                   settings=settings))


async def async_sign_pdf(pdf: bytes, signer: SigningKey, *, level: Level = "B-B",
                         stamp: StampSpec | None = None, reason: str | None = None,
                         settings: SignatureSettings | None = None) -> bytes:
    """The same as sign_pdf, for callers already inside an event loop."""
    if level not in LEVELS:
        raise InvalidInput(f"Unbekannte Signaturstufe {level!r}; erlaubt / allowed: "
                           f"{', '.join(LEVELS)}")
    settings = settings or load_signature_settings()
    now = datetime.now(UTC)
    check_certificate(signer.certificate, now)
    prepared = _prepare(pdf)
    needs_tsa = level != "B-B"
    if needs_tsa and not settings.tsa_url:
        raise ConfigError(f"Für {level} ist ein Zeitstempeldienst nötig: [tsa] url in "
                          f"signatures.toml oder --tsa URL / {level} needs a timestamp authority")
    long_term = level in ("B-LT", "B-LTA")
    check_first = settings.check_revocation and not long_term  # B-LT checks anyway
    context = _validation_context(settings) if long_term or check_first else None
    writer = prepared.writer
    field_name = _free_field_name(writer)
    field_spec = fields.SigFieldSpec(sig_field_name=field_name)
    style = None
    if stamp is not None:
        page = _page_index(stamp.page, prepared.page_count)
        box = stamp.box or settings.stamp_box
        box = _stack(box, _signature_rects(writer, page))
        field_spec = fields.SigFieldSpec(sig_field_name=field_name, on_page=page,
                                         box=cast(Any, box))
        style = stamp_style(stamp, now, seal=is_seal(signer.certificate))
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        name=stamp.name if stamp else signer.holder_name,
        location=stamp.office if stamp else None,
        embed_validation_info=long_term,
        use_pades_lta=level == "B-LTA",
        validation_context=context if long_term else None,
    )
    timestamper = (HTTPTimeStamper(settings.tsa_url, timeout=int(max(1, settings.tsa_timeout)))
                   if needs_tsa else None)
    out = BytesIO()
    try:
        async with signer.signer_scope() as pyhanko_signer:
            if check_first:
                await _check_revocation(pyhanko_signer, context)
            pdf_signer = signers.PdfSigner(meta, signer=pyhanko_signer, timestamper=timestamper,
                                           stamp_style=style, new_field_spec=field_spec)
            await pdf_signer.async_sign_pdf(writer, output=out)
    except DmsError:
        raise
    except Exception as exc:
        translated = _translate(exc, settings)
        if translated is None:
            raise
        raise translated from exc
    finally:
        if context is not None:
            await context.aclose()
    return out.getvalue()


# --- input checks ---------------------------------------------------------------------------


def check_certificate(cert: x509.Certificate, now: datetime) -> None:
    """Refuse a certificate outside its validity period before anything is signed."""
    not_before, not_after = cert.not_valid_before, cert.not_valid_after
    if now > not_after:
        raise InvalidInput(f"Zertifikat abgelaufen am {not_after:%d.%m.%Y} / certificate "
                           f"expired")
    if now < not_before:
        raise InvalidInput(f"Zertifikat erst gültig ab {not_before:%d.%m.%Y} / certificate not "
                           f"yet valid")


def _prepare(pdf: bytes) -> _Prepared:
    """Read the PDF as pyHanko will; repair a broken cross-reference table with pikepdf, but
    only when no signature could be broken by rewriting the file."""
    if not pdf.lstrip()[:5].startswith(b"%PDF"):
        raise UnsupportedContent("Keine PDF-Datei / not a PDF file")
    try:
        writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
        encrypted = writer.prev.encrypted
        if not encrypted:
            return _Prepared(writer, int(writer.root["/Pages"]["/Count"]))
    except (PdfError, PdfReadError, KeyError, ValueError, TypeError, IndexError):
        encrypted = False
    if encrypted:
        raise UnsupportedContent("Die PDF ist verschlüsselt; bitte eine unverschlüsselte "
                                 "Fassung signieren / the PDF is encrypted")
    return _repaired(pdf)


def _repaired(pdf: bytes) -> _Prepared:
    import pikepdf

    try:
        with pikepdf.open(BytesIO(pdf)) as doc:
            if doc.is_encrypted:
                raise UnsupportedContent("Die PDF ist verschlüsselt / the PDF is encrypted")
            form = doc.Root.get("/AcroForm")
            if form is not None and any(f.get("/FT") == pikepdf.Name.Sig
                                        for f in form.get("/Fields", [])):
                raise UnsupportedContent(
                    "Die PDF ist beschädigt (Querverweistabelle) und trägt schon Signaturen; "
                    "eine Reparatur würde sie brechen / broken PDF with signatures")
            out = BytesIO()
            doc.save(out)
    except pikepdf.PasswordError as exc:
        raise UnsupportedContent("Die PDF ist verschlüsselt / the PDF is encrypted") from exc
    except pikepdf.PdfError as exc:
        raise UnsupportedContent(f"Die PDF ist beschädigt und nicht lesbar ({exc}) / broken "
                                 f"PDF") from exc
    fixed = out.getvalue()
    try:
        writer = IncrementalPdfFileWriter(BytesIO(fixed), strict=False)
        return _Prepared(writer, int(writer.root["/Pages"]["/Count"]))
    except (PdfError, PdfReadError, KeyError, ValueError) as exc:
        raise UnsupportedContent("Die PDF ist beschädigt / broken PDF") from exc


def _validation_context(settings: SignatureSettings) -> Any:
    from pyhanko_certvalidator import ValidationContext

    roots = settings.trust_roots()
    if not roots:
        raise ConfigError("Für B-LT, B-LTA und die Sperrprüfung vor dem Signieren sind "
                          "Vertrauensanker nötig: [trust] anchors in signatures.toml / trust "
                          "anchors needed")
    # hard-fail: B-LT promises the validation data; without it the signature is not B-LT
    return ValidationContext(trust_roots=roots, allow_fetching=True, revocation_mode="hard-fail")


async def _check_revocation(pyhanko_signer: signers.Signer, context: Any) -> None:
    """Before a B-B or B-T signature: is the signer's certificate trusted and not revoked
    (OCSP/CRL)? A lost smart card that was blocked must not sign any more. B-LT and B-LTA
    check this anyway while collecting their validation data."""
    from pyhanko_certvalidator import CertificateValidator

    validator = CertificateValidator(pyhanko_signer.signing_cert,
                                     intermediate_certs=list(pyhanko_signer.cert_registry),
                                     validation_context=context)
    await validator.async_validate_usage(set())


# --- field and stamp placement ----------------------------------------------------------------


def _free_field_name(writer: IncrementalPdfFileWriter) -> str:
    taken = {name for name, _, _ in fields.enumerate_sig_fields(writer)}
    number = len(taken) + 1
    while f"Signatur{number}" in taken:
        number += 1
    return f"Signatur{number}"


def _page_index(page: int, count: int) -> int:
    """1-based page number (negative from the end) to pyHanko's 0-based index."""
    index = page - 1 if page > 0 else count + page
    if not 0 <= index < count:
        raise InvalidInput(f"Seite {page} gibt es nicht; die PDF hat {count} Seiten / no such "
                           f"page")
    return index


def _signature_rects(writer: IncrementalPdfFileWriter,
                     page: int) -> list[tuple[float, float, float, float]]:
    """Rectangles of visible signature widgets already on `page`."""
    page_obj = writer.find_page_for_modification(page)[0].get_object()
    rects = []
    for annot in page_obj.get("/Annots", generic.ArrayObject()):
        annot = annot.get_object()
        field_type = annot.get("/FT")
        if field_type is None and "/Parent" in annot:
            field_type = annot["/Parent"].get_object().get("/FT")
        if field_type != "/Sig" or "/Rect" not in annot:
            continue
        x1, y1, x2, y2 = (float(v) for v in annot["/Rect"])
        if x2 - x1 > 0 and y2 - y1 > 0:
            rects.append((min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)))
    return rects


def _stack(box: tuple[float, float, float, float],
           taken: list[tuple[float, float, float, float]]) -> tuple[float, float, float, float]:
    """Move the box up until it overlaps no earlier stamp: co-signers' stamps stack."""
    x1, y1, x2, y2 = box
    height = y2 - y1
    for _ in range(len(taken) + 1):
        overlapping = [r for r in taken if r[0] < x2 and x1 < r[2] and r[1] < y2 and y1 < r[3]]
        if not overlapping:
            break
        y1 = max(r[3] for r in overlapping) + _STAMP_GAP
        y2 = y1 + height
    return (x1, y1, x2, y2)


_QC_STATEMENTS = "1.3.6.1.5.5.7.1.3"
_QCT_ESEAL_DER = bytes.fromhex("060704008e46010602")  # OID 0.4.0.1862.1.6.2 (ETSI QcType eseal)


def is_seal(cert: x509.Certificate) -> bool:
    """Whether the certificate is an organisation's seal (elektronisches Siegel) rather than a
    person's: its QC statements say QcType eseal (EN 319 412-5), or, for certificates without
    them (internal CAs), its common name says 'Siegel' or 'seal'."""
    for extension in cert["tbs_certificate"]["extensions"] or []:
        if extension["extn_id"].dotted == _QC_STATEMENTS:
            return _QCT_ESEAL_DER in extension["extn_value"].contents
    name = str(cert.subject.native.get("common_name", "")).lower()
    return "siegel" in name or "seal" in name


# --- errors ------------------------------------------------------------------------------


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _translate(exc: Exception, settings: SignatureSettings) -> DmsError | None:
    """pyHanko's and the transport's errors as one dms error a clerk understands."""
    from pyhanko_certvalidator.errors import (
        ExpiredError,
        InsufficientRevinfoError,
        PathBuildingError,
        PathValidationError,
        RevokedError,
    )

    chain = _chain(exc)
    for item in chain:
        if isinstance(item, DmsError):
            return item
    def found(kind: type | tuple[type, ...]) -> BaseException | None:
        return next((item for item in chain if isinstance(item, kind)), None)

    # most specific first, wherever in the chain pyHanko wrapped it
    if found(TimestampRequestError):
        return ServiceUnavailable(f"Zeitstempeldienst nicht erreichbar: {settings.tsa_url} / "
                                  f"timestamp authority unreachable")
    if found(RevokedError):
        return InvalidInput("Zertifikat gesperrt (widerrufen) / certificate revoked")
    if found(ExpiredError):
        return InvalidInput("Zertifikat abgelaufen / certificate expired")
    path_error = found((PathBuildingError, PathValidationError))
    if found(InsufficientRevinfoError) or (path_error and "revocation" in str(path_error)):
        return ServiceUnavailable(
            "Sperrinformationen (OCSP/CRL) zum Zertifikat nicht abrufbar; B-LT und B-LTA "
            "brauchen sie. Später erneut versuchen oder B-T wählen / revocation information "
            "unavailable")
    if path_error is not None:
        return InvalidInput(f"Zertifikat nicht vertrauenswürdig oder nicht prüfbar "
                            f"({path_error}) / certificate not trusted")
    text = str(exc)
    if isinstance(exc, SigningError) and "forbids all changes" in text:
        return InvalidInput("Die PDF ist zertifiziert und erlaubt keine Änderung, auch keine "
                            "weitere Signatur / the PDF is certified against all changes")
    if isinstance(exc, PdfError):
        return UnsupportedContent(f"Die PDF lässt sich nicht signieren ({text}) / PDF cannot "
                                  f"be signed")
    if isinstance(exc, SigningError):
        return InvalidInput(f"Signieren fehlgeschlagen ({text}) / signing failed")
    if any(isinstance(item, OSError | TimeoutError) for item in chain):
        return ServiceUnavailable(f"Dienst beim Signieren nicht erreichbar ({text}) / a "
                                  f"service needed for signing is unreachable")
    return None  # a programming error: let it surface with its traceback
