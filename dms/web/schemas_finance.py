"""Request and response models of the invoice API (/api/v1/invoices): the invoice register
(Rechnungseingangsbuch) as finance staff see it. Amounts are integers in cents (exact on every
database); the currency is named beside them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from dms.models import AuditEvent
from ingest.invoice_finance import STATUS_LABELS, InvoiceDetail, InvoiceRow, Totals


class Schema(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InvoiceOut(Schema):
    """Eine Rechnung im Rechnungseingangsbuch / one invoice of the register."""

    id: int
    status: str = Field(description=", ".join(STATUS_LABELS))
    status_label: str
    invoice_number: str = Field(description="BT-1")
    type_code: str = Field(description="BT-3 (380 Rechnung, 381 Gutschrift, ...)")
    issue_date: date | None = Field(description="BT-2")
    seller_name: str = Field(description="BT-27")
    seller_key: str = Field(description="vat:…, tax:…, legal:… or name:… (normalised)")
    leitweg_id: str | None = Field(description="BT-10")
    order_reference: str | None = Field(description="BT-13")
    currency: str
    net_cents: int | None = Field(description="BT-109 in cents")
    gross_cents: int | None = Field(description="BT-112 in cents")
    due_cents: int | None = Field(description="BT-115 in cents")
    due_date: date | None = Field(description="BT-9, or derived from the payment terms")
    discount_until: date | None = Field(description="Skontofrist")
    discount_cents: int | None = Field(description="Skontobetrag in cents")
    profile: str
    valid: bool
    error_count: int
    warning_count: int
    is_einvoice: bool = Field(description="False for ZUGFeRD MINIMUM / BASIC WL: no e-invoice "
                              "under German VAT law since 2025")
    einvoice_note: str | None
    duplicate_of_id: int | None = Field(description="Set when an invoice with the same seller, "
                                        "number and amount was registered before")
    office_code: str
    office_name: str
    case_id: int
    document_id: int = Field(description="The original (XML or ZUGFeRD PDF), unchanged")
    view_document_id: int | None = Field(description="The readable view as PDF (Sichtansicht)")
    instance_id: int | None
    letter_id: int | None
    created_at: datetime

    @classmethod
    def of(cls, row: InvoiceRow) -> InvoiceOut:
        r = row.record
        facts = r.facts or {}
        return cls(
            id=r.id, status=r.status, status_label=STATUS_LABELS.get(r.status, r.status),
            invoice_number=r.invoice_number, type_code=r.type_code, issue_date=r.issue_date,
            seller_name=r.seller_name, seller_key=r.seller_key, leitweg_id=r.leitweg_id,
            order_reference=r.order_reference, currency=r.currency, net_cents=r.net_cents,
            gross_cents=r.gross_cents, due_cents=r.due_cents, due_date=r.due_date,
            discount_until=r.discount_until, discount_cents=r.discount_cents,
            profile=r.profile, valid=r.valid, error_count=r.error_count,
            warning_count=r.warning_count, is_einvoice=bool(facts.get("is_einvoice", True)),
            einvoice_note=facts.get("einvoice_note"), duplicate_of_id=r.duplicate_of_id,
            office_code=row.office_code, office_name=row.office_name, case_id=r.case_id,
            document_id=r.document_id, view_document_id=facts.get("view_document_id"),
            instance_id=r.instance_id, letter_id=r.letter_id, created_at=r.created_at)


class TotalsOut(Schema):
    """Summen der gefilterten Menge je Währung / sums of the filtered set per currency."""

    count: int
    gross_cents: dict[str, int]
    due_cents: dict[str, int]
    discount_cents: dict[str, int]

    @classmethod
    def of(cls, totals: Totals) -> TotalsOut:
        return cls(count=totals.count, gross_cents=totals.gross_cents,
                   due_cents=totals.due_cents, discount_cents=totals.discount_cents)


class InvoicePage(Schema):
    items: list[InvoiceOut]
    totals: TotalsOut
    limit: int
    offset: int


class FindingOut(Schema):
    rule: str
    severity: str = Field(description="error, warning, info")
    message_de: str
    message_en: str
    location: str | None = None
    terms: list[str] = Field(default_factory=list)


class EventOut(Schema):
    at: datetime
    actor: str
    action: str
    details: dict[str, Any] | None

    @classmethod
    def of(cls, event: AuditEvent) -> EventOut:
        return cls(at=event.occurred_at, actor=event.actor, action=event.action,
                   details=event.after)


class ProcessEventOut(Schema):
    at: datetime
    event: str
    element: str | None
    actor: str | None
    details: dict[str, Any] | None


class OpenTaskOut(Schema):
    id: int
    name: str
    assignee: str | None
    due_at: datetime | None
    mine: bool = Field(description="The caller may complete it")


class AttachmentOut(Schema):
    document_id: int
    filename: str
    description: str | None = None


class InvoiceDetailOut(InvoiceOut):
    """Eine Rechnung mit Prüfergebnis und Verlauf / with findings and history."""

    case_reference: str
    original_mime: str
    original_filename: str
    payment_terms: str | None = Field(description="BT-20 as written")
    payment_terms_read: dict[str, Any] | None = Field(
        description="What was read from BT-20: due date, discount tiers")
    findings: list[FindingOut]
    attachments: list[AttachmentOut]
    duplicates: list[int] = Field(description="Invoices registered as duplicates of this one")
    duplicate_warning: str | None
    approval_error: str | None = Field(description="Why the approval could not start")
    open_tasks: list[OpenTaskOut]
    can_decide: bool = Field(description="The caller may approve or reject now")
    history: list[EventOut]
    process_history: list[ProcessEventOut]

    @classmethod
    def of_detail(cls, detail: InvoiceDetail) -> InvoiceDetailOut:
        base = InvoiceOut.of(detail.row).model_dump()
        facts = detail.row.record.facts or {}
        return cls(
            **base, case_reference=detail.case_reference, original_mime=detail.original_mime,
            original_filename=detail.original_filename,
            payment_terms=facts.get("payment_terms_text"),
            payment_terms_read=facts.get("payment_terms"),
            findings=[FindingOut(**{k: f.get(k) for k in FindingOut.model_fields if k in f})
                      for f in detail.findings],
            attachments=[AttachmentOut(**a) for a in facts.get("attachments") or []],
            duplicates=[d.id for d in detail.duplicates],
            duplicate_warning=facts.get("duplicate_warning"),
            approval_error=facts.get("approval_error"),
            open_tasks=[OpenTaskOut(**t) for t in detail.open_tasks],
            can_decide=detail.can_decide,
            history=[EventOut.of(e) for e in detail.history],
            process_history=[ProcessEventOut(**h) for h in detail.process_history])


class DecisionIn(Schema):
    remark: str = Field(default="", max_length=2000,
                        description="Bemerkung (bei Zurückweisung Pflicht) / remark")


class ImportOut(Schema):
    """Das Ergebnis eines Imports / the registered invoice."""

    invoice: InvoiceOut
    duplicate_warning: str | None
