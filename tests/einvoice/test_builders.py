"""The test builder itself: what the rules tests will rely on."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ingest.einvoice import parse_invoice_xml
from ingest.einvoice.model import Profile, Syntax
from tests.einvoice.builders import EN16931, build, default_spec, resolve

SYNTAXES = ["cii", "ubl", "ubl-creditnote"]


@pytest.mark.parametrize("syntax", SYNTAXES)
def test_default_invoice_has_every_xrechnung_mandatory_term(syntax: str) -> None:
    invoice = parse_invoice_xml(build(syntax=syntax))
    assert invoice.profile is Profile.XRECHNUNG_3
    assert invoice.parse_issues == ()
    assert invoice.number == "RE-2025-0001"
    assert invoice.buyer_reference == "04011000-12345-34"
    seller, buyer = invoice.seller, invoice.buyer
    assert seller is not None and buyer is not None
    assert seller.vat_id == "DE123456789"
    assert seller.electronic_address is not None and buyer.electronic_address is not None
    assert seller.contact is not None and seller.contact.telephone and seller.contact.email
    assert seller.address is not None and seller.address.city and seller.address.post_code
    assert buyer.address is not None and buyer.address.city and buyer.address.post_code
    payment = invoice.payment_instructions
    assert payment is not None and payment.means_code == "58"
    assert payment.credit_transfers[0].account_id == "DE02120300000000202051"
    assert invoice.payment_terms and invoice.due_date is not None
    totals = invoice.totals
    assert totals is not None
    assert (totals.line_net_total, totals.vat_total, totals.amount_due) == (
        Decimal("45.00"),
        Decimal("8.55"),
        Decimal("53.55"),
    )
    assert len(invoice.lines) == 1 and invoice.lines[0].net_amount == Decimal("45.00")


def test_credit_note_defaults_to_type_381() -> None:
    invoice = parse_invoice_xml(build(syntax="ubl-creditnote"))
    assert invoice.syntax is Syntax.UBL_CREDIT_NOTE and invoice.type_code == "381"


@pytest.mark.parametrize("syntax", SYNTAXES)
def test_none_leaves_an_element_out(syntax: str) -> None:
    invoice = parse_invoice_xml(
        build(
            {"buyer_reference": None, "seller": {"contact": None}, "payment": None}, syntax=syntax
        )
    )
    assert invoice.buyer_reference is None
    assert invoice.seller is not None and invoice.seller.contact is None
    assert invoice.payment_instructions is None


@pytest.mark.parametrize("syntax", SYNTAXES)
def test_totals_override_makes_a_wrong_total(syntax: str) -> None:
    invoice = parse_invoice_xml(build({"totals": {"amount_due": "1.00"}}, syntax=syntax))
    assert invoice.totals is not None
    assert invoice.totals.amount_due == Decimal("1.00")
    assert invoice.totals.total_with_vat == Decimal("53.55")


@pytest.mark.parametrize("syntax", SYNTAXES)
def test_allowances_charges_and_mixed_vat(syntax: str) -> None:
    spec = {
        "specification_id": EN16931,
        "lines": [
            {"id": "1", "name": "Papier", "quantity": "3", "price": "9.99"},
            {"id": "2", "name": "Buch", "quantity": "2", "price": "12.50", "vat_rate": "7"},
            {
                "id": "3",
                "name": "Porto",
                "quantity": "1",
                "price": "4.00",
                "vat_category": "E",
                "vat_rate": "0",
            },
        ],
        "allowances": [{"amount": "2.00", "reason": "Treuerabatt", "reason_code": "95"}],
        "charges": [{"amount": "5.00", "reason": "Verpackung", "reason_code": "ABL"}],
    }
    full = resolve(spec)
    invoice = parse_invoice_xml(build(spec, syntax=syntax))
    assert invoice.profile is Profile.EN16931
    assert [
        (v.category_code, v.rate, v.taxable_amount, v.tax_amount) for v in invoice.vat_breakdown
    ] == [
        ("S", Decimal("19"), Decimal("32.97"), Decimal("6.26")),
        ("S", Decimal("7"), Decimal("25.00"), Decimal("1.75")),
        ("E", Decimal("0"), Decimal("4.00"), Decimal("0.00")),
    ]
    assert invoice.vat_breakdown[2].exemption_reason
    assert invoice.allowances[0].reason_code == "95" and invoice.charges[0].reason_code == "ABL"
    totals = invoice.totals
    assert totals is not None
    assert totals.line_net_total == Decimal("58.97")
    assert totals.allowance_total == Decimal("2.00") and totals.charge_total == Decimal("5.00")
    assert totals.total_without_vat == Decimal("61.97")
    assert totals.vat_total == Decimal("8.01")
    assert totals.amount_due == full["totals"]["amount_due"] == Decimal("69.98")


@pytest.mark.parametrize("syntax", SYNTAXES)
def test_attachments_notes_references_and_direct_debit(syntax: str) -> None:
    spec = {
        "notes": [{"subject": "AAI", "text": "Bitte Bestellnummer angeben."}],
        "order_reference": "B-4711",
        "contract_reference": "V-2025-01",
        "project_reference": "P-9",
        "preceding_invoice": {"reference": "RE-2024-0999", "date": "2024-12-01"},
        "attachments": [
            {
                "reference": "Anlage-1",
                "description": "Leistungsnachweis",
                "filename": "nachweis.pdf",
                "mime": "application/pdf",
                "data": b"%PDF-1.7 test",
            }
        ],
        "payment": {
            "means_code": "59",
            "iban": None,
            "mandate": "MANDAT-1",
            "creditor_id": "DE98ZZZ09999999999",
            "debited_iban": "DE02100100109307118603",
        },
    }
    invoice = parse_invoice_xml(build(spec, syntax=syntax))
    assert [(n.subject_code, n.text) for n in invoice.notes] == [
        ("AAI", "Bitte Bestellnummer angeben.")
    ]
    assert invoice.purchase_order_reference == "B-4711"
    assert invoice.contract_reference == "V-2025-01"
    assert invoice.project_reference == "P-9"
    assert invoice.preceding_invoices[0].reference == "RE-2024-0999"
    (attachment,) = invoice.attachments
    assert attachment.data == b"%PDF-1.7 test" and attachment.filename == "nachweis.pdf"
    direct = invoice.payment_instructions.direct_debit if invoice.payment_instructions else None
    assert direct is not None
    assert (direct.mandate_reference, direct.creditor_id, direct.debited_account_id) == (
        "MANDAT-1",
        "DE98ZZZ09999999999",
        "DE02100100109307118603",
    )


def test_default_spec_is_a_fresh_copy() -> None:
    first = default_spec()
    first["seller"]["name"] = "geändert"
    assert default_spec()["seller"]["name"] == "Muster Bürobedarf GmbH"


@pytest.mark.parametrize("syntax", SYNTAXES)
def test_attachment_with_invalid_base64(syntax: str) -> None:
    spec = {"attachments": [{"reference": "A", "filename": "a.pdf", "data": b"%PDF-1.7 abc"}]}
    data = build(spec, syntax=syntax).replace(b"JVBERi0xLjcgYWJj", b"JVBERi0x!!!LjcgYWJj")
    (attachment,) = parse_invoice_xml(data).attachments
    assert attachment.content_base64 is not None and attachment.data is None
    assert attachment.base64_valid is False
    with pytest.raises(ValueError):
        attachment.decode()
    (good,) = parse_invoice_xml(build(spec, syntax=syntax)).attachments
    assert good.base64_valid and good.data == b"%PDF-1.7 abc"
