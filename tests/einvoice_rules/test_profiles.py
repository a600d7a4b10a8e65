"""Which rules apply: XRechnung (CIUS, extension, older versions), plain EN 16931 and its
other CIUS, ZUGFeRD EXTENDED, and the profiles that are not checked as invoices."""

from __future__ import annotations

import pytest

from ingest.einvoice import parse_invoice
from ingest.einvoice.validation import Report, validate
from tests.einvoice.builders import EN16931, build, build_zugferd_pdf
from tests.einvoice_rules.cases import XRECHNUNG_EXTENSION, sub_line
from tests.einvoice_rules.variants import add_child

PEPPOL = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
EXTENDED = "urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended"
XRECHNUNG_2 = "urn:cen.eu:en16931:2017#compliant#urn:xoev-de:kosit:standard:xrechnung_2.3"
SYNTAXES = ("cii", "ubl", "ubl-creditnote")
NO_XRECHNUNG_DATA = {"buyer_reference": None, "seller": {"contact": None}, "payment": None}


def _report(spec: dict, syntax: str = "cii") -> Report:
    return validate(parse_invoice(build(spec, syntax=syntax)))


@pytest.mark.parametrize("syntax", SYNTAXES)
def test_xrechnung_applies_the_national_rules(syntax: str) -> None:
    report = _report(NO_XRECHNUNG_DATA, syntax)
    assert report.checked == ("schema", "EN 16931", "XRechnung")
    assert {"BR-DE-1", "BR-DE-2", "BR-DE-15"} <= report.rule_ids("error")
    assert not report.valid


@pytest.mark.parametrize("syntax", SYNTAXES)
@pytest.mark.parametrize("specification", [EN16931, PEPPOL])
def test_other_en16931_documents_get_the_en_rules_only(syntax: str, specification: str) -> None:
    report = _report({**NO_XRECHNUNG_DATA, "specification_id": specification}, syntax)
    assert report.checked == ("schema", "EN 16931")
    assert report.valid, [f.rule_id for f in report.errors]
    assert not any(f.rule_id.startswith("BR-DE") for f in report.findings)
    wrong = _report({"specification_id": specification, "totals": {"amount_due": "1.00"}}, syntax)
    assert "BR-CO-16" in wrong.rule_ids("error")


@pytest.mark.parametrize("syntax", ("cii", "ubl"))
def test_the_extension_applies_its_own_rules_too(syntax: str) -> None:
    xml = sub_line("40.00")(build({"specification_id": XRECHNUNG_EXTENSION}, syntax=syntax), syntax)
    report = validate(parse_invoice(xml))
    assert report.checked == ("schema", "EN 16931", "XRechnung", "XRechnung Extension")
    assert "BR-DEX-02" in report.rule_ids("error")
    # the same sub line in a CIUS document: the extension rules do not apply
    cius = sub_line("40.00")(build({}, syntax=syntax), syntax)
    assert "BR-DEX-02" not in validate(parse_invoice(cius)).rule_ids()


def test_older_xrechnung_versions_get_the_national_rules_and_a_warning() -> None:
    report = _report({"specification_id": XRECHNUNG_2})
    assert report.valid
    assert report.rule_ids("warning") == {"BR-DE-21"}
    assert (
        "BR-DE-15" in _report({"specification_id": XRECHNUNG_2, "buyer_reference": None}).rule_ids()
    )


@pytest.mark.parametrize("profile", ["urn:factur-x.eu:1p0:minimum", "urn:factur-x.eu:1p0:basicwl"])
def test_minimum_and_basic_wl_are_not_checked_as_invoices(profile: str) -> None:
    parsed = parse_invoice(build({"specification_id": profile, "totals": {"amount_due": "1.00"}}))
    report = validate(parsed)
    assert not report.valid
    assert [f.rule_id for f in report.findings] == ["DMS-PROFILE"]  # not BR-CO-16
    assert report.note == parsed.einvoice_note
    finding = report.findings[0]
    assert "keine Rechnungspositionen" in finding.message_de
    assert "§ 14 UStG" in finding.message_de
    assert "section 14" in finding.message_en
    assert report.to_jsonable()["note"] == parsed.einvoice_note


def test_extended_relaxes_the_code_lists_it_widens() -> None:
    spec = {
        "specification_id": EXTENDED,
        "allowances": [{"amount": "5.00", "reason": "Bonus", "reason_code": "ABK"}],
        "buyer": {"electronic_address": ("9958", "04011000-12345-03")},
    }
    report = _report(spec)
    assert report.valid, [f.rule_id for f in report.errors]
    assert {"BR-CL-19", "BR-CL-25"} <= report.rule_ids("warning")
    # the same in an EN 16931 invoice is an error
    strict = _report({**spec, "specification_id": EN16931})
    assert {"BR-CL-19", "BR-CL-25"} <= strict.rule_ids("error")


def test_extended_counts_logistics_service_charges() -> None:
    spec = {
        "specification_id": EXTENDED,
        "totals": {
            "charge_total": "10.00",
            "total_without_vat": "55.00",
            "vat_total": "10.45",
            "total_with_vat": "65.45",
        },
        "vat_breakdown": [
            {"category": "S", "rate": "19", "taxable": "55.00", "tax": "10.45"},
        ],
    }
    charge = (
        '<ram:SpecifiedLogisticsServiceCharge xmlns:ram="urn:un:unece:uncefact:data:standard:'
        'ReusableAggregateBusinessInformationEntity:100"><ram:Description>Fracht</ram:Description>'
        "<ram:AppliedAmount>10.00</ram:AppliedAmount><ram:AppliedTradeTax><ram:TypeCode>VAT"
        "</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>19"
        "</ram:RateApplicablePercent></ram:AppliedTradeTax></ram:SpecifiedLogisticsServiceCharge>"
    )
    xml = add_child(build(spec), "//ram:ApplicableHeaderTradeSettlement", charge)
    report = validate(parse_invoice(xml))
    assert report.valid, [(f.rule_id, f.message_en) for f in report.errors]
    # without the EXTENDED profile the element is not part of the invoice: BT-108 is wrong
    plain = add_child(
        build({**spec, "specification_id": EN16931}),
        "//ram:ApplicableHeaderTradeSettlement",
        charge,
    )
    assert "BR-CO-12" in validate(parse_invoice(plain)).rule_ids("error")


@pytest.mark.parametrize("syntax", ("cii", "ubl"))
def test_a_zugferd_pdf_gets_the_verdict_of_its_xml(syntax: str) -> None:
    for spec in ({}, {"totals": {"amount_due": "1.00"}}):
        xml = build(spec, syntax=syntax)
        from_xml = validate(parse_invoice(xml))
        from_pdf = validate(parse_invoice(build_zugferd_pdf(xml)))
        assert from_pdf.valid == from_xml.valid
        assert from_pdf.rule_ids() == from_xml.rule_ids()
