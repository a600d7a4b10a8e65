"""Payment terms (Zahlungsbedingungen, BT-20) read for the invoice register: the due date when
BT-9 is missing, and the early-payment discount (Skonto) deadline and amount.

Two forms are understood:

* the XRechnung convention, one line per discount tier:
  ``#SKONTO#TAGE=14#PROZENT=2.00#`` optionally with ``BASISBETRAG=123.45#`` (the base; by
  default the amount due, BT-115). Days count from the invoice date (BT-2).
* plain German text as suppliers write it: "Zahlbar innerhalb von 14 Tagen mit 2 % Skonto,
  30 Tage netto", "3 % Skonto bei Zahlung bis 24.03.2025", "Zahlungsziel 30 Tage",
  "zahlbar bis 13.04.2025", "sofort ohne Abzug".

Anything not understood is left alone (``None``): a wrong deadline is worse than none, and
the finance clerk reads the terms on the invoice view anyway.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

__all__ = ["DiscountTier", "PaymentTerms", "cents", "parse_payment_terms"]

MAX_DAYS = 3660  # ten years: anything beyond is a typo, not a payment term

_XR_LINE = re.compile(r"#SKONTO#(?P<body>(?:[A-Z]+=[^#\n]*#)+)", re.IGNORECASE)
_XR_FIELD = re.compile(r"([A-Z]+)=([^#\n]*)#", re.IGNORECASE)
_CLAUSE_SPLIT = re.compile(
    r"[;\n]|,\s+|\.\s+(?=[A-ZÄÖÜ])|\s+(?:und|sonst|oder|bzw\.?|ansonsten)\s+", re.IGNORECASE)
_PERCENT = re.compile(r"(\d{1,2}(?:[.,]\d{1,4})?)\s*(?:%|v\.\s?H\.|Prozent)", re.IGNORECASE)
_DAYS = re.compile(r"(\d{1,4})\s*(?:Kalender|Werk)?tag(?:e|en)?\b", re.IGNORECASE)
_DATE = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})\b")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_DISCOUNT_WORD = re.compile(r"skonto|abzug\s+von\s+\d|nachlass", re.IGNORECASE)
_NET_WORD = re.compile(
    r"netto|ohne\s+abzug|rein\s+netto|zahlbar|zahlungsziel|fällig|zu\s+zahlen|spätestens",
    re.IGNORECASE)
_IMMEDIATE = re.compile(r"\bsofort\b|\bumgehend\b|\bnach\s+erhalt\b", re.IGNORECASE)


@dataclass(frozen=True)
class DiscountTier:
    """One Skonto step: pay by ``until`` and deduct ``amount_cents`` (``percent`` of ``base``)."""

    percent: Decimal
    days: int | None
    until: date | None
    base_cents: int | None
    amount_cents: int | None

    def to_jsonable(self) -> dict[str, Any]:
        return {"percent": str(self.percent), "days": self.days,
                "until": self.until.isoformat() if self.until else None,
                "base_cents": self.base_cents, "amount_cents": self.amount_cents}


@dataclass(frozen=True)
class PaymentTerms:
    """What the register keeps from BT-20; ``source`` says which form was recognised."""

    due_date: date | None = None
    net_days: int | None = None
    tiers: tuple[DiscountTier, ...] = field(default_factory=tuple)
    source: str = "none"  # "xrechnung", "text" or "none"

    @property
    def discount(self) -> DiscountTier | None:
        """The tier whose deadline comes first: the one finance must act on now."""
        dated = [t for t in self.tiers if t.until is not None]
        return min(dated, key=lambda t: t.until or date.max) if dated else (
            self.tiers[0] if self.tiers else None)

    def to_jsonable(self) -> dict[str, Any]:
        return {"due_date": self.due_date.isoformat() if self.due_date else None,
                "net_days": self.net_days, "source": self.source,
                "discount_tiers": [t.to_jsonable() for t in self.tiers]}


def cents(value: Any) -> int | None:
    """An amount as whole cents, rounded half up (EN 16931 amounts carry two decimals)."""
    if value is None:
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    if not amount.is_finite():
        return None
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _discount_cents(base_cents: int | None, percent: Decimal) -> int | None:
    if base_cents is None:
        return None
    return int((Decimal(base_cents) * percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _plus(issue: date | None, days: int | None) -> date | None:
    if issue is None or days is None:
        return None
    try:
        return issue + timedelta(days=days)
    except OverflowError:
        return None


def _tier(percent: Decimal, days: int | None, until: date | None, issue: date | None,
          base_cents: int | None) -> DiscountTier | None:
    if not (Decimal(0) < percent < Decimal(100)):
        return None
    if days is not None and not (0 <= days <= MAX_DAYS):
        return None
    return DiscountTier(percent=percent, days=days, until=until or _plus(issue, days),
                        base_cents=base_cents, amount_cents=_discount_cents(base_cents, percent))


def _xrechnung(text: str, issue: date | None, due_cents: int | None) -> list[DiscountTier]:
    tiers: list[DiscountTier] = []
    for match in _XR_LINE.finditer(text):
        values = {k.upper(): v for k, v in _XR_FIELD.findall(match.group("body"))}
        percent = _decimal(values.get("PROZENT", ""))
        days_text = values.get("TAGE", "").strip()
        if percent is None or not days_text.isdigit():
            continue
        base = values.get("BASISBETRAG")
        base_value = _decimal(base) if base is not None else None
        base_cents = cents(base_value) if base_value is not None else due_cents
        tier = _tier(percent, int(days_text), None, issue, base_cents)
        if tier is not None:
            tiers.append(tier)
    return tiers


def _date_in(clause: str) -> date | None:
    match = _DATE.search(clause)
    try:
        if match:
            day, month, year = (int(g) for g in match.groups())
            return date(year + 2000 if year < 100 else year, month, day)
        match = _ISO_DATE.search(clause)
        if match:
            return date(*(int(g) for g in match.groups()))
    except ValueError:
        return None
    return None


def _days_in(clause: str) -> int | None:
    match = _DAYS.search(clause)
    if not match:
        return None
    days = int(match.group(1))
    return days if days <= MAX_DAYS else None


def _text(text: str, issue: date | None, due_cents: int | None
          ) -> tuple[list[DiscountTier], int | None, date | None]:
    tiers: list[DiscountTier] = []
    net_days: int | None = None
    net_date: date | None = None
    for clause in _CLAUSE_SPLIT.split(text):
        if not clause or not clause.strip():
            continue
        percent_match = _PERCENT.search(clause)
        days, until = _days_in(clause), _date_in(clause)
        if percent_match and _DISCOUNT_WORD.search(clause):
            percent = _decimal(percent_match.group(1))
            if percent is not None and (days is not None or until is not None):
                tier = _tier(percent, days, until, issue, due_cents)
                if tier is not None:
                    tiers.append(tier)
            continue
        if percent_match:
            continue  # a percentage without "Skonto" (interest on arrears, ...): not ours
        if _NET_WORD.search(clause) or _IMMEDIATE.search(clause):
            if days is not None and net_days is None:
                net_days = days
            elif until is not None and net_date is None:
                net_date = until
            elif _IMMEDIATE.search(clause) and net_days is None and net_date is None:
                net_days = 0
    return tiers, net_days, net_date


def parse_payment_terms(text: str | None, issue_date: date | None,
                        due_cents: int | None) -> PaymentTerms:
    """Read BT-20. ``due_cents`` (BT-115) is the discount base unless the terms name one."""
    if not text or not text.strip():
        return PaymentTerms()
    text = text[:5000]
    xr_tiers = _xrechnung(text, issue_date, due_cents)
    # the XRechnung lines out of the way, the rest may still be plain text ("30 Tage netto")
    rest = _XR_LINE.sub(" \n", text)
    text_tiers, net_days, net_date = _text(rest, issue_date, due_cents)
    tiers = tuple(sorted(xr_tiers + text_tiers,
                         key=lambda t: (t.until or date.max, -(t.percent))))
    due = net_date or _plus(issue_date, net_days)
    if not tiers and due is None and net_days is None:
        return PaymentTerms()
    return PaymentTerms(due_date=due, net_days=net_days, tiers=tiers,
                        source="xrechnung" if xr_tiers else "text")
