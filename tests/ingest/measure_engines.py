"""Measure the OCR engines on generated letters: ``python -m tests.ingest.measure_engines [N]``.

Prints pages/minute for the persistent API (tesserocr) and for one process per page, each
with 1 and 2 pages in parallel, and the raw ``tesseract`` command (2 processes side by side
with OMP_THREAD_LIMIT=1; and 1 at a time with Tesseract's own threads) as the reference, all
on the same page images in the same run. Plus the mean CER of each variant. Not a test: the
numbers on a shared machine are noisy, compare the ratios.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image

from ingest.ocr.tesseract import PageOcr, api_available, installation, ocr_pages
from tests.ingest.scans import cer, letter_page


def _raw_cli(paths: list[Path], jobs: int, omp_limit: bool) -> float:
    env = dict(os.environ)
    if omp_limit:
        env["OMP_THREAD_LIMIT"] = "1"
    else:
        env.pop("OMP_THREAD_LIMIT", None)
    binary = installation().binary

    def run(path: Path) -> None:
        subprocess.run(
            [binary, str(path), str(path.with_suffix("")), "-l", "deu+eng", "tsv"],
            check=True,
            capture_output=True,
            env=env,
        )

    started = time.perf_counter()
    with ThreadPoolExecutor(jobs) as pool:
        list(pool.map(run, paths))
    return time.perf_counter() - started


def main(count: int = 8) -> None:
    pages = [letter_page(seed) for seed in range(count)]
    rows: list[tuple[str, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for index, page in enumerate(pages):
            path = Path(tmp) / f"p{index}.png"
            page.image.save(path)
            paths.append(path)
        for jobs, limit in ((2, True), (1, False)):
            seconds = _raw_cli(paths, jobs, limit)
            label = f"raw tesseract CLI, {jobs} at a time" + (
                ", OMP_THREAD_LIMIT=1" if limit else ", own threads"
            )
            rows.append((label, count / seconds * 60, float("nan")))
    try:  # for comparison only: pytesseract is not a dependency of the project
        import pytesseract
    except ImportError:
        pytesseract = None
    if pytesseract is not None:
        os.environ["OMP_THREAD_LIMIT"] = "1"
        for jobs in (1, 2):
            started = time.perf_counter()
            with ThreadPoolExecutor(jobs) as pool:
                texts = list(
                    pool.map(lambda p: pytesseract.image_to_string(p.image, lang="deu+eng"), pages)
                )
            seconds = time.perf_counter() - started
            errors = [cer(t, p.text) for p, t in zip(pages, texts, strict=True)]
            rows.append(
                (
                    f"pytesseract (PNG temp file per page) jobs={jobs}",
                    count / seconds * 60,
                    sum(errors) / len(errors),
                )
            )
    engines = ["spawn"] + (["api"] if api_available() else [])
    for engine in engines:
        for jobs in (1, 2):
            started = time.perf_counter()
            results = list(ocr_pages((p.image for p in pages), jobs=jobs, engine=engine))
            seconds = time.perf_counter() - started
            errors = [cer(r.text, p.text) for p, (_, r) in zip(pages, results, strict=True)]
            rows.append(
                (
                    f"ocr_pages engine={engine} jobs={jobs}",
                    count / seconds * 60,
                    sum(errors) / len(errors),
                )
            )
    from ingest.pages import process_pages
    from ingest.pdfa import PdfaMetadata, pdfa_bytes

    started = time.perf_counter()
    prepared = []

    def ocr_done() -> Iterator[tuple[Image.Image, PageOcr | None]]:
        for page in process_pages((p.image for p in pages), jobs=2):
            prepared.append(page)
            yield page.image, page.ocr

    pdfa_bytes(ocr_done(), PdfaMetadata(title="Messung"))
    seconds = time.perf_counter() - started
    errors = [
        cer(pg.ocr.text if pg.ocr else "", p.text) for p, pg in zip(pages, prepared, strict=True)
    ]
    rows.append(
        (
            "process_pages + write_pdfa (deskew, checks, OCR, PDF/A), jobs=2",
            count / seconds * 60,
            sum(errors) / len(errors),
        )
    )
    print(f"{count} generated 300-dpi letters; {installation().version}")
    print(f"{'variant':58} {'pages/min':>9} {'CER':>7}")
    for label, rate, error in rows:
        print(f"{label:58} {rate:9.1f} {error:7.2%}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 8)
