"""Amounts in German notation, with currency, and the main amount of a letter."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.extract import extract_fields, format_amount_de, parse_amount_de
from tests.ingest_rules.letters import ADVERTISING, APPLICATION, INVOICE, TODAY


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1.249,50", "1249.50"),
        ("1.249,50 EUR", "1249.50"),
        ("€ 1.249,50", "1249.50"),
        ("EUR 1.249,50", "1249.50"),
        ("1249,50 €", "1249.50"),
        ("1 249,50 €", "1249.50"),
        ("1\u00a0249,50\u00a0€", "1249.50"),
        ("1.249,- EUR", "1249.00"),
        ("12 Euro", "12.00"),
        ("0,99 €", "0.99"),
        ("1.000.000,00 EUR", "1000000.00"),
        ("-25,00 EUR", "-25.00"),
        ("12,5 EUR", None),
        ("1.24,50", None),
        ("abc", None),
    ],
)
def test_parse_amount_de(text: str, value: str | None) -> None:
    assert parse_amount_de(text) == (Decimal(value) if value else None)


@pytest.mark.parametrize(
    ("value", "text"),
    [("1249.5", "1.249,50"), ("0", "0,00"), ("-1000", "-1.000,00"), ("999.999", "1.000,00")],
)
def test_format_amount_de(value: str, text: str) -> None:
    assert format_amount_de(Decimal(value)) == text


def amounts(text: str):  # type: ignore[no-untyped-def]
    return extract_fields(text, reference_pattern=None, today=TODAY)


def test_main_amount_of_an_invoice_is_the_total_not_net_or_tax() -> None:
    result = amounts(INVOICE)
    assert result.amount is not None
    assert result.amount.value.value == Decimal("1249.50")
    assert result.amount.value.label == "Gesamtbetrag"
    assert result.amount.confidence >= 0.9
    assert result.amount.span is not None and result.amount.span.text == "1.249,5O EUR"
    values = {f.value.value for f in result.amounts}
    assert {Decimal("1050.00"), Decimal("199.50"), Decimal("900.00")} <= values


@pytest.mark.parametrize(
    "line",
    [
        "Rechnungsbetrag: 1.249,50 EUR",
        "Zu zahlen: € 1.249,50",
        "Gesamtbetrag: 1.249,50",  # no currency, but labelled
        "Gesamtbetrag\n1.249,50 EUR",  # amount on the line below its label
        "Bitte überweisen Sie den Betrag von 1.249,50 EUR.",
    ],
)
def test_labels_of_the_main_amount(line: str) -> None:
    text = f"Netto 1.050,00 EUR\nMwSt. 199,50 EUR\n{line}\nVersand 4,90 EUR\n"
    result = amounts(text)
    assert result.amount is not None and result.amount.value.value == Decimal("1249.50")


def test_without_label_the_largest_amount_with_low_confidence() -> None:
    result = amounts(APPLICATION)
    assert result.amount is not None and result.amount.value.value == Decimal("780.00")
    assert result.amount.confidence <= 0.5
    ads = amounts(ADVERTISING)
    assert {f.value.value for f in ads.amounts} == {Decimal("2.99"), Decimal("50.00")}


def test_bare_numbers_without_label_are_not_amounts() -> None:
    result = amounts("Flurstück 481,3 und Hausnummer 12,50 m Abstand\nTel. 0761 12,34")
    assert result.amounts == () and result.amount is None


def test_other_currencies() -> None:
    result = amounts("Gesamtbetrag: CHF 1'249.50\nTotal: 99,00 USD")
    currencies = {f.value.currency for f in result.amounts}
    assert "USD" in currencies


def test_no_amount_from_dates_or_references() -> None:
    result = amounts("Datum 03.11.2026, Az. 600-0001/2026-01, Tel. 07661 1234")
    assert result.amounts == ()


_AMOUNTS = st.decimals(min_value=Decimal("0.00"), max_value=Decimal("99999999.99"), places=2)


@given(_AMOUNTS, st.sampled_from(["{} EUR", "€ {}", "EUR {}", "{} €", "{}", "{} Euro"]))
def test_german_amount_strings_round_trip(value: Decimal, template: str) -> None:
    text = template.format(format_amount_de(value))
    assert parse_amount_de(text) == value


@given(_AMOUNTS, st.sampled_from(["Gesamtbetrag: {} EUR", "Zu zahlen € {}", "Rechnungsbetrag {}"]))
def test_main_amount_found_in_a_letter(value: Decimal, template: str) -> None:
    text = "Rechnung\nNetto 1,00 EUR\n" + template.format(format_amount_de(value)) + "\nDanke"
    result = amounts(text)
    assert result.amount is not None and result.amount.value.value == value
