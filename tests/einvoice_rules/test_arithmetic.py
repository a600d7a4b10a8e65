"""Property-based tests of the arithmetic rules.

Invoices with generated lines (random quantities, prices, price base quantities, VAT
categories and rates, allowances and charges) get their totals from our own calculator
(``validation.calc``); the rules must accept them, and every perturbation of a document total
by at least 0.01 must be flagged by the rule for that total. The XPath rounding of the
schematron and the tolerance of BR-CO-17 are checked too.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.einvoice import parse_invoice
from ingest.einvoice.validation import Report, validate
from ingest.einvoice.validation.calc import (
    CalcAllowanceCharge,
    CalcLine,
    Totals,
    compute,
    line_net_amount,
    vat_amount,
)
from ingest.einvoice.validation.context import round2, xround
from tests.einvoice.builders import build
from tests.einvoice_rules.variants import add_child

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CATEGORIES = [("S", Decimal(19)), ("S", Decimal(7)), ("Z", Decimal(0)), ("E", Decimal(0))]
EXEMPTION = {"E": "Steuerfrei nach § 4 UStG"}
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"


def decimals(low: str, high: str, places: int) -> st.SearchStrategy[Decimal]:
    return st.decimals(Decimal(low), Decimal(high), places=places, allow_nan=False,
                       allow_infinity=False)  # fmt: skip


lines_strategy = st.lists(
    st.builds(
        lambda q, p, base, cat: CalcLine(q, p, cat[0], cat[1], base),
        decimals("0.01", "5000", 3),
        decimals("0.01", "2000", 4),
        st.sampled_from([None, Decimal(1), Decimal(10), Decimal(100)]),
        st.sampled_from(CATEGORIES),
    ),
    min_size=1,
    max_size=8,
)
allowance_strategy = st.lists(
    st.builds(
        lambda a, cat: CalcAllowanceCharge(a, cat[0], cat[1]),
        decimals("0.01", "50", 2),
        st.sampled_from(CATEGORIES),
    ),
    max_size=2,
)


def invoice_spec(
    lines: list[CalcLine],
    allowances: list[CalcAllowanceCharge],
    charges: list[CalcAllowanceCharge],
    totals: Totals,
) -> dict:
    return {
        "lines": [
            {
                "id": str(i + 1),
                "quantity": line.quantity,
                "price": line.net_price,
                "net_amount": net,
                "vat_category": line.category,
                "vat_rate": line.rate,
            }
            for i, (line, net) in enumerate(zip(lines, totals.line_nets, strict=True))
        ],
        "allowances": [
            {"amount": a.amount, "reason": "Rabatt", "vat_category": a.category, "vat_rate": a.rate}
            for a in allowances
        ],
        "charges": [
            {"amount": c.amount, "reason": "Fracht", "vat_category": c.category, "vat_rate": c.rate}
            for c in charges
        ],
        "vat_breakdown": [
            {
                "category": g.category,
                "rate": g.rate,
                "taxable": g.taxable,
                "tax": g.tax,
                "exemption_reason": EXEMPTION.get(g.category),
            }
            for g in totals.breakdown
        ],
        "totals": {
            "line_net_total": totals.line_net_total,
            "allowance_total": totals.allowance_total if allowances else None,
            "charge_total": totals.charge_total if charges else None,
            "total_without_vat": totals.total_without_vat,
            "vat_total": totals.vat_total,
            "total_with_vat": totals.total_with_vat,
            "amount_due": totals.amount_due,
        },
    }


def with_base_quantities(xml: bytes, syntax: str, lines: list[CalcLine]) -> bytes:
    """Write BT-149 for the lines that have one (the builders do not)."""
    for i, line in enumerate(lines, start=1):
        if line.base_quantity is None:
            continue
        base = format(line.base_quantity, "f")
        if syntax == "cii":
            xml = add_child(
                xml,
                f"(//ram:IncludedSupplyChainTradeLineItem)[{i}]//ram:NetPriceProductTradePrice",
                f'<ram:BasisQuantity xmlns:ram="{RAM}" unitCode="C62">{base}</ram:BasisQuantity>',
            )
        else:
            xml = add_child(
                xml,
                f"(/*/cac:InvoiceLine | /*/cac:CreditNoteLine)[{i}]/cac:Price",
                f'<cbc:BaseQuantity xmlns:cbc="{CBC}" unitCode="C62">{base}</cbc:BaseQuantity>',
            )
    return xml


def _validate(spec: dict, syntax: str, lines: list[CalcLine]) -> Report:
    xml = with_base_quantities(build(spec, syntax=syntax), syntax, lines)
    return validate(parse_invoice(xml))


@SETTINGS
@given(
    lines=lines_strategy,
    allowances=allowance_strategy,
    charges=allowance_strategy,
    syntax=st.sampled_from(["cii", "ubl", "ubl-creditnote"]),
)
def test_calculated_invoices_are_accepted(lines, allowances, charges, syntax) -> None:
    totals = compute(lines, allowances, charges)
    report = _validate(invoice_spec(lines, allowances, charges, totals), syntax, lines)
    assert report.valid, [(f.rule_id, f.message_en) for f in report.errors]
    assert not report.rule_ids() & {"DMS-CALC-01", "DMS-CALC-02", "DMS-CALC-03"}


TOTAL_RULE = {
    "line_net_total": "BR-CO-10",
    "allowance_total": "BR-CO-11",
    "charge_total": "BR-CO-12",
    "total_without_vat": "BR-CO-13",
    "vat_total": "BR-CO-14",
    "total_with_vat": "BR-CO-15",
    "amount_due": "BR-CO-16",
}


@SETTINGS
@given(
    lines=lines_strategy,
    allowances=allowance_strategy,
    charges=allowance_strategy,
    field=st.sampled_from(sorted(TOTAL_RULE)),
    delta=decimals("0.01", "1000", 2),
    sign=st.sampled_from([1, -1]),
    syntax=st.sampled_from(["cii", "ubl"]),
)
def test_every_perturbed_total_is_flagged(
    lines,
    allowances,
    charges,
    field,
    delta,
    sign,
    syntax,
) -> None:
    totals = compute(lines, allowances, charges)
    spec = invoice_spec(lines, allowances, charges, totals)
    if spec["totals"][field] is None:  # no allowances/charges: BT-107/108 absent but given
        spec["totals"][field] = Decimal(0)
    spec["totals"][field] += sign * delta
    report = _validate(spec, syntax, lines)
    assert not report.valid
    assert TOTAL_RULE[field] in report.rule_ids("error"), sorted(report.rule_ids("error"))


@SETTINGS
@given(
    lines=lines_strategy,
    delta=decimals("0.01", "3", 2),
    sign=st.sampled_from([1, -1]),
    syntax=st.sampled_from(["cii", "ubl"]),
)
def test_vat_amounts_have_the_schematron_tolerance(lines, delta, sign, syntax) -> None:
    """BT-117 is accepted while ``|BT-117| - 1 < round(|BT-116| x rate / 100) < |BT-117| + 1``
    (the official formula, absolute values included); our warning DMS-CALC-02 reports any
    deviation above a cent."""
    lines = [line for line in lines if line.category == "S"] or [CalcLine(Decimal(1), Decimal(10))]
    totals = compute(lines)
    spec = invoice_spec(lines, [], [], totals)
    group = spec["vat_breakdown"][0]
    group["tax"] += sign * delta
    spec["totals"]["vat_total"] += sign * delta
    spec["totals"]["total_with_vat"] += sign * delta
    spec["totals"]["amount_due"] += sign * delta
    report = _validate(spec, syntax, lines)
    expected = round2(abs(group["taxable"]) * group["rate"] / 100)
    tolerated = abs(group["tax"]) - 1 < expected < abs(group["tax"]) + 1
    if not tolerated:
        assert "BR-CO-17" in report.rule_ids("error")
    else:
        assert report.valid, [(f.rule_id, f.message_en) for f in report.errors]
        assert ("DMS-CALC-02" in report.rule_ids("warning")) == (delta > Decimal("0.01"))
    if delta >= 1 and group["tax"] > 0:
        assert not tolerated


@given(st.decimals(Decimal("-1000"), Decimal("1000"), places=3, allow_nan=False))
def test_xpath_round_is_half_towards_positive_infinity(value: Decimal) -> None:
    assert xround(value) == math.floor(value + Decimal("0.5"))
    assert round2(value) == Decimal(math.floor(value * 100 + Decimal("0.5"))) / 100
    if value >= 0:  # for positive amounts the same as commercial rounding
        assert round2(value) == value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def test_rounding_examples() -> None:
    assert round2(Decimal("-0.125")) == Decimal("-0.12")  # XPath: towards +infinity
    assert round2(Decimal("0.125")) == Decimal("0.13")
    assert line_net_amount(Decimal("3"), Decimal("0.3333")) == Decimal("1.00")
    assert line_net_amount(Decimal("804878.94"), Decimal("0.0258")) == Decimal("20765.88")
    assert line_net_amount(Decimal(10), Decimal("4.5"), Decimal(100)) == Decimal("0.45")
    assert vat_amount(Decimal("3986.34"), Decimal(19)) == Decimal("757.40")
