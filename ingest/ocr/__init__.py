"""OCR: Tesseract behind one small interface (see :mod:`ingest.ocr.tesseract`)."""

from ingest.ocr.tesseract import (
    DEFAULT_LANG,
    EngineKind,
    OcrEngine,
    OcrFailed,
    OcrUnavailable,
    Orientation,
    PageOcr,
    Word,
    api_available,
    installation,
    make_engine,
    map_pages,
    ocr_pages,
    require_languages,
)

__all__ = [
    "DEFAULT_LANG",
    "EngineKind",
    "OcrEngine",
    "OcrFailed",
    "OcrUnavailable",
    "Orientation",
    "PageOcr",
    "Word",
    "api_available",
    "installation",
    "make_engine",
    "map_pages",
    "ocr_pages",
    "require_languages",
]
