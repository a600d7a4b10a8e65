"""Separator sheets: printed by us, scanned back, recognised with their routing code."""

from __future__ import annotations

import io

import pikepdf
import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image

from dms.errors import InvalidInput
from ingest.barcodes import (
    SeparatorInfo,
    find_barcodes,
    is_separator,
    parse_separator,
    separator_sheet_pdf,
)
from tests.ingest.scans import ScanPage, blank_page, separator_page


@pytest.mark.parametrize(
    ("code", "skew"), [("office=63", 1.0), ("office=50.1;assignee=k.mayer", -2.0), (None, 0.5)]
)
def test_scanned_separator_sheet_is_recognised_with_its_routing_code(
    code: str | None, skew: float
) -> None:
    page = separator_page(code, skew=skew)
    info = is_separator(page.image)
    assert info is not None
    assert info.routing_code == code
    assert info.payload == ("DMS-SEP" if code is None else f"DMS-SEP:{code}")


def test_separator_fed_upside_down_is_still_recognised() -> None:
    page = separator_page("office=63").image.rotate(180)
    page.info["dpi"] = (300, 300)
    info = is_separator(page)
    assert info is not None and info.routing == {"office": "63"}


def test_ordinary_pages_are_not_separators(letter: ScanPage) -> None:
    assert is_separator(letter.image) is None
    assert is_separator(blank_page(3).image) is None


def test_a_foreign_qr_code_is_not_a_separator(letter: ScanPage) -> None:
    """A payment QR code on an invoice is a barcode, but no separator."""
    girocode = "BCD\n002\n1\nSCT\n\nStadtwerke\nDE02120300000000202051\nEUR12.50"
    qr = zxingcpp.create_barcode(girocode, zxingcpp.BarcodeFormat.QRCode)
    page = letter.image.copy()
    page.paste(Image.fromarray(qr.to_image(scale=12)), (1900, 2900))
    page.info["dpi"] = (300, 300)
    assert is_separator(page) is None
    (found,) = find_barcodes(page)
    assert found.text == girocode and found.format == "QR Code"


def test_find_barcodes_reads_linear_codes(letter: ScanPage) -> None:
    code = zxingcpp.create_barcode("PE-2026-000123", zxingcpp.BarcodeFormat.Code128)
    page = letter.image.copy()
    page.paste(Image.fromarray(code.to_image(scale=4)).resize((900, 160)), (1400, 300))
    codes = find_barcodes(page)
    assert [(c.format, c.text) for c in codes] == [("Code 128", "PE-2026-000123")]
    left, top, right, bottom = codes[0].bbox
    assert left >= 1350 and right <= 2350 and 250 <= top <= bottom <= 520


def test_separator_sheet_pdf_is_a_printable_a4_page() -> None:
    data = separator_sheet_pdf("office=63")
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert len(pdf.pages) == 1
        assert [round(float(v)) for v in pdf.pages[0].MediaBox] == [0, 0, 595, 842]
    document = pdfium.PdfDocument(data)
    try:
        text = document[0].get_textpage().get_text_range()
    finally:
        document.close()
    assert "TRENNBLATT" in text
    assert "Ziel / routing: office=63" in text
    assert "Schriftstück" in text
    assert separator_sheet_pdf("office=63") == data  # deterministic: reprints are identical


@pytest.mark.parametrize("bad", ["", " office", "amt=Ordnungsämter", "a\nb", "x" * 201])
def test_bad_routing_codes_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput, match="Leitcode"):
        separator_sheet_pdf(bad)


def test_parse_separator() -> None:
    assert parse_separator("DMS-SEP") == SeparatorInfo("DMS-SEP", None)
    assert parse_separator("DMS-SEP:") == SeparatorInfo("DMS-SEP:", None)
    info = parse_separator("DMS-SEP:office=63; case = 63-600-0001/2026")
    assert info is not None
    assert info.routing == {"office": "63", "case": "63-600-0001/2026"}
    assert parse_separator("DMS-SEPARATOR") is None
    assert parse_separator("https://example.org") is None
