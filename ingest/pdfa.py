"""Assemble a searchable PDF/A-2b from page images and their OCR results, with pikepdf.

Each page is its image (JPEG for grey and colour, Flate for 1-bit) covering the whole page,
plus an invisible text layer (text render mode 3) placing every recognised word on its
bounding box, the way Tesseract's own PDF renderer does it: a Type0/CIDFontType2 font
"GlyphLessFont" whose single glyph is a blank box, characters given as UTF-16 codes mapped
back to Unicode by an identity ToUnicode CMap, and each word stretched horizontally (``Tz``)
to the width of its box. So viewers find, highlight and copy the words, and pdfium extracts
them. The font program (572 bytes, Apache-2.0, from Tesseract) is embedded, as PDF/A asks.

PDF/A-2b parts: XMP metadata with pdfaid part 2 / conformance B and the document info in
sync, an sRGB output intent with an embedded ICC profile (v2, from Debian's icc-profiles-free,
zlib licence), a file identifier, no encryption, no transparency. Without veraPDF the tests
check these parts one by one.

Memory: pages are encoded as they arrive and only the compressed streams are kept until the
file is written (about 0.3-1 MB per 300-dpi page), never the decoded images.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import BinaryIO

import pikepdf
from PIL import Image, ImageDraw, ImageFont

from ingest.ocr.tesseract import PageOcr

RESOURCES = Path(__file__).resolve().parent / "resources"
GLYPHLESS_FONT = RESOURCES / "GlyphLessFont.ttf"
SRGB_PROFILE = RESOURCES / "sRGB.icc"
DEFAULT_DPI = 300
_CHAR_WIDTH = 500  # glyph advance in 1/1000 em: the font's only glyph is 1024/2048 wide

_TO_UNICODE = b"""/CIDInit /ProcSet findresource begin
12 dict begin
begincmap
/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def
/CMapName /Adobe-Identity-UCS def
/CMapType 2 def
1 begincodespacerange
<0000> <FFFF>
endcodespacerange
1 beginbfrange
<0000> <FFFF> <0000>
endbfrange
endcmap
CMapName currentdict /CMap defineresource pop
end
end
"""


@dataclass(frozen=True)
class PdfaMetadata:
    """What goes into the XMP packet (and the document info dictionary)."""

    title: str
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    author: str | None = None
    subject: str | None = None  # a short description (dc:description)
    keywords: tuple[str, ...] = ()
    source: str | None = None  # what the PDF was made from, e.g. "sha256:<hash of the scan>"
    identifier: str | None = None  # e.g. the incoming-mail register number
    producer: str = "dms (pikepdf)"
    creator_tool: str = "dms ingest"
    language: str = "de-DE"
    receipt: ReceiptStamp | None = None  # Eingangsstempel on the first page


@dataclass(frozen=True)
class ReceiptStamp:
    """Eingangsstempel: the date of receipt, as the mailroom stamps paper post.

    Put on the first page as a stamp annotation (its own layer above the page, printed with
    it), never painted into the scanned image: the scan product stays as it was captured
    (TR-RESISCAN), and a viewer can still hide the stamp. Its appearance is a small image,
    so no font needs embedding for PDF/A.
    """

    received_on: date
    office: str = "Poststelle"

    def lines(self) -> tuple[str, str, str]:
        return ("EINGEGANGEN", f"{self.received_on:%d.%m.%Y}", self.office)

    def text(self) -> str:
        return f"Eingegangen am {self.received_on:%d.%m.%Y}, {self.office}"


@dataclass(frozen=True)
class ImageOptions:
    jpeg_quality: int = 75


def _font(pdf: pikepdf.Pdf) -> pikepdf.Object:
    """The embedded GlyphLessFont as a Type0 font (shared by all pages)."""
    program = GLYPHLESS_FONT.read_bytes()
    font_file = pdf.make_stream(program)
    font_file.Length1 = len(program)
    descriptor = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.FontDescriptor,
            FontName=pikepdf.Name.GlyphLessFont,
            Flags=5,  # fixed pitch, symbolic
            FontBBox=[0, 0, _CHAR_WIDTH, 1000],
            ItalicAngle=0,
            Ascent=1000,
            Descent=0,
            CapHeight=1000,
            StemV=80,
            FontFile2=font_file,
        )
    )
    cid_to_gid = pdf.make_stream(b"\x00\x01" * 65536)  # every code shows glyph 1, never .notdef
    cid_font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.CIDFontType2,
            BaseFont=pikepdf.Name.GlyphLessFont,
            CIDSystemInfo=pikepdf.Dictionary(
                Registry=pikepdf.String("Adobe"), Ordering=pikepdf.String("Identity"), Supplement=0
            ),
            FontDescriptor=descriptor,
            DW=_CHAR_WIDTH,
            CIDToGIDMap=cid_to_gid,
        )
    )
    return pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.Type0,
            BaseFont=pikepdf.Name.GlyphLessFont,
            Encoding=pikepdf.Name("/Identity-H"),
            DescendantFonts=[cid_font],
            ToUnicode=pdf.make_stream(_TO_UNICODE),
        )
    )


def _output_intent(pdf: pikepdf.Pdf) -> pikepdf.Object:
    profile = pdf.make_stream(SRGB_PROFILE.read_bytes())
    profile.N = 3
    return pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.OutputIntent,
            S=pikepdf.Name.GTS_PDFA1,
            OutputConditionIdentifier=pikepdf.String("sRGB IEC61966-2.1"),
            Info=pikepdf.String("sRGB IEC61966-2.1"),
            RegistryName=pikepdf.String("http://www.color.org"),
            DestOutputProfile=profile,
        )
    )


def _dpi(image: Image.Image) -> float:
    dpi = image.info.get("dpi")
    try:
        value = float(dpi[0]) if dpi else DEFAULT_DPI
    except (TypeError, ValueError, IndexError):
        value = DEFAULT_DPI
    return value if value > 0 else DEFAULT_DPI


@dataclass(frozen=True)
class EncodedImage:
    """A page image already compressed the way the PDF embeds it (JPEG for grey and colour,
    Flate for 1-bit). The mailroom's OCR workers encode a page as soon as it is prepared,
    so the decoded 300-dpi image (8-25 MB) need not be kept, saved or re-read until the
    letter is assembled; about 0.3-1 MB per page is held instead."""

    data: bytes
    filter: str  # "DCTDecode" or "FlateDecode"
    width: int
    height: int
    bits: int
    colour_space: str  # "DeviceGray" or "DeviceRGB"
    dpi: float


def encode_image(image: Image.Image, options: ImageOptions | None = None) -> EncodedImage:
    """Compress a page for the PDF: JPEG for grey and colour, Flate for 1-bit (1 = white, as
    in DeviceGray). Pure and thread-safe: Pillow and zlib release the GIL while encoding."""
    options = options or ImageOptions()
    if image.mode == "1":
        data = zlib.compress(image.tobytes(), 6)
        return EncodedImage(data, "FlateDecode", image.width, image.height, 1, "DeviceGray",
                            _dpi(image))
    converted = image if image.mode in ("L", "RGB") else image.convert("RGB")
    buffer = io.BytesIO()
    converted.save(buffer, format="JPEG", quality=options.jpeg_quality, optimize=False)
    colour_space = "DeviceGray" if converted.mode == "L" else "DeviceRGB"
    return EncodedImage(buffer.getvalue(), "DCTDecode", image.width, image.height, 8,
                        colour_space, _dpi(image))


def _image_xobject(pdf: pikepdf.Pdf, encoded: EncodedImage) -> pikepdf.Stream:
    stream = pikepdf.Stream(pdf, b"")
    stream.write(encoded.data, filter=pikepdf.Name("/" + encoded.filter))
    stream.Type = pikepdf.Name.XObject
    stream.Subtype = pikepdf.Name.Image
    stream.Width, stream.Height = encoded.width, encoded.height
    stream.BitsPerComponent = encoded.bits
    stream.ColorSpace = pikepdf.Name("/" + encoded.colour_space)
    return stream


_STAMP_SIZE_PT = (150.0, 62.0)  # about 53 x 22 mm
_STAMP_MARGIN_PT = 28.0  # 10 mm from the top and the right edge
_STAMP_RED = (200, 30, 30)


def _stamp_image(stamp: ReceiptStamp, dpi: float = 200) -> Image.Image:
    width, height = (round(v * dpi / 72) for v in _STAMP_SIZE_PT)
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    border = max(2, round(dpi / 60))
    draw.rectangle((0, 0, width - 1, height - 1), outline=_STAMP_RED, width=border)
    sizes = (0.26, 0.30, 0.20)  # of the height, per line
    y = height * 0.08
    for line, share in zip(stamp.lines(), sizes, strict=True):
        font = ImageFont.load_default(size=max(8, round(height * share)))
        left, top, right, bottom = draw.textbbox((0, 0), line, font=font)
        draw.text(((width - (right - left)) / 2 - left, y - top), line, fill=_STAMP_RED,
                  font=font)
        y += (bottom - top) + height * 0.08
    return image


def _stamp_annotation(
    pdf: pikepdf.Pdf, stamp: ReceiptStamp, page_width: float, page_height: float
) -> pikepdf.Object:
    """A /Stamp annotation in the top right corner whose appearance is the stamp image."""
    width, height = _STAMP_SIZE_PT
    right = page_width - _STAMP_MARGIN_PT
    top = page_height - _STAMP_MARGIN_PT
    image = _stamp_image(stamp)
    picture = pikepdf.Stream(pdf, b"")
    picture.write(zlib.compress(image.tobytes(), 6), filter=pikepdf.Name.FlateDecode)
    picture.Type, picture.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    picture.Width, picture.Height = image.size
    picture.BitsPerComponent, picture.ColorSpace = 8, pikepdf.Name.DeviceRGB
    appearance = pdf.make_stream(b"q %.2f 0 0 %.2f 0 0 cm /Im0 Do Q\n" % (width, height))
    appearance.Type, appearance.Subtype = pikepdf.Name.XObject, pikepdf.Name.Form
    appearance.BBox = [0, 0, width, height]
    appearance.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=picture))
    return pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Annot,
        Subtype=pikepdf.Name.Stamp,
        Rect=[round(right - width, 2), round(top - height, 2), round(right, 2), round(top, 2)],
        F=4,  # Print; PDF/A wants annotations printed, not hidden
        Contents=pikepdf.String(stamp.text()),
        T=pikepdf.String(stamp.office),
        NM=pikepdf.String(f"eingang-{stamp.received_on.isoformat()}"),
        AP=pikepdf.Dictionary(N=appearance),
    ))


def _hex_utf16(text: str) -> bytes:
    """Text as a hex string of UTF-16 codes (outside the BMP: U+FFFD, one code per char)."""
    safe = "".join(ch if ord(ch) <= 0xFFFF else "\ufffd" for ch in text)
    return b"<" + safe.encode("utf-16-be").hex().upper().encode() + b">"


def text_layer(ocr: PageOcr, scale: float, page_height: float) -> bytes:
    """Content stream operators for the invisible words of one page.

    ``scale`` converts OCR pixels to points (72 / dpi). Each word sits on the bottom of its
    line's box with the line's height as font size, stretched to its own box's width; all but
    the last word of a line carry a trailing space, so extracted text has word breaks.
    """
    if not ocr.words:
        return b""
    ops = [b"BT", b"3 Tr"]
    last_in_line = {}
    for index, word in enumerate(ocr.words):
        last_in_line[word.line] = index
    current_size = None
    for index, word in enumerate(ocr.words):
        left, _, right, _ = word.bbox
        line_top, line_bottom = ocr.lines[word.line][1], ocr.lines[word.line][3]
        size = max(1.0, (line_bottom - line_top) * scale)
        text = word.text if last_in_line[word.line] == index else word.text + " "
        chars = len(word.text)
        natural = chars * size * _CHAR_WIDTH / 1000
        stretch = 100.0 * max(1, right - left) * scale / natural if natural else 100.0
        if size != current_size:
            ops.append(b"/F0 %.2f Tf" % size)
            current_size = size
        ops.append(
            b"1 0 0 1 %.2f %.2f Tm %.2f Tz %s Tj"
            % (left * scale, page_height - line_bottom * scale, stretch, _hex_utf16(text))
        )
    ops.append(b"ET")
    return b"\n".join(ops) + b"\n"


def _set_metadata(pdf: pikepdf.Pdf, meta: PdfaMetadata) -> None:
    created = meta.created if meta.created.tzinfo else meta.created.replace(tzinfo=UTC)
    stamp = created.isoformat(timespec="seconds")
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=True) as xmp:
        xmp["pdfaid:part"] = "2"
        xmp["pdfaid:conformance"] = "B"
        xmp["dc:title"] = meta.title
        xmp["dc:format"] = "application/pdf"
        if meta.author:
            xmp["dc:creator"] = [meta.author]
        if meta.subject:
            xmp["dc:description"] = meta.subject
        if meta.keywords:
            xmp["dc:subject"] = list(meta.keywords)
            xmp["pdf:Keywords"] = ", ".join(meta.keywords)
        if meta.source:
            xmp["dc:source"] = meta.source
        if meta.identifier:
            xmp["dc:identifier"] = meta.identifier
        xmp["dc:language"] = [meta.language]
        xmp["pdf:Producer"] = meta.producer
        xmp["xmp:CreatorTool"] = meta.creator_tool
        xmp["xmp:CreateDate"] = stamp
        xmp["xmp:ModifyDate"] = stamp
        xmp["xmp:MetadataDate"] = stamp


def write_pdfa(
    pages: Iterable[tuple[Image.Image | EncodedImage, PageOcr | None]],
    out: str | Path | BinaryIO,
    metadata: PdfaMetadata,
    options: ImageOptions | None = None,
) -> int:
    """Write the pages as one searchable PDF/A-2b to ``out``; returns the page count.

    ``pages`` yields each page image (or the :class:`EncodedImage` made from it) with its OCR
    result (None: image only, e.g. a page the OCR gave up on). The page size follows from the
    image size and its ``info["dpi"]``.
    OCR boxes must refer to this very image (OCR the straightened page, not the original).
    """
    options = options or ImageOptions()
    pdf = pikepdf.new()
    font = None
    count = 0
    for image, ocr in pages:
        encoded = image if isinstance(image, EncodedImage) else encode_image(image, options)
        scale = 72.0 / encoded.dpi
        width, height = encoded.width * scale, encoded.height * scale
        content = b"q %.3f 0 0 %.3f 0 0 cm /Im0 Do Q\n" % (width, height)
        resources = pikepdf.Dictionary(
            XObject=pikepdf.Dictionary(Im0=_image_xobject(pdf, encoded))
        )
        if ocr is not None and ocr.words:
            if font is None:
                font = _font(pdf)
            ocr_scale = width / ocr.width  # the OCR'd image may differ from the embedded one
            content += text_layer(ocr, ocr_scale, height)
            resources.Font = pikepdf.Dictionary(F0=font)
        page = pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=[0, 0, round(width, 3), round(height, 3)],
            Resources=resources,
            Contents=pdf.make_stream(content),
        )
        if count == 0 and metadata.receipt is not None:
            page.Annots = [_stamp_annotation(pdf, metadata.receipt, width, height)]
        pdf.pages.append(pikepdf.Page(page))
        count += 1
    if not count:
        raise ValueError("write_pdfa needs at least one page")
    pdf.Root.OutputIntents = [_output_intent(pdf)]
    pdf.Root.Lang = pikepdf.String(metadata.language)
    _set_metadata(pdf, metadata)
    pdf.save(
        out if not isinstance(out, Path) else str(out),
        deterministic_id=True,
        compress_streams=True,
        object_stream_mode=pikepdf.ObjectStreamMode.generate,
        min_version="1.7",
        fix_metadata_version=True,
    )
    return count


def pdfa_bytes(
    pages: Iterable[tuple[Image.Image | EncodedImage, PageOcr | None]],
    metadata: PdfaMetadata,
    options: ImageOptions | None = None,
) -> bytes:
    buffer = io.BytesIO()
    write_pdfa(pages, buffer, metadata, options)
    return buffer.getvalue()
