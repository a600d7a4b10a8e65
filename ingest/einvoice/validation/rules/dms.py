"""Our own checks for the finance clerk (``DMS-*``): the arithmetic check ("rechnerisch
richtig") beyond the tolerance of the official rules, the Leitweg-ID, and plausibility.

They are warnings or information and never change the verdict: the verdict is the official
validator's. The exception is DMS-PROFILE (see :mod:`.schema`).
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal

from ingest.einvoice.codelists import CREDIT_NOTE_TYPE_CODES
from ingest.einvoice.validation.calc import round_amount
from ingest.einvoice.validation.context import ZERO, Ctx, round2
from ingest.einvoice.validation.registry import Family, Hit, Hits, Scope, Severity, rule
from ingest.einvoice.validation.rules.xrechnung import LETTER_DIGITS

W = Severity.WARNING
F = Family.DMS

_LEITWEG = re.compile(r"([0-9]{2,12})(?:-([A-Za-z0-9]{1,30}))?-([0-9]{2})")


CENT = Decimal("0.01")
HALF_CENT = Decimal("0.005")


def _matches(value: Decimal, exact: Decimal) -> bool:
    """Within one cent of the exact value rounded (commercially or the XPath way): prices
    with more decimals than shown, or a rounded unit price, legitimately shift a cent."""
    return abs(value - round_amount(exact)) <= CENT or abs(value - round2(exact)) <= CENT


@rule(
    "DMS-CALC-01",
    W,
    "BT-131 BT-129 BT-146 BT-149",
    "Der Nettobetrag der Position {line} (BT-131: {actual}) weicht um mehr als einen Cent von"
    " Menge × Nettopreis / Basismenge zuzüglich Zuschlägen und abzüglich Nachlässen der"
    " Position ab ({expected}).",
    "The net amount of line {line} (BT-131: {actual}) differs by more than a cent from quantity"
    " x net price / base quantity plus line charges minus line allowances ({expected}).",
    family=F,
    note="EN 16931-1 calculation model; not an official rule of the XRechnung validator"
    " (Peppol checks it as PEPPOL-EN16931-R120).",
)
def dms_calc_01(ctx: Ctx) -> Hits:
    for line in ctx.all_lines:
        if line.sub_lines or line.quantity is None or line.net_amount is None:
            continue
        price = line.price
        if price is None or price.net_price is None:
            continue
        exact = line.quantity * price.net_price
        if price.base_quantity:
            exact /= price.base_quantity
        for charge in line.charges:
            if charge.amount is not None:
                exact += charge.amount
        for allowance in line.allowances:
            if allowance.amount is not None:
                exact -= allowance.amount
        if abs(line.net_amount - exact) <= HALF_CENT:
            continue  # within half a cent: equal to a rounding of it (the common case)
        if not _matches(line.net_amount, exact):
            yield Hit(
                ctx.loc(line, "net_amount"),
                {"line": line.id, "actual": line.net_amount.text, "expected": round_amount(exact)},
            )


@rule(
    "DMS-CALC-02",
    W,
    "BT-117 BT-116 BT-119",
    "Der Steuerbetrag der Kategorie {category} {rate} % (BT-117: {actual}) weicht um mehr als"
    " einen Cent vom gerundeten Produkt aus Steuerbasisbetrag und Steuersatz ab ({expected});"
    " die offiziellen Regeln dulden Abweichungen unter 1,00.",
    "The VAT category tax amount of {category} {rate} % (BT-117: {actual}) differs by more than"
    " a cent from the rounded product of taxable amount and rate ({expected}); the official"
    " rules tolerate differences below 1.00.",
    family=F,
)
def dms_calc_02(ctx: Ctx) -> Hits:
    for vat in ctx.inv.vat_breakdown:
        tax, base, rate = vat.tax_amount, vat.taxable_amount, vat.rate
        if tax is None or base is None or rate is None:
            continue
        exact = base * rate / 100
        if not _matches(tax, exact):
            yield Hit(
                ctx.loc(vat, "tax_amount"),
                {
                    "category": vat.category_code,
                    "rate": format(rate, "f"),
                    "actual": tax.text,
                    "expected": round_amount(exact),
                },
            )


@rule(
    "DMS-CALC-03",
    W,
    "BT-116 BT-131 BT-92 BT-99",
    "Der Steuerbasisbetrag der Kategorie {category} {rate} % (BT-116: {actual}) weicht von der"
    " Summe der Positionen, Nachlässe und Zuschläge dieser Kategorie ab ({expected}); die"
    " offiziellen Regeln dulden Abweichungen unter 1,00.",
    "The VAT category taxable amount of {category} {rate} % (BT-116: {actual}) differs from the"
    " sum of the lines, allowances and charges of that category ({expected}); the official"
    " rules tolerate differences below 1.00.",
    family=F,
)
def dms_calc_03(ctx: Ctx) -> Hits:
    for vat in ctx.inv.vat_breakdown:
        if vat.taxable_amount is None or vat.rate is None or vat.category_code is None:
            continue
        if vat.category_code not in ("S", "L", "M"):
            continue  # exact comparison in the official rules already
        totals = []
        for lines in ctx.line_sets:
            total, found = ctx.category_net(vat.category_code, vat.rate, lines, with_rate=True)
            if not found:
                break
            totals.append(total)
        if totals and vat.taxable_amount not in totals:
            yield Hit(
                ctx.loc(vat, "taxable_amount"),
                {
                    "category": vat.category_code,
                    "rate": format(vat.rate, "f"),
                    "actual": vat.taxable_amount.text,
                    "expected": format(totals[0], "f"),
                },
            )


@functools.lru_cache(maxsize=4096)  # pure; a public body has a few hundred Leitweg-IDs
def leitweg_id_valid(value: str) -> bool:
    """A Leitweg-ID: coarse address (2-12 digits), optional fine address (up to 30
    alphanumerics), check digits (ISO/IEC 7064 MOD 97-10 over the rest)."""
    match = _LEITWEG.fullmatch(value)
    if not match:
        return False
    body = (match[1] + (match[2] or "")).upper()
    return 98 - int(body.translate(LETTER_DIGITS) + "00") % 97 == int(match[3])


@rule(
    "DMS-LEITWEG",
    Severity.INFO,
    "BT-10",
    "Die Käuferreferenz (BT-10) ‚{value}‘ ist keine gültige Leitweg-ID (Aufbau oder"
    " Prüfziffer); die Rechnung kann nicht automatisch einer Stelle zugeordnet werden.",
    "The Buyer reference (BT-10) '{value}' is not a valid Leitweg-ID (format or check digits);"
    " the invoice cannot be routed to an office automatically.",
    family=F,
    scope=Scope.XRECHNUNG,
)
def dms_leitweg(ctx: Ctx) -> Hits:
    value = ctx.inv.buyer_reference
    if value and not leitweg_id_valid(value):
        yield Hit(ctx.loc(ctx.inv, "buyer_reference"), {"value": value})


@rule(
    "DMS-SIGN",
    W,
    "BT-3 BT-112",
    "Die Rechnung (Typ {type}) hat einen negativen Gesamtbetrag ({value}); eine Gutschrift"
    " oder Rechnungskorrektur wäre als solche zu kennzeichnen (z. B. Typ 381).",
    "The invoice (type {type}) has a negative total ({value}); a credit note or correction"
    " should say so (e.g. type code 381).",
    family=F,
)
def dms_sign(ctx: Ctx) -> Hits:
    total = ctx.totals.total_with_vat
    type_code = ctx.inv.type_code
    if total is None or total >= ZERO or not type_code or ctx.ubl_credit_note:
        return
    if type_code in CREDIT_NOTE_TYPE_CODES or type_code == "384":
        return
    yield Hit(ctx.loc(ctx.inv, "type_code"), {"type": type_code, "value": total.text})
