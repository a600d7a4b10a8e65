"""The invoice register (Rechnungseingangsbuch): one row per e-invoice filed, with the facts
finance staff sort and filter by, and the state of its approval.

The invoice's document (XML or ZUGFeRD PDF) stays the record of truth in the e-file; this row
is an index of its business terms plus the approval state, so the finance list, duplicate
detection and deadline timers never parse XML. Amounts are kept in cents (EN 16931 amounts
carry at most two decimals), so sums are exact on every database.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from dms.models.base import Base, utcnow

# The approval path: Eingang → formale Prüfung → sachlich richtig → rechnerisch richtig →
# Anordnung → Export an das Finanzverfahren → bezahlt; rejected and cancelled end it early.
INVOICE_STATES = (
    "received",
    "formal_check",
    "rejected",
    "factual_check",
    "arithmetic_check",
    "payment_order",
    "exported",
    "paid",
    "cancelled",
)


class InvoiceRecord(Base):
    __tablename__ = "invoices"
    __table_args__ = (
        Index("ix_invoices_duplicate_key", "seller_key", "invoice_number"),
        Index("ix_invoices_status_due", "status", "due_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    letter_id: Mapped[int | None]  # the mailroom letter it came in with, if any
    instance_id: Mapped[int | None]  # the approval process instance
    status: Mapped[str] = mapped_column(String(24), default="received")
    # the business terms finance sorts, filters and checks duplicates by
    invoice_number: Mapped[str] = mapped_column(String(200))  # BT-1
    type_code: Mapped[str] = mapped_column(String(8), default="380")  # BT-3; 381 credit note
    issue_date: Mapped[date | None]  # BT-2
    seller_name: Mapped[str] = mapped_column(String(300), default="")  # BT-27
    # normalised seller identity (VAT id, else tax number, else legal id, else name)
    seller_key: Mapped[str] = mapped_column(String(200), default="")
    leitweg_id: Mapped[str | None] = mapped_column(String(64))  # BT-10
    order_reference: Mapped[str | None] = mapped_column(String(200))  # BT-13
    currency: Mapped[str] = mapped_column(String(3), default="EUR")  # BT-5
    net_cents: Mapped[int | None] = mapped_column(BigInteger)  # BT-109
    gross_cents: Mapped[int | None] = mapped_column(BigInteger)  # BT-112
    due_cents: Mapped[int | None] = mapped_column(BigInteger)  # BT-115 amount due for payment
    due_date: Mapped[date | None]  # BT-9, or derived from payment terms
    discount_until: Mapped[date | None]  # Skontofrist, from payment terms (BT-20)
    discount_cents: Mapped[int | None] = mapped_column(BigInteger)  # Skontobetrag
    profile: Mapped[str] = mapped_column(String(32), default="")
    valid: Mapped[bool] = mapped_column(default=False)
    error_count: Mapped[int] = mapped_column(default=0)
    warning_count: Mapped[int] = mapped_column(default=0)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))
    facts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    exported_at: Mapped[datetime | None]
    paid_at: Mapped[datetime | None]
