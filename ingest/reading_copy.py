"""The reading copy (Lesefassung) of an original that must never be rewritten.

A signed PDF (PAdES/CMS) is filed byte for byte as it came: any change, even an added text
layer, would break its signatures. When its pages are only images (a signed scan), it would
not be findable, so its pages are rasterised and OCR'd, exactly as a scan is (the same page
preparation and Tesseract, the same PDF/A assembly), and the result is kept as a searchable
PDF/A *beside* the original: the e-file stores it as the version's rendition
(dms.services.renditions), the search index reads its text, the document page offers it for
viewing. Every page of the original is kept in the copy, in its order (no blank-page
dropping, no splitting at separator sheets), so page numbers agree.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dms.errors import DmsError

if TYPE_CHECKING:
    from ingest.ocr.tesseract import PageOcr
    from ingest.pdfa import EncodedImage

#: How a letter (or attachment) made this way is marked (transfer note, attachment entry).
METHOD = "signed-ocr"


@dataclass(frozen=True)
class ReadingCopy:
    path: Path  # the searchable PDF/A
    text: str  # OCR text, pages separated by form feeds
    pages: int
    mean_confidence: float | None
    page_state: dict[str, Any]  # ingest.letter_pages' per-page record (rotation, skew, OCR)


def is_signed(path: Path) -> bool:
    """Whether the PDF carries a signature dictionary (so it must never be rewritten)."""
    from ingest.signature_intake import looks_signed

    with path.open("rb") as stream:
        return looks_signed(stream)


def make_reading_copy(
    original: Path,
    out: Path,
    *,
    title: str,
    original_sha256: str,
    received_on: date | None = None,
    jobs: int = 2,
) -> ReadingCopy:
    """OCR every page of ``original`` into the searchable PDF/A ``out``; the original is only
    read. Raises UnsupportedContent (a DmsError) when its pages cannot be rendered."""
    from ingest.letter_pages import page_state
    from ingest.pages import PageSettings, load_pages, process_pages
    from ingest.pdfa import ImageOptions, PdfaMetadata, ReceiptStamp, write_pdfa

    # every page stays, in order: the copy must match the original page for page
    settings = PageSettings(drop_blank=False, detect_separators=False)
    readings: list[tuple[PageOcr | None, int, float]] = []

    def pages() -> Iterator[tuple[EncodedImage, PageOcr | None]]:
        # streamed into the PDF: only each page's compressed form is held, and only there
        for page in process_pages(load_pages(original), settings, jobs=jobs,
                                  encode=ImageOptions()):
            assert page.encoded is not None  # every page is a content page here
            readings.append((page.ocr, page.rotated, page.skew))
            yield page.encoded, page.ocr

    metadata = PdfaMetadata(
        title=f"Lesefassung (OCR): {title}",
        source=f"sha256:{original_sha256}",
        author="Poststelle",
        subject="Durchsuchbare Kopie; das signierte Original bleibt unverändert",
        receipt=ReceiptStamp(received_on) if received_on else None,
    )
    try:
        count = write_pdfa(pages(), out, metadata)
    except ValueError as exc:
        if readings:
            raise
        raise _no_pages() from exc  # no page at all
    read = [ocr for ocr, _, _ in readings if ocr is not None]
    return ReadingCopy(
        path=out,
        text="\f".join((ocr.text if ocr else "") for ocr, _, _ in readings),
        pages=count,
        mean_confidence=sum(o.mean_confidence for o in read) / len(read) if read else None,
        page_state=page_state((i, rotated, skew, ocr)
                              for i, (ocr, rotated, skew) in enumerate(readings)),
    )


def _no_pages() -> DmsError:
    from dms.errors import UnsupportedContent

    return UnsupportedContent("PDF ohne Seiten / PDF has no pages")
