"""Decide what a file is from its first bytes, falling back to its name.

The content decides first because names lie (a scanner writes ``scan.pdf`` for a TIFF, a mail
client saves HTML as ``.txt``); the extension is consulted only where the bytes are silent or
where the container (ZIP, OLE2, plain text) does not say what it holds. The result picks the
text extractor and the viewer, never a security decision on its own.
"""

from __future__ import annotations

import codecs
import re
import struct
import unicodedata
from pathlib import PurePosixPath

OCTET_STREAM = "application/octet-stream"

_BY_EXTENSION: dict[str, str] = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".gif": "image/gif",
    ".xml": "application/xml",
    ".eml": "message/rfc822",
    ".html": "text/html",
    ".htm": "text/html",
    ".txt": "text/plain",
    ".csv": "text/plain",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".odp": "application/vnd.oasis.opendocument.presentation",
    ".doc": "application/msword",
    ".xls": "application/vnd.ms-excel",
    ".msg": "application/vnd.ms-outlook",
}

_ZIP_OFFICE = {
    ext: mime
    for ext, mime in _BY_EXTENSION.items()
    if ext in {".docx", ".xlsx", ".pptx", ".odt", ".ods", ".odp"}
}
_OLE_OFFICE = {ext: _BY_EXTENSION[ext] for ext in (".doc", ".xls", ".msg")}
# Which extensions may refine content that decoded as text (markup and mail are text too).
_TEXT_REFINE = {".xml", ".eml", ".html", ".htm"}
_TEXT_TYPES = {"text/plain", "text/html", "application/xml", "message/rfc822"}

# Headers that open real message files: the transport adds Received/Return-Path/Delivered-To
# at the top, and clients writing .eml start with From, MIME-Version, Message-ID or Date.
_MAIL_FIRST_HEADER = re.compile(
    r"(?i)^(?:from|received|return-path|mime-version|delivered-to|message-id|date|"
    r"dkim-signature|arc-seal|authentication-results|x-[a-z0-9-]+):"
)
_HEADER_LINE = re.compile(r"^[!-9;-~]+:")  # RFC 5322 field name: printable ASCII except ':'
_PDF_HEADER = re.compile(rb"%PDF-[12]\.\d")
_XML_ROOTS = ("<invoice", "<rsm:crossindustryinvoice", "<ubl:invoice", "<creditnote")


def _extension(filename: str) -> str:
    """Lower-case extension of the last path component (clients send Windows paths too)."""
    last = re.split(r"[/\\]", filename)[-1]
    return PurePosixPath(last).suffix.lower()


def _odf_mimetype(head: bytes) -> str | None:
    """ODF stores an uncompressed "mimetype" entry first, so its type is readable from the head.

    Layout of a ZIP local file header: method at 8, compressed size at 18, name and extra-field
    lengths at 26 and 28, name from 30, then the extra field, then the data.
    """
    if len(head) < 30:
        return None
    (method,) = struct.unpack_from("<H", head, 8)
    (size,) = struct.unpack_from("<I", head, 18)
    name_len, extra_len = struct.unpack_from("<HH", head, 26)
    if method != 0 or head[30 : 30 + name_len] != b"mimetype" or size > 100:
        return None
    data_start = 30 + name_len + extra_len
    value = head[data_start : data_start + size]
    if re.fullmatch(rb"application/vnd\.oasis\.opendocument\.[a-z.-]+", value):
        return value.decode("ascii")
    return None


def _binary_magic(head: bytes, ext: str) -> str | None:
    """Formats identified by signature bytes; containers are narrowed by extension."""
    if head.startswith(b"%PDF-") or _PDF_HEADER.search(head, 0, 1024):
        # Readers accept junk before the header within the first KiB; so do we, but only for a
        # complete version header, so a note that merely mentions "%PDF-" stays text.
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "image/tiff"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith(b"PK\x03\x04"):
        return _odf_mimetype(head) or _ZIP_OFFICE.get(ext, "application/zip")
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return _OLE_OFFICE.get(ext, OCTET_STREAM)
    return None


def _decode_text(head: bytes) -> str | None:
    """Decode ``head`` if it looks like text; None for binary data.

    ``head`` is cut at 8 KiB, possibly inside a multi-byte character, hence the incremental
    decoders that wait for the rest instead of failing on the last few bytes.
    """
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        decoder = codecs.getincrementaldecoder("utf-16")()
        try:
            text = decoder.decode(head, final=False)
        except UnicodeDecodeError:
            return None
    else:
        if b"\x00" in head:
            return None
        try:
            text = codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=False)
        except UnicodeDecodeError:
            text = head.decode("cp1252", errors="replace")
    if "\x00" in text:
        return None
    controls = sum(
        1 for ch in text if ch not in "\t\n\r\f\v\x1a" and unicodedata.category(ch) == "Cc"
    )
    # cp1252 decodes nearly any byte string; binary data gives itself away by control bytes.
    if controls > len(text) // 100:
        return None
    return text


def _looks_like_mail(text: str) -> bool:
    """A header block: a typical first header, then only header or continuation lines."""
    lines = text.splitlines()
    if not lines or not _MAIL_FIRST_HEADER.match(lines[0]):
        return False
    headers = 0
    for line in lines[:-1] if len(lines) > 1 else lines:  # the last line may be cut off
        if not line:
            break
        if line[0] in " \t":
            continue
        if not _HEADER_LINE.match(line):
            return False
        headers += 1
    return headers >= 2


def _text_kind(text: str) -> str:
    """Classify decoded text as XML, HTML, mail or plain text."""
    start = text.lstrip()[:1024].lower()
    if start.startswith("<?xml"):
        if re.search(r"<(?:!doctype\s+html|html[\s>])", start):
            return "text/html"
        return "application/xml"
    if start.startswith(("<!doctype html", "<html")):
        return "text/html"
    if start.startswith(_XML_ROOTS):
        return "application/xml"
    if _looks_like_mail(text):
        return "message/rfc822"
    return "text/plain"


def sniff(head: bytes, filename: str) -> str:
    """Return the MIME type of a file from its first 8 KiB (``head``) and its name.

    Never raises: unknown content is ``application/octet-stream`` and is stored as is.
    """
    ext = _extension(filename)
    magic = _binary_magic(head, ext)
    if magic is not None:
        return magic
    by_name = _BY_EXTENSION.get(ext, OCTET_STREAM)
    if not head:
        return by_name
    text = _decode_text(head)
    if text is not None:
        kind = _text_kind(text)
        if kind == "text/plain" and ext in _TEXT_REFINE:
            return by_name
        return kind
    # Binary data named like a text format is not that format (and would index as garbage).
    return OCTET_STREAM if by_name in _TEXT_TYPES else by_name
