"""EN 16931-1 core business rules BR-01 .. BR-65 (mandatory terms and simple conditions).

Formulas follow the CEN/TC 434 schematron (``EN16931-UBL-model.sch`` / ``EN16931-CII-model.sch``,
release 1.3.x as bundled with the XRechnung 3.0 validator configuration). A text term counts
as given when it is present and not empty (the schematron's ``. != ''``).
"""

from __future__ import annotations

from collections.abc import Iterator

from ingest.einvoice.model import InvoiceLine
from ingest.einvoice.validation.context import ZERO, Ctx, filled
from ingest.einvoice.validation.registry import Family, Hit, Hits, Severity, rule

E = Severity.ERROR
F = Family.CORE
SEPA_CREDIT_TRANSFER = frozenset({"30", "58"})


def _missing(ctx: Ctx, group: object | None, term: str) -> list[Hit] | None:
    """A hit for a missing mandatory term of ``group`` (None if it is given, or if there is no
    group). A list, not a generator: these rules run on every invoice and mostly pass."""
    if group is None:
        return None
    value = getattr(group, term)
    if value is None or value == "":
        return [Hit(ctx.loc(group, term))]
    return None


# --- header -------------------------------------------------------------------------------


@rule(
    "BR-01",
    E,
    "BT-24",
    "Eine Rechnung muss eine Spezifikationskennung (BT-24) enthalten.",
    "An Invoice shall have a Specification identifier (BT-24).",
    family=F,
)
def br_01(ctx: Ctx) -> Hits:
    return _missing(ctx, ctx.inv, "specification_identifier")


@rule(
    "BR-02",
    E,
    "BT-1",
    "Eine Rechnung muss eine Rechnungsnummer (BT-1) enthalten.",
    "An Invoice shall have an Invoice number (BT-1).",
    family=F,
)
def br_02(ctx: Ctx) -> Hits:
    return _missing(ctx, ctx.inv, "number")


@rule(
    "BR-03",
    E,
    "BT-2",
    "Eine Rechnung muss ein Rechnungsdatum (BT-2) enthalten.",
    "An Invoice shall have an Invoice issue date (BT-2).",
    family=F,
)
def br_03(ctx: Ctx) -> Hits:
    if ctx.inv.issue_date is None and "BT-2" not in ctx.unreadable:
        yield Hit(ctx.loc(ctx.inv, "issue_date"))


@rule(
    "BR-04",
    E,
    "BT-3",
    "Eine Rechnung muss einen Rechnungstyp-Code (BT-3) enthalten.",
    "An Invoice shall have an Invoice type code (BT-3).",
    family=F,
)
def br_04(ctx: Ctx) -> Hits:
    return _missing(ctx, ctx.inv, "type_code")


@rule(
    "BR-05",
    E,
    "BT-5",
    "Eine Rechnung muss einen Code für die Rechnungswährung (BT-5) enthalten.",
    "An Invoice shall have an Invoice currency code (BT-5).",
    family=F,
)
def br_05(ctx: Ctx) -> Hits:
    return _missing(ctx, ctx.inv, "currency_code")


# --- parties --------------------------------------------------------------------------------


@rule(
    "BR-06",
    E,
    "BT-27",
    "Eine Rechnung muss den Namen des Verkäufers (BT-27) enthalten.",
    "An Invoice shall contain the Seller name (BT-27).",
    family=F,
)
def br_06(ctx: Ctx) -> Hits:
    seller = ctx.inv.seller
    if seller is None:
        return [Hit(ctx.loc())]
    return _missing(ctx, seller, "name")


@rule(
    "BR-07",
    E,
    "BT-44",
    "Eine Rechnung muss den Namen des Erwerbers (BT-44) enthalten.",
    "An Invoice shall contain the Buyer name (BT-44).",
    family=F,
)
def br_07(ctx: Ctx) -> Hits:
    buyer = ctx.inv.buyer
    if buyer is None:
        return [Hit(ctx.loc())]
    return _missing(ctx, buyer, "name")


@rule(
    "BR-08",
    E,
    "BG-5",
    "Eine Rechnung muss die postalische Anschrift des Verkäufers (BG-5) enthalten.",
    "An Invoice shall contain the Seller postal address (BG-5).",
    family=F,
)
def br_08(ctx: Ctx) -> Hits:
    seller = ctx.inv.seller
    if seller is not None and seller.address is None:
        yield Hit(ctx.loc(seller))


@rule(
    "BR-09",
    E,
    "BT-40",
    "Die postalische Anschrift des Verkäufers (BG-5) muss einen Ländercode (BT-40) enthalten.",
    "The Seller postal address (BG-5) shall contain a Seller country code (BT-40).",
    family=F,
)
def br_09(ctx: Ctx) -> Hits:
    seller = ctx.inv.seller
    return _missing(ctx, seller.address, "country_code") if seller is not None else None


@rule(
    "BR-10",
    E,
    "BG-8",
    "Eine Rechnung muss die postalische Anschrift des Erwerbers (BG-8) enthalten.",
    "An Invoice shall contain the Buyer postal address (BG-8).",
    family=F,
)
def br_10(ctx: Ctx) -> Hits:
    buyer = ctx.inv.buyer
    if buyer is not None and buyer.address is None:
        yield Hit(ctx.loc(buyer))


@rule(
    "BR-11",
    E,
    "BT-55",
    "Die postalische Anschrift des Erwerbers (BG-8) muss einen Ländercode (BT-55) enthalten.",
    "The Buyer postal address (BG-8) shall contain a Buyer country code (BT-55).",
    family=F,
)
def br_11(ctx: Ctx) -> Hits:
    buyer = ctx.inv.buyer
    return _missing(ctx, buyer.address, "country_code") if buyer is not None else None


# --- totals ---------------------------------------------------------------------------------


def _missing_total(ctx: Ctx, field: str, term: str) -> list[Hit] | None:
    if getattr(ctx.totals, field) is None and term not in ctx.unreadable:
        return [Hit(ctx.totals_loc(field))]
    return None


@rule(
    "BR-12",
    E,
    "BT-106",
    "Eine Rechnung muss die Summe der Nettobeträge der Rechnungspositionen (BT-106) enthalten.",
    "An Invoice shall have the Sum of Invoice line net amount (BT-106).",
    family=F,
)
def br_12(ctx: Ctx) -> Hits:
    return _missing_total(ctx, "line_net_total", "BT-106")


@rule(
    "BR-13",
    E,
    "BT-109",
    "Eine Rechnung muss den Gesamtbetrag ohne Umsatzsteuer (BT-109) enthalten.",
    "An Invoice shall have the Invoice total amount without VAT (BT-109).",
    family=F,
)
def br_13(ctx: Ctx) -> Hits:
    return _missing_total(ctx, "total_without_vat", "BT-109")


@rule(
    "BR-14",
    E,
    "BT-112",
    "Eine Rechnung muss den Gesamtbetrag einschließlich Umsatzsteuer (BT-112) enthalten.",
    "An Invoice shall have the Invoice total amount with VAT (BT-112).",
    family=F,
)
def br_14(ctx: Ctx) -> Hits:
    return _missing_total(ctx, "total_with_vat", "BT-112")


@rule(
    "BR-15",
    E,
    "BT-115",
    "Eine Rechnung muss den fälligen Zahlungsbetrag (BT-115) enthalten.",
    "An Invoice shall have the Amount due for payment (BT-115).",
    family=F,
)
def br_15(ctx: Ctx) -> Hits:
    return _missing_total(ctx, "amount_due", "BT-115")


@rule(
    "BR-16",
    E,
    "BG-25",
    "Eine Rechnung muss mindestens eine Rechnungsposition (BG-25) enthalten.",
    "An Invoice shall have at least one Invoice line (BG-25).",
    family=F,
)
def br_16(ctx: Ctx) -> Hits:
    if not ctx.inv.lines:
        yield Hit(ctx.loc())


@rule(
    "BR-17",
    E,
    "BT-59 BG-10",
    "Der Name des Zahlungsempfängers (BT-59) muss angegeben werden, wenn der Zahlungsempfänger"
    " (BG-10) vom Verkäufer (BG-4) abweicht.",
    "The Payee name (BT-59) shall be provided in the Invoice, if the Payee (BG-10) is different"
    " from the Seller (BG-4).",
    family=F,
    needs="payee",
)
def br_17(ctx: Ctx) -> Hits:
    return _missing(ctx, ctx.inv.payee, "name")


@rule(
    "BR-18",
    E,
    "BT-62 BG-11",
    "Der Name des Steuervertreters des Verkäufers (BT-62) muss angegeben werden, wenn der"
    " Verkäufer (BG-4) einen Steuervertreter (BG-11) hat.",
    "The Seller tax representative name (BT-62) shall be provided in the Invoice, if the Seller"
    " (BG-4) has a Seller tax representative party (BG-11).",
    family=F,
    needs="tax_representative",
)
def br_18(ctx: Ctx) -> Hits:
    return _missing(ctx, ctx.inv.seller_tax_representative, "name")


@rule(
    "BR-19",
    E,
    "BG-12 BG-11",
    "Die postalische Anschrift des Steuervertreters (BG-12) muss angegeben werden, wenn der"
    " Verkäufer einen Steuervertreter (BG-11) hat.",
    "The Seller tax representative postal address (BG-12) shall be provided in the Invoice, if"
    " the Seller (BG-4) has a Seller tax representative party (BG-11).",
    family=F,
    needs="tax_representative",
)
def br_19(ctx: Ctx) -> Hits:
    rep = ctx.inv.seller_tax_representative
    if rep is not None and rep.address is None:
        yield Hit(ctx.loc(rep))


@rule(
    "BR-20",
    E,
    "BT-69 BG-12",
    "Die postalische Anschrift des Steuervertreters (BG-12) muss einen Ländercode (BT-69)"
    " enthalten.",
    "The Seller tax representative postal address (BG-12) shall contain a Tax representative"
    " country code (BT-69).",
    family=F,
    needs="tax_representative",
)
def br_20(ctx: Ctx) -> Hits:
    rep = ctx.inv.seller_tax_representative
    return _missing(ctx, rep.address, "country_code") if rep is not None else None


# --- lines ----------------------------------------------------------------------------------


def _each_line_missing(ctx: Ctx, field: str, term: str) -> Iterator[Hit]:
    for line in ctx.checked_lines:
        value = getattr(line, field)
        if value is None or value == "":
            if field in ("quantity", "net_amount") and _unreadable_at(ctx, line, term):
                continue
            yield Hit(ctx.loc(line, field), {"line": line.id or "?"})


def _unreadable_at(ctx: Ctx, line: InvoiceLine, term: str) -> bool:
    return any(
        issue.term == term and issue.location.startswith(line.location)
        for issue in ctx.inv.parse_issues
    )


@rule(
    "BR-21",
    E,
    "BT-126",
    "Jede Rechnungsposition (BG-25) muss eine eindeutige Positionsnummer (BT-126) haben.",
    "Each Invoice line (BG-25) shall have an Invoice line identifier (BT-126).",
    family=F,
)
def br_21(ctx: Ctx) -> Hits:
    return _each_line_missing(ctx, "id", "BT-126")


@rule(
    "BR-22",
    E,
    "BT-129",
    "Jede Rechnungsposition (BG-25, Position {line}) muss die Menge (BT-129) enthalten.",
    "Each Invoice line (BG-25, line {line}) shall have an Invoiced quantity (BT-129).",
    family=F,
)
def br_22(ctx: Ctx) -> Hits:
    return _each_line_missing(ctx, "quantity", "BT-129")


@rule(
    "BR-23",
    E,
    "BT-130",
    "Jede Rechnungsposition (BG-25, Position {line}) muss die Mengeneinheit (BT-130) enthalten.",
    "An Invoice line (BG-25, line {line}) shall have an Invoiced quantity unit of measure code"
    " (BT-130).",
    family=F,
)
def br_23(ctx: Ctx) -> Hits:
    return _each_line_missing(ctx, "unit_code", "BT-130")


@rule(
    "BR-24",
    E,
    "BT-131",
    "Jede Rechnungsposition (BG-25, Position {line}) muss den Nettobetrag (BT-131) enthalten.",
    "Each Invoice line (BG-25, line {line}) shall have an Invoice line net amount (BT-131).",
    family=F,
)
def br_24(ctx: Ctx) -> Hits:
    return _each_line_missing(ctx, "net_amount", "BT-131")


@rule(
    "BR-25",
    E,
    "BT-153",
    "Jede Rechnungsposition (BG-25, Position {line}) muss den Artikelnamen (BT-153) enthalten.",
    "Each Invoice line (BG-25, line {line}) shall contain the Item name (BT-153).",
    family=F,
)
def br_25(ctx: Ctx) -> Hits:
    for line in ctx.checked_lines:
        if line.item is None or not filled(line.item.name):
            yield Hit(ctx.loc(line.item or line, "name" if line.item else None), {"line": line.id})


@rule(
    "BR-26",
    E,
    "BT-146",
    "Jede Rechnungsposition (BG-25, Position {line}) muss den Nettopreis des Artikels (BT-146)"
    " enthalten.",
    "Each Invoice line (BG-25, line {line}) shall contain the Item net price (BT-146).",
    family=F,
)
def br_26(ctx: Ctx) -> Hits:
    for line in ctx.checked_lines:
        price = line.price
        if price is None or price.net_price is None:
            if _unreadable_at(ctx, line, "BT-146"):
                continue
            yield Hit(ctx.loc(price or line), {"line": line.id})


@rule(
    "BR-27",
    E,
    "BT-146",
    "Der Nettopreis des Artikels (BT-146, Position {line}) darf nicht negativ sein ({value}).",
    "The Item net price (BT-146, line {line}) shall NOT be negative ({value}).",
    family=F,
)
def br_27(ctx: Ctx) -> Hits:
    for line in ctx.checked_lines:
        price = line.price
        if price is not None and price.net_price is not None and price.net_price < ZERO:
            yield Hit(ctx.loc(price, "net_price"), {"line": line.id, "value": price.net_price.text})


@rule(
    "BR-28",
    E,
    "BT-148",
    "Der Bruttopreis des Artikels (BT-148, Position {line}) darf nicht negativ sein ({value}).",
    "The Item gross price (BT-148, line {line}) shall NOT be negative ({value}).",
    family=F,
)
def br_28(ctx: Ctx) -> Hits:
    for line in ctx.checked_lines:
        price = line.price
        if price is not None and price.gross_price is not None and price.gross_price < ZERO:
            yield Hit(
                ctx.loc(price, "gross_price"), {"line": line.id, "value": price.gross_price.text}
            )


@rule(
    "BR-29",
    E,
    "BT-73 BT-74 BG-14",
    "Wenn Anfangs- und Enddatum des Rechnungszeitraums angegeben sind, muss das Enddatum"
    " (BT-74, {end}) nach dem Anfangsdatum (BT-73, {start}) liegen oder ihm entsprechen.",
    "If both Invoicing period start date (BT-73) and end date (BT-74) are given then the end"
    " date ({end}) shall be later or equal to the start date ({start}).",
    family=F,
    needs="period",
)
def br_29(ctx: Ctx) -> Hits:
    period = ctx.inv.invoicing_period
    if period is None or not period.start_date or not period.end_date:
        return
    if period.end_date < period.start_date:
        yield Hit(
            ctx.loc(period, "end_date"),
            {"start": period.start_date.isoformat(), "end": period.end_date.isoformat()},
        )


@rule(
    "BR-30",
    E,
    "BT-134 BT-135 BG-26",
    "Wenn Anfangs- und Enddatum des Abrechnungszeitraums der Position {line} angegeben sind,"
    " muss das Enddatum (BT-135, {end}) nach dem Anfangsdatum (BT-134, {start}) liegen oder"
    " ihm entsprechen.",
    "If both Invoice line period start date (BT-134) and end date (BT-135) are given (line"
    " {line}) then the end date ({end}) shall be later or equal to the start date ({start}).",
    family=F,
    needs="line_periods",
)
def br_30(ctx: Ctx) -> Hits:
    for line in ctx.checked_lines:
        period = line.period
        if period is None or not period.start_date or not period.end_date:
            continue
        if period.end_date < period.start_date:
            yield Hit(
                ctx.loc(period, "end_date"),
                {
                    "line": line.id,
                    "start": period.start_date.isoformat(),
                    "end": period.end_date.isoformat(),
                },
            )


# --- document level allowances and charges --------------------------------------------------


def _ac_missing_amount(ctx: Ctx, entries: tuple, term: str) -> Iterator[Hit]:
    for ac in entries:
        if ac.amount is None and not any(
            issue.term == term and issue.location == ac.location for issue in ctx.inv.parse_issues
        ):
            yield Hit(ctx.loc(ac, "amount"))


def _ac_missing_reason(ctx: Ctx, entries: tuple) -> Iterator[Hit]:
    for ac in entries:
        if not filled(ac.reason) and not filled(ac.reason_code):
            yield Hit(ctx.loc(ac))


@rule(
    "BR-31",
    E,
    "BT-92 BG-20",
    "Jeder Nachlass auf Dokumentenebene (BG-20) muss einen Betrag (BT-92) haben.",
    "Each Document level allowance (BG-20) shall have a Document level allowance amount (BT-92).",
    family=F,
    needs="allowances",
)
def br_31(ctx: Ctx) -> Hits:
    return _ac_missing_amount(ctx, ctx.inv.allowances, "BT-92")


@rule(
    "BR-32",
    E,
    "BT-95 BG-20",
    "Jeder Nachlass auf Dokumentenebene (BG-20) muss einen Umsatzsteuer-Kategoriecode (BT-95)"
    " haben.",
    "Each Document level allowance (BG-20) shall have a Document level allowance VAT category"
    " code (BT-95).",
    family=F,
    needs="allowances",
)
def br_32(ctx: Ctx) -> Hits:
    for ac in ctx.inv.allowances:
        if not filled(ac.vat_category_code):
            yield Hit(ctx.loc(ac, "vat_category_code"))


@rule(
    "BR-33",
    E,
    "BT-97 BT-98 BG-20",
    "Jeder Nachlass auf Dokumentenebene (BG-20) muss einen Grund (BT-97) oder einen Code für"
    " den Grund (BT-98) haben.",
    "Each Document level allowance (BG-20) shall have a Document level allowance reason (BT-97)"
    " or a Document level allowance reason code (BT-98).",
    family=F,
    needs="allowances",
)
def br_33(ctx: Ctx) -> Hits:
    return _ac_missing_reason(ctx, ctx.inv.allowances)


@rule(
    "BR-36",
    E,
    "BT-99 BG-21",
    "Jeder Zuschlag auf Dokumentenebene (BG-21) muss einen Betrag (BT-99) haben.",
    "Each Document level charge (BG-21) shall have a Document level charge amount (BT-99).",
    family=F,
    needs="charges",
)
def br_36(ctx: Ctx) -> Hits:
    return _ac_missing_amount(ctx, ctx.inv.charges, "BT-99")


@rule(
    "BR-37",
    E,
    "BT-102 BG-21",
    "Jeder Zuschlag auf Dokumentenebene (BG-21) muss einen Umsatzsteuer-Kategoriecode (BT-102)"
    " haben.",
    "Each Document level charge (BG-21) shall have a Document level charge VAT category code"
    " (BT-102).",
    family=F,
    needs="charges",
)
def br_37(ctx: Ctx) -> Hits:
    for ac in ctx.inv.charges:
        if not filled(ac.vat_category_code):
            yield Hit(ctx.loc(ac, "vat_category_code"))


@rule(
    "BR-38",
    E,
    "BT-104 BT-105 BG-21",
    "Jeder Zuschlag auf Dokumentenebene (BG-21) muss einen Grund (BT-104) oder einen Code für"
    " den Grund (BT-105) haben.",
    "Each Document level charge (BG-21) shall have a Document level charge reason (BT-104) or a"
    " Document level charge reason code (BT-105).",
    family=F,
    needs="charges",
)
def br_38(ctx: Ctx) -> Hits:
    return _ac_missing_reason(ctx, ctx.inv.charges)


# --- line allowances and charges ------------------------------------------------------------


@rule(
    "BR-41",
    E,
    "BT-136 BG-27",
    "Jeder Nachlass auf Ebene der Rechnungsposition (BG-27) muss einen Betrag (BT-136) haben.",
    "Each Invoice line allowance (BG-27) shall have an Invoice line allowance amount (BT-136).",
    family=F,
    needs="line_allowances",
)
def br_41(ctx: Ctx) -> Hits:
    for line in ctx.checked_lines:
        yield from _ac_missing_amount(ctx, line.allowances, "BT-136")


@rule(
    "BR-42",
    E,
    "BT-139 BT-140 BG-27",
    "Jeder Nachlass auf Ebene der Rechnungsposition (BG-27) muss einen Grund (BT-139) oder einen"
    " Code für den Grund (BT-140) haben.",
    "Each Invoice line allowance (BG-27) shall have an Invoice line allowance reason (BT-139)"
    " or an Invoice line allowance reason code (BT-140).",
    family=F,
    needs="line_allowances",
)
def br_42(ctx: Ctx) -> Hits:
    for line in ctx.checked_lines:
        yield from _ac_missing_reason(ctx, line.allowances)


@rule(
    "BR-43",
    E,
    "BT-141 BG-28",
    "Jeder Zuschlag auf Ebene der Rechnungsposition (BG-28) muss einen Betrag (BT-141) haben.",
    "Each Invoice line charge (BG-28) shall have an Invoice line charge amount (BT-141).",
    family=F,
    needs="line_charges",
)
def br_43(ctx: Ctx) -> Hits:
    for line in ctx.checked_lines:
        yield from _ac_missing_amount(ctx, line.charges, "BT-141")


@rule(
    "BR-44",
    E,
    "BT-144 BT-145 BG-28",
    "Jeder Zuschlag auf Ebene der Rechnungsposition (BG-28) muss einen Grund (BT-144) oder einen"
    " Code für den Grund (BT-145) haben.",
    "Each Invoice line charge (BG-28) shall have an Invoice line charge reason (BT-144) or an"
    " Invoice line charge reason code (BT-145).",
    family=F,
    needs="line_charges",
)
def br_44(ctx: Ctx) -> Hits:
    for line in ctx.checked_lines:
        yield from _ac_missing_reason(ctx, line.charges)


# --- VAT breakdown --------------------------------------------------------------------------


def _breakdown_missing(ctx: Ctx, field: str, term: str) -> Iterator[Hit]:
    for vat in ctx.inv.vat_breakdown:
        value = getattr(vat, field)
        if value is None or value == "":
            if any(i.term == term and i.location == vat.location for i in ctx.inv.parse_issues):
                continue
            yield Hit(ctx.loc(vat, field), {"category": vat.category_code or "?"})


@rule(
    "BR-45",
    E,
    "BT-116 BG-23",
    "Jede Aufschlüsselung der Umsatzsteuer (BG-23, Kategorie {category}) muss den"
    " Steuerbasisbetrag (BT-116) enthalten.",
    "Each VAT breakdown (BG-23, category {category}) shall have a VAT category taxable amount"
    " (BT-116).",
    family=F,
)
def br_45(ctx: Ctx) -> Hits:
    return _breakdown_missing(ctx, "taxable_amount", "BT-116")


@rule(
    "BR-46",
    E,
    "BT-117 BG-23",
    "Jede Aufschlüsselung der Umsatzsteuer (BG-23, Kategorie {category}) muss den"
    " Steuerbetrag der Kategorie (BT-117) enthalten.",
    "Each VAT breakdown (BG-23, category {category}) shall have a VAT category tax amount"
    " (BT-117).",
    family=F,
)
def br_46(ctx: Ctx) -> Hits:
    return _breakdown_missing(ctx, "tax_amount", "BT-117")


@rule(
    "BR-47",
    E,
    "BT-118 BG-23",
    "Jede Aufschlüsselung der Umsatzsteuer (BG-23) muss einen Umsatzsteuer-Kategoriecode"
    " (BT-118) enthalten.",
    "Each VAT breakdown (BG-23) shall be defined through a VAT category code (BT-118).",
    family=F,
)
def br_47(ctx: Ctx) -> Hits:
    return _breakdown_missing(ctx, "category_code", "BT-118")


@rule(
    "BR-48",
    E,
    "BT-119 BG-23",
    "Jede Aufschlüsselung der Umsatzsteuer (BG-23, Kategorie {category}) muss einen"
    " Umsatzsteuersatz (BT-119) enthalten, außer bei der Kategorie O (nicht steuerbar).",
    "Each VAT breakdown (BG-23, category {category}) shall have a VAT category rate (BT-119),"
    " except if the Invoice is not subject to VAT.",
    family=F,
)
def br_48(ctx: Ctx) -> Hits:
    for vat in ctx.inv.vat_breakdown:
        if vat.rate is None and vat.category_code != "O":
            if any(i.term == "BT-119" and i.location == vat.location for i in ctx.inv.parse_issues):
                continue
            yield Hit(ctx.loc(vat, "rate"), {"category": vat.category_code or "?"})


# --- payment --------------------------------------------------------------------------------


@rule(
    "BR-49",
    E,
    "BT-81 BG-16",
    "Die Zahlungsanweisungen (BG-16) müssen den Code für das Zahlungsmittel (BT-81) enthalten.",
    "A Payment instruction (BG-16) shall specify the Payment means type code (BT-81).",
    family=F,
    needs="payment",
)
def br_49(ctx: Ctx) -> Hits:
    for position, code, _ in ctx.payment_means:
        if not filled(code):
            yield Hit(ctx.means_location(position))


@rule(
    "BR-50",
    E,
    "BT-84 BG-17",
    "Die Kennung des Zahlungskontos (BT-84) muss angegeben werden, wenn Überweisungsdaten"
    " (BG-17) angegeben sind.",
    "A Payment account identifier (BT-84) shall be present if Credit transfer (BG-17)"
    " information is provided in the Invoice.",
    family=F,
    needs="payment",
)
def br_50(ctx: Ctx) -> Hits:
    pi = ctx.inv.payment_instructions
    if pi is None:
        return
    for transfer in pi.credit_transfers:
        if not filled(transfer.account_id):
            yield Hit(ctx.loc(transfer, "account_id"))


@rule(
    "BR-51",
    Severity.WARNING,
    "BT-87 BG-18",
    "Von der Kartennummer (BT-87) sollen nur die letzten vier bis sechs Ziffern angegeben"
    " werden ({value}).",
    "The last 4 to 6 digits of the Payment card primary account number (BT-87) shall be present"
    " if Payment card information (BG-18) is provided in the Invoice ({value}).",
    family=F,
    note="Severity: the CEN schematron has flagged BR-51 as a warning since 1.3; the exact"
    " test (4-6 characters) is from memory.",
    needs="card",
)
def br_51(ctx: Ctx) -> Hits:
    pi = ctx.inv.payment_instructions
    card = pi.payment_card if pi is not None else None
    if card is None:
        return
    number = card.primary_account_number or ""
    if not 4 <= len(number) <= 6:
        yield Hit(ctx.loc(card, "primary_account_number"), {"value": number})


@rule(
    "BR-52",
    E,
    "BT-122 BG-24",
    "Jeder rechnungsbegründende Beleg (BG-24) muss eine Kennung (BT-122) haben.",
    "Each Additional supporting document (BG-24) shall contain a Supporting document reference"
    " (BT-122).",
    family=F,
    needs="attachments",
)
def br_52(ctx: Ctx) -> Hits:
    for attachment in ctx.inv.attachments:
        if not filled(attachment.reference):
            yield Hit(ctx.loc(attachment, "reference"))


@rule(
    "BR-53",
    E,
    "BT-6 BT-111",
    "Wenn ein Code für die Umsatzsteuer-Buchungswährung (BT-6) angegeben ist, muss der"
    " Umsatzsteuer-Gesamtbetrag in Buchungswährung (BT-111) angegeben werden.",
    "If the VAT accounting currency code (BT-6) is present, then the Invoice total VAT amount"
    " in accounting currency (BT-111) shall be provided.",
    family=F,
    needs="tax_currency",
)
def br_53(ctx: Ctx) -> Hits:
    accounting = ctx.totals.vat_total_accounting_currency
    if filled(ctx.inv.vat_accounting_currency_code) and accounting is None:
        yield Hit(ctx.totals_loc("vat_total_accounting_currency"))


@rule(
    "BR-54",
    E,
    "BT-160 BT-161 BG-32",
    "Jede Artikeleigenschaft (BG-32) muss einen Namen (BT-160) und einen Wert (BT-161) haben.",
    "Each Item attribute (BG-32) shall contain an Item attribute name (BT-160) and an Item"
    " attribute value (BT-161).",
    family=F,
    needs="item_attributes",
)
def br_54(ctx: Ctx) -> Hits:
    for line in ctx.checked_lines:
        if line.item is None:
            continue
        for attribute in line.item.attributes:
            if not filled(attribute.name) or not filled(attribute.value):
                yield Hit(ctx.loc(attribute))


@rule(
    "BR-55",
    E,
    "BT-25 BG-3",
    "Jede Angabe zu einer vorausgegangenen Rechnung (BG-3) muss deren Nummer (BT-25) enthalten.",
    "Each Preceding Invoice reference (BG-3) shall contain a Preceding Invoice reference (BT-25).",
    family=F,
    needs="preceding",
)
def br_55(ctx: Ctx) -> Hits:
    for preceding in ctx.inv.preceding_invoices:
        if not filled(preceding.reference):
            yield Hit(ctx.loc(preceding, "reference"))


@rule(
    "BR-56",
    E,
    "BT-63 BG-11",
    "Jeder Steuervertreter des Verkäufers (BG-11) muss eine Umsatzsteuer-Identifikationsnummer"
    " (BT-63) haben.",
    "Each Seller tax representative party (BG-11) shall have a Seller tax representative VAT"
    " identifier (BT-63).",
    family=F,
    needs="tax_representative",
)
def br_56(ctx: Ctx) -> Hits:
    return _missing(ctx, ctx.inv.seller_tax_representative, "vat_id")


@rule(
    "BR-57",
    E,
    "BT-80 BG-15",
    "Jede Lieferanschrift (BG-15) muss einen Ländercode (BT-80) enthalten.",
    "Each Deliver to address (BG-15) shall contain a Deliver to country code (BT-80).",
    family=F,
    needs="delivery",
)
def br_57(ctx: Ctx) -> Hits:
    delivery = ctx.inv.delivery
    return _missing(ctx, delivery.address, "country_code") if delivery is not None else None


@rule(
    "BR-61",
    E,
    "BT-84 BT-81",
    "Bei Zahlung per Überweisung (BT-81 = {code}) muss die Kennung des Zahlungskontos (BT-84)"
    " angegeben werden.",
    "If the Payment means type code (BT-81) means SEPA credit transfer, Local credit transfer"
    " or Non-SEPA international credit transfer ({code}), the Payment account identifier"
    " (BT-84) shall be present.",
    family=F,
    needs="payment",
)
def br_61(ctx: Ctx) -> Hits:
    for position, code, has_account in ctx.payment_means:
        if code in SEPA_CREDIT_TRANSFER and not has_account:
            yield Hit(ctx.means_location(position), {"code": code})


@rule(
    "BR-62",
    E,
    "BT-34-1 BT-34",
    "Die elektronische Adresse des Verkäufers (BT-34) muss eine Schemakennung (BT-34-1) haben.",
    "The Seller electronic address (BT-34) shall have a Scheme identifier (BT-34-1).",
    family=F,
)
def br_62(ctx: Ctx) -> Hits:
    seller = ctx.inv.seller
    address = seller.electronic_address if seller is not None else None
    if address is not None and not filled(address.scheme_id):
        yield Hit(ctx.loc(seller, "electronic_address"))


@rule(
    "BR-63",
    E,
    "BT-49-1 BT-49",
    "Die elektronische Adresse des Erwerbers (BT-49) muss eine Schemakennung (BT-49-1) haben.",
    "The Buyer electronic address (BT-49) shall have a Scheme identifier (BT-49-1).",
    family=F,
)
def br_63(ctx: Ctx) -> Hits:
    buyer = ctx.inv.buyer
    address = buyer.electronic_address if buyer is not None else None
    if address is not None and not filled(address.scheme_id):
        yield Hit(ctx.loc(buyer, "electronic_address"))


@rule(
    "BR-64",
    E,
    "BT-157-1 BT-157",
    "Die Artikelkennung nach registriertem Schema (BT-157, Position {line}) muss eine"
    " Schemakennung (BT-157-1) haben.",
    "The Item standard identifier (BT-157, line {line}) shall have a Scheme identifier (BT-157-1).",
    family=F,
    needs="item_ids",
)
def br_64(ctx: Ctx) -> Hits:
    for line in ctx.checked_lines:
        item = line.item
        standard_id = item.standard_id if item is not None else None
        if standard_id is not None and not filled(standard_id.scheme_id):
            yield Hit(ctx.loc(item, "standard_id"), {"line": line.id})


@rule(
    "BR-65",
    E,
    "BT-158-1 BT-158",
    "Die Artikelklassifizierung (BT-158, Position {line}) muss eine Schemakennung (BT-158-1)"
    " haben.",
    "The Item classification identifier (BT-158, line {line}) shall have a Scheme identifier"
    " (BT-158-1).",
    family=F,
    needs="item_ids",
)
def br_65(ctx: Ctx) -> Hits:
    for line in ctx.checked_lines:
        item = line.item
        if item is None:
            continue
        for classification in item.classifications:
            if not filled(classification.list_id):
                yield Hit(ctx.loc(item, "classifications"), {"line": line.id})
