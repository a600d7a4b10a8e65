"""Barcodes on scanned pages, and the separator sheets that split a batch into letters.

A separator sheet carries one big QR code whose payload starts with ``DMS-SEP``, optionally
followed by ``:`` and a routing code (``DMS-SEP:office=63``). The mailroom prints sheets with
``dms separator-sheet`` (:func:`separator_sheet_pdf`), puts one in front of each letter, and
scans the whole stack as one batch; :func:`is_separator` recognises the sheets again.

zxing-cpp does both directions (reading any common 1D/2D code, and creating the QR code), as
a wheel without system libraries. Detection of our own sheets runs on a ~100 dpi copy of the
page: the code is 70 mm wide, so its modules are still 9 px there, and zxing is several
times faster than on the full 300-dpi page. :func:`find_barcodes` looks at the full page for
small codes on ordinary letters (e.g. a payment QR code on an invoice).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import numpy as np
import pikepdf
import zxingcpp
from PIL import Image

from dms.errors import InvalidInput

SEPARATOR_PREFIX = "DMS-SEP"
_ROUTING_CODE = re.compile(r"[\x21-\x7e]([\x20-\x7e]{0,198}[\x21-\x7e])?")
_DETECT_DPI = 100
_A4 = (595.276, 841.89)  # points
_QR_SIZE = 70 * 72 / 25.4  # 70 mm in points


@dataclass(frozen=True)
class Barcode:
    format: str  # e.g. "QRCode", "Code128", "DataMatrix"
    text: str
    bbox: tuple[int, int, int, int]  # left, top, right, bottom in pixels of the given image


@dataclass(frozen=True)
class SeparatorInfo:
    """A separator sheet was found; ``routing_code`` is what follows ``DMS-SEP:``, if any."""

    payload: str
    routing_code: str | None

    @property
    def routing(self) -> dict[str, str]:
        """``office=63;assignee=mayer`` as a dict (entries without ``=`` are ignored)."""
        pairs = (item.partition("=") for item in re.split(r"[;,]", self.routing_code or ""))
        return {key.strip(): value.strip() for key, sep, value in pairs if sep and key.strip()}


def parse_separator(payload: str) -> SeparatorInfo | None:
    """SeparatorInfo for a ``DMS-SEP[:code]`` payload, None for anything else."""
    payload = payload.strip()
    if payload == SEPARATOR_PREFIX:
        return SeparatorInfo(payload, None)
    if payload.startswith(SEPARATOR_PREFIX + ":"):
        code = payload[len(SEPARATOR_PREFIX) + 1 :].strip()
        return SeparatorInfo(payload, code or None)
    return None


def _grey_array(image: Image.Image) -> np.ndarray:
    grey = image if image.mode == "L" else image.convert("L")
    return np.asarray(grey)


def find_barcodes(image: Image.Image) -> list[Barcode]:
    """Every readable barcode on the page (any format, any rotation), in reading order."""
    found = zxingcpp.read_barcodes(_grey_array(image))
    codes = []
    for code in found:
        pos = code.position
        xs = [pos.top_left.x, pos.top_right.x, pos.bottom_left.x, pos.bottom_right.x]
        ys = [pos.top_left.y, pos.top_right.y, pos.bottom_left.y, pos.bottom_right.y]
        name = str(code.format).rsplit(".", 1)[-1]
        codes.append(Barcode(name, code.text, (min(xs), min(ys), max(xs), max(ys))))
    codes.sort(key=lambda c: (c.bbox[1], c.bbox[0]))
    return codes


def _detection_copy(image: Image.Image) -> Image.Image:
    grey = image if image.mode == "L" else image.convert("L")
    dpi = image.info.get("dpi", (300, 300))[0] or 300
    factor = int(float(dpi) // _DETECT_DPI)
    return grey.reduce(factor) if factor >= 2 else grey


def is_separator(page: Image.Image) -> SeparatorInfo | None:
    """The separator sheet's info if ``page`` is one, else None.

    Looks for QR codes only, first on a ~100 dpi copy and, if none is found there, on the page
    itself (a sheet copied at reduced size still works).
    """
    for candidate in (_detection_copy(page), page):
        codes = zxingcpp.read_barcodes(
            _grey_array(candidate), formats=zxingcpp.BarcodeFormat.QRCode, try_invert=False
        )
        for code in codes:
            info = parse_separator(code.text)
            if info:
                return info
        if candidate is page:
            break
    return None


def _check_routing_code(routing_code: str | None) -> str | None:
    if routing_code is None:
        return None
    if not _ROUTING_CODE.fullmatch(routing_code):
        raise InvalidInput(
            "Leitcode für das Trennblatt: 1 bis 200 druckbare ASCII-Zeichen, ohne Umlaute"
            " und Zeilenumbrüche (z. B. office=63) / Routing code for the separator sheet:"
            " 1 to 200 printable ASCII characters (e.g. office=63)"
        )
    return routing_code


def _pdf_text(text: str) -> bytes:
    raw = text.encode("cp1252", "replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _qr_path(payload: str, x: float, y: float, size: float) -> bytes:
    """The QR code as filled rectangles (one per run of dark modules) in a size x size box."""
    code = zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.QRCode, ec_level="Q")
    modules = np.asarray(code.to_image(scale=1, add_quiet_zones=False)) < 128
    count = modules.shape[0]
    unit = size / count
    ops = []
    for row in range(count):
        dark = np.flatnonzero(np.diff(np.concatenate(([0], modules[row].astype(np.int8), [0]))))
        for start, stop in zip(dark[::2], dark[1::2], strict=True):
            top = y + size - (row + 1) * unit
            ops.append(
                f"{x + start * unit:.3f} {top:.3f} {(stop - start) * unit:.3f} {unit:.3f} re"
            )
    return ("0 g\n" + "\n".join(ops) + "\nf\n").encode()


def separator_sheet_pdf(routing_code: str | None = None) -> bytes:
    """A printable A4 separator sheet: big QR code plus a caption a person can read."""
    code = _check_routing_code(routing_code)
    payload = SEPARATOR_PREFIX if code is None else f"{SEPARATOR_PREFIX}:{code}"
    width, height = _A4
    qr_x, qr_y = (width - _QR_SIZE) / 2, height - 130 - _QR_SIZE
    target = f"Ziel / routing: {code}" if code else "ohne Leitcode / no routing code"
    lines = [  # font, size, baseline
        (b"/F2", 44, height - 90, "TRENNBLATT"),
        (b"/F1", 15, qr_y - 50, "Posteingang: Das nächste Blatt beginnt ein neues Schriftstück."),
        (b"/F1", 12, qr_y - 72, "Mail room: the next page starts a new letter."),
        (b"/F2", 20, qr_y - 120, target),
        (b"/F1", 10, qr_y - 145, f"Code: {payload}"),
        (b"/F1", 10, 60, "Nicht knicken, nicht beschriften. / Do not fold or write on it."),
    ]
    text = [
        b"BT %s %d Tf 70 %.2f Td %s Tj ET" % (font, size, baseline, _pdf_text(line))
        for font, size, baseline, line in lines
    ]
    content = _qr_path(payload, qr_x, qr_y, _QR_SIZE) + b"\n".join(text)

    pdf = pikepdf.new()

    def font(base: str) -> pikepdf.Object:
        return pdf.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Font,
                Subtype=pikepdf.Name.Type1,
                BaseFont=pikepdf.Name(base),
                Encoding=pikepdf.Name.WinAnsiEncoding,
            )
        )

    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page,
        MediaBox=[0, 0, width, height],
        Resources=pikepdf.Dictionary(
            Font=pikepdf.Dictionary(F1=font("/Helvetica"), F2=font("/Helvetica-Bold"))
        ),
        Contents=pdf.make_stream(content),
    )
    pdf.pages.append(pikepdf.Page(page))
    pdf.docinfo["/Title"] = f"Trennblatt {payload}"
    pdf.docinfo["/Creator"] = "dms"
    buffer = io.BytesIO()
    pdf.save(buffer, deterministic_id=True, compress_streams=True)
    return buffer.getvalue()
