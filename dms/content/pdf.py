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


@contextmanager
def _open(path: str | Path) -> Iterator[tuple[pdfium.PdfDocument, bool]]:
    """Open ``path`` with pdfium (rebuilding via qpdf if needed), holding PDFIUM_LOCK.

    Yields the document and whether it is encrypted with an empty user password; a file that
    needs a password raises UnsupportedContent right away.
    """
    path = Path(path)
    with PDFIUM_LOCK:
        try:
            document = pdfium.PdfDocument(str(path))
            encrypted = pdfium_c.FPDF_GetSecurityHandlerRevision(document) != -1
        except pdfium.PdfiumError as exc:
            if getattr(exc, "err_code", None) == pdfium_c.FPDF_ERR_PASSWORD:
                raise UnsupportedContent(ENCRYPTED) from exc
            document, encrypted = _open_rebuilt(path)
        try:
            if len(document) == 0:
                raise UnsupportedContent(NO_PAGES)
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
