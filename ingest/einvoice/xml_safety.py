"""The one place e-invoice XML is parsed, safely.

Invoices come from strangers, so the parser is locked down:

* a size limit (default 20 MB) is checked before any parsing;
* a document type declaration (``<!DOCTYPE``) is refused outright, before parsing: no invoice
  format needs one, and every entity attack (billion laughs, external entities such as
  ``file:///etc/passwd``, parameter entities fetching URLs) starts with one. The check is
  repeated on the parsed tree, so a DOCTYPE the cheap pre-scan missed is refused as well;
* lxml runs with ``resolve_entities=False``, ``no_network=True``, ``load_dtd=False`` and
  ``huge_tree=False`` (libxml2's own limits on depth and text size stay on);
* comments and processing instructions are dropped while parsing (the parsers only walk
  elements).

Errors are :class:`dms.errors.InvalidInput` (empty, not XML) and
:class:`dms.errors.UnsupportedContent` (too large, DOCTYPE), with German and English text.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass

from lxml import etree

from dms.errors import InvalidInput, UnsupportedContent

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
_PEEK_BYTES = 64 * 1024
_PROLOG_SCAN_BYTES = 256 * 1024

EMPTY = "Die Datei ist leer. / The file is empty."
DOCTYPE = (
    "Die XML-Datei enthält eine Dokumenttyp-Deklaration (DOCTYPE). E-Rechnungen brauchen keine;"
    " aus Sicherheitsgründen (Entity-Expansion, externe Entitäten) wird die Datei abgelehnt."
    " / The XML file contains a document type declaration (DOCTYPE). E-invoices never need one;"
    " for security reasons (entity expansion, external entities) the file is refused."
)


def too_large(size: int, limit: int) -> str:
    return (
        f"Die XML-Datei ist mit {_mb(size)} größer als die zulässigen {_mb(limit)} und wird nicht"
        f" verarbeitet. / The XML file ({_mb(size)}) exceeds the limit of {_mb(limit)} and is"
        " not processed."
    )


def not_xml(detail: str) -> str:
    return (
        f"Die Datei ist kein wohlgeformtes XML ({detail}). / The file is not well-formed XML"
        f" ({detail})."
    )


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


_local = threading.local()


def _parser() -> etree.XMLParser:
    """One locked-down parser per thread (lxml parsers must not be shared across threads)."""
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
            collect_ids=False,
        )
        _local.parser = parser
    return parser


def _utf8_head(data: bytes, limit: int) -> bytes:
    """The first ``limit`` bytes, re-encoded as UTF-8 if the document is UTF-16/32."""
    head = data[:limit]
    for bom, codec in (
        (b"\xff\xfe\x00\x00", "utf-32-le"),
        (b"\x00\x00\xfe\xff", "utf-32-be"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
    ):
        if head.startswith(bom):
            return head[len(bom) :].decode(codec, errors="ignore").encode("utf-8")
    if head.startswith(b"<\x00?\x00"):
        return head.decode("utf-16-le", errors="ignore").encode("utf-8")
    if head.startswith(b"\x00<\x00?"):
        return head.decode("utf-16-be", errors="ignore").encode("utf-8")
    return head


def has_doctype(data: bytes) -> bool:
    """True if the prolog (before the root element) holds a DOCTYPE declaration.

    Walks the prolog only: XML declaration, comments, processing instructions, whitespace.
    A prolog longer than the scan window is left to the check on the parsed tree.
    """
    head = _utf8_head(data, _PROLOG_SCAN_BYTES)
    i = 3 if head.startswith(b"\xef\xbb\xbf") else 0
    end = len(head)
    while i < end:
        if head[i] in b" \t\r\n":
            i += 1
        elif head.startswith(b"<?", i):
            close = head.find(b"?>", i + 2)
            if close < 0:
                return False
            i = close + 2
        elif head.startswith(b"<!--", i):
            close = head.find(b"-->", i + 4)
            if close < 0:
                return False
            i = close + 3
        else:
            return head[i : i + 9].upper() == b"<!DOCTYPE"
    return False


def check_size(size: int, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
    if size > max_bytes:
        raise UnsupportedContent(too_large(size, max_bytes))


def parse_xml(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._Element:
    """Parse ``data`` into an element tree, or raise InvalidInput / UnsupportedContent."""
    if not data or data.isspace():
        raise InvalidInput(EMPTY)
    check_size(len(data), max_bytes)
    if has_doctype(data):
        raise UnsupportedContent(DOCTYPE)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise InvalidInput(not_xml(_syntax_detail(exc))) from exc
    except ValueError as exc:  # e.g. lxml refusing a str with an encoding declaration
        raise InvalidInput(not_xml(str(exc))) from exc
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise UnsupportedContent(DOCTYPE)
    return root


def _syntax_detail(exc: etree.XMLSyntaxError) -> str:
    message = (exc.msg or "").strip() or "unbekannter Fehler / unknown error"
    line = getattr(exc, "lineno", None)
    return f"Zeile / line {line}: {message}" if line else message


@dataclass(frozen=True)
class XmlPeek:
    """What a cheap look at the start of an XML document found."""

    root_tag: str | None  # Clark notation: {namespace}localname
    specification_id: str | None  # UBL CustomizationID / CII guideline ID (BT-24)
    has_doctype: bool
    error: str | None = None


_SPEC_ID_TAGS = frozenset(
    {
        "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}CustomizationID",
    }
)
_GUIDELINE = "GuidelineSpecifiedDocumentContextParameter"
# Stop peeking once the document body starts: the specification id comes before these.
_BODY_LOCAL_NAMES = frozenset(
    {
        "AccountingSupplierParty",
        "InvoiceLine",
        "CreditNoteLine",
        "SupplyChainTradeTransaction",
        "SpecifiedSupplyChainTradeTransaction",
        "ExchangedDocument",
        "HeaderExchangedDocument",
    }
)


def peek(data: bytes, *, limit: int = _PEEK_BYTES) -> XmlPeek:
    """Root element and specification identifier from the first ``limit`` bytes.

    For the mailroom's sniffing: never parses the whole document, never raises. Documents
    with a DOCTYPE are not parsed at all (``has_doctype=True``, ``root_tag=None``).
    """
    if has_doctype(data):
        return XmlPeek(None, None, True)
    root_tag: str | None = None
    spec_id: str | None = None
    try:
        events = etree.iterparse(
            io.BytesIO(data[:limit]),
            events=("start", "end"),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
        )
        for event, element in events:
            tag = element.tag
            if not isinstance(tag, str):
                continue
            if root_tag is None:
                root_tag = tag
                continue
            local = tag.rpartition("}")[2]
            if event == "start":
                if local in _BODY_LOCAL_NAMES:
                    break
                continue
            if tag in _SPEC_ID_TAGS or (
                local == "ID"
                and (parent := element.getparent()) is not None
                and parent.tag.endswith(_GUIDELINE)
            ):
                spec_id = (element.text or "").strip()
                break
    except etree.XMLSyntaxError as exc:
        if root_tag is None:
            return XmlPeek(None, None, False, _syntax_detail(exc))
    return XmlPeek(root_tag, spec_id, False)
