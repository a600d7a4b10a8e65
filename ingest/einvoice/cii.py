"""UN/CEFACT Cross Industry Invoice (CII D16B, as used by XRechnung, ZUGFeRD 2.x and Factur-X)
into the model; ZUGFeRD 1.0 documents are mapped onto the same structure first.

The mapping follows the EN 16931-3-3 CII binding. Lines of the XRechnung extension that name a
``ram:ParentLineID`` become ``sub_lines`` of that line.

ZUGFeRD 1.0 (``urn:ferd:CrossIndustryDocument:invoice:1p0``, based on CII D13B) predates
EN 16931. :func:`parse_zugferd1` renames its elements in place to their D16B counterparts
(``HeaderExchangedDocument`` -> ``ExchangedDocument``, ``ApplicableSupplyChainTradeAgreement``
-> ``ApplicableHeaderTradeAgreement``, ``ApplicablePercent`` -> ``RateApplicablePercent``,
``ReferencedDocument/ID`` -> ``IssuerAssignedID``, ...) and then reads it like CII. The terms
that exist in both are read; the locations recorded for such an invoice name the D16B elements.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from lxml import etree

from ingest.einvoice._read import (
    Index,
    Reader,
    first,
    identifier,
    index,
    joined,
    step,
    text,
    text_of,
)
from ingest.einvoice.model import (
    AllowanceCharge,
    Attachment,
    Buyer,
    Contact,
    CreditTransfer,
    Delivery,
    DirectDebit,
    DocumentTotals,
    Identifier,
    Invoice,
    InvoiceLine,
    Item,
    ItemAttribute,
    ItemClassification,
    LineVat,
    Note,
    ParseIssue,
    Payee,
    PaymentCard,
    PaymentInstructions,
    Period,
    PostalAddress,
    PrecedingInvoice,
    PriceDetails,
    Seller,
    SellerTaxRepresentative,
    Syntax,
    VatBreakdown,
)
from ingest.einvoice.profiles import profile_from_specification

RSM_NS = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM_NS = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT_NS = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT_NS = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
ROOT = f"{{{RSM_NS}}}CrossIndustryInvoice"
ZUGFERD1_NS = "urn:ferd:CrossIndustryDocument:invoice:1p0"
ZUGFERD1_ROOT = f"{{{ZUGFERD1_NS}}}CrossIndustryDocument"

#: Prefixes used in the locations this parser records (for evaluating them with lxml).
NAMESPACES = {"rsm": RSM_NS, "ram": RAM_NS, "udt": UDT_NS, "qdt": QDT_NS}

_R = f"{{{RAM_NS}}}"
_S = f"{{{RSM_NS}}}"
_U = f"{{{UDT_NS}}}"

ID = _R + "ID"
GLOBAL_ID = _R + "GlobalID"
NAME = _R + "Name"
TYPE_CODE = _R + "TypeCode"
CATEGORY_CODE = _R + "CategoryCode"
RATE = _R + "RateApplicablePercent"
ISSUER_ASSIGNED_ID = _R + "IssuerAssignedID"
LINE_ID = _R + "LineID"
CONTENT = _R + "Content"
DESCRIPTION = _R + "Description"
BASIS_AMOUNT = _R + "BasisAmount"
ACTUAL_AMOUNT = _R + "ActualAmount"
CHARGE_AMOUNT = _R + "ChargeAmount"
BASIS_QUANTITY = _R + "BasisQuantity"
POSTAL_TRADE_ADDRESS = _R + "PostalTradeAddress"
SPECIFIED_LEGAL_ORGANIZATION = _R + "SpecifiedLegalOrganization"
SPECIFIED_TAX_REGISTRATION = _R + "SpecifiedTaxRegistration"
URI_COMMUNICATION = _R + "URIUniversalCommunication"
URIID = _R + "URIID"
ADDITIONAL_REFERENCED_DOCUMENT = _R + "AdditionalReferencedDocument"
BILLING_PERIOD = _R + "BillingSpecifiedPeriod"
ALLOWANCE_CHARGE = _R + "SpecifiedTradeAllowanceCharge"
ACCOUNTING_ACCOUNT = _R + "ReceivableSpecifiedTradeAccountingAccount"
APPLICABLE_TRADE_TAX = _R + "ApplicableTradeTax"

_ROOT_LOCATION = "/rsm:CrossIndustryInvoice"
_TRANSACTION = _ROOT_LOCATION + "/rsm:SupplyChainTradeTransaction"
_AGREEMENT = _TRANSACTION + "/ram:ApplicableHeaderTradeAgreement"
_DELIVERY = _TRANSACTION + "/ram:ApplicableHeaderTradeDelivery"
_SETTLEMENT = _TRANSACTION + "/ram:ApplicableHeaderTradeSettlement"


def parse(root: etree._Element) -> Invoice:
    """Read a ``rsm:CrossIndustryInvoice`` root element into an :class:`Invoice`."""
    return _CiiParser(Syntax.CII).invoice(root)


def parse_zugferd1(root: etree._Element) -> Invoice:
    """Read a ZUGFeRD 1.0 ``rsm:CrossIndustryDocument`` as far as it maps onto EN 16931.

    The tree is modified in place (element names only); it was parsed for this call anyway.
    """
    normalize_zugferd1(root)
    return _CiiParser(Syntax.ZUGFERD1).invoice(root)


# --- ZUGFeRD 1.0 -> CII D16B element names --------------------------------------------------

_ZF1_NAMESPACES = {
    ZUGFERD1_NS: RSM_NS,
    "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12": RAM_NS,
    "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:15": UDT_NS,
    "urn:un:unece:uncefact:data:standard:QualifiedDataType:12": QDT_NS,
}
_ZF1_RENAMES = {
    "CrossIndustryDocument": "CrossIndustryInvoice",
    "SpecifiedExchangedDocumentContext": "ExchangedDocumentContext",
    "HeaderExchangedDocument": "ExchangedDocument",
    "SpecifiedSupplyChainTradeTransaction": "SupplyChainTradeTransaction",
    "ApplicableSupplyChainTradeAgreement": "ApplicableHeaderTradeAgreement",
    "ApplicableSupplyChainTradeDelivery": "ApplicableHeaderTradeDelivery",
    "ApplicableSupplyChainTradeSettlement": "ApplicableHeaderTradeSettlement",
    "SpecifiedSupplyChainTradeAgreement": "SpecifiedLineTradeAgreement",
    "SpecifiedSupplyChainTradeDelivery": "SpecifiedLineTradeDelivery",
    "SpecifiedSupplyChainTradeSettlement": "SpecifiedLineTradeSettlement",
    "ApplicablePercent": "RateApplicablePercent",
}


def normalize_zugferd1(root: etree._Element) -> None:
    """Rename a ZUGFeRD 1.0 tree's elements to CII D16B, in place (document order)."""
    for element in root.iter():
        tag = element.tag
        if not isinstance(tag, str) or tag[0] != "{":
            continue
        namespace, _, local = tag[1:].partition("}")
        namespace = _ZF1_NAMESPACES.get(namespace, namespace)
        local = _ZF1_RENAMES.get(local, local)
        if local == "SpecifiedTradeSettlementMonetarySummation":
            parent = element.getparent()
            header = parent is not None and parent.tag.endswith("}ApplicableHeaderTradeSettlement")
            local = (
                "SpecifiedTradeSettlementHeaderMonetarySummation"
                if header
                else "SpecifiedTradeSettlementLineMonetarySummation"
            )
        elif local == "ID":
            parent = element.getparent()
            if parent is not None and parent.tag.endswith("ReferencedDocument"):
                local = "IssuerAssignedID"
        element.tag = f"{{{namespace}}}{local}"


# --- the parser -----------------------------------------------------------------------------


class _CiiParser:
    __slots__ = ("syntax", "r")

    def __init__(self, syntax: Syntax) -> None:
        self.syntax = syntax
        self.r = Reader()

    def invoice(self, root: etree._Element) -> Invoice:
        r = self.r
        d = index(root)
        context = first(d, _S + "ExchangedDocumentContext")
        cd = index(context) if context is not None else {}
        spec = _parameter_id(first(cd, _R + "GuidelineSpecifiedDocumentContextParameter"))
        process = _parameter_id(first(cd, _R + "BusinessProcessSpecifiedDocumentContextParameter"))

        document = first(d, _S + "ExchangedDocument")
        dd = index(document) if document is not None else {}
        doc_loc = _ROOT_LOCATION + "/rsm:ExchangedDocument"
        notes = []
        for i, note in enumerate(dd.get(_R + "IncludedNote", ())):
            nd = index(note)
            notes.append(
                Note(
                    subject_code=text(nd, _R + "SubjectCode"),
                    text=joined(nd, CONTENT),
                    location=step(doc_loc, "ram:IncludedNote", i),
                )
            )

        transaction = first(d, _S + "SupplyChainTradeTransaction")
        td = index(transaction) if transaction is not None else {}
        agreement = first(td, _R + "ApplicableHeaderTradeAgreement")
        ad = index(agreement) if agreement is not None else {}
        delivery_el = first(td, _R + "ApplicableHeaderTradeDelivery")
        ded = index(delivery_el) if delivery_el is not None else {}
        settlement = first(td, _R + "ApplicableHeaderTradeSettlement")
        sd = index(settlement) if settlement is not None else {}

        tender = invoiced_object = None
        attachments = []
        for i, ref in enumerate(ad.get(ADDITIONAL_REFERENCED_DOCUMENT, ())):
            rd = index(ref)
            type_code = text(rd, TYPE_CODE)
            if type_code == "50" and tender is None:
                tender = text(rd, ISSUER_ASSIGNED_ID)
            elif type_code == "130" and invoiced_object is None:
                value = text(rd, ISSUER_ASSIGNED_ID)
                invoiced_object = Identifier(value or "", text(rd, _R + "ReferenceTypeCode"))
            else:
                attachments.append(
                    self.attachment(rd, step(_AGREEMENT, "ram:AdditionalReferencedDocument", i))
                )

        currency = text(sd, _R + "InvoiceCurrencyCode")
        tax_currency = text(sd, _R + "TaxCurrencyCode")
        vat_breakdown, tax_point_date, tax_point_code = self.vat_breakdown(sd)
        allowances, charges = self.allowances_charges(sd, _SETTLEMENT, document_level=True)

        terms_text: list[str] = []
        due_date = mandate = None
        for i, terms in enumerate(sd.get(_R + "SpecifiedTradePaymentTerms", ())):
            pd = index(terms)
            description = joined(pd, DESCRIPTION)
            if description is not None:
                terms_text.append(description)
            if due_date is None:
                due_date = r.cii_date(
                    first(pd, _R + "DueDateDateTime"),
                    step(_SETTLEMENT, "ram:SpecifiedTradePaymentTerms", i),
                    "BT-9",
                )
            if mandate is None:
                mandate = text(pd, _R + "DirectDebitMandateID")

        period_el = first(sd, BILLING_PERIOD)
        accounting = first(sd, ACCOUNTING_ACCOUNT)
        project = first(ad, _R + "SpecifiedProcuringProject")
        lines = self.lines(td.get(_R + "IncludedSupplyChainTradeLineItem", ()))
        return Invoice(
            syntax=self.syntax,
            profile=profile_from_specification(spec),
            number=text(dd, ID),
            issue_date=r.cii_date(first(dd, _R + "IssueDateTime"), doc_loc, "BT-2"),
            type_code=text(dd, TYPE_CODE),
            currency_code=currency,
            vat_accounting_currency_code=tax_currency,
            tax_point_date=tax_point_date,
            tax_point_date_code=tax_point_code,
            due_date=due_date,
            buyer_reference=text(ad, _R + "BuyerReference"),
            project_reference=text_of(project.find(ID)) if project is not None else None,
            contract_reference=_referenced_id(first(ad, _R + "ContractReferencedDocument")),
            purchase_order_reference=_referenced_id(first(ad, _R + "BuyerOrderReferencedDocument")),
            sales_order_reference=_referenced_id(first(ad, _R + "SellerOrderReferencedDocument")),
            receiving_advice_reference=_referenced_id(
                first(ded, _R + "ReceivingAdviceReferencedDocument")
            ),
            despatch_advice_reference=_referenced_id(
                first(ded, _R + "DespatchAdviceReferencedDocument")
            ),
            tender_or_lot_reference=tender,
            invoiced_object_identifier=invoiced_object,
            buyer_accounting_reference=text_of(accounting.find(ID))
            if accounting is not None
            else None,
            payment_terms="\n".join(terms_text) if terms_text else None,
            notes=tuple(notes),
            business_process=process,
            specification_identifier=spec,
            preceding_invoices=self.preceding_invoices(sd),
            seller=self.seller(
                first(ad, _R + "SellerTradeParty"), _AGREEMENT + "/ram:SellerTradeParty"
            ),
            buyer=self.buyer(
                first(ad, _R + "BuyerTradeParty"), _AGREEMENT + "/ram:BuyerTradeParty"
            ),
            payee=self.payee(
                first(sd, _R + "PayeeTradeParty"), _SETTLEMENT + "/ram:PayeeTradeParty"
            ),
            seller_tax_representative=self.tax_representative(
                first(ad, _R + "SellerTaxRepresentativeTradeParty"),
                _AGREEMENT + "/ram:SellerTaxRepresentativeTradeParty",
            ),
            delivery=self.delivery(ded),
            invoicing_period=self.period(
                period_el, _SETTLEMENT + "/ram:BillingSpecifiedPeriod", "BG-14"
            )
            if period_el is not None
            else None,
            payment_instructions=self.payment(sd, mandate),
            allowances=allowances,
            charges=charges,
            totals=self.totals(
                first(sd, _R + "SpecifiedTradeSettlementHeaderMonetarySummation"),
                currency,
                tax_currency,
            ),
            vat_breakdown=vat_breakdown,
            attachments=tuple(attachments),
            lines=lines,
            parse_issues=tuple(r.issues),
            location=_ROOT_LOCATION,
        )

    def preceding_invoices(self, sd: Index) -> tuple[PrecedingInvoice, ...]:
        found = []
        for i, ref in enumerate(sd.get(_R + "InvoiceReferencedDocument", ())):
            loc = step(_SETTLEMENT, "ram:InvoiceReferencedDocument", i)
            rd = index(ref)
            found.append(
                PrecedingInvoice(
                    reference=text(rd, ISSUER_ASSIGNED_ID),
                    issue_date=self.r.cii_date(
                        first(rd, _R + "FormattedIssueDateTime"), loc, "BT-26"
                    ),
                    location=loc,
                )
            )
        return tuple(found)

    def attachment(self, rd: Index, loc: str) -> Attachment:
        binary = first(rd, _R + "AttachmentBinaryObject")
        return Attachment(
            reference=text(rd, ISSUER_ASSIGNED_ID),
            description=text(rd, NAME),
            external_uri=text(rd, URIID),
            content_base64=text_of(binary),
            mime_code=binary.get("mimeCode") if binary is not None else None,
            filename=binary.get("filename") if binary is not None else None,
            type_code=text(rd, TYPE_CODE),
            location=loc,
        )

    # --- parties ----------------------------------------------------------------------------

    @staticmethod
    def address(element: etree._Element | None, loc: str) -> PostalAddress | None:
        if element is None:
            return None
        d = index(element)
        return PostalAddress(
            line1=text(d, _R + "LineOne"),
            line2=text(d, _R + "LineTwo"),
            line3=text(d, _R + "LineThree"),
            city=text(d, _R + "CityName"),
            post_code=text(d, _R + "PostcodeCode"),
            country_subdivision=text(d, _R + "CountrySubDivisionName"),
            country_code=text(d, _R + "CountryID"),
            location=loc,
        )

    @staticmethod
    def contact(element: etree._Element | None, loc: str) -> Contact | None:
        if element is None:
            return None
        d = index(element)
        name = text(d, _R + "PersonName")
        if name is None:
            name = text(d, _R + "DepartmentName")
        phone = first(d, _R + "TelephoneUniversalCommunication")
        email = first(d, _R + "EmailURIUniversalCommunication")
        return Contact(
            name=name,
            telephone=text_of(phone.find(_R + "CompleteNumber")) if phone is not None else None,
            email=text_of(email.find(URIID)) if email is not None else None,
            location=loc,
        )

    @staticmethod
    def tax_registrations(d: Index) -> tuple[str | None, str | None]:
        """(VAT identifier, schemeID VA; tax number, schemeID FC)."""
        vat = fiscal = None
        for registration in d.get(SPECIFIED_TAX_REGISTRATION, ()):
            el = registration.find(ID)
            if el is None:
                continue
            scheme = el.get("schemeID")
            if scheme == "VA" and vat is None:
                vat = text_of(el)
            elif scheme == "FC" and fiscal is None:
                fiscal = text_of(el)
        return vat, fiscal

    @staticmethod
    def electronic_address(d: Index) -> Identifier | None:
        communication = first(d, URI_COMMUNICATION)
        return identifier(communication.find(URIID)) if communication is not None else None

    def seller(self, party: etree._Element | None, loc: str) -> Seller | None:
        if party is None:
            return None
        d = index(party)
        vat, fiscal = self.tax_registrations(d)
        legal = first(d, SPECIFIED_LEGAL_ORGANIZATION)
        ld = index(legal) if legal is not None else {}
        return Seller(
            name=text(d, NAME),
            trading_name=text(ld, _R + "TradingBusinessName"),
            identifiers=tuple(identifier(el) for el in d.get(ID, ()))
            + tuple(identifier(el) for el in d.get(GLOBAL_ID, ())),
            legal_registration_id=identifier(first(ld, ID)),
            vat_id=vat,
            tax_registration_id=fiscal,
            additional_legal_info=text(d, DESCRIPTION),
            electronic_address=self.electronic_address(d),
            address=self.address(
                first(d, POSTAL_TRADE_ADDRESS), step(loc, "ram:PostalTradeAddress")
            ),
            contact=self.contact(
                first(d, _R + "DefinedTradeContact"), step(loc, "ram:DefinedTradeContact")
            ),
            location=loc,
        )

    def buyer(self, party: etree._Element | None, loc: str) -> Buyer | None:
        if party is None:
            return None
        d = index(party)
        vat, _ = self.tax_registrations(d)
        legal = first(d, SPECIFIED_LEGAL_ORGANIZATION)
        ld = index(legal) if legal is not None else {}
        return Buyer(
            name=text(d, NAME),
            trading_name=text(ld, _R + "TradingBusinessName"),
            identifier=_party_id(d),
            legal_registration_id=identifier(first(ld, ID)),
            vat_id=vat,
            electronic_address=self.electronic_address(d),
            address=self.address(
                first(d, POSTAL_TRADE_ADDRESS), step(loc, "ram:PostalTradeAddress")
            ),
            contact=self.contact(
                first(d, _R + "DefinedTradeContact"), step(loc, "ram:DefinedTradeContact")
            ),
            location=loc,
        )

    @staticmethod
    def payee(party: etree._Element | None, loc: str) -> Payee | None:
        if party is None:
            return None
        d = index(party)
        legal = first(d, SPECIFIED_LEGAL_ORGANIZATION)
        return Payee(
            name=text(d, NAME),
            identifier=_party_id(d),
            legal_registration_id=identifier(legal.find(ID)) if legal is not None else None,
            location=loc,
        )

    def tax_representative(
        self, party: etree._Element | None, loc: str
    ) -> SellerTaxRepresentative | None:
        if party is None:
            return None
        d = index(party)
        vat, _ = self.tax_registrations(d)
        return SellerTaxRepresentative(
            name=text(d, NAME),
            vat_id=vat,
            address=self.address(
                first(d, POSTAL_TRADE_ADDRESS), step(loc, "ram:PostalTradeAddress")
            ),
            location=loc,
        )

    def delivery(self, ded: Index) -> Delivery | None:
        ship_to = first(ded, _R + "ShipToTradeParty")
        event = first(ded, _R + "ActualDeliverySupplyChainEvent")
        if ship_to is None and event is None:
            return None
        party_name = location_id = address = None
        if ship_to is not None:
            sd = index(ship_to)
            party_name = text(sd, NAME)
            location_id = _party_id(sd)
            address = self.address(
                first(sd, POSTAL_TRADE_ADDRESS),
                _DELIVERY + "/ram:ShipToTradeParty/ram:PostalTradeAddress",
            )
        delivered = None
        if event is not None:
            delivered = self.r.cii_date(
                event.find(_R + "OccurrenceDateTime"),
                _DELIVERY + "/ram:ActualDeliverySupplyChainEvent",
                "BT-72",
            )
        return Delivery(
            party_name=party_name,
            location_id=location_id,
            actual_delivery_date=delivered,
            address=address,
            location=_DELIVERY,
        )

    # --- payment ----------------------------------------------------------------------------

    def payment(self, sd: Index, mandate: str | None) -> PaymentInstructions | None:
        means_elements = sd.get(_R + "SpecifiedTradeSettlementPaymentMeans", ())
        creditor_id = text(sd, _R + "CreditorReferenceID")
        remittance = text(sd, _R + "PaymentReference")
        if not means_elements and creditor_id is None and mandate is None:
            return None
        codes: list[str] = []
        means_text = None
        transfers: list[CreditTransfer] = []
        card = None
        debited = None
        for i, means in enumerate(means_elements):
            m_loc = step(_SETTLEMENT, "ram:SpecifiedTradeSettlementPaymentMeans", i)
            md = index(means)
            code = text(md, TYPE_CODE)
            if code is not None:
                codes.append(code)
            if means_text is None:
                means_text = text(md, _R + "Information")
            creditor = first(md, _R + "PayeePartyCreditorFinancialAccount")
            if creditor is not None:
                cd = index(creditor)
                account = text(cd, _R + "IBANID")
                proprietary = account is None
                if proprietary:
                    account = text(cd, _R + "ProprietaryID")
                institution = first(md, _R + "PayeeSpecifiedCreditorFinancialInstitution")
                transfers.append(
                    CreditTransfer(
                        account_id=account,
                        account_name=text(cd, _R + "AccountName"),
                        service_provider_id=text_of(institution.find(_R + "BICID"))
                        if institution is not None
                        else None,
                        proprietary=proprietary and account is not None,
                        location=m_loc,
                    )
                )
            card_el = first(md, _R + "ApplicableTradeSettlementFinancialCard")
            if card_el is not None and card is None:
                cd = index(card_el)
                card = PaymentCard(
                    primary_account_number=text(cd, ID),
                    holder_name=text(cd, _R + "CardholderName"),
                    location=step(m_loc, "ram:ApplicableTradeSettlementFinancialCard"),
                )
            debtor = first(md, _R + "PayerPartyDebtorFinancialAccount")
            if debtor is not None and debited is None:
                debited = text_of(debtor.find(_R + "IBANID"))
        direct_debit = None
        if mandate is not None or creditor_id is not None or debited is not None:
            direct_debit = DirectDebit(
                mandate_reference=mandate,
                creditor_id=creditor_id,
                debited_account_id=debited,
                location=_SETTLEMENT,
            )
        return PaymentInstructions(
            means_code=codes[0] if codes else None,
            means_text=means_text,
            remittance_information=remittance,
            credit_transfers=tuple(transfers),
            payment_card=card,
            direct_debit=direct_debit,
            means_codes=tuple(codes),
            location=_SETTLEMENT,
        )

    # --- amounts ----------------------------------------------------------------------------

    def vat_breakdown(self, sd: Index) -> tuple[tuple[VatBreakdown, ...], date | None, str | None]:
        r = self.r
        found = []
        tax_point_date = tax_point_code = None
        for i, tax in enumerate(sd.get(APPLICABLE_TRADE_TAX, ())):
            loc = step(_SETTLEMENT, "ram:ApplicableTradeTax", i)
            d = index(tax)
            found.append(
                VatBreakdown(
                    taxable_amount=r.amount(first(d, BASIS_AMOUNT), loc, "BT-116"),
                    tax_amount=r.amount(first(d, _R + "CalculatedAmount"), loc, "BT-117"),
                    category_code=text(d, CATEGORY_CODE),
                    rate=r.decimal(first(d, RATE), loc, "BT-119"),
                    exemption_reason=text(d, _R + "ExemptionReason"),
                    exemption_reason_code=text(d, _R + "ExemptionReasonCode"),
                    location=loc,
                )
            )
            if tax_point_date is None:
                tax_point_date = r.cii_date(first(d, _R + "TaxPointDate"), loc, "BT-7")
            if tax_point_code is None:
                tax_point_code = text(d, _R + "DueDateTypeCode")
        return tuple(found), tax_point_date, tax_point_code

    def allowances_charges(
        self, d: Index, loc: str, *, document_level: bool
    ) -> tuple[tuple[AllowanceCharge, ...], tuple[AllowanceCharge, ...]]:
        allowances: list[AllowanceCharge] = []
        charges: list[AllowanceCharge] = []
        r = self.r
        for i, element in enumerate(d.get(ALLOWANCE_CHARGE, ())):
            ac_loc = step(loc, "ram:SpecifiedTradeAllowanceCharge", i)
            ad = index(element)
            indicator = first(ad, _R + "ChargeIndicator")
            is_charge = r.indicator(
                indicator.find(_U + "Indicator") if indicator is not None else None,
                ac_loc,
                "BG-20/BG-21",
            )
            if document_level:
                terms = ("BT-99", "BT-100", "BT-101") if is_charge else ("BT-92", "BT-93", "BT-94")
            else:
                terms = (
                    ("BT-141", "BT-142", "BT-143") if is_charge else ("BT-136", "BT-137", "BT-138")
                )
            category = rate = None
            if document_level:
                tax = first(ad, _R + "CategoryTradeTax")
                if tax is not None:
                    td = index(tax)
                    category = text(td, CATEGORY_CODE)
                    rate = r.decimal(first(td, RATE), ac_loc, "BT-103" if is_charge else "BT-96")
            entry = AllowanceCharge(
                is_charge=bool(is_charge),
                amount=r.amount(first(ad, ACTUAL_AMOUNT), ac_loc, terms[0]),
                base_amount=r.amount(first(ad, BASIS_AMOUNT), ac_loc, terms[1]),
                percentage=r.decimal(first(ad, _R + "CalculationPercent"), ac_loc, terms[2]),
                vat_category_code=category,
                vat_rate=rate,
                reason=text(ad, _R + "Reason"),
                reason_code=text(ad, _R + "ReasonCode"),
                location=ac_loc,
            )
            (charges if is_charge else allowances).append(entry)
        return tuple(allowances), tuple(charges)

    def totals(
        self, element: etree._Element | None, currency: str | None, tax_currency: str | None
    ) -> DocumentTotals | None:
        if element is None:
            return None
        r = self.r
        loc = _SETTLEMENT + "/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
        d = index(element)
        vat_total = vat_total_accounting = None
        for tax_total in d.get(_R + "TaxTotalAmount", ()):
            amount_currency = tax_total.get("currencyID")
            if vat_total is None and (amount_currency is None or amount_currency == currency):
                vat_total = r.amount(tax_total, loc, "BT-110")
            elif vat_total_accounting is None and (
                amount_currency == tax_currency or amount_currency != currency
            ):
                vat_total_accounting = r.amount(tax_total, loc, "BT-111")
        return DocumentTotals(
            line_net_total=r.amount(first(d, _R + "LineTotalAmount"), loc, "BT-106"),
            allowance_total=r.amount(first(d, _R + "AllowanceTotalAmount"), loc, "BT-107"),
            charge_total=r.amount(first(d, _R + "ChargeTotalAmount"), loc, "BT-108"),
            total_without_vat=r.amount(first(d, _R + "TaxBasisTotalAmount"), loc, "BT-109"),
            vat_total=vat_total,
            vat_total_accounting_currency=vat_total_accounting,
            total_with_vat=r.amount(first(d, _R + "GrandTotalAmount"), loc, "BT-112"),
            paid_amount=r.amount(first(d, _R + "TotalPrepaidAmount"), loc, "BT-113"),
            rounding_amount=r.amount(first(d, _R + "RoundingAmount"), loc, "BT-114"),
            amount_due=r.amount(first(d, _R + "DuePayableAmount"), loc, "BT-115"),
            location=loc,
        )

    # --- lines ------------------------------------------------------------------------------

    def period(self, element: etree._Element, loc: str, group: str) -> Period:
        d = index(element)
        start, end = ("BT-73", "BT-74") if group == "BG-14" else ("BT-134", "BT-135")
        return Period(
            start_date=self.r.cii_date(first(d, _R + "StartDateTime"), loc, start),
            end_date=self.r.cii_date(first(d, _R + "EndDateTime"), loc, end),
            location=loc,
        )

    def lines(self, elements: list[etree._Element]) -> tuple[InvoiceLine, ...]:
        parsed = [
            self.line(el, step(_TRANSACTION, "ram:IncludedSupplyChainTradeLineItem", i))
            for i, el in enumerate(elements)
        ]
        if not any(line.parent_line_id for line in parsed):
            return tuple(parsed)
        return self.nest(parsed)

    def nest(self, parsed: list[InvoiceLine]) -> tuple[InvoiceLine, ...]:
        """Attach lines with a ParentLineID (XRechnung extension) below their parent line."""
        known = {line.id for line in parsed if line.id}
        children: dict[str, list[InvoiceLine]] = {}
        top: list[InvoiceLine] = []
        for line in parsed:
            parent = line.parent_line_id
            if parent and parent in known and parent != line.id:
                children.setdefault(parent, []).append(line)
            else:
                if parent:
                    self.r.issues.append(
                        ParseIssue(
                            line.location,
                            f"ParentLineID ‚{parent}‘ verweist auf keine Rechnungsposition."
                            f" / ParentLineID '{parent}' names no invoice line.",
                            "BT-126",
                            "structure",
                        )
                    )
                top.append(line)

        def build(line: InvoiceLine, seen: frozenset[str]) -> InvoiceLine:
            if not line.id or line.id in seen or line.id not in children:
                return line
            below = seen | {line.id}
            subs = tuple(build(child, below) for child in children[line.id])
            return _replace_sub_lines(line, subs)

        return tuple(build(line, frozenset()) for line in top)

    def line(self, element: etree._Element, loc: str) -> InvoiceLine:
        r = self.r
        d = index(element)
        document = first(d, _R + "AssociatedDocumentLineDocument")
        dd = index(document) if document is not None else {}
        note = None
        notes = dd.get(_R + "IncludedNote")
        if notes:
            note = "\n".join(
                content for n in notes if (content := joined(index(n), CONTENT)) is not None
            )

        agreement = first(d, _R + "SpecifiedLineTradeAgreement")
        ad = index(agreement) if agreement is not None else {}
        line_delivery = first(d, _R + "SpecifiedLineTradeDelivery")
        quantity_el = (
            line_delivery.find(_R + "BilledQuantity") if line_delivery is not None else None
        )
        settlement = first(d, _R + "SpecifiedLineTradeSettlement")
        sd = index(settlement) if settlement is not None else {}
        s_loc = step(loc, "ram:SpecifiedLineTradeSettlement")

        object_id = None
        for ref in sd.get(ADDITIONAL_REFERENCED_DOCUMENT, ()):
            rd = index(ref)
            if text(rd, TYPE_CODE) == "130":
                object_id = Identifier(
                    text(rd, ISSUER_ASSIGNED_ID) or "", text(rd, _R + "ReferenceTypeCode")
                )
                break
        summation = first(sd, _R + "SpecifiedTradeSettlementLineMonetarySummation")
        order = first(ad, _R + "BuyerOrderReferencedDocument")
        accounting = first(sd, ACCOUNTING_ACCOUNT)
        period_el = first(sd, BILLING_PERIOD)
        tax = first(sd, APPLICABLE_TRADE_TAX)
        allowances, charges = self.allowances_charges(sd, s_loc, document_level=False)
        return InvoiceLine(
            id=text(dd, LINE_ID),
            note=note,
            object_identifier=object_id,
            quantity=r.decimal(quantity_el, loc, "BT-129"),
            unit_code=quantity_el.get("unitCode") if quantity_el is not None else None,
            net_amount=r.amount(
                summation.find(_R + "LineTotalAmount") if summation is not None else None,
                s_loc,
                "BT-131",
            ),
            order_line_reference=text_of(order.find(LINE_ID)) if order is not None else None,
            accounting_reference=text_of(accounting.find(ID)) if accounting is not None else None,
            period=self.period(period_el, step(s_loc, "ram:BillingSpecifiedPeriod"), "BG-26")
            if period_el is not None
            else None,
            allowances=allowances,
            charges=charges,
            price=self.price(ad, step(loc, "ram:SpecifiedLineTradeAgreement")),
            vat=self.line_vat(tax, step(s_loc, "ram:ApplicableTradeTax")),
            item=self.item(
                first(d, _R + "SpecifiedTradeProduct"), step(loc, "ram:SpecifiedTradeProduct")
            ),
            parent_line_id=text(dd, _R + "ParentLineID"),
            line_status_reason_code=text(dd, _R + "LineStatusReasonCode"),
            location=loc,
        )

    def price(self, ad: Index, loc: str) -> PriceDetails | None:
        gross = first(ad, _R + "GrossPriceProductTradePrice")
        net = first(ad, _R + "NetPriceProductTradePrice")
        if gross is None and net is None:
            return None
        r = self.r
        net_price = discount = gross_price = base = None
        if net is not None:
            nd = index(net)
            n_loc = step(loc, "ram:NetPriceProductTradePrice")
            net_price = r.amount(first(nd, CHARGE_AMOUNT), n_loc, "BT-146")
            base = first(nd, BASIS_QUANTITY)
        if gross is not None:
            gd = index(gross)
            g_loc = step(loc, "ram:GrossPriceProductTradePrice")
            gross_price = r.amount(first(gd, CHARGE_AMOUNT), g_loc, "BT-148")
            if base is None:
                base = first(gd, BASIS_QUANTITY)
            for charge in gd.get(_R + "AppliedTradeAllowanceCharge", ()):
                cd = index(charge)
                indicator = first(cd, _R + "ChargeIndicator")
                flag = text_of(indicator.find(_U + "Indicator")) if indicator is not None else None
                if flag in ("true", "1"):
                    continue
                discount = r.amount(first(cd, ACTUAL_AMOUNT), g_loc, "BT-147")
                break
        return PriceDetails(
            net_price=net_price,
            discount=discount,
            gross_price=gross_price,
            base_quantity=r.decimal(base, loc, "BT-149"),
            base_quantity_unit_code=base.get("unitCode") if base is not None else None,
            location=loc,
        )

    def line_vat(self, tax: etree._Element | None, loc: str) -> LineVat | None:
        if tax is None:
            return None
        d = index(tax)
        return LineVat(
            category_code=text(d, CATEGORY_CODE),
            rate=self.r.decimal(first(d, RATE), loc, "BT-152"),
            location=loc,
        )

    def item(self, element: etree._Element | None, loc: str) -> Item | None:
        if element is None:
            return None
        d = index(element)
        classifications = []
        for classification in d.get(_R + "DesignatedProductClassification", ()):
            code = classification.find(_R + "ClassCode")
            if code is not None:
                classifications.append(
                    ItemClassification(
                        code=text_of(code) or "",
                        list_id=code.get("listID"),
                        list_version_id=code.get("listVersionID"),
                    )
                )
        attributes = []
        for i, characteristic in enumerate(d.get(_R + "ApplicableProductCharacteristic", ())):
            cd = index(characteristic)
            attributes.append(
                ItemAttribute(
                    name=text(cd, DESCRIPTION),
                    value=text(cd, _R + "Value"),
                    location=step(loc, "ram:ApplicableProductCharacteristic", i),
                )
            )
        origin = first(d, _R + "OriginTradeCountry")
        return Item(
            name=text(d, NAME),
            description=text(d, DESCRIPTION),
            seller_id=text(d, _R + "SellerAssignedID"),
            buyer_id=text(d, _R + "BuyerAssignedID"),
            standard_id=identifier(first(d, GLOBAL_ID)),
            classifications=tuple(classifications),
            origin_country=text_of(origin.find(ID)) if origin is not None else None,
            attributes=tuple(attributes),
            location=loc,
        )


def _parameter_id(element: etree._Element | None) -> str | None:
    return text_of(element.find(ID)) if element is not None else None


def _referenced_id(element: etree._Element | None) -> str | None:
    return text_of(element.find(ISSUER_ASSIGNED_ID)) if element is not None else None


def _party_id(d: Index) -> Identifier | None:
    """BT-46 / BT-60 / BT-71: ram:GlobalID (with scheme) if given, else ram:ID."""
    element = first(d, GLOBAL_ID)
    if element is None:
        element = first(d, ID)
    return identifier(element)


def _replace_sub_lines(line: InvoiceLine, sub_lines: tuple[InvoiceLine, ...]) -> InvoiceLine:
    return replace(line, sub_lines=sub_lines)


_XA = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement/"
_XD = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeDelivery/"
_XS = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement/"
_LS = "ram:SpecifiedLineTradeSettlement/"
_LA = "ram:SpecifiedLineTradeAgreement/"
_LD = "ram:AssociatedDocumentLineDocument/"
_CA = "ram:PayeePartyCreditorFinancialAccount/"
_NP = "ram:NetPriceProductTradePrice/"
_GP = "ram:GrossPriceProductTradePrice/"

#: Relative XPath, from the group's ``location``, of each business term, by model class and
#: field name. ``ingest.einvoice.locations.locate`` uses it to point findings at an element.
FIELD_PATHS: dict[str, dict[str, str]] = {
    "Invoice": {
        "number": "rsm:ExchangedDocument/ram:ID",
        "issue_date": "rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString",
        "type_code": "rsm:ExchangedDocument/ram:TypeCode",
        "currency_code": _XS + "ram:InvoiceCurrencyCode",
        "vat_accounting_currency_code": _XS + "ram:TaxCurrencyCode",
        "tax_point_date": _XS + "ram:ApplicableTradeTax/ram:TaxPointDate/udt:DateString",
        "tax_point_date_code": _XS + "ram:ApplicableTradeTax/ram:DueDateTypeCode",
        "due_date": _XS + "ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString",
        "buyer_reference": _XA + "ram:BuyerReference",
        "project_reference": _XA + "ram:SpecifiedProcuringProject/ram:ID",
        "contract_reference": _XA + "ram:ContractReferencedDocument/ram:IssuerAssignedID",
        "purchase_order_reference": _XA + "ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID",
        "sales_order_reference": _XA + "ram:SellerOrderReferencedDocument/ram:IssuerAssignedID",
        "receiving_advice_reference": _XD
        + "ram:ReceivingAdviceReferencedDocument/ram:IssuerAssignedID",
        "despatch_advice_reference": _XD
        + "ram:DespatchAdviceReferencedDocument/ram:IssuerAssignedID",
        "tender_or_lot_reference": _XA
        + "ram:AdditionalReferencedDocument[ram:TypeCode='50']/ram:IssuerAssignedID",
        "invoiced_object_identifier": _XA
        + "ram:AdditionalReferencedDocument[ram:TypeCode='130']/ram:IssuerAssignedID",
        "buyer_accounting_reference": _XS + "ram:ReceivableSpecifiedTradeAccountingAccount/ram:ID",
        "payment_terms": _XS + "ram:SpecifiedTradePaymentTerms/ram:Description",
        "business_process": (
            "rsm:ExchangedDocumentContext/ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID"
        ),
        "specification_identifier": (
            "rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID"
        ),
    },
    "Note": {"subject_code": "ram:SubjectCode", "text": "ram:Content"},
    "PrecedingInvoice": {
        "reference": "ram:IssuerAssignedID",
        "issue_date": "ram:FormattedIssueDateTime/qdt:DateTimeString",
    },
    "Seller": {
        "name": "ram:Name",
        "trading_name": "ram:SpecifiedLegalOrganization/ram:TradingBusinessName",
        "identifiers": "ram:ID | ram:GlobalID",
        "legal_registration_id": "ram:SpecifiedLegalOrganization/ram:ID",
        "vat_id": "ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']",
        "tax_registration_id": "ram:SpecifiedTaxRegistration/ram:ID[@schemeID='FC']",
        "additional_legal_info": "ram:Description",
        "electronic_address": "ram:URIUniversalCommunication/ram:URIID",
    },
    "Buyer": {
        "name": "ram:Name",
        "trading_name": "ram:SpecifiedLegalOrganization/ram:TradingBusinessName",
        "identifier": "ram:GlobalID | ram:ID",
        "legal_registration_id": "ram:SpecifiedLegalOrganization/ram:ID",
        "vat_id": "ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']",
        "electronic_address": "ram:URIUniversalCommunication/ram:URIID",
    },
    "Payee": {
        "name": "ram:Name",
        "identifier": "ram:GlobalID | ram:ID",
        "legal_registration_id": "ram:SpecifiedLegalOrganization/ram:ID",
    },
    "SellerTaxRepresentative": {
        "name": "ram:Name",
        "vat_id": "ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']",
    },
    "PostalAddress": {
        "line1": "ram:LineOne",
        "line2": "ram:LineTwo",
        "line3": "ram:LineThree",
        "city": "ram:CityName",
        "post_code": "ram:PostcodeCode",
        "country_subdivision": "ram:CountrySubDivisionName",
        "country_code": "ram:CountryID",
    },
    "Contact": {
        "name": "ram:PersonName | ram:DepartmentName",
        "telephone": "ram:TelephoneUniversalCommunication/ram:CompleteNumber",
        "email": "ram:EmailURIUniversalCommunication/ram:URIID",
    },
    "Delivery": {
        "party_name": "ram:ShipToTradeParty/ram:Name",
        "location_id": "ram:ShipToTradeParty/ram:GlobalID | ram:ShipToTradeParty/ram:ID",
        "actual_delivery_date": (
            "ram:ActualDeliverySupplyChainEvent/ram:OccurrenceDateTime/udt:DateTimeString"
        ),
    },
    "Period": {
        "start_date": "ram:StartDateTime/udt:DateTimeString",
        "end_date": "ram:EndDateTime/udt:DateTimeString",
    },
    "PaymentInstructions": {
        "means_code": "ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode",
        "means_text": "ram:SpecifiedTradeSettlementPaymentMeans/ram:Information",
        "remittance_information": "ram:PaymentReference",
        "means_codes": "ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode",
    },
    "CreditTransfer": {
        "account_id": _CA + "ram:IBANID | " + _CA + "ram:ProprietaryID",
        "account_name": _CA + "ram:AccountName",
        "service_provider_id": "ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID",
    },
    "PaymentCard": {"primary_account_number": "ram:ID", "holder_name": "ram:CardholderName"},
    "DirectDebit": {
        "mandate_reference": "ram:SpecifiedTradePaymentTerms/ram:DirectDebitMandateID",
        "creditor_id": "ram:CreditorReferenceID",
        "debited_account_id": (
            "ram:SpecifiedTradeSettlementPaymentMeans/ram:PayerPartyDebtorFinancialAccount/ram:IBANID"
        ),
    },
    "AllowanceCharge": {
        "is_charge": "ram:ChargeIndicator/udt:Indicator",
        "amount": "ram:ActualAmount",
        "base_amount": "ram:BasisAmount",
        "percentage": "ram:CalculationPercent",
        "vat_category_code": "ram:CategoryTradeTax/ram:CategoryCode",
        "vat_rate": "ram:CategoryTradeTax/ram:RateApplicablePercent",
        "reason": "ram:Reason",
        "reason_code": "ram:ReasonCode",
    },
    "DocumentTotals": {
        "line_net_total": "ram:LineTotalAmount",
        "allowance_total": "ram:AllowanceTotalAmount",
        "charge_total": "ram:ChargeTotalAmount",
        "total_without_vat": "ram:TaxBasisTotalAmount",
        "vat_total": (
            "ram:TaxTotalAmount[not(@currencyID) or @currencyID=../../ram:InvoiceCurrencyCode]"
        ),
        "vat_total_accounting_currency": (
            "ram:TaxTotalAmount[@currencyID=../../ram:TaxCurrencyCode]"
        ),
        "total_with_vat": "ram:GrandTotalAmount",
        "paid_amount": "ram:TotalPrepaidAmount",
        "rounding_amount": "ram:RoundingAmount",
        "amount_due": "ram:DuePayableAmount",
    },
    "VatBreakdown": {
        "taxable_amount": "ram:BasisAmount",
        "tax_amount": "ram:CalculatedAmount",
        "category_code": "ram:CategoryCode",
        "rate": "ram:RateApplicablePercent",
        "exemption_reason": "ram:ExemptionReason",
        "exemption_reason_code": "ram:ExemptionReasonCode",
    },
    "Attachment": {
        "reference": "ram:IssuerAssignedID",
        "description": "ram:Name",
        "external_uri": "ram:URIID",
        "content_base64": "ram:AttachmentBinaryObject",
        "mime_code": "ram:AttachmentBinaryObject/@mimeCode",
        "filename": "ram:AttachmentBinaryObject/@filename",
        "type_code": "ram:TypeCode",
    },
    "InvoiceLine": {
        "id": _LD + "ram:LineID",
        "note": _LD + "ram:IncludedNote/ram:Content",
        "object_identifier": _LS
        + "ram:AdditionalReferencedDocument[ram:TypeCode='130']/ram:IssuerAssignedID",
        "quantity": "ram:SpecifiedLineTradeDelivery/ram:BilledQuantity",
        "unit_code": "ram:SpecifiedLineTradeDelivery/ram:BilledQuantity/@unitCode",
        "net_amount": _LS + "ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount",
        "order_line_reference": _LA + "ram:BuyerOrderReferencedDocument/ram:LineID",
        "accounting_reference": _LS + "ram:ReceivableSpecifiedTradeAccountingAccount/ram:ID",
        "parent_line_id": _LD + "ram:ParentLineID",
        "line_status_reason_code": _LD + "ram:LineStatusReasonCode",
    },
    "PriceDetails": {
        "net_price": _NP + "ram:ChargeAmount",
        "discount": _GP + "ram:AppliedTradeAllowanceCharge/ram:ActualAmount",
        "gross_price": _GP + "ram:ChargeAmount",
        "base_quantity": _NP + "ram:BasisQuantity | " + _GP + "ram:BasisQuantity",
        "base_quantity_unit_code": _NP
        + "ram:BasisQuantity/@unitCode | "
        + _GP
        + "ram:BasisQuantity/@unitCode",
    },
    "LineVat": {"category_code": "ram:CategoryCode", "rate": "ram:RateApplicablePercent"},
    "Item": {
        "name": "ram:Name",
        "description": "ram:Description",
        "seller_id": "ram:SellerAssignedID",
        "buyer_id": "ram:BuyerAssignedID",
        "standard_id": "ram:GlobalID",
        "classifications": "ram:DesignatedProductClassification/ram:ClassCode",
        "origin_country": "ram:OriginTradeCountry/ram:ID",
    },
    "ItemAttribute": {"name": "ram:Description", "value": "ram:Value"},
}
