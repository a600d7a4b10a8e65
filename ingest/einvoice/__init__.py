"""E-invoices (XRechnung, ZUGFeRD / Factur-X): detection and parsing into the EN 16931 model.

Entry points:

* :func:`parse_invoice` - a file (UBL or CII XML, or a ZUGFeRD/Factur-X PDF) into a
  :class:`ParsedInvoice`; refusals are :class:`dms.errors.InvalidInput` /
  :class:`dms.errors.UnsupportedContent` with a German and English reason.
* :func:`parse_invoice_xml` - invoice XML bytes into an :class:`~ingest.einvoice.model.Invoice`.
* :func:`ingest.einvoice.detect.detect` - cheap sniffing for the mailroom.
* :func:`cli_parse` / :func:`to_jsonable` - the JSON rendering for ``dms invoice parse``.

Layout: ``xml_safety`` parses (the only module that does), ``ubl`` and ``cii`` map the two
syntaxes onto ``model``, ``zugferd`` finds the XML in a PDF, ``profiles`` derives the profile
from BT-24, ``codelists`` holds the code lists, ``locations`` turns a term into an XPath.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from dms.errors import InvalidInput, UnsupportedContent
from ingest.einvoice import cii, ubl
from ingest.einvoice.model import Invoice, Profile, Syntax
from ingest.einvoice.profiles import UNKNOWN_SPECIFICATION, einvoice_status
from ingest.einvoice.render import cli_parse, to_jsonable
from ingest.einvoice.xml_safety import DEFAULT_MAX_BYTES, check_size, parse_xml
from ingest.einvoice.zugferd import extract_invoice_xml

__all__ = [
    "DEFAULT_MAX_PDF_BYTES",
    "ParsedInvoice",
    "cli_parse",
    "is_pdf",
    "parse_invoice",
    "parse_invoice_xml",
    "read_invoice_xml",
    "to_jsonable",
]

#: PDFs may carry scans and attachments; only the embedded XML is bound by the XML limit.
DEFAULT_MAX_PDF_BYTES = 200 * 1024 * 1024
_SNIFF_BYTES = 1024

ZUGFERD1_MAPPED = (
    "ZUGFeRD 1.0 wurde auf die Struktur von CII D16B abgebildet; Ortsangaben im Modell nennen"
    " die entsprechenden D16B-Elemente. / ZUGFeRD 1.0 was mapped onto the CII D16B structure;"
    " locations in the model name the corresponding D16B elements."
)


def not_an_invoice(root_tag: str) -> str:
    return (
        f"Die XML-Datei ist keine Rechnung im Format UBL 2.1 (Invoice/CreditNote) oder"
        f" UN/CEFACT CII (Wurzelelement {root_tag}). / The XML file is not a UBL 2.1"
        f" (Invoice/CreditNote) or UN/CEFACT CII invoice (root element {root_tag})."
    )


@dataclass(frozen=True)
class ParsedInvoice:
    """An invoice read from a file, with what the finance clerk must be told about it.

    ``xml_bytes`` is the invoice data (for a PDF: the embedded XML). ``warnings`` (German /
    English) list anything unusual about the source, starting with ``einvoice_note`` when the
    profile is not an e-invoice under § 14 UStG (MINIMUM, BASIC WL, ZUGFeRD 1.0).
    """

    invoice: Invoice
    source_kind: str  # "ubl", "cii" or "zugferd-pdf"
    xml_bytes: bytes
    warnings: tuple[str, ...] = ()
    is_einvoice_under_german_vat_law: bool = True
    einvoice_note: str | None = None
    embedded_name: str | None = None  # name of the XML inside the PDF
    #: The parsed tree, for schema-level checks without parsing again (for ZUGFeRD 1.0 its
    #: element names were mapped to CII D16B).
    root: etree._Element | None = field(default=None, repr=False, compare=False)


def is_pdf(head: bytes) -> bool:
    """PDF files start with ``%PDF-`` (readers accept it within the first KiB).

    A document that starts like XML is XML, even if ``%PDF-`` occurs in an early comment.
    """
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return False
    return b"%PDF-" in head[:_SNIFF_BYTES]


def parse_invoice_xml(xml: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Invoice:
    """Parse invoice XML (UBL Invoice/CreditNote, CII, ZUGFeRD 1.0) into the model."""
    return read_invoice_xml(xml, max_bytes=max_bytes)[1]


def read_invoice_xml(
    xml: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> tuple[etree._Element, Invoice]:
    """Like :func:`parse_invoice_xml`, also returning the parsed tree."""
    root = parse_xml(xml, max_bytes=max_bytes)
    tag = root.tag
    if tag == ubl.INVOICE_ROOT or tag == ubl.CREDIT_NOTE_ROOT:
        return root, ubl.parse(root)
    if tag == cii.ROOT:
        return root, cii.parse(root)
    if tag == cii.ZUGFERD1_ROOT:
        return root, cii.parse_zugferd1(root)
    raise UnsupportedContent(not_an_invoice(str(tag)))


def parse_invoice(
    source: str | Path | bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pdf_bytes: int = DEFAULT_MAX_PDF_BYTES,
) -> ParsedInvoice:
    """Read an e-invoice file: XRechnung/EN 16931 XML (UBL or CII) or a ZUGFeRD/Factur-X PDF.

    ``source`` is a path or the file's bytes. Sizes are checked before anything is parsed.
    """
    if isinstance(source, bytes):
        data: bytes | None = source
        head = source[:_SNIFF_BYTES]
        size = len(source)
    else:
        path = Path(source)
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(_SNIFF_BYTES)
        data = None
    if size == 0 or not head.strip():
        raise InvalidInput("Die Datei ist leer. / The file is empty.")

    warnings: list[str] = []
    embedded_name = None
    if is_pdf(head):
        check_size(size, max_pdf_bytes)
        embedded = extract_invoice_xml(data if data is not None else source, max_bytes=max_bytes)
        xml = embedded.data
        embedded_name = embedded.name
        warnings.extend(embedded.warnings)
        source_kind = "zugferd-pdf"
    else:
        check_size(size, max_bytes)
        xml = data if data is not None else Path(source).read_bytes()
        source_kind = ""

    root, invoice = read_invoice_xml(xml, max_bytes=max_bytes)
    if not source_kind:
        source_kind = (
            "ubl" if invoice.syntax in (Syntax.UBL_INVOICE, Syntax.UBL_CREDIT_NOTE) else "cii"
        )
    is_einvoice, note = einvoice_status(invoice.profile)
    if note:
        warnings.insert(0, note)
    if invoice.profile is Profile.UNKNOWN:
        warnings.append(UNKNOWN_SPECIFICATION.format(spec=invoice.specification_identifier or ""))
    if invoice.syntax is Syntax.ZUGFERD1:
        warnings.append(ZUGFERD1_MAPPED)
    return ParsedInvoice(
        invoice=invoice,
        source_kind=source_kind,
        xml_bytes=xml,
        warnings=tuple(warnings),
        is_einvoice_under_german_vat_law=is_einvoice,
        einvoice_note=note,
        embedded_name=embedded_name,
        root=root,
    )
