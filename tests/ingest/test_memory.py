"""A 50-page batch streams through page by page: peak memory stays far below the batch size."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from tests.ingest.scans import A4_PX, blank_page, letter_page, multi_page_tiff

ROOT = Path(__file__).resolve().parents[2]
PAGES = 50
TEXT_AT = (0, 24, 49)

# Runs in a fresh interpreter so that the peaks are this batch's and nothing else's. Two peaks:
# VmHWM (all resident memory), and the anonymous part sampled every 2 ms. libtiff maps the
# TIFF file into memory to decode it; those file-backed pages count in ru_maxrss and grow with
# the file's size, but they are page cache the kernel can drop, not memory the batch holds.
SCRIPT = """
import json, re, sys, threading, time

peak_anon = 0
done = False

def sample():
    global peak_anon
    while not done:
        with open("/proc/self/status") as fh:
            anon = int(re.search(r"RssAnon:\\s+(\\d+)", fh.read()).group(1))
        peak_anon = max(peak_anon, anon)
        time.sleep(0.002)

sampler = threading.Thread(target=sample, daemon=True)
sampler.start()

from ingest.pages import load_pages, process_pages
from ingest.pdfa import PdfaMetadata, write_pdfa

kinds = []

def content():
    for page in process_pages(load_pages(sys.argv[1]), jobs=2):
        kinds.append(page.kind)
        if page.kind == "content":
            yield page.image, page.ocr

count = write_pdfa(content(), sys.argv[2], PdfaMetadata(title="Stapel"))
done = True
sampler.join()
with open("/proc/self/status") as fh:  # VmHWM: ru_maxrss would include the parent's peak
    hwm = int(re.search(r"VmHWM:\\s+(\\d+)", fh.read()).group(1))
print(json.dumps({"kinds": kinds, "pdf_pages": count, "peak_anon_mib": peak_anon / 1024,
                  "peak_rss_mib": hwm / 1024}))
"""


@pytest.mark.slow
def test_fifty_page_tiff_is_processed_in_bounded_memory(tmp_path: Path) -> None:
    # Colour pages, without Gaussian noise and PackBits-compressed: quick to make and decode.
    blank = blank_page(1, specks=60, noise=0).image
    blank_rgb = Image.merge("RGB", [blank, blank, blank])
    letters = {index: letter_page(index, mode="RGB", noise=0).image for index in TEXT_AT}
    pages = [letters.get(index, blank_rgb) for index in range(PAGES)]
    tiff = tmp_path / "stapel.tif"
    tiff.write_bytes(multi_page_tiff(pages, compression="packbits"))
    del pages, letters

    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tiff), str(tmp_path / "stapel.pdf")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])

    assert len(result["kinds"]) == PAGES
    assert [i for i, kind in enumerate(result["kinds"]) if kind == "content"] == list(TEXT_AT)
    assert result["pdf_pages"] == len(TEXT_AT)
    decoded_mib = PAGES * A4_PX[0] * A4_PX[1] * 3 / 2**20  # 1,245 MiB of RGB pages
    # Interpreter, numpy, pikepdf and two Tesseract models take ~110 MiB; a few pages in
    # flight (a 300-dpi RGB page is 25 MiB) and the workers' copies come on top, ~350 MiB in
    # all, the same for 10 pages as for 50. Holding the batch would be 1.2 GiB.
    assert result["peak_anon_mib"] < decoded_mib / 3, result
    assert result["peak_rss_mib"] < decoded_mib / 2, result
