"""EN 16931-1 VAT category rules: BR-S (standard rated), BR-Z (zero rated), BR-E (exempt),
BR-AE (reverse charge), BR-IC (intra-community supply, code K), BR-G (export outside the EU),
BR-O (not subject to VAT), BR-AF (IGIC, code L), BR-AG (IPSI, code M) and BR-B (split
payment).

The ten rules of each category have the same shape, so they are defined from one table
(:data:`CATEGORIES`); each is still its own registered function (``br_s_08``, ``br_ic_11``,
...) and runs only when the invoice uses the category. Formulas follow the CEN schematron
1.3.x: the taxable amount of the rated categories (S, L, M) is compared per rate with a
tolerance of less than one currency unit, the others exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from ingest.einvoice.model import AllowanceCharge, VatBreakdown
from ingest.einvoice.validation.context import ONE, ZERO, Ctx, filled, round2
from ingest.einvoice.validation.registry import Family, Hit, Hits, Severity, rule

E = Severity.ERROR
F = Family.VAT


@dataclass(frozen=True)
class Category:
    code: str
    prefix: str  # rule id prefix, e.g. "BR-IC"
    de: str  # German name of the category
    en: str
    at_least_one: bool  # BR-x-01: "at least one" (S, L, M) or "exactly one" breakdown
    sellers: str  # BR-x-02..04: "vat-tax-rep", "vat-rep", "reverse-charge", "ic", "none"
    rate: str  # BR-x-05..07: "positive", "zero", "absent", "non-negative"
    rated: bool  # BR-x-08/09: per rate with tolerance (S, L, M) or exact with tax = 0
    exemption: bool  # BR-x-10: exemption reason required (True) or forbidden (False)


CATEGORIES = (
    Category("S", "BR-S", "Umsatzsteuer mit Normalsatz", "Standard rated", True, "vat-tax-rep",
             "positive", True, False),
    Category("Z", "BR-Z", "nach dem Nullsatz zu versteuern", "Zero rated", False, "vat-tax-rep",
             "zero", False, False),
    Category("E", "BR-E", "steuerbefreit", "Exempt from VAT", False, "vat-tax-rep", "zero",
             False, True),
    Category("AE", "BR-AE", "Umkehrung der Steuerschuldnerschaft", "Reverse charge", False,
             "reverse-charge", "zero", False, True),
    Category("K", "BR-IC", "innergemeinschaftliche Lieferung", "Intra-community supply",
             False, "ic", "zero", False, True),
    Category("G", "BR-G", "Ausfuhr aus der EU", "Export outside the EU", False, "vat-rep",
             "zero", False, True),
    Category("O", "BR-O", "nicht steuerbar", "Not subject to VAT", False, "none", "absent",
             False, True),
    Category("L", "BR-AF", "IGIC (Kanarische Inseln)", "IGIC", True, "vat-tax-rep",
             "non-negative", True, False),
    Category("M", "BR-AG", "IPSI (Ceuta und Melilla)", "IPSI", True, "vat-tax-rep",
             "non-negative", True, False),
)  # fmt: skip


def _register(
    cat: Category,
    number: str,
    terms: str,
    de: str,
    en: str,
    check: Callable[[Ctx], Iterator[Hit]],
    note: str | None = None,
) -> None:
    rule_id = f"{cat.prefix}-{number}"
    check.__name__ = check.__qualname__ = rule_id.lower().replace("-", "_")
    fill = {"{cat_de}": cat.de, "{cat_en}": cat.en, "{code}": cat.code}
    for key, value in fill.items():
        de = de.replace(key, value)
        en = en.replace(key, value)
    globals()[check.__name__] = rule(
        rule_id, E, terms, de, en, family=F, category=cat.code, note=note
    )(check)


# --- BR-x-01: the VAT breakdown ------------------------------------------------------------


def _breakdown_rule(cat: Category) -> None:
    def check(ctx: Ctx) -> Hits:
        if cat.code not in ctx.used_categories:
            return
        count = ctx.breakdown_categories.get(cat.code, 0)
        if count == 0 or (count > 1 and not cat.at_least_one):
            yield Hit(ctx.loc(), {"count": count})

    amount = "mindestens eine" if cat.at_least_one else "genau eine"
    amount_en = "at least one" if cat.at_least_one else "exactly one"
    _register(
        cat,
        "01",
        "BG-23 BT-118",
        f"Eine Rechnung mit Positionen, Nachlässen oder Zuschlägen der Kategorie ‚{{cat_de}}‘"
        f" ({{code}}) muss in der Aufschlüsselung der Umsatzsteuer (BG-23) {amount}"
        " Kategorie {code} enthalten (gefunden: {count}).",
        f"An Invoice that contains an Invoice line (BG-25), a Document level allowance (BG-20)"
        f" or a Document level charge (BG-21) with VAT category code '{{cat_en}}' ({{code}})"
        f" shall contain in the VAT breakdown (BG-23) {amount_en} VAT category code equal"
        " with {code} (found: {count}).",
        check,
    )


# --- BR-x-02..04: identifiers of seller and buyer -------------------------------------------


def _parties_ok(ctx: Ctx, cat: Category) -> bool:
    seller_vat, tax_no, rep = (
        ctx.seller_vat_id,
        ctx.seller_tax_registration,
        ctx.tax_representative_vat_id,
    )
    if cat.sellers == "vat-tax-rep":
        return seller_vat or tax_no or rep
    if cat.sellers == "vat-rep":
        return seller_vat or rep
    if cat.sellers == "reverse-charge":
        return (seller_vat or tax_no or rep) and (ctx.buyer_vat_id or ctx.buyer_legal_registration)
    if cat.sellers == "ic":
        return (seller_vat or rep) and ctx.buyer_vat_id
    # "none": not subject to VAT - no VAT identifiers at all
    return not (seller_vat or rep or ctx.buyer_vat_id)


_PARTIES_DE = {
    "vat-tax-rep": "die Umsatzsteuer-Identifikationsnummer des Verkäufers (BT-31), seine"
    " Steuernummer (BT-32) und/oder die Umsatzsteuer-Identifikationsnummer des"
    " Steuervertreters (BT-63) enthalten",
    "vat-rep": "die Umsatzsteuer-Identifikationsnummer des Verkäufers (BT-31) oder des"
    " Steuervertreters (BT-63) enthalten",
    "reverse-charge": "die Umsatzsteuer-Identifikationsnummer des Verkäufers (BT-31), seine"
    " Steuernummer (BT-32) und/oder die des Steuervertreters (BT-63) sowie die"
    " Umsatzsteuer-Identifikationsnummer (BT-48) und/oder die Registrierungskennung (BT-47)"
    " des Erwerbers enthalten",
    "ic": "die Umsatzsteuer-Identifikationsnummer des Verkäufers (BT-31) oder des"
    " Steuervertreters (BT-63) sowie die Umsatzsteuer-Identifikationsnummer des Erwerbers"
    " (BT-48) enthalten",
    "none": "weder die Umsatzsteuer-Identifikationsnummer des Verkäufers (BT-31), noch die des"
    " Steuervertreters (BT-63), noch die des Erwerbers (BT-48) enthalten",
}
_PARTIES_EN = {
    "vat-tax-rep": "shall contain the Seller VAT Identifier (BT-31), the Seller tax"
    " registration identifier (BT-32) and/or the Seller tax representative VAT identifier"
    " (BT-63)",
    "vat-rep": "shall contain the Seller VAT Identifier (BT-31) or the Seller tax"
    " representative VAT identifier (BT-63)",
    "reverse-charge": "shall contain the Seller VAT Identifier (BT-31), the Seller Tax"
    " registration identifier (BT-32) and/or the Seller tax representative VAT identifier"
    " (BT-63) and the Buyer VAT identifier (BT-48) and/or the Buyer legal registration"
    " identifier (BT-47)",
    "ic": "shall contain the Seller VAT Identifier (BT-31) or the Seller tax representative VAT"
    " identifier (BT-63) and the Buyer VAT identifier (BT-48)",
    "none": "shall not contain the Seller VAT identifier (BT-31), the Seller tax representative"
    " VAT identifier (BT-63) or the Buyer VAT identifier (BT-48)",
}
_PARTY_TERMS = {
    "vat-tax-rep": "BT-31 BT-32 BT-63",
    "vat-rep": "BT-31 BT-63",
    "reverse-charge": "BT-31 BT-32 BT-63 BT-48 BT-47",
    "ic": "BT-31 BT-63 BT-48",
    "none": "BT-31 BT-63 BT-48",
}


def _party_rules(cat: Category) -> None:
    where = (
        ("02", "eine Rechnungsposition (BG-25)", "an Invoice line (BG-25)", "line"),
        ("03", "einen Nachlass auf Dokumentenebene (BG-20)", "a Document level allowance (BG-20)",
         "allowance"),
        ("04", "einen Zuschlag auf Dokumentenebene (BG-21)", "a Document level charge (BG-21)",
         "charge"),
    )  # fmt: skip
    for number, what_de, what_en, kind in where:

        def check(ctx: Ctx, kind: str = kind) -> Hits:
            if kind == "line":
                present = cat.code in ctx.line_categories
            elif kind == "allowance":
                present = cat.code in ctx.allowance_categories
            else:
                present = cat.code in ctx.charge_categories
            if present and not _parties_ok(ctx, cat):
                yield Hit(ctx.loc(ctx.inv.seller) if ctx.inv.seller else ctx.loc())

        _register(
            cat,
            number,
            _PARTY_TERMS[cat.sellers],
            f"Eine Rechnung, die {what_de} mit der Kategorie ‚{{cat_de}}‘ ({{code}}) enthält,"
            f" muss {_PARTIES_DE[cat.sellers]}.",
            f"An Invoice that contains {what_en} where the VAT category code is '{{cat_en}}'"
            f" ({{code}}) {_PARTIES_EN[cat.sellers]}.",
            check,
        )


# --- BR-x-05..07: the rates of lines, allowances, charges --------------------------------


def _rate_ok(rate: Decimal | None, kind: str) -> bool:
    if kind == "positive":
        return rate is not None and rate > ZERO
    if kind == "zero":
        return rate is None or rate == ZERO
    if kind == "absent":
        return rate is None
    return rate is None or rate >= ZERO  # non-negative


_RATE_DE = {
    "positive": "muss der Steuersatz größer als null sein",
    "zero": "muss der Steuersatz 0 sein",
    "absent": "darf kein Steuersatz angegeben sein",
    "non-negative": "muss der Steuersatz 0 oder größer sein",
}
_RATE_EN = {
    "positive": "shall be greater than zero",
    "zero": "shall be 0 (zero)",
    "absent": "shall not be present",
    "non-negative": "shall be 0 (zero) or greater than zero",
}


def _rate_rules(cat: Category) -> None:
    where = (
        ("05", "BT-152", "einer Rechnungsposition (BT-152)", "the Invoiced item VAT rate (BT-152)"
         " of an Invoice line", "line"),
        ("06", "BT-96", "eines Nachlasses auf Dokumentenebene (BT-96)", "the Document level"
         " allowance VAT rate (BT-96)", "allowance"),
        ("07", "BT-103", "eines Zuschlags auf Dokumentenebene (BT-103)", "the Document level"
         " charge VAT rate (BT-103)", "charge"),
    )  # fmt: skip
    for number, term, what_de, what_en, kind in where:

        def check(ctx: Ctx, kind: str = kind) -> Hits:
            if kind == "line":
                if cat.code not in ctx.line_categories:
                    return
                for line in ctx.checked_lines:
                    vat = line.vat
                    if (
                        vat is not None
                        and vat.category_code == cat.code
                        and not _rate_ok(vat.rate, cat.rate)
                    ):
                        yield Hit(ctx.loc(vat, "rate"), {"value": _text(vat.rate)})
                return
            entries: tuple[AllowanceCharge, ...] = (
                ctx.inv.allowances if kind == "allowance" else ctx.charges
            )
            for ac in entries:
                if ac.vat_category_code == cat.code and not _rate_ok(ac.vat_rate, cat.rate):
                    yield Hit(ctx.loc(ac, "vat_rate"), {"value": _text(ac.vat_rate)})

        _register(
            cat,
            number,
            term,
            f"Bei der Kategorie ‚{{cat_de}}‘ ({{code}}) {_RATE_DE[cat.rate]}: Steuersatz"
            f" {what_de} ist ‚{{value}}‘.",
            f"For VAT category '{{cat_en}}' ({{code}}) {what_en} {_RATE_EN[cat.rate]} (given:"
            " '{value}').",
            check,
        )


def _text(value: Decimal | None) -> str:
    return "-" if value is None else format(value, "f")


# --- BR-x-08/09: taxable and tax amount ---------------------------------------------------


def _taxable_rule(cat: Category) -> None:
    def check(ctx: Ctx) -> Hits:
        for vat in ctx.inv.vat_breakdown:
            if vat.category_code != cat.code or vat.taxable_amount is None:
                continue
            if cat.rated and vat.rate is None:
                continue
            expected = _taxable_mismatch(ctx, cat, vat)
            if expected is not None:
                yield Hit(
                    ctx.loc(vat, "taxable_amount"),
                    {"actual": vat.taxable_amount.text, "expected": _text(expected)},
                )

    per_rate_de = " mit demselben Steuersatz" if cat.rated else ""
    per_rate_en = " and the same VAT rate" if cat.rated else ""
    _register(
        cat,
        "08",
        "BT-116 BT-131 BT-92 BT-99",
        "Der Steuerbasisbetrag (BT-116: {actual}) der Kategorie ‚{cat_de}‘ ({code}) muss der"
        " Summe der Nettobeträge der Rechnungspositionen abzüglich der Nachlässe und zuzüglich"
        f" der Zuschläge auf Dokumentenebene dieser Kategorie{per_rate_de} entsprechen"
        " ({expected}).",
        "In a VAT breakdown (BG-23) where the VAT category code (BT-118) is '{cat_en}' ({code})"
        " the VAT category taxable amount (BT-116: {actual}) shall equal the sum of Invoice"
        " line net amounts (BT-131) minus the sum of Document level allowance amounts (BT-92)"
        " plus the sum of Document level charge amounts (BT-99) where the VAT category codes"
        f" are {{code}}{per_rate_en} ({{expected}}).",
        check,
        note="Tolerance of less than 1 per rate for S, L, M as in the CEN schematron 1.3.x;"
        " exact for the other categories."
        if cat.rated
        else None,
    )


def _taxable_mismatch(ctx: Ctx, cat: Category, vat: VatBreakdown) -> Decimal | None:
    """None if BT-116 matches the lines, allowances and charges (for any candidate line set),
    else the expected amount."""
    taxable = vat.taxable_amount
    assert taxable is not None
    expected = None
    for lines in ctx.line_sets:
        total, found = ctx.category_net(cat.code, vat.rate, lines, with_rate=cat.rated)
        if cat.rated:
            if found and _within_one(taxable, total):
                return None
        elif taxable == total:
            return None
        if expected is None:
            expected = total
    return expected


def _within_one(actual: Decimal, expected: Decimal) -> bool:
    return actual - ONE < expected < actual + ONE


def _tax_rule(cat: Category) -> None:
    def check(ctx: Ctx) -> Hits:
        for vat in ctx.inv.vat_breakdown:
            if vat.category_code != cat.code or vat.tax_amount is None:
                continue
            tax = vat.tax_amount
            if cat.rated:
                if vat.rate is None or vat.taxable_amount is None:
                    continue
                expected = round2(abs(vat.taxable_amount) * (vat.rate / 100))
                if abs(tax) - ONE < expected < abs(tax) + ONE:
                    continue
            else:
                expected = ZERO
                if tax == ZERO:
                    continue
            yield Hit(ctx.loc(vat, "tax_amount"), {"actual": tax.text, "expected": _text(expected)})

    if cat.rated:
        de = (
            "Der Steuerbetrag (BT-117: {actual}) der Kategorie ‚{cat_de}‘ ({code}) muss dem"
            " Steuerbasisbetrag (BT-116) multipliziert mit dem Steuersatz (BT-119) entsprechen"
            " ({expected})."
        )
        en = (
            "The VAT category tax amount (BT-117: {actual}) in a VAT breakdown (BG-23) where"
            " VAT category code (BT-118) is '{cat_en}' ({code}) shall equal the VAT category"
            " taxable amount (BT-116) multiplied by the VAT category rate (BT-119) ({expected})."
        )
    else:
        de = "Der Steuerbetrag (BT-117: {actual}) der Kategorie ‚{cat_de}‘ ({code}) muss 0 sein."
        en = (
            "The VAT category tax amount (BT-117: {actual}) in a VAT breakdown (BG-23) where"
            " the VAT category code (BT-118) equals '{cat_en}' ({code}) shall equal 0 (zero)."
        )
    _register(cat, "09", "BT-117 BT-116 BT-119", de, en, check)


# --- BR-x-10: exemption reason ----------------------------------------------------------------


def _exemption_rule(cat: Category) -> None:
    def check(ctx: Ctx) -> Hits:
        for vat in ctx.inv.vat_breakdown:
            if vat.category_code != cat.code:
                continue
            has = vat.exemption_reason is not None or vat.exemption_reason_code is not None
            if has != cat.exemption:
                yield Hit(ctx.loc(vat, "exemption_reason"))

    if cat.exemption:
        de = (
            "Eine Aufschlüsselung der Umsatzsteuer (BG-23) der Kategorie ‚{cat_de}‘ ({code})"
            " muss einen Befreiungsgrund (BT-120) oder den Code dafür (BT-121) enthalten."
        )
        en = (
            "A VAT breakdown (BG-23) with VAT Category code (BT-118) '{cat_en}' ({code}) shall"
            " have a VAT exemption reason code (BT-121) or a VAT exemption reason text (BT-120)."
        )
    else:
        de = (
            "Eine Aufschlüsselung der Umsatzsteuer (BG-23) der Kategorie ‚{cat_de}‘ ({code})"
            " darf keinen Befreiungsgrund (BT-120) und keinen Code dafür (BT-121) enthalten."
        )
        en = (
            "A VAT breakdown (BG-23) with VAT Category code (BT-118) '{cat_en}' ({code}) shall"
            " not have a VAT exemption reason code (BT-121) or VAT exemption reason text"
            " (BT-120)."
        )
    _register(cat, "10", "BT-120 BT-121", de, en, check)


for _cat in CATEGORIES:
    _breakdown_rule(_cat)
    _party_rules(_cat)
    _rate_rules(_cat)
    _taxable_rule(_cat)
    _tax_rule(_cat)
    _exemption_rule(_cat)


# --- intra-community supply: BR-IC-11/12 ---------------------------------------------------


def _ic_breakdowns(ctx: Ctx) -> list[VatBreakdown]:
    return [vat for vat in ctx.inv.vat_breakdown if vat.category_code == "K"]


@rule(
    "BR-IC-11",
    E,
    "BT-72 BG-14",
    "Bei einer innergemeinschaftlichen Lieferung (Kategorie K) muss das tatsächliche"
    " Lieferdatum (BT-72) oder der Rechnungszeitraum (BG-14) angegeben werden.",
    "In an Invoice with a VAT breakdown (BG-23) where the VAT category code (BT-118) is"
    " 'Intra-community supply' the Actual delivery date (BT-72) or the Invoicing period"
    " (BG-14) shall not be blank.",
    family=F,
    category="K",
)
def br_ic_11(ctx: Ctx) -> Hits:
    if not _ic_breakdowns(ctx):
        return
    delivery = ctx.inv.delivery
    if delivery is not None and delivery.actual_delivery_date is not None:
        return
    if ctx.inv.invoicing_period is not None:
        return
    if any(line.period is not None for line in ctx.all_lines):
        return  # the UBL schematron tests //cac:InvoicePeriod, line periods included
    yield Hit(ctx.loc())


@rule(
    "BR-IC-12",
    E,
    "BT-80",
    "Bei einer innergemeinschaftlichen Lieferung (Kategorie K) muss der Ländercode der"
    " Lieferanschrift (BT-80) angegeben werden.",
    "In an Invoice with a VAT breakdown (BG-23) where the VAT category code (BT-118) is"
    " 'Intra-community supply' the Deliver to country code (BT-80) shall not be blank.",
    family=F,
    category="K",
)
def br_ic_12(ctx: Ctx) -> Hits:
    if not _ic_breakdowns(ctx):
        return
    delivery = ctx.inv.delivery
    if delivery is None or delivery.address is None or not filled(delivery.address.country_code):
        yield Hit(ctx.loc(delivery) if delivery is not None else ctx.loc())


# --- not subject to VAT: BR-O-11..14 ---------------------------------------------------------


def _has_o_breakdown(ctx: Ctx) -> bool:
    return "O" in ctx.breakdown_categories


@rule(
    "BR-O-11",
    E,
    "BG-23 BT-118",
    "Eine Rechnung mit einer Aufschlüsselung der Kategorie ‚nicht steuerbar‘ (O) darf keine"
    " Aufschlüsselung einer anderen Kategorie enthalten ({value}).",
    "An Invoice that contains a VAT breakdown group (BG-23) with a VAT category code (BT-118)"
    " 'Not subject to VAT' shall not contain other VAT breakdown groups (BG-23) ({value}).",
    family=F,
    category="O",
)
def br_o_11(ctx: Ctx) -> Hits:
    if _has_o_breakdown(ctx):
        others = sorted(set(ctx.breakdown_categories) - {"O"})
        if others:
            yield Hit(ctx.loc(), {"value": ", ".join(others)})


@rule(
    "BR-O-12",
    E,
    "BT-151",
    "Eine Rechnung mit einer Aufschlüsselung der Kategorie ‚nicht steuerbar‘ (O) darf keine"
    " Rechnungsposition einer anderen Kategorie enthalten ({value}).",
    "An Invoice that contains a VAT breakdown group (BG-23) with a VAT category code (BT-118)"
    " 'Not subject to VAT' shall not contain an Invoice line (BG-25) where the Invoiced item"
    " VAT category code (BT-151) is not 'Not subject to VAT' ({value}).",
    family=F,
    category="O",
)
def br_o_12(ctx: Ctx) -> Hits:
    if _has_o_breakdown(ctx):
        others = sorted(set(ctx.line_categories) - {"O"})
        if others:
            yield Hit(ctx.loc(), {"value": ", ".join(others)})


@rule(
    "BR-O-13",
    E,
    "BT-95",
    "Eine Rechnung mit einer Aufschlüsselung der Kategorie ‚nicht steuerbar‘ (O) darf keinen"
    " Nachlass auf Dokumentenebene einer anderen Kategorie enthalten ({value}).",
    "An Invoice that contains a VAT breakdown group (BG-23) with a VAT category code (BT-118)"
    " 'Not subject to VAT' shall not contain Document level allowances (BG-20) where Document"
    " level allowance VAT category code (BT-95) is not 'Not subject to VAT' ({value}).",
    family=F,
    category="O",
)
def br_o_13(ctx: Ctx) -> Hits:
    if _has_o_breakdown(ctx):
        others = sorted(set(ctx.allowance_categories) - {"O"})
        if others:
            yield Hit(ctx.loc(), {"value": ", ".join(others)})


@rule(
    "BR-O-14",
    E,
    "BT-102",
    "Eine Rechnung mit einer Aufschlüsselung der Kategorie ‚nicht steuerbar‘ (O) darf keinen"
    " Zuschlag auf Dokumentenebene einer anderen Kategorie enthalten ({value}).",
    "An Invoice that contains a VAT breakdown group (BG-23) with a VAT category code (BT-118)"
    " 'Not subject to VAT' shall not contain Document level charges (BG-21) where Document"
    " level charge VAT category code (BT-102) is not 'Not subject to VAT' ({value}).",
    family=F,
    category="O",
)
def br_o_14(ctx: Ctx) -> Hits:
    if _has_o_breakdown(ctx):
        others = sorted(set(ctx.charge_categories) - {"O"})
        if others:
            yield Hit(ctx.loc(), {"value": ", ".join(others)})


# --- split payment: BR-B-01/02 ----------------------------------------------------------------


@rule(
    "BR-B-01",
    E,
    "BT-40 BT-55",
    "Eine Rechnung mit der Kategorie ‚Split payment‘ (B) muss eine inländische italienische"
    " Rechnung sein.",
    "An Invoice where the VAT category code (BT-151, BT-95 or BT-102) is 'Split payment' shall"
    " be a domestic Italian invoice.",
    family=F,
    category="B",
)
def br_b_01(ctx: Ctx) -> Hits:
    if "B" not in ctx.used_categories:
        return
    inv = ctx.inv
    for party in (inv.seller, inv.buyer):
        address = party.address if party is not None else None
        if address is not None and address.country_code and address.country_code != "IT":
            yield Hit(ctx.loc(address, "country_code"))
            return


@rule(
    "BR-B-02",
    E,
    "BT-151 BT-95 BT-102",
    "Eine Rechnung mit der Kategorie ‚Split payment‘ (B) darf nicht die Kategorie ‚Umsatzsteuer"
    " mit Normalsatz‘ (S) enthalten.",
    "An Invoice that contains an Invoice line (BG-25), a Document level allowance (BG-20) or a"
    " Document level charge (BG-21) where the VAT category code is 'Split payment' shall not"
    " contain an invoice line, a Document level allowance or a Document level charge where the"
    " VAT category code is 'Standard rated'.",
    family=F,
    category="B",
)
def br_b_02(ctx: Ctx) -> Hits:
    if "B" in ctx.used_categories and "S" in ctx.used_categories:
        yield Hit(ctx.loc())
