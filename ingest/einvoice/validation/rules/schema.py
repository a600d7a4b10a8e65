"""Schema level (what the official validator's XML Schema step rejects) and the profile.

* XSD-VALUE: a value that is not of its XML Schema type (a date that is no date, an amount
  with a decimal comma, a boolean that is neither true nor false); the parser recorded it.
* XSD-BASE64: an embedded attachment (BT-125) that is not valid ``xs:base64Binary``.
* XSD-CARDINALITY: an element the schema allows once occurs several times, or a required
  top-level element is missing.
* DMS-STRUCTURE: structural oddities the parser worked around (a sub line naming no parent).
* DMS-PROFILE: MINIMUM, BASIC WL and ZUGFeRD 1.0 are not checked as invoices; they are not
  e-invoices under section 14 UStG (an error, so that they do not pass the formal check).
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from ingest.einvoice import cii, ubl
from ingest.einvoice.model import Profile
from ingest.einvoice.profiles import NOT_EINVOICE_NO_LINES, NOT_EINVOICE_ZUGFERD1
from ingest.einvoice.validation.context import Ctx
from ingest.einvoice.validation.registry import Family, Hit, Hits, Scope, Severity, rule

F = Family.SCHEMA
UNREADABLE = frozenset(
    {"unreadable", "unreadable-decimal", "unreadable-date", "unreadable-indicator"}
)

_B = f"{{{ubl.CBC_NS}}}"
_A = f"{{{ubl.CAC_NS}}}"
#: UBL 2.1 Invoice / CreditNote: root children with maxOccurs="1" (as "prefix:name")
_UBL_SINGLE_CBC = (
    "UBLVersionID CustomizationID ProfileID ProfileExecutionID ID CopyIndicator UUID IssueDate"
    " IssueTime DueDate InvoiceTypeCode CreditNoteTypeCode TaxPointDate DocumentCurrencyCode"
    " TaxCurrencyCode PricingCurrencyCode PaymentCurrencyCode PaymentAlternativeCurrencyCode"
    " AccountingCostCode AccountingCost LineCountNumeric BuyerReference"
)
_UBL_SINGLE_CAC = (
    "OrderReference AccountingSupplierParty AccountingCustomerParty PayeeParty"
    " BuyerCustomerParty SellerSupplierParty TaxRepresentativeParty TaxExchangeRate"
    " PricingExchangeRate PaymentExchangeRate PaymentAlternativeExchangeRate LegalMonetaryTotal"
)
_UBL_SINGLE = tuple((_B + n, "cbc:" + n) for n in _UBL_SINGLE_CBC.split()) + tuple(
    (_A + n, "cac:" + n) for n in _UBL_SINGLE_CAC.split()
)
_R = f"{{{cii.RAM_NS}}}"
_S = f"{{{cii.RSM_NS}}}"
#: CII D16B: (child tag, child name) of elements that occur exactly once
_CII_ROOT_CHILDREN = (
    (_S + "ExchangedDocumentContext", "rsm:ExchangedDocumentContext"),
    (_S + "ExchangedDocument", "rsm:ExchangedDocument"),
    (_S + "SupplyChainTradeTransaction", "rsm:SupplyChainTradeTransaction"),
)
_CII_TRANSACTION_CHILDREN = (
    (_R + "ApplicableHeaderTradeAgreement", "ram:ApplicableHeaderTradeAgreement"),
    (_R + "ApplicableHeaderTradeDelivery", "ram:ApplicableHeaderTradeDelivery"),
    (_R + "ApplicableHeaderTradeSettlement", "ram:ApplicableHeaderTradeSettlement"),
)
_UBL_SINGLE_NAMES = dict(_UBL_SINGLE)
_UBL_LINE_TAGS = frozenset({_A + "InvoiceLine", _A + "CreditNoteLine"})


def split_bilingual(text: str) -> tuple[str, str]:
    """Split "Deutsch / English" at the separator nearest the middle (either half may
    itself contain " / ")."""
    positions = [i for i in range(len(text)) if text.startswith(" / ", i)]
    if not positions:
        return text, text
    # prefer a separator between sentences: after ". ) ! ?", before a capital
    sentence = [
        i
        for i in positions
        if text[i - 1 : i] in (".", ")", "!", "?") and text[i + 3 : i + 4].isupper()
    ]
    middle = min(sentence or positions, key=lambda i: abs(i - len(text) / 2))
    return text[:middle], text[middle + 3 :]


@rule(
    "XSD-VALUE",
    Severity.ERROR,
    (),
    "Ungültiger Wert laut XML-Schema: {de}",
    "Invalid value according to the XML Schema: {en}",
    family=F,
    scope=Scope.ALL,
    needs="parse_issues",
)
def xsd_value(ctx: Ctx) -> Hits:
    for issue in ctx.inv.parse_issues:
        if issue.code in UNREADABLE:
            de, en = split_bilingual(issue.message)
            yield Hit(issue.location, {"de": de, "en": en})


@rule(
    "XSD-BASE64",
    Severity.ERROR,
    "BT-125",
    "Das angehängte Dokument ‚{value}‘ (BT-125) ist kein gültiges Base64.",
    "The attached document '{value}' (BT-125) is not valid base64.",
    family=F,
    scope=Scope.ALL,
    needs="attachments",
)
def xsd_base64(ctx: Ctx) -> Hits:
    for attachment in ctx.inv.attachments:
        if attachment.content_base64 is not None and not base64_valid(attachment.content_base64):
            yield Hit(
                ctx.loc(attachment, "content_base64"),
                {"value": attachment.filename or attachment.reference or "?"},
            )


_B64_WHITESPACE = b" \t\r\n\f\v"
_B64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_B64_DELETE = _B64_ALPHABET + _B64_WHITESPACE


def base64_valid(text: str) -> bool:
    """``xs:base64Binary`` without decoding (attachments are megabytes; decoding them only to
    validate would cost more than parsing the invoice): the alphabet and whitespace only, a
    length that is a multiple of four, at most two ``=`` of padding at the end."""
    if not text.isascii():
        return False
    raw = text.encode("ascii")
    rest = raw.translate(None, _B64_DELETE)
    if rest and rest not in (b"=", b"=="):
        return False
    length = len(raw) - sum(raw.count(ws) for ws in (b" ", b"\t", b"\r", b"\n", b"\f", b"\v"))
    if length % 4:
        return False
    return not rest or raw.rstrip(_B64_WHITESPACE).endswith(rest)


def _count(parent: etree._Element, tags: tuple[tuple[str, str], ...], minimum: int):
    """(name, count) of the children with one of ``tags`` that occur more than once or less
    than ``minimum`` times (one ``iterchildren`` per tag: lxml filters a single tag in C,
    so invoice lines and other repeated children cost nothing)."""
    for tag, name in tags:
        n = 0
        for _ in parent.iterchildren(tag):
            n += 1
        if n > 1 or n < minimum:
            yield name, n


def _ubl_duplicates(root: etree._Element) -> Iterator[tuple[str, int]]:
    """UBL: the header elements that occur more than once. The header comes first (the
    schema's sequence), so the walk stops at the first invoice line."""
    counts: dict[str, int] = {}
    for child in root:
        tag = child.tag
        if tag in _UBL_LINE_TAGS:
            break
        if tag in _UBL_SINGLE_NAMES:
            counts[tag] = counts.get(tag, 0) + 1
    for tag, n in counts.items():
        if n > 1:
            yield _UBL_SINGLE_NAMES[tag], n


@rule(
    "XSD-CARDINALITY",
    Severity.ERROR,
    (),
    "Das Element {name} kommt {count}-mal vor; das XML-Schema erlaubt {allowed}.",
    "The element {name} occurs {count} times; the XML Schema allows {allowed}.",
    family=F,
    scope=Scope.ALL,
)
def xsd_cardinality(ctx: Ctx) -> Hits:
    root = ctx.root
    if root is None:
        return
    base = ctx.inv.location
    if ctx.ubl:
        for name, n in _ubl_duplicates(root):
            yield Hit(f"{base}/{name}", {"name": name, "count": n, "allowed": "0..1"})
        return
    for name, n in _count(root, _CII_ROOT_CHILDREN, 1):
        yield Hit(f"{base}/{name}", {"name": name, "count": n, "allowed": "1"})
    transaction = next(root.iterchildren(_S + "SupplyChainTradeTransaction"), None)
    if transaction is not None:
        for name, n in _count(transaction, _CII_TRANSACTION_CHILDREN, 1):
            yield Hit(
                f"{base}/rsm:SupplyChainTradeTransaction/{name}",
                {"name": name, "count": n, "allowed": "1"},
            )


@rule(
    "DMS-STRUCTURE",
    Severity.WARNING,
    (),
    "Auffällige Struktur: {de}",
    "Unusual structure: {en}",
    family=Family.DMS,
    scope=Scope.ALL,
    needs="parse_issues",
)
def dms_structure(ctx: Ctx) -> Hits:
    for issue in ctx.inv.parse_issues:
        if issue.code not in UNREADABLE:
            de, en = split_bilingual(issue.message)
            yield Hit(issue.location, {"de": de, "en": en})


NOT_CHECKED_PROFILES = frozenset({Profile.MINIMUM, Profile.BASIC_WL, Profile.ZUGFERD_1})


@rule(
    "DMS-PROFILE",
    Severity.ERROR,
    "BT-24",
    "{de}",
    "{en}",
    family=Family.DMS,
    scope=Scope.ALL,
    note="Not an official rule: documents of the profiles MINIMUM, BASIC WL and ZUGFeRD 1.0"
    " are not checked as invoices (the XRechnung validator has no scenario for them either)"
    " and fail the formal check with the note for the finance clerk.",
)
def dms_profile(ctx: Ctx) -> Hits:
    if ctx.profile not in NOT_CHECKED_PROFILES:
        return
    if ctx.profile is Profile.ZUGFERD_1:
        note = NOT_EINVOICE_ZUGFERD1
    else:
        note = NOT_EINVOICE_NO_LINES.format(profile=ctx.profile.value)
    de, en = split_bilingual(note)
    yield Hit(ctx.loc(ctx.inv, "specification_identifier"), {"de": de, "en": en})


@rule(
    "DMS-SOURCE",
    Severity.WARNING,
    (),
    "Auffälligkeit der Datei: {de}",
    "About the file: {en}",
    family=Family.DMS,
    scope=Scope.ALL,
    needs="source_warnings",
)
def dms_source(ctx: Ctx) -> Hits:
    for warning in ctx.source_warnings:
        de, en = split_bilingual(warning)
        yield Hit(ctx.loc(), {"de": de, "en": en})
