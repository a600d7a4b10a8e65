"""The searchable PDF/A-2b: structure checked part by part (no veraPDF here), text extracted."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
from PIL import Image

from ingest.ocr.tesseract import OcrEngine, PageOcr
from ingest.pages import process_page
from ingest.pdfa import PdfaMetadata, pdfa_bytes, write_pdfa
from tests.ingest.scans import ScanPage, cer

CREATED = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def ocr_page(engine: OcrEngine, letter: ScanPage) -> tuple[Image.Image, PageOcr]:
    page = process_page(engine, letter.image)
    assert page.ocr is not None
    return page.image, page.ocr


@pytest.fixture(scope="module")
def pdfa(ocr_page: tuple[Image.Image, PageOcr], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three pages: grey with text layer, bilevel with text layer, colour without."""
    image, ocr = ocr_page
    bilevel = image.point(lambda v: 255 if v > 140 else 0).convert("1")
    bilevel.info["dpi"] = (300, 300)
    colour = Image.merge("RGB", [image, image.point(lambda v: v // 2), image])
    colour.info["dpi"] = (300, 300)
    path = tmp_path_factory.mktemp("pdfa") / "brief.pdf"
    meta = PdfaMetadata(
        title="Widerspruch Gebührenbescheid",
        created=CREATED,
        author="Poststelle",
        keywords=("Posteingang", "Widerspruch"),
        source="sha256:" + "ab" * 32,
        identifier="PE-2026-000042",
    )
    assert write_pdfa([(image, ocr), (bilevel, ocr), (colour, None)], path, meta) == 3
    return path


def test_pdfa_identification_and_metadata(pdfa: Path) -> None:
    with pikepdf.open(pdfa) as pdf:
        assert not pdf.is_encrypted
        meta = pdf.open_metadata()
        assert meta.pdfa_status == "2B"
        assert meta["pdfaid:part"] == "2" and meta["pdfaid:conformance"] == "B"
        assert meta["dc:title"] == "Widerspruch Gebührenbescheid"
        assert meta["xmp:CreateDate"].startswith("2026-03-02T09:30:00")
        assert meta["dc:source"] == "sha256:" + "ab" * 32
        assert meta["dc:identifier"] == "PE-2026-000042"
        assert str(pdf.docinfo["/Title"]) == "Widerspruch Gebührenbescheid"
        assert str(pdf.docinfo["/CreationDate"]).startswith("D:20260302093000")
        assert "/Filter" not in pdf.Root.Metadata  # XMP must stay readable without decoding
        ids = pdf.trailer.ID
        assert len(ids) == 2 and len(bytes(ids[0])) == 16
    head = pdfa.read_bytes()[:20]
    assert head.startswith(b"%PDF-1.7\n%") and max(head[10:14]) > 127  # binary marker line


def test_output_intent_has_an_srgb_profile(pdfa: Path) -> None:
    with pikepdf.open(pdfa) as pdf:
        (intent,) = pdf.Root.OutputIntents
        assert intent.S == pikepdf.Name.GTS_PDFA1
        assert str(intent.OutputConditionIdentifier) == "sRGB IEC61966-2.1"
        profile = intent.DestOutputProfile
        assert profile.N == 3
        icc = profile.read_bytes()
        assert icc[36:40] == b"acsp" and icc[16:20] == b"RGB " and icc[8] == 2  # ICC v2


def _fonts(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    fonts = []
    for page in pdf.pages:
        for font in page.Resources.get("/Font", {}).values():
            fonts.append(font)
            fonts.extend(font.get("/DescendantFonts", []))
    return fonts


def test_every_font_is_embedded(pdfa: Path) -> None:
    with pikepdf.open(pdfa) as pdf:
        fonts = _fonts(pdf)
        assert fonts  # the text layer's font is there
        for font in fonts:
            if font.Subtype == pikepdf.Name.Type0:
                assert font.Encoding == pikepdf.Name("/Identity-H") and "/ToUnicode" in font
                continue
            descriptor = font.FontDescriptor
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            assert font.Subtype == pikepdf.Name.CIDFontType2 and "/CIDToGIDMap" in font
            program = descriptor.FontFile2
            assert int(program.Length1) == len(program.read_bytes())


def test_pages_images_and_no_transparency(pdfa: Path) -> None:
    expected = [
        (pikepdf.Name.DCTDecode, pikepdf.Name.DeviceGray, 8),
        (pikepdf.Name.FlateDecode, pikepdf.Name.DeviceGray, 1),
        (pikepdf.Name.DCTDecode, pikepdf.Name.DeviceRGB, 8),
    ]
    with pikepdf.open(pdfa) as pdf:
        assert len(pdf.pages) == 3
        for page, (filter_, colour_space, bits) in zip(pdf.pages, expected, strict=True):
            assert [round(float(v), 1) for v in page.MediaBox] == [0, 0, 595.2, 841.9]
            assert "/Group" not in page and "/Annots" not in page
            (image,) = page.Resources.XObject.values()
            assert image.Filter == filter_ and image.ColorSpace == colour_space
            assert image.BitsPerComponent == bits and (image.Width, image.Height) == (2480, 3508)
            assert "/SMask" not in image and "/Mask" not in image
            assert "/ExtGState" not in page.Resources
        content = pdf.pages[0].Contents.read_bytes()
        assert content.index(b"3 Tr") < content.index(b"Tj")  # invisible text only


def test_text_layer_is_extractable_and_searchable(pdfa: Path, letter: ScanPage) -> None:
    document = pdfium.PdfDocument(str(pdfa))
    try:
        texts = []
        for index in range(len(document)):
            textpage = document[index].get_textpage()
            texts.append(textpage.get_text_range())
            if index == 0:
                searcher = textpage.search(letter.fields["aktenzeichen"])
                hit = searcher.get_next()
                assert hit is not None
                left, bottom, right, top = textpage.get_charbox(hit[0])
    finally:
        document.close()
    assert cer(texts[0], letter.text) <= 0.02
    assert cer(texts[1], letter.text) <= 0.02  # the same words over the bilevel image
    assert texts[2].strip() == ""
    for key in ("aktenzeichen", "iban", "date", "amount", "sender"):
        assert letter.fields[key] in texts[0], key
    # "Ihr Zeichen: 63-600-…" on the letter: 25 mm in plus "Ihr Zeichen: ", 10th line
    assert 120 < left < 300 and 450 < bottom < 650 and top > bottom


def test_words_sit_on_their_boxes(ocr_page: tuple[Image.Image, PageOcr]) -> None:
    image, ocr = ocr_page
    data = pdfa_bytes([(image, ocr)], PdfaMetadata(title="x", created=CREATED))
    document = pdfium.PdfDocument(data)
    try:
        textpage = document[0].get_textpage()
        scale = 72 / 300
        checked = 0
        for word in ocr.words:
            if len(word.text) < 6 or not word.text.isalpha():
                continue
            searcher = textpage.search(word.text, match_case=True, match_whole_word=True)
            line_bottom = 841.92 - ocr.lines[word.line][3] * scale
            while (hit := searcher.get_next()) is not None:
                left, bottom, _, _ = textpage.get_charbox(hit[0])
                if abs(left - word.bbox[0] * scale) < 2 and abs(bottom - line_bottom) < 2:
                    right = textpage.get_charbox(hit[0] + hit[1] - 1)[2]
                    assert abs(right - word.bbox[2] * scale) < 2, word
                    checked += 1
                    break
    finally:
        document.close()
    assert checked > 20


def test_no_pages_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least one page"):
        pdfa_bytes([], PdfaMetadata(title="leer"))


def test_receipt_stamp_is_a_printed_annotation_above_the_untouched_scan(
    ocr_page: tuple[Image.Image, PageOcr], tmp_path: Path
) -> None:
    """Eingangsstempel: a /Stamp annotation in the top right corner of page 1 (red when
    rendered), while the page's own image stays exactly what was scanned."""
    from datetime import date

    import numpy as np

    from ingest.pdfa import EncodedImage, ReceiptStamp, encode_image

    image, ocr = ocr_page
    encoded = encode_image(image)
    assert isinstance(encoded, EncodedImage)
    meta = PdfaMetadata(title="Brief", created=CREATED,
                        receipt=ReceiptStamp(date(2026, 11, 20)))
    path = tmp_path / "gestempelt.pdf"
    write_pdfa([(encoded, ocr), (image, ocr)], path, meta)
    with pikepdf.open(path) as pdf:
        first, second = pdf.pages[0], pdf.pages[1]
        [annot] = list(first.obj.Annots)
        assert annot.Subtype == "/Stamp" and int(annot.F) == 4  # printed, as PDF/A wants
        assert str(annot.Contents) == "Eingegangen am 20.11.2026, Poststelle"
        assert "/N" in annot.AP
        left, bottom, right, top = (float(v) for v in annot.Rect)
        width, height = (float(v) for v in first.obj.MediaBox[2:])
        assert right > width * 0.7 and top > height * 0.9  # top right
        assert "/Annots" not in second.obj
        raw = first.obj.Resources.XObject.Im0.read_raw_bytes()
        assert raw == encoded.data  # the scan itself is not painted on
    document = pdfium.PdfDocument(str(path))
    try:
        rendered = document[0].render(scale=100 / 72, draw_annots=True).to_pil().convert("RGB")
        text = document[0].get_textpage().get_text_range()
    finally:
        document.close()
    pixels = np.asarray(rendered, dtype=np.int16)
    h, w = pixels.shape[:2]
    corner = pixels[: h // 8, w * 2 // 3 :]
    red = (corner[..., 0] > 150) & (corner[..., 1] < 100) & (corner[..., 2] < 100)
    assert red.sum() > 200  # the stamp is visible
    assert "EINGEGANGEN" not in text  # and adds nothing to the searchable text
