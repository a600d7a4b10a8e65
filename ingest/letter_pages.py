"""What a scanned letter is made of, page by page, so its PDF/A can be rebuilt from the
original scan at any time (the mailroom's rotate / move / split / merge).

A letter row keeps, in ``IntakeLetter.pages``::

    {"indexes":   [4, 5],          # pages of the batch's original scan, 0-based, in order
     "rotations": [0, 180],        # degrees each page was turned counter-clockwise
     "skews":     [0.4, -1.1],     # then straightened by this angle (counter-clockwise)
     "ocr":       [{...}, {...}],  # the OCR result of the straightened page (words, boxes)
     "routing_code": "63"}         # of the separator sheet before the letter, if any

Rendering page ``index`` of the original (:func:`ingest.pages.load_pages`), dropping its colour
if it has none, turning it by ``rotation`` and straightening it by ``skew`` gives exactly the
image the OCR boxes refer to; so a page that is only moved to another letter needs no second
OCR, and only a page turned by hand is read again.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ingest.ocr.tesseract import PageOcr, Word


def ocr_to_json(ocr: PageOcr | None) -> dict[str, Any] | None:
    """A compact, JSON-ready copy of one page's OCR result (words as short arrays)."""
    if ocr is None:
        return None
    return {
        "text": ocr.text,
        "words": [[w.text, round(w.conf), *w.bbox, w.line] for w in ocr.words],
        "lines": [list(box) for box in ocr.lines],
        "mean_confidence": round(ocr.mean_confidence, 2),
        "width": ocr.width,
        "height": ocr.height,
        "dpi": ocr.dpi,
        "engine": ocr.engine,
    }


def ocr_from_json(data: dict[str, Any] | None) -> PageOcr | None:
    if not data:
        return None
    words = tuple(
        Word(str(text), float(conf), (int(left), int(top), int(right), int(bottom)), int(line))
        for text, conf, left, top, right, bottom, line in data.get("words", [])
    )
    lines = tuple(tuple(int(v) for v in box) for box in data.get("lines", []))
    return PageOcr(
        text=str(data.get("text", "")),
        words=words,
        lines=lines,  # type: ignore[arg-type]
        mean_confidence=float(data.get("mean_confidence", 0.0)),
        width=int(data["width"]),
        height=int(data["height"]),
        dpi=int(data.get("dpi", 300)),
        engine=str(data.get("engine", "")),
        seconds=0.0,
    )


def page_state(
    pages: Iterable[tuple[int, int, float, PageOcr | None]], routing_code: str | None = None
) -> dict[str, Any]:
    """The ``pages`` JSON of a letter from (batch index, rotation, skew, OCR) per page."""
    rows = list(pages)
    return {
        "indexes": [index for index, _, _, _ in rows],
        "rotations": [rotation % 360 for _, rotation, _, _ in rows],
        "skews": [float(skew) for _, _, skew, _ in rows],
        "ocr": [ocr_to_json(ocr) for _, _, _, ocr in rows],
        "routing_code": routing_code,
    }
