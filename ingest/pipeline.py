"""The scan-and-ingest pipeline: receive -> pages (blank, separator, orientation, deskew,
OCR) -> letters (searchable PDF/A) -> extraction -> routing -> filing.

Invariants: the original is durably stored and its batch row committed before the source
may be removed (`receive`); every letter is committed on its own with its register number,
so a restart skips letters that are done and finishes the rest; a batch that cannot be read
is quarantined with a reason, never dropped. Born-digital PDFs with a usable text layer are
not OCR'd and are filed as they are. A signed PDF is never rewritten: it is filed unchanged,
and when its pages are only images (a signed scan) they are OCR'd into a searchable PDF/A
reading copy kept beside it (:mod:`ingest.reading_copy`).
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from dms.content.extract import ExtractedText, extract_text
from dms.content.sniff import sniff
from dms.errors import DmsError, InvalidInput, NotFound
from dms.models import utcnow
from dms.services import audit
from dms.services.context import SYSTEM, Actor, App, Ctx
from dms.services.references import next_number
from ingest.filing import INGEST, Attachment, file_letter, intake_case
from ingest.models import IntakeBatch, IntakeLetter
from ingest.reading_copy import METHOD as READING_COPY_METHOD
from ingest.routing_adapter import RoutingProposal, propose_routing
from ingest.signature_intake import check_incoming_signatures

if TYPE_CHECKING:
    from ingest.ocr.tesseract import PageOcr
    from ingest.pdfa import EncodedImage

SCAN_TYPES = ("application/pdf", "image/tiff", "image/jpeg", "image/png")
EMAIL_TYPE = "message/rfc822"
#: A PDF whose pages carry at least this many characters of text on average is born-digital.
TEXT_LAYER_MIN_CHARS = 80
MAILROOM_OFFICE = "10.1"


@dataclass
class BatchResult:
    batch_id: int
    status: str
    letters: list[dict[str, Any]] = field(default_factory=list)
    reason: str | None = None


# --- receive ------------------------------------------------------------------------------


def receive(
    app: App,
    path: Path,
    *,
    source: str,
    operator: str,
    device: str | None = None,
    received_on: date | None = None,
    filename: str | None = None,
) -> int:
    """Store the original and commit its batch row; only then may the source be removed."""
    if not path.is_file():
        raise InvalidInput(f"{path}: keine lesbare Datei / not a readable file")
    if path.stat().st_size == 0:
        raise InvalidInput(f"{path.name}: Datei ist leer (0 Byte) / file is empty")
    with path.open("rb") as handle:
        head = handle.read(8192)
        handle.seek(0)
        blob = app.store.put(handle)
    name = filename or path.name
    with app.unit(_operator(operator)) as ctx:
        if source == "hotfolder":  # a crash after commit, before unlink, redelivers the file
            taken = ctx.db.scalar(select(IntakeBatch.id).where(
                IntakeBatch.sha256 == blob.sha256, IntakeBatch.source == source,
                IntakeBatch.source_name == name[:300]))
            if taken is not None:
                return taken
        batch = IntakeBatch(
            source=source,
            source_name=name[:300],
            device=device,
            operator=operator,
            received_on=received_on or utcnow().astimezone(app.settings.tz).date(),
            sha256=blob.sha256,
            size=blob.size,
            mime_type=sniff(head, name),
        )
        ctx.db.add(batch)
        ctx.db.flush()
        audit.record(
            ctx,
            "intake.receive",
            "intake_batch",
            batch.id,
            after={
                "source": source,
                "name": name,
                "device": device,
                "sha256": blob.sha256,
                "size": blob.size,
                "received_on": batch.received_on,
            },
        )
        return batch.id


def _operator(name: str) -> Actor:
    return Actor(user_id=None, username=name[:64], roles=frozenset({"admin"}))


# --- process ------------------------------------------------------------------------------


def process_batch(app: App, batch_id: int, *, jobs: int = 2) -> BatchResult:
    """Run (or resume) every stage for one batch; safe to call again at any point."""
    with app.unit(SYSTEM) as ctx:
        batch = ctx.db.get(IntakeBatch, batch_id)
        if batch is None:
            raise NotFound(f"Stapel {batch_id} nicht gefunden / batch not found")
        if batch.status in ("done", "quarantined", "discarded"):
            return _result(ctx, batch)
        batch.status = "processing"
        mime, sha256 = batch.mime_type, batch.sha256
    workdir = Path(tempfile.mkdtemp(prefix=f"dms-batch-{batch_id}-"))
    try:
        original = workdir / "original"
        with app.store.open(sha256) as stream, original.open("wb") as out:
            shutil.copyfileobj(stream, out, 1024 * 1024)
        if mime == EMAIL_TYPE:
            pass  # an e-invoice attached to a mail is found among its attachments
        elif _file_einvoice(app, batch_id, original):
            mime = "einvoice"
        elif mime not in SCAN_TYPES:
            raise InvalidInput(
                f"Dateityp {mime} wird im Posteingang nicht verarbeitet; erlaubt sind PDF, TIFF,"
                f" JPEG, PNG und E-Mails (.eml) / file type {mime} is not accepted by the"
                " mailroom"
            )
        text_layer = born_digital_text(original) if mime == "application/pdf" else None
        # a signed PDF is never split or rewritten, even with little text in it: a signed
        # scan is OCR'd into a reading copy beside it
        signed_scan = text_layer is None and mime == "application/pdf" and _is_signed(original)
        if mime == "einvoice":
            pass
        elif mime == EMAIL_TYPE:
            _letter_from_email(app, batch_id, original, workdir, jobs)
        elif signed_scan:
            _letter_from_signed_scan(app, batch_id, original, workdir, jobs)
        elif text_layer is not None:
            _letter_from_pdf(app, batch_id, original, text_layer)
        else:
            _letters_from_scan(app, batch_id, original, workdir, jobs)
        with app.unit(SYSTEM) as ctx:
            batch = ctx.db.get(IntakeBatch, batch_id)
            assert batch is not None
            batch.status = "done"
            batch.letter_count = len(_letters(ctx, batch_id))
            return _result(ctx, batch)
    except DmsError as exc:
        return quarantine(app, batch_id, exc.message)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _file_einvoice(app: App, batch_id: int, original: Path) -> bool:
    """An e-invoice (XRechnung XML, ZUGFeRD PDF) takes the invoice path: kept as it is,
    validated, filed into the invoice file of the office its Leitweg-ID names, and entered
    in the invoice register (with its PDF view, attachments and approval process). A resumed
    batch finishes filing and registering; a scan batch with letters is not ours."""
    from ingest.einvoice_intake import examine_invoice, invoice_case
    from ingest.invoice_register import register_filed

    with app.unit(INGEST) as ctx:
        known = _letters(ctx, batch_id)
        resumed = known[0].id if known else None
        if known and (known[0].routing or {}).get("rule_id") != "e-invoice":
            return False
        facts = None if known else examine_invoice(ctx, original)
        if facts is None and resumed is None:
            return False
    if resumed is not None:  # a crash after the letter row: file and register it now
        filed = send_letter(app, resumed, operator="poststelle", pdf_path=original)
        assert filed.document_id is not None
        register_filed(app, INGEST, filed.document_id, original, letter_id=resumed)
        return True
    assert facts is not None
    with app.unit(INGEST) as ctx:
        batch = ctx.db.get(IntakeBatch, batch_id)
        assert batch is not None
        year = batch.received_on.year
        case = invoice_case(ctx, facts.office_code, year)
        number = next_number(ctx.db, f"register:{year}")
        letter = IntakeLetter(
            batch_id=batch_id, seq=1, register_number=f"PE-{year}-{number:06d}",
            pages={"indexes": [0]}, pdf_sha256=batch.sha256, text=None,
            extraction=facts.summary, needs_review=False,
            routing={"office_code": facts.office_code, "case_id": case.id,
                     "case_reference": case.reference, "assignee": None,
                     "candidate_group": facts.office_code, "process_key": None,
                     "rule_id": "e-invoice", "confidence": 1.0, "reason": facts.reason,
                     "needs_review": False},
            transfer_note={"source": batch.source, "source_name": batch.source_name,
                           "received_on": batch.received_on.isoformat(),
                           "sha256": batch.sha256, "method": "e-invoice, unchanged"},
        )
        ctx.db.add(letter)
        ctx.db.flush()
        letter_id = letter.id
    filed = send_letter(app, letter_id, operator="poststelle", pdf_path=original)
    assert filed.document_id is not None
    register_filed(app, INGEST, filed.document_id, original, letter_id=letter_id)
    return True


def quarantine(app: App, batch_id: int, reason: str) -> BatchResult:
    """Keep the original (it is stored), mark the batch with a reason a person can read."""
    with app.unit(SYSTEM) as ctx:
        batch = ctx.db.get(IntakeBatch, batch_id)
        assert batch is not None
        batch.status, batch.reason = "quarantined", reason
        audit.record(ctx, "intake.quarantine", "intake_batch", batch.id, after={"reason": reason})
        return _result(ctx, batch)


def _is_signed(path: Path) -> bool:
    from ingest.reading_copy import is_signed

    return is_signed(path)


def born_digital_text(path: Path) -> ExtractedText | None:
    """The PDF's own text when it is born-digital (a usable text layer), else None; read
    once here and reused for the letter, so the PDF is not parsed again."""
    try:
        extracted = extract_text(path, "application/pdf", max_chars=2_000_000)
    except DmsError:
        return None
    pages = max(1, extracted.pages or 1)
    return extracted if len(extracted.text.strip()) / pages >= TEXT_LAYER_MIN_CHARS else None


def _letters(ctx: Ctx, batch_id: int) -> list[IntakeLetter]:
    return list(
        ctx.db.scalars(
            select(IntakeLetter).where(IntakeLetter.batch_id == batch_id).order_by(IntakeLetter.seq)
        )
    )


def _result(ctx: Ctx, batch: IntakeBatch) -> BatchResult:
    return BatchResult(
        batch.id,
        batch.status,
        [
            {
                "id": letter.id,
                "register_number": letter.register_number,
                "status": letter.status,
                "document_id": letter.document_id,
                "case_id": letter.case_id,
                "routing": letter.routing,
                "pages": len(letter.pages.get("indexes", [])),
            }
            for letter in _letters(ctx, batch.id)
        ],
        batch.reason,
    )


# --- letters ------------------------------------------------------------------------------


def _letter_from_pdf(app: App, batch_id: int, original: Path, extracted: ExtractedText) -> None:
    """A born-digital PDF is one letter and stays as it is: no OCR, no rewriting."""
    with app.unit(SYSTEM) as ctx:
        if _letters(ctx, batch_id):
            return
        batch = ctx.db.get(IntakeBatch, batch_id)
        assert batch is not None
    pages = list(range(extracted.pages or 1))
    _finish_letter(
        app,
        batch_id,
        1,
        pages,
        extracted.text,
        None,
        original,
        batch.sha256,
        {"method": "text-layer"},
    )


def _letter_from_signed_scan(
    app: App, batch_id: int, original: Path, workdir: Path, jobs: int
) -> None:
    """A signed PDF without a usable text layer (a signed scan) is one letter, filed
    unchanged, its signatures intact; its pages are OCR'd into a searchable PDF/A reading
    copy, which routing reads, the review screen shows and the e-file keeps beside the
    original (the letter's ``pdf_sha256`` names the copy, the batch's the original).
    Pages that cannot be rendered leave the original filed as it is, without the copy."""
    from ingest.reading_copy import METHOD, make_reading_copy

    with app.unit(SYSTEM) as ctx:
        if _letters(ctx, batch_id):
            return
        batch = ctx.db.get(IntakeBatch, batch_id)
        assert batch is not None
        sha256, received_on, name = batch.sha256, batch.received_on, batch.source_name
    try:
        copy = make_reading_copy(original, workdir / "lesefassung.pdf", title=name,
                                 original_sha256=sha256, received_on=received_on, jobs=jobs)
    except DmsError:
        _letter_from_pdf(app, batch_id, original,
                         extract_text(original, "application/pdf", max_chars=2_000_000))
        return
    with app.unit(SYSTEM) as ctx:
        batch = ctx.db.get(IntakeBatch, batch_id)
        assert batch is not None
        batch.page_count, batch.blank_pages = copy.pages, 0
    _finish_letter(
        app,
        batch_id,
        1,
        list(range(copy.pages)),
        copy.text,
        None,
        copy.path,
        sha256,
        {"method": METHOD, "mean_confidence": copy.mean_confidence},
        page_state=copy.page_state,
    )


def _letters_from_scan(app: App, batch_id: int, original: Path, workdir: Path, jobs: int) -> None:
    from ingest.pages import PageSettings, load_pages, process_pages
    from ingest.pdfa import ImageOptions

    with app.unit(SYSTEM) as ctx:
        done = {letter.seq for letter in _letters(ctx, batch_id)}
    settings = PageSettings()
    current: list[_ScanPage] = []
    seq, total, blanks = 0, 0, 0
    routing_code: str | None = None
    confidences: list[float] = []

    def flush() -> None:
        nonlocal seq, current, routing_code, confidences
        if not current:
            return
        seq += 1
        if seq not in done:
            _scan_letter(app, batch_id, seq, current, routing_code, confidences, workdir)
        current, confidences = [], []

    pages = process_pages(load_pages(original), settings, jobs=jobs, encode=ImageOptions())
    for index, page in enumerate(pages):
        total += 1
        if page.kind == "blank":
            blanks += 1
            continue
        if page.kind == "separator":
            flush()
            routing_code = page.separator.routing_code if page.separator else None
            continue
        # Only the page's compressed form (made in the worker) is kept for the letter's
        # PDF/A; the decoded image is let go here, not saved and read back.
        assert page.encoded is not None
        current.append(_ScanPage(index, page.encoded, page.ocr, page.rotated, page.skew))
        if page.ocr is not None:
            confidences.append(page.ocr.mean_confidence)
    flush()
    with app.unit(SYSTEM) as ctx:
        batch = ctx.db.get(IntakeBatch, batch_id)
        assert batch is not None
        batch.page_count, batch.blank_pages = total, blanks
    if total == 0 or total == blanks:
        raise InvalidInput("Der Stapel enthält keine beschriebene Seite / no page with content")


@dataclass(frozen=True)
class _ScanPage:
    """A prepared content page of a letter: batch index, PDF image, OCR, how it was turned."""

    index: int
    encoded: EncodedImage
    ocr: PageOcr | None
    rotated: int
    skew: float


def _scan_letter(
    app: App,
    batch_id: int,
    seq: int,
    pages: list[_ScanPage],
    routing_code: str | None,
    confidences: list[float],
    workdir: Path,
) -> None:
    from ingest.letter_pages import page_state
    from ingest.pdfa import PdfaMetadata, ReceiptStamp, write_pdfa

    with app.unit(SYSTEM) as ctx:
        batch = ctx.db.get(IntakeBatch, batch_id)
        assert batch is not None
        scan_sha, received_on = batch.sha256, batch.received_on

    text = "\f".join((page.ocr.text if page.ocr else "") for page in pages)
    pdf_path = workdir / f"letter-{seq}.pdf"
    write_pdfa(
        ((page.encoded, page.ocr) for page in pages),
        pdf_path,
        PdfaMetadata(
            title=f"Posteingang Stapel {batch_id}, Schriftstück {seq}",
            source=f"sha256:{scan_sha}",
            author="Poststelle",
            receipt=ReceiptStamp(received_on),
        ),
    )
    mean = sum(confidences) / len(confidences) if confidences else None
    # Enough to rebuild the letter from the original scan (ingest.review: rotate, split, ...).
    state = page_state(((p.index, p.rotated, p.skew, p.ocr) for p in pages), routing_code)
    _finish_letter(
        app,
        batch_id,
        seq,
        [page.index for page in pages],
        text,
        routing_code,
        pdf_path,
        scan_sha,
        {"method": "ocr", "mean_confidence": mean},
        page_state=state,
    )


def _finish_letter(
    app: App,
    batch_id: int,
    seq: int,
    page_indexes: list[int],
    text: str,
    routing_code: str | None,
    pdf_path: Path,
    scan_sha: str,
    ocr_info: dict[str, Any],
    page_state: dict[str, Any] | None = None,
) -> None:
    """Store the letter's PDF, extract, route, register; file it when routing is sure."""
    with pdf_path.open("rb") as handle:
        pdf_blob = app.store.put(handle)
    with app.unit(SYSTEM) as ctx:
        batch = ctx.db.get(IntakeBatch, batch_id)
        assert batch is not None
        proposal = propose_routing(ctx, text, routing_code)
        year = batch.received_on.year
        number = next_number(ctx.db, f"register:{year}")
        letter = IntakeLetter(
            batch_id=batch_id,
            seq=seq,
            register_number=f"PE-{year}-{number:06d}",
            pages=page_state or {"indexes": page_indexes},
            pdf_sha256=pdf_blob.sha256,
            text=text[:2_000_000],
            ocr_confidence=ocr_info.get("mean_confidence"),
            extraction=proposal.extraction,
            routing=proposal.as_dict(),
            needs_review=proposal.needs_review,
            transfer_note=_transfer_note(
                batch, len(page_indexes), scan_sha, pdf_blob.sha256, ocr_info
            ),
        )
        ctx.db.add(letter)
        ctx.db.flush()
        audit.record(
            ctx,
            "intake.letter",
            "intake_letter",
            letter.id,
            after={
                "register_number": letter.register_number,
                "batch": batch_id,
                "pages": len(page_indexes),
                "routing": proposal.reason,
                "needs_review": proposal.needs_review,
            },
        )
        letter_id = letter.id
    if not proposal.needs_review:
        _send_or_review(app, letter_id, pdf_path)


def _send_or_review(app: App, letter_id: int, pdf_path: Path) -> None:
    """File a letter routed with confidence; if that fails, it waits for review, with why."""
    try:
        send_letter(app, letter_id, operator="poststelle", pdf_path=pdf_path)
    except DmsError as exc:  # the letter is registered: it waits for review, with why
        with app.unit(SYSTEM) as ctx:
            letter = ctx.db.get(IntakeLetter, letter_id)
            assert letter is not None
            letter.needs_review = True
            letter.reason = f"Automatisches Senden fehlgeschlagen: {exc.message}"


def _letter_from_email(
    app: App, batch_id: int, original: Path, workdir: Path, jobs: int
) -> None:
    """An e-mail is one letter: the original .eml is its main document (filed unchanged),
    each attachment a further document of it (prepared by :mod:`ingest.email_letters`),
    sender and letter date from the headers. An e-invoice among the attachments sends the
    letter the invoice way, into the invoice file of the office its Leitweg-ID names."""
    from ingest.einvoice_intake import InvoiceFacts, examine_invoice, invoice_case
    from ingest.email_letters import prepare_attachment, read_email, write_attachment
    from ingest.letter_blobs import letter_blob_rows

    with app.unit(SYSTEM) as ctx:
        known = [(letter.id, letter.status == "review" and not letter.needs_review)
                 for letter in _letters(ctx, batch_id)]
    if known:  # resumed: a crash may have come before filing or before the invoice register
        letter_id, unsent = known[0]
        if unsent:
            _send_or_review(app, letter_id, original)
        register_email_invoices(app, letter_id, workdir)
        _render_waiting_invoice_views(app, letter_id, workdir)
        return
    mail = read_email(original, max_attachment_bytes=app.settings.max_upload_bytes)
    tz = app.settings.tz
    entries: list[dict[str, Any]] = []
    texts = [mail.reading_text(tz)]
    invoice: InvoiceFacts | None = None
    for number, attachment in enumerate(mail.attachments, start=1):
        path = write_attachment(attachment, workdir / f"attachment-{number}")
        facts, note = None, None
        if attachment.mime_type in ("application/pdf", "application/xml"):
            with app.unit(INGEST) as ctx:
                try:
                    facts = examine_invoice(ctx, path)
                except DmsError as exc:  # an unreadable invoice is still filed, unchanged
                    note = f"E-Rechnung nicht lesbar: {exc.message}"
        prepared = prepare_attachment(attachment, path, jobs=jobs, is_einvoice=facts is not None)
        with prepared.path.open("rb") as handle:
            blob = app.store.put(handle)
        reading_sha256 = None
        if prepared.reading_copy is not None:
            with prepared.reading_copy.open("rb") as handle:
                reading_sha256 = app.store.put(handle).sha256
        invoice = invoice or facts
        entries.append({
            "filename": prepared.filename,
            "original_filename": attachment.filename,
            "mime_type": attachment.mime_type,
            "sha256": blob.sha256,
            "original_sha256": prepared.original_sha256,
            "reading_sha256": reading_sha256,
            "method": prepared.method,
            "pages": prepared.pages or _pdf_pages(prepared.path, attachment.mime_type),
            "ocr_confidence": prepared.ocr_confidence,
            "note": prepared.note or note,
            "einvoice": facts.summary if facts else None,
            "title": (facts.summary.get("title") if facts else None) or attachment.filename,
            "doc_type": "invoice" if facts else None,
            "document_id": None,
        })
        if prepared.text.strip():
            texts.append(f"--- Anhang: {attachment.filename} ---\n{prepared.text.strip()}")
    text = "\n\n".join(texts)
    with app.unit(INGEST) as ctx:
        batch = ctx.db.get(IntakeBatch, batch_id)
        assert batch is not None
        if invoice is not None:
            case = invoice_case(ctx, invoice.office_code, batch.received_on.year)
            routing: dict[str, Any] = {
                "office_code": invoice.office_code, "case_id": case.id,
                "case_reference": case.reference, "assignee": None,
                "candidate_group": invoice.office_code, "process_key": None,
                "rule_id": "e-invoice", "confidence": 1.0,
                "reason": "E-Mail mit " + invoice.reason, "needs_review": False}
            extraction, needs_review = dict(invoice.summary), False
        else:
            proposal = propose_routing(ctx, text, None)
            routing, extraction = proposal.as_dict(), dict(proposal.extraction)
            needs_review = proposal.needs_review
        for entry in entries:  # what the letter is about, for attachments that are letters
            entry["doc_type"] = entry["doc_type"] or (
                extraction.get("document_type")
                if entry["method"] in ("ocr", "text-layer", READING_COPY_METHOD)
                else "other")
        registered = extraction.get("sender") if extraction.get("sender_register_id") else None
        day = mail.letter_date(tz)
        extraction.update(
            title=mail.subject or f"E-Mail von {mail.sender or 'unbekannt'}",
            subject=mail.subject,
            sender=registered or (extraction.get("sender") if invoice else None)
            or mail.sender or extraction.get("sender"),
            sender_address=mail.sender_address,
            date=day.isoformat() if day else extraction.get("date"),
            message_id=mail.message_id,
        )
        year = batch.received_on.year
        number = next_number(ctx.db, f"register:{year}")
        note = _transfer_note(batch, 1, batch.sha256, batch.sha256, {"method": "email"})
        note["quality_check"] = (
            "automatisch: E-Mail unverändert übernommen; Text aus "
            + {"plain": "dem Textteil", "html": "dem HTML-Teil", "none": "keinem Textteil"}[
                mail.body_kind]
            + f"; {len(entries)} Anhang/Anhänge als eigene Dokumente"
        )
        note["email"] = {"from": mail.sender_address, "sender": mail.sender,
                         "subject": mail.subject, "date": mail.sent_at.isoformat()
                         if mail.sent_at else None, "message_id": mail.message_id,
                         "to": mail.recipients, "attachments": len(entries)}
        letter = IntakeLetter(
            batch_id=batch_id, seq=1, register_number=f"PE-{year}-{number:06d}",
            pages={"indexes": [0], "attachments": entries}, pdf_sha256=batch.sha256,
            text=text[:2_000_000], ocr_confidence=None, extraction=extraction,
            routing=routing, needs_review=needs_review, transfer_note=note,
        )
        ctx.db.add(letter)
        ctx.db.flush()
        ctx.db.add_all(letter_blob_rows(letter.id, entries))  # kept from fsck's sweep
        audit.record(ctx, "intake.letter", "intake_letter", letter.id, after={
            "register_number": letter.register_number, "batch": batch_id, "email": True,
            "attachments": len(entries), "routing": routing.get("reason"),
            "needs_review": needs_review})
        letter_id = letter.id
    if not needs_review:
        _send_or_review(app, letter_id, original)
    register_email_invoices(app, letter_id, workdir)
    _render_waiting_invoice_views(app, letter_id, workdir)


def _render_waiting_invoice_views(app: App, letter_id: int, workdir: Path) -> None:
    """The readable view of each XML e-invoice attached to an e-mail letter that waits in
    review (its automatic send failed), rendered now, once, and kept for the review screen
    (``view_sha256`` in its entry); a filed one has the invoice register's view instead.
    Rendering takes about half a second, so it never happens per request."""
    from ingest.einvoice import parse_invoice
    from ingest.einvoice.pdf_view import render_pdf
    from ingest.einvoice.validation import validate
    from ingest.letter_blobs import LetterBlob

    with app.unit(SYSTEM) as ctx:
        letter = ctx.db.get(IntakeLetter, letter_id)
        assert letter is not None
        if letter.status != "review":
            return
        entries = list((letter.pages or {}).get("attachments") or [])
    views: dict[int, tuple[str, int | None]] = {}
    for number, entry in enumerate(entries):
        if not entry.get("einvoice") or entry.get("view_sha256") \
                or entry.get("mime_type") == "application/pdf":
            continue
        folder = workdir / f"view-{number}"
        folder.mkdir(parents=True, exist_ok=True)
        source, target = folder / "rechnung.xml", folder / "ansicht.pdf"
        with app.store.open(entry["sha256"]) as stream, source.open("wb") as out:
            shutil.copyfileobj(stream, out, 1024 * 1024)
        try:
            parsed = parse_invoice(source)
            target.write_bytes(render_pdf(parsed, validate(parsed)))
        except DmsError:
            continue  # the review screen says the view comes with the invoice register
        with target.open("rb") as handle:
            views[number] = (app.store.put(handle).sha256, _pdf_pages(target, "application/pdf"))
    if not views:
        return
    with app.unit(SYSTEM) as ctx:
        letter = ctx.db.get(IntakeLetter, letter_id)
        assert letter is not None
        letter.pages = {**letter.pages, "attachments": [
            {**entry, "view_sha256": views[n][0], "view_pages": views[n][1]} if n in views
            else entry for n, entry in enumerate(entries)]}
        known = set(ctx.db.scalars(select(LetterBlob.sha256)
                                   .where(LetterBlob.letter_id == letter_id)))
        ctx.db.add_all(LetterBlob(letter_id=letter_id, sha256=sha, role="invoice-view")
                       for sha in {sha for sha, _ in views.values()} - known)


def _pdf_pages(path: Path, mime: str) -> int | None:
    """The page count of a PDF filed as it came (an e-invoice), for the review's preview."""
    if mime != "application/pdf":
        return None
    from dms.content.pdf import inspect_pdf

    try:
        return inspect_pdf(path).page_count
    except DmsError:
        return None


def register_email_invoices(app: App, letter_id: int, workdir: Path) -> None:
    """Enter each e-invoice attached to a filed e-mail in the invoice register, as an
    e-invoice arriving on its own is (idempotent: a resumed batch registers once)."""
    from ingest.invoice_register import register_filed

    with app.unit(SYSTEM) as ctx:
        letter = ctx.db.get(IntakeLetter, letter_id)
        assert letter is not None
        if letter.status != "filed":
            return  # registered when it is sent after review
        entries = [e for e in (letter.pages or {}).get("attachments") or []
                   if e.get("einvoice") and e.get("document_id")]
    for number, entry in enumerate(entries):
        path = workdir / f"invoice-{number}" / entry["filename"]
        path.parent.mkdir(parents=True, exist_ok=True)
        with app.store.open(entry["sha256"]) as stream, path.open("wb") as out:
            shutil.copyfileobj(stream, out, 1024 * 1024)
        register_filed(app, INGEST, entry["document_id"], path, letter_id=letter_id)


def _transfer_note(
    batch: IntakeBatch, pages: int, scan_sha: str, pdf_sha: str, ocr_info: dict[str, Any]
) -> dict[str, Any]:
    """Transfervermerk in the spirit of TR-RESISCAN: who, what, when, with which result."""
    from ingest.reading_copy import METHOD

    if ocr_info.get("method") == METHOD:
        return {**_scan_note(batch, pages, scan_sha, pdf_sha, ocr_info),
                "quality_check": "automatisch: signiertes Original unverändert übernommen"
                " (Signaturen bleiben prüfbar); Texterkennung auf einer Lesefassung (PDF/A)"
                " daneben, alle Seiten in Originalreihenfolge",
                "reading_copy_sha256": pdf_sha}
    return _scan_note(batch, pages, scan_sha, pdf_sha, ocr_info)


def _scan_note(
    batch: IntakeBatch, pages: int, scan_sha: str, pdf_sha: str, ocr_info: dict[str, Any]
) -> dict[str, Any]:
    return {
        "operator": batch.operator,
        "device": batch.device,
        "source": batch.source,
        "source_name": batch.source_name,
        "captured_at": batch.captured_at.isoformat(),
        "received_on": batch.received_on.isoformat(),
        "pages": pages,
        "scan_sha256": scan_sha,
        "pdf_sha256": pdf_sha,
        "ocr": ocr_info,
        "quality_check": "automatisch: Leerseiten entfernt, Ausrichtung und Schräglage "
        "korrigiert, Texterkennung mit Konfidenz je Seite",
    }


# --- sending (filing) ---------------------------------------------------------------------


def send_letter(
    app: App,
    letter_id: int,
    *,
    operator: str,
    pdf_path: Path | None = None,
    override: RoutingProposal | None = None,
) -> IntakeLetter:
    """File the letter where its routing points and start the distribution process."""
    workdir = None
    try:
        with app.unit(INGEST) as ctx:
            letter = ctx.db.scalar(  # locked: two people sending at once file it once
                select(IntakeLetter).where(IntakeLetter.id == letter_id).with_for_update()
                .execution_options(populate_existing=True)
            )
            if letter is None:
                raise NotFound(f"Schriftstück {letter_id} nicht gefunden / letter not found")
            if letter.status == "filed":
                return letter
            batch = ctx.db.get(IntakeBatch, letter.batch_id)
            assert batch is not None and letter.pdf_sha256 is not None
            routing = override.as_dict() if override else (letter.routing or {})
            if pdf_path is None or not pdf_path.exists():
                workdir = Path(tempfile.mkdtemp(prefix="dms-send-"))
                pdf_path = workdir / "letter.pdf"
                with app.store.open(letter.pdf_sha256) as stream, pdf_path.open("wb") as out:
                    shutil.copyfileobj(stream, out, 1024 * 1024)
            reading_copy = None
            if _method(letter) == READING_COPY_METHOD:  # the original is filed, unchanged
                reading_copy = pdf_path
                workdir = workdir or Path(tempfile.mkdtemp(prefix="dms-send-"))
                pdf_path = workdir / "original.pdf"
                with app.store.open(batch.sha256) as stream, pdf_path.open("wb") as out:
                    shutil.copyfileobj(stream, out, 1024 * 1024)
            case_id = (
                routing.get("case_id")
                or intake_case(
                    ctx, routing.get("office_code") or MAILROOM_OFFICE, batch.received_on.year
                ).id
            )
            extraction = letter.extraction or {}
            variables = {
                "office": routing.get("office_code") or MAILROOM_OFFICE,
                "assignee": routing.get("assignee"),
                "registerNumber": letter.register_number,
            }
            is_email = _method(letter) == "email"
            entries = list((letter.pages or {}).get("attachments") or [])
            if entries and workdir is None:
                workdir = Path(tempfile.mkdtemp(prefix="dms-send-"))
            attachments = [
                _attachment(app, entry, workdir / f"attachment-{n}")  # type: ignore[operator]
                for n, entry in enumerate(entries)
            ]
            if is_email:
                suffix = ".eml"
            elif letter.pdf_sha256 == batch.sha256:
                suffix = Path(batch.source_name).suffix.lower() or ".pdf"
            else:
                suffix = ".pdf"
            filed = file_letter(
                ctx,
                source=pdf_path,
                filename=letter.register_number + suffix,
                title=extraction.get("title") or f"Eingang {letter.register_number}",
                doc_type="email" if is_email else extraction.get("document_type") or "letter",
                received_on=batch.received_on,
                letter_date=_iso_date(extraction.get("date")),
                sender=extraction.get("sender"),
                attributes={
                    "register_number": letter.register_number,
                    "transfer_note": letter.transfer_note,
                    "routing_reason": routing.get("reason"),
                },
                case_id=case_id,
                process_key=routing.get("process_key"),
                process_variables=variables,
                attachments=attachments,
                reading_copy=reading_copy,
            )
            if entries:
                letter.pages = {**letter.pages, "attachments": [
                    {**entry, "document_id": document_id}
                    for entry, document_id in zip(entries, filed.attachment_ids, strict=True)]}
            letter.status, letter.document_id, letter.case_id = (
                "filed",
                filed.document_id,
                filed.case_id,
            )
            letter.instance_id, letter.filed_at, letter.filed_by = (
                filed.instance_id,
                utcnow(),
                operator,
            )
            letter.routing = routing
            audit.record(
                ctx,
                "intake.send",
                "intake_letter",
                letter.id,
                after={
                    "document": filed.document_id,
                    "case": filed.case_reference,
                    "operator": operator,
                    "reason": routing.get("reason"),
                },
            )
            filed_ids = [filed.document_id, *filed.attachment_ids]
        # after the commit: a signature check can never hold up or undo the filing
        check_incoming_signatures(app, filed_ids)
        return letter
    finally:
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)


def _method(letter: IntakeLetter) -> str | None:
    """How the letter was made: ocr | text-layer | signed-ocr | email | e-invoice, unchanged."""
    return ((letter.transfer_note or {}).get("ocr") or {}).get("method") \
        or (letter.transfer_note or {}).get("method")


def _iso_date(value: object) -> date | None:
    """The letter date kept as ISO text in the extraction, or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _attachment(app: App, entry: dict[str, Any], folder: Path) -> Attachment:
    """A prepared attachment of an e-mail letter, fetched from the store for filing."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "attachment"
    with app.store.open(entry["sha256"]) as stream, path.open("wb") as out:
        shutil.copyfileobj(stream, out, 1024 * 1024)
    reading_copy = None
    if entry.get("reading_sha256"):  # a signed scan: its OCR'd copy goes beside it
        reading_copy = folder / "reading-copy.pdf"
        with app.store.open(entry["reading_sha256"]) as stream, reading_copy.open("wb") as out:
            shutil.copyfileobj(stream, out, 1024 * 1024)
    return Attachment(
        source=path,
        filename=entry["filename"],
        title=entry.get("title") or entry["filename"],
        doc_type=entry.get("doc_type") or "other",
        attributes={"original_filename": entry.get("original_filename"),
                    "original_sha256": entry.get("original_sha256"),
                    "method": entry.get("method"), "einvoice": entry.get("einvoice"),
                    "note": entry.get("note")},
        reading_copy=reading_copy,
    )


def pending_batches(app: App, limit: int = 10) -> list[int]:
    with app.unit(SYSTEM) as ctx:
        return list(
            ctx.db.scalars(
                select(IntakeBatch.id)
                .where(IntakeBatch.status.in_(("received", "processing")))
                .order_by(IntakeBatch.id)
                .limit(limit)
            )
        )
