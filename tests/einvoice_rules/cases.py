"""For every rule an invoice that violates it and one that satisfies it, in both syntaxes.

``CASES[rule_id]`` is a :class:`Case`: ``fail(syntax)`` and ``ok(syntax)`` return invoice
bytes (``syntax`` is "cii" or "ubl"); ``ok`` defaults to the builders' minimal invoice. The
``ok`` invoices are complete, valid invoices that exercise the rule's subject (an allowance
for the allowance rules, a reverse-charge invoice for BR-AE-*, ...): the tests check that
they have no error at all, so they also guard against false errors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.einvoice.builders import CAC, CBC, RAM, UDT, build, build_zugferd_pdf
from tests.einvoice_rules.variants import (
    add_child,
    add_delivery,
    build_not_subject_to_vat,
    duplicate,
    remove,
    set_attribute,
    set_text,
)

Make = Callable[[str], bytes]
SYNTAXES = ("cii", "ubl")
XRECHNUNG_EXTENSION = (
    "urn:cen.eu:en16931:2017#conformant#urn:xeinkauf.de:kosit:extension:xrechnung_3.0"
)
C = f'xmlns:ram="{RAM}" xmlns:udt="{UDT}"'
U = f'xmlns:cac="{CAC}" xmlns:cbc="{CBC}"'


@dataclass(frozen=True)
class Case:
    fail: Make
    ok: Make | None = None
    syntaxes: tuple[str, ...] = SYNTAXES

    def ok_invoice(self, syntax: str) -> bytes:
        return self.ok(syntax) if self.ok is not None else build({}, syntax=syntax)


def spec(**values: Any) -> Make:
    """An invoice from a builder spec."""
    return lambda syntax: build(values, syntax=syntax)


def then(make: Make, mutate: Callable[[bytes, str], bytes]) -> Make:
    """``make``, then an XML mutation that may depend on the syntax."""
    return lambda syntax: mutate(make(syntax), syntax)


def per_syntax(cii: Callable[[bytes], bytes], ubl: Callable[[bytes], bytes]) -> Any:
    return lambda xml, syntax: cii(xml) if syntax == "cii" else ubl(xml)


def rm(cii: str, ubl: str) -> Any:
    return per_syntax(lambda x: remove(x, cii), lambda x: remove(x, ubl))


def txt(cii: str, ubl: str, value: str) -> Any:
    return per_syntax(lambda x: set_text(x, cii, value), lambda x: set_text(x, ubl, value))


def add(cii: tuple, ubl: tuple) -> Any:
    """Add a fragment: ``(parent path, xml, after-child path or None)`` per syntax."""
    return per_syntax(
        lambda x: add_child(x, cii[0], cii[1], after=cii[2] if len(cii) > 2 else None),
        lambda x: add_child(x, ubl[0], ubl[1], after=ubl[2] if len(ubl) > 2 else None),
    )


def chain(*mutations: Any) -> Any:
    def apply(xml: bytes, syntax: str) -> bytes:
        for mutation in mutations:
            xml = mutation(xml, syntax)
        return xml

    return apply


BASE = spec()

# --- paths --------------------------------------------------------------------------------

CII_SETTLEMENT = "//ram:ApplicableHeaderTradeSettlement"
CII_AGREEMENT = "//ram:ApplicableHeaderTradeAgreement"
CII_LINE = "//ram:IncludedSupplyChainTradeLineItem[1]"
CII_LINE_SETTLEMENT = CII_LINE + "/ram:SpecifiedLineTradeSettlement"
CII_SELLER = CII_AGREEMENT + "/ram:SellerTradeParty"
CII_BUYER = CII_AGREEMENT + "/ram:BuyerTradeParty"
CII_HEADER_TAX = CII_SETTLEMENT + "/ram:ApplicableTradeTax"
CII_MEANS = CII_SETTLEMENT + "/ram:SpecifiedTradeSettlementPaymentMeans"
UBL_LINE = "/*/cac:InvoiceLine[1] | /*/cac:CreditNoteLine[1]"
UBL_SELLER = "/*/cac:AccountingSupplierParty/cac:Party"
UBL_BUYER = "/*/cac:AccountingCustomerParty/cac:Party"
UBL_SUBTOTAL = "/*/cac:TaxTotal/cac:TaxSubtotal"
UBL_MEANS = "/*/cac:PaymentMeans"

# --- fragments ----------------------------------------------------------------------------


def _cii_period(start: str, end: str) -> str:
    parts = []
    if start:
        parts.append(
            f'<ram:StartDateTime><udt:DateTimeString format="102">{start}</udt:DateTimeString>'
            "</ram:StartDateTime>"
        )
    if end:
        parts.append(
            f'<ram:EndDateTime><udt:DateTimeString format="102">{end}</udt:DateTimeString>'
            "</ram:EndDateTime>"
        )
    return f"<ram:BillingSpecifiedPeriod {C}>{''.join(parts)}</ram:BillingSpecifiedPeriod>"


def _ubl_period(start: str, end: str) -> str:
    parts = []
    if start:
        parts.append(f"<cbc:StartDate>{start}</cbc:StartDate>")
    if end:
        parts.append(f"<cbc:EndDate>{end}</cbc:EndDate>")
    return f"<cac:InvoicePeriod {U}>{''.join(parts)}</cac:InvoicePeriod>"


def period(start: str, end: str) -> Any:
    """A document invoicing period BG-14 (dates as YYYY-MM-DD, "" to leave one out)."""
    return add(
        (CII_SETTLEMENT, _cii_period(start.replace("-", ""), end.replace("-", ""))),
        ("/*", _ubl_period(start, end), "cbc:DocumentCurrencyCode"),
    )


def line_period(start: str, end: str) -> Any:
    return add(
        (CII_LINE_SETTLEMENT, _cii_period(start.replace("-", ""), end.replace("-", ""))),
        (UBL_LINE, _ubl_period(start, end), "cbc:LineExtensionAmount"),
    )


def line_allowance_charge(
    charge: bool = False,
    amount: str | None = "1.00",
    reason: str | None = "Rabatt",
    base: str | None = None,
) -> Any:
    """An allowance or charge on line 1 (BG-27/BG-28)."""
    flag = "true" if charge else "false"
    cii_parts = [
        f"<ram:ChargeIndicator><udt:Indicator>{flag}</udt:Indicator></ram:ChargeIndicator>"
    ]
    ubl_parts = [f"<cbc:ChargeIndicator>{flag}</cbc:ChargeIndicator>"]
    if reason is not None:
        ubl_parts.append(f"<cbc:AllowanceChargeReason>{reason}</cbc:AllowanceChargeReason>")
    if base is not None:
        cii_parts.append(f"<ram:BasisAmount>{base}</ram:BasisAmount>")
    if amount is not None:
        cii_parts.append(f"<ram:ActualAmount>{amount}</ram:ActualAmount>")
        ubl_parts.append(f'<cbc:Amount currencyID="EUR">{amount}</cbc:Amount>')
    if base is not None:
        ubl_parts.append(f'<cbc:BaseAmount currencyID="EUR">{base}</cbc:BaseAmount>')
    if reason is not None:
        cii_parts.append(f"<ram:Reason>{reason}</ram:Reason>")
    return add(
        (
            CII_LINE_SETTLEMENT,
            f"<ram:SpecifiedTradeAllowanceCharge {C}>{''.join(cii_parts)}"
            "</ram:SpecifiedTradeAllowanceCharge>",
            "ram:ApplicableTradeTax",
        ),
        (
            UBL_LINE,
            f"<cac:AllowanceCharge {U}>{''.join(ubl_parts)}</cac:AllowanceCharge>",
            "cbc:LineExtensionAmount",
        ),
    )


def line_fixed_net(net: str) -> dict[str, Any]:
    """Spec part: line 1 (10 x 4.50 = 45.00) with its net amount given as ``net``: 44.00 or
    46.00 once :func:`line_allowance_charge` adds an allowance or a charge of 1.00."""
    return {"lines": [{"net_amount": net}]}


def tax_representative(name: bool = True, address: bool = True, country: bool = True,
                       vat: bool = True) -> Any:  # fmt: skip
    cii_address = ubl_address = ""
    if address:
        country_cii = "<ram:CountryID>DE</ram:CountryID>" if country else ""
        cii_address = (
            "<ram:PostalTradeAddress><ram:PostcodeCode>10115</ram:PostcodeCode>"
            f"<ram:CityName>Berlin</ram:CityName>{country_cii}</ram:PostalTradeAddress>"
        )
        country_ubl = (
            "<cac:Country><cbc:IdentificationCode>DE</cbc:IdentificationCode></cac:Country>"
            if country
            else ""
        )
        ubl_address = (
            "<cac:PostalAddress><cbc:CityName>Berlin</cbc:CityName><cbc:PostalZone>10115"
            f"</cbc:PostalZone>{country_ubl}</cac:PostalAddress>"
        )
    cii_name = "<ram:Name>Steuerberatung Vertreter GmbH</ram:Name>" if name else ""
    ubl_name = (
        "<cac:PartyName><cbc:Name>Steuerberatung Vertreter GmbH</cbc:Name></cac:PartyName>"
        if name
        else ""
    )
    cii_vat = (
        '<ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">DE987654321</ram:ID>'
        "</ram:SpecifiedTaxRegistration>"
        if vat
        else ""
    )
    ubl_vat = (
        "<cac:PartyTaxScheme><cbc:CompanyID>DE987654321</cbc:CompanyID><cac:TaxScheme>"
        "<cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>"
        if vat
        else ""
    )
    return add(
        (
            CII_AGREEMENT,
            f"<ram:SellerTaxRepresentativeTradeParty {C}>{cii_name}{cii_address}{cii_vat}"
            "</ram:SellerTaxRepresentativeTradeParty>",
            "ram:BuyerTradeParty",
        ),
        (
            "/*",
            f"<cac:TaxRepresentativeParty {U}>{ubl_name}{ubl_address}{ubl_vat}"
            "</cac:TaxRepresentativeParty>",
            "cac:AccountingCustomerParty",
        ),
    )


def payee(name: bool = True) -> Any:
    cii_name = "<ram:Name>Factoring AG</ram:Name>" if name else ""
    ubl_name = "<cac:PartyName><cbc:Name>Factoring AG</cbc:Name></cac:PartyName>" if name else ""
    return add(
        (
            CII_SETTLEMENT,
            f"<ram:PayeeTradeParty {C}><ram:ID>F-1</ram:ID>{cii_name}</ram:PayeeTradeParty>",
            "ram:InvoiceCurrencyCode",
        ),
        (
            "/*",
            f"<cac:PayeeParty {U}><cac:PartyIdentification><cbc:ID>F-1</cbc:ID>"
            f"</cac:PartyIdentification>{ubl_name}</cac:PayeeParty>",
            "cac:AccountingCustomerParty",
        ),
    )


def item_fragment(cii: str, ubl: str, *, cii_first: bool = False) -> Any:
    """Add to the item of line 1 (CII ram:SpecifiedTradeProduct, UBL cac:Item)."""
    cii_path = CII_LINE + "/ram:SpecifiedTradeProduct"

    def cii_add(xml: bytes) -> bytes:
        if cii_first:
            return add_child(xml, cii_path, cii, after=None)
        return add_child(xml, cii_path, cii, after="ram:Name")

    return per_syntax(
        cii_add, lambda x: add_child(x, "(" + UBL_LINE + ")/cac:Item", ubl, after="cbc:Name")
    )


def card(number: str = "1234") -> Any:
    return add(
        (
            CII_MEANS,
            f"<ram:ApplicableTradeSettlementFinancialCard {C}><ram:ID>{number}</ram:ID>"
            "<ram:CardholderName>Max Muster</ram:CardholderName>"
            "</ram:ApplicableTradeSettlementFinancialCard>",
            "ram:TypeCode",
        ),
        (
            UBL_MEANS,
            f"<cac:CardAccount {U}><cbc:PrimaryAccountNumberID>{number}"
            "</cbc:PrimaryAccountNumberID>"
            "<cbc:NetworkID>VISA</cbc:NetworkID><cbc:HolderName>Max Muster</cbc:HolderName>"
            "</cac:CardAccount>",
            "cbc:PaymentMeansCode",
        ),
    )


def tax_point(date: bool, code: str | None) -> Any:
    """BT-7 and/or BT-8 (CII: in the header VAT breakdown; UBL: root / invoice period)."""

    def cii(xml: bytes) -> bytes:
        if date:
            xml = add_child(
                xml,
                CII_HEADER_TAX,
                f'<ram:TaxPointDate {C}><udt:DateString format="102">20250301</udt:DateString>'
                "</ram:TaxPointDate>",
            )
        if code is not None:
            xml = add_child(
                xml, CII_HEADER_TAX, f"<ram:DueDateTypeCode {C}>{code}</ram:DueDateTypeCode>"
            )
        return xml

    def ubl(xml: bytes) -> bytes:
        if date:
            xml = add_child(
                xml,
                "/*",
                f"<cbc:TaxPointDate {U}>2025-03-01</cbc:TaxPointDate>",
                after="cbc:IssueDate",
            )
        if code is not None:
            xml = add_child(
                xml,
                "/*",
                f"<cac:InvoicePeriod {U}><cbc:DescriptionCode>{code}</cbc:DescriptionCode>"
                "</cac:InvoicePeriod>",
                after="cbc:DocumentCurrencyCode",
            )
        return xml

    return per_syntax(cii, ubl)


def object_identifier(scheme: str) -> Any:
    return add(
        (
            CII_AGREEMENT,
            f"<ram:AdditionalReferencedDocument {C}><ram:IssuerAssignedID>ZAEHLER-1"
            "</ram:IssuerAssignedID><ram:TypeCode>130</ram:TypeCode>"
            f"<ram:ReferenceTypeCode>{scheme}</ram:ReferenceTypeCode>"
            "</ram:AdditionalReferencedDocument>",
            "ram:BuyerTradeParty",
        ),
        (
            "/*",
            f'<cac:AdditionalDocumentReference {U}><cbc:ID schemeID="{scheme}">ZAEHLER-1</cbc:ID>'
            "<cbc:DocumentTypeCode>130</cbc:DocumentTypeCode></cac:AdditionalDocumentReference>",
            "cbc:BuyerReference",
        ),
    )


def buyer_identifier(scheme: str) -> Any:
    return add(
        (CII_BUYER, f'<ram:GlobalID {C} schemeID="{scheme}">4000001000005</ram:GlobalID>', None),
        (
            UBL_BUYER,
            f'<cac:PartyIdentification {U}><cbc:ID schemeID="{scheme}">4000001000005</cbc:ID>'
            "</cac:PartyIdentification>",
            "cbc:EndpointID",
        ),
    )


def legal_registration(scheme: str) -> Any:
    return per_syntax(
        lambda x: add_child(
            x,
            CII_SELLER,
            f'<ram:SpecifiedLegalOrganization {C}><ram:ID schemeID="{scheme}">HRB 12345</ram:ID>'
            "</ram:SpecifiedLegalOrganization>",
            after="ram:Name",
        ),
        lambda x: add_child(
            x,
            UBL_SELLER + "/cac:PartyLegalEntity",
            f'<cbc:CompanyID {U} schemeID="{scheme}">HRB 12345</cbc:CompanyID>',
        ),
    )


def delivery_location_id(scheme: str) -> Any:
    return per_syntax(
        lambda x: add_child(
            x,
            "//ram:ApplicableHeaderTradeDelivery",
            f'<ram:ShipToTradeParty {C}><ram:GlobalID schemeID="{scheme}">4000001000005'
            "</ram:GlobalID><ram:Name>Lager</ram:Name></ram:ShipToTradeParty>",
        ),
        lambda x: add_child(
            x,
            "/*",
            f'<cac:Delivery {U}><cac:DeliveryLocation><cbc:ID schemeID="{scheme}">4000001000005'
            "</cbc:ID></cac:DeliveryLocation></cac:Delivery>",
            after="cac:AccountingCustomerParty",
        ),
    )


def explicit_breakdown(**override: Any) -> dict[str, Any]:
    """Spec part: the VAT breakdown of the minimal invoice (45.00 at 19 % = 8.55) written out,
    with ``override`` applied."""
    vat = {"category": "S", "rate": "19", "taxable": "45.00", "tax": "8.55",
           "exemption_reason": None, "exemption_reason_code": None}  # fmt: skip
    vat.update(override)
    return {"vat_breakdown": [vat]}


def attachment(filename: str = "lieferschein.pdf", reference: str | None = "LS-1",
               mime: str = "application/pdf") -> dict[str, Any]:  # fmt: skip
    return {"reference": reference, "description": "Lieferschein", "filename": filename,
            "mime": mime, "data": b"%PDF-1.4 test"}  # fmt: skip


def sub_line(net: str) -> Any:
    """A sub invoice line below line 1 (XRechnung extension): UBL cac:SubInvoiceLine, CII a
    line item naming line 1 as its parent."""

    def cii(xml: bytes) -> bytes:
        xml = duplicate(xml, CII_LINE)
        xml = set_text(xml, "//ram:IncludedSupplyChainTradeLineItem[2]//ram:LineID", "1.1")
        xml = add_child(
            xml,
            "//ram:IncludedSupplyChainTradeLineItem[2]/ram:AssociatedDocumentLineDocument",
            f"<ram:ParentLineID {C}>1</ram:ParentLineID>",
            after="ram:LineID",
        )
        xml = add_child(
            xml,
            "//ram:IncludedSupplyChainTradeLineItem[2]/ram:AssociatedDocumentLineDocument",
            f"<ram:LineStatusReasonCode {C}>DETAIL</ram:LineStatusReasonCode>",
            after="ram:ParentLineID",
        )
        return set_text(xml, "//ram:IncludedSupplyChainTradeLineItem[2]//ram:LineTotalAmount", net)

    def ubl(xml: bytes) -> bytes:
        document = "CreditNote" if b"CreditNote-2" in xml[:500] else "Invoice"
        quantity = "CreditedQuantity" if document == "CreditNote" else "InvoicedQuantity"
        fragment = (
            f'<cac:Sub{document}Line {U}><cbc:ID>1.1</cbc:ID><cbc:{quantity} unitCode="C62">10'
            f'</cbc:{quantity}><cbc:LineExtensionAmount currencyID="EUR">{net}'
            "</cbc:LineExtensionAmount><cac:Item><cbc:Name>Teil</cbc:Name>"
            "<cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>19</cbc:Percent>"
            "<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory>"
            '</cac:Item><cac:Price><cbc:PriceAmount currencyID="EUR">4.50</cbc:PriceAmount>'
            f"</cac:Price></cac:Sub{document}Line>"
        )
        return add_child(xml, UBL_LINE, fragment)

    return per_syntax(cii, ubl)


EXTENSION = {"specification_id": XRECHNUNG_EXTENSION}
DIRECT_DEBIT = {
    "means_code": "59",
    "iban": None,
    "bic": None,
    "mandate": "MANDAT-2025-1",
    "creditor_id": "DE98ZZZ09999999999",
    "debited_iban": "DE02120300000000202051",
}
ALLOWANCE = {"amount": "5.00", "base_amount": "45.00", "percentage": "11.11", "reason": "Rabatt",
             "reason_code": "95"}  # fmt: skip
CHARGE = {"amount": "4.90", "reason": "Versand", "reason_code": "FC"}
SKONTO_OK = "Zahlbar innerhalb 30 Tagen.\n#SKONTO#TAGE=14#PROZENT=2.00#\n"

CASES: dict[str, Case] = {
    # --- schema level ------------------------------------------------------------------------
    "XSD-VALUE": Case(spec(totals={"amount_due": "53,55"})),
    "XSD-BASE64": Case(
        then(
            spec(attachments=[attachment()]),
            txt("//ram:AttachmentBinaryObject", "//cbc:EmbeddedDocumentBinaryObject", "###"),
        ),
        spec(attachments=[attachment()]),
    ),
    "XSD-CARDINALITY": Case(
        then(
            BASE,
            per_syntax(
                lambda x: remove(x, "//ram:ApplicableHeaderTradeDelivery"),
                lambda x: duplicate(x, "/*/cbc:IssueDate"),
            ),
        ),
    ),
    "DMS-STRUCTURE": Case(
        then(
            BASE,
            lambda x, s: add_child(
                x,
                CII_LINE + "/ram:AssociatedDocumentLineDocument",
                f"<ram:ParentLineID {C}>99</ram:ParentLineID>",
            ),
        ),
        syntaxes=("cii",),
    ),
    "DMS-PROFILE": Case(spec(specification_id="urn:factur-x.eu:1p0:minimum")),
    "DMS-SOURCE": Case(
        lambda syntax: build_zugferd_pdf(build({}, syntax=syntax), relationship=None),
        lambda syntax: build_zugferd_pdf(build({}, syntax=syntax)),
    ),
    # --- EN 16931 core -----------------------------------------------------------------------
    "BR-01": Case(spec(specification_id=None)),
    "BR-02": Case(spec(number=None)),
    "BR-03": Case(spec(issue_date=None)),
    "BR-04": Case(
        then(
            BASE,
            rm(
                "//rsm:ExchangedDocument/ram:TypeCode",
                "/*/cbc:InvoiceTypeCode | /*/cbc:CreditNoteTypeCode",
            ),
        )
    ),
    "BR-05": Case(spec(currency=None)),
    "BR-06": Case(spec(seller={"name": None})),
    "BR-07": Case(spec(buyer={"name": None})),
    "BR-08": Case(
        then(BASE, rm(CII_SELLER + "/ram:PostalTradeAddress", UBL_SELLER + "/cac:PostalAddress"))
    ),
    "BR-09": Case(spec(seller={"country": None})),
    "BR-10": Case(
        then(BASE, rm(CII_BUYER + "/ram:PostalTradeAddress", UBL_BUYER + "/cac:PostalAddress"))
    ),
    "BR-11": Case(spec(buyer={"country": None})),
    "BR-12": Case(spec(totals={"line_net_total": None})),
    "BR-13": Case(spec(totals={"total_without_vat": None})),
    "BR-14": Case(spec(totals={"total_with_vat": None, "amount_due": "53.55"})),
    "BR-15": Case(spec(totals={"amount_due": None})),
    "BR-16": Case(
        then(
            BASE,
            rm(
                "//ram:IncludedSupplyChainTradeLineItem",
                "/*/cac:InvoiceLine | /*/cac:CreditNoteLine",
            ),
        )
    ),
    "BR-17": Case(then(BASE, payee(name=False)), then(BASE, payee())),
    "BR-18": Case(then(BASE, tax_representative(name=False)), then(BASE, tax_representative())),
    "BR-19": Case(then(BASE, tax_representative(address=False)), then(BASE, tax_representative())),
    "BR-20": Case(then(BASE, tax_representative(country=False)), then(BASE, tax_representative())),
    "BR-21": Case(then(BASE, rm(CII_LINE + "//ram:LineID", "(" + UBL_LINE + ")/cbc:ID"))),
    "BR-22": Case(spec(lines=[{"quantity": None, "net_amount": "45.00"}])),
    "BR-23": Case(spec(lines=[{"unit": None}])),
    "BR-24": Case(
        then(
            BASE,
            rm(CII_LINE + "//ram:LineTotalAmount", "(" + UBL_LINE + ")/cbc:LineExtensionAmount"),
        )
    ),
    "BR-25": Case(spec(lines=[{"name": None}])),
    "BR-26": Case(
        then(
            BASE,
            rm(CII_LINE + "//ram:NetPriceProductTradePrice", "(" + UBL_LINE + ")/cac:Price"),
        )
    ),
    "BR-27": Case(
        spec(lines=[{"price": "-4.50"}], type_code="384", preceding_invoice={"reference": "R-1"})
    ),
    "BR-28": Case(
        then(
            BASE,
            add(
                (
                    CII_LINE + "/ram:SpecifiedLineTradeAgreement",
                    f"<ram:GrossPriceProductTradePrice {C}>"
                    "<ram:ChargeAmount>-5.00</ram:ChargeAmount>"
                    "</ram:GrossPriceProductTradePrice>",
                ),
                (
                    "(" + UBL_LINE + ")/cac:Price",
                    f"<cac:AllowanceCharge {U}><cbc:ChargeIndicator>false</cbc:ChargeIndicator>"
                    '<cbc:Amount currencyID="EUR">0.00</cbc:Amount>'
                    '<cbc:BaseAmount currencyID="EUR">'
                    "-5.00</cbc:BaseAmount></cac:AllowanceCharge>",
                ),
            ),
        ),
    ),
    "BR-29": Case(
        then(BASE, period("2025-03-31", "2025-03-01")),
        then(BASE, period("2025-03-01", "2025-03-31")),
    ),
    "BR-30": Case(
        then(BASE, line_period("2025-03-31", "2025-03-01")),
        then(BASE, line_period("2025-03-01", "2025-03-31")),
    ),
    "BR-31": Case(
        then(
            spec(allowances=[ALLOWANCE]),
            rm(
                "//ram:SpecifiedTradeAllowanceCharge/ram:ActualAmount",
                "/*/cac:AllowanceCharge/cbc:Amount",
            ),
        ),
        spec(allowances=[ALLOWANCE]),
    ),
    "BR-32": Case(
        then(
            spec(allowances=[ALLOWANCE]),
            rm(
                "//ram:SpecifiedTradeAllowanceCharge/ram:CategoryTradeTax/ram:CategoryCode",
                "/*/cac:AllowanceCharge/cac:TaxCategory/cbc:ID",
            ),
        ),
        spec(allowances=[ALLOWANCE]),
    ),
    "BR-33": Case(
        spec(allowances=[{**ALLOWANCE, "reason": None, "reason_code": None}]),
        spec(allowances=[ALLOWANCE]),
    ),
    "BR-36": Case(
        then(
            spec(charges=[CHARGE]),
            rm(
                "//ram:SpecifiedTradeAllowanceCharge/ram:ActualAmount",
                "/*/cac:AllowanceCharge/cbc:Amount",
            ),
        ),
        spec(charges=[CHARGE]),
    ),
    "BR-37": Case(
        then(
            spec(charges=[CHARGE]),
            rm(
                "//ram:SpecifiedTradeAllowanceCharge/ram:CategoryTradeTax/ram:CategoryCode",
                "/*/cac:AllowanceCharge/cac:TaxCategory/cbc:ID",
            ),
        ),
        spec(charges=[CHARGE]),
    ),
    "BR-38": Case(
        spec(charges=[{**CHARGE, "reason": None, "reason_code": None}]), spec(charges=[CHARGE])
    ),
    "BR-41": Case(
        then(spec(**line_fixed_net("44.00")), line_allowance_charge(amount=None)),
        then(spec(**line_fixed_net("44.00")), line_allowance_charge()),
    ),
    "BR-42": Case(
        then(spec(**line_fixed_net("44.00")), line_allowance_charge(reason=None)),
        then(spec(**line_fixed_net("44.00")), line_allowance_charge()),
    ),
    "BR-43": Case(
        then(spec(**line_fixed_net("46.00")), line_allowance_charge(charge=True, amount=None)),
        then(spec(**line_fixed_net("46.00")), line_allowance_charge(charge=True)),
    ),
    "BR-44": Case(
        then(spec(**line_fixed_net("46.00")), line_allowance_charge(charge=True, reason=None)),
        then(spec(**line_fixed_net("46.00")), line_allowance_charge(charge=True)),
    ),
    "BR-45": Case(spec(**explicit_breakdown(taxable=None))),
    "BR-46": Case(
        then(BASE, rm(CII_HEADER_TAX + "/ram:CalculatedAmount", UBL_SUBTOTAL + "/cbc:TaxAmount"))
    ),
    "BR-47": Case(spec(**explicit_breakdown(category=None))),
    "BR-48": Case(spec(**explicit_breakdown(rate=None))),
    "BR-49": Case(then(BASE, rm(CII_MEANS + "/ram:TypeCode", UBL_MEANS + "/cbc:PaymentMeansCode"))),
    "BR-50": Case(
        then(
            BASE,
            rm(
                CII_MEANS + "/ram:PayeePartyCreditorFinancialAccount/ram:IBANID",
                UBL_MEANS + "/cac:PayeeFinancialAccount/cbc:ID",
            ),
        )
    ),
    "BR-51": Case(
        then(
            spec(payment={"means_code": "48", "iban": None, "bic": None}), card("4111111111111111")
        ),
        then(spec(payment={"means_code": "48", "iban": None, "bic": None}), card("1111")),
    ),
    "BR-52": Case(spec(attachments=[attachment(reference=None)]), spec(attachments=[attachment()])),
    "BR-53": Case(
        spec(tax_currency="USD"),
        spec(tax_currency="USD", totals={"vat_total_accounting_currency": "9.30"}),
    ),
    "BR-54": Case(
        then(
            BASE,
            item_fragment(
                f"<ram:ApplicableProductCharacteristic {C}><ram:Description>Farbe</ram:Description>"
                "</ram:ApplicableProductCharacteristic>",
                f"<cac:AdditionalItemProperty {U}><cbc:Name>Farbe</cbc:Name>"
                "</cac:AdditionalItemProperty>",
            ),
        ),
        then(
            BASE,
            item_fragment(
                f"<ram:ApplicableProductCharacteristic {C}><ram:Description>Farbe</ram:Description>"
                "<ram:Value>weiß</ram:Value></ram:ApplicableProductCharacteristic>",
                f"<cac:AdditionalItemProperty {U}><cbc:Name>Farbe</cbc:Name><cbc:Value>weiß"
                "</cbc:Value></cac:AdditionalItemProperty>",
            ),
        ),
    ),
    "BR-55": Case(
        spec(preceding_invoice={"reference": None, "date": "2025-01-15"}),
        spec(preceding_invoice={"reference": "RE-2025-0000", "date": "2025-01-15"}),
    ),
    "BR-56": Case(then(BASE, tax_representative(vat=False)), then(BASE, tax_representative())),
    "BR-57": Case(
        then(
            BASE,
            lambda x, s: remove(
                add_delivery(x, s),
                "//ram:ShipToTradeParty//ram:CountryID"
                if s == "cii"
                else "//cac:DeliveryLocation//cac:Country",
            ),
        ),
        then(BASE, lambda x, s: add_delivery(x, s)),
    ),
    "BR-61": Case(spec(payment={"iban": None, "bic": None, "account_name": None})),
    "BR-62": Case(spec(seller={"electronic_address": (None, "rechnung@muster-buero.example")})),
    "BR-63": Case(spec(buyer={"electronic_address": (None, "e-rechnung@musterstadt.example")})),
    "BR-64": Case(
        then(
            BASE,
            item_fragment(
                f"<ram:GlobalID {C}>4012345678901</ram:GlobalID>",
                f"<cac:StandardItemIdentification {U}><cbc:ID>4012345678901</cbc:ID>"
                "</cac:StandardItemIdentification>",
                cii_first=True,
            ),
        ),
        then(
            BASE,
            item_fragment(
                f'<ram:GlobalID {C} schemeID="0160">4012345678901</ram:GlobalID>',
                f'<cac:StandardItemIdentification {U}><cbc:ID schemeID="0160">4012345678901'
                "</cbc:ID></cac:StandardItemIdentification>",
                cii_first=True,
            ),
        ),
    ),
    "BR-65": Case(
        then(
            BASE,
            item_fragment(
                f"<ram:DesignatedProductClassification {C}><ram:ClassCode>30192700</ram:ClassCode>"
                "</ram:DesignatedProductClassification>",
                f"<cac:CommodityClassification {U}><cbc:ItemClassificationCode>30192700"
                "</cbc:ItemClassificationCode></cac:CommodityClassification>",
            ),
        ),
        then(
            BASE,
            item_fragment(
                f'<ram:DesignatedProductClassification {C}><ram:ClassCode listID="STI">30192700'
                "</ram:ClassCode></ram:DesignatedProductClassification>",
                f'<cac:CommodityClassification {U}><cbc:ItemClassificationCode listID="STI">'
                "30192700</cbc:ItemClassificationCode></cac:CommodityClassification>",
            ),
        ),
    ),
    # --- EN 16931 conditions -----------------------------------------------------------------
    "BR-CO-03": Case(then(BASE, tax_point(True, "5")), then(BASE, tax_point(True, None))),
    "BR-CO-04": Case(spec(lines=[{"vat_category": None}])),
    "BR-CO-09": Case(spec(seller={"vat_id": "123456789"})),
    "BR-CO-10": Case(spec(totals={"line_net_total": "44.99"})),
    "BR-CO-11": Case(
        spec(allowances=[ALLOWANCE], totals={"allowance_total": "4.99"}),
        spec(allowances=[ALLOWANCE]),
    ),
    "BR-CO-12": Case(
        spec(charges=[CHARGE], totals={"charge_total": "4.91"}), spec(charges=[CHARGE])
    ),
    "BR-CO-13": Case(spec(totals={"total_without_vat": "45.01"})),
    "BR-CO-14": Case(spec(totals={"vat_total": "8.56"})),
    "BR-CO-15": Case(spec(totals={"total_with_vat": "53.56"})),
    "BR-CO-16": Case(
        spec(totals={"paid_amount": "10.00", "amount_due": "53.55"}),
        spec(totals={"paid_amount": "10.00", "rounding_amount": "0.45", "amount_due": "44.00"}),
    ),
    "BR-CO-17": Case(
        spec(
            **explicit_breakdown(tax="9.60"),
            totals={"vat_total": "9.60", "total_with_vat": "54.60"},
        )
    ),
    "BR-CO-18": Case(then(BASE, rm(CII_HEADER_TAX, UBL_SUBTOTAL))),
    "BR-CO-19": Case(then(BASE, period("", "")), then(BASE, period("2025-03-01", ""))),
    "BR-CO-20": Case(then(BASE, line_period("", "")), then(BASE, line_period("", "2025-03-31"))),
    "BR-CO-21": Case(
        spec(allowances=[{**ALLOWANCE, "reason": None, "reason_code": None}]),
        spec(allowances=[{**ALLOWANCE, "reason": None}]),
    ),
    "BR-CO-22": Case(
        spec(charges=[{**CHARGE, "reason": None, "reason_code": None}]),
        spec(charges=[{**CHARGE, "reason_code": None}]),
    ),
    "BR-CO-23": Case(
        then(spec(**line_fixed_net("44.00")), line_allowance_charge(reason=None)),
        then(spec(**line_fixed_net("44.00")), line_allowance_charge()),
    ),
    "BR-CO-24": Case(
        then(spec(**line_fixed_net("46.00")), line_allowance_charge(charge=True, reason=None)),
        then(spec(**line_fixed_net("46.00")), line_allowance_charge(charge=True)),
    ),
    "BR-CO-25": Case(spec(due_date=None, payment_terms=None), spec(due_date=None)),
    "BR-CO-26": Case(spec(seller={"vat_id": None, "tax_number": None})),
    # --- code lists ----------------------------------------------------------------------------
    "BR-CL-01": Case(spec(type_code="999")),
    "BR-CL-03": Case(
        then(
            BASE,
            per_syntax(
                lambda x: set_attribute(x, "//ram:TaxTotalAmount", "currencyID", "EUX"),
                lambda x: set_attribute(x, "//cbc:PayableAmount", "currencyID", "EUX"),
            ),
        )
    ),
    "BR-CL-04": Case(spec(currency="EUX")),
    "BR-CL-05": Case(
        spec(tax_currency="XYZ", totals={"vat_total_accounting_currency": "9.30"}),
        spec(tax_currency="USD", totals={"vat_total_accounting_currency": "9.30"}),
    ),
    "BR-CL-06": Case(
        then(BASE, tax_point(False, "99")),
        lambda syntax: tax_point(False, "5" if syntax == "cii" else "3")(
            build({}, syntax=syntax), syntax
        ),
    ),
    "BR-CL-07": Case(then(BASE, object_identifier("XQZ")), then(BASE, object_identifier("AAA"))),
    "BR-CL-08": Case(
        spec(notes=[{"subject": "QQQ", "text": "Hinweis"}]),
        spec(notes=[{"subject": "AAI", "text": "Hinweis"}]),
        syntaxes=("cii",),
    ),
    "BR-CL-10": Case(then(BASE, buyer_identifier("9999")), then(BASE, buyer_identifier("0088"))),
    "BR-CL-11": Case(
        then(BASE, legal_registration("9999")), then(BASE, legal_registration("0002"))
    ),
    "BR-CL-13": Case(
        then(
            BASE,
            item_fragment(
                f'<ram:DesignatedProductClassification {C}><ram:ClassCode listID="QQ">1'
                "</ram:ClassCode></ram:DesignatedProductClassification>",
                f'<cac:CommodityClassification {U}><cbc:ItemClassificationCode listID="QQ">1'
                "</cbc:ItemClassificationCode></cac:CommodityClassification>",
            ),
        ),
    ),
    "BR-CL-14": Case(spec(seller={"country": "XX"})),
    "BR-CL-15": Case(
        then(
            BASE,
            item_fragment(
                f"<ram:OriginTradeCountry {C}><ram:ID>XX</ram:ID></ram:OriginTradeCountry>",
                f"<cac:OriginCountry {U}><cbc:IdentificationCode>XX</cbc:IdentificationCode>"
                "</cac:OriginCountry>",
            ),
        ),
        then(
            BASE,
            item_fragment(
                f"<ram:OriginTradeCountry {C}><ram:ID>DE</ram:ID></ram:OriginTradeCountry>",
                f"<cac:OriginCountry {U}><cbc:IdentificationCode>DE</cbc:IdentificationCode>"
                "</cac:OriginCountry>",
            ),
        ),
    ),
    "BR-CL-16": Case(spec(payment={"means_code": "999"})),
    "BR-CL-17": Case(spec(**explicit_breakdown(category="Q"))),
    "BR-CL-18": Case(spec(lines=[{"vat_category": "Q"}])),
    "BR-CL-19": Case(
        spec(allowances=[{**ALLOWANCE, "reason_code": "999"}]), spec(allowances=[ALLOWANCE])
    ),
    "BR-CL-20": Case(spec(charges=[{**CHARGE, "reason_code": "QQQ"}]), spec(charges=[CHARGE])),
    "BR-CL-21": Case(
        then(
            BASE,
            item_fragment(
                f'<ram:GlobalID {C} schemeID="9999">4012345678901</ram:GlobalID>',
                f'<cac:StandardItemIdentification {U}><cbc:ID schemeID="9999">4012345678901'
                "</cbc:ID></cac:StandardItemIdentification>",
                cii_first=True,
            ),
        ),
    ),
    "BR-CL-23": Case(spec(lines=[{"unit": "QQQ"}])),
    "BR-CL-24": Case(
        spec(attachments=[attachment(mime="text/html")]), spec(attachments=[attachment()])
    ),
    "BR-CL-25": Case(spec(seller={"electronic_address": ("QQ", "rechnung@muster-buero.example")})),
    "BR-CL-26": Case(
        then(BASE, delivery_location_id("9999")), then(BASE, delivery_location_id("0088"))
    ),
    # --- decimals -------------------------------------------------------------------------------
    "BR-DEC-01": Case(
        spec(allowances=[{**ALLOWANCE, "amount": "5.000"}]), spec(allowances=[ALLOWANCE])
    ),
    "BR-DEC-02": Case(
        spec(allowances=[{**ALLOWANCE, "base_amount": "45.000"}]), spec(allowances=[ALLOWANCE])
    ),
    "BR-DEC-05": Case(spec(charges=[{**CHARGE, "amount": "4.900"}]), spec(charges=[CHARGE])),
    "BR-DEC-06": Case(
        spec(charges=[{**CHARGE, "base_amount": "10.000", "percentage": "49"}]),
        spec(charges=[{**CHARGE, "base_amount": "10.00", "percentage": "49"}]),
    ),
    "BR-DEC-09": Case(spec(totals={"line_net_total": "45.000"})),
    "BR-DEC-10": Case(
        spec(allowances=[ALLOWANCE], totals={"allowance_total": "5.000"}),
        spec(allowances=[ALLOWANCE]),
    ),
    "BR-DEC-11": Case(
        spec(charges=[CHARGE], totals={"charge_total": "4.900"}), spec(charges=[CHARGE])
    ),
    "BR-DEC-12": Case(spec(totals={"total_without_vat": "45.000"})),
    "BR-DEC-13": Case(spec(totals={"vat_total": "8.550"})),
    "BR-DEC-14": Case(spec(totals={"total_with_vat": "53.550"})),
    "BR-DEC-15": Case(
        spec(tax_currency="USD", totals={"vat_total_accounting_currency": "9.300"}),
        spec(tax_currency="USD", totals={"vat_total_accounting_currency": "9.30"}),
    ),
    "BR-DEC-16": Case(
        spec(totals={"paid_amount": "10.000", "amount_due": "43.55"}),
        spec(totals={"paid_amount": "10.00", "amount_due": "43.55"}),
    ),
    "BR-DEC-17": Case(
        spec(totals={"rounding_amount": "0.450", "amount_due": "54.00"}),
        spec(totals={"rounding_amount": "0.45", "amount_due": "54.00"}),
    ),
    "BR-DEC-18": Case(spec(totals={"amount_due": "53.550"})),
    "BR-DEC-19": Case(spec(**explicit_breakdown(taxable="45.000"))),
    "BR-DEC-20": Case(spec(**explicit_breakdown(tax="8.550"))),
    "BR-DEC-23": Case(spec(lines=[{"net_amount": "45.000"}])),
    "BR-DEC-24": Case(
        then(spec(**line_fixed_net("44.00")), line_allowance_charge(amount="1.000")),
        then(spec(**line_fixed_net("44.00")), line_allowance_charge()),
    ),
    "BR-DEC-25": Case(
        then(spec(**line_fixed_net("44.00")), line_allowance_charge(amount="1.00", base="45.000")),
        then(spec(**line_fixed_net("44.00")), line_allowance_charge(amount="1.00", base="45.00")),
    ),
    "BR-DEC-27": Case(
        then(spec(**line_fixed_net("46.00")), line_allowance_charge(charge=True, amount="1.000")),
        then(spec(**line_fixed_net("46.00")), line_allowance_charge(charge=True)),
    ),
    "BR-DEC-28": Case(
        then(
            spec(**line_fixed_net("46.00")),
            line_allowance_charge(charge=True, amount="1.00", base="45.000"),
        ),
        then(
            spec(**line_fixed_net("46.00")),
            line_allowance_charge(charge=True, amount="1.00", base="45.00"),
        ),
    ),
    # --- XRechnung ---------------------------------------------------------------------------
    "BR-DE-1": Case(spec(payment=None)),
    "BR-DE-2": Case(spec(seller={"contact": None})),
    "BR-DE-3": Case(spec(seller={"city": None})),
    "BR-DE-4": Case(spec(seller={"post_code": None})),
    "BR-DE-5": Case(spec(seller={"contact": {"name": None}})),
    "BR-DE-6": Case(spec(seller={"contact": {"phone": None}})),
    "BR-DE-7": Case(spec(seller={"contact": {"email": None}})),
    "BR-DE-8": Case(spec(buyer={"city": None})),
    "BR-DE-9": Case(spec(buyer={"post_code": None})),
    "BR-DE-10": Case(
        then(
            BASE,
            lambda x, s: remove(
                add_delivery(x, s),
                "//ram:ShipToTradeParty//ram:CityName"
                if s == "cii"
                else "//cac:DeliveryLocation//cbc:CityName",
            ),
        ),
        then(BASE, lambda x, s: add_delivery(x, s)),
    ),
    "BR-DE-11": Case(
        then(
            BASE,
            lambda x, s: remove(
                add_delivery(x, s),
                "//ram:ShipToTradeParty//ram:PostcodeCode"
                if s == "cii"
                else "//cac:DeliveryLocation//cbc:PostalZone",
            ),
        ),
        then(BASE, lambda x, s: add_delivery(x, s)),
    ),
    "BR-DE-14": Case(spec(**explicit_breakdown(rate=None))),
    "BR-DE-15": Case(spec(buyer_reference=None)),
    "BR-DE-16": Case(
        spec(seller={"vat_id": None}), spec(seller={"vat_id": None, "tax_number": "201/113/40209"})
    ),
    "BR-DE-17": Case(spec(type_code="82")),
    "BR-DE-18": Case(
        spec(payment_terms="#SKONTO#TAGE=14#PROZENT=2#\n"), spec(payment_terms=SKONTO_OK)
    ),
    "BR-DE-19": Case(spec(payment={"iban": "DE02120300000000202052"})),
    "BR-DE-20": Case(
        spec(payment={**DIRECT_DEBIT, "debited_iban": "DE02120300000000202052"}),
        spec(payment=DIRECT_DEBIT),
    ),
    "BR-DE-21": Case(
        spec(
            specification_id="urn:cen.eu:en16931:2017#compliant#urn:xoev-de:kosit:standard:xrechnung_2.3"
        )
    ),
    "BR-DE-22": Case(
        spec(attachments=[attachment(), attachment(reference="LS-2")]),
        spec(attachments=[attachment(), attachment("lieferschein-2.pdf", "LS-2")]),
    ),
    "BR-DE-23-a": Case(spec(payment={"iban": None, "bic": None})),
    "BR-DE-23-b": Case(
        spec(payment={"mandate": "MANDAT-1", "debited_iban": "DE02120300000000202051"})
    ),
    "BR-DE-24-a": Case(
        spec(payment={"means_code": "48", "iban": None, "bic": None}),
        then(spec(payment={"means_code": "48", "iban": None, "bic": None}), card()),
    ),
    "BR-DE-24-b": Case(
        then(spec(payment={"means_code": "48"}), card()),
        then(spec(payment={"means_code": "48", "iban": None, "bic": None}), card()),
    ),
    "BR-DE-25-a": Case(
        spec(payment={**DIRECT_DEBIT, "mandate": None, "creditor_id": None, "debited_iban": None}),
        spec(payment=DIRECT_DEBIT),
    ),
    "BR-DE-25-b": Case(
        spec(payment={**DIRECT_DEBIT, "iban": "DE02120300000000202051"}), spec(payment=DIRECT_DEBIT)
    ),
    "BR-DE-26": Case(
        spec(type_code="384"), spec(type_code="384", preceding_invoice={"reference": "RE-1"})
    ),
    "BR-DE-27": Case(spec(seller={"contact": {"phone": "12"}})),
    "BR-DE-28": Case(spec(seller={"contact": {"email": "hans@.example"}})),
    "BR-DE-30": Case(
        spec(payment={**DIRECT_DEBIT, "creditor_id": None}), spec(payment=DIRECT_DEBIT)
    ),
    "BR-DE-31": Case(
        spec(payment={**DIRECT_DEBIT, "debited_iban": None}), spec(payment=DIRECT_DEBIT)
    ),
    "BR-DEX-02": Case(
        then(spec(**EXTENSION), sub_line("40.00")), then(spec(**EXTENSION), sub_line("45.00"))
    ),
    # --- DMS -----------------------------------------------------------------------------------
    "DMS-CALC-01": Case(spec(lines=[{"net_amount": "46.00"}])),
    "DMS-CALC-02": Case(
        spec(
            **explicit_breakdown(tax="8.75"),
            totals={"vat_total": "8.75", "total_with_vat": "53.75"},
        )
    ),
    "DMS-CALC-03": Case(
        spec(
            **explicit_breakdown(taxable="45.50", tax="8.65"),
            totals={"vat_total": "8.65", "total_with_vat": "53.65"},
        ),  # fmt: skip
    ),
    "DMS-LEITWEG": Case(
        spec(buyer_reference="Einkauf Hr. Meier"), spec(buyer_reference="04011000-12345-03")
    ),  # fmt: skip
    "DMS-SIGN": Case(spec(lines=[{"quantity": "-10"}])),
}


# --- VAT categories ---------------------------------------------------------------------------

#: per category: line rate, a wrong line rate, spec additions for a valid invoice
CATEGORY_SETUP: dict[str, tuple[str, str, dict[str, Any]]] = {
    "S": ("19", "0", {}),
    "Z": ("0", "5", {}),
    "E": ("0", "5", {}),
    "AE": ("0", "5", {"buyer": {"vat_id": "ATU12345678", "country": "AT"}}),
    "K": ("0", "5", {"buyer": {"vat_id": "ATU12345678", "country": "AT"}}),
    "G": ("0", "5", {"buyer": {"country": "CH"}}),
    "O": ("0", "0", {}),
    "L": ("7", "-1", {}),
    "M": ("4", "-1", {}),
}
PREFIX = {"S": "BR-S", "Z": "BR-Z", "E": "BR-E", "AE": "BR-AE", "K": "BR-IC", "G": "BR-G",
          "O": "BR-O", "L": "BR-AF", "M": "BR-AG"}  # fmt: skip
FORBIDDEN_EXEMPTION = frozenset({"S", "Z", "L", "M"})
BREAKDOWN_CATEGORY = (
    "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode",
    "/*/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:ID",
)
BREAKDOWN_TAXABLE = (
    "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:BasisAmount",
    "/*/cac:TaxTotal/cac:TaxSubtotal/cbc:TaxableAmount",
)
BREAKDOWN_TAX = (
    "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:CalculatedAmount",
    "/*/cac:TaxTotal/cac:TaxSubtotal/cbc:TaxAmount",
)


def category_invoice(
    code: str,
    *,
    extra: dict[str, Any] | None = None,
    line_rate: str | None = None,
    allowance_rate: str | None = None,
    charge_rate: str | None = None,
    keep_o_rates: bool = False,
    exemption_code: str | None = None,
) -> Make:
    """A valid invoice whose lines are of VAT category ``code`` (optionally with an allowance
    or charge of that category), with deviations for the failing cases."""
    rate, _, setup = CATEGORY_SETUP[code]
    values: dict[str, Any] = {
        **setup,
        "lines": [{"vat_category": code, "vat_rate": line_rate or rate}],
    }
    if allowance_rate is not None:
        values["allowances"] = [
            {"amount": "5.00", "reason": "Rabatt", "vat_category": code, "vat_rate": allowance_rate}
        ]
    if charge_rate is not None:
        values["charges"] = [
            {"amount": "4.90", "reason": "Versand", "vat_category": code, "vat_rate": charge_rate}
        ]
    for key, value in (extra or {}).items():
        values[key] = {**values.get(key, {}), **value} if isinstance(value, dict) else value

    def make(syntax: str) -> bytes:
        if code == "O" and not keep_o_rates:
            xml = build_not_subject_to_vat(values, syntax=syntax)
        elif code == "O":
            o_values = {**values, "seller": {"vat_id": None, "tax_number": "201/113/40209",
                                              **values.get("seller", {})}}  # fmt: skip
            xml = build(o_values, syntax=syntax)
        else:
            xml = build(values, syntax=syntax)
        if code == "K":
            xml = add_delivery(xml, "cii" if syntax == "cii" else "ubl")
        if exemption_code is not None:
            xml = add(
                (CII_HEADER_TAX, f"<ram:ExemptionReasonCode {C}>{exemption_code}"
                 "</ram:ExemptionReasonCode>", "ram:CategoryCode"),
                (UBL_SUBTOTAL + "/cac:TaxCategory", f"<cbc:TaxExemptionReasonCode {U}>"
                 f"{exemption_code}</cbc:TaxExemptionReasonCode>", "cbc:Percent"),
            )(xml, syntax)  # fmt: skip
        return xml

    return make


def _party_defect(code: str) -> dict[str, Any]:
    if code in ("AE", "K"):
        return {"buyer": {"vat_id": None}}
    if code == "O":
        return {"seller": {"vat_id": "DE123456789"}}
    return {"seller": {"vat_id": None, "tax_number": None}}


def _exemption_mutation(code: str) -> Any:
    if code in FORBIDDEN_EXEMPTION:
        return add(
            (
                CII_HEADER_TAX,
                f"<ram:ExemptionReason {C}>steuerfrei</ram:ExemptionReason>",
                "ram:TypeCode",
            ),
            (
                UBL_SUBTOTAL + "/cac:TaxCategory",
                f"<cbc:TaxExemptionReason {U}>steuerfrei</cbc:TaxExemptionReason>",
                "cbc:ID",
            ),
        )
    return rm(
        CII_HEADER_TAX + "/ram:ExemptionReason",
        UBL_SUBTOTAL + "/cac:TaxCategory/cbc:TaxExemptionReason",
    )


def category_cases(code: str) -> dict[str, Case]:
    rate, wrong, _ = CATEGORY_SETUP[code]
    prefix = PREFIX[code]
    base = category_invoice(code)
    other = "Z" if code == "S" else "S"
    defect = _party_defect(code)
    tax_wrong = "20.00" if code in ("S", "L", "M") else "1.00"
    return {
        f"{prefix}-01": Case(then(base, txt(*BREAKDOWN_CATEGORY, other)), base),
        f"{prefix}-02": Case(category_invoice(code, extra=defect), base),
        f"{prefix}-03": Case(
            category_invoice(code, extra=defect, allowance_rate=rate),
            category_invoice(code, allowance_rate=rate),
        ),
        f"{prefix}-04": Case(
            category_invoice(code, extra=defect, charge_rate=rate),
            category_invoice(code, charge_rate=rate),
        ),
        f"{prefix}-05": Case(category_invoice(code, line_rate=wrong, keep_o_rates=True), base),
        f"{prefix}-06": Case(
            category_invoice(code, allowance_rate=wrong, keep_o_rates=True),
            category_invoice(code, allowance_rate=rate),
        ),
        f"{prefix}-07": Case(
            category_invoice(code, charge_rate=wrong, keep_o_rates=True),
            category_invoice(code, charge_rate=rate),
        ),
        f"{prefix}-08": Case(then(base, txt(*BREAKDOWN_TAXABLE, "50.00")), base),
        f"{prefix}-09": Case(then(base, txt(*BREAKDOWN_TAX, tax_wrong)), base),
        f"{prefix}-10": Case(then(base, _exemption_mutation(code)), base),
    }


def _o_second_breakdown(xml: bytes, syntax: str) -> bytes:
    if syntax == "cii":
        xml = duplicate(xml, CII_HEADER_TAX)
        return set_text(xml, "(" + CII_HEADER_TAX + ")[2]/ram:CategoryCode", "E")
    xml = duplicate(xml, UBL_SUBTOTAL)
    return set_text(xml, "(" + UBL_SUBTOTAL + ")[2]/cac:TaxCategory/cbc:ID", "E")


K_BASE = category_invoice("K")
O_BASE = category_invoice("O")
B_OK = spec(
    lines=[{"vat_category": "B", "vat_rate": "22"}],
    seller={"country": "IT", "vat_id": "IT12345678901"},
    buyer={"country": "IT"},
)
EXTRA_VAT_CASES: dict[str, Case] = {
    "BR-CL-22": Case(
        category_invoice("E", extra={}, exemption_code="VATEX-XX-1"),
        category_invoice("E", extra={}, exemption_code="vatex-eu-132-1i"),
    ),
    "BR-IC-11": Case(
        lambda syntax: build(
            {**CATEGORY_SETUP["K"][2], "lines": [{"vat_category": "K", "vat_rate": "0"}]},
            syntax=syntax,
        ),
        K_BASE,
    ),
    "BR-IC-12": Case(
        then(
            K_BASE,
            rm("//ram:ShipToTradeParty//ram:CountryID", "//cac:DeliveryLocation//cac:Country"),
        ),
        K_BASE,
    ),
    "BR-O-11": Case(then(O_BASE, _o_second_breakdown), O_BASE),
    "BR-O-12": Case(
        then(
            O_BASE,
            txt(
                CII_LINE_SETTLEMENT + "/ram:ApplicableTradeTax/ram:CategoryCode",
                "(" + UBL_LINE + ")/cac:Item/cac:ClassifiedTaxCategory/cbc:ID",
                "S",
            ),
        ),
        O_BASE,
    ),
    "BR-O-13": Case(
        then(
            category_invoice("O", allowance_rate="0"),
            txt(
                "//ram:SpecifiedTradeAllowanceCharge/ram:CategoryTradeTax/ram:CategoryCode",
                "/*/cac:AllowanceCharge/cac:TaxCategory/cbc:ID",
                "S",
            ),
        ),
        category_invoice("O", allowance_rate="0"),
    ),
    "BR-O-14": Case(
        then(
            category_invoice("O", charge_rate="0"),
            txt(
                "//ram:SpecifiedTradeAllowanceCharge/ram:CategoryTradeTax/ram:CategoryCode",
                "/*/cac:AllowanceCharge/cac:TaxCategory/cbc:ID",
                "S",
            ),
        ),
        category_invoice("O", charge_rate="0"),
    ),
    "BR-B-01": Case(spec(lines=[{"vat_category": "B", "vat_rate": "22"}]), B_OK),
    "BR-B-02": Case(
        spec(
            lines=[{"vat_category": "B", "vat_rate": "22"}, {"id": "2"}],
            seller={"country": "IT", "vat_id": "IT12345678901"},
            buyer={"country": "IT"},
        ),
        B_OK,
    ),
}

for _code in CATEGORY_SETUP:
    CASES.update(category_cases(_code))
CASES.update(EXTRA_VAT_CASES)
