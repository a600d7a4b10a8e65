"""The one wrapper around Tesseract: recognition, orientation detection, and parallel pages.

Two engines sit behind the small :class:`OcrEngine` interface and return the same
:class:`PageOcr` (both parse Tesseract's own TSV output, so the results agree field by field):

* ``api``: tesserocr, a persistent binding to libtesseract. The model is loaded once per
  worker thread, the image is handed over as raw bytes, and recognition runs with the GIL
  released, so threads really run in parallel. Used when tesserocr is installed.
* ``spawn``: one ``tesseract`` process per page (the way pytesseract works), fed an
  uncompressed PGM on stdin and answering TSV on stdout: no temporary files and no PNG
  encoding. Always available where the Debian package is.

Tesseract's own OpenMP threads make it many times slower on a 2-core machine (see
DESIGN.md); every process we start gets ``OMP_THREAD_LIMIT=1`` and pages run side by side
instead (:func:`ocr_pages`). The tesserocr wheel is built without OpenMP; a source build
against Debian's libtesseract would use it, so the variable is also set in our own
environment before tesserocr is first imported.

Missing pieces are reported once, typed, with the command that fixes them
(:class:`OcrUnavailable`); a page Tesseract cannot process raises :class:`OcrFailed`.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal, Protocol, TypeVar

from PIL import Image

from dms.errors import ConfigError, DmsError

DEFAULT_LANG = "deu+eng"
DEFAULT_DPI = 300
DEFAULT_TIMEOUT = 180.0  # seconds per page, as OCRmyPDF's default
EngineKind = Literal["auto", "api", "spawn"]
R = TypeVar("R")

_APT_PACKAGES = {
    "deu": "tesseract-ocr-deu",
    "eng": "tesseract-ocr-eng",
    "osd": "tesseract-ocr-osd",
}
_NOT_INSTALLED = (
    "Tesseract ist nicht installiert: apt-get install tesseract-ocr tesseract-ocr-deu"
    " / Tesseract is not installed: apt-get install tesseract-ocr tesseract-ocr-deu"
)


class OcrUnavailable(ConfigError):
    """Tesseract or one of its language models is not installed; the message names the fix."""

    code = "ocr_unavailable"
    http_status = 503


class OcrFailed(DmsError):
    """Tesseract ran but could not process a page (crash, timeout, unreadable image)."""

    code = "ocr_failed"
    http_status = 500


BBox = tuple[int, int, int, int]  # left, top, right, bottom in pixels of the OCR'd image


@dataclass(frozen=True)
class Word:
    text: str
    conf: float  # 0..100, Tesseract's word confidence
    bbox: BBox
    line: int  # index into PageOcr.lines


@dataclass(frozen=True)
class Orientation:
    """What OSD found: the page shows up turned ``angle`` degrees clockwise.

    Turning the image counter-clockwise by ``angle`` (PIL: ``image.rotate(angle)``, or the
    matching transpose) sets it upright. ``confidence`` is Tesseract's orientation
    confidence; about 2 is a guess, 15 is sure.
    """

    angle: int
    confidence: float
    script: str = ""


@dataclass(frozen=True)
class PageOcr:
    """The result for one page: text, words with boxes (for the PDF text layer), confidence."""

    text: str
    words: tuple[Word, ...]
    lines: tuple[BBox, ...]
    mean_confidence: float  # character-weighted mean word confidence, 0..100 (0: no text)
    width: int
    height: int
    dpi: int
    engine: str
    seconds: float


class OcrEngine(Protocol):
    """One Tesseract instance; not thread-safe: use one per thread (see :func:`ocr_pages`)."""

    name: str

    def recognize(self, image: Image.Image, lang: str = DEFAULT_LANG) -> PageOcr: ...

    def detect_orientation(self, image: Image.Image) -> Orientation: ...

    def close(self) -> None: ...


# --------------------------------------------------------------------------------- install


@dataclass(frozen=True)
class Installation:
    binary: str
    version: str
    tessdata: Path
    languages: frozenset[str]


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["OMP_THREAD_LIMIT"] = "1"
    return env


@lru_cache(maxsize=1)
def installation() -> Installation:
    """Locate the tesseract binary, its tessdata folder and languages (cached per process)."""
    binary = os.environ.get("DMS_TESSERACT_BINARY") or shutil.which("tesseract")
    if not binary:
        raise OcrUnavailable(_NOT_INSTALLED)
    try:
        version_out = subprocess.run(
            [binary, "--version"], capture_output=True, text=True, env=_child_env(), timeout=30
        )
        langs_out = subprocess.run(
            [binary, "--list-langs"], capture_output=True, text=True, env=_child_env(), timeout=30
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise OcrUnavailable(_NOT_INSTALLED) from exc
    version = (version_out.stdout or version_out.stderr).split("\n", 1)[0].strip()
    listing = langs_out.stdout + langs_out.stderr
    folder = re.search(r'List of available languages in "([^"]+)"', listing)
    if langs_out.returncode != 0 or not folder:
        raise OcrUnavailable(_NOT_INSTALLED)
    languages = frozenset(
        line.strip() for line in listing.splitlines()[1:] if line.strip() and " " not in line
    )
    return Installation(binary, version, Path(folder.group(1)), languages)


def require_languages(lang: str) -> Installation:
    """Check every model in ``lang`` (e.g. ``deu+eng``) is installed, or say how to get it."""
    found = installation()
    missing = [code for code in lang.split("+") if code not in found.languages]
    if missing:
        packages = " ".join(_APT_PACKAGES.get(code, f"tesseract-ocr-{code}") for code in missing)
        names = ", ".join(missing)
        raise OcrUnavailable(
            f"Tesseract-Sprachmodell fehlt ({names}): apt-get install {packages}"
            f" / Tesseract language model missing ({names}): apt-get install {packages}"
        )
    return found


# ------------------------------------------------------------------------------ TSV result


def _dpi_of(image: Image.Image) -> int:
    dpi = image.info.get("dpi")
    try:
        value = round(float(dpi[0])) if dpi else DEFAULT_DPI
    except (TypeError, ValueError, IndexError):
        value = DEFAULT_DPI
    return value if 70 <= value <= 2400 else DEFAULT_DPI


def _grey(image: Image.Image) -> Image.Image:
    return image if image.mode == "L" else image.convert("L")


def parse_tsv(
    tsv: str, *, width: int, height: int, dpi: int, engine: str, seconds: float
) -> PageOcr:
    """Turn Tesseract's TSV (levels 1-5) into a PageOcr; text is rebuilt line by line."""
    lines: list[BBox] = []
    line_index: dict[tuple[str, str, str], int] = {}
    words: list[Word] = []
    for row in tsv.splitlines():
        cols = row.split("\t")
        if len(cols) < 11 or not cols[0].isdigit():
            continue  # header, or a truncated row
        level = cols[0]
        key = (cols[2], cols[3], cols[4])
        left, top, w, h = (int(c) for c in cols[6:10])
        if level == "4":
            line_index[key] = len(lines)
            lines.append((left, top, left + w, top + h))
        elif level == "5":
            text = cols[11].strip() if len(cols) > 11 else ""
            if not text:
                continue
            if key not in line_index:  # never seen from Tesseract, but keep the word
                line_index[key] = len(lines)
                lines.append((left, top, left + w, top + h))
            conf = max(0.0, float(cols[10]))
            words.append(Word(text, conf, (left, top, left + w, top + h), line_index[key]))
    text_parts: list[str] = []
    previous: tuple[str, str, str] | None = None
    keys = {index: key for key, index in line_index.items()}
    for word in words:
        key = keys[word.line]
        if previous is None:
            pass
        elif key == previous:
            text_parts.append(" ")
        elif key[:2] == previous[:2]:
            text_parts.append("\n")
        else:
            text_parts.append("\n\n")  # new paragraph or block
        text_parts.append(word.text)
        previous = key
    chars = sum(len(w.text) for w in words)
    mean = sum(w.conf * len(w.text) for w in words) / chars if chars else 0.0
    return PageOcr(
        text="".join(text_parts),
        words=tuple(words),
        lines=tuple(lines),
        mean_confidence=round(mean, 2),
        width=width,
        height=height,
        dpi=dpi,
        engine=engine,
        seconds=round(seconds, 3),
    )


_OSD_ANGLE = re.compile(r"Orientation in degrees:\s*(\d+)")
_OSD_CONF = re.compile(r"Orientation confidence:\s*([\d.]+)")
_OSD_SCRIPT = re.compile(r"Script:\s*(\S+)")


# --------------------------------------------------------------------------- spawn engine


class SpawnEngine:
    """One ``tesseract`` process per call; thread-safe, since nothing is shared."""

    name = "spawn"

    def __init__(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.timeout = timeout
        self._binary = installation().binary

    def _run(self, image: Image.Image, args: list[str]) -> subprocess.CompletedProcess[bytes]:
        grey = _grey(image)
        pgm = b"P5\n%d %d\n255\n" % grey.size + grey.tobytes()
        command = [self._binary, "stdin", "stdout", *args]
        try:
            return subprocess.run(
                command, input=pgm, capture_output=True, env=_child_env(), timeout=self.timeout
            )
        except subprocess.TimeoutExpired as exc:
            raise OcrFailed(
                f"Texterkennung nach {self.timeout:.0f} s abgebrochen"
                f" / OCR timed out after {self.timeout:.0f} s"
            ) from exc
        except OSError as exc:
            raise OcrUnavailable(_NOT_INSTALLED) from exc

    def recognize(self, image: Image.Image, lang: str = DEFAULT_LANG) -> PageOcr:
        require_languages(lang)
        started = time.perf_counter()
        dpi = _dpi_of(image)
        done = self._run(image, ["-l", lang, "--psm", "3", "--dpi", str(dpi), "tsv"])
        if done.returncode != 0:
            raise OcrFailed(
                "Texterkennung fehlgeschlagen / OCR failed: "
                + done.stderr.decode("utf-8", "replace").strip()[-500:]
            )
        return parse_tsv(
            done.stdout.decode("utf-8", "replace"),
            width=image.width,
            height=image.height,
            dpi=dpi,
            engine=self.name,
            seconds=time.perf_counter() - started,
        )

    def detect_orientation(self, image: Image.Image) -> Orientation:
        require_languages("osd")
        dpi = _dpi_of(image)
        done = self._run(image, ["--psm", "0", "--dpi", str(dpi)])
        output = done.stdout.decode("utf-8", "replace")
        angle, conf = _OSD_ANGLE.search(output), _OSD_CONF.search(output)
        if done.returncode != 0 or not angle or not conf:
            return Orientation(0, 0.0)  # "Too few characters": nothing to go by
        script = _OSD_SCRIPT.search(output)
        return Orientation(
            int(angle.group(1)) % 360, float(conf.group(1)), script.group(1) if script else ""
        )

    def close(self) -> None:
        pass


# ----------------------------------------------------------------------------- API engine


def _import_tesserocr():  # noqa: ANN202 - optional module
    os.environ["OMP_THREAD_LIMIT"] = "1"  # before libtesseract (and any libgomp) loads
    import tesserocr

    return tesserocr


@lru_cache(maxsize=1)
def api_available() -> bool:
    """True if tesserocr imports and can load a model from the installed tessdata."""
    try:
        tesserocr = _import_tesserocr()
        found = installation()
        with tesserocr.PyTessBaseAPI(
            path=str(found.tessdata), lang="eng" if "eng" in found.languages else "osd"
        ):
            pass
    except Exception:  # noqa: BLE001 - any failure just means "use spawn"
        return False
    return True


class ApiEngine:
    """A persistent tesserocr API per language; one instance per thread."""

    name = "api"

    def __init__(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.timeout = timeout
        self._tesserocr = _import_tesserocr()
        self._tessdata = str(installation().tessdata)
        self._apis: dict[str, object] = {}

    def _api(self, lang: str, psm: int):  # noqa: ANN202
        key = f"{lang}:{psm}"
        api = self._apis.get(key)
        if api is None:
            api = self._tesserocr.PyTessBaseAPI(path=self._tessdata, lang=lang, psm=psm)
            self._apis[key] = api
        return api

    def _set_image(self, api, image: Image.Image) -> bytes:  # noqa: ANN001
        grey = _grey(image)
        data = grey.tobytes()
        api.SetImageBytes(data, grey.width, grey.height, 1, grey.width)
        api.SetSourceResolution(_dpi_of(image))
        return data  # the API does not copy: keep the buffer alive until done

    def recognize(self, image: Image.Image, lang: str = DEFAULT_LANG) -> PageOcr:
        require_languages(lang)
        started = time.perf_counter()
        api = self._api(lang, self._tesserocr.PSM.AUTO)
        data = self._set_image(api, image)
        try:
            if not api.Recognize(timeout=int(self.timeout * 1000)):
                raise OcrFailed(
                    "Texterkennung fehlgeschlagen oder nach"
                    f" {self.timeout:.0f} s abgebrochen / OCR failed or timed out"
                )
            tsv = api.GetTSVText(0)
        finally:
            api.Clear()
            del data
        return parse_tsv(
            tsv,
            width=image.width,
            height=image.height,
            dpi=_dpi_of(image),
            engine=self.name,
            seconds=time.perf_counter() - started,
        )

    def detect_orientation(self, image: Image.Image) -> Orientation:
        require_languages("osd")
        api = self._api("osd", self._tesserocr.PSM.OSD_ONLY)
        data = self._set_image(api, image)
        try:
            found = api.DetectOrientationScript()
        finally:
            api.Clear()
            del data
        if not found:
            return Orientation(0, 0.0)
        return Orientation(
            int(found["orient_deg"]) % 360,
            float(found["orient_conf"]),
            str(found.get("script_name", "")),
        )

    def close(self) -> None:
        for api in self._apis.values():
            api.End()
        self._apis.clear()


def make_engine(kind: EngineKind = "auto", timeout: float = DEFAULT_TIMEOUT) -> OcrEngine:
    """An engine of the given kind; ``auto`` takes the persistent API where it works."""
    installation()  # raises OcrUnavailable with the apt-get line if Tesseract is missing
    if kind == "api" or (kind == "auto" and api_available()):
        return ApiEngine(timeout)
    return SpawnEngine(timeout)


# --------------------------------------------------------------------------- many pages


class EnginePool:
    """``size`` engines handed out one per running task (engines are not thread-safe)."""

    def __init__(
        self, kind: EngineKind = "auto", size: int = 2, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        self._kind, self._timeout = kind, timeout
        self._idle: queue.LifoQueue[OcrEngine] = queue.LifoQueue()
        self._all: list[OcrEngine] = []
        self._lock = threading.Lock()
        self._size = size

    def _take(self) -> OcrEngine:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            if len(self._all) < self._size:
                engine = make_engine(self._kind, self._timeout)
                self._all.append(engine)
                return engine
        return self._idle.get()

    def run(self, task: Callable[[OcrEngine, Image.Image], R], image: Image.Image) -> R:
        engine = self._take()
        try:
            return task(engine, image)
        finally:
            self._idle.put(engine)

    def close(self) -> None:
        for engine in self._all:
            engine.close()
        self._all.clear()


def ocr_pages(
    images: Iterable[Image.Image],
    *,
    lang: str = DEFAULT_LANG,
    jobs: int = 2,
    engine: EngineKind = "auto",
    timeout: float = DEFAULT_TIMEOUT,
) -> Iterator[tuple[Image.Image, PageOcr]]:
    """OCR pages ``jobs`` at a time; yields ``(image, result)`` in input order.

    Pages are read from ``images`` ahead of the caller, but only a few at a time (see
    :func:`map_pages`): a 200-page batch streams through in bounded memory as long
    as the caller's iterable decodes lazily and the caller lets go of each page after use.
    A missing Tesseract or language model raises :class:`OcrUnavailable` right here, before
    the first page is read.
    """
    require_languages(lang)

    def read(ocr: OcrEngine, image: Image.Image) -> tuple[Image.Image, PageOcr]:
        return image, ocr.recognize(image, lang)

    return map_pages(images, read, jobs=jobs, engine=engine, timeout=timeout)


def map_pages(
    images: Iterable[Image.Image],
    task: Callable[[OcrEngine, Image.Image], R],
    *,
    jobs: int = 2,
    engine: EngineKind = "auto",
    timeout: float = DEFAULT_TIMEOUT,
    ahead: int | None = None,
) -> Iterator[R]:
    """Run ``task(engine, image)`` on ``jobs`` threads, each with its own engine; yields the
    results in input order.

    The building block of :func:`ocr_pages` and of page preparation (which straightens a
    page and OCRs it in the same worker). The workers are kept fed while the caller is busy:
    a feeder thread pulls (decodes) the next pages from ``images`` and queues them, so
    neither decoding nor the caller's own work on a finished page (a letter's PDF/A,
    extraction and filing) leaves a core idle, and a quick page (a separator sheet) or a
    slow one does not hold up the others. Memory stays bounded: at most ``ahead`` pages
    (default ``2 * jobs + 2``: a batch that alternates separator sheets and one-page letters
    still keeps both workers reading while the caller files a letter) are pulled from
    ``images`` and not yet given up by the caller; a page counts until the caller asks for
    the next one. Only the task's result is kept, not the image it was made from.

    ``images`` is iterated on the feeder thread only, and closed there (a generator's
    ``finally`` runs) when the caller stops early. An exception from ``images`` comes out
    of this iterator in order, after the pages read before it; if a task raises, its
    exception comes out at that page, and the pages after it are not processed.
    """
    installation()  # fail before the first page, not inside a worker
    jobs = max(1, jobs)
    window = max(jobs + 1, ahead or 2 * jobs + 2)
    return _map_pages(images, task, jobs, engine, timeout, window)


@dataclass(frozen=True)
class _SourceFailed:
    """What the feeder hands over when reading the next page raised."""

    error: BaseException


_SOURCE_DONE = object()


def _map_pages(
    images: Iterable[Image.Image],
    task: Callable[[OcrEngine, Image.Image], R],
    jobs: int,
    engine: EngineKind,
    timeout: float,
    ahead: int,
) -> Iterator[R]:
    pool = EnginePool(engine, jobs, timeout)
    executor = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="ocr")
    window = threading.Semaphore(ahead)  # pages pulled and not yet given up by the caller
    handoff: queue.SimpleQueue[object] = queue.SimpleQueue()
    stop = threading.Event()

    def feed() -> None:
        source = iter(images)
        try:
            while True:
                window.acquire()
                if stop.is_set():
                    return
                try:
                    image = next(source)
                except StopIteration:
                    handoff.put(_SOURCE_DONE)
                    return
                except BaseException as exc:  # noqa: BLE001 - handed to the caller, in order
                    handoff.put(_SourceFailed(exc))
                    return
                handoff.put(executor.submit(pool.run, task, image))
                del image  # the worker's reference is the last one
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()

    feeder = threading.Thread(target=feed, name="ocr-feed", daemon=True)
    feeder.start()
    try:
        while True:
            item = handoff.get()
            if item is _SOURCE_DONE:
                return
            if isinstance(item, _SourceFailed):
                raise item.error
            assert isinstance(item, Future)
            result = item.result()
            del item
            yield result
            del result
            window.release()  # the caller has let go of that page: pull one more
    finally:
        stop.set()
        window.release(ahead + 1)  # wake the feeder if it waits for room
        feeder.join()
        executor.shutdown(wait=True, cancel_futures=True)
        pool.close()
