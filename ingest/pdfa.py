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
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import pikepdf
from PIL import Image

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


def _image_xobject(pdf: pikepdf.Pdf, image: Image.Image, options: ImageOptions) -> pikepdf.Stream:
    """JPEG for grey and colour, Flate for 1-bit (1 = white, as in DeviceGray)."""
    if image.mode == "1":
        stream = pikepdf.Stream(pdf, b"")
        stream.write(zlib.compress(image.tobytes(), 6), filter=pikepdf.Name.FlateDecode)
        bits, colour_space = 1, pikepdf.Name.DeviceGray
    else:
        if image.mode not in ("L", "RGB"):
            image = image.convert("RGB")
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=options.jpeg_quality, optimize=False)
        stream = pikepdf.Stream(pdf, b"")
        stream.write(buffer.getvalue(), filter=pikepdf.Name.DCTDecode)
        bits = 8
        colour_space = pikepdf.Name.DeviceGray if image.mode == "L" else pikepdf.Name.DeviceRGB
    stream.Type = pikepdf.Name.XObject
    stream.Subtype = pikepdf.Name.Image
    stream.Width, stream.Height = image.size
    stream.BitsPerComponent = bits
    stream.ColorSpace = colour_space
    return stream


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
    pages: Iterable[tuple[Image.Image, PageOcr | None]],
    out: str | Path | BinaryIO,
    metadata: PdfaMetadata,
    options: ImageOptions | None = None,
) -> int:
    """Write the pages as one searchable PDF/A-2b to ``out``; returns the page count.

    ``pages`` yields each page image with its OCR result (None: image only, e.g. a page the
    OCR gave up on). The page size follows from the image size and its ``info["dpi"]``.
    OCR boxes must refer to this very image (OCR the straightened page, not the original).
    """
    options = options or ImageOptions()
    pdf = pikepdf.new()
    font = None
    count = 0
    for image, ocr in pages:
        scale = 72.0 / _dpi(image)
        width, height = image.width * scale, image.height * scale
        content = b"q %.3f 0 0 %.3f 0 0 cm /Im0 Do Q\n" % (width, height)
        resources = pikepdf.Dictionary(
            XObject=pikepdf.Dictionary(Im0=_image_xobject(pdf, image, options))
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
    pages: Iterable[tuple[Image.Image, PageOcr | None]],
    metadata: PdfaMetadata,
    options: ImageOptions | None = None,
) -> bytes:
    buffer = io.BytesIO()
    write_pdfa(pages, buffer, metadata, options)
    return buffer.getvalue()
