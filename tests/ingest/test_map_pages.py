"""map_pages' scheduling: the workers keep going while the caller is busy, within a bounded
window, in order; errors come out where they belong and an early stop closes the source.

The tasks here do not call Tesseract (the engine is handed over but not used), so the tests
are about the scheduling alone and run in well under a second.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from PIL import Image

from dms.errors import UnsupportedContent
from ingest.ocr.tesseract import OcrEngine, map_pages

WAIT = 10.0  # seconds; only reached when the behaviour under test is missing


def _image(number: int) -> Image.Image:
    image = Image.new("L", (8, 8), 255)
    image.info["n"] = number
    return image


def _number(_: OcrEngine, image: Image.Image) -> int:
    return int(image.info["n"])


def test_workers_go_on_while_the_caller_holds_a_page() -> None:
    """While the caller works on page 0 (a letter's PDF/A and filing), the workers process
    the next pages, but no more than the window allows."""
    pulled: list[int] = []
    ran: dict[int, threading.Event] = {n: threading.Event() for n in range(8)}

    def source() -> Iterator[Image.Image]:
        for number in range(8):
            pulled.append(number)
            yield _image(number)

    def task(engine: OcrEngine, image: Image.Image) -> int:
        number = _number(engine, image)
        ran[number].set()
        return number

    results = map_pages(source(), task, jobs=2, engine="spawn", ahead=4)
    assert next(results) == 0
    # page 0 is held here; pages 1-3 fill the window and are processed meanwhile
    assert ran[3].wait(WAIT), "the workers waited for the caller"
    time.sleep(0.2)
    assert pulled == [0, 1, 2, 3]  # page 4 only once page 0 is given up
    assert list(results) == [1, 2, 3, 4, 5, 6, 7]


def test_a_slow_page_does_not_stall_the_other_worker() -> None:
    """Head-of-line: while page 0 takes long, the other worker reads pages 1, 2, 3."""
    release = threading.Event()
    done: list[int] = []

    def task(engine: OcrEngine, image: Image.Image) -> int:
        number = _number(engine, image)
        if number == 0:
            release.wait(WAIT)
        done.append(number)
        if number == 3:
            release.set()
        return number

    started = time.perf_counter()
    images = (_image(n) for n in range(6))
    order = list(map_pages(images, task, jobs=2, engine="spawn", ahead=4))
    assert order == [0, 1, 2, 3, 4, 5]  # handed over in input order all the same
    assert done[:4] == [1, 2, 3, 0]
    assert time.perf_counter() - started < WAIT / 2


def test_pages_before_a_damaged_one_are_handed_over_first() -> None:
    def source() -> Iterator[Image.Image]:
        for number in range(3):
            yield _image(number)
        raise UnsupportedContent("Seite 4 ist beschädigt / page 4 is damaged")

    got: list[int] = []
    with pytest.raises(UnsupportedContent, match="Seite 4"):
        for number in map_pages(source(), _number, jobs=2, engine="spawn"):
            got.append(number)
    assert got == [0, 1, 2]


def test_a_failing_page_stops_the_batch_and_closes_the_source() -> None:
    closed = threading.Event()

    def source() -> Iterator[Image.Image]:
        try:
            for number in range(100):
                yield _image(number)
        finally:
            closed.set()

    def task(engine: OcrEngine, image: Image.Image) -> int:
        number = _number(engine, image)
        if number == 2:
            raise RuntimeError("Tesseract abgestürzt")
        return number

    got: list[int] = []
    with pytest.raises(RuntimeError, match="abgestürzt"):
        for number in map_pages(source(), task, jobs=2, engine="spawn"):
            got.append(number)
    assert got == [0, 1]
    assert closed.is_set()
    assert not [t for t in threading.enumerate() if t.name.startswith("ocr")]


def test_stopping_early_closes_the_source_on_its_own_thread() -> None:
    """The source (e.g. load_pages with an open TIFF) is read and closed by the feeder thread,
    never by two threads at once; the caller's ``close()`` waits for that."""
    readers: set[str] = set()
    closed_by: list[str] = []

    def source() -> Iterator[Image.Image]:
        try:
            for number in range(100):
                readers.add(threading.current_thread().name)
                yield _image(number)
        finally:
            closed_by.append(threading.current_thread().name)

    results = map_pages(source(), _number, jobs=2, engine="spawn")
    assert next(results) == 0
    results.close()  # type: ignore[attr-defined]
    assert readers == {"ocr-feed"} and closed_by == ["ocr-feed"]
    assert not [t for t in threading.enumerate() if t.name.startswith("ocr")]
