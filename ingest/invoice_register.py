"""Registering an e-invoice (Rechnungseingangsbuch): one :class:`InvoiceRecord` per invoice
filed, with its business terms, duplicate check, the readable view as PDF (Sichtansicht) and
the embedded attachments (BG-24) as documents of the same case, and the approval process.

Two ways in, one register:

* the mailroom files the original through its letter path (``ingest.pipeline``) and then
  calls :func:`register_filed` for the filed document;
* upload (web, API) and ``dms invoice import`` call :func:`import_invoice`, which files the
  original and registers it in one transaction.

Slow work (parsing, validating, rendering the PDF, decoding attachments) happens before the
transaction in :func:`prepare`; the transaction only stores blobs and writes rows, so a crash
leaves either everything or nothing (at most orphan blobs, which ``dms fsck`` sweeps).

A duplicate (same seller, invoice number and gross amount as an invoice already registered)
is a warning, never a silent drop: it is registered with ``duplicate_of_id`` set, audited,
and shown on the finance screen; the approval process sees ``duplicateOf`` and rejects it.
"""

from __future__ import annotations

import mimetypes
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from dms.content.names import safe_filename
from dms.errors import ConfigError, DmsError, InvalidInput, NotFound
from dms.models import Case, Document, File, utcnow
from dms.services import audit, documents
from dms.services.context import Actor, App, Ctx
from ingest.invoice_records import InvoiceRecord
from ingest.payment_terms import PaymentTerms, cents, parse_payment_terms

if TYPE_CHECKING:
    from ingest.einvoice import ParsedInvoice
    from ingest.einvoice.model import Seller
    from ingest.einvoice.validation.engine import Report

#: Creates the year's invoice file of an office on first use: bookkeeping of the register,
#: not an act of the person uploading (finance staff may file into invoice files, but may
#: not create files in an office). Named in the audit trail.
INVOICE_INTAKE = Actor(user_id=None, username="rechnungseingang", roles=frozenset({"admin"}))
#: At most this many findings are kept in the register row (the full report is re-derived
#: from the stored original whenever the detail page is opened).
MAX_FINDINGS = 200
_LEGAL_FORMS = re.compile(
    r"\b(gmbh|mbh|ag|kg|ohg|gbr|ug|e\s?k|e\s?v|kgaa|se|ltd|inc|llc|sarl|bv|co)\b")


# --- seller identity ---------------------------------------------------------------------


def seller_key(seller: Seller | None) -> str:
    """One normalised key per supplier, for duplicate detection and the supplier filter:
    the VAT id (BT-31), else the tax number (BT-32), else the legal registration id (BT-30),
    else the name (BT-27) without punctuation, case, accents or legal form."""
    if seller is None:
        return ""
    if seller.vat_id and (vat := re.sub(r"[^0-9A-Z]", "", seller.vat_id.upper())):
        return f"vat:{vat}"[:200]
    if seller.tax_registration_id and (
            tax := re.sub(r"[^0-9A-Z]", "", seller.tax_registration_id.upper())):
        return f"tax:{tax}"[:200]
    legal = seller.legal_registration_id
    if legal and (value := re.sub(r"[^0-9A-Z]", "", legal.value.upper())):
        scheme = (legal.scheme_id or "").strip().lower()
        return f"legal:{scheme + ':' if scheme else ''}{value}"[:200]
    if seller.name:
        folded = unicodedata.normalize("NFKD", seller.name.casefold())
        plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
        plain = re.sub(r"[^0-9a-z]+", " ", plain.replace("ß", "ss"))
        words = _LEGAL_FORMS.sub(" ", plain).split() or plain.split()
        return f"name:{''.join(words)}"[:200]
    return ""


# --- what we learn before the transaction ------------------------------------------------


@dataclass
class Attachment:
    """A decoded BG-24 binary object, vetted and stored, ready to be filed."""

    path: Path
    filename: str
    description: str | None
    reference: str | None
    stored: documents.Prepared


@dataclass
class PreparedInvoice:
    """An invoice read, checked and rendered; ``workdir`` holds the view PDF and attachments."""

    parsed: ParsedInvoice
    report: Report
    terms: PaymentTerms
    office_code: str
    routing_reason: str
    summary: dict[str, Any]
    workdir: Path
    view_pdf: documents.Prepared | None = None  # vetted and stored already
    view_error: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    attachment_errors: list[str] = field(default_factory=list)


@contextmanager
def prepare(app: App, path: Path, *, office_code: str | None = None) -> Iterator[PreparedInvoice]:
    """Parse, validate, read the payment terms, render the PDF view and decode attachments.
    Raises InvalidInput when the file is no e-invoice; the temporary files go at the end."""
    from ingest.einvoice import parse_invoice
    from ingest.einvoice.detect import detect
    from ingest.einvoice.validation import validate
    from ingest.einvoice_intake import office_for_leitweg

    if detect(path).kind == "none":
        raise InvalidInput(
            f"{path.name}: keine E-Rechnung (XRechnung-XML oder ZUGFeRD-PDF erwartet) / "
            "not an e-invoice")
    parsed = parse_invoice(path)
    report = validate(parsed)
    invoice = parsed.invoice
    if office_code:
        routed, reason = office_code, f"Amt {office_code} beim Import angegeben"
    else:
        routed, reason = office_for_leitweg(str(app.settings.config_dir), invoice.buyer_reference)
    totals = invoice.totals
    due = (totals.amount_due if totals and totals.amount_due is not None
           else totals.total_with_vat if totals else None)
    terms = parse_payment_terms(invoice.payment_terms, invoice.issue_date, cents(due))
    workdir = Path(tempfile.mkdtemp(prefix="dms-invoice-"))
    try:
        prepared = PreparedInvoice(parsed=parsed, report=report, terms=terms, office_code=routed,
                            routing_reason=reason, summary=_summary(parsed, report),
                            workdir=workdir)
        _render_view(app, prepared)
        _decode_attachments(app, prepared)
        yield prepared
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _summary(parsed: ParsedInvoice, report: Report) -> dict[str, Any]:
    invoice = parsed.invoice
    seller = invoice.seller.name if invoice.seller else None
    return {"title": " – ".join(p for p in (f"Rechnung {invoice.number or '?'}", seller) if p),
            "sender": seller}


def _render_view(app: App, prepared: PreparedInvoice) -> None:
    """The PDF view, stored before the transaction; a failure is recorded, never fatal (the
    original is what counts)."""
    from ingest.einvoice.pdf_view import render_pdf

    number = prepared.parsed.invoice.number or "ohne Nummer"
    try:
        pdf = render_pdf(prepared.parsed, prepared.report)
        target = prepared.workdir / "sichtansicht.pdf"
        target.write_bytes(pdf)
        prepared.view_pdf = documents.prepare(
            app, target, safe_filename(f"Rechnung {number} Sichtansicht.pdf"))
    except DmsError as exc:
        prepared.view_error = exc.message


def _decode_attachments(app: App, prepared: PreparedInvoice) -> None:
    for index, item in enumerate(prepared.parsed.invoice.attachments, start=1):
        if not item.content_base64:
            continue  # an external reference (BT-124) only: nothing to store
        label = item.filename or item.reference or f"Anlage {index}"
        data = item.data
        if not data:
            prepared.attachment_errors.append(
                f"Anlage {label!r}: Inhalt nicht lesbar (Base64) / attachment not decodable")
            continue
        name = safe_filename(item.filename or f"Anlage-{index}{_extension(item.mime_code)}")
        target = prepared.workdir / f"anlage-{index}"
        target.write_bytes(data)
        try:  # vetted (empty, too large, broken PDF) and stored before the transaction
            stored = documents.prepare(app, target, name)
        except DmsError as exc:
            prepared.attachment_errors.append(f"Anlage {name!r}: {exc.message}")
            continue
        prepared.attachments.append(Attachment(target, name, item.description, item.reference,
                                               stored))


def _extension(mime: str | None) -> str:
    return (mimetypes.guess_extension(mime or "") or ".bin") if mime else ".bin"


# --- filing and registering --------------------------------------------------------------


def import_invoice(ctx: Ctx, prepared: PreparedInvoice, source: Path, filename: str, *,
                   received_on: date | None = None) -> InvoiceRecord:
    """Upload / CLI: file the original into the office's invoice case and register it."""
    from ingest.einvoice_intake import invoice_case

    year = (received_on or utcnow().astimezone(ctx.app.settings.tz).date()).year
    intake = Ctx(db=ctx.db, actor=INVOICE_INTAKE, app=ctx.app)
    case = invoice_case(intake, prepared.office_code, year)
    added = documents.add_document(
        ctx, case_id=case.id, source=source, filename=filename,
        title=prepared.summary["title"], doc_type="invoice", document_date=received_on,
        sender=prepared.summary["sender"],
        attributes={"einvoice": prepared.parsed.source_kind,
                    "routing_reason": prepared.routing_reason},
        comment="Rechnungseingang")
    return register(ctx, prepared, added.document.id)


def register_filed(app: App, actor: Actor, document_id: int, source: Path, *,
                   letter_id: int | None = None) -> int:
    """Mailroom: register an invoice the letter path has already filed. Idempotent (a
    resumed batch registers once); returns the register id."""
    with app.unit(actor) as ctx:
        known = ctx.db.scalar(select(InvoiceRecord.id)
                              .where(InvoiceRecord.document_id == document_id))
        if known is not None:
            return known
        document = ctx.db.get(Document, document_id)
        if document is None:
            raise NotFound(f"Dokument {document_id} nicht gefunden / document not found")
        case = ctx.db.get(Case, document.case_id)
        assert case is not None
        file = ctx.db.get(File, case.file_id)
        assert file is not None
        office_code = file.office.code if file.office else None
    with prepare(app, source, office_code=office_code) as prepared, app.unit(actor) as ctx:
        record = register(ctx, prepared, document_id, letter_id=letter_id)
        return record.id


def register(ctx: Ctx, prepared: PreparedInvoice, document_id: int, *,
             letter_id: int | None = None) -> InvoiceRecord:
    """The register row for a filed original, with view, attachments, duplicate check,
    audit event and the approval process, all in the caller's transaction."""
    document = ctx.db.get(Document, document_id)
    if document is None:
        raise NotFound(f"Dokument {document_id} nicht gefunden / document not found")
    case = ctx.db.get(Case, document.case_id)
    assert case is not None
    file = ctx.db.get(File, case.file_id)
    assert file is not None and file.office_id is not None
    record = _record(prepared, document_id, case.id, file.office_id, letter_id)
    ctx.db.add(record)
    ctx.db.flush()
    facts = dict(record.facts)
    facts.update(_file_companions(ctx, prepared, record, case.id))
    original = _duplicate_of(ctx, record)
    if original is not None:
        record.duplicate_of_id = original.id
        facts["duplicate_warning"] = (
            f"Mögliche Doppelrechnung: gleicher Lieferant, gleiche Rechnungsnummer und gleicher "
            f"Betrag wie Rechnung Nr. {original.id} (eingegangen {original.created_at:%d.%m.%Y})")
    record.facts = facts
    ctx.db.flush()
    audit.record(ctx, "invoice.register", "invoice", record.id, after={
        "invoice_number": record.invoice_number, "seller": record.seller_name,
        "gross_cents": record.gross_cents, "document": document_id, "case": case.reference,
        "profile": record.profile, "valid": record.valid, "errors": record.error_count,
        "warnings": record.warning_count, "due_date": record.due_date,
        "discount_until": record.discount_until})
    if original is not None:
        audit.record(ctx, "invoice.duplicate", "invoice", record.id, after={
            "duplicate_of": original.id, "invoice_number": record.invoice_number,
            "seller_key": record.seller_key, "gross_cents": record.gross_cents})
    _start_approval(ctx, record)
    return record


def _record(prepared: PreparedInvoice, document_id: int, case_id: int, office_id: int,
            letter_id: int | None) -> InvoiceRecord:
    parsed, report, terms = prepared.parsed, prepared.report, prepared.terms
    invoice = parsed.invoice
    totals = invoice.totals
    due_cents = cents(totals.amount_due) if totals else None
    discount = terms.discount
    due_date, due_source = invoice.due_date, "BT-9"
    if due_date is None and terms.due_date is not None:
        due_date, due_source = terms.due_date, "Zahlungsbedingungen (BT-20)"
    facts: dict[str, Any] = {
        "syntax": parsed.source_kind,
        "is_einvoice": parsed.is_einvoice_under_german_vat_law,
        "einvoice_note": parsed.einvoice_note,
        "payment_terms_text": invoice.payment_terms,
        "payment_terms": terms.to_jsonable(),
        "due_date_source": due_source if due_date else None,
        "routing_reason": prepared.routing_reason,
        "findings": [f.to_jsonable() for f in report.findings[:MAX_FINDINGS]],
        "checked": list(report.checked),
        "buyer_name": invoice.buyer.name if invoice.buyer else None,
        "BT-19": invoice.buyer_accounting_reference,
        "lines": [{"BT-126": line.id, "BT-133": line.accounting_reference}
                  for line in invoice.iter_lines() if line.accounting_reference][:500],
    }
    if discount is not None:
        facts["discount_percent"] = str(discount.percent)
    return InvoiceRecord(
        document_id=document_id, case_id=case_id, office_id=office_id, letter_id=letter_id,
        status="received",
        invoice_number=(invoice.number or "(ohne Nummer)")[:200],
        type_code=(invoice.type_code or "380")[:8],
        issue_date=invoice.issue_date,
        seller_name=((invoice.seller.name if invoice.seller else None) or "")[:300],
        seller_key=seller_key(invoice.seller),
        leitweg_id=(invoice.buyer_reference or None) and invoice.buyer_reference[:64],
        order_reference=(invoice.purchase_order_reference or None)
        and invoice.purchase_order_reference[:200],
        currency=(invoice.currency_code or "EUR")[:3],
        net_cents=cents(totals.total_without_vat) if totals else None,
        gross_cents=cents(totals.total_with_vat) if totals else None,
        due_cents=due_cents,
        due_date=due_date,
        discount_until=discount.until if discount else None,
        discount_cents=discount.amount_cents if discount else None,
        profile=invoice.profile.value[:32],
        valid=report.valid,
        error_count=len(report.errors),
        warning_count=len(report.warnings),
        facts=facts,
    )


def _file_companions(ctx: Ctx, prepared: PreparedInvoice, record: InvoiceRecord,
                     case_id: int) -> dict[str, Any]:
    """The PDF view and the attachments as documents of the invoice's case; a companion
    that cannot be filed is noted (with why) and does not stop the invoice."""
    facts: dict[str, Any] = {}
    number = record.invoice_number
    if prepared.view_pdf is not None:
        view = documents.add_document(
            ctx, case_id=case_id, source=prepared.view_pdf.source,
            filename=prepared.view_pdf.content.filename,
            title=f"Rechnung {number} – Sichtansicht", doc_type="invoice",
            sender=record.seller_name or None,
            attributes={"invoice_view_of": record.document_id},
            comment="Lesbare Ansicht der E-Rechnung", prepared=prepared.view_pdf)
        facts["view_document_id"] = view.document.id
    elif prepared.view_error:
        facts["view_error"] = prepared.view_error
    attached: list[dict[str, Any]] = []
    errors = list(prepared.attachment_errors)
    for item in prepared.attachments:
        title = item.description or item.reference or item.filename
        added = documents.add_document(
            ctx, case_id=case_id, source=item.path, filename=item.filename,
            title=f"Anlage zu Rechnung {number}: {title}"[:300], doc_type="other",
            sender=record.seller_name or None,
            attributes={"invoice_attachment_of": record.document_id,
                        "reference": item.reference},
            comment="Anlage der E-Rechnung (BG-24)", prepared=item.stored)
        attached.append({"document_id": added.document.id, "filename": item.filename,
                         "description": item.description})
    facts["attachments"] = attached
    if errors:
        facts["attachment_errors"] = errors
    return facts


def _duplicate_of(ctx: Ctx, record: InvoiceRecord) -> InvoiceRecord | None:
    """The first invoice registered with the same seller, number and gross amount."""
    if not record.seller_key:
        return None
    return ctx.db.scalar(
        select(InvoiceRecord)
        .where(InvoiceRecord.seller_key == record.seller_key,
               InvoiceRecord.invoice_number == record.invoice_number,
               InvoiceRecord.gross_cents == record.gross_cents
               if record.gross_cents is not None else InvoiceRecord.gross_cents.is_(None),
               InvoiceRecord.id != record.id)
        .order_by(InvoiceRecord.id).limit(1))


def _start_approval(ctx: Ctx, record: InvoiceRecord) -> None:
    """Start the approval process. If it cannot start (model not deployed, configuration
    wrong), the invoice stays registered as "received" with the reason, visible on the
    finance screen: an invoice is never lost because its process could not start."""
    from workflows import engine
    from workflows.invoice_approval import PROCESS_KEY, load_config, start_approval

    try:  # both raise before anything is written, so no savepoint is needed
        engine.definition_for(ctx, PROCESS_KEY)
        load_config(ctx.app.settings.config_dir)
    except (NotFound, ConfigError) as exc:
        record.facts = {**record.facts, "approval_error": exc.message}
        audit.record(ctx, "invoice.approval_failed", "invoice", record.id,
                     after={"reason": exc.message})
        return
    start_approval(ctx, record)


def import_file(app: App, actor: Actor, source: Path, filename: str, *,
                office_code: str | None = None, received_on: date | None = None) -> int:
    """Upload and ``dms invoice import``: read and render outside the transaction, then file
    and register in one. Returns the register id. Finance staff, clerks and administrators
    only (a mailroom user hands e-invoices to the mailroom pipeline instead)."""
    from ingest.invoice_finance import require_finance

    require_finance(actor)
    with prepare(app, source, office_code=office_code) as prepared, app.unit(actor) as ctx:
        record = import_invoice(ctx, prepared, source, filename, received_on=received_on)
        return record.id
