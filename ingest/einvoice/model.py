"""One typed model of the EN 16931-1 business terms, filled from UBL 2.1 or UN/CEFACT CII.

Every field is named after the semantic model and carries its business-term id (``BT-n``) or
business-group id (``BG-n``) in the field metadata (``field.metadata["bt"]``) and in the comment
beside it; :mod:`ingest.einvoice.render` uses the metadata for the JSON rendering. Groups that
occur in several places with different ids (addresses, contacts, periods, allowances and
charges) carry a mapping ``{group id: term id}`` instead of a single id.

Built for the validation rules that come next:

* Amounts are :class:`Amount`, a ``Decimal`` that also remembers its XML text and its
  ``currencyID`` attribute, because rules check both (BR-DEC-* decimals, currency rules).
* Values that could not be read (a date that is no date, a number that is no number) are
  ``None`` and recorded as a :class:`ParseIssue` on the invoice, so that a rule can report
  them as findings instead of the parser crashing or guessing.
* A text element that is present but empty is ``""``; an absent one is ``None``.
* Every group records ``location``: an XPath (with the prefixes of the syntax, see
  ``ingest.einvoice.locations``) of the element it was read from; the path of a single term
  is that location plus the relative path in ``ingest.einvoice.locations``.

All classes are frozen; tuples stand for repeated terms.
"""

from __future__ import annotations

import binascii
import enum
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from ingest.einvoice.codelists import CREDIT_NOTE_TYPE_CODES


class Syntax(enum.StrEnum):
    """The XML syntax the invoice was read from."""

    UBL_INVOICE = "UBL-Invoice"
    UBL_CREDIT_NOTE = "UBL-CreditNote"
    CII = "CII"
    # ZUGFeRD 1.0 (urn:ferd:CrossIndustryDocument:invoice:1p0): a CII predecessor (D13B-based)
    # that is not EN 16931; read "as far as sensible" by mapping its elements onto CII D16B.
    ZUGFERD1 = "ZUGFeRD-1.0-CII"


class Profile(enum.StrEnum):
    """The usage profile, derived from the specification identifier BT-24."""

    XRECHNUNG_3 = "XRechnung 3.x"
    XRECHNUNG_LEGACY = "XRechnung 1.x/2.x"
    EN16931 = "EN16931"
    EXTENDED = "EXTENDED"
    BASIC = "BASIC"
    BASIC_WL = "BASIC WL"
    MINIMUM = "MINIMUM"
    ZUGFERD_1 = "ZUGFeRD 1.0"
    UNKNOWN = "unknown"


def _bt(term: str | dict[str, str], name: str, default: Any = None) -> Any:
    """A dataclass field documented with its business-term id and English name."""
    return field(default=default, metadata={"bt": term, "name": name})


class Amount(Decimal):
    """A monetary amount: a ``Decimal`` that keeps its XML text and ``currencyID`` attribute.

    Arithmetic gives plain ``Decimal`` results; equality and hashing are those of the value,
    so ``Amount("10.00", "EUR") == Decimal("10")``.
    """

    __slots__ = ("text", "currency")
    text: str
    currency: str | None

    def __new__(cls, text: str, currency: str | None = None) -> Amount:
        self = Decimal.__new__(cls, text)
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "currency", currency)
        return self

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Amount is immutable")

    def __repr__(self) -> str:
        return f"Amount({self.text!r}, {self.currency!r})"

    def __reduce__(self) -> tuple[type[Amount], tuple[str, str | None]]:
        return (type(self), (self.text, self.currency))

    def __copy__(self) -> Amount:
        return self

    def __deepcopy__(self, memo: object) -> Amount:
        return self

    @property
    def decimal_places(self) -> int:
        """Digits after the decimal point as written (BR-DEC-* count these)."""
        exponent = self.as_tuple().exponent
        return -exponent if isinstance(exponent, int) and exponent < 0 else 0


@dataclass(frozen=True, slots=True)
class ParseIssue:
    """A value the parser found but could not read; validation reports it as a finding."""

    location: str
    message: str  # German / English
    term: str | None = None  # the BT id concerned, if one
    code: str = "unreadable"  # unreadable-decimal, -date, -indicator; structure


@dataclass(frozen=True, slots=True)
class Identifier:
    """An identifier with its optional scheme (the ``-1`` sub-term, e.g. BT-29-1)."""

    value: str
    scheme_id: str | None = None


@dataclass(frozen=True, slots=True)
class PostalAddress:
    """BG-5 seller / BG-8 buyer / BG-12 tax representative / BG-15 deliver-to address."""

    line1: str | None = _bt(
        {"BG-5": "BT-35", "BG-8": "BT-50", "BG-12": "BT-64", "BG-15": "BT-75"}, "Address line 1"
    )
    line2: str | None = _bt(
        {"BG-5": "BT-36", "BG-8": "BT-51", "BG-12": "BT-65", "BG-15": "BT-76"}, "Address line 2"
    )
    line3: str | None = _bt(
        {"BG-5": "BT-162", "BG-8": "BT-163", "BG-12": "BT-164", "BG-15": "BT-165"},
        "Address line 3",
    )
    city: str | None = _bt(
        {"BG-5": "BT-37", "BG-8": "BT-52", "BG-12": "BT-66", "BG-15": "BT-77"}, "City"
    )
    post_code: str | None = _bt(
        {"BG-5": "BT-38", "BG-8": "BT-53", "BG-12": "BT-67", "BG-15": "BT-78"}, "Post code"
    )
    country_subdivision: str | None = _bt(
        {"BG-5": "BT-39", "BG-8": "BT-54", "BG-12": "BT-68", "BG-15": "BT-79"},
        "Country subdivision",
    )
    country_code: str | None = _bt(
        {"BG-5": "BT-40", "BG-8": "BT-55", "BG-12": "BT-69", "BG-15": "BT-80"}, "Country code"
    )
    location: str = ""


@dataclass(frozen=True, slots=True)
class Contact:
    """BG-6 seller contact / BG-9 buyer contact."""

    name: str | None = _bt({"BG-6": "BT-41", "BG-9": "BT-56"}, "Contact point")
    telephone: str | None = _bt({"BG-6": "BT-42", "BG-9": "BT-57"}, "Contact telephone number")
    email: str | None = _bt({"BG-6": "BT-43", "BG-9": "BT-58"}, "Contact email address")
    location: str = ""


@dataclass(frozen=True, slots=True)
class Seller:
    """BG-4 SELLER."""

    name: str | None = _bt("BT-27", "Seller name")
    trading_name: str | None = _bt("BT-28", "Seller trading name")
    identifiers: tuple[Identifier, ...] = _bt("BT-29", "Seller identifier", ())
    legal_registration_id: Identifier | None = _bt("BT-30", "Seller legal registration identifier")
    vat_id: str | None = _bt("BT-31", "Seller VAT identifier")
    tax_registration_id: str | None = _bt("BT-32", "Seller tax registration identifier")
    additional_legal_info: str | None = _bt("BT-33", "Seller additional legal information")
    electronic_address: Identifier | None = _bt("BT-34", "Seller electronic address")
    address: PostalAddress | None = _bt("BG-5", "SELLER POSTAL ADDRESS")
    contact: Contact | None = _bt("BG-6", "SELLER CONTACT")
    location: str = ""


@dataclass(frozen=True, slots=True)
class Buyer:
    """BG-7 BUYER."""

    name: str | None = _bt("BT-44", "Buyer name")
    trading_name: str | None = _bt("BT-45", "Buyer trading name")
    identifier: Identifier | None = _bt("BT-46", "Buyer identifier")
    legal_registration_id: Identifier | None = _bt("BT-47", "Buyer legal registration identifier")
    vat_id: str | None = _bt("BT-48", "Buyer VAT identifier")
    electronic_address: Identifier | None = _bt("BT-49", "Buyer electronic address")
    address: PostalAddress | None = _bt("BG-8", "BUYER POSTAL ADDRESS")
    contact: Contact | None = _bt("BG-9", "BUYER CONTACT")
    location: str = ""


@dataclass(frozen=True, slots=True)
class Payee:
    """BG-10 PAYEE (only when the payee is not the seller)."""

    name: str | None = _bt("BT-59", "Payee name")
    identifier: Identifier | None = _bt("BT-60", "Payee identifier")
    legal_registration_id: Identifier | None = _bt("BT-61", "Payee legal registration identifier")
    location: str = ""


@dataclass(frozen=True, slots=True)
class SellerTaxRepresentative:
    """BG-11 SELLER TAX REPRESENTATIVE PARTY."""

    name: str | None = _bt("BT-62", "Seller tax representative name")
    vat_id: str | None = _bt("BT-63", "Seller tax representative VAT identifier")
    address: PostalAddress | None = _bt("BG-12", "SELLER TAX REPRESENTATIVE POSTAL ADDRESS")
    location: str = ""


@dataclass(frozen=True, slots=True)
class Period:
    """BG-14 INVOICING PERIOD / BG-26 INVOICE LINE PERIOD."""

    start_date: date | None = _bt({"BG-14": "BT-73", "BG-26": "BT-134"}, "Period start date")
    end_date: date | None = _bt({"BG-14": "BT-74", "BG-26": "BT-135"}, "Period end date")
    location: str = ""


@dataclass(frozen=True, slots=True)
class Delivery:
    """BG-13 DELIVERY INFORMATION (the invoicing period BG-14 is on :class:`Invoice`)."""

    party_name: str | None = _bt("BT-70", "Deliver to party name")
    location_id: Identifier | None = _bt("BT-71", "Deliver to location identifier")
    actual_delivery_date: date | None = _bt("BT-72", "Actual delivery date")
    address: PostalAddress | None = _bt("BG-15", "DELIVER TO ADDRESS")
    location: str = ""


@dataclass(frozen=True, slots=True)
class CreditTransfer:
    """BG-17 CREDIT TRANSFER."""

    account_id: str | None = _bt("BT-84", "Payment account identifier")  # IBAN for SEPA
    account_name: str | None = _bt("BT-85", "Payment account name")
    service_provider_id: str | None = _bt("BT-86", "Payment service provider identifier")  # BIC
    # CII only: the account was given as ram:ProprietaryID rather than ram:IBANID.
    proprietary: bool = False
    location: str = ""


@dataclass(frozen=True, slots=True)
class PaymentCard:
    """BG-18 PAYMENT CARD INFORMATION."""

    primary_account_number: str | None = _bt("BT-87", "Payment card primary account number")
    holder_name: str | None = _bt("BT-88", "Payment card holder name")
    network_id: str | None = None  # UBL cbc:NetworkID (required by UBL, no business term)
    location: str = ""


@dataclass(frozen=True, slots=True)
class DirectDebit:
    """BG-19 DIRECT DEBIT."""

    mandate_reference: str | None = _bt("BT-89", "Mandate reference identifier")
    creditor_id: str | None = _bt("BT-90", "Bank assigned creditor identifier")
    debited_account_id: str | None = _bt("BT-91", "Debited account identifier")
    location: str = ""


@dataclass(frozen=True, slots=True)
class PaymentInstructions:
    """BG-16 PAYMENT INSTRUCTIONS.

    Both syntaxes allow several payment-means elements, each with its own code; the model has
    one BG-16 with the first code as BT-81 and all codes, in order, in ``means_codes``.
    """

    means_code: str | None = _bt("BT-81", "Payment means type code")
    means_text: str | None = _bt("BT-82", "Payment means text")
    remittance_information: str | None = _bt("BT-83", "Remittance information")
    credit_transfers: tuple[CreditTransfer, ...] = _bt("BG-17", "CREDIT TRANSFER", ())
    payment_card: PaymentCard | None = _bt("BG-18", "PAYMENT CARD INFORMATION")
    direct_debit: DirectDebit | None = _bt("BG-19", "DIRECT DEBIT")
    means_codes: tuple[str, ...] = ()
    location: str = ""


@dataclass(frozen=True, slots=True)
class AllowanceCharge:
    """BG-20 DOCUMENT LEVEL ALLOWANCES / BG-21 CHARGES / BG-27 line allowances / BG-28 charges.

    VAT category and rate exist at document level only (BT-95/96, BT-102/103).
    """

    is_charge: bool = False
    amount: Amount | None = _bt(
        {"BG-20": "BT-92", "BG-21": "BT-99", "BG-27": "BT-136", "BG-28": "BT-141"}, "Amount"
    )
    base_amount: Amount | None = _bt(
        {"BG-20": "BT-93", "BG-21": "BT-100", "BG-27": "BT-137", "BG-28": "BT-142"},
        "Base amount",
    )
    percentage: Decimal | None = _bt(
        {"BG-20": "BT-94", "BG-21": "BT-101", "BG-27": "BT-138", "BG-28": "BT-143"},
        "Percentage",
    )
    vat_category_code: str | None = _bt({"BG-20": "BT-95", "BG-21": "BT-102"}, "VAT category code")
    vat_rate: Decimal | None = _bt({"BG-20": "BT-96", "BG-21": "BT-103"}, "VAT rate")
    reason: str | None = _bt(
        {"BG-20": "BT-97", "BG-21": "BT-104", "BG-27": "BT-139", "BG-28": "BT-144"}, "Reason"
    )
    reason_code: str | None = _bt(
        {"BG-20": "BT-98", "BG-21": "BT-105", "BG-27": "BT-140", "BG-28": "BT-145"},
        "Reason code",
    )
    location: str = ""


@dataclass(frozen=True, slots=True)
class DocumentTotals:
    """BG-22 DOCUMENT TOTALS."""

    line_net_total: Amount | None = _bt("BT-106", "Sum of Invoice line net amount")
    allowance_total: Amount | None = _bt("BT-107", "Sum of allowances on document level")
    charge_total: Amount | None = _bt("BT-108", "Sum of charges on document level")
    total_without_vat: Amount | None = _bt("BT-109", "Invoice total amount without VAT")
    vat_total: Amount | None = _bt("BT-110", "Invoice total VAT amount")
    vat_total_accounting_currency: Amount | None = _bt(
        "BT-111", "Invoice total VAT amount in accounting currency"
    )
    total_with_vat: Amount | None = _bt("BT-112", "Invoice total amount with VAT")
    paid_amount: Amount | None = _bt("BT-113", "Paid amount")
    rounding_amount: Amount | None = _bt("BT-114", "Rounding amount")
    amount_due: Amount | None = _bt("BT-115", "Amount due for payment")
    location: str = ""


@dataclass(frozen=True, slots=True)
class VatBreakdown:
    """BG-23 VAT BREAKDOWN (one per VAT category and rate)."""

    taxable_amount: Amount | None = _bt("BT-116", "VAT category taxable amount")
    tax_amount: Amount | None = _bt("BT-117", "VAT category tax amount")
    category_code: str | None = _bt("BT-118", "VAT category code")
    rate: Decimal | None = _bt("BT-119", "VAT category rate")
    exemption_reason: str | None = _bt("BT-120", "VAT exemption reason text")
    exemption_reason_code: str | None = _bt("BT-121", "VAT exemption reason code")
    location: str = ""


_BASE64_WHITESPACE = str.maketrans("", "", " \t\r\n\f\v")


@dataclass(frozen=True, slots=True)
class Attachment:
    """BG-24 ADDITIONAL SUPPORTING DOCUMENTS.

    The embedded document (BT-125) is kept as the base64 text of the XML and decoded on
    access (:attr:`data`): decoding megabytes of attachments that nobody reads would cost
    more than parsing the invoice. ``data`` is None when there is no embedded document or
    when its base64 is invalid; :attr:`base64_valid` tells the two apart for validation.
    """

    reference: str | None = _bt("BT-122", "Supporting document reference")
    description: str | None = _bt("BT-123", "Supporting document description")
    external_uri: str | None = _bt("BT-124", "External document location")
    content_base64: str | None = field(
        default=None, metadata={"bt": "BT-125", "name": "Attached document", "base64": True}
    )
    mime_code: str | None = _bt("BT-125-1", "Attached document Mime code")
    filename: str | None = _bt("BT-125-2", "Attached document Filename")
    type_code: str | None = None  # UBL DocumentTypeCode / CII TypeCode (916) as written
    location: str = ""

    def decode(self) -> bytes | None:
        """BT-125 decoded; raises ValueError if the content is not valid base64."""
        if self.content_base64 is None:
            return None
        compact = self.content_base64.translate(_BASE64_WHITESPACE)
        try:
            return binascii.a2b_base64(compact.encode("ascii"), strict_mode=True)
        except (binascii.Error, UnicodeEncodeError) as exc:
            raise ValueError("BT-125 is not valid base64") from exc

    @property
    def data(self) -> bytes | None:
        """The attached document's bytes (None if absent or not valid base64)."""
        try:
            return self.decode()
        except ValueError:
            return None

    @property
    def base64_valid(self) -> bool:
        """False only when content is present but is not valid base64 (xs:base64Binary)."""
        try:
            self.decode()
        except ValueError:
            return False
        return True


@dataclass(frozen=True, slots=True)
class Note:
    """BG-1 INVOICE NOTE."""

    subject_code: str | None = _bt("BT-21", "Invoice note subject code")
    text: str | None = _bt("BT-22", "Invoice note")
    location: str = ""


@dataclass(frozen=True, slots=True)
class PrecedingInvoice:
    """BG-3 PRECEDING INVOICE REFERENCE."""

    reference: str | None = _bt("BT-25", "Preceding Invoice reference")
    issue_date: date | None = _bt("BT-26", "Preceding Invoice issue date")
    location: str = ""


@dataclass(frozen=True, slots=True)
class ItemClassification:
    """BT-158 Item classification identifier with BT-158-1 scheme and BT-158-2 version."""

    code: str
    list_id: str | None = None
    list_version_id: str | None = None


@dataclass(frozen=True, slots=True)
class ItemAttribute:
    """BG-32 ITEM ATTRIBUTES."""

    name: str | None = _bt("BT-160", "Item attribute name")
    value: str | None = _bt("BT-161", "Item attribute value")
    location: str = ""


@dataclass(frozen=True, slots=True)
class Item:
    """BG-31 ITEM INFORMATION."""

    name: str | None = _bt("BT-153", "Item name")
    description: str | None = _bt("BT-154", "Item description")
    seller_id: str | None = _bt("BT-155", "Item Seller's identifier")
    buyer_id: str | None = _bt("BT-156", "Item Buyer's identifier")
    standard_id: Identifier | None = _bt("BT-157", "Item standard identifier")
    classifications: tuple[ItemClassification, ...] = _bt(
        "BT-158", "Item classification identifier", ()
    )
    origin_country: str | None = _bt("BT-159", "Item country of origin")
    attributes: tuple[ItemAttribute, ...] = _bt("BG-32", "ITEM ATTRIBUTES", ())
    location: str = ""


@dataclass(frozen=True, slots=True)
class PriceDetails:
    """BG-29 PRICE DETAILS."""

    net_price: Amount | None = _bt("BT-146", "Item net price")
    discount: Amount | None = _bt("BT-147", "Item price discount")
    gross_price: Amount | None = _bt("BT-148", "Item gross price")
    base_quantity: Decimal | None = _bt("BT-149", "Item price base quantity")
    base_quantity_unit_code: str | None = _bt(
        "BT-150", "Item price base quantity unit of measure code"
    )
    location: str = ""


@dataclass(frozen=True, slots=True)
class LineVat:
    """BG-30 LINE VAT INFORMATION."""

    category_code: str | None = _bt("BT-151", "Invoiced item VAT category code")
    rate: Decimal | None = _bt("BT-152", "Invoiced item VAT rate")
    location: str = ""


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    """BG-25 INVOICE LINE.

    ``sub_lines`` holds the XRechnung extension's sub invoice lines (BG-DEX-01: UBL
    ``cac:SubInvoiceLine``; CII lines whose ``ram:ParentLineID`` names this line).
    """

    id: str | None = _bt("BT-126", "Invoice line identifier")
    note: str | None = _bt("BT-127", "Invoice line note")
    object_identifier: Identifier | None = _bt("BT-128", "Invoice line object identifier")
    quantity: Decimal | None = _bt("BT-129", "Invoiced quantity")
    unit_code: str | None = _bt("BT-130", "Invoiced quantity unit of measure code")
    net_amount: Amount | None = _bt("BT-131", "Invoice line net amount")
    order_line_reference: str | None = _bt("BT-132", "Referenced purchase order line reference")
    accounting_reference: str | None = _bt("BT-133", "Invoice line Buyer accounting reference")
    period: Period | None = _bt("BG-26", "INVOICE LINE PERIOD")
    allowances: tuple[AllowanceCharge, ...] = _bt("BG-27", "INVOICE LINE ALLOWANCES", ())
    charges: tuple[AllowanceCharge, ...] = _bt("BG-28", "INVOICE LINE CHARGES", ())
    price: PriceDetails | None = _bt("BG-29", "PRICE DETAILS")
    vat: LineVat | None = _bt("BG-30", "LINE VAT INFORMATION")
    item: Item | None = _bt("BG-31", "ITEM INFORMATION")
    sub_lines: tuple[InvoiceLine, ...] = _bt("BG-DEX-01", "SUB INVOICE LINE", ())
    parent_line_id: str | None = None  # CII ram:ParentLineID (extension)
    line_status_reason_code: str | None = None  # CII ram:LineStatusReasonCode (extension)
    location: str = ""


@dataclass(frozen=True, slots=True)
class Invoice:
    """The invoice (or credit note): header terms and the groups BG-1 to BG-25."""

    syntax: Syntax = Syntax.CII
    profile: Profile = Profile.UNKNOWN
    number: str | None = _bt("BT-1", "Invoice number")
    issue_date: date | None = _bt("BT-2", "Invoice issue date")
    type_code: str | None = _bt("BT-3", "Invoice type code")
    currency_code: str | None = _bt("BT-5", "Invoice currency code")
    vat_accounting_currency_code: str | None = _bt("BT-6", "VAT accounting currency code")
    tax_point_date: date | None = _bt("BT-7", "Value added tax point date")
    tax_point_date_code: str | None = _bt("BT-8", "Value added tax point date code")
    due_date: date | None = _bt("BT-9", "Payment due date")
    buyer_reference: str | None = _bt("BT-10", "Buyer reference")  # the Leitweg-ID
    project_reference: str | None = _bt("BT-11", "Project reference")
    contract_reference: str | None = _bt("BT-12", "Contract reference")
    purchase_order_reference: str | None = _bt("BT-13", "Purchase order reference")
    sales_order_reference: str | None = _bt("BT-14", "Sales order reference")
    receiving_advice_reference: str | None = _bt("BT-15", "Receiving advice reference")
    despatch_advice_reference: str | None = _bt("BT-16", "Despatch advice reference")
    tender_or_lot_reference: str | None = _bt("BT-17", "Tender or lot reference")
    invoiced_object_identifier: Identifier | None = _bt("BT-18", "Invoiced object identifier")
    buyer_accounting_reference: str | None = _bt("BT-19", "Buyer accounting reference")
    payment_terms: str | None = _bt("BT-20", "Payment terms")
    notes: tuple[Note, ...] = _bt("BG-1", "INVOICE NOTE", ())
    business_process: str | None = _bt("BT-23", "Business process type")
    specification_identifier: str | None = _bt("BT-24", "Specification identifier")
    preceding_invoices: tuple[PrecedingInvoice, ...] = _bt(
        "BG-3", "PRECEDING INVOICE REFERENCE", ()
    )
    seller: Seller | None = _bt("BG-4", "SELLER")
    buyer: Buyer | None = _bt("BG-7", "BUYER")
    payee: Payee | None = _bt("BG-10", "PAYEE")
    seller_tax_representative: SellerTaxRepresentative | None = _bt(
        "BG-11", "SELLER TAX REPRESENTATIVE PARTY"
    )
    delivery: Delivery | None = _bt("BG-13", "DELIVERY INFORMATION")
    # EN 16931 nests BG-14 inside BG-13, but both syntaxes keep the invoicing period outside the
    # delivery element (UBL cac:InvoicePeriod, CII ram:BillingSpecifiedPeriod), so it sits here.
    invoicing_period: Period | None = _bt("BG-14", "INVOICING PERIOD")
    payment_instructions: PaymentInstructions | None = _bt("BG-16", "PAYMENT INSTRUCTIONS")
    allowances: tuple[AllowanceCharge, ...] = _bt("BG-20", "DOCUMENT LEVEL ALLOWANCES", ())
    charges: tuple[AllowanceCharge, ...] = _bt("BG-21", "DOCUMENT LEVEL CHARGES", ())
    totals: DocumentTotals | None = _bt("BG-22", "DOCUMENT TOTALS")
    vat_breakdown: tuple[VatBreakdown, ...] = _bt("BG-23", "VAT BREAKDOWN", ())
    attachments: tuple[Attachment, ...] = _bt("BG-24", "ADDITIONAL SUPPORTING DOCUMENTS", ())
    lines: tuple[InvoiceLine, ...] = _bt("BG-25", "INVOICE LINE", ())
    parse_issues: tuple[ParseIssue, ...] = ()
    location: str = ""

    @property
    def is_credit_note(self) -> bool:
        """A UBL CreditNote, or a CII document with a credit-note type code (e.g. 381)."""
        return self.syntax is Syntax.UBL_CREDIT_NOTE or self.type_code in CREDIT_NOTE_TYPE_CODES

    def iter_lines(self) -> Iterator[InvoiceLine]:
        """All lines depth-first, sub lines (XRechnung extension) after their parent."""
        stack = list(reversed(self.lines))
        while stack:
            line = stack.pop()
            yield line
            stack.extend(reversed(line.sub_lines))
