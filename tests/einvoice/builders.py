"""Build small, valid e-invoices in both syntaxes from a dict, for tests.

``build_cii(spec)`` and ``build_ubl(spec)`` (``credit_note=True`` for a UBL CreditNote) return
XML bytes of an XRechnung 3.0 invoice. With no spec at all they give a minimal invoice that is
meant to be valid (schema order, EN 16931 and BR-DE rules): seller and buyer with address,
electronic address, seller contact and VAT id, Leitweg-ID, one line, SEPA credit transfer,
payment terms, VAT breakdown and totals computed from the lines.

The spec is merged over :func:`default_spec` (nested dicts merge, lists replace). Conventions:

* a key set to ``None`` leaves the element out (e.g. ``{"buyer_reference": None}`` builds an
  invoice without a Leitweg-ID, ``{"totals": {"amount_due": None}}`` one without BT-115);
* amounts, quantities and rates may be ``Decimal``, ``int`` or ``str``; strings are written
  exactly as given (to test decimal formats), numbers as plain decimals;
* ``vat_breakdown`` and ``totals`` are computed from lines, allowances and charges (VAT per
  category and rate, rounded half-up to cents) unless given; a given ``totals`` dict only
  overrides the keys it names, so ``{"totals": {"amount_due": "1.00"}}`` makes a wrong total.

Top-level keys: number, issue_date, type_code, currency, tax_currency, buyer_reference,
specification_id, business_process, due_date, payment_terms, notes [{subject, text}],
order_reference, contract_reference, project_reference, preceding_invoice {reference, date},
seller {name, trading_name, street, city, post_code, country, vat_id, tax_number,
electronic_address (scheme, value), contact {name, phone, email}}, buyer {name, street, city,
post_code, country, vat_id, electronic_address}, payment {means_code, iban, account_name, bic,
remittance, mandate, creditor_id, debited_iban}, lines [{id, name, description, quantity,
unit, price, net_amount, vat_category, vat_rate, note}], allowances / charges [{amount,
base_amount, percentage, reason, reason_code, vat_category, vat_rate}], vat_breakdown
[{category, rate, taxable, tax, exemption_reason, exemption_reason_code}], totals
{line_net_total, allowance_total, charge_total, total_without_vat, vat_total, total_with_vat,
paid_amount, rounding_amount, amount_due}, attachments [{reference, description, filename,
mime, data (bytes)}].
"""

from __future__ import annotations

import base64
import copy
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from lxml import etree

XRECHNUNG_3 = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
EN16931 = "urn:cen.eu:en16931:2017"
PEPPOL_PROCESS = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
UBL_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
UBL_CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"

CENT = Decimal("0.01")
EXEMPTION_TEXT = {
    "E": "Steuerfrei nach § 4 UStG",
    "AE": "Steuerschuldnerschaft des Leistungsempfängers (Reverse Charge)",
    "K": "Steuerfreie innergemeinschaftliche Lieferung",
    "G": "Steuerfreie Ausfuhrlieferung",
    "O": "Nicht steuerbar",
}


def default_spec() -> dict[str, Any]:
    """The minimal valid XRechnung 3.0 invoice, as a spec (a fresh copy each call)."""
    return {
        "number": "RE-2025-0001",
        "issue_date": "2025-03-14",
        "type_code": "380",
        "currency": "EUR",
        "tax_currency": None,
        "buyer_reference": "04011000-12345-34",
        "specification_id": XRECHNUNG_3,
        "business_process": PEPPOL_PROCESS,
        "due_date": "2025-04-13",
        "payment_terms": "Zahlbar innerhalb von 30 Tagen ohne Abzug.",
        "notes": [],
        "order_reference": None,
        "contract_reference": None,
        "project_reference": None,
        "preceding_invoice": None,
        "seller": {
            "name": "Muster Bürobedarf GmbH",
            "trading_name": None,
            "street": "Lieferantenstraße 20",
            "city": "München",
            "post_code": "80333",
            "country": "DE",
            "vat_id": "DE123456789",
            "tax_number": None,
            "electronic_address": ("EM", "rechnung@muster-buero.example"),
            "contact": {
                "name": "Hans Muster",
                "phone": "+49 89 123456",
                "email": "hans.muster@muster-buero.example",
            },
        },
        "buyer": {
            "name": "Stadtverwaltung Musterstadt",
            "street": "Rathausplatz 1",
            "city": "Musterstadt",
            "post_code": "12345",
            "country": "DE",
            "vat_id": None,
            "electronic_address": ("EM", "e-rechnung@musterstadt.example"),
        },
        "payment": {
            "means_code": "58",
            "iban": "DE02120300000000202051",
            "account_name": "Muster Bürobedarf GmbH",
            "bic": "BYLADEM1001",
            "remittance": "RE-2025-0001",
            "mandate": None,
            "creditor_id": None,
            "debited_iban": None,
        },
        "lines": [
            {
                "id": "1",
                "name": "Kopierpapier A4, 500 Blatt",
                "description": None,
                "quantity": "10",
                "unit": "C62",
                "price": "4.50",
                "net_amount": None,
                "vat_category": "S",
                "vat_rate": "19",
                "note": None,
            }
        ],
        "allowances": [],
        "charges": [],
        "vat_breakdown": None,
        "totals": {},
        "attachments": [],
    }


def _merge(base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = _merge(base.get(key), value) if key in base else value
        return merged
    return copy.deepcopy(override)


def _dec(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _fmt(value: Any) -> str:
    """Strings as given; numbers as plain decimal text."""
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def resolve(spec: dict[str, Any] | None = None) -> dict[str, Any]:
    """The full spec: defaults merged, line nets, VAT breakdown and totals filled in."""
    full = _merge(default_spec(), spec or {})
    lines = []
    for line in full["lines"]:
        line = _merge(default_spec()["lines"][0], line)
        if line.get("net_amount") is None and line.get("quantity") is not None:
            line["net_amount"] = _cents(_dec(line["quantity"]) * _dec(line["price"]))
        lines.append(line)
    full["lines"] = lines
    full["allowances"] = [
        _merge({"vat_category": "S", "vat_rate": "19"}, a) for a in full["allowances"]
    ]
    full["charges"] = [_merge({"vat_category": "S", "vat_rate": "19"}, c) for c in full["charges"]]

    groups: dict[tuple[str, Decimal], Decimal] = {}
    for line in lines:
        key = (line["vat_category"], _dec(line["vat_rate"]))
        groups[key] = groups.get(key, Decimal(0)) + _dec(line["net_amount"])
    for sign, entries in ((-1, full["allowances"]), (1, full["charges"])):
        for entry in entries:
            key = (entry["vat_category"], _dec(entry["vat_rate"]))
            groups[key] = groups.get(key, Decimal(0)) + sign * _dec(entry["amount"])
    if full["vat_breakdown"] is None:
        full["vat_breakdown"] = [
            {
                "category": category,
                "rate": rate,
                "taxable": _cents(taxable),
                "tax": _cents(taxable * rate / 100),
                "exemption_reason": EXEMPTION_TEXT.get(category),
                "exemption_reason_code": None,
            }
            for (category, rate), taxable in groups.items()
        ]
    line_total = sum((_dec(line["net_amount"]) for line in lines), Decimal(0))
    allowance_total = sum((_dec(a["amount"]) for a in full["allowances"]), Decimal(0))
    charge_total = sum((_dec(c["amount"]) for c in full["charges"]), Decimal(0))
    without_vat = line_total - allowance_total + charge_total
    vat_total = sum((_dec(v["tax"]) for v in full["vat_breakdown"]), Decimal(0))
    computed = {
        "line_net_total": _cents(line_total),
        "allowance_total": _cents(allowance_total) if full["allowances"] else None,
        "charge_total": _cents(charge_total) if full["charges"] else None,
        "total_without_vat": _cents(without_vat),
        "vat_total": _cents(vat_total),
        "total_with_vat": _cents(without_vat + vat_total),
        "paid_amount": None,
        "rounding_amount": None,
        "amount_due": None,
    }
    totals = {**computed, **full["totals"]}
    if "amount_due" not in full["totals"]:
        paid = _dec(totals["paid_amount"]) if totals["paid_amount"] is not None else Decimal(0)
        rounding = (
            _dec(totals["rounding_amount"]) if totals["rounding_amount"] is not None else Decimal(0)
        )
        totals["amount_due"] = _dec(totals["total_with_vat"]) - paid + rounding
    full["totals"] = totals
    return full


class _Tree:
    """Tiny element builder that skips None values."""

    def __init__(self, nsmap: dict[str | None, str]) -> None:
        self.nsmap = {prefix: uri for prefix, uri in nsmap.items()}
        self.uris = {prefix or "": uri for prefix, uri in nsmap.items()}

    def tag(self, qname: str) -> str:
        prefix, _, local = qname.rpartition(":")
        return f"{{{self.uris[prefix]}}}{local}"

    def root(self, qname: str) -> etree._Element:
        return etree.Element(self.tag(qname), nsmap=self.nsmap)

    def add(
        self, parent: etree._Element, qname: str, value: Any = None, **attrib: Any
    ) -> etree._Element:
        element = etree.SubElement(parent, self.tag(qname))
        if value is not None:
            element.text = _fmt(value)
        for key, attr in attrib.items():
            if attr is not None:
                element.set(key, _fmt(attr))
        return element

    def opt(self, parent: etree._Element, qname: str, value: Any, **attrib: Any) -> None:
        if value is not None:
            self.add(parent, qname, value, **attrib)


def _cii_date(value: Any) -> str:
    return _fmt(value).replace("-", "")


def build_cii(spec: dict[str, Any] | None = None) -> bytes:
    """A UN/CEFACT CII (D16B) invoice, XRechnung 3.0 by default."""
    s = resolve(spec)
    t = _Tree({"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT})
    root = t.root("rsm:CrossIndustryInvoice")
    context = t.add(root, "rsm:ExchangedDocumentContext")
    if s["business_process"] is not None:
        t.add(
            t.add(context, "ram:BusinessProcessSpecifiedDocumentContextParameter"),
            "ram:ID",
            s["business_process"],
        )
    t.add(
        t.add(context, "ram:GuidelineSpecifiedDocumentContextParameter"),
        "ram:ID",
        s["specification_id"],
    )

    document = t.add(root, "rsm:ExchangedDocument")
    t.opt(document, "ram:ID", s["number"])
    t.opt(document, "ram:TypeCode", s["type_code"])
    if s["issue_date"] is not None:
        t.add(
            t.add(document, "ram:IssueDateTime"),
            "udt:DateTimeString",
            _cii_date(s["issue_date"]),
            format="102",
        )
    for note in s["notes"]:
        included = t.add(document, "ram:IncludedNote")
        t.add(included, "ram:Content", note["text"])
        t.opt(included, "ram:SubjectCode", note.get("subject"))

    transaction = t.add(root, "rsm:SupplyChainTradeTransaction")
    for line in s["lines"]:
        item = t.add(transaction, "ram:IncludedSupplyChainTradeLineItem")
        doc = t.add(item, "ram:AssociatedDocumentLineDocument")
        t.add(doc, "ram:LineID", line["id"])
        if line.get("note") is not None:
            t.add(t.add(doc, "ram:IncludedNote"), "ram:Content", line["note"])
        product = t.add(item, "ram:SpecifiedTradeProduct")
        t.add(product, "ram:Name", line["name"])
        t.opt(product, "ram:Description", line.get("description"))
        agreement = t.add(item, "ram:SpecifiedLineTradeAgreement")
        t.add(t.add(agreement, "ram:NetPriceProductTradePrice"), "ram:ChargeAmount", line["price"])
        delivery = t.add(item, "ram:SpecifiedLineTradeDelivery")
        t.opt(delivery, "ram:BilledQuantity", line["quantity"], unitCode=line["unit"])
        settlement = t.add(item, "ram:SpecifiedLineTradeSettlement")
        tax = t.add(settlement, "ram:ApplicableTradeTax")
        t.add(tax, "ram:TypeCode", "VAT")
        t.add(tax, "ram:CategoryCode", line["vat_category"])
        t.opt(tax, "ram:RateApplicablePercent", line["vat_rate"])
        summation = t.add(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
        t.opt(summation, "ram:LineTotalAmount", line["net_amount"])

    agreement = t.add(transaction, "ram:ApplicableHeaderTradeAgreement")
    t.opt(agreement, "ram:BuyerReference", s["buyer_reference"])
    _cii_party(t, agreement, "ram:SellerTradeParty", s["seller"], seller=True)
    _cii_party(t, agreement, "ram:BuyerTradeParty", s["buyer"], seller=False)
    if s["order_reference"] is not None:
        t.add(
            t.add(agreement, "ram:BuyerOrderReferencedDocument"),
            "ram:IssuerAssignedID",
            s["order_reference"],
        )
    if s["contract_reference"] is not None:
        t.add(
            t.add(agreement, "ram:ContractReferencedDocument"),
            "ram:IssuerAssignedID",
            s["contract_reference"],
        )
    for attachment in s["attachments"]:
        ref = t.add(agreement, "ram:AdditionalReferencedDocument")
        t.add(ref, "ram:IssuerAssignedID", attachment["reference"])
        t.add(ref, "ram:TypeCode", "916")
        t.opt(ref, "ram:Name", attachment.get("description"))
        if attachment.get("data") is not None:
            t.add(
                ref,
                "ram:AttachmentBinaryObject",
                base64.b64encode(attachment["data"]).decode("ascii"),
                mimeCode=attachment.get("mime", "application/pdf"),
                filename=attachment.get("filename"),
            )
    if s["project_reference"] is not None:
        project = t.add(agreement, "ram:SpecifiedProcuringProject")
        t.add(project, "ram:ID", s["project_reference"])
        t.add(project, "ram:Name", "Projekt")
    t.add(transaction, "ram:ApplicableHeaderTradeDelivery")

    settlement = t.add(transaction, "ram:ApplicableHeaderTradeSettlement")
    payment = s["payment"]
    if payment is not None:
        t.opt(settlement, "ram:CreditorReferenceID", payment.get("creditor_id"))
        t.opt(settlement, "ram:PaymentReference", payment.get("remittance"))
    t.opt(settlement, "ram:TaxCurrencyCode", s["tax_currency"])
    t.opt(settlement, "ram:InvoiceCurrencyCode", s["currency"])
    if payment is not None:
        means = t.add(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        t.add(means, "ram:TypeCode", payment["means_code"])
        if payment.get("debited_iban") is not None:
            t.add(
                t.add(means, "ram:PayerPartyDebtorFinancialAccount"),
                "ram:IBANID",
                payment["debited_iban"],
            )
        if payment.get("iban") is not None:
            account = t.add(means, "ram:PayeePartyCreditorFinancialAccount")
            t.add(account, "ram:IBANID", payment["iban"])
            t.opt(account, "ram:AccountName", payment.get("account_name"))
            if payment.get("bic") is not None:
                t.add(
                    t.add(means, "ram:PayeeSpecifiedCreditorFinancialInstitution"),
                    "ram:BICID",
                    payment["bic"],
                )
    for vat in s["vat_breakdown"]:
        tax = t.add(settlement, "ram:ApplicableTradeTax")
        t.opt(tax, "ram:CalculatedAmount", vat["tax"])
        t.add(tax, "ram:TypeCode", "VAT")
        t.opt(tax, "ram:ExemptionReason", vat.get("exemption_reason"))
        t.opt(tax, "ram:BasisAmount", vat["taxable"])
        t.add(tax, "ram:CategoryCode", vat["category"])
        t.opt(tax, "ram:ExemptionReasonCode", vat.get("exemption_reason_code"))
        t.opt(tax, "ram:RateApplicablePercent", vat["rate"])
    for is_charge, entries in ((True, s["charges"]), (False, s["allowances"])):
        for entry in entries:
            ac = t.add(settlement, "ram:SpecifiedTradeAllowanceCharge")
            t.add(
                t.add(ac, "ram:ChargeIndicator"), "udt:Indicator", "true" if is_charge else "false"
            )
            t.opt(ac, "ram:CalculationPercent", entry.get("percentage"))
            t.opt(ac, "ram:BasisAmount", entry.get("base_amount"))
            t.add(ac, "ram:ActualAmount", entry["amount"])
            t.opt(ac, "ram:ReasonCode", entry.get("reason_code"))
            t.opt(ac, "ram:Reason", entry.get("reason"))
            category = t.add(ac, "ram:CategoryTradeTax")
            t.add(category, "ram:TypeCode", "VAT")
            t.add(category, "ram:CategoryCode", entry["vat_category"])
            t.opt(category, "ram:RateApplicablePercent", entry["vat_rate"])
    if (
        s["payment_terms"] is not None
        or s["due_date"] is not None
        or (payment or {}).get("mandate")
    ):
        terms = t.add(settlement, "ram:SpecifiedTradePaymentTerms")
        t.opt(terms, "ram:Description", s["payment_terms"])
        if s["due_date"] is not None:
            t.add(
                t.add(terms, "ram:DueDateDateTime"),
                "udt:DateTimeString",
                _cii_date(s["due_date"]),
                format="102",
            )
        t.opt(terms, "ram:DirectDebitMandateID", (payment or {}).get("mandate"))
    totals = s["totals"]
    summation = t.add(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    t.opt(summation, "ram:LineTotalAmount", totals["line_net_total"])
    t.opt(summation, "ram:ChargeTotalAmount", totals["charge_total"])
    t.opt(summation, "ram:AllowanceTotalAmount", totals["allowance_total"])
    t.opt(summation, "ram:TaxBasisTotalAmount", totals["total_without_vat"])
    t.opt(summation, "ram:TaxTotalAmount", totals["vat_total"], currencyID=s["currency"])
    if s["tax_currency"] is not None and totals.get("vat_total_accounting_currency") is not None:
        t.add(
            summation,
            "ram:TaxTotalAmount",
            totals["vat_total_accounting_currency"],
            currencyID=s["tax_currency"],
        )
    t.opt(summation, "ram:RoundingAmount", totals["rounding_amount"])
    t.opt(summation, "ram:GrandTotalAmount", totals["total_with_vat"])
    t.opt(summation, "ram:TotalPrepaidAmount", totals["paid_amount"])
    t.opt(summation, "ram:DuePayableAmount", totals["amount_due"])
    preceding = s["preceding_invoice"]
    if preceding is not None:
        ref = t.add(settlement, "ram:InvoiceReferencedDocument")
        t.add(ref, "ram:IssuerAssignedID", preceding["reference"])
        if preceding.get("date") is not None:
            t.add(
                t.add(ref, "ram:FormattedIssueDateTime"),
                "qdt:DateTimeString",
                _cii_date(preceding["date"]),
                format="102",
            )
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _cii_party(
    t: _Tree, parent: etree._Element, qname: str, party: dict[str, Any] | None, *, seller: bool
) -> None:
    if party is None:
        return
    element = t.add(parent, qname)
    t.opt(element, "ram:Name", party.get("name"))
    if party.get("trading_name") is not None:
        t.add(
            t.add(element, "ram:SpecifiedLegalOrganization"),
            "ram:TradingBusinessName",
            party["trading_name"],
        )
    contact = party.get("contact") if seller else None
    if contact is not None:
        trade_contact = t.add(element, "ram:DefinedTradeContact")
        t.opt(trade_contact, "ram:PersonName", contact.get("name"))
        if contact.get("phone") is not None:
            t.add(
                t.add(trade_contact, "ram:TelephoneUniversalCommunication"),
                "ram:CompleteNumber",
                contact["phone"],
            )
        if contact.get("email") is not None:
            t.add(
                t.add(trade_contact, "ram:EmailURIUniversalCommunication"),
                "ram:URIID",
                contact["email"],
            )
    address = t.add(element, "ram:PostalTradeAddress")
    t.opt(address, "ram:PostcodeCode", party.get("post_code"))
    t.opt(address, "ram:LineOne", party.get("street"))
    t.opt(address, "ram:CityName", party.get("city"))
    t.opt(address, "ram:CountryID", party.get("country"))
    if party.get("electronic_address") is not None:
        scheme, value = party["electronic_address"]
        t.add(t.add(element, "ram:URIUniversalCommunication"), "ram:URIID", value, schemeID=scheme)
    if party.get("vat_id") is not None:
        t.add(
            t.add(element, "ram:SpecifiedTaxRegistration"), "ram:ID", party["vat_id"], schemeID="VA"
        )
    if seller and party.get("tax_number") is not None:
        t.add(
            t.add(element, "ram:SpecifiedTaxRegistration"),
            "ram:ID",
            party["tax_number"],
            schemeID="FC",
        )


def build_ubl(spec: dict[str, Any] | None = None, *, credit_note: bool = False) -> bytes:
    """A UBL 2.1 Invoice (or CreditNote), XRechnung 3.0 by default."""
    s = resolve(spec)
    if credit_note and (spec or {}).get("type_code") is None:
        s["type_code"] = "381"
    document = "CreditNote" if credit_note else "Invoice"
    t = _Tree({None: UBL_CREDIT_NOTE if credit_note else UBL_INVOICE, "cac": CAC, "cbc": CBC})
    root = t.root(f":{document}")
    currency = s["currency"]
    t.opt(root, "cbc:CustomizationID", s["specification_id"])
    t.opt(root, "cbc:ProfileID", s["business_process"])
    t.opt(root, "cbc:ID", s["number"])
    t.opt(root, "cbc:IssueDate", s["issue_date"])
    if not credit_note:
        t.opt(root, "cbc:DueDate", s["due_date"])
    t.opt(root, f"cbc:{document}TypeCode", s["type_code"])
    for note in s["notes"]:
        subject = note.get("subject")
        t.add(root, "cbc:Note", f"#{subject}#{note['text']}" if subject else note["text"])
    t.opt(root, "cbc:DocumentCurrencyCode", currency)
    t.opt(root, "cbc:TaxCurrencyCode", s["tax_currency"])
    t.opt(root, "cbc:BuyerReference", s["buyer_reference"])
    if s["order_reference"] is not None:
        t.add(t.add(root, "cac:OrderReference"), "cbc:ID", s["order_reference"])
    preceding = s["preceding_invoice"]
    if preceding is not None:
        ref = t.add(t.add(root, "cac:BillingReference"), "cac:InvoiceDocumentReference")
        t.add(ref, "cbc:ID", preceding["reference"])
        t.opt(ref, "cbc:IssueDate", preceding.get("date"))
    if s["contract_reference"] is not None:
        t.add(t.add(root, "cac:ContractDocumentReference"), "cbc:ID", s["contract_reference"])
    for attachment in s["attachments"]:
        ref = t.add(root, "cac:AdditionalDocumentReference")
        t.add(ref, "cbc:ID", attachment["reference"])
        t.opt(ref, "cbc:DocumentDescription", attachment.get("description"))
        if attachment.get("data") is not None:
            t.add(
                t.add(ref, "cac:Attachment"),
                "cbc:EmbeddedDocumentBinaryObject",
                base64.b64encode(attachment["data"]).decode("ascii"),
                mimeCode=attachment.get("mime", "application/pdf"),
                filename=attachment.get("filename"),
            )
    if s["project_reference"] is not None:
        if credit_note:
            ref = t.add(root, "cac:AdditionalDocumentReference")
            t.add(ref, "cbc:ID", s["project_reference"])
            t.add(ref, "cbc:DocumentTypeCode", "50")
        else:
            t.add(t.add(root, "cac:ProjectReference"), "cbc:ID", s["project_reference"])
    _ubl_party(
        t, root, "cac:AccountingSupplierParty", s["seller"], seller=True, payment=s["payment"]
    )
    _ubl_party(t, root, "cac:AccountingCustomerParty", s["buyer"], seller=False, payment=None)
    payment = s["payment"]
    if payment is not None:
        means = t.add(root, "cac:PaymentMeans")
        t.add(means, "cbc:PaymentMeansCode", payment["means_code"])
        if credit_note:
            t.opt(means, "cbc:PaymentDueDate", s["due_date"])
        t.opt(means, "cbc:PaymentID", payment.get("remittance"))
        if payment.get("iban") is not None:
            account = t.add(means, "cac:PayeeFinancialAccount")
            t.add(account, "cbc:ID", payment["iban"])
            t.opt(account, "cbc:Name", payment.get("account_name"))
            if payment.get("bic") is not None:
                t.add(t.add(account, "cac:FinancialInstitutionBranch"), "cbc:ID", payment["bic"])
        if payment.get("mandate") is not None or payment.get("debited_iban") is not None:
            mandate = t.add(means, "cac:PaymentMandate")
            t.opt(mandate, "cbc:ID", payment.get("mandate"))
            if payment.get("debited_iban") is not None:
                t.add(
                    t.add(mandate, "cac:PayerFinancialAccount"), "cbc:ID", payment["debited_iban"]
                )
    if s["payment_terms"] is not None:
        t.add(t.add(root, "cac:PaymentTerms"), "cbc:Note", s["payment_terms"])
    for is_charge, entries in ((True, s["charges"]), (False, s["allowances"])):
        for entry in entries:
            ac = t.add(root, "cac:AllowanceCharge")
            t.add(ac, "cbc:ChargeIndicator", "true" if is_charge else "false")
            t.opt(ac, "cbc:AllowanceChargeReasonCode", entry.get("reason_code"))
            t.opt(ac, "cbc:AllowanceChargeReason", entry.get("reason"))
            t.opt(ac, "cbc:MultiplierFactorNumeric", entry.get("percentage"))
            t.add(ac, "cbc:Amount", entry["amount"], currencyID=currency)
            t.opt(ac, "cbc:BaseAmount", entry.get("base_amount"), currencyID=currency)
            _ubl_tax_category(t, ac, "cac:TaxCategory", entry["vat_category"], entry["vat_rate"])
    totals = s["totals"]
    tax_total = t.add(root, "cac:TaxTotal")
    t.opt(tax_total, "cbc:TaxAmount", totals["vat_total"], currencyID=currency)
    for vat in s["vat_breakdown"]:
        sub = t.add(tax_total, "cac:TaxSubtotal")
        t.opt(sub, "cbc:TaxableAmount", vat["taxable"], currencyID=currency)
        t.opt(sub, "cbc:TaxAmount", vat["tax"], currencyID=currency)
        _ubl_tax_category(
            t,
            sub,
            "cac:TaxCategory",
            vat["category"],
            vat["rate"],
            vat.get("exemption_reason_code"),
            vat.get("exemption_reason"),
        )
    if s["tax_currency"] is not None and totals.get("vat_total_accounting_currency") is not None:
        other = t.add(root, "cac:TaxTotal")
        t.add(
            other,
            "cbc:TaxAmount",
            totals["vat_total_accounting_currency"],
            currencyID=s["tax_currency"],
        )
    monetary = t.add(root, "cac:LegalMonetaryTotal")
    t.opt(monetary, "cbc:LineExtensionAmount", totals["line_net_total"], currencyID=currency)
    t.opt(monetary, "cbc:TaxExclusiveAmount", totals["total_without_vat"], currencyID=currency)
    t.opt(monetary, "cbc:TaxInclusiveAmount", totals["total_with_vat"], currencyID=currency)
    t.opt(monetary, "cbc:AllowanceTotalAmount", totals["allowance_total"], currencyID=currency)
    t.opt(monetary, "cbc:ChargeTotalAmount", totals["charge_total"], currencyID=currency)
    t.opt(monetary, "cbc:PrepaidAmount", totals["paid_amount"], currencyID=currency)
    t.opt(monetary, "cbc:PayableRoundingAmount", totals["rounding_amount"], currencyID=currency)
    t.opt(monetary, "cbc:PayableAmount", totals["amount_due"], currencyID=currency)
    for line in s["lines"]:
        element = t.add(root, f"cac:{document}Line")
        t.add(element, "cbc:ID", line["id"])
        t.opt(element, "cbc:Note", line.get("note"))
        quantity = "cbc:CreditedQuantity" if credit_note else "cbc:InvoicedQuantity"
        t.opt(element, quantity, line["quantity"], unitCode=line["unit"])
        t.opt(element, "cbc:LineExtensionAmount", line["net_amount"], currencyID=currency)
        item = t.add(element, "cac:Item")
        t.opt(item, "cbc:Description", line.get("description"))
        t.add(item, "cbc:Name", line["name"])
        _ubl_tax_category(
            t, item, "cac:ClassifiedTaxCategory", line["vat_category"], line["vat_rate"]
        )
        t.add(t.add(element, "cac:Price"), "cbc:PriceAmount", line["price"], currencyID=currency)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _ubl_tax_category(
    t: _Tree,
    parent: etree._Element,
    qname: str,
    category: str,
    rate: Any,
    reason_code: str | None = None,
    reason: str | None = None,
) -> None:
    element = t.add(parent, qname)
    t.add(element, "cbc:ID", category)
    t.opt(element, "cbc:Percent", rate)
    t.opt(element, "cbc:TaxExemptionReasonCode", reason_code)
    t.opt(element, "cbc:TaxExemptionReason", reason)
    t.add(t.add(element, "cac:TaxScheme"), "cbc:ID", "VAT")


def _ubl_party(
    t: _Tree,
    root: etree._Element,
    qname: str,
    party: dict[str, Any] | None,
    *,
    seller: bool,
    payment: dict[str, Any] | None,
) -> None:
    if party is None:
        return
    element = t.add(t.add(root, qname), "cac:Party")
    if party.get("electronic_address") is not None:
        scheme, value = party["electronic_address"]
        t.add(element, "cbc:EndpointID", value, schemeID=scheme)
    if seller and payment is not None and payment.get("creditor_id") is not None:
        t.add(
            t.add(element, "cac:PartyIdentification"),
            "cbc:ID",
            payment["creditor_id"],
            schemeID="SEPA",
        )
    if party.get("trading_name") is not None:
        t.add(t.add(element, "cac:PartyName"), "cbc:Name", party["trading_name"])
    address = t.add(element, "cac:PostalAddress")
    t.opt(address, "cbc:StreetName", party.get("street"))
    t.opt(address, "cbc:CityName", party.get("city"))
    t.opt(address, "cbc:PostalZone", party.get("post_code"))
    if party.get("country") is not None:
        t.add(t.add(address, "cac:Country"), "cbc:IdentificationCode", party["country"])
    if party.get("vat_id") is not None:
        scheme = t.add(element, "cac:PartyTaxScheme")
        t.add(scheme, "cbc:CompanyID", party["vat_id"])
        t.add(t.add(scheme, "cac:TaxScheme"), "cbc:ID", "VAT")
    if seller and party.get("tax_number") is not None:
        scheme = t.add(element, "cac:PartyTaxScheme")
        t.add(scheme, "cbc:CompanyID", party["tax_number"])
        t.add(t.add(scheme, "cac:TaxScheme"), "cbc:ID", "FC")
    legal = t.add(element, "cac:PartyLegalEntity")
    t.opt(legal, "cbc:RegistrationName", party.get("name"))
    contact = party.get("contact") if seller else None
    if contact is not None:
        contact_el = t.add(element, "cac:Contact")
        t.opt(contact_el, "cbc:Name", contact.get("name"))
        t.opt(contact_el, "cbc:Telephone", contact.get("phone"))
        t.opt(contact_el, "cbc:ElectronicMail", contact.get("email"))


def build(spec: dict[str, Any] | None = None, *, syntax: str = "cii") -> bytes:
    """``syntax``: "cii", "ubl" or "ubl-creditnote"."""
    if syntax == "cii":
        return build_cii(spec)
    if syntax == "ubl":
        return build_ubl(spec)
    if syntax == "ubl-creditnote":
        return build_ubl(spec, credit_note=True)
    raise ValueError(f"unknown syntax {syntax!r}")


def build_pdf_with_attachments(attachments: list[dict[str, Any]]) -> bytes:
    """A one-page PDF with embedded files, like a ZUGFeRD / Factur-X invoice.

    Each attachment: ``{"name": "factur-x.xml", "data": bytes, "relationship": "Alternative"
    (None: no /AFRelationship at all), "mime": "text/xml", "associated_only": False}``. Files
    are put in the /EmbeddedFiles name tree and listed in the catalog's /AF array;
    ``associated_only`` leaves a file out of the name tree (reachable through /AF only).
    """
    import io

    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    associated = []
    for attachment in attachments:
        relationship = attachment.get("relationship", "Alternative")
        spec = pikepdf.AttachedFileSpec(
            pdf,
            attachment["data"],
            filename=attachment["name"],
            mime_type=attachment.get("mime", "text/xml"),
            relationship=pikepdf.Name("/" + relationship) if relationship else None,
        )
        if relationship is None:
            del spec.obj["/AFRelationship"]
        if attachment.get("associated_only"):
            associated.append(pdf.make_indirect(spec.obj))
        else:
            pdf.attachments[attachment["name"]] = spec
            associated.append(pdf.attachments[attachment["name"]].obj)
    if associated:
        pdf.Root.AF = pikepdf.Array(associated)
    buffer = io.BytesIO()
    pdf.save(buffer)
    return buffer.getvalue()


def build_zugferd_pdf(
    xml: bytes | None = None,
    *,
    name: str = "factur-x.xml",
    relationship: str | None = "Alternative",
) -> bytes:
    """A ZUGFeRD/Factur-X-like PDF carrying ``xml`` (default: :func:`build_cii`)."""
    return build_pdf_with_attachments(
        [
            {
                "name": name,
                "data": xml if xml is not None else build_cii(),
                "relationship": relationship,
            }
        ]
    )
