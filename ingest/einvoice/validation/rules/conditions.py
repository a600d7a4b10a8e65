"""EN 16931-1 conditions BR-CO-*: the arithmetic of the totals and cross-term conditions.

The sums replicate the CEN schematron: XPath ``sum()`` over the amounts, then
``round(x * 10 * 10) div 100`` (half towards positive infinity), compared with ``=`` on
``xs:decimal`` values. BR-CO-17 has the schematron's tolerance of less than one currency
unit (``abs(BT-117) - 1 < round(abs(BT-116) * BT-119 / 100) < abs(BT-117) + 1``); the exact
check is the warning DMS-CALC-02.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from ingest.einvoice.codelists import ISO3166_COUNTRIES
from ingest.einvoice.validation.context import ONE, ZERO, Ctx, dsum, filled, round2, xround
from ingest.einvoice.validation.registry import Family, Hit, Hits, Severity, rule

E = Severity.ERROR
F = Family.CONDITIONS
#: BR-CO-09: ISO 3166-1 alpha-2 plus "EL" (Greece in VAT identifiers).
VAT_PREFIXES = ISO3166_COUNTRIES | {"EL", "SS"}


def _fmt(value: Decimal | None) -> str:
    if value is None:
        return "-"
    text = getattr(value, "text", None)
    return text if text is not None else format(value, "f")


@rule(
    "BR-CO-03",
    E,
    "BT-7 BT-8",
    "Das Datum der Steuerfälligkeit (BT-7) und der Code für das Datum der Steuerfälligkeit"
    " (BT-8) schließen sich gegenseitig aus.",
    "Value added tax point date (BT-7) and Value added tax point date code (BT-8) are mutually"
    " exclusive.",
    family=F,
    needs="tax_point",
)
def br_co_03(ctx: Ctx) -> Hits:
    inv = ctx.inv
    if inv.tax_point_date is not None and filled(inv.tax_point_date_code):
        yield Hit(ctx.loc(inv, "tax_point_date_code"))


@rule(
    "BR-CO-04",
    E,
    "BT-151 BG-30",
    "Jede Rechnungsposition (BG-25, Position {line}) muss einen Umsatzsteuer-Kategoriecode des"
    " Artikels (BT-151) haben.",
    "Each Invoice line (BG-25, line {line}) shall be categorized with an Invoiced item VAT"
    " category code (BT-151).",
    family=F,
)
def br_co_04(ctx: Ctx) -> Hits:
    for line in ctx.checked_lines:
        if line.vat is None or not filled(line.vat.category_code):
            yield Hit(ctx.loc(line.vat or line), {"line": line.id})


@rule(
    "BR-CO-09",
    E,
    "BT-31 BT-48 BT-63",
    "Die Umsatzsteuer-Identifikationsnummer ({value}) muss mit einem Ländercode nach ISO 3166-1"
    " alpha-2 beginnen (für Griechenland EL).",
    "The Seller VAT identifier (BT-31), the Seller tax representative VAT identifier (BT-63)"
    " and the Buyer VAT identifier (BT-48) shall have a prefix in accordance with ISO code"
    " ISO 3166-1 alpha-2 by which the country of issue may be identified ({value}).",
    family=F,
)
def br_co_09(ctx: Ctx) -> Hits:
    inv = ctx.inv
    for party in (inv.seller, inv.buyer, inv.seller_tax_representative):
        if party is None or party.vat_id is None:
            continue
        if party.vat_id[:2] not in VAT_PREFIXES:
            yield Hit(ctx.loc(party, "vat_id"), {"value": party.vat_id})


@rule(
    "BR-CO-10",
    E,
    "BT-106 BT-131",
    "Die Summe der Nettobeträge der Rechnungspositionen (BT-106: {actual}) muss der Summe"
    " aller Nettobeträge der Rechnungspositionen (BT-131: {expected}) entsprechen.",
    "Sum of Invoice line net amount (BT-106: {actual}) = Σ Invoice line net amount (BT-131:"
    " {expected}).",
    family=F,
)
def br_co_10(ctx: Ctx) -> Hits:
    bt106 = ctx.totals.line_net_total
    if bt106 is None:
        return
    sums = [round2(dsum([line.net_amount for line in lines])) for lines in ctx.line_sets]
    if bt106 not in sums:
        yield Hit(
            ctx.totals_loc("line_net_total"), {"actual": bt106.text, "expected": _fmt(sums[0])}
        )


def _ac_total(ctx: Ctx, total: Decimal | None, entries: tuple, field: str) -> Iterator[Hit]:
    if total is None:
        if entries:
            yield Hit(ctx.totals_loc(field), {"actual": "-", "expected": _fmt(_sum(entries))})
        return
    expected = _sum(entries)
    if total != expected:
        yield Hit(ctx.totals_loc(field), {"actual": _fmt(total), "expected": _fmt(expected)})


def _sum(entries: tuple) -> Decimal:
    return round2(dsum([entry.amount for entry in entries]))


@rule(
    "BR-CO-11",
    E,
    "BT-107 BT-92",
    "Die Summe der Nachlässe auf Dokumentenebene (BT-107: {actual}) muss der Summe aller"
    " Nachlässe auf Dokumentenebene (BT-92: {expected}) entsprechen.",
    "Sum of allowances on document level (BT-107: {actual}) = Σ Document level allowance"
    " amount (BT-92: {expected}).",
    family=F,
)
def br_co_11(ctx: Ctx) -> Hits:
    return _ac_total(ctx, ctx.totals.allowance_total, ctx.inv.allowances, "allowance_total")


@rule(
    "BR-CO-12",
    E,
    "BT-108 BT-99",
    "Die Summe der Zuschläge auf Dokumentenebene (BT-108: {actual}) muss der Summe aller"
    " Zuschläge auf Dokumentenebene (BT-99: {expected}) entsprechen.",
    "Sum of charges on document level (BT-108: {actual}) = Σ Document level charge amount"
    " (BT-99: {expected}).",
    family=F,
)
def br_co_12(ctx: Ctx) -> Hits:
    return _ac_total(ctx, ctx.totals.charge_total, ctx.charges, "charge_total")


@rule(
    "BR-CO-13",
    E,
    "BT-109 BT-106 BT-107 BT-108",
    "Der Gesamtbetrag ohne Umsatzsteuer (BT-109: {actual}) muss der Summe der Nettobeträge"
    " (BT-106) abzüglich der Nachlässe (BT-107) zuzüglich der Zuschläge (BT-108) entsprechen"
    " ({expected}).",
    "Invoice total amount without VAT (BT-109: {actual}) = Σ Invoice line net amount (BT-106)"
    " - Sum of allowances on document level (BT-107) + Sum of charges on document level"
    " (BT-108) ({expected}).",
    family=F,
)
def br_co_13(ctx: Ctx) -> Hits:
    t = ctx.totals
    bt109, bt106 = t.total_without_vat, t.line_net_total
    if bt109 is None or bt106 is None:
        return
    allowance, charge = t.allowance_total, t.charge_total
    if allowance is None and charge is None:
        expected: Decimal = bt106
    else:
        expected = round2(bt106 + (charge or ZERO) - (allowance or ZERO))
    if bt109 != expected:
        yield Hit(
            ctx.totals_loc("total_without_vat"), {"actual": bt109.text, "expected": _fmt(expected)}
        )


@rule(
    "BR-CO-14",
    E,
    "BT-110 BT-117",
    "Der Umsatzsteuer-Gesamtbetrag (BT-110: {actual}) muss der Summe der Steuerbeträge der"
    " Umsatzsteuer-Kategorien (BT-117: {expected}) entsprechen.",
    "Invoice total VAT amount (BT-110: {actual}) = Σ VAT category tax amount (BT-117: {expected}).",
    family=F,
)
def br_co_14(ctx: Ctx) -> Hits:
    bt110 = ctx.totals.vat_total
    breakdown = ctx.inv.vat_breakdown
    if bt110 is None or not breakdown:
        return
    expected = round2(dsum([vat.tax_amount for vat in breakdown]))
    if bt110 != expected:
        yield Hit(ctx.totals_loc("vat_total"), {"actual": bt110.text, "expected": _fmt(expected)})


@rule(
    "BR-CO-15",
    E,
    "BT-112 BT-109 BT-110",
    "Der Gesamtbetrag einschließlich Umsatzsteuer (BT-112: {actual}) muss dem Gesamtbetrag ohne"
    " Umsatzsteuer (BT-109) zuzüglich des Umsatzsteuer-Gesamtbetrags (BT-110) entsprechen"
    " ({expected}).",
    "Invoice total amount with VAT (BT-112: {actual}) = Invoice total amount without VAT"
    " (BT-109) + Invoice total VAT amount (BT-110) ({expected}).",
    family=F,
    note="Without BT-110 (allowed by the CII schematron, e.g. category O) BT-112 must equal"
    " BT-109; the UBL schematron's demand for exactly one BT-110 is not checked.",
)
def br_co_15(ctx: Ctx) -> Hits:
    t = ctx.totals
    bt112, bt109, bt110 = t.total_with_vat, t.total_without_vat, t.vat_total
    if bt112 is None or bt109 is None:
        return
    if bt110 is None:
        if "BT-110" in ctx.unreadable:
            return
        expected: Decimal = bt109  # no VAT total: the totals with and without VAT agree
    else:
        expected = round2(bt109 + bt110)
    if bt112 != expected:
        yield Hit(
            ctx.totals_loc("total_with_vat"), {"actual": bt112.text, "expected": _fmt(expected)}
        )


@rule(
    "BR-CO-16",
    E,
    "BT-115 BT-112 BT-113 BT-114",
    "Der fällige Zahlungsbetrag (BT-115: {actual}) muss dem Gesamtbetrag einschließlich"
    " Umsatzsteuer (BT-112) abzüglich des gezahlten Betrags (BT-113) zuzüglich des"
    " Rundungsbetrags (BT-114) entsprechen ({expected}).",
    "Amount due for payment (BT-115: {actual}) = Invoice total amount with VAT (BT-112) - Paid"
    " amount (BT-113) + Rounding amount (BT-114) ({expected}).",
    family=F,
)
def br_co_16(ctx: Ctx) -> Hits:
    t = ctx.totals
    due, total, paid, rounding = t.amount_due, t.total_with_vat, t.paid_amount, t.rounding_amount
    if due is None or total is None:
        return
    if rounding is None:
        ok = due == (round2(total - paid) if paid is not None else total)
        expected = round2(total - paid) if paid is not None else total
    else:
        left = round2(due - rounding)
        right = round2(total - paid) if paid is not None else total
        ok = left == right
        expected = round2(right + rounding)
    if not ok:
        yield Hit(ctx.totals_loc("amount_due"), {"actual": due.text, "expected": _fmt(expected)})


@rule(
    "BR-CO-17",
    E,
    "BT-117 BT-116 BT-119",
    "Der Steuerbetrag der Umsatzsteuer-Kategorie {category} (BT-117: {actual}) muss dem"
    " Steuerbasisbetrag (BT-116) multipliziert mit dem Steuersatz (BT-119) geteilt durch 100"
    " entsprechen, gerundet auf zwei Dezimalstellen ({expected}).",
    "VAT category tax amount (BT-117: {actual}, category {category}) = VAT category taxable"
    " amount (BT-116) x (VAT category rate (BT-119) / 100), rounded to two decimals"
    " ({expected}).",
    family=F,
    note="Tolerance of the CEN schematron 1.3.x: |BT-117| may differ from the rounded product"
    " by less than 1.",
)
def br_co_17(ctx: Ctx) -> Hits:
    for vat in ctx.inv.vat_breakdown:
        tax, base, rate = vat.tax_amount, vat.taxable_amount, vat.rate
        if tax is None:
            continue
        if rate is None:
            ok = xround(tax) == ZERO
            expected: Decimal = ZERO
        elif xround(rate) == ZERO:
            ok = xround(tax) == ZERO
            expected = ZERO
        else:
            if base is None:
                continue
            expected = round2(abs(base) * (rate / 100))
            ok = abs(tax) - ONE < expected < abs(tax) + ONE
        if not ok:
            yield Hit(
                ctx.loc(vat, "tax_amount"),
                {"actual": tax.text, "expected": _fmt(expected), "category": vat.category_code},
            )


@rule(
    "BR-CO-18",
    E,
    "BG-23",
    "Eine Rechnung muss mindestens eine Aufschlüsselung der Umsatzsteuer (BG-23) enthalten.",
    "An Invoice shall at least have one VAT breakdown group (BG-23).",
    family=F,
)
def br_co_18(ctx: Ctx) -> Hits:
    if not ctx.inv.vat_breakdown:
        yield Hit(ctx.loc())


@rule(
    "BR-CO-19",
    E,
    "BG-14 BT-73 BT-74",
    "Wenn der Rechnungszeitraum (BG-14) angegeben ist, muss das Anfangs- (BT-73) oder das"
    " Enddatum (BT-74) oder beides angegeben werden.",
    "If Invoicing period (BG-14) is used, the Invoicing period start date (BT-73) or the"
    " Invoicing period end date (BT-74) shall be filled, or both.",
    family=F,
    needs="period",
)
def br_co_19(ctx: Ctx) -> Hits:
    period = ctx.inv.invoicing_period
    if period is None or period.start_date is not None or period.end_date is not None:
        return
    if ctx.ubl and filled(ctx.inv.tax_point_date_code):
        return  # UBL: an InvoicePeriod carrying only BT-8 (cbc:DescriptionCode)
    if ctx.unreadable & {"BT-73", "BT-74", "BT-73/BT-134", "BT-74/BT-135"}:
        return
    yield Hit(ctx.loc(period))


@rule(
    "BR-CO-20",
    E,
    "BG-26 BT-134 BT-135",
    "Wenn der Abrechnungszeitraum der Position {line} (BG-26) angegeben ist, muss das Anfangs-"
    " (BT-134) oder das Enddatum (BT-135) oder beides angegeben werden.",
    "If Invoice line period (BG-26, line {line}) is used, the Invoice line period start date"
    " (BT-134) or the Invoice line period end date (BT-135) shall be filled, or both.",
    family=F,
    needs="line_periods",
)
def br_co_20(ctx: Ctx) -> Hits:
    for line in ctx.checked_lines:
        period = line.period
        if period is None or period.start_date is not None or period.end_date is not None:
            continue
        if any(i.location.startswith(period.location) for i in ctx.inv.parse_issues):
            continue
        yield Hit(ctx.loc(period), {"line": line.id})


def _reason(ctx: Ctx, entries: tuple) -> Iterator[Hit]:
    for ac in entries:
        if not filled(ac.reason) and not filled(ac.reason_code):
            yield Hit(ctx.loc(ac))


@rule(
    "BR-CO-21",
    E,
    "BG-20 BT-97 BT-98",
    "Jeder Nachlass auf Dokumentenebene (BG-20) muss einen Grund (BT-97), einen Code für den"
    " Grund (BT-98) oder beides enthalten.",
    "Each Document level allowance (BG-20) shall contain a Document level allowance reason"
    " (BT-97) or a Document level allowance reason code (BT-98), or both.",
    family=F,
    needs="allowances",
)
def br_co_21(ctx: Ctx) -> Hits:
    return _reason(ctx, ctx.inv.allowances)


@rule(
    "BR-CO-22",
    E,
    "BG-21 BT-104 BT-105",
    "Jeder Zuschlag auf Dokumentenebene (BG-21) muss einen Grund (BT-104), einen Code für den"
    " Grund (BT-105) oder beides enthalten.",
    "Each Document level charge (BG-21) shall contain a Document level charge reason (BT-104)"
    " or a Document level charge reason code (BT-105), or both.",
    family=F,
    needs="charges",
)
def br_co_22(ctx: Ctx) -> Hits:
    return _reason(ctx, ctx.inv.charges)


@rule(
    "BR-CO-23",
    E,
    "BG-27 BT-139 BT-140",
    "Jeder Nachlass auf Ebene der Rechnungsposition (BG-27) muss einen Grund (BT-139), einen"
    " Code für den Grund (BT-140) oder beides enthalten.",
    "Each Invoice line allowance (BG-27) shall contain an Invoice line allowance reason"
    " (BT-139) or an Invoice line allowance reason code (BT-140), or both.",
    family=F,
    needs="line_allowances",
)
def br_co_23(ctx: Ctx) -> Hits:
    for line in ctx.checked_lines:
        yield from _reason(ctx, line.allowances)


@rule(
    "BR-CO-24",
    E,
    "BG-28 BT-144 BT-145",
    "Jeder Zuschlag auf Ebene der Rechnungsposition (BG-28) muss einen Grund (BT-144), einen"
    " Code für den Grund (BT-145) oder beides enthalten.",
    "Each Invoice line charge (BG-28) shall contain an Invoice line charge reason (BT-144) or"
    " an Invoice line charge reason code (BT-145), or both.",
    family=F,
    needs="line_charges",
)
def br_co_24(ctx: Ctx) -> Hits:
    for line in ctx.checked_lines:
        yield from _reason(ctx, line.charges)


@rule(
    "BR-CO-25",
    E,
    "BT-115 BT-9 BT-20",
    "Ist der fällige Zahlungsbetrag (BT-115: {amount}) positiv, muss entweder das Fälligkeitsdatum"
    " (BT-9) oder die Zahlungsbedingungen (BT-20) angegeben werden.",
    "In case the Amount due for payment (BT-115: {amount}) is positive, either the Payment due"
    " date (BT-9) or the Payment terms (BT-20) shall be present.",
    family=F,
    note="Not applied to UBL CreditNotes: the CEN example ubl-tc434-creditnote1.xml (positive"
    " amount due, neither BT-9 nor BT-20) is valid.",
)
def br_co_25(ctx: Ctx) -> Hits:
    if ctx.ubl_credit_note:
        return  # the UBL schematron checks cbc:DueDate, which a CreditNote does not have
    due = ctx.totals.amount_due
    if due is None or due <= ZERO:
        return
    if ctx.inv.due_date is not None or ctx.inv.payment_terms is not None:
        return
    if "BT-9" in ctx.unreadable:
        return
    yield Hit(ctx.loc(ctx.inv, "due_date"), {"amount": due.text})


@rule(
    "BR-CO-26",
    E,
    "BT-29 BT-30 BT-31",
    "Damit der Erwerber den Lieferanten automatisch identifizieren kann, muss die Kennung des"
    " Verkäufers (BT-29), die Kennung der rechtlichen Registrierung (BT-30) oder die"
    " Umsatzsteuer-Identifikationsnummer des Verkäufers (BT-31) angegeben werden.",
    "In order for the buyer to automatically identify a supplier, the Seller identifier"
    " (BT-29), the Seller legal registration identifier (BT-30) and/or the Seller VAT"
    " identifier (BT-31) shall be present.",
    family=F,
)
def br_co_26(ctx: Ctx) -> Hits:
    seller = ctx.inv.seller
    if seller is None:
        return
    if seller.identifiers or seller.legal_registration_id is not None:
        return
    if seller.vat_id is not None or seller.tax_registration_id is not None:
        return
    pi = ctx.inv.payment_instructions
    if ctx.ubl and pi is not None and pi.direct_debit and pi.direct_debit.creditor_id:
        return  # UBL: cac:PartyIdentification (schemeID SEPA) counts for the schematron
    yield Hit(ctx.loc(seller))
