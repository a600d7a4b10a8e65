"""What the rules see: the invoice model, the parsed tree, and values derived once per invoice.

Arithmetic follows the official schematron exactly: ``xs:decimal`` values (Python
``Decimal``, never float) and XPath ``round()``, which rounds half towards positive infinity
(``round(-2.5) = -2``), applied as ``round(x * 10 * 10) div 100`` for two decimals.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from lxml import etree

from ingest.einvoice import cii, ubl
from ingest.einvoice.codelists import ATTACHMENT_MIME_CODES
from ingest.einvoice.locations import locate
from ingest.einvoice.model import (
    AllowanceCharge,
    Amount,
    DocumentTotals,
    Invoice,
    InvoiceLine,
    Profile,
    Syntax,
)

ZERO = Decimal(0)
ONE = Decimal(1)
HALF = Decimal("0.5")
HUNDRED = Decimal(100)

#: XRechnung extension (BT-24 ``urn:cen.eu:en16931:2017#conformant#urn:xeinkauf.de:kosit:
#: extension:xrechnung_3.0``); the CIUS uses ``#compliant#...:xrechnung_3.0``.
EXTENSION_MARKER = "extension:xrechnung"
#: BR-CL-24: MIME codes the XRechnung extension allows beside the EN 16931 ones
EXTENSION_MIME_CODES = frozenset({"application/xml", "text/xml"})
#: CII line status codes (ZUGFeRD EXTENDED, XRechnung extension) of lines that are not summed
NOT_SUMMED_LINE_STATUS = frozenset({"DETAIL", "INFORMATION"})


class cached_property:  # a drop-in for functools.cached_property, hence the name
    """Like :func:`functools.cached_property` without its lock (Python 3.11 takes an RLock on
    every first access; a context belongs to one thread): computed on first access, then an
    ordinary instance attribute."""

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        self.fn = fn
        self.name = fn.__name__
        self.__doc__ = fn.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        value = self.fn(obj)
        obj.__dict__[self.name] = value
        return value


def xround(value: Decimal) -> Decimal:
    """XPath ``fn:round``: nearest integer, halves towards positive infinity."""
    return (value + HALF).to_integral_value(rounding=ROUND_FLOOR)


def round2(value: Decimal) -> Decimal:
    """The schematron's ``round(x * 10 * 10) div 100``."""
    return xround(value * HUNDRED) / HUNDRED


def dsum(values: Iterator[Decimal | None] | list[Decimal | None]) -> Decimal:
    """Sum of the present values (XPath ``sum()`` of the existing elements)."""
    total = ZERO
    for value in values:
        if value is not None:
            total += value
    return total


def filled(value: str | None) -> bool:
    """A text term that is present and not empty (the schematron's ``. != ''``)."""
    return value is not None and value != ""


class Ctx:
    """The validation context of one invoice."""

    def __init__(
        self,
        invoice: Invoice,
        root: etree._Element | None = None,
        *,
        is_einvoice: bool = True,
        source_warnings: tuple[str, ...] = (),
    ) -> None:
        self.inv = invoice
        self.root = root
        self.syntax = invoice.syntax
        self.ubl = invoice.syntax in (Syntax.UBL_INVOICE, Syntax.UBL_CREDIT_NOTE)
        self.cii = not self.ubl
        self.ubl_credit_note = invoice.syntax is Syntax.UBL_CREDIT_NOTE
        self.profile = invoice.profile
        spec = (invoice.specification_identifier or "").lower()
        self.xrechnung = invoice.profile in (Profile.XRECHNUNG_3, Profile.XRECHNUNG_LEGACY)
        self.extension = self.xrechnung and EXTENSION_MARKER in spec
        self.extended = invoice.profile is Profile.EXTENDED
        self.totals = invoice.totals if invoice.totals is not None else DocumentTotals()
        self.is_einvoice = is_einvoice
        self.source_warnings = source_warnings

    @cached_property
    def features(self) -> frozenset[str]:
        """Which optional parts the invoice has (rules that need absent ones are skipped)."""
        inv = self.inv
        found = set()
        if inv.allowances:
            found.add("allowances")
        if self.charges:
            found.add("charges")
        for line in self.all_lines:
            if line.allowances:
                found.add("line_allowances")
            if line.charges:
                found.add("line_charges")
            if line.period is not None:
                found.add("line_periods")
            item = line.item
            if item is not None:
                if item.attributes:
                    found.add("item_attributes")
                if item.standard_id or item.classifications or item.origin_country:
                    found.add("item_ids")
            if line.object_identifier is not None:
                found.add("object_ids")
        pi = inv.payment_instructions
        checks = (
            ("payee", inv.payee),
            ("tax_representative", inv.seller_tax_representative),
            ("delivery", inv.delivery),
            ("attachments", inv.attachments),
            ("preceding", inv.preceding_invoices),
            ("payment", pi),
            ("card", pi is not None and pi.payment_card is not None),
            ("direct_debit", pi is not None and pi.direct_debit is not None),
            ("period", inv.invoicing_period),
            ("sub_lines", self.has_sub_lines),
            ("tax_currency", inv.vat_accounting_currency_code),
            ("tax_point", inv.tax_point_date is not None or inv.tax_point_date_code),
            ("object_ids", inv.invoiced_object_identifier),
            ("notes", inv.notes),
            ("parse_issues", inv.parse_issues),
            ("source_warnings", self.source_warnings),
        )
        found.update(name for name, value in checks if value)
        return frozenset(found)

    # --- locations ------------------------------------------------------------------------

    def loc(self, group: object | None = None, field: str | None = None) -> str:
        """XPath of a term (``field`` of model object ``group``) or of a group."""
        if group is None:
            group = self.inv
        return locate(self.inv, group, field)

    def totals_loc(self, field: str | None = None) -> str:
        if self.inv.totals is None:
            return self.inv.location
        return locate(self.inv, self.inv.totals, field)

    # --- lines ----------------------------------------------------------------------------

    @cached_property
    def all_lines(self) -> list[InvoiceLine]:
        """Every line, sub lines (XRechnung extension, EXTENDED) after their parent."""
        return list(self.inv.iter_lines())

    @cached_property
    def checked_lines(self) -> list[InvoiceLine]:
        """The lines the line rules (BR-21.., BR-S-05, ...) apply to: UBL's rules address
        ``cac:InvoiceLine`` (not ``cac:SubInvoiceLine``); in CII every
        ``ram:IncludedSupplyChainTradeLineItem`` is a line."""
        return list(self.inv.lines) if self.ubl else self.all_lines

    @cached_property
    def has_sub_lines(self) -> bool:
        return len(self.all_lines) != len(self.inv.lines)

    @cached_property
    def summed_lines(self) -> list[InvoiceLine]:
        """The lines that add up to BT-106: the top-level lines, without CII lines whose
        status code says they are details or information only."""
        return [
            line
            for line in self.inv.lines
            if line.line_status_reason_code not in NOT_SUMMED_LINE_STATUS
        ]

    @cached_property
    def line_sets(self) -> list[list[InvoiceLine]]:
        """Candidate line sets for the sums. For CII documents with sub lines the EN 16931
        schematron sums every line item while the extensions sum the top level only; a sum
        that matches either is accepted (a false error is worse than a missed one)."""
        sets = [self.summed_lines]
        if self.cii and (self.has_sub_lines or len(self.summed_lines) != len(self.inv.lines)):
            sets.append(self.all_lines)
        return sets

    # --- allowances and charges --------------------------------------------------------------

    @cached_property
    def charges(self) -> tuple[AllowanceCharge, ...]:
        """Document level charges BG-21; for ZUGFeRD EXTENDED also the logistics service
        charges (``ram:SpecifiedLogisticsServiceCharge``), which that profile adds to BT-108
        and to the VAT breakdown."""
        if self.extended and self.cii and self.root is not None:
            extra = _logistics_charges(self.root)
            if extra:
                return self.inv.charges + extra
        return self.inv.charges

    # --- VAT categories ---------------------------------------------------------------------

    @cached_property
    def line_categories(self) -> frozenset[str]:
        """VAT category codes of all lines (``//cac:ClassifiedTaxCategory``)."""
        found = set()
        for line in self.all_lines:
            vat = line.vat
            if vat is not None and vat.category_code is not None:
                found.add(vat.category_code)
        return frozenset(found)

    @cached_property
    def allowance_categories(self) -> frozenset[str]:
        return frozenset(a.vat_category_code for a in self.inv.allowances if a.vat_category_code)

    @cached_property
    def charge_categories(self) -> frozenset[str]:
        return frozenset(c.vat_category_code for c in self.charges if c.vat_category_code)

    @cached_property
    def breakdown_categories(self) -> dict[str, int]:
        """VAT breakdown category codes with the number of breakdowns of each."""
        counts: dict[str, int] = {}
        for vat in self.inv.vat_breakdown:
            code = vat.category_code
            if code:
                counts[code] = counts.get(code, 0) + 1
        return counts

    @cached_property
    def used_categories(self) -> frozenset[str]:
        """Categories of lines, document allowances and charges."""
        return (
            frozenset(self.line_categories)
            | frozenset(self.allowance_categories)
            | frozenset(self.charge_categories)
        )

    @cached_property
    def all_categories(self) -> frozenset[str]:
        """Categories used anywhere, including the VAT breakdown (selects the rules to run)."""
        return self.used_categories.union(self.breakdown_categories)

    def category_net(
        self, category: str, rate: Decimal | None, lines: list[InvoiceLine], *, with_rate: bool
    ) -> tuple[Decimal, bool]:
        """Sum of line net amounts, plus charges, minus allowances of ``category`` (and, if
        ``with_rate``, of that rate): the taxable amount BT-116 must equal. Also whether any
        line, allowance or charge matched (``exists(...)`` in the schematron)."""
        total = ZERO
        found = False
        for line in lines:
            vat = line.vat
            if vat is None or vat.category_code != category:
                continue
            if with_rate and (vat.rate is None or vat.rate != rate):
                continue
            found = True
            if line.net_amount is not None:
                total += line.net_amount
        for entries, sign in ((self.charges, 1), (self.inv.allowances, -1)):
            for ac in entries:
                if ac.vat_category_code != category:
                    continue
                if with_rate and (ac.vat_rate is None or ac.vat_rate != rate):
                    continue
                found = True
                if ac.amount is not None:
                    total += ac.amount if sign > 0 else -ac.amount
        return total, found

    # --- parties ----------------------------------------------------------------------------

    @cached_property
    def seller_vat_id(self) -> bool:
        seller = self.inv.seller
        return seller is not None and filled(seller.vat_id)

    @cached_property
    def seller_tax_registration(self) -> bool:
        seller = self.inv.seller
        return seller is not None and filled(seller.tax_registration_id)

    @cached_property
    def tax_representative_vat_id(self) -> bool:
        rep = self.inv.seller_tax_representative
        return rep is not None and filled(rep.vat_id)

    @cached_property
    def buyer_vat_id(self) -> bool:
        buyer = self.inv.buyer
        return buyer is not None and filled(buyer.vat_id)

    @cached_property
    def buyer_legal_registration(self) -> bool:
        buyer = self.inv.buyer
        return (
            buyer is not None
            and buyer.legal_registration_id is not None
            and filled(buyer.legal_registration_id.value)
        )

    @cached_property
    def mime_codes(self) -> frozenset[str]:
        """BR-CL-24: the extension additionally allows XML attachments."""
        if self.extension:
            return ATTACHMENT_MIME_CODES | EXTENSION_MIME_CODES
        return ATTACHMENT_MIME_CODES

    def amounts(self) -> Iterator[Amount]:
        """Every amount of the model (BR-CL-03 checks their ``currencyID``)."""
        inv = self.inv
        totals = inv.totals
        if totals is not None:
            for field in _TOTAL_FIELDS:
                amount = getattr(totals, field)
                if amount is not None:
                    yield amount
        for vat in inv.vat_breakdown:
            if vat.taxable_amount is not None:
                yield vat.taxable_amount
            if vat.tax_amount is not None:
                yield vat.tax_amount
        for ac in inv.allowances + inv.charges:
            yield from _ac_amounts(ac)
        for line in self.all_lines:
            if line.net_amount is not None:
                yield line.net_amount
            for ac in line.allowances + line.charges:
                yield from _ac_amounts(ac)
            price = line.price
            if price is not None:
                for amount in (price.net_price, price.gross_price, price.discount):
                    if amount is not None:
                        yield amount

    # --- schema level -----------------------------------------------------------------------

    @cached_property
    def unreadable(self) -> frozenset[str]:
        """Terms with a value the parser could not read (reported as schema errors); the
        "must be present" rules do not report them a second time."""
        return frozenset(issue.term for issue in self.inv.parse_issues if issue.term)

    # --- payment ----------------------------------------------------------------------------

    @cached_property
    def means_codes(self) -> tuple[str, ...]:
        pi = self.inv.payment_instructions
        return pi.means_codes if pi is not None else ()

    @cached_property
    def payment_means(self) -> list[tuple[int, str | None, bool]]:
        """Each payment means element: (position, type code BT-81, has a payee account BT-84);
        :meth:`means_location` gives the XPath of a position.

        The model keeps one BG-16 per invoice; rules such as BR-61 check each element, so
        this reads the elements from the tree (from the model when there is no tree).
        """
        if self.root is not None:
            return _payment_means_from_tree(self)
        pi = self.inv.payment_instructions
        if pi is None:
            return []
        has_account = any(filled(t.account_id) for t in pi.credit_transfers)
        return [(i, code, has_account) for i, code in enumerate(pi.means_codes)]

    def means_location(self, position: int) -> str:
        if self.ubl:
            return f"{self.inv.location}/cac:PaymentMeans[{position + 1}]"
        return f"{_CII_SETTLEMENT_PATH}/ram:SpecifiedTradeSettlementPaymentMeans[{position + 1}]"

    def document_allowances_charges(self) -> Iterator[AllowanceCharge]:
        yield from self.inv.allowances
        yield from self.inv.charges


_UBL_MEANS = f"{{{ubl.CAC_NS}}}PaymentMeans"
_UBL_MEANS_CODE = f"{{{ubl.CBC_NS}}}PaymentMeansCode"
_UBL_PAYEE_ACCOUNT = f"{{{ubl.CAC_NS}}}PayeeFinancialAccount"
_UBL_ID = f"{{{ubl.CBC_NS}}}ID"
_CII_TRANSACTION = f"{{{cii.RSM_NS}}}SupplyChainTradeTransaction"
_CII_SETTLEMENT = f"{{{cii.RAM_NS}}}ApplicableHeaderTradeSettlement"
_CII_MEANS = f"{{{cii.RAM_NS}}}SpecifiedTradeSettlementPaymentMeans"
_CII_TYPE_CODE = f"{{{cii.RAM_NS}}}TypeCode"
_CII_CREDITOR = f"{{{cii.RAM_NS}}}PayeePartyCreditorFinancialAccount"
_CII_ACCOUNT_IDS = (f"{{{cii.RAM_NS}}}IBANID", f"{{{cii.RAM_NS}}}ProprietaryID")


def _text(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    return (element.text or "").strip()


def _child(element: etree._Element, tag: str) -> etree._Element | None:
    """The first child with ``tag`` (``iterchildren`` filters in C; ``find`` goes through
    ElementPath and costs several times more)."""
    return next(element.iterchildren(tag), None)


_TOTAL_FIELDS = (
    "line_net_total",
    "allowance_total",
    "charge_total",
    "total_without_vat",
    "vat_total",
    "vat_total_accounting_currency",
    "total_with_vat",
    "paid_amount",
    "rounding_amount",
    "amount_due",
)


def _ac_amounts(ac: AllowanceCharge) -> Iterator[Amount]:
    if ac.amount is not None:
        yield ac.amount
    if ac.base_amount is not None:
        yield ac.base_amount


_CII_SETTLEMENT_PATH = (
    "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"
)


def _payment_means_from_tree(ctx: Ctx) -> list[tuple[int, str | None, bool]]:
    root = ctx.root
    assert root is not None
    found: list[tuple[int, str | None, bool]] = []
    if ctx.ubl:
        for i, means in enumerate(root.iterchildren(_UBL_MEANS)):
            has_account = False
            for account in means.iterchildren(_UBL_PAYEE_ACCOUNT):
                if filled(_text(_child(account, _UBL_ID))):
                    has_account = True
            found.append((i, _text(_child(means, _UBL_MEANS_CODE)), has_account))
        return found
    settlement = _cii_settlement(root)
    if settlement is None:
        return found
    for i, means in enumerate(settlement.iterchildren(_CII_MEANS)):
        has_account = False
        for account in means.iterchildren(_CII_CREDITOR):
            for element in account.iterchildren(*_CII_ACCOUNT_IDS):
                if filled(_text(element)):
                    has_account = True
        found.append((i, _text(_child(means, _CII_TYPE_CODE)), has_account))
    return found


def _cii_settlement(root: etree._Element) -> etree._Element | None:
    transaction = _child(root, _CII_TRANSACTION)
    return _child(transaction, _CII_SETTLEMENT) if transaction is not None else None


_CII_LOGISTICS = f"{{{cii.RAM_NS}}}SpecifiedLogisticsServiceCharge"
_CII_APPLIED_AMOUNT = f"{{{cii.RAM_NS}}}AppliedAmount"
_CII_APPLIED_TAX = f"{{{cii.RAM_NS}}}AppliedTradeTax"
_CII_CATEGORY = f"{{{cii.RAM_NS}}}CategoryCode"
_CII_RATE = f"{{{cii.RAM_NS}}}RateApplicablePercent"
_DECIMAL_TEXT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


def _logistics_charges(root: etree._Element) -> tuple[AllowanceCharge, ...]:
    settlement = _cii_settlement(root)
    if settlement is None:
        return ()
    found = []
    prefix = (
        "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction"
        "/ram:ApplicableHeaderTradeSettlement/ram:SpecifiedLogisticsServiceCharge"
    )
    for i, charge in enumerate(settlement.iterchildren(_CII_LOGISTICS)):
        amount_text = _text(_child(charge, _CII_APPLIED_AMOUNT)) or ""
        if not _DECIMAL_TEXT.fullmatch(amount_text):
            continue
        tax = _child(charge, _CII_APPLIED_TAX)
        rate_text = _text(_child(tax, _CII_RATE)) if tax is not None else None
        found.append(
            AllowanceCharge(
                is_charge=True,
                amount=Amount(amount_text),
                vat_category_code=_text(_child(tax, _CII_CATEGORY)) if tax is not None else None,
                vat_rate=Decimal(rate_text)
                if rate_text and _DECIMAL_TEXT.fullmatch(rate_text)
                else None,
                reason="logistics service charge",
                location=f"{prefix}[{i + 1}]",
            )
        )
    return tuple(found)
