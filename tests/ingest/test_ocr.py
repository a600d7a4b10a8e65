"""The Tesseract wrapper: accuracy on generated letters, both engines, streaming, errors."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from PIL import Image

from ingest.ocr import tesseract
from ingest.ocr.tesseract import (
    OcrEngine,
    OcrUnavailable,
    PageOcr,
    api_available,
    make_engine,
    ocr_pages,
    parse_tsv,
    require_languages,
)
from ingest.pages import deskew
from tests.ingest.scans import ScanPage, cer, letter_page, text_page

ENGINES = ["spawn"] + (["api"] if api_available() else [])


@pytest.mark.parametrize("kind", ENGINES)
def test_letter_is_read_with_low_character_error_rate(kind: str, letter: ScanPage) -> None:
    engine = make_engine(kind)  # type: ignore[arg-type]
    try:
        straight, _ = deskew(letter.image)
        result = engine.recognize(straight)
    finally:
        engine.close()
    assert result.engine == kind
    assert cer(result.text, letter.text) <= 0.02
    for key in ("aktenzeichen", "date", "iban", "amount"):
        assert letter.fields[key] in result.text
    assert result.mean_confidence > 80
    assert (result.width, result.height, result.dpi) == (2480, 3508, 300)


def test_words_have_boxes_and_lines(engine: OcrEngine, letter: ScanPage) -> None:
    straight, _ = deskew(letter.image)
    result = engine.recognize(straight)
    words = {w.text: w for w in result.words}
    assert "Musterstadt" in words
    reference = words[letter.fields["aktenzeichen"]]
    left, top, right, bottom = reference.bbox
    # "Ihr Zeichen: 63-600-...": 10th text line, 25 mm from the left edge
    assert 250 < left < 700 and right - left > 300 and 30 < bottom - top < 80
    line_left, line_top, line_right, line_bottom = result.lines[reference.line]
    assert line_left <= left and right <= line_right and line_top <= top
    assert all(0 <= w.conf <= 100 for w in result.words)


def test_both_engines_agree(letter: ScanPage) -> None:
    if len(ENGINES) < 2:
        pytest.skip("tesserocr not installed: only the spawn engine to compare")
    line = _strip(
        [
            "Für Rückfragen stehen wir Ihnen gern zur Verfügung.",
            "Aktenzeichen 63-600-0001/2026, IBAN DE02 1203 0000 0000 2020 51",
        ]
    )
    spawned, api = (make_engine(kind) for kind in ENGINES)  # type: ignore[arg-type]
    try:
        a, b = spawned.recognize(line), api.recognize(line)
    finally:
        spawned.close()
        api.close()
    assert cer(a.text, b.text) < 0.02


def _strip(lines: list[str], seed: int = 0) -> Image.Image:
    """A quick-to-read strip: the top of a text page (first line at 20 mm, 64 px a line)."""
    page = text_page(lines, seed=seed).image
    strip = page.crop((0, 180, 2480, 236 + 64 * len(lines) + 40))
    strip.info["dpi"] = (300, 300)
    return strip


def test_ocr_pages_keeps_order_and_streams() -> None:
    held: list[int] = []
    pulled = 0
    yielded = 0

    def source() -> Iterator[Image.Image]:
        nonlocal pulled
        for seed in range(1, 13):
            pulled += 1
            held.append(pulled - yielded)
            yield _strip([f"Seite {seed} von 12"], seed)

    texts = []
    for _, result in ocr_pages(source(), jobs=2):
        yielded += 1
        texts.append("".join(result.text.split()))
    assert texts == [f"Seite{n}von12" for n in range(1, 13)]
    assert max(held) <= 6  # 2 x jobs + 2 pages in the pipeline, never the whole batch


def test_ocr_pages_runs_pages_side_by_side(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two workers really are inside Tesseract at the same time (each waits for the other)."""
    both_inside = threading.Barrier(2, timeout=30)
    original = tesseract.EnginePool.run

    def meet_then_run(self, task, image):  # noqa: ANN001, ANN202 - wraps the real method
        both_inside.wait()  # BrokenBarrierError if the pages ran one after the other
        return original(self, task, image)

    monkeypatch.setattr(tesseract.EnginePool, "run", meet_then_run)
    strips = [_strip([f"Blatt {n}"]) for n in range(1, 5)]
    texts = ["".join(r.text.split()) for _, r in ocr_pages(strips, jobs=2)]
    assert texts == [f"Blatt{n}" for n in range(1, 5)]


def test_orientation_is_detected(engine: OcrEngine) -> None:
    page = letter_page(4, skew=0.0, rotation=270)
    small = page.image.reduce(2)
    small.info["dpi"] = (150, 150)
    found = engine.detect_orientation(small)
    assert found.angle == 270 and found.confidence > 5


def test_empty_page_gives_empty_result(engine: OcrEngine) -> None:
    white = Image.new("L", (1200, 800), 255)
    white.info["dpi"] = (300, 300)
    result = engine.recognize(white)
    assert (result.text, result.words, result.mean_confidence) == ("", (), 0.0)
    assert engine.detect_orientation(white).confidence == 0.0


def test_missing_tesseract_is_reported_with_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DMS_TESSERACT_BINARY", "/nonexistent/tesseract")
    tesseract.installation.cache_clear()
    try:
        with pytest.raises(OcrUnavailable) as info:
            make_engine()
        assert "apt-get install tesseract-ocr tesseract-ocr-deu" in info.value.message
        assert info.value.message.startswith("Tesseract ist nicht installiert")
    finally:
        monkeypatch.undo()
        tesseract.installation.cache_clear()


def test_missing_language_names_the_package() -> None:
    with pytest.raises(OcrUnavailable, match="apt-get install tesseract-ocr-fra"):
        require_languages("deu+fra")
    with pytest.raises(OcrUnavailable, match="fehlt"):
        list(ocr_pages([Image.new("L", (10, 10))], lang="fra"))
    assert "deu" in require_languages("deu+eng").languages


def test_tsv_parsing_rebuilds_lines_and_paragraphs() -> None:
    header = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight"
    rows = [
        header + "\tconf\ttext",
        "4\t1\t1\t1\t1\t0\t10\t10\t200\t30\t-1\t",
        "5\t1\t1\t1\t1\t1\t10\t10\t80\t30\t96.5\tSehr",
        "5\t1\t1\t1\t1\t2\t100\t10\t110\t30\t90\tgeehrte",
        "4\t1\t1\t1\t2\t0\t10\t50\t100\t30\t-1\t",
        "5\t1\t1\t1\t2\t1\t10\t50\t100\t30\t50\tDamen",
        "4\t1\t1\t2\t1\t0\t10\t120\t100\t30\t-1\t",
        "5\t1\t1\t2\t1\t1\t10\t120\t100\t30\t80\tÜber",
        "5\t1\t1\t2\t1\t2\t10\t120\t100\t30\t-1\t ",
    ]
    result = parse_tsv("\n".join(rows), width=300, height=200, dpi=300, engine="x", seconds=0)
    assert isinstance(result, PageOcr)
    assert result.text == "Sehr geehrte\nDamen\n\nÜber"
    assert [w.line for w in result.words] == [0, 0, 1, 2]
    assert result.words[1].bbox == (100, 10, 210, 40)
    # character-weighted: (4*96.5 + 7*90 + 5*50 + 4*80) / 20 = 1586 / 20
    assert result.mean_confidence == pytest.approx(79.3)
