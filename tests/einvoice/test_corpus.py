"""Every public sample invoice is read (or refused with a reason), with values checked by hand.

The expected values below were read off the XML files themselves.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from dms.errors import DmsError
from ingest.einvoice import parse_invoice, to_jsonable
from ingest.einvoice.codelists import (
    ISO3166_COUNTRIES,
    ISO4217_CURRENCIES,
    PAYMENT_MEANS_CODES,
    UNIT_CODES,
    VAT_CATEGORY_CODES,
    VATEX_CODES,
)
from ingest.einvoice.detect import detect
from ingest.einvoice.locations import field_path, locate, namespaces
from ingest.einvoice.model import Profile, Syntax
from tests.einvoice.conftest import CORPUS, SKIP_REASON, corpus_files

FILES = corpus_files()
XRECHNUNG = CORPUS / "xrechnung-testsuite" / "src" / "test"
ZUGFERD = CORPUS / "zugferd-corpus"
CIUS = XRECHNUNG / "technical-cases" / "cius"
NO_LINE_PROFILES = (Profile.MINIMUM, Profile.BASIC_WL)

needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=SKIP_REASON)


def _ids(path: Path) -> str:
    return str(path.relative_to(CORPUS))


def _files_or_skip() -> list:
    if FILES:
        return FILES
    return [pytest.param(None, marks=pytest.mark.skip(reason=SKIP_REASON))]


@needs_corpus
def test_corpus_is_complete() -> None:
    """The brief: all *_ubl.xml / *_uncefact.xml instances and every ZUGFeRD PDF and XML."""
    xrechnung = [p for p in FILES if "xrechnung-testsuite" in p.parts]
    zugferd = [p for p in FILES if "zugferd-corpus" in p.parts]
    assert len(xrechnung) == 49
    assert len(zugferd) == 28


@pytest.mark.parametrize("path", _files_or_skip(), ids=lambda p: _ids(p) if p else "absent")
def test_every_corpus_file_is_read_or_refused_with_a_reason(path: Path) -> None:
    try:
        parsed = parse_invoice(path)
    except DmsError as exc:  # a refusal must say why, in German and English
        assert " / " in exc.message and len(exc.message) > 30, exc.message
        return
    invoice = parsed.invoice
    assert invoice.number and invoice.issue_date and invoice.currency_code
    assert invoice.seller is not None and invoice.seller.name
    assert invoice.buyer is not None and invoice.buyer.name
    assert invoice.totals is not None and invoice.totals.amount_due is not None
    assert invoice.parse_issues == ()
    assert invoice.profile is not Profile.UNKNOWN
    if invoice.profile in NO_LINE_PROFILES:
        assert not invoice.lines
        assert parsed.is_einvoice_under_german_vat_law is False
        assert "§ 14 UStG" in (parsed.einvoice_note or "")
        assert parsed.warnings[0] == parsed.einvoice_note
    else:
        assert invoice.lines
    json.dumps(to_jsonable(invoice))
    detection = detect(path)
    assert detection.kind == parsed.source_kind
    assert detection.profile == invoice.profile
    assert detection.specification_identifier == invoice.specification_identifier


@pytest.mark.parametrize(
    "path",
    [p for p in FILES if "xrechnung-testsuite" in p.parts] or _files_or_skip(),
    ids=lambda p: _ids(p) if p else "absent",
)
def test_xrechnung_testsuite_is_xrechnung_3_without_warnings(path: Path) -> None:
    parsed = parse_invoice(path)
    assert parsed.invoice.profile is Profile.XRECHNUNG_3
    assert parsed.is_einvoice_under_german_vat_law is True
    assert parsed.warnings == ()
    assert parsed.invoice.buyer_reference  # BT-10 is mandatory in XRechnung (BR-DE-15)
    expected = Syntax.CII if path.name.endswith("_uncefact.xml") else Syntax.UBL_INVOICE
    assert parsed.invoice.syntax is expected


@needs_corpus
def test_manifest_specification_ids_and_embedded_names_match() -> None:
    """MANIFEST.txt lists, per file, the embedded XML name and the guideline ID."""
    rows = []
    for line in (ZUGFERD / "MANIFEST.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        path, embedded, root, spec = (part.strip() for part in line.split("|"))
        rows.append((ZUGFERD / path, embedded, root, spec))
    assert sorted(row[0] for row in rows) == sorted(p for p in FILES if "zugferd-corpus" in p.parts)
    for path, embedded, root, spec in rows:
        parsed = parse_invoice(path)
        if path.name == "MustangRE-20171118_506_ZUGFeRD1and2.pdf":
            # Two invoice XMLs: the manifest names the first (ZUGFeRD 1.0); we prefer the
            # EN 16931 one and say so.
            assert parsed.embedded_name == "factur-x.xml"
            assert any("mehrere Rechnungsdatensätze" in w for w in parsed.warnings)
            continue
        assert parsed.invoice.specification_identifier == spec, path
        if embedded != "-":
            assert parsed.embedded_name == embedded
            assert parsed.source_kind == "zugferd-pdf"
        assert etree.QName(etree.fromstring(parsed.xml_bytes)).localname == root


# --- values read by hand from the XML --------------------------------------------------------


@needs_corpus
@pytest.mark.parametrize("suffix", ["ubl", "uncefact"])
def test_comprehensive_01_01_values(suffix: str) -> None:
    invoice = parse_invoice(CIUS / f"01.01_comprehensive_test_{suffix}.xml").invoice
    assert invoice.number == "1234567"
    assert invoice.issue_date == date(2018, 4, 13)
    assert invoice.due_date == date(2018, 4, 13)
    assert invoice.tax_point_date == date(2018, 4, 13)
    assert invoice.type_code == "380"
    assert invoice.currency_code == "EUR"
    assert invoice.vat_accounting_currency_code == "GBP"
    assert invoice.buyer_reference == "90000000-03083-72"  # the Leitweg-ID
    assert invoice.purchase_order_reference == "65002278"
    assert invoice.sales_order_reference == "ABC123456789"
    assert invoice.contract_reference == "0000000752"
    assert invoice.project_reference == "PR12345678"
    assert invoice.receiving_advice_reference == "RAR123456789"
    assert invoice.despatch_advice_reference == "DAR123456789"
    assert invoice.tender_or_lot_reference == "ANG987654321"
    assert invoice.invoiced_object_identifier is not None
    assert invoice.invoiced_object_identifier.value == "OK987654321"
    assert invoice.buyer_accounting_reference == "Buchungscode1"
    assert [(n.subject_code, n.text) for n in invoice.notes] == [
        ("AAC", "Invoice Note Description"),
        ("AAC", "Invoice Note Description 2"),
    ]
    assert invoice.preceding_invoices[0].reference == "PIR1234567890"
    assert invoice.preceding_invoices[0].issue_date == date(2018, 2, 4)

    seller = invoice.seller
    assert seller is not None and seller.name == "[Seller name]"
    assert seller.trading_name == "[Seller trading name]"
    assert seller.vat_id == "ATU123456789"
    assert seller.tax_registration_id == "123/456/789"
    assert seller.legal_registration_id is not None
    assert (seller.legal_registration_id.value, seller.legal_registration_id.scheme_id) == (
        "123456789",
        "0088",
    )
    assert seller.electronic_address is not None
    assert seller.electronic_address.value == "rechnungsausgang@test.com"
    assert seller.electronic_address.scheme_id == "EM"
    assert seller.address is not None and seller.address.city == "[Seller city]"
    assert seller.address.post_code == "12345" and seller.address.country_code == "DE"
    assert seller.address.line3 == "[Seller address line 3]"
    assert seller.contact is not None and seller.contact.email == "tim.tester@test.com"

    buyer = invoice.buyer
    assert buyer is not None and buyer.vat_id == "DE12345ABC"
    assert buyer.legal_registration_id is not None
    assert buyer.legal_registration_id.value == "90000000-03083-72"
    assert buyer.legal_registration_id.scheme_id == "0204"
    assert buyer.contact is not None and buyer.contact.name == "Tina Tester"
    assert invoice.payee is not None and invoice.payee.name == "[Payee name]"
    assert invoice.seller_tax_representative is not None
    assert invoice.seller_tax_representative.vat_id == "DE124567"
    assert invoice.delivery is not None
    assert invoice.delivery.actual_delivery_date == date(2018, 4, 13)
    assert invoice.delivery.address is not None
    assert invoice.delivery.address.city == "[Deliver to city]"
    assert invoice.invoicing_period is not None
    assert invoice.invoicing_period.start_date == date(2018, 4, 13)

    payment = invoice.payment_instructions
    assert payment is not None and payment.means_code == "58"
    assert payment.means_codes == ("58", "58")
    assert payment.means_text == "[Payment means text]"
    assert payment.remittance_information == "Deb. 12345 / Fact. 9876543"
    assert [t.account_id for t in payment.credit_transfers] == [
        "DE79000000001234567890",
        "DE16000000002345678901",
    ]
    assert payment.credit_transfers[0].account_name == "[Payment account name]"

    totals = invoice.totals
    assert totals is not None
    assert totals.line_net_total == Decimal("10781.25")
    assert totals.allowance_total == Decimal("20")
    assert totals.charge_total == Decimal("20")
    assert totals.total_without_vat == Decimal("10781.25")
    assert totals.vat_total == Decimal("2048.44")
    assert totals.vat_total is not None and totals.vat_total.currency == "EUR"
    assert totals.vat_total_accounting_currency == Decimal("2048.44")
    assert totals.vat_total_accounting_currency is not None
    assert totals.vat_total_accounting_currency.currency == "GBP"
    assert totals.total_with_vat == Decimal("12829.69")
    assert totals.paid_amount == Decimal("0")
    assert totals.amount_due == Decimal("12829.69")
    assert [
        (v.category_code, v.rate, v.taxable_amount, v.tax_amount) for v in invoice.vat_breakdown
    ] == [
        ("S", Decimal("19"), Decimal("10781.25"), Decimal("2048.44")),
        ("E", Decimal("0"), Decimal("0"), Decimal("0")),
    ]
    assert invoice.vat_breakdown[1].exemption_reason_code == "VATEX-EU-132-1A"
    assert [a.reason for a in invoice.allowances] == ["Fixed long term", "Fixed long term 2"]
    assert [c.reason_code for c in invoice.charges] == ["TAC", "TAC"]
    assert (
        invoice.charges[0].amount == Decimal("10") and invoice.charges[0].vat_category_code == "E"
    )
    assert invoice.charges[0].percentage == Decimal("10")

    assert len(invoice.attachments) == 2
    attachment = invoice.attachments[0]
    assert attachment.reference == "01_15_Anhang_01.pdf"
    assert attachment.filename == "01_15_Anhang_01.pdf"
    assert attachment.mime_code == "application/pdf"
    assert attachment.external_uri == "https://xeinkauf.de/xrechnung/"
    assert attachment.data is not None and attachment.data.startswith(b"%PDF-1.5")

    assert len(invoice.lines) == 2
    line = invoice.lines[0]
    assert line.id == "1"
    assert line.quantity == Decimal("30") and line.unit_code == "XPP"
    assert line.net_amount == Decimal("4743.75")
    assert line.order_line_reference == "6171175.1"
    assert line.accounting_reference == "Konto 1"
    assert line.object_identifier is not None
    assert line.object_identifier.value == "ANG987654321"
    assert line.object_identifier.scheme_id == "ABZ"
    assert line.period is not None and line.period.end_date == date(2018, 4, 13)
    assert [c.amount for c in line.charges] == [Decimal("20"), Decimal("20")]
    assert [a.reason for a in line.allowances] == ["Fixed long term", "Fixed long term 2"]
    assert line.price is not None
    assert line.price.net_price == Decimal("158.125")
    assert line.price.gross_price == Decimal("168.125")
    assert line.price.discount == Decimal("10")
    assert line.price.base_quantity == Decimal("1") and line.price.base_quantity_unit_code == "XPP"
    assert line.vat is not None and (line.vat.category_code, line.vat.rate) == ("S", Decimal("19"))
    item = line.item
    assert item is not None and item.name == "Beratung"
    assert item.description == "Anforderungsmanagement"
    assert (item.seller_id, item.buyer_id) == ("1034", "5034")
    assert item.standard_id is not None and item.standard_id.scheme_id == "0088"
    assert [c.code for c in item.classifications] == ["0721-880X", "0721-880XYZ"]
    assert item.classifications[0].list_id == "IB"
    assert item.classifications[0].list_version_id == "88"
    assert item.origin_country == "DE"
    assert [(a.name, a.value) for a in item.attributes] == [
        ("[Description]", "[Value]"),
        ("[Description 2]", "[Value 2]"),
    ]


@needs_corpus
def test_amounts_keep_their_text_and_currency() -> None:
    ubl = parse_invoice(CIUS / "01.01_comprehensive_test_ubl.xml").invoice
    cii = parse_invoice(CIUS / "01.01_comprehensive_test_uncefact.xml").invoice
    assert ubl.lines[0].price is not None and ubl.lines[0].price.net_price is not None
    assert ubl.lines[0].price.net_price.text == "158.125"
    assert ubl.lines[0].price.net_price.currency == "EUR"
    assert cii.lines[0].price is not None and cii.lines[0].price.gross_price is not None
    assert cii.lines[0].price.gross_price.text == "168.1250000000"  # as written in the CII file
    assert cii.lines[0].price.gross_price.decimal_places == 10
    assert cii.lines[0].quantity == Decimal("30.00000000000")


@needs_corpus
def test_card_and_direct_debit_payment() -> None:
    for suffix in ("ubl", "uncefact"):
        card = parse_invoice(CIUS / f"01.03_comprehensive_test_{suffix}.xml").invoice
        assert card.payment_instructions is not None
        assert card.payment_instructions.means_code == "48"
        assert card.payment_instructions.payment_card is not None
        assert card.payment_instructions.payment_card.primary_account_number == "6789"
        assert card.payment_instructions.payment_card.holder_name == "[Name Cardholder]"

        debit = parse_invoice(CIUS / f"01.04_comprehensive_test_{suffix}.xml").invoice
        assert debit.payment_instructions is not None
        assert debit.payment_instructions.means_code == "59"
        direct = debit.payment_instructions.direct_debit
        assert direct is not None
        assert direct.mandate_reference == "[Mandate Reference Identifier]"
        assert direct.creditor_id == "[Bank assigned creditor identifier]"
        assert direct.debited_account_id == "DE79000000001234567890"
        # the SEPA creditor id is BT-90, not a seller identifier (BT-29)
        assert debit.seller is not None
        assert all(i.scheme_id != "SEPA" for i in debit.seller.identifiers)


@needs_corpus
def test_ubl_credit_note() -> None:
    parsed = parse_invoice(ZUGFERD / "XML-Rechnung" / "UBL" / "ubl-tc434-creditnote1.xml")
    invoice = parsed.invoice
    assert parsed.source_kind == "ubl"
    assert invoice.syntax is Syntax.UBL_CREDIT_NOTE and invoice.is_credit_note
    assert invoice.type_code == "381"
    assert invoice.number == "018304 / 28865"
    assert invoice.profile is Profile.EN16931
    assert len(invoice.lines) == 1
    line = invoice.lines[0]
    assert line.quantity == Decimal("1.00") and line.unit_code == "C62"
    assert line.net_amount == Decimal("100.11")
    assert line.item is not None and line.item.seller_id == "V55"
    assert invoice.totals is not None and invoice.totals.amount_due == Decimal("100.11")
    payment = invoice.payment_instructions
    assert payment is not None and payment.means_code == "1"
    assert payment.credit_transfers[0].account_id == "BE91000000143476"
    assert payment.credit_transfers[0].service_provider_id == "BPOTBEB1"
    assert invoice.vat_breakdown[0].exemption_reason == "Taxes are not applicable"


@needs_corpus
def test_xrechnung_extension_sub_lines() -> None:
    invoice = parse_invoice(
        XRECHNUNG / "business-cases" / "extension" / "04.03a-INVOICE_ubl.xml"
    ).invoice
    assert invoice.type_code == "877"
    assert len(invoice.lines) == 1
    top = invoice.lines[0]
    assert top.net_amount == Decimal("21165166.39")
    assert [s.id for s in top.sub_lines] == ["3."]
    group = top.sub_lines[0]
    assert len(group.sub_lines) == 9
    assert group.sub_lines[0].id == "3.1." and group.sub_lines[0].sub_lines[0].id == "3.1.10."
    assert sum(1 for _ in invoice.iter_lines()) == 57
    assert group.sub_lines[0].location.endswith(
        "cac:InvoiceLine[1]/cac:SubInvoiceLine[1]/cac:SubInvoiceLine[1]"
    )


@needs_corpus
def test_zugferd_1_is_read_and_flagged() -> None:
    parsed = parse_invoice(
        ZUGFERD / "ZUGFeRDv1" / "correct" / "Intarsys" / "ZUGFeRD_1p0_COMFORT_Einfach.pdf"
    )
    invoice = parsed.invoice
    assert parsed.embedded_name == "ZUGFeRD-invoice.xml"
    assert invoice.syntax is Syntax.ZUGFERD1 and invoice.profile is Profile.ZUGFERD_1
    assert parsed.is_einvoice_under_german_vat_law is False
    assert "ZUGFeRD 1.0" in (parsed.einvoice_note or "") and "§ 14 UStG" in (
        parsed.einvoice_note or ""
    )
    assert invoice.number == "471102" and invoice.issue_date == date(2013, 3, 5)
    assert invoice.due_date == date(2013, 4, 4)
    assert invoice.seller is not None and invoice.seller.vat_id == "DE123456789"
    assert invoice.seller.tax_registration_id == "201/113/40209"
    assert invoice.buyer is not None and invoice.buyer.name == "Kunden AG Mitte"
    assert [(v.rate, v.tax_amount) for v in invoice.vat_breakdown] == [
        (Decimal("7.00"), Decimal("19.25")),
        (Decimal("19.00"), Decimal("37.62")),
    ]
    assert invoice.totals is not None and invoice.totals.amount_due == Decimal("529.87")
    assert invoice.totals.vat_total == Decimal("56.87")
    assert [(line.id, line.net_amount) for line in invoice.lines] == [
        ("1", Decimal("198.00")),
        ("2", Decimal("275.00")),
    ]
    assert invoice.lines[0].price is not None
    assert invoice.lines[0].price.net_price == Decimal("9.9000")
    assert invoice.lines[1].vat is not None and invoice.lines[1].vat.rate == Decimal("7.00")
    payment = invoice.payment_instructions
    assert (
        payment is not None and payment.credit_transfers[0].account_id == "DE08700901001234567890"
    )
    assert payment.credit_transfers[0].service_provider_id == "GENODEF1M04"


@needs_corpus
def test_minimum_profile_is_read_but_not_an_einvoice() -> None:
    parsed = parse_invoice(
        ZUGFERD / "ZUGFeRDv2" / "correct" / "FNFE-factur-x-examples" / "Facture_FR_MINIMUM.pdf"
    )
    invoice = parsed.invoice
    assert invoice.profile is Profile.MINIMUM
    assert parsed.is_einvoice_under_german_vat_law is False
    assert parsed.einvoice_note is not None
    assert parsed.einvoice_note.startswith("Das Profil MINIMUM enthält keine Rechnungspositionen")
    assert "seit 2025 nicht als E-Rechnung im Sinne des § 14 UStG" in parsed.einvoice_note
    assert invoice.number == "FA-2017-0010"
    assert invoice.purchase_order_reference == "PO445"
    assert invoice.totals is not None
    assert invoice.totals.total_without_vat == Decimal("624.90")
    assert invoice.totals.amount_due == Decimal("470.15")
    assert invoice.totals.amount_due is not None and invoice.totals.amount_due.currency == "EUR"
    assert invoice.lines == ()


@needs_corpus
def test_basic_wl_profile_is_flagged() -> None:
    parsed = parse_invoice(
        ZUGFERD
        / "ZUGFeRDv2"
        / "correct"
        / "symtrax"
        / "Beispiele"
        / "BASIC WL"
        / "zugferd_2p1_BASIC-WL_Einfach.pdf"
    )
    assert parsed.invoice.profile is Profile.BASIC_WL
    assert parsed.is_einvoice_under_german_vat_law is False
    assert (parsed.einvoice_note or "").startswith(
        "Das Profil BASIC WL enthält keine Rechnungspositionen"
    )


@needs_corpus
def test_xrechnung_inside_pdf() -> None:
    parsed = parse_invoice(
        ZUGFERD / "XML-Rechnung" / "FX" / "XRECHNUNG_Betriebskostenabrechnung.pdf"
    )
    invoice = parsed.invoice
    assert parsed.embedded_name == "xrechnung.xml"
    assert invoice.profile is Profile.XRECHNUNG_LEGACY  # xrechnung_2.1
    assert invoice.buyer_reference == "04011000-12345-34"
    assert invoice.totals is not None
    assert invoice.totals.paid_amount == Decimal("17808.00")
    assert invoice.totals.amount_due == Decimal("502.63")
    assert [(a.filename, a.mime_code) for a in invoice.attachments] == [
        ("Betriebskostenabrechnung.pdf", "application/pdf")
    ]
    assert invoice.attachments[0].data is not None
    assert invoice.attachments[0].data.startswith(b"%PDF")


@needs_corpus
def test_cii_credit_note_type_code_and_negative_amounts() -> None:
    basic = parse_invoice(
        ZUGFERD
        / "ZUGFeRDv2"
        / "correct"
        / "intarsys"
        / "BASIC"
        / "zugferd_2p0_BASIC_Rechnungskorrektur.pdf"
    ).invoice
    assert basic.profile is Profile.BASIC
    assert basic.totals is not None and basic.totals.amount_due == Decimal("-8.79")
    avoir = parse_invoice(
        ZUGFERD / "ZUGFeRDv2" / "correct" / "FNFE-factur-x-examples" / "Avoir_FR_type381_BASIC.pdf"
    ).invoice
    assert avoir.type_code == "381" and avoir.is_credit_note and avoir.syntax is Syntax.CII


# --- locations -------------------------------------------------------------------------------


def _groups(obj: object):
    if dataclasses.is_dataclass(obj) and hasattr(obj, "location"):
        yield obj
    if dataclasses.is_dataclass(obj):
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            for item in value if isinstance(value, tuple) else (value,):
                if dataclasses.is_dataclass(item):
                    yield from _groups(item)


_NOT_XML_FIELDS = {"location", "syntax", "profile", "parse_issues", "is_charge", "proprietary"}
_COMPOUND_TEXT = {"payment_terms", "note", "description", "text", "subject_code"}


@pytest.mark.parametrize(
    "path",
    _files_or_skip(),
    ids=lambda p: _ids(p) if p else "absent",
)
def test_every_recorded_location_points_at_the_value(path: Path) -> None:
    parsed = parse_invoice(path)
    invoice = parsed.invoice
    if invoice.syntax is Syntax.ZUGFERD1:
        pytest.skip("ZUGFeRD 1.0 locations name the D16B equivalents")
    root = etree.fromstring(parsed.xml_bytes)
    prefixes = namespaces(invoice.syntax)
    checked = 0
    for group in _groups(invoice):
        assert root.xpath(group.location, namespaces=prefixes), group.location
        for f in dataclasses.fields(group):
            value = getattr(group, f.name)
            if f.name in _NOT_XML_FIELDS or value is None or value == ():
                continue
            if dataclasses.is_dataclass(value) or (
                isinstance(value, tuple) and hasattr(value[0], "location")
            ):
                continue  # a group of its own, checked on its own
            assert field_path(invoice.syntax, group, f.name) is not None, (type(group), f.name)
            where = locate(invoice, group, f.name)
            found = root.xpath(where, namespaces=prefixes)
            assert found, where
            if isinstance(value, str) and f.name not in _COMPOUND_TEXT:
                texts = [(r if isinstance(r, str) else (r.text or "")).strip() for r in found]
                assert value in texts, (where, value, texts)
            checked += 1
    assert checked > 10


# --- code lists against the (valid) official test suite -------------------------------------


@needs_corpus
def test_code_lists_cover_the_official_test_suite() -> None:
    for path in (p for p in FILES if "xrechnung-testsuite" in p.parts):
        invoice = parse_invoice(path).invoice
        assert invoice.currency_code in ISO4217_CURRENCIES
        for line in invoice.iter_lines():
            if line.unit_code is not None:
                assert line.unit_code in UNIT_CODES, (path.name, line.unit_code)
            if line.vat is not None:
                assert line.vat.category_code in VAT_CATEGORY_CODES
        for vat in invoice.vat_breakdown:
            assert vat.category_code in VAT_CATEGORY_CODES
            if vat.exemption_reason_code:
                assert vat.exemption_reason_code.upper() in VATEX_CODES
        for party in (invoice.seller, invoice.buyer):
            if party is not None and party.address is not None:
                assert party.address.country_code in ISO3166_COUNTRIES
        if invoice.payment_instructions is not None:
            assert set(invoice.payment_instructions.means_codes) <= PAYMENT_MEANS_CODES


def test_cli_parse_prints_the_business_terms(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from click.testing import CliRunner

    from dms.cli.main import main
    from tests.einvoice.builders import build_cii

    path = tmp_path / "rechnung.xml"
    path.write_bytes(build_cii())
    result = CliRunner().invoke(main, ["invoice", "parse", str(path), "--json"],
                                env={"DMS_HOME": str(tmp_path)})
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["syntax"] == "CII" and data["invoice"]["BT-1"]
    bad = tmp_path / "kein.xml"
    bad.write_text("<html/>")
    refused = CliRunner().invoke(main, ["invoice", "parse", str(bad)],
                                 env={"DMS_HOME": str(tmp_path)})
    assert refused.exit_code != 0 and "Fehler" in refused.output
