"""Page preparation: loading, blank pages, deskew, orientation, and the per-page pipeline."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from dms.errors import UnsupportedContent
from ingest.ocr.tesseract import OcrEngine
from ingest.pages import (
    MAX_PAGE_PIXELS,
    PageSettings,
    deskew,
    drop_colour_if_grey,
    estimate_skew,
    ink_share,
    is_blank,
    load_pages,
    process_page,
    process_pages,
)
from tests.ingest.scans import (
    ScanPage,
    blank_page,
    cer,
    jpeg_bytes,
    letter_page,
    multi_page_tiff,
    pdf_of_images,
    png_bytes,
    separator_page,
    text_page,
)

# ------------------------------------------------------------------------------- deskew


@pytest.mark.parametrize("skew", [2.0, -2.0, 4.5])
def test_deskew_brings_a_skewed_page_within_a_third_of_a_degree(skew: float) -> None:
    page = letter_page(3, skew=skew, noise=4.0)
    assert estimate_skew(page.image).angle == pytest.approx(skew, abs=0.3)
    straight, turned = deskew(page.image)
    assert turned == pytest.approx(-skew, abs=0.3)
    assert abs(estimate_skew(straight).angle) <= 0.3
    assert straight.size == page.image.size and straight.info["dpi"] == (300, 300)


def test_straight_page_is_left_alone() -> None:
    page = letter_page(3, skew=0.0)
    straight, turned = deskew(page.image)
    assert turned == 0.0 and straight is page.image


def test_sideways_page_is_flagged_not_deskewed() -> None:
    page = letter_page(5, rotation=90, skew=1.0)
    skew = estimate_skew(page.image)
    assert skew.sideways
    assert deskew(page.image)[1] == 0.0


# ------------------------------------------------------------------------------- blank


@pytest.mark.parametrize("specks", [0, 150, 2000])
def test_blank_back_sides_are_detected(specks: int) -> None:
    assert is_blank(blank_page(specks, specks=specks).image)


@pytest.mark.parametrize("lines", [["Anlage"], ["Seite 2 von 2"]])
def test_a_page_with_a_single_word_is_not_blank(lines: list[str]) -> None:
    assert not is_blank(text_page(lines).image)


def test_letter_is_not_blank_and_threshold_is_configurable(letter: ScanPage) -> None:
    share = ink_share(letter.image)
    assert 0.01 < share < 0.1
    assert not is_blank(letter.image)
    assert is_blank(letter.image, threshold=0.2)


def test_margin_ignores_punch_holes() -> None:
    page = blank_page(1).image.copy()
    for y in (1100, 2400):  # two punch holes, 12 mm from the left edge
        page.paste(0, (110, y, 175, y + 65))
    assert is_blank(page)
    assert not is_blank(page, margin=(0.0, 0.0))


def test_grey_rgb_scan_becomes_grey_and_colour_stays() -> None:
    grey_rgb = letter_page(2, mode="RGB").image
    assert drop_colour_if_grey(grey_rgb).mode == "L"
    coloured = grey_rgb.copy()
    coloured.paste((200, 20, 20), (300, 200, 700, 500))  # a red logo
    assert drop_colour_if_grey(coloured).mode == "RGB"


# ------------------------------------------------------------------------------- loading


def test_multi_page_tiff_is_read_page_by_page(tmp_path: Path) -> None:
    pages = [text_page([f"Seite {n}"]).image for n in range(3)]
    path = tmp_path / "stapel.tif"
    path.write_bytes(multi_page_tiff(pages))
    loaded = load_pages(path)
    first = next(loaded)
    assert first.size == (2480, 3508) and first.mode == "L" and first.info["dpi"] == (300, 300)
    assert len(list(loaded)) == 2


def test_image_pdf_is_rendered_at_300_dpi(tmp_path: Path) -> None:
    pages = [text_page(["Seite"]).image.reduce(2) for _ in range(2)]  # a 150-dpi scan
    path = tmp_path / "scan.pdf"
    path.write_bytes(pdf_of_images(pages, resolution=150))
    loaded = list(load_pages(path))
    assert len(loaded) == 2
    assert loaded[0].info["dpi"] == (300, 300)
    assert abs(loaded[0].width - 2480) <= 2


def test_png_jpeg_and_bilevel(tmp_path: Path) -> None:
    page = text_page(["Seite"]).image
    (tmp_path / "a.png").write_bytes(png_bytes(page))
    (tmp_path / "b.jpg").write_bytes(jpeg_bytes(page))
    bilevel = page.point(lambda v: 255 if v > 128 else 0).convert("1")
    bilevel.save(tmp_path / "c.tif", compression="group4", dpi=(300, 300))
    for name, mode in (("a.png", "L"), ("b.jpg", "L"), ("c.tif", "1")):
        (image,) = load_pages(tmp_path / name)
        assert image.mode == mode and image.size == (2480, 3508), name
        assert image.info["dpi"] == (300, 300)


def test_missing_resolution_is_guessed_from_a4(tmp_path: Path) -> None:
    page = text_page(["Seite"]).image.reduce(2)  # 1240 x 1754, no dpi in the file
    page.save(tmp_path / "ohne-dpi.png")
    (image,) = load_pages(tmp_path / "ohne-dpi.png")
    assert image.info["dpi"][0] == pytest.approx(150, abs=1)


def _png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG that claims a huge size: a decompression bomb as far as headers go."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("size", [(60_000, 60_000), (12_000, 10_000)])
def test_decompression_bomb_is_refused(tmp_path: Path, size: tuple[int, int]) -> None:
    path = tmp_path / "bombe.png"
    path.write_bytes(_png_header_only(*size))
    assert size[0] * size[1] > MAX_PAGE_PIXELS
    with pytest.raises(UnsupportedContent) as info:
        list(load_pages(path))
    assert f"Bild ist zu groß ({size[0] * size[1] // 1_000_000} Megapixel" in info.value.message
    assert "decompression bomb" in info.value.message


def test_limit_is_configurable(tmp_path: Path) -> None:
    path = tmp_path / "seite.png"
    path.write_bytes(png_bytes(text_page(["Seite"]).image))
    with pytest.raises(UnsupportedContent, match="9 Megapixel, höchstens 1"):
        list(load_pages(path, max_pixels=1_000_000))


def test_damaged_and_unsupported_files_are_refused(tmp_path: Path) -> None:
    png = png_bytes(text_page(["Seite"]).image)
    (tmp_path / "kaputt.png").write_bytes(png[: len(png) // 2])
    with pytest.raises(UnsupportedContent, match="beschädigt"):
        list(load_pages(tmp_path / "kaputt.png"))
    (tmp_path / "brief.txt").write_text("Sehr geehrte Damen und Herren")
    with pytest.raises(UnsupportedContent, match="text/plain wird für Scans nicht unterstützt"):
        list(load_pages(tmp_path / "brief.txt"))


def test_too_many_pages_are_refused(tmp_path: Path) -> None:
    page = Image.new("L", (100, 100), 255)
    path = tmp_path / "viele.tif"
    path.write_bytes(multi_page_tiff([page] * 5))
    with pytest.raises(UnsupportedContent, match="Zu viele Seiten"):
        list(load_pages(path, max_pages=4))


# ----------------------------------------------------------------------- whole pages


@pytest.mark.slow
@pytest.mark.parametrize("rotation", [180, 90])
def test_turned_page_is_set_upright_and_read(engine: OcrEngine, rotation: int) -> None:
    scan = letter_page(8, rotation=rotation, skew=-1.2)
    page = process_page(engine, scan.image)
    assert page.kind == "content"
    assert page.rotated == rotation
    assert page.orientation is not None and page.orientation.angle == rotation
    assert page.image.size == (2480, 3508)
    assert page.skew == pytest.approx(1.2, abs=0.3)
    assert page.ocr is not None and cer(page.ocr.text, scan.text) <= 0.02


@pytest.mark.slow
def test_batch_is_classified_in_order() -> None:
    scans = [
        separator_page("office=63", seed=1),
        letter_page(21),
        blank_page(22),
        separator_page(None, seed=2),
        letter_page(23, mode="RGB"),
    ]
    pages = list(process_pages(s.image for s in scans))
    assert [p.kind for p in pages] == ["separator", "content", "blank", "separator", "content"]
    assert pages[0].separator is not None and pages[0].separator.routing_code == "office=63"
    assert pages[3].separator is not None and pages[3].separator.routing_code is None
    for scan, page in ((scans[1], pages[1]), (scans[4], pages[4])):
        assert page.ocr is not None and cer(page.ocr.text, scan.text) <= 0.02
        assert page.orientation is None  # upright and confident: OSD was never asked
    assert pages[4].image.mode == "L"  # grey paper scanned in colour


def test_blank_pages_can_be_kept(engine: OcrEngine) -> None:
    blank = blank_page(5).image.crop((300, 300, 1500, 1100))
    blank.info["dpi"] = (300, 300)
    page = process_page(engine, blank, PageSettings(drop_blank=False, orient=False))
    assert page.kind == "content" and page.ocr is not None
    assert len(page.ocr.text) < 20
