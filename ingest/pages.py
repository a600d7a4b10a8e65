"""Page preparation: load scanned pages, drop blank ones, find separators, straighten, OCR.

Loading (:func:`load_pages`) streams pages one at a time from image-only PDFs (rendered by
pdfium at 300 dpi), multi-page TIFFs, JPEGs and PNGs; nothing holds a whole batch in memory.
Images larger than :data:`MAX_PAGE_PIXELS` are refused before they are decoded (a
decompression bomb is a few KiB on disk and gigabytes in memory).

Per page (:func:`process_page`, run in parallel by :func:`process_pages`):

1. a ~100 dpi grey copy is made once; the blank test and the skew estimate both use it;
2. blank: share of dark pixels inside a margin, after binarising against the paper's own
   brightness (recycled paper is grey, not white); duplex back sides fall below the threshold;
3. separator sheet: a QR code with ``DMS-SEP`` (see :mod:`ingest.barcodes`);
4. deskew: the angle (±5°) at which the horizontal projection profile of the dark pixels is
   sharpest, coarse-to-fine; then one bicubic rotation of the full page;
5. OCR; and orientation: Tesseract's OSD (``--psm 0``) is asked only when the page looks
   sideways (text lines run vertically) or the OCR confidence is poor, as for an upside-down
   page. Upright pages, nearly all of a mailroom's, pay nothing for it. A turned page is
   transposed losslessly from the original, straightened again and OCR'd again, and the
   better of the two readings is kept.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from dms.content.pdf import render_pages
from dms.content.sniff import sniff
from dms.errors import UnsupportedContent
from ingest.barcodes import SeparatorInfo, is_separator
from ingest.ocr.tesseract import (
    DEFAULT_LANG,
    DEFAULT_TIMEOUT,
    EngineKind,
    OcrEngine,
    Orientation,
    PageOcr,
    map_pages,
    require_languages,
)
from ingest.pdfa import EncodedImage, ImageOptions, encode_image

DEFAULT_DPI = 300
# A3 at 600 dpi is 70 Mpx, an A4 page at 1200 dpi 139 Mpx; a mailroom scanner makes
# 300-dpi A4 (8.7 Mpx). 100 Mpx (300 MB as RGB) leaves room for large plans.
MAX_PAGE_PIXELS = 100_000_000
MAX_PAGES = 2_000
# Pillow's own guard (a warning above this, an error above twice this) is set to ours, as a
# backstop for code that opens images without going through load_pages. load_pages refuses
# anything over the limit itself, before decoding, with a message a person can act on.
Image.MAX_IMAGE_PIXELS = MAX_PAGE_PIXELS

_WORK_DPI = 100  # the grey copy used for the blank test and the skew estimate
_OSD_DPI = 150  # Tesseract's OSD is as reliable at 150 dpi as at 300, and 3x faster
_A4_LONG_INCHES = 297 / 25.4

PageKind = Literal["content", "blank", "separator"]

TOO_LARGE = (
    "Bild ist zu groß ({pixels} Megapixel, höchstens {limit}); möglicherweise eine"
    " Dekompressionsbombe. Bitte mit höchstens 600 dpi scannen. / Image is too large"
    " ({pixels} megapixels, at most {limit}); possibly a decompression bomb. Please scan at"
    " 600 dpi or less."
)
DAMAGED_IMAGE = (
    "Bilddatei ist beschädigt oder unvollständig und kann nicht gelesen werden. / Image file"
    " is damaged or truncated and cannot be read."
)
UNSUPPORTED = (
    "Dateityp {mime} wird für Scans nicht unterstützt (erlaubt: PDF, TIFF, JPEG, PNG). /"
    " File type {mime} is not supported for scans (allowed: PDF, TIFF, JPEG, PNG)."
)
TOO_MANY_PAGES = (
    "Zu viele Seiten in einer Datei (mehr als {limit}); bitte den Stapel teilen. / Too many"
    " pages in one file (more than {limit}); please split the batch."
)


@dataclass(frozen=True)
class PageSettings:
    """How pages are prepared; the pipeline fills this from its settings."""

    lang: str = DEFAULT_LANG
    # A page with less than this share of dark pixels (inside the margin, specks of dust not
    # counted) is blank. A typed letter has 2-6 %, a single word ("Anlage") about 0.025 %,
    # a dusty back side under 0.002 %.
    blank_threshold: float = 0.0001
    # Share of the width/height ignored at each edge: punch holes sit 9-15 mm from the left
    # (a back side: right) edge, scanner edges and staple shadows close to the border.
    blank_margin: tuple[float, float] = (0.075, 0.04)
    drop_blank: bool = True
    detect_separators: bool = True
    deskew: bool = True
    max_skew: float = 5.0  # degrees
    orient: bool = True
    osd_min_confidence: float = 2.0  # OSD answers below this are ignored
    osd_below_confidence: float = 70.0  # a reading this poor makes us try another orientation


@dataclass
class Page:
    """One prepared page. ``image`` is upright and straightened for content pages."""

    kind: PageKind
    image: Image.Image
    ocr: PageOcr | None = None
    separator: SeparatorInfo | None = None
    ink: float = 0.0  # share of dark pixels, as used by the blank test
    rotated: int = 0  # degrees turned counter-clockwise to make it upright (0/90/180/270)
    skew: float = 0.0  # degrees the page was straightened by (counter-clockwise positive)
    orientation: Orientation | None = None  # Tesseract's OSD answer, if it was asked
    timings: dict[str, float] = field(default_factory=dict)
    # The prepared content page compressed for the PDF/A (see process_pages' ``encode``).
    encoded: EncodedImage | None = None


# ------------------------------------------------------------------------------- loading


def _guess_dpi(image: Image.Image, declared: object) -> float:
    """The declared resolution, unless missing or absurd; then assume an A4 page."""
    try:
        dpi = float(declared[0])  # type: ignore[index]
    except (TypeError, ValueError, IndexError):
        dpi = 0.0
    long_side = max(image.size)
    if dpi < 50 or long_side / dpi > 20 or long_side / dpi < 2:  # inches
        dpi = long_side / _A4_LONG_INCHES
    return round(dpi, 2)


def normalise_mode(image: Image.Image) -> Image.Image:
    """Bring any image to 1-bit, grey or RGB on a white background; keep the resolution."""
    dpi = image.info.get("dpi")
    mode = image.mode
    if mode in ("1", "L", "RGB"):
        result = image
    elif mode in ("RGBA", "LA", "PA", "P") and (mode != "P" or "transparency" in image.info):
        rgba = image.convert("RGBA")
        result = Image.new("RGB", image.size, "white")
        result.paste(rgba, mask=rgba.getchannel("A"))
    elif mode.startswith("I;16") or mode in ("I", "F"):
        array = np.asarray(image, dtype=np.float64)
        top = array.max() or 1.0
        result = Image.fromarray((array * (255.0 / top)).astype(np.uint8), "L")
    else:  # P, CMYK, YCbCr, LAB, HSV, ...
        result = image.convert("RGB")
    result.info["dpi"] = (_guess_dpi(image, dpi),) * 2
    return result


def _check_size(image: Image.Image, max_pixels: int) -> None:
    pixels = image.width * image.height
    if pixels > max_pixels:
        raise UnsupportedContent(
            TOO_LARGE.format(pixels=round(pixels / 1e6), limit=round(max_pixels / 1e6))
        )


def _image_frames(path: Path, max_pixels: int, max_pages: int) -> Iterator[Image.Image]:
    try:
        with Image.open(path) as image:
            for index, frame in enumerate(ImageSequence.Iterator(image)):
                if index >= max_pages:
                    raise UnsupportedContent(TOO_MANY_PAGES.format(limit=max_pages))
                _check_size(frame, max_pixels)
                dpi = frame.info.get("dpi") or image.info.get("dpi")
                page = frame.copy()  # decodes this frame only
                ImageOps.exif_transpose(page, in_place=True)  # phone photos: EXIF orientation
                page.info["dpi"] = dpi
                yield normalise_mode(page)
    except Image.DecompressionBombError as exc:
        size = re.search(r"\((\d+) pixels\)", str(exc))
        pixels = round(int(size.group(1)) / 1e6) if size else "?"
        raise UnsupportedContent(
            TOO_LARGE.format(pixels=pixels, limit=round(max_pixels / 1e6))
        ) from exc
    except UnidentifiedImageError as exc:
        raise UnsupportedContent(DAMAGED_IMAGE) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise UnsupportedContent(DAMAGED_IMAGE) from exc


def load_pages(
    path: str | Path,
    *,
    dpi: float = DEFAULT_DPI,
    max_pixels: int = MAX_PAGE_PIXELS,
    max_pages: int = MAX_PAGES,
) -> Iterator[Image.Image]:
    """The pages of a scan file, one at a time, as 1-bit, grey or RGB images.

    PDFs are rendered at ``dpi`` (large pages at less, to stay within ``max_pixels``); image
    files keep their own resolution, found in ``info["dpi"]`` (guessed from an A4 page size
    where the file does not say or says nonsense). Anything else, damaged files and
    images over ``max_pixels`` raise UnsupportedContent with a reason a person can read.
    """
    path = Path(path)
    with path.open("rb") as fh:
        head = fh.read(4096)
    mime = sniff(head, path.name)
    if mime == "application/pdf":
        for index, page in enumerate(render_pages(path, dpi, max_pixels=max_pixels)):
            if index >= max_pages:
                raise UnsupportedContent(TOO_MANY_PAGES.format(limit=max_pages))
            yield page
    elif mime in ("image/tiff", "image/jpeg", "image/png"):
        yield from _image_frames(path, max_pixels, max_pages)
    else:
        raise UnsupportedContent(UNSUPPORTED.format(mime=mime))


# ------------------------------------------------------------------------- measurements


def _dpi(image: Image.Image) -> float:
    dpi = image.info.get("dpi")
    try:
        return float(dpi[0]) if dpi and float(dpi[0]) > 0 else DEFAULT_DPI
    except (TypeError, ValueError, IndexError):
        return DEFAULT_DPI


def _reduced_grey(image: Image.Image, target_dpi: float) -> Image.Image:
    """A grey copy at about ``target_dpi`` (box-averaged, so specks fade and strokes stay)."""
    grey = image.convert("L") if image.mode != "L" else image
    factor = int(_dpi(image) // target_dpi)
    small = grey.reduce(factor) if factor >= 2 else grey.copy()
    small.info["dpi"] = (_dpi(image) / max(1, factor),) * 2
    return small


_COLOUR_CHECKED = "dms_colour_checked"


def drop_colour_if_grey(image: Image.Image, tolerance: int = 40) -> Image.Image:
    """A grey copy of an RGB page that has no real colour in it, else the page itself.

    Scanners often deliver grey paper as RGB; as grey it OCRs, turns and compresses in a third
    of the time and space. "No colour" means fewer than 0.05 % of the pixels of a ~50 dpi copy
    differ between channels by more than ``tolerance``; a coloured logo, stamp or blue-ink
    signature is more than that, and keeps the page in colour.
    """
    if image.mode != "RGB" or image.info.get(_COLOUR_CHECKED):
        return image
    factor = max(1, int(_dpi(image) // 50))
    small = np.asarray(image.reduce(factor) if factor >= 2 else image, dtype=np.int16)
    spread = small.max(axis=2) - small.min(axis=2)
    if float((spread > tolerance).mean()) >= 0.0005:
        image.info[_COLOUR_CHECKED] = True  # asked again further on (process_page): answered
        return image
    grey = image.convert("L")
    grey.info["dpi"] = image.info.get("dpi", (DEFAULT_DPI, DEFAULT_DPI))
    return grey


def _dark_mask(grey: np.ndarray) -> np.ndarray:
    """Dark pixels relative to the paper: below 60 % of its brightness (90th percentile)."""
    histogram = np.bincount(grey.ravel(), minlength=256)
    paper = int(np.searchsorted(np.cumsum(histogram), 0.9 * grey.size))
    if paper < 96:  # a dark page (photo, black cover): everything is "ink"
        return np.ones_like(grey, dtype=bool)
    return grey < int(paper * 0.6)


def ink_share(image: Image.Image, margin: tuple[float, float] = PageSettings.blank_margin) -> float:
    """Share of dark pixels on the page, ignoring ``margin`` (x, y) at each edge (0..1)."""
    return _ink_share(np.asarray(_reduced_grey(image, _WORK_DPI)), margin)


def _ink_share(small: np.ndarray, margin: tuple[float, float]) -> float:
    height, width = small.shape
    dx, dy = int(width * margin[0]), int(height * margin[1])
    inner = small[dy : height - dy, dx : width - dx]
    if inner.size == 0:
        return 0.0
    dark = _dark_mask(inner)
    # Dust: a dark pixel (at ~100 dpi) with no dark 8-neighbour is a speck, not writing.
    padded = np.pad(dark, 1)
    neighbours = np.zeros_like(dark)
    for dy_, dx_ in ((0, 0), (0, 1), (0, 2), (1, 0), (1, 2), (2, 0), (2, 1), (2, 2)):
        neighbours |= padded[dy_ : dy_ + dark.shape[0], dx_ : dx_ + dark.shape[1]]
    return float((dark & neighbours).mean())


def is_blank(
    image: Image.Image,
    threshold: float = PageSettings.blank_threshold,
    margin: tuple[float, float] = PageSettings.blank_margin,
) -> bool:
    """True for an empty page (e.g. the back side of a duplex scan)."""
    return ink_share(image, margin) < threshold


@dataclass(frozen=True)
class Skew:
    angle: float  # degrees the content is turned counter-clockwise; rotate by -angle to fix
    sideways: bool  # text lines run vertically: the page lies at 90°/270°


def _profile_score(ys: np.ndarray, xs: np.ndarray, angle: float) -> float:
    radians = math.radians(angle)
    projected = np.rint(ys * math.cos(radians) + xs * math.sin(radians)).astype(np.int64)
    counts = np.bincount(projected - projected.min())
    return float(np.dot(counts, counts))


def _best_angle(ys: np.ndarray, xs: np.ndarray, max_angle: float) -> tuple[float, float]:
    angles = np.arange(-max_angle, max_angle + 1e-9, 0.5)
    scores = [_profile_score(ys, xs, a) for a in angles]
    best = float(angles[int(np.argmax(scores))])
    for step in (0.1, 0.02):
        fine = np.arange(best - 5 * step, best + 5 * step + 1e-9, step)
        scores = [_profile_score(ys, xs, a) for a in fine]
        best = float(fine[int(np.argmax(scores))])
    return best, max(scores)


def estimate_skew(image: Image.Image, max_angle: float = 5.0) -> Skew:
    """Skew of the text lines within ±``max_angle``, from a ~100 dpi copy (a few ms)."""
    return _estimate_skew(np.asarray(_reduced_grey(image, _WORK_DPI)), max_angle)


def _estimate_skew(small: np.ndarray, max_angle: float) -> Skew:
    ys, xs = np.nonzero(_dark_mask(small))
    if ys.size < 500 or ys.size > 0.5 * small.size:
        return Skew(0.0, False)  # nothing to go by (near-blank or a dark photo)
    if ys.size > 150_000:
        step = ys.size // 150_000 + 1
        ys, xs = ys[::step], xs[::step]
    ys = ys.astype(np.float64) - small.shape[0] / 2
    xs = xs.astype(np.float64) - small.shape[1] / 2
    angle, horizontal = _best_angle(ys, xs, max_angle)
    _, vertical = _best_angle(xs, -ys, max_angle)
    return Skew(round(angle, 2), vertical > 1.15 * horizontal)


def rotate_small(image: Image.Image, angle: float) -> Image.Image:
    """Turn ``image`` counter-clockwise by a small ``angle`` (degrees), keeping its size."""
    fill = {"1": 1, "L": 255, "RGB": (255, 255, 255)}.get(image.mode, 255)
    # Bilinear: a third of bicubic's time (100 vs 290 ms for a grey 300-dpi A4 page), and
    # no visible difference for turns of a few degrees at 300 dpi.
    resample = Image.Resampling.NEAREST if image.mode == "1" else Image.Resampling.BILINEAR
    turned = image.rotate(angle, resample=resample, fillcolor=fill)
    turned.info["dpi"] = image.info.get("dpi", (DEFAULT_DPI, DEFAULT_DPI))
    return turned


def deskew(image: Image.Image, max_angle: float = 5.0) -> tuple[Image.Image, float]:
    """The straightened page and the angle it was turned by (0.0: left as it was)."""
    skew = estimate_skew(image, max_angle)
    if abs(skew.angle) < 0.1 or skew.sideways:
        return image, 0.0
    return rotate_small(image, -skew.angle), -skew.angle


_TRANSPOSE = {
    90: Image.Transpose.ROTATE_90,
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_270,
}


def turn(image: Image.Image, degrees: int) -> Image.Image:
    """Turn by a multiple of 90° counter-clockwise, losslessly."""
    degrees %= 360
    if not degrees:
        return image
    turned = image.transpose(_TRANSPOSE[degrees])
    turned.info["dpi"] = image.info.get("dpi", (DEFAULT_DPI, DEFAULT_DPI))
    return turned


def detect_orientation(engine: OcrEngine, image: Image.Image) -> Orientation:
    """Tesseract's OSD on a ~150 dpi copy: how far the page is turned clockwise."""
    return engine.detect_orientation(_reduced_grey(image, _OSD_DPI))


def fix_orientation(
    engine: OcrEngine, image: Image.Image, min_confidence: float = 2.0
) -> tuple[Image.Image, Orientation]:
    """The page turned upright if OSD is at least ``min_confidence`` sure, and its answer.

    For use on its own (the mailroom's "rotate" button); :func:`process_page` asks OSD only
    when it has a reason to.
    """
    found = detect_orientation(engine, image)
    if found.angle and found.confidence >= min_confidence:
        return turn(image, found.angle), found
    return image, found


# ------------------------------------------------------------------------------ per page


def _straighten(
    image: Image.Image, settings: PageSettings, skew: Skew | None = None
) -> tuple[Image.Image, float]:
    """The page turned by its skew (estimated unless given), and the angle turned by."""
    if skew is None:
        skew = _estimate_skew(np.asarray(_reduced_grey(image, _WORK_DPI)), settings.max_skew)
    if settings.deskew and not skew.sideways and abs(skew.angle) >= 0.1:
        return rotate_small(image, -skew.angle), -skew.angle
    return image, 0.0


@dataclass
class _Reading:
    image: Image.Image
    ocr: PageOcr
    rotated: int
    skew: float


def _read(
    engine: OcrEngine,
    image: Image.Image,
    rotation: int,
    settings: PageSettings,
    skew: Skew | None = None,
) -> _Reading:
    """Turn by ``rotation`` (counter-clockwise), straighten, and OCR."""
    turned = turn(image, rotation)
    straight, applied = _straighten(turned, settings, skew if rotation == 0 else None)
    return _Reading(straight, engine.recognize(straight, settings.lang), rotation, applied)


def process_page(
    engine: OcrEngine, image: Image.Image, settings: PageSettings | None = None
) -> Page:
    """Classify one page (blank / separator / content) and straighten and OCR a content page.

    Orientation costs nothing for an upright page read with confidence. OSD is asked when the
    page looks sideways, or when the reading is poor (an upside-down page reads as garbage
    with a confidence around 30); the other orientation is then read too, and the better
    reading wins, so a wrong OSD answer cannot make a page worse.
    """
    settings = settings or PageSettings()
    timings: dict[str, float] = {}
    started = time.perf_counter()
    image = drop_colour_if_grey(image)
    small = np.asarray(_reduced_grey(image, _WORK_DPI))
    ink = _ink_share(small, settings.blank_margin)
    timings["blank"] = time.perf_counter() - started
    if settings.drop_blank and ink < settings.blank_threshold:
        return Page("blank", image, ink=ink, timings=timings)
    if settings.detect_separators:
        mark = time.perf_counter()
        separator = is_separator(image)
        timings["separator"] = time.perf_counter() - mark
        if separator:
            return Page("separator", image, separator=separator, ink=ink, timings=timings)

    mark = time.perf_counter()
    skew = _estimate_skew(small, settings.max_skew)
    orientation: Orientation | None = None
    rotation = 0
    if settings.orient and skew.sideways:
        orientation = detect_orientation(engine, image)
        if orientation.confidence >= settings.osd_min_confidence:
            rotation = orientation.angle
    best = _read(engine, image, rotation, settings, skew)
    timings["read"] = time.perf_counter() - mark

    if settings.orient and best.ocr.mean_confidence < settings.osd_below_confidence:
        mark = time.perf_counter()
        alternative: int | None = None
        if orientation is None:
            orientation = detect_orientation(engine, image)
            if orientation.confidence >= settings.osd_min_confidence:
                alternative = orientation.angle
        else:
            alternative = (rotation + 180) % 360  # OSD may mix up 90 and 270
        if alternative is not None and alternative != rotation:
            other = _read(engine, image, alternative, settings)
            if other.ocr.mean_confidence > best.ocr.mean_confidence:
                best = other
        timings["reorient"] = time.perf_counter() - mark
    return Page(
        "content",
        best.image,
        best.ocr,
        ink=ink,
        rotated=best.rotated,
        skew=best.skew,
        orientation=orientation,
        timings=timings,
    )


def process_pages(
    images: Iterable[Image.Image],
    settings: PageSettings | None = None,
    *,
    jobs: int = 2,
    engine: EngineKind = "auto",
    timeout: float = DEFAULT_TIMEOUT,
    encode: ImageOptions | None = None,
) -> Iterator[Page]:
    """:func:`process_page` on ``jobs`` threads, in input order, streaming (see map_pages:
    the next pages are decoded and read while the caller files the previous letter).

    With ``encode``, each content page is also compressed for the PDF/A in its worker
    thread (``Page.encoded``), so the caller can let go of the decoded image at once instead
    of saving it and reading it back for the PDF (that round trip cost a quarter of the
    mailroom's time on the main thread).
    """
    settings = settings or PageSettings()
    require_languages(settings.lang)

    def task(ocr_engine: OcrEngine, image: Image.Image) -> Page:
        page = process_page(ocr_engine, image, settings)
        if encode is not None and page.kind == "content":
            mark = time.perf_counter()
            page.encoded = encode_image(page.image, encode)
            page.timings["encode"] = time.perf_counter() - mark
        return page

    return map_pages(_grey_where_possible(images), task, jobs=jobs, engine=engine, timeout=timeout)


def _grey_where_possible(images: Iterable[Image.Image]) -> Iterator[Image.Image]:
    """Colourless RGB scans made grey as they are decoded (on map_pages' feeder thread), so
    that the pages waiting for a worker take a third of the memory; closes ``images``."""
    source = iter(images)
    try:
        for image in source:
            yield drop_colour_if_grey(image)
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()
