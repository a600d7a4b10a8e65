"""Read PDFs: page count, encryption, signatures and text.

This is the one module that imports pypdfium2 and pikepdf for reading, so that the rules for
what the archive accepts live in one place:

* pdfium (the engine of Chrome's viewer) is the judge of readability. It copes with most
  everyday damage (wrong xref offsets, missing ``startxref``) on its own, and whatever it
  opens is fine.
* If pdfium refuses a file, pikepdf (qpdf) gets one try to rebuild it, and the rebuilt copy is
  accepted only if qpdf had to fix nothing but the cross-reference table/trailer and the file
  still ends with ``%%EOF``. qpdf also "repairs" truncated uploads, but by turning the lost
  pages into blank ones; archiving that silently would be data loss, so it is rejected.
* Any encryption is rejected, including an empty user password that merely restricts
  permissions: an archive must be able to migrate and render its files decades from now,
  without keys.

pdfium is not thread-safe (not even across different documents), and the web server extracts
in a thread pool, so every pdfium call here runs under :data:`PDFIUM_LOCK`. Code elsewhere that
ever touches pdfium must take the same lock.
"""

from __future__ import annotations

import io
import math
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from dms.errors import UnsupportedContent

PDFIUM_LOCK = threading.RLock()

DAMAGED = (
    "PDF ist beschädigt und kann nicht gelesen werden. Bitte das Original erneut exportieren"
    " oder scannen. / PDF is damaged and cannot be read. Please export or scan the original"
    " again."
)
ENCRYPTED = (
    "PDF ist verschlüsselt oder kennwortgeschützt; verschlüsselte Dateien können nicht"
    " archiviert werden. Bitte eine Fassung ohne Kennwort und ohne Rechtebeschränkung"
    " hochladen. / PDF is encrypted or password-protected; encrypted files cannot be archived."
    " Please upload a version without password and without permission restrictions."
)
NO_PAGES = "PDF enthält keine Seiten. / PDF contains no pages."

# qpdf warnings that only concern the cross-reference table/trailer, which qpdf rebuilds
# exactly from the objects themselves. Anything else (unexpected EOF, a stream whose length
# had to be guessed, an object that failed to parse) means content may be lost.
_HARMLESS_REPAIR = re.compile(
    r"file is damaged|startxref|xref|cross-reference table|trailer dictionary"
    r"|can't find PDF header|expected n n obj"
)
# qpdf reports most trouble as PdfError, but some malformed objects surface as plain
# RuntimeError/ValueError from the bindings; for a file pdfium already refused, all mean damage.
_QPDF_FAILURES = (pikepdf.PdfError, RuntimeError, ValueError)
_EOF_WINDOW = 1024
# pdfium marks a hyphen it removed at a line break with U+0002; rejoining keeps the word whole.
_SOFT_BREAK = re.compile(r"\x02\r?\n?")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ufffe\uffff]")


@dataclass(frozen=True)
class PdfInfo:
    """What the archive needs to know about a PDF before filing it."""

    page_count: int
    encrypted: bool
    has_signatures: bool


def _ends_with_eof_marker(path: Path) -> bool:
    """True if ``%%EOF`` is in the last KiB: a cut-off upload almost never ends there."""
    with path.open("rb") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        fh.seek(max(0, size - _EOF_WINDOW))
        return b"%%EOF" in fh.read()


def _open_rebuilt(path: Path) -> tuple[pdfium.PdfDocument, bool]:
    """Rebuild a file pdfium refused with qpdf and open the copy, or raise UnsupportedContent.

    Returns the document and whether it is encrypted (a rebuilt copy never is: qpdf refuses to
    rebuild without the password, and an empty-password file is reported before saving).
    """
    try:
        source = pikepdf.open(path)
    except pikepdf.PasswordError as exc:
        raise UnsupportedContent(ENCRYPTED) from exc
    except _QPDF_FAILURES as exc:
        raise UnsupportedContent(DAMAGED) from exc
    with source:
        if source.is_encrypted:
            raise UnsupportedContent(ENCRYPTED)
        if len(source.pages) == 0:
            raise UnsupportedContent(NO_PAGES)
        buffer = io.BytesIO()
        try:
            source.save(buffer)
        except _QPDF_FAILURES as exc:
            raise UnsupportedContent(DAMAGED) from exc
        warnings = source.get_warnings()
    lossy = [w for w in warnings if not _HARMLESS_REPAIR.search(w)]
    if lossy or not _ends_with_eof_marker(path):
        raise UnsupportedContent(DAMAGED)
    try:
        return pdfium.PdfDocument(buffer.getvalue()), False
    except pdfium.PdfiumError as exc:
        raise UnsupportedContent(DAMAGED) from exc


def _open_document(path: Path) -> tuple[pdfium.PdfDocument, bool]:
    """Open ``path`` with pdfium (rebuilding via qpdf if needed); caller holds PDFIUM_LOCK.

    Returns the document and whether it is encrypted with an empty user password; a file that
    needs a password, or has no pages, raises UnsupportedContent right away.
    """
    try:
        document = pdfium.PdfDocument(str(path))
        encrypted = pdfium_c.FPDF_GetSecurityHandlerRevision(document) != -1
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) == pdfium_c.FPDF_ERR_PASSWORD:
            raise UnsupportedContent(ENCRYPTED) from exc
        document, encrypted = _open_rebuilt(path)
    if len(document) == 0:
        document.close()
        raise UnsupportedContent(NO_PAGES)
    return document, encrypted


@contextmanager
def _open(path: str | Path) -> Iterator[tuple[pdfium.PdfDocument, bool]]:
    """Open ``path`` with pdfium (rebuilding via qpdf if needed), holding PDFIUM_LOCK.

    Yields the document and whether it is encrypted with an empty user password; a file that
    needs a password raises UnsupportedContent right away.
    """
    with PDFIUM_LOCK:
        document, encrypted = _open_document(Path(path))
        try:
            yield document, encrypted
        finally:
            document.close()


def _count_signatures(document: pdfium.PdfDocument) -> int:
    """Signature fields that actually hold a signature (an empty field is just a placeholder)."""
    signed = 0
    for index in range(pdfium_c.FPDF_GetSignatureCount(document)):
        signature = pdfium_c.FPDF_GetSignatureObject(document, index)
        if signature and pdfium_c.FPDFSignatureObj_GetContents(signature, None, 0) > 0:
            signed += 1
    return signed


def inspect_pdf(path: str | Path, *, reject_encrypted: bool = True) -> PdfInfo:
    """Page count, encryption and signature state of the PDF at ``path``.

    Raises UnsupportedContent for a damaged, empty or encrypted PDF. With
    ``reject_encrypted=False`` (diagnostics only, e.g. to tell a user why a stored file is odd)
    a PDF encrypted with an empty user password is reported with ``encrypted=True`` instead;
    one that needs a password is still rejected, since nothing in it can be read.
    """
    with _open(path) as (document, encrypted):
        if encrypted and reject_encrypted:
            raise UnsupportedContent(ENCRYPTED)
        return PdfInfo(
            page_count=len(document),
            encrypted=encrypted,
            has_signatures=_count_signatures(document) > 0,
        )


def _page_text(document: pdfium.PdfDocument, index: int) -> str:
    """Text of one page with pdfium's line-break markers and stray controls cleaned up."""
    page = document[index]
    try:
        textpage = page.get_textpage()
        try:
            raw = textpage.get_text_range()
        finally:
            textpage.close()
    finally:
        page.close()
    text = _SOFT_BREAK.sub("", raw).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


def extract_pdf_text(path: str | Path, max_chars: int) -> list[str]:
    """Text of each page, in order, stopping once ``max_chars`` characters are collected.

    The last returned page is cut so the total is at most ``max_chars``; pages after it are
    not read at all, which bounds time and memory on huge scans with an OCR layer. Damaged and
    encrypted PDFs raise UnsupportedContent, exactly as in :func:`inspect_pdf`.
    """
    pages: list[str] = []
    remaining = max_chars
    with _open(path) as (document, encrypted):
        if encrypted:
            raise UnsupportedContent(ENCRYPTED)
        for index in range(len(document)):
            if remaining <= 0:
                break
            text = _page_text(document, index)[:remaining]
            pages.append(text)
            remaining -= len(text)
    return pages


def _render_page(
    document: pdfium.PdfDocument, index: int, dpi: float, max_pixels: int | None
) -> Image.Image:
    """One page as an independent RGB image (caller holds PDFIUM_LOCK)."""
    page = document[index]
    try:
        width, height = page.get_size()  # points, after the page's /Rotate
        if width <= 0 or height <= 0:
            raise UnsupportedContent(DAMAGED)
        scale = dpi / 72
        if max_pixels and width * scale * height * scale > max_pixels:
            scale = math.sqrt(max_pixels / (width * height))
        bitmap = page.render(scale=scale)
        try:
            image = bitmap.to_pil().convert("RGB")  # a copy: the bitmap buffer is freed below
        finally:
            bitmap.close()
    finally:
        page.close()
    effective = round(scale * 72, 2)
    image.info["dpi"] = (effective, effective)
    return image


def render_pages(
    path: str | Path, dpi: float = 300, *, max_pixels: int | None = None
) -> Iterator[Image.Image]:
    """Render each page of the PDF at ``path`` to an RGB image, one page at a time.

    Meant for image-only PDFs that need OCR. PDFIUM_LOCK is held while a page renders, not
    while the caller works on it, so other threads (the web server's text extraction) keep
    going between pages. A page whose rendering would exceed ``max_pixels`` is rendered at a
    lower resolution so that it fits; its ``info["dpi"]`` tells the resolution actually used.
    Damaged, empty and encrypted PDFs raise UnsupportedContent, as in :func:`inspect_pdf`.
    """
    with PDFIUM_LOCK:
        document, encrypted = _open_document(Path(path))
        count = len(document)
    try:
        if encrypted:
            raise UnsupportedContent(ENCRYPTED)
        for index in range(count):
            with PDFIUM_LOCK:
                image = _render_page(document, index, dpi, max_pixels)
            yield image
    finally:
        with PDFIUM_LOCK:
            document.close()


# --- embedded files (the invoice data of ZUGFeRD / Factur-X / XRechnung-in-PDF) ------------


@dataclass(frozen=True)
class EmbeddedFile:
    """A file embedded in a PDF, e.g. the ``factur-x.xml`` of a ZUGFeRD invoice."""

    name: str  # /UF, else /F of the file specification, else its name-tree key
    mime: str | None  # /Subtype of the embedded stream, e.g. "text/xml"
    relationship: str | None  # /AFRelationship without the slash: "Alternative", "Data", ...
    data: bytes | None  # None when larger than the ``max_size`` asked for
    size: int | None = None  # decoded size, or the declared /Params /Size if not decoded


def _pdf_name(value: object) -> str | None:
    return str(value)[1:] if isinstance(value, pikepdf.Name) else None


def _embedded_stream_data(stream: pikepdf.Stream, max_size: int | None) -> bytes | None:
    """Decode an embedded file stream, never holding more than ``max_size`` + 1 bytes of a
    Flate stream (a decompression bomb stops there)."""
    import zlib

    if max_size is None:
        return stream.read_bytes()
    filters = stream.get("/Filter")
    if filters == pikepdf.Name.FlateDecode and stream.get("/DecodeParms") is None:
        data = zlib.decompressobj().decompress(stream.read_raw_bytes(), max_size + 1)
    else:
        data = stream.read_bytes()
    return data if len(data) <= max_size else None


def _embedded_file(
    key: str | None, spec: pikepdf.Dictionary, max_size: int | None
) -> EmbeddedFile | None:
    files = spec.get("/EF")
    if not isinstance(files, pikepdf.Dictionary):
        return None
    stream = files.get("/UF", files.get("/F"))
    if not isinstance(stream, pikepdf.Stream):
        return None
    name = spec.get("/UF", spec.get("/F"))
    name = str(name) if name is not None else (key or "")
    params = stream.get("/Params")
    declared = params.get("/Size") if isinstance(params, pikepdf.Dictionary) else None
    declared = int(declared) if isinstance(declared, int) else None
    data = None
    if max_size is None or declared is None or declared <= max_size:
        data = _embedded_stream_data(stream, max_size)
    return EmbeddedFile(
        name=name,
        mime=_pdf_name(stream.get("/Subtype")),
        relationship=_pdf_name(spec.get("/AFRelationship")),
        data=data,
        size=len(data) if data is not None else declared,
    )


def embedded_files(
    source: str | Path | bytes, *, max_size: int | None = None
) -> list[EmbeddedFile]:
    """The files embedded in a PDF (name tree ``/EmbeddedFiles`` and associated files ``/AF``).

    Files larger than ``max_size`` are listed with ``data=None``. Damaged and encrypted PDFs
    raise UnsupportedContent, with the same messages as :func:`inspect_pdf`.
    """
    try:
        pdf = pikepdf.open(io.BytesIO(source) if isinstance(source, bytes) else source)
    except pikepdf.PasswordError as exc:
        raise UnsupportedContent(ENCRYPTED) from exc
    except _QPDF_FAILURES as exc:
        raise UnsupportedContent(DAMAGED) from exc
    with pdf:
        if pdf.is_encrypted:
            raise UnsupportedContent(ENCRYPTED)
        found: list[EmbeddedFile] = []
        seen: set[tuple[int, int]] = set()
        try:
            for key, attached in pdf.attachments.items():
                seen.add(attached.obj.objgen)
                entry = _embedded_file(key, attached.obj, max_size)
                if entry is not None:
                    found.append(entry)
            associated = pdf.Root.get("/AF")
            if isinstance(associated, pikepdf.Array):
                for spec in associated:
                    if not isinstance(spec, pikepdf.Dictionary) or spec.objgen in seen:
                        continue
                    seen.add(spec.objgen)
                    entry = _embedded_file(None, spec, max_size)
                    if entry is not None:
                        found.append(entry)
        except _QPDF_FAILURES as exc:
            raise UnsupportedContent(DAMAGED) from exc
        return found
