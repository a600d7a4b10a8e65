"""Fixtures for the ingest tests: real Tesseract on generated scans (no mocks)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ingest.ocr.tesseract import OcrEngine, make_engine
from tests.ingest.scans import ScanPage, letter_page


@pytest.fixture(scope="session")
def engine() -> Iterator[OcrEngine]:
    """The engine the pipeline would pick (the persistent API where tesserocr is installed)."""
    ocr = make_engine("auto")
    yield ocr
    ocr.close()


@pytest.fixture(scope="session")
def letter() -> ScanPage:
    """A one-page letter, skewed by 1.3°, with ground truth."""
    return letter_page(11, skew=1.3)
