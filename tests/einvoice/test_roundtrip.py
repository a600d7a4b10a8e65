"""Generated values survive a trip through a generated invoice in both syntaxes (Hypothesis)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.einvoice import parse_invoice_xml
from ingest.einvoice.model import Syntax
from tests.einvoice.builders import build

SYNTAXES = ["cii", "ubl", "ubl-creditnote"]

#: xs:decimal lexical space: optional sign, digits with optional fraction, or ".digits".
decimal_texts = st.from_regex(
    r"\A[+-]?(?:[0-9]{1,12}(?:\.[0-9]{0,6})?|\.[0-9]{1,6})\Z", fullmatch=True
)
amounts = st.decimals(
    min_value=Decimal("-999999999.99"),
    max_value=Decimal("999999999.99"),
    places=2,
    allow_nan=False,
    allow_infinity=False,
)
xml_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"),
    min_size=1,
    max_size=40,
).filter(lambda s: s.strip() != "")

_settings = settings(max_examples=40, deadline=None)


@pytest.mark.parametrize("syntax", SYNTAXES)
@_settings
@given(net=decimal_texts, price=decimal_texts, due=decimal_texts)
def test_decimal_strings_round_trip(syntax: str, net: str, price: str, due: str) -> None:
    spec = {
        "lines": [{"id": "1", "name": "Ware", "quantity": "1", "price": price, "net_amount": net}],
        "totals": {"amount_due": due},
    }
    invoice = parse_invoice_xml(build(spec, syntax=syntax))
    assert invoice.parse_issues == ()
    line = invoice.lines[0]
    assert line.net_amount is not None and line.price is not None and invoice.totals is not None
    assert line.net_amount.text == net and line.net_amount == Decimal(net)
    assert line.price.net_price is not None and line.price.net_price.text == price
    assert invoice.totals.amount_due is not None and invoice.totals.amount_due.text == due
    assert invoice.totals.amount_due == Decimal(due)
    expected_currency = None if syntax == "cii" else "EUR"
    assert line.net_amount.currency == expected_currency


@pytest.mark.parametrize("syntax", SYNTAXES)
@_settings
@given(
    lines=st.lists(st.tuples(amounts, st.sampled_from(["0", "7", "19"])), min_size=1, max_size=6),
    allowance=amounts.filter(lambda a: a >= 0),
)
def test_generated_amounts_and_totals_round_trip(
    syntax: str, lines: list[tuple[Decimal, str]], allowance: Decimal
) -> None:
    spec = {
        "lines": [
            {
                "id": str(i + 1),
                "name": f"Position {i + 1}",
                "quantity": "1",
                "price": net,
                "net_amount": net,
                "vat_category": "S" if rate != "0" else "Z",
                "vat_rate": rate,
            }
            for i, (net, rate) in enumerate(lines)
        ],
        "allowances": [{"amount": allowance, "reason": "Rabatt"}],
    }
    invoice = parse_invoice_xml(build(spec, syntax=syntax))
    assert invoice.totals is not None
    assert [line.net_amount for line in invoice.lines] == [net for net, _ in lines]
    assert invoice.totals.line_net_total == sum(net for net, _ in lines)
    assert invoice.allowances[0].amount == allowance
    assert invoice.totals.total_without_vat == sum(net for net, _ in lines) - allowance
    assert invoice.totals.vat_total == sum(v.tax_amount for v in invoice.vat_breakdown)
    assert (
        invoice.totals.total_with_vat == invoice.totals.total_without_vat + invoice.totals.vat_total
    )


@pytest.mark.parametrize("syntax", SYNTAXES)
@_settings
@given(issued=st.dates(min_value=date(1900, 1, 1), max_value=date(2999, 12, 31)), name=xml_text)
def test_dates_and_texts_round_trip(syntax: str, issued: date, name: str) -> None:
    spec = {"issue_date": issued, "due_date": issued, "seller": {"name": name}, "number": name}
    invoice = parse_invoice_xml(build(spec, syntax=syntax))
    assert invoice.issue_date == issued and invoice.due_date == issued
    assert invoice.seller is not None and invoice.seller.name == name.strip()
    assert invoice.number == name.strip()
    expected = {
        "cii": Syntax.CII,
        "ubl": Syntax.UBL_INVOICE,
        "ubl-creditnote": Syntax.UBL_CREDIT_NOTE,
    }[syntax]
    assert invoice.syntax is expected


@pytest.mark.parametrize("syntax", SYNTAXES)
@pytest.mark.parametrize("bad", ["12,50", "1e3", "NaN", "1_000", "", "€ 5"])
def test_unreadable_amounts_become_parse_issues(syntax: str, bad: str) -> None:
    invoice = parse_invoice_xml(build({"totals": {"amount_due": bad}}, syntax=syntax))
    assert invoice.totals is not None and invoice.totals.amount_due is None
    (issue,) = invoice.parse_issues
    assert issue.term == "BT-115" and issue.code == "unreadable-decimal"
    assert "kein Betrag" in issue.message and "not an amount" in issue.message


@pytest.mark.parametrize("syntax", SYNTAXES)
@pytest.mark.parametrize("bad", ["2025-02-30", "14.03.2025", "gestern"])
def test_unreadable_dates_become_parse_issues(syntax: str, bad: str) -> None:
    raw = bad if syntax != "cii" else bad.replace("-", "")
    data = build(syntax=syntax).replace(
        b"2025-03-14" if syntax != "cii" else b"20250314", raw.encode()
    )
    invoice = parse_invoice_xml(data)
    assert invoice.issue_date is None
    assert [i.term for i in invoice.parse_issues] == ["BT-2"]
