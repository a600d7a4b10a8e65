"""Our own invoice calculator (EN 16931 calculation model), with exact ``Decimal`` arithmetic.

Used by the warnings DMS-CALC-* (which check what the official rules leave to tolerance or do
not check at all) and by the tests, which generate invoices whose totals this calculator
computes and the official rules must accept.

Conventions (EN 16931-1, 6.4 and the Peppol/XRechnung usage):

* line net amount BT-131 = quantity BT-129 x net price BT-146 / price base quantity BT-149
  + line charges - line allowances, rounded to two decimals;
* taxable amount BT-116 per VAT category and rate = sum of line net amounts + document charges
  - document allowances of that category and rate;
* tax amount BT-117 = BT-116 x BT-119 / 100, rounded to two decimals;
* rounding is commercial (half away from zero, ``ROUND_HALF_UP``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal(0)


def round_amount(value: Decimal) -> Decimal:
    """Commercial rounding to cents (half away from zero)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def line_net_amount(
    quantity: Decimal,
    net_price: Decimal,
    base_quantity: Decimal | None = None,
    allowances: Iterable[Decimal] = (),
    charges: Iterable[Decimal] = (),
) -> Decimal:
    """BT-131 from quantity, net price, price base quantity and the line's allowances and
    charges (a base quantity of 0 or none counts as 1)."""
    base = base_quantity if base_quantity else Decimal(1)
    exact = quantity * net_price / base + sum(charges, ZERO) - sum(allowances, ZERO)
    return round_amount(exact)


def vat_amount(taxable: Decimal, rate: Decimal) -> Decimal:
    """BT-117 = BT-116 x BT-119 / 100, rounded to cents."""
    return round_amount(taxable * rate / 100)


@dataclass(frozen=True)
class CalcLine:
    quantity: Decimal
    net_price: Decimal
    category: str = "S"
    rate: Decimal | None = Decimal(19)
    base_quantity: Decimal | None = None
    allowances: tuple[Decimal, ...] = ()
    charges: tuple[Decimal, ...] = ()

    @property
    def net_amount(self) -> Decimal:
        return line_net_amount(
            self.quantity, self.net_price, self.base_quantity, self.allowances, self.charges
        )


@dataclass(frozen=True)
class CalcAllowanceCharge:
    amount: Decimal
    category: str = "S"
    rate: Decimal | None = Decimal(19)


@dataclass(frozen=True)
class VatGroup:
    category: str
    rate: Decimal | None
    taxable: Decimal
    tax: Decimal


@dataclass(frozen=True)
class Totals:
    line_net_total: Decimal
    allowance_total: Decimal
    charge_total: Decimal
    total_without_vat: Decimal
    vat_total: Decimal
    total_with_vat: Decimal
    amount_due: Decimal
    breakdown: tuple[VatGroup, ...] = field(default=())
    line_nets: tuple[Decimal, ...] = field(default=())


def compute(
    lines: Iterable[CalcLine],
    allowances: Iterable[CalcAllowanceCharge] = (),
    charges: Iterable[CalcAllowanceCharge] = (),
    *,
    paid: Decimal = ZERO,
    rounding: Decimal = ZERO,
) -> Totals:
    """The document totals BG-22 and the VAT breakdown BG-23 of an invoice."""
    lines = list(lines)
    allowances = list(allowances)
    charges = list(charges)
    nets = [line.net_amount for line in lines]
    groups: dict[tuple[str, Decimal | None], Decimal] = {}
    for line, net in zip(lines, nets, strict=True):
        key = (line.category, line.rate)
        groups[key] = groups.get(key, ZERO) + net
    for sign, entries in ((-1, allowances), (1, charges)):
        for entry in entries:
            key = (entry.category, entry.rate)
            groups[key] = groups.get(key, ZERO) + sign * entry.amount
    breakdown = tuple(
        VatGroup(
            category,
            rate,
            taxable,
            vat_amount(taxable, rate) if rate is not None else ZERO,
        )
        for (category, rate), taxable in groups.items()
    )
    line_total = sum(nets, ZERO)
    allowance_total = sum((a.amount for a in allowances), ZERO)
    charge_total = sum((c.amount for c in charges), ZERO)
    without_vat = line_total - allowance_total + charge_total
    vat_total = sum((g.tax for g in breakdown), ZERO)
    with_vat = without_vat + vat_total
    return Totals(
        line_net_total=line_total,
        allowance_total=allowance_total,
        charge_total=charge_total,
        total_without_vat=without_vat,
        vat_total=vat_total,
        total_with_vat=with_vat,
        amount_due=with_vat - paid + rounding,
        breakdown=breakdown,
        line_nets=tuple(nets),
    )
