"""Payment terms (BT-20): the XRechnung Skonto convention and plain German text give the due
date, the discount deadline and the discount amount; what is not understood stays empty."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.payment_terms import cents, parse_payment_terms

ISSUED = date(2025, 3, 14)


def test_xrechnung_skonto_tiers_with_and_without_base() -> None:
    terms = parse_payment_terms(
        "#SKONTO#TAGE=14#PROZENT=2.00#\n#SKONTO#TAGE=30#PROZENT=1.00#BASISBETRAG=100.00#\n",
        ISSUED, 11900)
    assert terms.source == "xrechnung"
    first, second = terms.tiers
    assert (first.until, first.base_cents, first.amount_cents) == (date(2025, 3, 28), 11900, 238)
    assert (second.until, second.base_cents, second.amount_cents) == (date(2025, 4, 13), 10000,
                                                                      100)
    assert terms.discount == first  # the deadline that comes first
    assert terms.due_date is None  # nothing said about the net term


def test_xrechnung_line_beside_plain_text_net_term() -> None:
    terms = parse_payment_terms("#SKONTO#TAGE=7#PROZENT=3.00#\nZahlbar innerhalb 30 Tagen netto.",
                                ISSUED, 5000)
    assert terms.discount is not None and terms.discount.until == date(2025, 3, 21)
    assert terms.discount.amount_cents == 150
    assert terms.due_date == date(2025, 4, 13) and terms.net_days == 30


@pytest.mark.parametrize(
    ("text", "due", "until", "amount"),
    [
        ("Zahlbar innerhalb von 14 Tagen mit 2 % Skonto, innerhalb von 30 Tagen netto",
         date(2025, 4, 13), date(2025, 3, 28), 238),
        ("2% Skonto bei Zahlung innerhalb von 10 Tagen, 30 Tage netto",
         date(2025, 4, 13), date(2025, 3, 24), 238),
        ("3 % Skonto bei Zahlung bis 24.03.2025. Zahlungsziel 30 Tage.",
         date(2025, 4, 13), date(2025, 3, 24), 357),
        ("Bei Zahlung innerhalb von 8 Tagen gewähren wir 2,5 % Skonto", None,
         date(2025, 3, 22), 298),
        ("Zahlbar innerhalb von 30 Tagen ohne Abzug.", date(2025, 4, 13), None, None),
        ("zahlbar bis 13.04.2025", date(2025, 4, 13), None, None),
        ("Sofort ohne Abzug zahlbar", ISSUED, None, None),
    ],
)
def test_plain_german_terms(text: str, due: date | None, until: date | None,
                            amount: int | None) -> None:
    terms = parse_payment_terms(text, ISSUED, 11900)
    assert terms.due_date == due
    discount = terms.discount
    assert (discount.until if discount else None) == until
    assert (discount.amount_cents if discount else None) == amount


@pytest.mark.parametrize("text", [
    "", "   ", "Verzugszinsen 9 % über dem Basiszinssatz", "Vielen Dank für Ihren Auftrag",
    "#SKONTO#TAGE=x#PROZENT=2.00#", "#SKONTO#TAGE=14#PROZENT=150#",
])
def test_what_is_not_understood_stays_empty(text: str) -> None:
    terms = parse_payment_terms(text, ISSUED, 11900)
    assert terms.discount is None and terms.due_date is None and terms.source == "none"


def test_without_issue_date_no_deadline_is_invented() -> None:
    terms = parse_payment_terms("#SKONTO#TAGE=14#PROZENT=2.00#", None, 10000)
    assert terms.discount is not None and terms.discount.until is None
    assert terms.discount.amount_cents == 200


def test_cents_rounds_half_up() -> None:
    assert cents(Decimal("12.345")) == 1235 and cents("0.005") == 1 and cents(None) is None
    assert cents("NaN") is None and cents("-1.50") == -150


@settings(max_examples=200, deadline=None)
@given(
    days=st.integers(0, 365),
    percent=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99.99"), places=2),
    base=st.none() | st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999999.99"),
                                 places=2),
    due_cents=st.integers(1, 10**10),
    issued=st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
)
def test_xrechnung_skonto_roundtrip(days: int, percent: Decimal, base: Decimal | None,
                                    due_cents: int, issued: date) -> None:
    """Whatever the XRechnung line says comes back exactly: deadline and amount."""
    line = f"#SKONTO#TAGE={days}#PROZENT={percent:.2f}#"
    if base is not None:
        line += f"BASISBETRAG={base:.2f}#"
    terms = parse_payment_terms(line + "\n", issued, due_cents)
    (tier,) = terms.tiers
    base_cents = int(base * 100) if base is not None else due_cents
    expected = int((Decimal(base_cents) * percent / 100).quantize(Decimal(1), ROUND_HALF_UP))
    assert tier.until == issued + timedelta(days=days)
    assert tier.percent == percent and tier.base_cents == base_cents
    assert tier.amount_cents == expected


@settings(max_examples=150, deadline=None)
@given(days=st.integers(1, 120), net=st.integers(1, 180),
       percent=st.integers(1, 9), fraction=st.sampled_from(["", ",5", ",25"]))
def test_plain_text_roundtrip(days: int, net: int, percent: int, fraction: str) -> None:
    text = (f"Zahlbar innerhalb von {days} Tagen mit {percent}{fraction} % Skonto, "
            f"innerhalb von {net} Tagen netto.")
    terms = parse_payment_terms(text, ISSUED, 100_000)
    discount = terms.discount
    assert discount is not None and discount.until == ISSUED + timedelta(days=days)
    assert discount.percent == Decimal(f"{percent}{fraction.replace(',', '.')}")
    assert terms.due_date == ISSUED + timedelta(days=net)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=300), due=st.none() | st.integers(-10**12, 10**12))
def test_never_crashes_and_never_invents_large_discounts(text: str, due: int | None) -> None:
    terms = parse_payment_terms(text, ISSUED, due)
    for tier in terms.tiers:
        assert Decimal(0) < tier.percent < Decimal(100)
        if tier.amount_cents is not None and due is not None and tier.base_cents == due:
            assert abs(tier.amount_cents) <= abs(due)
