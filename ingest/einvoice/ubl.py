"""UBL 2.1 Invoice and CreditNote (as profiled by EN 16931 / XRechnung) into the model.

The mapping follows the EN 16931-3-2 UBL binding. Credit notes differ in a few element names:
``cbc:CreditNoteTypeCode``, ``cac:CreditNoteLine``, ``cbc:CreditedQuantity``,
``cac:SubCreditNoteLine``; their payment due date (BT-9) is ``cac:PaymentMeans/
cbc:PaymentDueDate`` and their project reference (BT-11) an ``AdditionalDocumentReference``
with type code 50.
"""

from __future__ import annotations

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
    Invoice,
    InvoiceLine,
    Item,
    ItemAttribute,
    ItemClassification,
    LineVat,
    Note,
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

INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC_NS = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC_NS = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
INVOICE_ROOT = f"{{{INVOICE_NS}}}Invoice"
CREDIT_NOTE_ROOT = f"{{{CREDIT_NOTE_NS}}}CreditNote"

#: Prefixes used in the locations this parser records (for evaluating them with lxml).
NAMESPACES = {"ubl": INVOICE_NS, "cn": CREDIT_NOTE_NS, "cac": CAC_NS, "cbc": CBC_NS}

_A = f"{{{CAC_NS}}}"
_B = f"{{{CBC_NS}}}"

# Clark-notation tags, cbc:
ID = _B + "ID"
NAME = _B + "Name"
NOTE = _B + "Note"
AMOUNT = _B + "Amount"
BASE_AMOUNT = _B + "BaseAmount"
PERCENT = _B + "Percent"
ISSUE_DATE = _B + "IssueDate"
START_DATE = _B + "StartDate"
END_DATE = _B + "EndDate"
COMPANY_ID = _B + "CompanyID"
DOCUMENT_TYPE_CODE = _B + "DocumentTypeCode"
IDENTIFICATION_CODE = _B + "IdentificationCode"
TAX_AMOUNT = _B + "TaxAmount"
ACCOUNTING_COST = _B + "AccountingCost"
LINE_EXTENSION_AMOUNT = _B + "LineExtensionAmount"
# cac:
PARTY = _A + "Party"
PARTY_IDENTIFICATION = _A + "PartyIdentification"
PARTY_NAME = _A + "PartyName"
POSTAL_ADDRESS = _A + "PostalAddress"
PARTY_TAX_SCHEME = _A + "PartyTaxScheme"
PARTY_LEGAL_ENTITY = _A + "PartyLegalEntity"
TAX_SCHEME = _A + "TaxScheme"
CONTACT = _A + "Contact"
COUNTRY = _A + "Country"
ADDRESS_LINE = _A + "AddressLine"
INVOICE_PERIOD = _A + "InvoicePeriod"
ALLOWANCE_CHARGE = _A + "AllowanceCharge"
TAX_CATEGORY = _A + "TaxCategory"
ADDITIONAL_DOCUMENT_REFERENCE = _A + "AdditionalDocumentReference"
ATTACHMENT = _A + "Attachment"
PAYMENT_MEANS = _A + "PaymentMeans"
TAX_TOTAL = _A + "TaxTotal"
TAX_SUBTOTAL = _A + "TaxSubtotal"
ITEM = _A + "Item"
PRICE = _A + "Price"

_SEPA = "SEPA"


class _Kind:
    """What differs between Invoice and CreditNote."""

    __slots__ = ("syntax", "root", "type_code", "line", "quantity", "sub_line")

    def __init__(self, syntax: Syntax, root: str, prefix: str, document: str) -> None:
        self.syntax = syntax
        self.root = f"/{prefix}:{document}"
        self.type_code = _B + f"{document}TypeCode"
        self.line = _A + f"{document}Line"
        self.quantity = _B + ("InvoicedQuantity" if document == "Invoice" else "CreditedQuantity")
        self.sub_line = _A + f"Sub{document}Line"


_INVOICE = _Kind(Syntax.UBL_INVOICE, INVOICE_ROOT, "ubl", "Invoice")
_CREDIT_NOTE = _Kind(Syntax.UBL_CREDIT_NOTE, CREDIT_NOTE_ROOT, "cn", "CreditNote")


def parse(root: etree._Element) -> Invoice:
    """Read a UBL ``Invoice`` or ``CreditNote`` root element into an :class:`Invoice`."""
    if root.tag == INVOICE_ROOT:
        kind = _INVOICE
    elif root.tag == CREDIT_NOTE_ROOT:
        kind = _CREDIT_NOTE
    else:  # pragma: no cover - dispatch happens in ingest.einvoice
        raise ValueError(f"not a UBL invoice root: {root.tag}")
    return _UblParser(kind).invoice(root)


class _UblParser:
    __slots__ = ("kind", "r")

    def __init__(self, kind: _Kind) -> None:
        self.kind = kind
        self.r = Reader()

    # --- document ---------------------------------------------------------------------------

    def invoice(self, root: etree._Element) -> Invoice:
        r = self.r
        kind = self.kind
        loc = kind.root
        d = index(root)
        currency = text(d, _B + "DocumentCurrencyCode")
        tax_currency = text(d, _B + "TaxCurrencyCode")
        spec = text(d, _B + "CustomizationID")

        period_el = first(d, INVOICE_PERIOD)
        period = tax_point_code = None
        if period_el is not None:
            period_loc = step(loc, "cac:InvoicePeriod")
            pd = index(period_el)
            period = self.period(pd, period_loc)
            tax_point_code = text(pd, _B + "DescriptionCode")

        order = first(d, _A + "OrderReference")
        order_d = index(order) if order is not None else {}

        project = None
        invoiced_object = None
        attachments = []
        for i, ref in enumerate(d.get(ADDITIONAL_DOCUMENT_REFERENCE, ())):
            ref_loc = step(loc, "cac:AdditionalDocumentReference", i)
            rd = index(ref)
            type_code = text(rd, DOCUMENT_TYPE_CODE)
            if type_code == "130" and invoiced_object is None:
                invoiced_object = identifier(first(rd, ID))
            elif type_code == "50" and kind is _CREDIT_NOTE and project is None:
                project = text(rd, ID)
            else:
                attachments.append(self.attachment(rd, ref_loc, type_code))
        if kind is _INVOICE:
            project = self.nested_text(d, _A + "ProjectReference", ID)

        due_date = None
        if kind is _INVOICE:
            due_date = r.ubl_date(first(d, _B + "DueDate"), loc, "BT-9")
        else:
            for i, means in enumerate(d.get(PAYMENT_MEANS, ())):
                due = means.find(_B + "PaymentDueDate")
                if due is not None:
                    due_date = r.ubl_date(due, step(loc, "cac:PaymentMeans", i), "BT-9")
                    break

        terms = [
            note
            for pt in d.get(_A + "PaymentTerms", ())
            if (note := joined(index(pt), NOTE)) is not None
        ]

        totals, vat_breakdown = self.totals_and_vat(d, loc, currency, tax_currency)
        allowances, charges = self.allowances_charges(d, loc, document_level=True)

        supplier = first(d, _A + "AccountingSupplierParty")
        supplier_party = supplier.find(PARTY) if supplier is not None else None
        customer = first(d, _A + "AccountingCustomerParty")
        customer_party = customer.find(PARTY) if customer is not None else None
        payee_el = first(d, _A + "PayeeParty")

        lines = tuple(
            self.line(el, step(loc, f"cac:{_local(kind.line)}", i))
            for i, el in enumerate(d.get(kind.line, ()))
        )
        return Invoice(
            syntax=kind.syntax,
            profile=profile_from_specification(spec),
            number=text(d, ID),
            issue_date=r.ubl_date(first(d, ISSUE_DATE), loc, "BT-2"),
            type_code=text(d, kind.type_code),
            currency_code=currency,
            vat_accounting_currency_code=tax_currency,
            tax_point_date=r.ubl_date(first(d, _B + "TaxPointDate"), loc, "BT-7"),
            tax_point_date_code=tax_point_code,
            due_date=due_date,
            buyer_reference=text(d, _B + "BuyerReference"),
            project_reference=project,
            contract_reference=self.nested_text(d, _A + "ContractDocumentReference", ID),
            purchase_order_reference=text(order_d, ID),
            sales_order_reference=text(order_d, _B + "SalesOrderID"),
            receiving_advice_reference=self.nested_text(d, _A + "ReceiptDocumentReference", ID),
            despatch_advice_reference=self.nested_text(d, _A + "DespatchDocumentReference", ID),
            tender_or_lot_reference=self.nested_text(d, _A + "OriginatorDocumentReference", ID),
            invoiced_object_identifier=invoiced_object,
            buyer_accounting_reference=text(d, ACCOUNTING_COST),
            payment_terms="\n".join(terms) if terms else None,
            notes=tuple(
                _note(note.text, step(loc, "cbc:Note", i)) for i, note in enumerate(d.get(NOTE, ()))
            ),
            business_process=text(d, _B + "ProfileID"),
            specification_identifier=spec,
            preceding_invoices=self.preceding_invoices(d, loc),
            seller=self.seller(supplier_party, step(loc, "cac:AccountingSupplierParty/cac:Party")),
            buyer=self.buyer(customer_party, step(loc, "cac:AccountingCustomerParty/cac:Party")),
            payee=self.payee(payee_el, step(loc, "cac:PayeeParty")),
            seller_tax_representative=self.tax_representative(
                first(d, _A + "TaxRepresentativeParty"), step(loc, "cac:TaxRepresentativeParty")
            ),
            delivery=self.delivery(first(d, _A + "Delivery"), step(loc, "cac:Delivery")),
            invoicing_period=period,
            payment_instructions=self.payment(d, loc, supplier_party, payee_el),
            allowances=allowances,
            charges=charges,
            totals=totals,
            vat_breakdown=vat_breakdown,
            attachments=tuple(attachments),
            lines=lines,
            parse_issues=tuple(r.issues),
            location=loc,
        )

    @staticmethod
    def nested_text(d: Index, outer: str, inner: str) -> str | None:
        element = first(d, outer)
        return text_of(element.find(inner)) if element is not None else None

    def preceding_invoices(self, d: Index, loc: str) -> tuple[PrecedingInvoice, ...]:
        found = []
        for i, billing in enumerate(d.get(_A + "BillingReference", ())):
            ref = billing.find(_A + "InvoiceDocumentReference")
            if ref is None:
                continue
            ref_loc = step(step(loc, "cac:BillingReference", i), "cac:InvoiceDocumentReference")
            rd = index(ref)
            found.append(
                PrecedingInvoice(
                    reference=text(rd, ID),
                    issue_date=self.r.ubl_date(first(rd, ISSUE_DATE), ref_loc, "BT-26"),
                    location=ref_loc,
                )
            )
        return tuple(found)

    def attachment(self, rd: Index, loc: str, type_code: str | None) -> Attachment:
        content = mime = filename = uri = None
        holder = first(rd, ATTACHMENT)
        if holder is not None:
            ad = index(holder)
            binary = first(ad, _B + "EmbeddedDocumentBinaryObject")
            if binary is not None:
                content = text_of(binary)
                mime = binary.get("mimeCode")
                filename = binary.get("filename")
            external = first(ad, _A + "ExternalReference")
            if external is not None:
                uri = text_of(external.find(_B + "URI"))
        return Attachment(
            reference=text(rd, ID),
            description=text(rd, _B + "DocumentDescription"),
            external_uri=uri,
            content_base64=content,
            mime_code=mime,
            filename=filename,
            type_code=type_code,
            location=loc,
        )

    # --- parties ----------------------------------------------------------------------------

    def address(self, element: etree._Element | None, loc: str) -> PostalAddress | None:
        if element is None:
            return None
        d = index(element)
        line3 = None
        address_line = first(d, ADDRESS_LINE)
        if address_line is not None:
            line3 = text_of(address_line.find(_B + "Line"))
        country = first(d, COUNTRY)
        return PostalAddress(
            line1=text(d, _B + "StreetName"),
            line2=text(d, _B + "AdditionalStreetName"),
            line3=line3,
            city=text(d, _B + "CityName"),
            post_code=text(d, _B + "PostalZone"),
            country_subdivision=text(d, _B + "CountrySubentity"),
            country_code=text_of(country.find(IDENTIFICATION_CODE))
            if country is not None
            else None,
            location=loc,
        )

    @staticmethod
    def contact(element: etree._Element | None, loc: str) -> Contact | None:
        if element is None:
            return None
        d = index(element)
        return Contact(
            name=text(d, NAME),
            telephone=text(d, _B + "Telephone"),
            email=text(d, _B + "ElectronicMail"),
            location=loc,
        )

    @staticmethod
    def tax_schemes(d: Index) -> tuple[str | None, str | None]:
        """(VAT identifier, other tax registration identifier) from cac:PartyTaxScheme."""
        vat = other = None
        for scheme in d.get(PARTY_TAX_SCHEME, ()):
            sd = index(scheme)
            tax_scheme = first(sd, TAX_SCHEME)
            scheme_id = text_of(tax_scheme.find(ID)) if tax_scheme is not None else None
            company = text(sd, COMPANY_ID)
            if scheme_id == "VAT":
                if vat is None:
                    vat = company
            elif other is None:
                other = company
        return vat, other

    @staticmethod
    def party_name(d: Index) -> str | None:
        element = first(d, PARTY_NAME)
        return text_of(element.find(NAME)) if element is not None else None

    def seller(self, party: etree._Element | None, loc: str) -> Seller | None:
        if party is None:
            return None
        d = index(party)
        vat, tax_registration = self.tax_schemes(d)
        legal = first(d, PARTY_LEGAL_ENTITY)
        ld = index(legal) if legal is not None else {}
        return Seller(
            name=text(ld, _B + "RegistrationName"),
            trading_name=self.party_name(d),
            identifiers=tuple(
                identifier(el)
                for pid in d.get(PARTY_IDENTIFICATION, ())
                if (el := pid.find(ID)) is not None and el.get("schemeID") != _SEPA
            ),
            legal_registration_id=identifier(first(ld, COMPANY_ID)),
            vat_id=vat,
            tax_registration_id=tax_registration,
            additional_legal_info=text(ld, _B + "CompanyLegalForm"),
            electronic_address=identifier(first(d, _B + "EndpointID")),
            address=self.address(first(d, POSTAL_ADDRESS), step(loc, "cac:PostalAddress")),
            contact=self.contact(first(d, CONTACT), step(loc, "cac:Contact")),
            location=loc,
        )

    def buyer(self, party: etree._Element | None, loc: str) -> Buyer | None:
        if party is None:
            return None
        d = index(party)
        vat, _ = self.tax_schemes(d)
        legal = first(d, PARTY_LEGAL_ENTITY)
        ld = index(legal) if legal is not None else {}
        pid = first(d, PARTY_IDENTIFICATION)
        return Buyer(
            name=text(ld, _B + "RegistrationName"),
            trading_name=self.party_name(d),
            identifier=identifier(pid.find(ID)) if pid is not None else None,
            legal_registration_id=identifier(first(ld, COMPANY_ID)),
            vat_id=vat,
            electronic_address=identifier(first(d, _B + "EndpointID")),
            address=self.address(first(d, POSTAL_ADDRESS), step(loc, "cac:PostalAddress")),
            contact=self.contact(first(d, CONTACT), step(loc, "cac:Contact")),
            location=loc,
        )

    def payee(self, party: etree._Element | None, loc: str) -> Payee | None:
        if party is None:
            return None
        d = index(party)
        ids = [
            el
            for pid in d.get(PARTY_IDENTIFICATION, ())
            if (el := pid.find(ID)) is not None and el.get("schemeID") != _SEPA
        ]
        legal = first(d, PARTY_LEGAL_ENTITY)
        return Payee(
            name=self.party_name(d),
            identifier=identifier(ids[0]) if ids else None,
            legal_registration_id=identifier(legal.find(COMPANY_ID)) if legal is not None else None,
            location=loc,
        )

    def tax_representative(
        self, party: etree._Element | None, loc: str
    ) -> SellerTaxRepresentative | None:
        if party is None:
            return None
        d = index(party)
        vat, other = self.tax_schemes(d)
        return SellerTaxRepresentative(
            name=self.party_name(d),
            vat_id=vat if vat is not None else other,
            address=self.address(first(d, POSTAL_ADDRESS), step(loc, "cac:PostalAddress")),
            location=loc,
        )

    def delivery(self, element: etree._Element | None, loc: str) -> Delivery | None:
        if element is None:
            return None
        d = index(element)
        location_id = address = None
        place = first(d, _A + "DeliveryLocation")
        if place is not None:
            pd = index(place)
            location_id = identifier(first(pd, ID))
            address = self.address(
                first(pd, _A + "Address"), step(loc, "cac:DeliveryLocation/cac:Address")
            )
        party_name = None
        party = first(d, _A + "DeliveryParty")
        if party is not None:
            party_name = self.party_name(index(party))
        return Delivery(
            party_name=party_name,
            location_id=location_id,
            actual_delivery_date=self.r.ubl_date(first(d, _B + "ActualDeliveryDate"), loc, "BT-72"),
            address=address,
            location=loc,
        )

    # --- payment ----------------------------------------------------------------------------

    def payment(
        self,
        d: Index,
        loc: str,
        supplier_party: etree._Element | None,
        payee: etree._Element | None,
    ) -> PaymentInstructions | None:
        creditor_id = None
        for party in (supplier_party, payee):
            if party is None or creditor_id is not None:
                continue
            for pid in party.iterchildren(PARTY_IDENTIFICATION):
                el = pid.find(ID)
                if el is not None and el.get("schemeID") == _SEPA:
                    creditor_id = text_of(el)
                    break
        means_elements = d.get(PAYMENT_MEANS, ())
        if not means_elements and creditor_id is None:
            return None
        codes: list[str] = []
        means_text = remittance = None
        transfers: list[CreditTransfer] = []
        card = None
        mandate = debited = None
        debit_loc = loc
        for i, means in enumerate(means_elements):
            m_loc = step(loc, "cac:PaymentMeans", i)
            md = index(means)
            code_el = first(md, _B + "PaymentMeansCode")
            if code_el is not None:
                codes.append(text_of(code_el) or "")
                if means_text is None:
                    means_text = code_el.get("name")
            if remittance is None:
                remittance = text(md, _B + "PaymentID")
            for account in md.get(_A + "PayeeFinancialAccount", ()):
                ad = index(account)
                branch = first(ad, _A + "FinancialInstitutionBranch")
                transfers.append(
                    CreditTransfer(
                        account_id=text(ad, ID),
                        account_name=text(ad, NAME),
                        service_provider_id=text_of(branch.find(ID))
                        if branch is not None
                        else None,
                        location=step(m_loc, "cac:PayeeFinancialAccount"),
                    )
                )
            card_el = first(md, _A + "CardAccount")
            if card_el is not None and card is None:
                cd = index(card_el)
                card = PaymentCard(
                    primary_account_number=text(cd, _B + "PrimaryAccountNumberID"),
                    holder_name=text(cd, _B + "HolderName"),
                    network_id=text(cd, _B + "NetworkID"),
                    location=step(m_loc, "cac:CardAccount"),
                )
            mandate_el = first(md, _A + "PaymentMandate")
            if mandate_el is not None and mandate is None and debited is None:
                mdd = index(mandate_el)
                mandate = text(mdd, ID)
                payer = first(mdd, _A + "PayerFinancialAccount")
                debited = text_of(payer.find(ID)) if payer is not None else None
                debit_loc = step(m_loc, "cac:PaymentMandate")
        direct_debit = None
        if mandate is not None or debited is not None or creditor_id is not None:
            direct_debit = DirectDebit(
                mandate_reference=mandate,
                creditor_id=creditor_id,
                debited_account_id=debited,
                location=debit_loc,
            )
        return PaymentInstructions(
            means_code=codes[0] if codes else None,
            means_text=means_text,
            remittance_information=remittance,
            credit_transfers=tuple(transfers),
            payment_card=card,
            direct_debit=direct_debit,
            means_codes=tuple(codes),
            location=step(loc, "cac:PaymentMeans", 0) if means_elements else loc,
        )

    # --- amounts ----------------------------------------------------------------------------

    def allowances_charges(
        self, d: Index, loc: str, *, document_level: bool
    ) -> tuple[tuple[AllowanceCharge, ...], tuple[AllowanceCharge, ...]]:
        allowances: list[AllowanceCharge] = []
        charges: list[AllowanceCharge] = []
        r = self.r
        for i, element in enumerate(d.get(ALLOWANCE_CHARGE, ())):
            ac_loc = step(loc, "cac:AllowanceCharge", i)
            ad = index(element)
            is_charge = r.indicator(first(ad, _B + "ChargeIndicator"), ac_loc, "BG-20/BG-21")
            prefix = ("BT-99", "BT-100", "BT-101") if is_charge else ("BT-92", "BT-93", "BT-94")
            if not document_level:
                prefix = (
                    ("BT-141", "BT-142", "BT-143") if is_charge else ("BT-136", "BT-137", "BT-138")
                )
            category = rate = None
            if document_level:
                tax = first(ad, TAX_CATEGORY)
                if tax is not None:
                    td = index(tax)
                    category = text(td, ID)
                    rate = r.decimal(first(td, PERCENT), ac_loc, "BT-103" if is_charge else "BT-96")
            entry = AllowanceCharge(
                is_charge=bool(is_charge),
                amount=r.amount(first(ad, AMOUNT), ac_loc, prefix[0]),
                base_amount=r.amount(first(ad, BASE_AMOUNT), ac_loc, prefix[1]),
                percentage=r.decimal(first(ad, _B + "MultiplierFactorNumeric"), ac_loc, prefix[2]),
                vat_category_code=category,
                vat_rate=rate,
                reason=text(ad, _B + "AllowanceChargeReason"),
                reason_code=text(ad, _B + "AllowanceChargeReasonCode"),
                location=ac_loc,
            )
            (charges if is_charge else allowances).append(entry)
        return tuple(allowances), tuple(charges)

    def totals_and_vat(
        self, d: Index, loc: str, currency: str | None, tax_currency: str | None
    ) -> tuple[DocumentTotals | None, tuple[VatBreakdown, ...]]:
        r = self.r
        vat_total = vat_total_accounting = None
        breakdown: list[VatBreakdown] = []
        for i, total in enumerate(d.get(TAX_TOTAL, ())):
            t_loc = step(loc, "cac:TaxTotal", i)
            td = index(total)
            subtotals = td.get(TAX_SUBTOTAL, ())
            amount_el = first(td, TAX_AMOUNT)
            if amount_el is not None:
                amount_currency = amount_el.get("currencyID")
                is_document = (
                    amount_currency == currency if amount_currency and currency else bool(subtotals)
                )
                if is_document and vat_total is None:
                    vat_total = r.amount(amount_el, t_loc, "BT-110")
                elif vat_total_accounting is None and (
                    not is_document or amount_currency == tax_currency
                ):
                    vat_total_accounting = r.amount(amount_el, t_loc, "BT-111")
            for j, sub in enumerate(subtotals):
                s_loc = step(t_loc, "cac:TaxSubtotal", j)
                sd = index(sub)
                category = first(sd, TAX_CATEGORY)
                cd = index(category) if category is not None else {}
                breakdown.append(
                    VatBreakdown(
                        taxable_amount=r.amount(first(sd, _B + "TaxableAmount"), s_loc, "BT-116"),
                        tax_amount=r.amount(first(sd, TAX_AMOUNT), s_loc, "BT-117"),
                        category_code=text(cd, ID),
                        rate=r.decimal(first(cd, PERCENT), s_loc, "BT-119"),
                        exemption_reason=text(cd, _B + "TaxExemptionReason"),
                        exemption_reason_code=text(cd, _B + "TaxExemptionReasonCode"),
                        location=s_loc,
                    )
                )
        monetary = first(d, _A + "LegalMonetaryTotal")
        if monetary is None and vat_total is None and vat_total_accounting is None:
            return None, tuple(breakdown)
        m_loc = step(loc, "cac:LegalMonetaryTotal")
        md = index(monetary) if monetary is not None else {}
        totals = DocumentTotals(
            line_net_total=r.amount(first(md, LINE_EXTENSION_AMOUNT), m_loc, "BT-106"),
            allowance_total=r.amount(first(md, _B + "AllowanceTotalAmount"), m_loc, "BT-107"),
            charge_total=r.amount(first(md, _B + "ChargeTotalAmount"), m_loc, "BT-108"),
            total_without_vat=r.amount(first(md, _B + "TaxExclusiveAmount"), m_loc, "BT-109"),
            vat_total=vat_total,
            vat_total_accounting_currency=vat_total_accounting,
            total_with_vat=r.amount(first(md, _B + "TaxInclusiveAmount"), m_loc, "BT-112"),
            paid_amount=r.amount(first(md, _B + "PrepaidAmount"), m_loc, "BT-113"),
            rounding_amount=r.amount(first(md, _B + "PayableRoundingAmount"), m_loc, "BT-114"),
            amount_due=r.amount(first(md, _B + "PayableAmount"), m_loc, "BT-115"),
            location=m_loc,
        )
        return totals, tuple(breakdown)

    # --- lines ------------------------------------------------------------------------------

    def period(self, pd: Index, loc: str) -> Period:
        return Period(
            start_date=self.r.ubl_date(first(pd, START_DATE), loc, "BT-73/BT-134"),
            end_date=self.r.ubl_date(first(pd, END_DATE), loc, "BT-74/BT-135"),
            location=loc,
        )

    def line(self, element: etree._Element, loc: str) -> InvoiceLine:
        r = self.r
        kind = self.kind
        d = index(element)
        quantity_el = first(d, kind.quantity)
        period_el = first(d, INVOICE_PERIOD)
        order_line = first(d, _A + "OrderLineReference")
        object_id = None
        for ref in d.get(_A + "DocumentReference", ()):
            rd = index(ref)
            if text(rd, DOCUMENT_TYPE_CODE) == "130":
                object_id = identifier(first(rd, ID))
                break
        allowances, charges = self.allowances_charges(d, loc, document_level=False)
        sub_name = f"cac:{_local(kind.sub_line)}"
        return InvoiceLine(
            id=text(d, ID),
            note=joined(d, NOTE),
            object_identifier=object_id,
            quantity=r.decimal(quantity_el, loc, "BT-129"),
            unit_code=quantity_el.get("unitCode") if quantity_el is not None else None,
            net_amount=r.amount(first(d, LINE_EXTENSION_AMOUNT), loc, "BT-131"),
            order_line_reference=text_of(order_line.find(_B + "LineID"))
            if order_line is not None
            else None,
            accounting_reference=text(d, ACCOUNTING_COST),
            period=self.period(index(period_el), step(loc, "cac:InvoicePeriod"))
            if period_el is not None
            else None,
            allowances=allowances,
            charges=charges,
            price=self.price(first(d, PRICE), step(loc, "cac:Price")),
            vat=self.line_vat(first(d, ITEM), step(loc, "cac:Item/cac:ClassifiedTaxCategory")),
            item=self.item(first(d, ITEM), step(loc, "cac:Item")),
            sub_lines=tuple(
                self.line(sub, step(loc, sub_name, i))
                for i, sub in enumerate(d.get(kind.sub_line, ()))
            ),
            location=loc,
        )

    def price(self, element: etree._Element | None, loc: str) -> PriceDetails | None:
        if element is None:
            return None
        r = self.r
        d = index(element)
        discount = gross = None
        ac = first(d, ALLOWANCE_CHARGE)
        if ac is not None:
            ad = index(ac)
            ac_loc = step(loc, "cac:AllowanceCharge")
            discount = r.amount(first(ad, AMOUNT), ac_loc, "BT-147")
            gross = r.amount(first(ad, BASE_AMOUNT), ac_loc, "BT-148")
        base = first(d, _B + "BaseQuantity")
        return PriceDetails(
            net_price=r.amount(first(d, _B + "PriceAmount"), loc, "BT-146"),
            discount=discount,
            gross_price=gross,
            base_quantity=r.decimal(base, loc, "BT-149"),
            base_quantity_unit_code=base.get("unitCode") if base is not None else None,
            location=loc,
        )

    def line_vat(self, item: etree._Element | None, loc: str) -> LineVat | None:
        if item is None:
            return None
        category = item.find(_A + "ClassifiedTaxCategory")
        if category is None:
            return None
        d = index(category)
        return LineVat(
            category_code=text(d, ID),
            rate=self.r.decimal(first(d, PERCENT), loc, "BT-152"),
            location=loc,
        )

    def item(self, element: etree._Element | None, loc: str) -> Item | None:
        if element is None:
            return None
        d = index(element)
        seller_id = buyer_id = None
        el = first(d, _A + "SellersItemIdentification")
        if el is not None:
            seller_id = text_of(el.find(ID))
        el = first(d, _A + "BuyersItemIdentification")
        if el is not None:
            buyer_id = text_of(el.find(ID))
        el = first(d, _A + "StandardItemIdentification")
        standard_id = identifier(el.find(ID)) if el is not None else None
        el = first(d, _A + "OriginCountry")
        origin = text_of(el.find(IDENTIFICATION_CODE)) if el is not None else None
        classifications = []
        for cc in d.get(_A + "CommodityClassification", ()):
            code = cc.find(_B + "ItemClassificationCode")
            if code is not None:
                classifications.append(
                    ItemClassification(
                        code=text_of(code) or "",
                        list_id=code.get("listID"),
                        list_version_id=code.get("listVersionID"),
                    )
                )
        attributes = []
        for i, prop in enumerate(d.get(_A + "AdditionalItemProperty", ())):
            pd = index(prop)
            attributes.append(
                ItemAttribute(
                    name=text(pd, NAME),
                    value=text(pd, _B + "Value"),
                    location=step(loc, "cac:AdditionalItemProperty", i),
                )
            )
        return Item(
            name=text(d, NAME),
            description=joined(d, _B + "Description"),
            seller_id=seller_id,
            buyer_id=buyer_id,
            standard_id=standard_id,
            classifications=tuple(classifications),
            origin_country=origin,
            attributes=tuple(attributes),
            location=loc,
        )


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _note(raw: str | None, loc: str) -> Note:
    """BG-1 from a UBL cbc:Note; XRechnung carries the subject code BT-21 as ``#CODE#text``."""
    value = raw.strip() if raw else ""
    if len(value) > 4 and value[0] == "#":
        end = value.find("#", 1)
        if 1 < end <= 4 and value[1:end].isalpha():
            return Note(subject_code=value[1:end], text=value[end + 1 :].strip(), location=loc)
    return Note(subject_code=None, text=value, location=loc)


#: Relative XPath, from the group's ``location``, of each business term, by model class and
#: field name. ``ingest.einvoice.locations.locate`` uses it to point findings at an element.
FIELD_PATHS: dict[str, dict[str, str]] = {
    "Invoice": {
        "number": "cbc:ID",
        "issue_date": "cbc:IssueDate",
        "type_code": "cbc:InvoiceTypeCode",
        "currency_code": "cbc:DocumentCurrencyCode",
        "vat_accounting_currency_code": "cbc:TaxCurrencyCode",
        "tax_point_date": "cbc:TaxPointDate",
        "tax_point_date_code": "cac:InvoicePeriod/cbc:DescriptionCode",
        "due_date": "cbc:DueDate",
        "buyer_reference": "cbc:BuyerReference",
        "project_reference": "cac:ProjectReference/cbc:ID",
        "contract_reference": "cac:ContractDocumentReference/cbc:ID",
        "purchase_order_reference": "cac:OrderReference/cbc:ID",
        "sales_order_reference": "cac:OrderReference/cbc:SalesOrderID",
        "receiving_advice_reference": "cac:ReceiptDocumentReference/cbc:ID",
        "despatch_advice_reference": "cac:DespatchDocumentReference/cbc:ID",
        "tender_or_lot_reference": "cac:OriginatorDocumentReference/cbc:ID",
        "invoiced_object_identifier": (
            "cac:AdditionalDocumentReference[cbc:DocumentTypeCode='130']/cbc:ID"
        ),
        "buyer_accounting_reference": "cbc:AccountingCost",
        "payment_terms": "cac:PaymentTerms/cbc:Note",
        "business_process": "cbc:ProfileID",
        "specification_identifier": "cbc:CustomizationID",
    },
    "Note": {"subject_code": ".", "text": "."},
    "PrecedingInvoice": {"reference": "cbc:ID", "issue_date": "cbc:IssueDate"},
    "Seller": {
        "name": "cac:PartyLegalEntity/cbc:RegistrationName",
        "trading_name": "cac:PartyName/cbc:Name",
        "identifiers": "cac:PartyIdentification/cbc:ID[not(@schemeID='SEPA')]",
        "legal_registration_id": "cac:PartyLegalEntity/cbc:CompanyID",
        "vat_id": "cac:PartyTaxScheme[cac:TaxScheme/cbc:ID='VAT']/cbc:CompanyID",
        "tax_registration_id": "cac:PartyTaxScheme[not(cac:TaxScheme/cbc:ID='VAT')]/cbc:CompanyID",
        "additional_legal_info": "cac:PartyLegalEntity/cbc:CompanyLegalForm",
        "electronic_address": "cbc:EndpointID",
    },
    "Buyer": {
        "name": "cac:PartyLegalEntity/cbc:RegistrationName",
        "trading_name": "cac:PartyName/cbc:Name",
        "identifier": "cac:PartyIdentification/cbc:ID",
        "legal_registration_id": "cac:PartyLegalEntity/cbc:CompanyID",
        "vat_id": "cac:PartyTaxScheme[cac:TaxScheme/cbc:ID='VAT']/cbc:CompanyID",
        "electronic_address": "cbc:EndpointID",
    },
    "Payee": {
        "name": "cac:PartyName/cbc:Name",
        "identifier": "cac:PartyIdentification/cbc:ID",
        "legal_registration_id": "cac:PartyLegalEntity/cbc:CompanyID",
    },
    "SellerTaxRepresentative": {
        "name": "cac:PartyName/cbc:Name",
        "vat_id": "cac:PartyTaxScheme/cbc:CompanyID",
    },
    "PostalAddress": {
        "line1": "cbc:StreetName",
        "line2": "cbc:AdditionalStreetName",
        "line3": "cac:AddressLine/cbc:Line",
        "city": "cbc:CityName",
        "post_code": "cbc:PostalZone",
        "country_subdivision": "cbc:CountrySubentity",
        "country_code": "cac:Country/cbc:IdentificationCode",
    },
    "Contact": {"name": "cbc:Name", "telephone": "cbc:Telephone", "email": "cbc:ElectronicMail"},
    "Delivery": {
        "party_name": "cac:DeliveryParty/cac:PartyName/cbc:Name",
        "location_id": "cac:DeliveryLocation/cbc:ID",
        "actual_delivery_date": "cbc:ActualDeliveryDate",
    },
    "Period": {"start_date": "cbc:StartDate", "end_date": "cbc:EndDate"},
    "PaymentInstructions": {
        "means_code": "cbc:PaymentMeansCode",
        "means_text": "cbc:PaymentMeansCode/@name",
        "remittance_information": "cbc:PaymentID",
        "means_codes": "cbc:PaymentMeansCode",
    },
    "CreditTransfer": {
        "account_id": "cbc:ID",
        "account_name": "cbc:Name",
        "service_provider_id": "cac:FinancialInstitutionBranch/cbc:ID",
    },
    "PaymentCard": {
        "primary_account_number": "cbc:PrimaryAccountNumberID",
        "holder_name": "cbc:HolderName",
        "network_id": "cbc:NetworkID",
    },
    "DirectDebit": {
        "mandate_reference": "cbc:ID",
        "creditor_id": (
            "/*/cac:AccountingSupplierParty/cac:Party/cac:PartyIdentification/cbc:ID[@schemeID='SEPA']"
            " | /*/cac:PayeeParty/cac:PartyIdentification/cbc:ID[@schemeID='SEPA']"
        ),
        "debited_account_id": "cac:PayerFinancialAccount/cbc:ID",
    },
    "AllowanceCharge": {
        "is_charge": "cbc:ChargeIndicator",
        "amount": "cbc:Amount",
        "base_amount": "cbc:BaseAmount",
        "percentage": "cbc:MultiplierFactorNumeric",
        "vat_category_code": "cac:TaxCategory/cbc:ID",
        "vat_rate": "cac:TaxCategory/cbc:Percent",
        "reason": "cbc:AllowanceChargeReason",
        "reason_code": "cbc:AllowanceChargeReasonCode",
    },
    "DocumentTotals": {
        "line_net_total": "cbc:LineExtensionAmount",
        "allowance_total": "cbc:AllowanceTotalAmount",
        "charge_total": "cbc:ChargeTotalAmount",
        "total_without_vat": "cbc:TaxExclusiveAmount",
        "vat_total": "../cac:TaxTotal/cbc:TaxAmount[@currencyID=/*/cbc:DocumentCurrencyCode]",
        "vat_total_accounting_currency": (
            "../cac:TaxTotal/cbc:TaxAmount[@currencyID=/*/cbc:TaxCurrencyCode]"
        ),
        "total_with_vat": "cbc:TaxInclusiveAmount",
        "paid_amount": "cbc:PrepaidAmount",
        "rounding_amount": "cbc:PayableRoundingAmount",
        "amount_due": "cbc:PayableAmount",
    },
    "VatBreakdown": {
        "taxable_amount": "cbc:TaxableAmount",
        "tax_amount": "cbc:TaxAmount",
        "category_code": "cac:TaxCategory/cbc:ID",
        "rate": "cac:TaxCategory/cbc:Percent",
        "exemption_reason": "cac:TaxCategory/cbc:TaxExemptionReason",
        "exemption_reason_code": "cac:TaxCategory/cbc:TaxExemptionReasonCode",
    },
    "Attachment": {
        "reference": "cbc:ID",
        "description": "cbc:DocumentDescription",
        "external_uri": "cac:Attachment/cac:ExternalReference/cbc:URI",
        "content_base64": "cac:Attachment/cbc:EmbeddedDocumentBinaryObject",
        "mime_code": "cac:Attachment/cbc:EmbeddedDocumentBinaryObject/@mimeCode",
        "filename": "cac:Attachment/cbc:EmbeddedDocumentBinaryObject/@filename",
        "type_code": "cbc:DocumentTypeCode",
    },
    "InvoiceLine": {
        "id": "cbc:ID",
        "note": "cbc:Note",
        "object_identifier": "cac:DocumentReference[cbc:DocumentTypeCode='130']/cbc:ID",
        "quantity": "cbc:InvoicedQuantity",
        "unit_code": "cbc:InvoicedQuantity/@unitCode",
        "net_amount": "cbc:LineExtensionAmount",
        "order_line_reference": "cac:OrderLineReference/cbc:LineID",
        "accounting_reference": "cbc:AccountingCost",
    },
    "PriceDetails": {
        "net_price": "cbc:PriceAmount",
        "discount": "cac:AllowanceCharge/cbc:Amount",
        "gross_price": "cac:AllowanceCharge/cbc:BaseAmount",
        "base_quantity": "cbc:BaseQuantity",
        "base_quantity_unit_code": "cbc:BaseQuantity/@unitCode",
    },
    "LineVat": {"category_code": "cbc:ID", "rate": "cbc:Percent"},
    "Item": {
        "name": "cbc:Name",
        "description": "cbc:Description",
        "seller_id": "cac:SellersItemIdentification/cbc:ID",
        "buyer_id": "cac:BuyersItemIdentification/cbc:ID",
        "standard_id": "cac:StandardItemIdentification/cbc:ID",
        "classifications": "cac:CommodityClassification/cbc:ItemClassificationCode",
        "origin_country": "cac:OriginCountry/cbc:IdentificationCode",
    },
    "ItemAttribute": {"name": "cbc:Name", "value": "cbc:Value"},
}

#: Credit notes: the terms whose element names differ from the Invoice ones.
FIELD_PATHS_CREDIT_NOTE: dict[str, dict[str, str]] = {
    "Invoice": {
        "type_code": "cbc:CreditNoteTypeCode",
        "due_date": "cac:PaymentMeans/cbc:PaymentDueDate",
        "project_reference": "cac:AdditionalDocumentReference[cbc:DocumentTypeCode='50']/cbc:ID",
    },
    "InvoiceLine": {
        "quantity": "cbc:CreditedQuantity",
        "unit_code": "cbc:CreditedQuantity/@unitCode",
    },
}
