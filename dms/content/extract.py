"""Plain text of a stored file, for the full-text index and for snippets.

Extraction is per MIME type as decided by :mod:`dms.content.sniff`. Everything is bounded by
``max_chars`` so a 500 MB log file or a PDF with a huge OCR layer cannot exhaust memory; what
lies beyond is simply not searchable. Images (and anything else without a text layer) yield
"" here: OCR runs elsewhere, later, because it is slow and optional.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from html.parser import HTMLParser
from pathlib import Path
from typing import BinaryIO, cast
from xml.parsers import expat

from dms.content.pdf import extract_pdf_text, inspect_pdf
from dms.errors import UnsupportedContent

DEFAULT_MAX_CHARS = 2_000_000
# Every supported encoding needs at most 4 bytes per character (UTF-8, UTF-16 surrogates).
_MAX_BYTES_PER_CHAR = 4
_CHUNK = 64 * 1024
# PDF pages are separated by a form feed, as pdftotext does, so page breaks stay recoverable.
PAGE_SEPARATOR = "\f"

XML_DOCTYPE = (
    "XML-Datei enthält eine DOCTYPE-Deklaration; solche Dateien werden aus Sicherheitsgründen"
    " nicht verarbeitet (Entitätenexpansion). / XML file contains a DOCTYPE declaration;"
    " such files are refused for security reasons (entity expansion)."
)
XML_MALFORMED = "XML-Datei ist nicht wohlgeformt: {detail} / XML file is not well-formed: {detail}"


@dataclass(frozen=True)
class ExtractedText:
    """Text of a file, its page count where that means something, and how it was obtained."""

    text: str
    pages: int | None
    method: str  # "pdf-text", "plain", "email", "html" or "none"


def _bare_mime(mime: str) -> str:
    """Drop parameters and case: ``Text/Plain; charset=utf-8`` is ``text/plain``."""
    return mime.split(";", 1)[0].strip().lower()


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


# --- plain text -------------------------------------------------------------------------------


def _decode_bounded(fh: BinaryIO, max_chars: int) -> str:
    """Decode at most ``max_chars`` characters: UTF-8 (BOM optional), UTF-16 by BOM, else cp1252.

    Reads at most 4 bytes per wanted character, so memory stays bounded however large the
    file is. Only the part that is read has to be valid UTF-8; a character cut at the end of
    that part is not an error.
    """
    data = fh.read(max_chars * _MAX_BYTES_PER_CHAR)
    at_end = not fh.read(1)
    if data.startswith(codecs.BOM_UTF8):
        bom_encoding = "utf-8-sig"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        bom_encoding = "utf-16"
    else:
        try:
            text = codecs.getincrementaldecoder("utf-8")().decode(data, final=at_end)
        except UnicodeDecodeError:
            # Windows-1252 is what German office PCs wrote before UTF-8; its five unassigned
            # bytes become U+FFFD rather than failing the whole file.
            text = data[:max_chars].decode("cp1252", errors="replace")
        return text[:max_chars]
    # A BOM settles the encoding; a stray bad sequence after it is replaced, not re-guessed.
    decoder = codecs.getincrementaldecoder(bom_encoding)(errors="replace")
    text = decoder.decode(data, final=at_end)
    return text[:max_chars]


def _extract_plain(path: Path, max_chars: int) -> ExtractedText:
    with path.open("rb") as fh:
        text = _decode_bounded(fh, max_chars)
    return ExtractedText(_normalise_newlines(text)[:max_chars], None, "plain")


# --- HTML -----------------------------------------------------------------------------------

_BLOCK_TAG_TEXT = (
    "address article aside blockquote br dd div dl dt fieldset figcaption figure footer form"
    " h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section table td th tr ul"
)
_BLOCK_TAGS = frozenset(_BLOCK_TAG_TEXT.split())
_INLINE_SPACE = re.compile(r"[ \t\f\v\xa0]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_SKIP_TAGS = frozenset({"script", "style", "template", "noscript"})
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


class _HtmlText(HTMLParser):
    """Collects visible text; block elements become line breaks, scripts and styles vanish."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip_depth += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self.parts.append(data)

    def text(self) -> str:
        lines = (_INLINE_SPACE.sub(" ", line).strip() for line in "".join(self.parts).split("\n"))
        return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def html_to_text(markup: str) -> str:
    """Visible text of an HTML document (also used for HTML-only e-mails)."""
    parser = _HtmlText()
    parser.feed(markup)
    if re.match(r"<[A-Za-z/!?]", parser.rawdata):
        # An unterminated tag at the very end (a cut-off file): close() would emit it as text.
        parser.rawdata = ""
    parser.close()
    return parser.text()


def _html_encoding(data: bytes) -> str:
    """BOM, then <meta charset>, then UTF-8 if it decodes, else Windows-1252."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    declared = _META_CHARSET.search(data[:4096])
    if declared:
        try:
            return codecs.lookup(declared.group(1).decode("ascii")).name
        except LookupError:
            pass
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data, final=False)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def _extract_html(path: Path, max_chars: int) -> ExtractedText:
    with path.open("rb") as fh:
        # Markup outweighs text, but beyond 4 bytes per wanted character we stop reading.
        data = fh.read(max_chars * _MAX_BYTES_PER_CHAR)
    markup = data.decode(_html_encoding(data), errors="replace")
    return ExtractedText(html_to_text(markup)[:max_chars], None, "html")


# --- e-mail ---------------------------------------------------------------------------------


def _header(message: EmailMessage, name: str) -> str:
    """Decoded header value; malformed headers fall back to their raw text instead of failing."""
    value: object
    try:
        value = message.get(name)
    except (ValueError, TypeError, IndexError, AttributeError):
        # The email package's structured header parser still trips over some real-world
        # garbage; the undecoded text is better for search than losing the whole mail.
        value = next((v for k, v in message.raw_items() if k.lower() == name.lower()), None)
    return " ".join(str(value).split()) if value is not None else ""


def _part_text(part: EmailMessage) -> str:
    """Content of a text part, tolerating unknown or lying charsets."""
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, KeyError, AssertionError):
        payload = part.get_payload(decode=True)
        content = payload.decode("cp1252", errors="replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""


def _extract_email(path: Path, max_chars: int) -> ExtractedText:
    """Headers a clerk searches by, the readable body, and the attachment names."""
    with path.open("rb") as fh:
        # policy.default makes the parser return EmailMessage (get_body, decoded headers).
        message = cast(EmailMessage, BytesParser(policy=policy.default).parse(fh))
    lines = [
        f"{label}: {_header(message, label)}"
        for label in ("Subject", "From", "To", "Date")
        if _header(message, label)
    ]
    body = ""
    plain = message.get_body(preferencelist=("plain",))
    if plain is not None:
        body = _part_text(plain)
    else:
        rich = message.get_body(preferencelist=("html",))
        if rich is not None:
            body = html_to_text(_part_text(rich))
    attachments = []
    for part in message.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename()
        if filename:
            attachments.append(" ".join(filename.split()))
    text = "\n".join(lines)
    if body.strip():
        text += "\n\n" + _normalise_newlines(body).strip()
    if attachments:
        text += "\n\n" + "\n".join(f"Anhang: {name}" for name in attachments)
    return ExtractedText(text[:max_chars], None, "email")


# --- XML ------------------------------------------------------------------------------------


class _Enough(Exception):
    """Raised from an expat handler to stop parsing once max_chars are collected."""


class _XmlText:
    """Element text joined with spaces; any DOCTYPE aborts, so no entity can be declared."""

    def __init__(self, max_chars: int) -> None:
        self.max_chars = max_chars
        self.pieces: list[str] = []
        self.size = 0
        self._current: list[str] = []
        self.parser = expat.ParserCreate()
        self.parser.StartDoctypeDeclHandler = self._doctype
        self.parser.EntityDeclHandler = self._doctype
        self.parser.StartElementHandler = self._flush
        self.parser.EndElementHandler = self._flush
        self.parser.CharacterDataHandler = self._current.append

    def _doctype(self, *_: object) -> None:
        raise UnsupportedContent(XML_DOCTYPE)

    def _flush(self, *_: object) -> None:
        piece = " ".join("".join(self._current).split())
        self._current.clear()
        if piece:
            self.pieces.append(piece)
            self.size += len(piece) + 1
            if self.size >= self.max_chars:
                raise _Enough

    def feed(self, chunk: bytes, final: bool) -> None:
        self.parser.Parse(chunk, final)

    def text(self) -> str:
        return " ".join(self.pieces)[: self.max_chars]


def _extract_xml(path: Path, max_chars: int) -> ExtractedText:
    """Streamed through expat, so a huge XML file is never held in memory as a tree."""
    collector = _XmlText(max_chars)
    try:
        with path.open("rb") as fh:
            while True:
                chunk = fh.read(_CHUNK)
                collector.feed(chunk, final=not chunk)
                if not chunk:
                    break
    except _Enough:
        pass
    except expat.ExpatError as exc:
        detail = expat.ErrorString(exc.code) if exc.code else str(exc)
        raise UnsupportedContent(
            XML_MALFORMED.format(detail=f"{detail} (Zeile/line {exc.lineno})")
        ) from exc
    # XML's text goes through the same plain-text indexing; "plain" keeps the method set small.
    return ExtractedText(collector.text(), None, "plain")


# --- dispatch -------------------------------------------------------------------------------


def _extract_pdf(path: Path, max_chars: int) -> ExtractedText:
    info = inspect_pdf(path)
    pages = extract_pdf_text(path, max_chars)
    text = PAGE_SEPARATOR.join(pages)[:max_chars]
    return ExtractedText(text, info.page_count, "pdf-text")


_EXTRACTORS = {
    "application/pdf": _extract_pdf,
    "text/plain": _extract_plain,
    "text/csv": _extract_plain,
    "message/rfc822": _extract_email,
    "text/html": _extract_html,
    "application/xhtml+xml": _extract_html,
    "application/xml": _extract_xml,
    "text/xml": _extract_xml,
}


_METHODS = {
    "application/pdf": "pdf-text",
    "text/plain": "plain",
    "text/csv": "plain",
    "message/rfc822": "email",
    "text/html": "html",
    "application/xhtml+xml": "html",
    "application/xml": "plain",
    "text/xml": "plain",
}


@dataclass(frozen=True)
class Vetted:
    """What an import must know before it stores a file: that the file is usable, its page
    count, and how its text will be read (the version row records both and never changes)."""

    pages: int | None
    method: str


def vet(path: str | Path, mime: str, max_chars: int = DEFAULT_MAX_CHARS) -> Vetted:
    """Refuse what must not be archived, without reading the text (that happens later, in the
    text queue, because it is the slow part: ~1 ms per PDF page).

    A PDF is opened (page count; damaged or encrypted ones raise UnsupportedContent); XML is
    parsed, since a DOCTYPE or malformed XML is only found that way (cheap). Other types are
    not inspected: their extractors never refuse a file.
    """
    bare = _bare_mime(mime)
    if bare == "application/pdf":
        return Vetted(inspect_pdf(path).page_count, "pdf-text")
    if bare in ("application/xml", "text/xml"):
        _extract_xml(Path(path), max(0, max_chars))
    return Vetted(None, _METHODS.get(bare, "none"))


def extract_text(path: str | Path, mime: str, max_chars: int = DEFAULT_MAX_CHARS) -> ExtractedText:
    """Text of the file at ``path`` of type ``mime``, at most ``max_chars`` characters.

    Raises UnsupportedContent for damaged or encrypted PDFs and for XML with a DOCTYPE or that
    is not well-formed; any other type without a text layer gives ``ExtractedText("", None,
    "none")``.
    """
    extractor = _EXTRACTORS.get(_bare_mime(mime))
    if extractor is None:
        return ExtractedText("", None, "none")
    return extractor(Path(path), max(0, max_chars))
