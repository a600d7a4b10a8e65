"""XRechnung 3.0 national rules BR-DE-* (and the extension's BR-DEX-*).

They apply to XRechnung documents only (BT-24 names the XRechnung CIUS or extension).
Severities as in the XRechnung schematron of the KoSIT validator configuration: the rules
phrased with "muss" are fatal (errors); BR-DE-17, -19, -20, -21, -26, -27 and -28 ("soll")
are warnings.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from ingest.einvoice.codelists import INVOICE_TYPE_CODES_XRECHNUNG
from ingest.einvoice.model import DirectDebit, InvoiceLine
from ingest.einvoice.validation.context import Ctx, dsum, filled
from ingest.einvoice.validation.registry import Family, Hit, Hits, Scope, Severity, rule

E = Severity.ERROR
W = Severity.WARNING
F = Family.XRECHNUNG
X = Scope.XRECHNUNG

XRECHNUNG_3_IDS = frozenset(
    {
        "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0",
        "urn:cen.eu:en16931:2017#conformant#urn:xeinkauf.de:kosit:extension:xrechnung_3.0",
        "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0#conformant"
        "#urn:xeinkauf.de:kosit:extension:xrechnung_3.0",
    }
)
CREDIT_TRANSFER_CODES = frozenset({"30", "58"})
CARD_CODES = frozenset({"48", "54", "55"})
DIRECT_DEBIT_CODES = frozenset({"59"})
SKONTO = re.compile(
    r"#SKONTO#TAGE=[0-9]+#PROZENT=[0-9]+\.[0-9]{2}(?:#BASISBETRAG=-?[0-9]+\.[0-9]{2})?#"
)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_IBAN = re.compile(r"[A-Z]{2}[0-9]{2}[A-Za-z0-9]{1,30}")
_EMAIL_SIDE = re.compile(r"[^@\s]{2,}")


def _required(ctx: Ctx, group: object | None, field: str) -> list[Hit] | None:
    if group is not None and not filled(getattr(group, field)):
        return [Hit(ctx.loc(group, field))]
    return None


@rule(
    "BR-DE-1",
    E,
    "BG-16",
    "Eine Rechnung muss Angaben zu ‚PAYMENT INSTRUCTIONS‘ (BG-16) enthalten.",
    "An invoice must contain information on 'PAYMENT INSTRUCTIONS' (BG-16).",
    family=F,
    scope=X,
)
def br_de_1(ctx: Ctx) -> Hits:
    if not ctx.payment_means:
        yield Hit(ctx.loc())


@rule(
    "BR-DE-2",
    E,
    "BG-6",
    "Die Gruppe ‚SELLER CONTACT‘ (BG-6) muss übermittelt werden.",
    "The group 'SELLER CONTACT' (BG-6) must be transmitted.",
    family=F,
    scope=X,
)
def br_de_2(ctx: Ctx) -> Hits:
    seller = ctx.inv.seller
    if seller is not None and seller.contact is None:
        yield Hit(ctx.loc(seller))


@rule(
    "BR-DE-3",
    E,
    "BT-37",
    "Das Element ‚Seller city‘ (BT-37) muss übermittelt werden.",
    "The element 'Seller city' (BT-37) must be transmitted.",
    family=F,
    scope=X,
)
def br_de_3(ctx: Ctx) -> Hits:
    seller = ctx.inv.seller
    return _required(ctx, seller.address if seller else None, "city")


@rule(
    "BR-DE-4",
    E,
    "BT-38",
    "Das Element ‚Seller post code‘ (BT-38) muss übermittelt werden.",
    "The element 'Seller post code' (BT-38) must be transmitted.",
    family=F,
    scope=X,
)
def br_de_4(ctx: Ctx) -> Hits:
    seller = ctx.inv.seller
    return _required(ctx, seller.address if seller else None, "post_code")


@rule(
    "BR-DE-5",
    E,
    "BT-41",
    "Das Element ‚Seller contact point‘ (BT-41) muss übermittelt werden.",
    "The element 'Seller contact point' (BT-41) must be transmitted.",
    family=F,
    scope=X,
)
def br_de_5(ctx: Ctx) -> Hits:
    seller = ctx.inv.seller
    return _required(ctx, seller.contact if seller else None, "name")


@rule(
    "BR-DE-6",
    E,
    "BT-42",
    "Das Element ‚Seller contact telephone number‘ (BT-42) muss übermittelt werden.",
    "The element 'Seller contact telephone number' (BT-42) must be transmitted.",
    family=F,
    scope=X,
)
def br_de_6(ctx: Ctx) -> Hits:
    seller = ctx.inv.seller
    return _required(ctx, seller.contact if seller else None, "telephone")


@rule(
    "BR-DE-7",
    E,
    "BT-43",
    "Das Element ‚Seller contact email address‘ (BT-43) muss übermittelt werden.",
    "The element 'Seller contact email address' (BT-43) must be transmitted.",
    family=F,
    scope=X,
)
def br_de_7(ctx: Ctx) -> Hits:
    seller = ctx.inv.seller
    return _required(ctx, seller.contact if seller else None, "email")


@rule(
    "BR-DE-8",
    E,
    "BT-52",
    "Das Element ‚Buyer city‘ (BT-52) muss übermittelt werden.",
    "The element 'Buyer city' (BT-52) must be transmitted.",
    family=F,
    scope=X,
)
def br_de_8(ctx: Ctx) -> Hits:
    buyer = ctx.inv.buyer
    return _required(ctx, buyer.address if buyer else None, "city")


@rule(
    "BR-DE-9",
    E,
    "BT-53",
    "Das Element ‚Buyer post code‘ (BT-53) muss übermittelt werden.",
    "The element 'Buyer post code' (BT-53) must be transmitted.",
    family=F,
    scope=X,
)
def br_de_9(ctx: Ctx) -> Hits:
    buyer = ctx.inv.buyer
    return _required(ctx, buyer.address if buyer else None, "post_code")


@rule(
    "BR-DE-10",
    E,
    "BT-77 BG-15",
    "Das Element ‚Deliver to city‘ (BT-77) muss übermittelt werden, wenn die Gruppe ‚DELIVER TO"
    " ADDRESS‘ (BG-15) übermittelt wird.",
    "The element 'Deliver to city' (BT-77) must be transmitted if the group 'DELIVER TO"
    " ADDRESS' (BG-15) is delivered.",
    family=F,
    scope=X,
    needs="delivery",
)
def br_de_10(ctx: Ctx) -> Hits:
    delivery = ctx.inv.delivery
    return _required(ctx, delivery.address if delivery else None, "city")


@rule(
    "BR-DE-11",
    E,
    "BT-78 BG-15",
    "Das Element ‚Deliver to post code‘ (BT-78) muss übermittelt werden, wenn die Gruppe"
    " ‚DELIVER TO ADDRESS‘ (BG-15) übermittelt wird.",
    "The element 'Deliver to post code' (BT-78) must be transmitted if the group 'DELIVER TO"
    " ADDRESS' (BG-15) is delivered.",
    family=F,
    scope=X,
    needs="delivery",
)
def br_de_11(ctx: Ctx) -> Hits:
    delivery = ctx.inv.delivery
    return _required(ctx, delivery.address if delivery else None, "post_code")


@rule(
    "BR-DE-14",
    E,
    "BT-119",
    "Das Element ‚VAT category rate‘ (BT-119) muss übermittelt werden (Kategorie {category}).",
    "The element 'VAT category rate' (BT-119) must be transmitted (category {category}).",
    family=F,
    scope=X,
)
def br_de_14(ctx: Ctx) -> Hits:
    for vat in ctx.inv.vat_breakdown:
        if vat.rate is None and "BT-119" not in ctx.unreadable:
            yield Hit(ctx.loc(vat, "rate"), {"category": vat.category_code or "?"})


@rule(
    "BR-DE-15",
    E,
    "BT-10",
    "Das Element ‚Buyer reference‘ (BT-10, Leitweg-ID) muss übermittelt werden.",
    "The element 'Buyer reference' (BT-10, Leitweg-ID) must be transmitted.",
    family=F,
    scope=X,
)
def br_de_15(ctx: Ctx) -> Hits:
    return _required(ctx, ctx.inv, "buyer_reference")


_DE16_CATEGORIES = frozenset({"S", "Z", "E", "AE", "K", "G", "L", "M"})


@rule(
    "BR-DE-16",
    E,
    "BT-31 BT-32 BG-11",
    "In der Rechnung muss mindestens eines der Elemente ‚Seller VAT identifier‘ (BT-31),"
    " ‚Seller tax registration identifier‘ (BT-32) oder ‚SELLER TAX REPRESENTATIVE PARTY‘"
    " (BG-11) übermittelt werden, wenn die Umsatzsteuer-Kategorie {categories} verwendet wird.",
    "At least one of the elements 'Seller VAT identifier' (BT-31), 'Seller tax registration"
    " identifier' (BT-32) or 'SELLER TAX REPRESENTATIVE PARTY' (BG-11) must be transmitted if"
    " the VAT category {categories} is used.",
    family=F,
    scope=X,
)
def br_de_16(ctx: Ctx) -> Hits:
    used = ctx.all_categories & _DE16_CATEGORIES
    if not used:
        return
    if ctx.seller_vat_id or ctx.seller_tax_registration:
        return
    if ctx.inv.seller_tax_representative is not None:
        return
    yield Hit(ctx.loc(ctx.inv.seller), {"categories": ", ".join(sorted(used))})


@rule(
    "BR-DE-17",
    W,
    "BT-3",
    "Mit dem Element ‚Invoice type code‘ (BT-3) sollen ausschließlich die Codes 326, 380, 384,"
    " 389, 381, 875, 876 und 877 übermittelt werden (angegeben: {value}).",
    "The element 'Invoice type code' (BT-3) should only contain the codes 326, 380, 384, 389,"
    " 381, 875, 876 and 877 (given: {value}).",
    family=F,
    scope=X,
)
def br_de_17(ctx: Ctx) -> Hits:
    value = ctx.inv.type_code
    if value and value not in INVOICE_TYPE_CODES_XRECHNUNG:
        yield Hit(ctx.loc(ctx.inv, "type_code"), {"value": value})


@rule(
    "BR-DE-18",
    E,
    "BT-20",
    "Die Skonto-Angabe ‚{value}‘ in den Zahlungsbedingungen (BT-20) muss dem Format"
    " #SKONTO#TAGE=n#PROZENT=n.nn#(BASISBETRAG=n.nn#) entsprechen.",
    "The cash discount information '{value}' in the payment terms (BT-20) must have the format"
    " #SKONTO#TAGE=n#PROZENT=n.nn#(BASISBETRAG=n.nn#).",
    family=F,
    scope=X,
    note="Only lines starting with #SKONTO# are checked (trailing blanks ignored); the"
    " schematron also demands a final line break, which the parsed text no longer shows.",
)
def br_de_18(ctx: Ctx) -> Hits:
    terms = ctx.inv.payment_terms
    if not terms or "#SKONTO#" not in terms:
        return
    for line in _LINE_BREAK.split(terms):
        if line.startswith("#SKONTO#") and not SKONTO.fullmatch(line.rstrip()):
            yield Hit(ctx.loc(ctx.inv, "payment_terms"), {"value": line})


#: A=10 .. Z=35, for the mod 97 checks of IBAN and Leitweg-ID
LETTER_DIGITS = str.maketrans({chr(ord("A") + i): str(10 + i) for i in range(26)})


@functools.lru_cache(maxsize=4096)  # pure; suppliers send many invoices to the same account
def iban_valid(value: str) -> bool:
    """ISO 13616: two letters, two check digits, up to 30 alphanumerics; mod 97 = 1."""
    compact = "".join(value.split())
    if not _IBAN.fullmatch(compact):
        return False
    rearranged = (compact[4:] + compact[:4]).upper()
    return int(rearranged.translate(LETTER_DIGITS)) % 97 == 1


@rule(
    "BR-DE-19",
    W,
    "BT-84",
    "‚Payment account identifier‘ (BT-84) soll eine korrekte IBAN enthalten, wenn in ‚Payment"
    " means type code‘ (BT-81) mit dem Code 58 SEPA als Zahlungsmittel gefordert wird"
    " (angegeben: {value}).",
    "'Payment account identifier' (BT-84) should contain a valid IBAN if code 58 SEPA is"
    " provided in 'Payment means type code' (BT-81) (given: {value}).",
    family=F,
    scope=X,
    needs="payment",
)
def br_de_19(ctx: Ctx) -> Hits:
    pi = ctx.inv.payment_instructions
    if pi is None or "58" not in pi.means_codes:
        return
    for transfer in pi.credit_transfers:
        if transfer.account_id and not iban_valid(transfer.account_id):
            yield Hit(ctx.loc(transfer, "account_id"), {"value": transfer.account_id})


@rule(
    "BR-DE-20",
    W,
    "BT-91",
    "‚Debited account identifier‘ (BT-91) soll eine korrekte IBAN enthalten, wenn in ‚Payment"
    " means type code‘ (BT-81) mit dem Code 59 SEPA als Zahlungsmittel gefordert wird"
    " (angegeben: {value}).",
    "'Debited account identifier' (BT-91) should contain a valid IBAN if code 59 SEPA is"
    " provided in 'Payment means type code' (BT-81) (given: {value}).",
    family=F,
    scope=X,
    needs="direct_debit",
)
def br_de_20(ctx: Ctx) -> Hits:
    pi = ctx.inv.payment_instructions
    if pi is None or "59" not in pi.means_codes or pi.direct_debit is None:
        return
    account = pi.direct_debit.debited_account_id
    if account and not iban_valid(account):
        yield Hit(ctx.loc(pi.direct_debit, "debited_account_id"), {"value": account})


@rule(
    "BR-DE-21",
    W,
    "BT-24",
    "Das Element ‚Specification identifier‘ (BT-24) soll syntaktisch der Kennung des"
    " Standards XRechnung 3.0 entsprechen (angegeben: {value}).",
    "The element 'Specification identifier' (BT-24) should syntactically correspond to the"
    " identifier of the XRechnung 3.0 standard (given: {value}).",
    family=F,
    scope=X,
)
def br_de_21(ctx: Ctx) -> Hits:
    spec = ctx.inv.specification_identifier
    if spec not in XRECHNUNG_3_IDS:
        yield Hit(ctx.loc(ctx.inv, "specification_identifier"), {"value": spec or "-"})


@rule(
    "BR-DE-22",
    E,
    "BT-125-2",
    "Die Dateinamen der angehängten Dokumente (BT-125-2) müssen eindeutig sein (‚{value}‘"
    " kommt mehrfach vor).",
    "The filenames of attached documents (BT-125-2) must be unique ('{value}' occurs more than"
    " once).",
    family=F,
    scope=X,
    needs="attachments",
)
def br_de_22(ctx: Ctx) -> Hits:
    seen: set[str] = set()
    for attachment in ctx.inv.attachments:
        name = attachment.filename
        if name is None:
            continue
        if name in seen:
            yield Hit(ctx.loc(attachment, "filename"), {"value": name})
        seen.add(name)


# --- BR-DE-23..25: payment means and the groups they need -----------------------------------


def _groups(ctx: Ctx) -> tuple[bool, bool, bool, bool]:
    """(credit transfer BG-17, payment card BG-18, direct debit BG-19 with mandate or debited
    account, direct debit BG-19 in any form including a creditor id only)."""
    pi = ctx.inv.payment_instructions
    if pi is None:
        return False, False, False, False
    dd = pi.direct_debit
    strong = dd is not None and (
        dd.mandate_reference is not None or dd.debited_account_id is not None
    )
    return bool(pi.credit_transfers), pi.payment_card is not None, strong, dd is not None


def _codes_in(ctx: Ctx, codes: frozenset[str]) -> tuple[bool, bool]:
    """(any code of the invoice in ``codes``, every code in ``codes``)."""
    used = [code for code in ctx.means_codes if code]
    hits = [code in codes for code in used]
    return any(hits), bool(hits) and all(hits)


def _means_loc(ctx: Ctx) -> str:
    pi = ctx.inv.payment_instructions
    return ctx.loc(pi, "means_code") if pi is not None else ctx.loc()


@rule(
    "BR-DE-23-a",
    E,
    "BT-81 BG-17",
    "Wenn BT-81 ‚Payment means type code‘ einen Schlüssel für Überweisungen enthält (30, 58),"
    " muss BG-17 ‚CREDIT TRANSFER‘ übermittelt werden.",
    "If BT-81 'Payment means type code' contains a code for credit transfer (30, 58), BG-17"
    " 'CREDIT TRANSFER' must be provided.",
    family=F,
    scope=X,
    needs="payment",
)
def br_de_23_a(ctx: Ctx) -> Hits:
    any_code, _ = _codes_in(ctx, CREDIT_TRANSFER_CODES)
    if any_code and not _groups(ctx)[0]:
        yield Hit(_means_loc(ctx))


@rule(
    "BR-DE-23-b",
    E,
    "BT-81 BG-18 BG-19",
    "Wenn BT-81 ‚Payment means type code‘ einen Schlüssel für Überweisungen enthält (30, 58),"
    " dürfen BG-18 und BG-19 nicht übermittelt werden.",
    "If BT-81 'Payment means type code' contains a code for credit transfer (30, 58), BG-18"
    " and BG-19 must not be provided.",
    family=F,
    scope=X,
    needs="payment",
)
def br_de_23_b(ctx: Ctx) -> Hits:
    _, all_codes = _codes_in(ctx, CREDIT_TRANSFER_CODES)
    if all_codes:
        _, card, debit, _ = _groups(ctx)
        if card or debit:
            yield Hit(_means_loc(ctx))


@rule(
    "BR-DE-24-a",
    E,
    "BT-81 BG-18",
    "Wenn BT-81 ‚Payment means type code‘ einen Schlüssel für Kartenzahlungen enthält (48, 54,"
    " 55), muss BG-18 ‚PAYMENT CARD INFORMATION‘ übermittelt werden.",
    "If BT-81 'Payment means type code' contains a code for payment card (48, 54, 55), BG-18"
    " 'PAYMENT CARD INFORMATION' must be provided.",
    family=F,
    scope=X,
    needs="payment",
)
def br_de_24_a(ctx: Ctx) -> Hits:
    any_code, _ = _codes_in(ctx, CARD_CODES)
    if any_code and not _groups(ctx)[1]:
        yield Hit(_means_loc(ctx))


@rule(
    "BR-DE-24-b",
    E,
    "BT-81 BG-17 BG-19",
    "Wenn BT-81 ‚Payment means type code‘ einen Schlüssel für Kartenzahlungen enthält (48, 54,"
    " 55), dürfen BG-17 und BG-19 nicht übermittelt werden.",
    "If BT-81 'Payment means type code' contains a code for payment card (48, 54, 55), BG-17"
    " and BG-19 must not be provided.",
    family=F,
    scope=X,
    needs="payment",
)
def br_de_24_b(ctx: Ctx) -> Hits:
    _, all_codes = _codes_in(ctx, CARD_CODES)
    if all_codes:
        transfer, _, debit, _ = _groups(ctx)
        if transfer or debit:
            yield Hit(_means_loc(ctx))


@rule(
    "BR-DE-25-a",
    E,
    "BT-81 BG-19",
    "Wenn BT-81 ‚Payment means type code‘ einen Schlüssel für Lastschriften enthält (59), muss"
    " BG-19 ‚DIRECT DEBIT‘ übermittelt werden.",
    "If BT-81 'Payment means type code' contains a code for direct debit (59), BG-19 'DIRECT"
    " DEBIT' must be provided.",
    family=F,
    scope=X,
    needs="payment",
)
def br_de_25_a(ctx: Ctx) -> Hits:
    any_code, _ = _codes_in(ctx, DIRECT_DEBIT_CODES)
    if any_code and not _groups(ctx)[3]:
        yield Hit(_means_loc(ctx))


@rule(
    "BR-DE-25-b",
    E,
    "BT-81 BG-17 BG-18",
    "Wenn BT-81 ‚Payment means type code‘ einen Schlüssel für Lastschriften enthält (59),"
    " dürfen BG-17 und BG-18 nicht übermittelt werden.",
    "If BT-81 'Payment means type code' contains a code for direct debit (59), BG-17 and"
    " BG-18 must not be provided.",
    family=F,
    scope=X,
    needs="payment",
)
def br_de_25_b(ctx: Ctx) -> Hits:
    _, all_codes = _codes_in(ctx, DIRECT_DEBIT_CODES)
    if all_codes:
        transfer, card, _, _ = _groups(ctx)
        if transfer or card:
            yield Hit(_means_loc(ctx))


@rule(
    "BR-DE-26",
    W,
    "BT-3 BG-3",
    "Wenn im Element ‚Invoice type code‘ (BT-3) der Code 384 (Corrected invoice) übermittelt"
    " wird, soll PRECEDING INVOICE REFERENCE (BG-3) mindestens einmal vorhanden sein.",
    "If 'Invoice type code' (BT-3) contains the code 384 (Corrected invoice), PRECEDING INVOICE"
    " REFERENCE (BG-3) should be provided at least once.",
    family=F,
    scope=X,
)
def br_de_26(ctx: Ctx) -> Hits:
    if ctx.inv.type_code == "384" and not ctx.inv.preceding_invoices:
        yield Hit(ctx.loc(ctx.inv, "type_code"))


@rule(
    "BR-DE-27",
    W,
    "BT-42",
    "Das Element ‚Seller contact telephone number‘ (BT-42) soll mindestens drei Ziffern"
    " enthalten (angegeben: {value}).",
    "The element 'Seller contact telephone number' (BT-42) should contain at least three digits"
    " (given: {value}).",
    family=F,
    scope=X,
)
def br_de_27(ctx: Ctx) -> Hits:
    seller = ctx.inv.seller
    contact = seller.contact if seller else None
    phone = contact.telephone if contact else None
    if phone is not None and sum(ch.isdigit() for ch in phone) < 3:
        yield Hit(ctx.loc(contact, "telephone"), {"value": phone})


@functools.lru_cache(maxsize=4096)
def email_plausible(value: str) -> bool:
    """BR-DE-28: exactly one @, no blanks, at least two characters on each side, which do not
    begin or end with a dot."""
    if value.count("@") != 1:
        return False
    local, _, domain = value.partition("@")
    for part in (local, domain):
        if not _EMAIL_SIDE.fullmatch(part) or part.startswith(".") or part.endswith("."):
            return False
    return True


@rule(
    "BR-DE-28",
    W,
    "BT-43",
    "Das Element ‚Seller contact email address‘ (BT-43) soll genau ein @-Zeichen enthalten,"
    " das nicht von einem Leerzeichen oder Punkt, aber von mindestens zwei Zeichen auf beiden"
    " Seiten flankiert wird (angegeben: {value}).",
    "The element 'Seller contact email address' (BT-43) should contain exactly one @, not"
    " flanked by a blank or a dot but by at least two characters on each side (given:"
    " {value}).",
    family=F,
    scope=X,
)
def br_de_28(ctx: Ctx) -> Hits:
    seller = ctx.inv.seller
    contact = seller.contact if seller else None
    email = contact.email if contact else None
    if email is not None and not email_plausible(email.strip()):
        yield Hit(ctx.loc(contact, "email"), {"value": email})


def _direct_debit(ctx: Ctx) -> DirectDebit | None:
    pi = ctx.inv.payment_instructions
    dd = pi.direct_debit if pi is not None else None
    if dd is None or (dd.mandate_reference is None and dd.debited_account_id is None):
        return None
    return dd


@rule(
    "BR-DE-30",
    E,
    "BT-90 BG-19",
    "Wenn die Gruppe ‚DIRECT DEBIT‘ (BG-19) übermittelt wird, muss ‚Bank assigned creditor"
    " identifier‘ (BT-90) übermittelt werden.",
    "If the group 'DIRECT DEBIT' (BG-19) is delivered, the element 'Bank assigned creditor"
    " identifier' (BT-90) must be provided.",
    family=F,
    scope=X,
    needs="direct_debit",
)
def br_de_30(ctx: Ctx) -> Hits:
    dd = _direct_debit(ctx)
    if dd is not None and not filled(dd.creditor_id):
        yield Hit(ctx.loc(dd, "creditor_id"))


@rule(
    "BR-DE-31",
    E,
    "BT-91 BG-19",
    "Wenn die Gruppe ‚DIRECT DEBIT‘ (BG-19) übermittelt wird, muss ‚Debited account"
    " identifier‘ (BT-91) übermittelt werden.",
    "If the group 'DIRECT DEBIT' (BG-19) is delivered, the element 'Debited account"
    " identifier' (BT-91) must be provided.",
    family=F,
    scope=X,
    needs="direct_debit",
)
def br_de_31(ctx: Ctx) -> Hits:
    dd = _direct_debit(ctx)
    if dd is not None and not filled(dd.debited_account_id):
        yield Hit(ctx.loc(dd, "debited_account_id"))


# --- extension ------------------------------------------------------------------------------


def _parents(lines: list[InvoiceLine] | tuple[InvoiceLine, ...]) -> Iterator[InvoiceLine]:
    for line in lines:
        if line.sub_lines:
            yield line
            yield from _parents(line.sub_lines)


@rule(
    "BR-DEX-02",
    E,
    "BT-131 BG-DEX-01",
    "Der Nettobetrag der Rechnungsposition {line} (BT-131: {actual}) muss der Summe der"
    " Nettobeträge ihrer direkten Unterpositionen (BG-DEX-01: {expected}) entsprechen.",
    "The Invoice line net amount (BT-131: {actual}) of line {line} must equal the sum of the"
    " net amounts of its direct sub invoice lines (BG-DEX-01: {expected}).",
    family=Family.EXTENSION,
    scope=Scope.XRECHNUNG_EXTENSION,
    note="From memory of the XRechnung extension schematron; checked against the extension"
    " instances of the test suite.",
    needs="sub_lines",
)
def br_dex_02(ctx: Ctx) -> Hits:
    for line in _parents(ctx.inv.lines):
        if line.net_amount is None:
            continue
        expected = dsum([sub.net_amount for sub in line.sub_lines])
        if line.net_amount != expected:
            yield Hit(
                ctx.loc(line, "net_amount"),
                {
                    "line": line.id,
                    "actual": line.net_amount.text,
                    "expected": format(expected, "f"),
                },
            )
