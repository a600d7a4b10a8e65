"""Fixtures for the e-invoice tests: the shared public corpora (skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

#: ../shared/einvoice relative to the repository root (absent in a user's fresh clone).
CORPUS = Path(__file__).parents[2].parent / "shared" / "einvoice"
SKIP_REASON = (
    f"!!! e-invoice corpus tests SKIPPED: {CORPUS} is absent (the public XRechnung test suite"
    " and ZUGFeRD corpus live in ../shared/einvoice next to the repository) !!!"
)


def corpus_files() -> list[Path]:
    """Every invoice instance of the corpora: XRechnung *_ubl.xml / *_uncefact.xml, and every
    PDF and XML of the ZUGFeRD corpus."""
    if not CORPUS.is_dir():
        return []
    xrechnung = CORPUS / "xrechnung-testsuite"
    zugferd = CORPUS / "zugferd-corpus"
    files = sorted(xrechnung.rglob("*_ubl.xml")) + sorted(xrechnung.rglob("*_uncefact.xml"))
    files += sorted(p for p in zugferd.rglob("*") if p.suffix.lower() in (".pdf", ".xml"))
    return files


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(SKIP_REASON)
    return CORPUS
