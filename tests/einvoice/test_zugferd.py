"""Finding and reading the invoice XML inside ZUGFeRD / Factur-X PDFs built by the tests."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from dms.errors import UnsupportedContent
from ingest.einvoice import parse_invoice
from ingest.einvoice.model import Profile, Syntax
from ingest.einvoice.zugferd import NO_INVOICE_DATA
from tests.einvoice.builders import (
    build_cii,
    build_pdf_with_attachments,
    build_ubl,
    build_zugferd_pdf,
)

ZUGFERD1_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryDocument xmlns:rsm="urn:ferd:CrossIndustryDocument:invoice:1p0"
  xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12"
  xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:15">
  <rsm:SpecifiedExchangedDocumentContext>
    <ram:GuidelineSpecifiedDocumentContextParameter>
      <ram:ID>urn:ferd:CrossIndustryDocument:invoice:1p0:basic</ram:ID>
    </ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:SpecifiedExchangedDocumentContext>
  <rsm:HeaderExchangedDocument>
    <ram:ID>ALT-1</ram:ID>
    <ram:TypeCode>380</ram:TypeCode>
    <ram:IssueDateTime>
      <udt:DateTimeString format="102">20170101</udt:DateTimeString>
    </ram:IssueDateTime>
  </rsm:HeaderExchangedDocument>
  <rsm:SpecifiedSupplyChainTradeTransaction>
    <ram:ApplicableSupplyChainTradeAgreement>
      <ram:BuyerReference>B-1</ram:BuyerReference>
      <ram:SellerTradeParty><ram:Name>Alt GmbH</ram:Name></ram:SellerTradeParty>
      <ram:BuyerTradeParty><ram:Name>Kunde</ram:Name></ram:BuyerTradeParty>
      <ram:BuyerOrderReferencedDocument><ram:ID>PO-1</ram:ID></ram:BuyerOrderReferencedDocument>
    </ram:ApplicableSupplyChainTradeAgreement>
    <ram:ApplicableSupplyChainTradeSettlement>
      <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
      <ram:SpecifiedTradeSettlementMonetarySummation>
        <ram:GrandTotalAmount currencyID="EUR">119.00</ram:GrandTotalAmount>
        <ram:DuePayableAmount currencyID="EUR">119.00</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementMonetarySummation>
    </ram:ApplicableSupplyChainTradeSettlement>
  </rsm:SpecifiedSupplyChainTradeTransaction>
</rsm:CrossIndustryDocument>
"""


def test_factur_x_pdf_is_parsed_from_its_embedded_xml(tmp_path: Path) -> None:
    xml = build_cii()
    path = tmp_path / "rechnung.pdf"
    path.write_bytes(build_zugferd_pdf(xml))
    parsed = parse_invoice(path)
    assert parsed.source_kind == "zugferd-pdf"
    assert parsed.embedded_name == "factur-x.xml"
    assert parsed.xml_bytes == xml
    assert parsed.root is not None and parsed.root.tag.endswith("}CrossIndustryInvoice")
    assert parsed.warnings == ()
    assert parsed.invoice.syntax is Syntax.CII
    assert parsed.invoice.totals is not None
    assert parsed.invoice.totals.amount_due == Decimal("53.55")


@pytest.mark.parametrize(
    "name", ["factur-x.xml", "xrechnung.xml", "zugferd-invoice.xml", "ZUGFeRD-invoice.xml"]
)
@pytest.mark.parametrize("relationship", ["Alternative", "Data", "Source"])
def test_standard_names_and_relationships(name: str, relationship: str) -> None:
    parsed = parse_invoice(build_zugferd_pdf(name=name, relationship=relationship))
    assert parsed.embedded_name == name and parsed.warnings == ()


def test_missing_or_odd_relationship_is_a_warning() -> None:
    parsed = parse_invoice(build_zugferd_pdf(relationship=None))
    assert len(parsed.warnings) == 1 and "AFRelationship" in parsed.warnings[0]
    parsed = parse_invoice(build_zugferd_pdf(relationship="Supplement"))
    assert "Supplement" in parsed.warnings[0]


def test_invoice_under_another_name_is_found_by_its_root() -> None:
    pdf = build_pdf_with_attachments(
        [
            {"name": "lieferschein.xml", "data": b"<Lieferschein/>"},
            {"name": "anhang.pdf", "data": b"%PDF-1.4 x", "mime": "application/pdf"},
            {"name": "rechnung.xml", "data": build_ubl(), "relationship": "Data"},
        ]
    )
    parsed = parse_invoice(pdf)
    assert parsed.embedded_name == "rechnung.xml"
    assert parsed.source_kind == "zugferd-pdf"
    assert parsed.invoice.syntax is Syntax.UBL_INVOICE
    assert any("nicht standardgemäßen Namen" in w for w in parsed.warnings)


def test_file_reachable_only_through_af_is_found() -> None:
    pdf = build_pdf_with_attachments(
        [{"name": "factur-x.xml", "data": build_cii(), "associated_only": True}]
    )
    assert parse_invoice(pdf).embedded_name == "factur-x.xml"


def test_en16931_xml_is_preferred_over_zugferd_1() -> None:
    pdf = build_pdf_with_attachments(
        [
            {"name": "ZUGFeRD-invoice.xml", "data": ZUGFERD1_XML},
            {"name": "factur-x.xml", "data": build_cii()},
        ]
    )
    parsed = parse_invoice(pdf)
    assert parsed.embedded_name == "factur-x.xml"
    assert parsed.invoice.profile is Profile.XRECHNUNG_3
    assert "mehrere Rechnungsdatensätze" in parsed.warnings[0]
    assert "ZUGFeRD-invoice.xml" in parsed.warnings[0]


def test_zugferd_1_alone_is_read_and_flagged() -> None:
    parsed = parse_invoice(build_zugferd_pdf(ZUGFERD1_XML, name="ZUGFeRD-invoice.xml"))
    invoice = parsed.invoice
    assert invoice.syntax is Syntax.ZUGFERD1 and invoice.profile is Profile.ZUGFERD_1
    assert parsed.is_einvoice_under_german_vat_law is False
    assert invoice.number == "ALT-1" and invoice.buyer_reference == "B-1"
    assert invoice.purchase_order_reference == "PO-1"
    assert invoice.totals is not None and invoice.totals.amount_due == Decimal("119.00")
    assert invoice.totals.amount_due is not None and invoice.totals.amount_due.currency == "EUR"


@pytest.mark.parametrize(
    ("spec_id", "profile"),
    [("urn:factur-x.eu:1p0:minimum", "MINIMUM"), ("urn:factur-x.eu:1p0:basicwl", "BASIC WL")],
)
def test_minimum_and_basic_wl_are_not_einvoices(spec_id: str, profile: str) -> None:
    xml = build_cii({"specification_id": spec_id, "lines": []})
    parsed = parse_invoice(build_zugferd_pdf(xml))
    assert parsed.invoice.profile.value == profile
    assert parsed.is_einvoice_under_german_vat_law is False
    assert parsed.einvoice_note is not None
    assert parsed.einvoice_note.startswith(
        f"Das Profil {profile} enthält keine Rechnungspositionen"
    )
    assert "seit 2025 nicht als E-Rechnung im Sinne des § 14 UStG" in parsed.einvoice_note
    assert parsed.warnings[0] == parsed.einvoice_note


def test_pdf_without_invoice_data_is_refused() -> None:
    pdf = build_pdf_with_attachments(
        [{"name": "notiz.txt", "data": b"hallo", "mime": "text/plain"}]
    )
    with pytest.raises(UnsupportedContent) as info:
        parse_invoice(pdf)
    assert info.value.message == NO_INVOICE_DATA
    with pytest.raises(UnsupportedContent):
        parse_invoice(build_pdf_with_attachments([]))


def test_hostile_embedded_xml_is_refused() -> None:
    evil = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "b">]><r>&a;</r>'
    with pytest.raises(UnsupportedContent) as info:
        parse_invoice(build_zugferd_pdf(evil))
    assert "DOCTYPE" in info.value.message


def test_damaged_pdf_is_refused() -> None:
    with pytest.raises(UnsupportedContent) as info:
        parse_invoice(b"%PDF-1.7\n" + b"\x00garbage" * 50)
    assert "beschädigt" in info.value.message
