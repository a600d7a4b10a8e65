"""EN 16931-1 code list rules BR-CL-*.

The lists live in :mod:`ingest.einvoice.codelists`; where the UBL and CII artefacts of the
CEN schematron differ, each syntax is checked against its own artefact's list, as the official
validator does. Codes are compared as written (the schematron's ``normalize-space``), VATEX
codes upper-cased.
"""

from __future__ import annotations

from collections.abc import Iterator

from ingest.einvoice import cii
from ingest.einvoice import codelists as cl
from ingest.einvoice.model import Identifier
from ingest.einvoice.validation.context import Ctx
from ingest.einvoice.validation.registry import Family, Hit, Hits, Severity, rule

E = Severity.ERROR
F = Family.CODELISTS

_CII_GLOBAL_ID = f"{{{cii.RAM_NS}}}GlobalID"
_CII_PRODUCT = f"{{{cii.RAM_NS}}}SpecifiedTradeProduct"
_CII_SHIP_TO = f"{{{cii.RAM_NS}}}ShipToTradeParty"


def _norm(value: str | None) -> str:
    return " ".join(value.split()) if value else ""


def _bad(value: str | None, codes: frozenset[str]) -> bool:
    """Present and not in the list (absent values are other rules' business)."""
    return value is not None and value not in codes and _norm(value) not in codes


def _currencies(ctx: Ctx) -> frozenset[str]:
    return cl.ISO4217_CURRENCIES_UBL_ARTEFACT if ctx.ubl else cl.ISO4217_CURRENCIES


def _countries(ctx: Ctx) -> frozenset[str]:
    return cl.ISO3166_COUNTRIES_UBL_ARTEFACT if ctx.ubl else cl.ISO3166_COUNTRIES


#: identifier schemes of the XRechnung extension (e.g. XR01, XR03 in the DiGA test case)
EXTENSION_SCHEMES = frozenset(f"XR{n:02d}" for n in range(1, 100))


def _icd(ctx: Ctx) -> frozenset[str]:
    codes = cl.ICD_SCHEMES_UBL_ARTEFACT if ctx.ubl else cl.ICD_SCHEMES
    return codes | EXTENSION_SCHEMES if ctx.extension else codes


@rule(
    "BR-CL-01",
    E,
    "BT-3",
    "Der Rechnungstyp-Code (BT-3) ‚{value}‘ ist kein zulässiger Code aus UNTDID 1001.",
    "The document type code (BT-3) '{value}' MUST be coded by the invoice and credit note"
    " related code lists of UNTDID 1001.",
    family=F,
)
def br_cl_01(ctx: Ctx) -> Hits:
    if ctx.ubl_credit_note:
        codes = cl.INVOICE_TYPE_CODES_UBL_CREDIT_NOTE
    elif ctx.ubl:
        codes = cl.INVOICE_TYPE_CODES_UBL_INVOICE
    else:
        codes = cl.INVOICE_TYPE_CODES_CII
    value = ctx.inv.type_code
    if value and _bad(value, codes):
        yield Hit(ctx.loc(ctx.inv, "type_code"), {"value": value})


@rule(
    "BR-CL-03",
    E,
    "BT-5",
    "Das Attribut currencyID ‚{value}‘ ist kein Währungscode nach ISO 4217.",
    "currencyID '{value}' MUST be coded using ISO code list 4217 alpha-3.",
    family=F,
)
def br_cl_03(ctx: Ctx) -> Hits:
    codes = _currencies(ctx)
    values = {amount.currency for amount in ctx.amounts()}
    values.discard(None)
    bad = sorted(value for value in values if _bad(value, codes))
    return [Hit(ctx.loc(), {"value": value}) for value in bad] or None


@rule(
    "BR-CL-04",
    E,
    "BT-5",
    "Der Code der Rechnungswährung (BT-5) ‚{value}‘ ist kein Währungscode nach ISO 4217.",
    "Invoice currency code (BT-5) '{value}' MUST be coded using ISO code list 4217 alpha-3.",
    family=F,
)
def br_cl_04(ctx: Ctx) -> Hits:
    value = ctx.inv.currency_code
    if value and _bad(value, _currencies(ctx)):
        yield Hit(ctx.loc(ctx.inv, "currency_code"), {"value": value})


@rule(
    "BR-CL-05",
    E,
    "BT-6",
    "Der Code der Umsatzsteuer-Buchungswährung (BT-6) ‚{value}‘ ist kein Währungscode nach"
    " ISO 4217.",
    "Tax currency code (BT-6) '{value}' MUST be coded using ISO code list 4217 alpha-3.",
    family=F,
)
def br_cl_05(ctx: Ctx) -> Hits:
    value = ctx.inv.vat_accounting_currency_code
    if value and _bad(value, _currencies(ctx)):
        yield Hit(ctx.loc(ctx.inv, "vat_accounting_currency_code"), {"value": value})


@rule(
    "BR-CL-06",
    E,
    "BT-8",
    "Der Code für das Datum der Steuerfälligkeit (BT-8) ‚{value}‘ ist nicht zulässig.",
    "Value added tax point date code (BT-8) '{value}' MUST be coded using a restriction of"
    " UNTDID 2005.",
    family=F,
    needs="tax_point",
)
def br_cl_06(ctx: Ctx) -> Hits:
    value = ctx.inv.tax_point_date_code
    codes = cl.VAT_POINT_DATE_CODES_UBL if ctx.ubl else cl.VAT_POINT_DATE_CODES_CII
    if value and _bad(value, codes):
        yield Hit(ctx.loc(ctx.inv, "tax_point_date_code"), {"value": value})


@rule(
    "BR-CL-07",
    E,
    "BT-18-1 BT-128-1",
    "Die Schemakennung der Objektkennung ‚{value}‘ ist kein Code aus UNTDID 1153.",
    "Object identifier identification scheme '{value}' MUST be coded using a restriction of"
    " UNTDID 1153.",
    family=F,
    needs="object_ids",
)
def br_cl_07(ctx: Ctx) -> Hits:
    codes = cl.OBJECT_IDENTIFIER_SCHEMES
    ident = ctx.inv.invoiced_object_identifier
    if ident is not None and ident.scheme_id and _bad(ident.scheme_id, codes):
        yield Hit(ctx.loc(ctx.inv, "invoiced_object_identifier"), {"value": ident.scheme_id})
    for line in ctx.all_lines:
        ident = line.object_identifier
        if ident is not None and ident.scheme_id and _bad(ident.scheme_id, codes):
            yield Hit(ctx.loc(line, "object_identifier"), {"value": ident.scheme_id})


@rule(
    "BR-CL-08",
    E,
    "BT-21",
    "Der Betreff-Code der Bemerkung (BT-21) ‚{value}‘ ist kein Code aus UNTDID 4451.",
    "Invoiced note subject code (BT-21) '{value}' MUST be coded using UNCL4451.",
    family=F,
    syntax="cii",
    needs="notes",
)
def br_cl_08(ctx: Ctx) -> Hits:
    for note in ctx.inv.notes:
        if note.subject_code and _bad(note.subject_code, cl.NOTE_SUBJECT_CODES):
            yield Hit(ctx.loc(note, "subject_code"), {"value": note.subject_code})


def _party_ids(ctx: Ctx) -> Iterator[tuple[object, str, Identifier]]:
    inv = ctx.inv
    if inv.seller is not None:
        for ident in inv.seller.identifiers:
            yield inv.seller, "identifiers", ident
    if inv.buyer is not None and inv.buyer.identifier is not None:
        yield inv.buyer, "identifier", inv.buyer.identifier
    if inv.payee is not None and inv.payee.identifier is not None:
        yield inv.payee, "identifier", inv.payee.identifier


@rule(
    "BR-CL-10",
    E,
    "BT-29-1 BT-46-1 BT-60-1",
    "Die Schemakennung ‚{value}‘ einer Kennung ist kein Code aus ISO 6523 ICD.",
    "Any identifier identification scheme identifier '{value}' MUST be coded using one of the"
    " ISO 6523 ICD list.",
    family=F,
)
def br_cl_10(ctx: Ctx) -> Hits:
    codes = _icd(ctx)
    if ctx.ubl:
        for group, field, ident in _party_ids(ctx):
            if ident.scheme_id is not None and _bad(ident.scheme_id, codes):
                yield Hit(ctx.loc(group, field), {"value": ident.scheme_id})
        return
    if ctx.root is None:
        return
    # CII: every ram:GlobalID with a schemeID (products: BR-CL-21, ship-to: BR-CL-26)
    for element in ctx.root.iter(_CII_GLOBAL_ID):
        scheme = element.get("schemeID")
        parent = element.getparent()
        if parent is not None and parent.tag in (_CII_PRODUCT, _CII_SHIP_TO):
            continue
        if scheme is not None and _bad(scheme, codes):
            yield Hit(ctx.root.getroottree().getpath(element), {"value": scheme})


@rule(
    "BR-CL-11",
    E,
    "BT-30-1 BT-47-1 BT-61-1",
    "Die Schemakennung ‚{value}‘ der Kennung der rechtlichen Registrierung ist kein Code aus"
    " ISO 6523 ICD.",
    "Any registration identifier identification scheme identifier '{value}' MUST be coded"
    " using one of the ISO 6523 ICD list.",
    family=F,
)
def br_cl_11(ctx: Ctx) -> Hits:
    codes = _icd(ctx)
    inv = ctx.inv
    for party in (inv.seller, inv.buyer, inv.payee):
        if party is None or party.legal_registration_id is None:
            continue
        scheme = party.legal_registration_id.scheme_id
        if scheme is not None and _bad(scheme, codes):
            yield Hit(ctx.loc(party, "legal_registration_id"), {"value": scheme})


@rule(
    "BR-CL-13",
    E,
    "BT-158-1",
    "Die Schemakennung der Artikelklassifizierung (BT-158-1) ‚{value}‘ ist kein Code aus"
    " UNTDID 7143.",
    "Item classification identifier identification scheme identifier (BT-158-1) '{value}' MUST"
    " be coded using one of the UNTDID 7143 list.",
    family=F,
    needs="item_ids",
)
def br_cl_13(ctx: Ctx) -> Hits:
    for line in ctx.all_lines:
        if line.item is None:
            continue
        for classification in line.item.classifications:
            scheme = classification.list_id
            if scheme is not None and _bad(scheme, cl.ITEM_CLASSIFICATION_SCHEMES):
                yield Hit(ctx.loc(line.item, "classifications"), {"value": scheme})


@rule(
    "BR-CL-14",
    E,
    "BT-40 BT-55 BT-69 BT-80",
    "Der Ländercode ‚{value}‘ ist kein Code aus ISO 3166-1 alpha-2.",
    "Country codes in an invoice MUST be coded using ISO code list 3166-1 ('{value}').",
    family=F,
)
def br_cl_14(ctx: Ctx) -> Hits:
    inv = ctx.inv
    codes = _countries(ctx)
    addresses = [
        inv.seller.address if inv.seller else None,
        inv.buyer.address if inv.buyer else None,
        inv.seller_tax_representative.address if inv.seller_tax_representative else None,
        inv.delivery.address if inv.delivery else None,
    ]
    for address in addresses:
        if address is not None and address.country_code and _bad(address.country_code, codes):
            yield Hit(ctx.loc(address, "country_code"), {"value": address.country_code})


@rule(
    "BR-CL-15",
    E,
    "BT-159",
    "Der Code des Ursprungslands (BT-159) ‚{value}‘ ist kein Code aus ISO 3166-1 alpha-2.",
    "Country codes in an invoice MUST be coded using ISO code list 3166-1 (BT-159: '{value}').",
    family=F,
    needs="item_ids",
)
def br_cl_15(ctx: Ctx) -> Hits:
    codes = _countries(ctx)
    for line in ctx.all_lines:
        item = line.item
        if item is not None and item.origin_country and _bad(item.origin_country, codes):
            yield Hit(ctx.loc(item, "origin_country"), {"value": item.origin_country})


@rule(
    "BR-CL-16",
    E,
    "BT-81",
    "Der Code für das Zahlungsmittel (BT-81) ‚{value}‘ ist kein Code aus UNTDID 4461.",
    "Payment means in an invoice MUST be coded using UNCL4461 code list (BT-81: '{value}').",
    family=F,
    needs="payment",
)
def br_cl_16(ctx: Ctx) -> Hits:
    for position, code, _ in ctx.payment_means:
        if code and _bad(code, cl.PAYMENT_MEANS_CODES):
            yield Hit(ctx.means_location(position), {"value": code})


@rule(
    "BR-CL-17",
    E,
    "BT-95 BT-102 BT-118",
    "Der Umsatzsteuer-Kategoriecode ‚{value}‘ ist kein zulässiger Code aus UNTDID 5305.",
    "Invoice tax categories MUST be coded using UNCL5305 code list ('{value}').",
    family=F,
)
def br_cl_17(ctx: Ctx) -> Hits:
    codes = cl.VAT_CATEGORY_CODES
    for vat in ctx.inv.vat_breakdown:
        if vat.category_code and _bad(vat.category_code, codes):
            yield Hit(ctx.loc(vat, "category_code"), {"value": vat.category_code})
    for ac in ctx.document_allowances_charges():
        if ac.vat_category_code and _bad(ac.vat_category_code, codes):
            yield Hit(ctx.loc(ac, "vat_category_code"), {"value": ac.vat_category_code})


@rule(
    "BR-CL-18",
    E,
    "BT-151",
    "Der Umsatzsteuer-Kategoriecode des Artikels (BT-151) ‚{value}‘ ist kein zulässiger Code"
    " aus UNTDID 5305.",
    "Invoice tax categories MUST be coded using UNCL5305 code list (BT-151: '{value}').",
    family=F,
)
def br_cl_18(ctx: Ctx) -> Hits:
    for line in ctx.all_lines:
        vat = line.vat
        if vat is not None and vat.category_code and _bad(vat.category_code, cl.VAT_CATEGORY_CODES):
            yield Hit(ctx.loc(vat, "category_code"), {"value": vat.category_code})


def _reason_codes(ctx: Ctx, charges: bool) -> Iterator[Hit]:
    codes = cl.CHARGE_REASON_CODES if charges else cl.ALLOWANCE_REASON_CODES
    groups = [ctx.inv.charges if charges else ctx.inv.allowances]
    groups += [line.charges if charges else line.allowances for line in ctx.all_lines]
    for entries in groups:
        for ac in entries:
            if ac.reason_code and _bad(ac.reason_code, codes):
                yield Hit(ctx.loc(ac, "reason_code"), {"value": ac.reason_code})


@rule(
    "BR-CL-19",
    E,
    "BT-98 BT-140",
    "Der Code für den Grund des Nachlasses ‚{value}‘ ist kein Code aus UNTDID 5189.",
    "Coded allowance reasons MUST belong to the UNCL 5189 code list ('{value}').",
    family=F,
)
def br_cl_19(ctx: Ctx) -> Hits:
    return _reason_codes(ctx, charges=False)


@rule(
    "BR-CL-20",
    E,
    "BT-105 BT-145",
    "Der Code für den Grund des Zuschlags ‚{value}‘ ist kein Code aus UNTDID 7161.",
    "Coded charge reasons MUST belong to the UNCL 7161 code list ('{value}').",
    family=F,
)
def br_cl_20(ctx: Ctx) -> Hits:
    return _reason_codes(ctx, charges=True)


@rule(
    "BR-CL-21",
    E,
    "BT-157-1",
    "Die Schemakennung der Artikelkennung (BT-157-1) ‚{value}‘ ist kein Code aus ISO 6523 ICD.",
    "Item standard identifier scheme identifier (BT-157-1) '{value}' MUST belong to the"
    " ISO 6523 ICD code list.",
    family=F,
    needs="item_ids",
)
def br_cl_21(ctx: Ctx) -> Hits:
    codes = _icd(ctx)
    for line in ctx.all_lines:
        item = line.item
        if item is None or item.standard_id is None:
            continue
        scheme = item.standard_id.scheme_id
        if scheme is not None and _bad(scheme, codes):
            yield Hit(ctx.loc(item, "standard_id"), {"value": scheme})


@rule(
    "BR-CL-22",
    E,
    "BT-121",
    "Der Code für den Umsatzsteuerbefreiungsgrund (BT-121) ‚{value}‘ ist kein Code der"
    " VATEX-Liste.",
    "Tax exemption reason code (BT-121) '{value}' MUST belong to the CEF VATEX code list.",
    family=F,
)
def br_cl_22(ctx: Ctx) -> Hits:
    codes = cl.VATEX_CODES_UBL_ARTEFACT if ctx.ubl else cl.VATEX_CODES
    for vat in ctx.inv.vat_breakdown:
        code = vat.exemption_reason_code
        if code is not None and _norm(code).upper() not in codes:
            yield Hit(ctx.loc(vat, "exemption_reason_code"), {"value": code})


@rule(
    "BR-CL-23",
    E,
    "BT-130 BT-150",
    "Der Code der Maßeinheit ‚{value}‘ ist kein Code aus UN/ECE Empfehlung 20 oder 21.",
    "Unit code '{value}' MUST be coded according to the UN/ECE Recommendation 20 with Rec 21"
    " extension.",
    family=F,
)
def br_cl_23(ctx: Ctx) -> Hits:
    codes = cl.UNIT_CODES
    for line in ctx.all_lines:
        if line.unit_code and _bad(line.unit_code, codes):
            yield Hit(ctx.loc(line, "unit_code"), {"value": line.unit_code})
        price = line.price
        base_unit = price.base_quantity_unit_code if price is not None else None
        if base_unit and _bad(base_unit, codes):
            yield Hit(ctx.loc(price, "base_quantity_unit_code"), {"value": base_unit})


@rule(
    "BR-CL-24",
    E,
    "BT-125-1",
    "Der MIME-Code des angehängten Dokuments (BT-125-1) ‚{value}‘ ist nicht zulässig"
    " (erlaubt: PDF, PNG, JPEG, CSV, XLSX, ODS).",
    "For Mime code in attribute use MIMEMediaType (BT-125-1: '{value}').",
    family=F,
    needs="attachments",
)
def br_cl_24(ctx: Ctx) -> Hits:
    for attachment in ctx.inv.attachments:
        mime = attachment.mime_code
        if mime is not None and _bad(mime, ctx.mime_codes):
            yield Hit(ctx.loc(attachment, "mime_code"), {"value": mime})


@rule(
    "BR-CL-25",
    E,
    "BT-34-1 BT-49-1",
    "Die Schemakennung der elektronischen Adresse ‚{value}‘ ist kein Code der EAS-Liste.",
    "Endpoint identifier scheme identifier '{value}' MUST belong to the CEF EAS code list.",
    family=F,
)
def br_cl_25(ctx: Ctx) -> Hits:
    for party in (ctx.inv.seller, ctx.inv.buyer):
        if party is None or party.electronic_address is None:
            continue
        scheme = party.electronic_address.scheme_id
        if scheme is not None and _bad(scheme, cl.EAS_SCHEMES):
            yield Hit(ctx.loc(party, "electronic_address"), {"value": scheme})


@rule(
    "BR-CL-26",
    E,
    "BT-71-1",
    "Die Schemakennung der Kennung des Lieferorts (BT-71-1) ‚{value}‘ ist kein Code aus"
    " ISO 6523 ICD.",
    "Delivery location identifier scheme identifier (BT-71-1) '{value}' MUST belong to the"
    " ISO 6523 ICD code list.",
    family=F,
    needs="delivery",
)
def br_cl_26(ctx: Ctx) -> Hits:
    delivery = ctx.inv.delivery
    if delivery is None or delivery.location_id is None:
        return
    scheme = delivery.location_id.scheme_id
    if scheme is not None and _bad(scheme, _icd(ctx)):
        yield Hit(ctx.loc(delivery, "location_id"), {"value": scheme})
