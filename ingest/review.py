"""The mailroom's review (Poststelle): the services behind its screen and API.

Batches with their progress, the letters waiting for review with pages, OCR text, extracted
fields (with the text they were found in) and the proposed routing; correcting and sending a
letter; fixing what the scanner or the splitting got wrong (turn a page, move a page to the
previous or next letter, split a letter, merge two); the sampled quality check TR-RESISCAN
asks for; uploads; and the quarantine (retry, or discard while the original stays stored).

Every function checks that the caller is mailroom staff or an administrator and records each
change in the audit trail. Functions that take a ``ctx`` run inside the caller's unit of work;
those that take ``app`` and ``actor`` do slow work (rendering, OCR, the pipeline) and open
their own short units around it, so they must be called outside any unit (SQLite has one
writer, and OCR must not hold it).

Fixing a letter rebuilds its searchable PDF/A from the original scan product, never from the
derived PDF: the batch's pages are rendered again from the stored original, turned and
straightened as recorded in the letter (see :mod:`ingest.letter_pages`), and only pages turned
by hand are OCR'd again. The set of the batch's content pages never changes: each page is in
exactly one letter before and after, which :func:`_check_same_pages` asserts.
"""

from __future__ import annotations

import contextlib
import io
import math
import random
import shutil
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import load_only

from dms.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from dms.models import Document, Office, PlanNode, User, utcnow
from dms.services import audit
from dms.services.context import Actor, App, Ctx
from dms.services.references import next_number
from ingest.filing import INGEST
from ingest.letter_pages import ocr_from_json, ocr_to_json
from ingest.models import IntakeBatch, IntakeLetter
from ingest.routing_adapter import RoutingProposal, propose_routing

#: Share of a batch's pages a second person looks at (TR-RESISCAN quality control); at least
#: one page. Read from ``settings.quality_sample_share`` when the settings carry it.
QUALITY_SAMPLE_SHARE = 0.10
#: Uploads (and retries) of at most this many pages are processed right away, so the screen
#: shows the letters at once; larger batches are left to the worker.
INLINE_MAX_PAGES = 5
THUMBNAIL_DPI = 40
PREVIEW_DPI = 100
MAILROOM_ROLES = frozenset({"mailroom", "admin"})
ACTIVE = ("review", "filed", "quarantined")  # letter states that hold pages ("merged" none)
MERGED = "merged"
DISCARDED = "discarded"
MANUAL_RULE = "poststelle"

ONLY_MAILROOM = "Nur für die Poststelle / mailroom staff only"
BATCH_STATUS = {
    "received": "wartet",
    "processing": "in Arbeit",
    "done": "fertig",
    "quarantined": "Quarantäne",
    DISCARDED: "verworfen",
}
LETTER_STATUS = {
    "review": "zu prüfen",
    "filed": "versandt",
    "quarantined": "Quarantäne",
    MERGED: "zusammengeführt",
}
FIELD_LABELS = {
    "date": "Briefdatum",
    "sender": "Absender",
    "reference": "Aktenzeichen",
    "iban": "IBAN",
    "bic": "BIC",
    "amount": "Betrag",
    "document_type": "Dokumentart",
}


# --- who may --------------------------------------------------------------------------------


def is_mailroom(actor: Actor) -> bool:
    return bool(MAILROOM_ROLES & actor.roles)


def require_mailroom(actor: Actor) -> None:
    """Mailroom staff and administrators only; everyone else learns nothing, not even
    whether the batch or letter asked for exists (checked before any lookup)."""
    if not is_mailroom(actor):
        raise PermissionDenied(ONLY_MAILROOM)


# --- views (plain data, built inside the unit) ------------------------------------------


@dataclass(frozen=True)
class LetterSummary:
    id: int
    batch_id: int
    seq: int
    register_number: str
    status: str
    pages: int
    needs_review: bool
    title: str | None
    sender: str | None
    document_type: str | None
    office_code: str | None
    case_reference: str | None
    assignee: str | None
    confidence: float | None
    reason: str | None
    ocr_confidence: float | None
    document_id: int | None
    case_id: int | None
    filed_by: str | None

    @property
    def status_label(self) -> str:
        return LETTER_STATUS.get(self.status, self.status)


@dataclass(frozen=True)
class BatchView:
    id: int
    source: str
    source_name: str
    device: str | None
    operator: str
    received_on: date
    captured_at: datetime
    updated_at: datetime
    status: str
    reason: str | None
    mime_type: str
    size: int
    sha256: str
    page_count: int | None  # known once every page is read
    blank_pages: int | None
    letter_count: int  # letters found so far (live while processing)
    pages_in_letters: int  # content pages in letters so far
    to_review: int
    filed: int
    quality: str | None  # None: not checked yet; "passed" / "failed"
    letters: tuple[LetterSummary, ...] = ()

    @property
    def status_label(self) -> str:
        return BATCH_STATUS.get(self.status, self.status)

    @property
    def in_progress(self) -> bool:
        return self.status in ("received", "processing")


@dataclass(frozen=True)
class PageView:
    position: int  # 1-based within the letter
    index: int  # 0-based page of the batch's original scan
    rotation: int
    confidence: float | None
    text: str


@dataclass(frozen=True)
class FieldView:
    name: str
    label: str
    value: str
    confidence: float
    evidence: tuple[str, ...]
    pages: tuple[int | None, ...]


@dataclass(frozen=True)
class Segment:
    text: str
    mark: str | None = None  # the field label it is evidence for


@dataclass(frozen=True)
class PreviewPart:
    """One stored PDF whose pages the review screen shows for a letter that is not a scan:
    an e-mail's attachment, an e-invoice's readable view (rendered once, when the invoice is
    registered, and kept as a document), a PDF invoice itself. ``sha256`` None: nothing to
    show in pages (``note`` says why, e.g. a Word file)."""

    number: int  # 1-based within the letter; addresses its images and its PDF
    label: str
    sha256: str | None
    pages: int
    note: str | None = None


@dataclass(frozen=True)
class EmailHeader:
    """The e-mail as a person reads it: its header lines and body, shown as text."""

    sender: str | None
    address: str | None
    to: str | None
    subject: str | None
    sent_at: str | None
    body: str


@dataclass(frozen=True)
class LetterView:
    letter: LetterSummary
    batch: BatchView
    pdf_sha256: str | None
    pages: tuple[PageView, ...]
    text: str
    fields: tuple[FieldView, ...]
    text_pages: tuple[tuple[Segment, ...], ...]  # OCR text per page, evidence marked
    routing: dict[str, Any]
    office_name: str | None
    transfer_note: dict[str, Any]
    editable: bool
    not_editable_because: str | None
    previous_in_batch: int | None
    next_in_batch: int | None
    previous_to_review: int | None
    next_to_review: int | None
    # a letter that came as an e-mail or an e-invoice: what is shown instead of scan pages
    previews: tuple[PreviewPart, ...] = ()
    email: EmailHeader | None = None


@dataclass(frozen=True)
class Correction:
    """What mailroom staff chose instead of (or to confirm) the proposed routing."""

    office_code: str | None = None
    case_reference: str | None = None
    assignee: str | None = None

    @property
    def empty(self) -> bool:
        return not (self.office_code or self.case_reference or self.assignee)


@dataclass(frozen=True)
class SendResult:
    letter_id: int
    register_number: str
    status: str
    document_id: int | None
    case_id: int | None
    case_reference: str | None
    office_code: str | None
    assignee: str | None
    reason: str | None
    corrected: bool


@dataclass(frozen=True)
class EditResult:
    """After rotate/move/split/merge: the letters that changed (first: the one acted on)."""

    action: str
    letter_ids: tuple[int, ...]
    removed_letter_id: int | None = None  # merged away
    ocr_pages: int = 0  # pages read again


@dataclass(frozen=True)
class QualityPage:
    index: int
    letter_id: int
    register_number: str
    position: int
    pdf_sha256: str | None
    ok: bool | None
    remark: str


@dataclass(frozen=True)
class QualityView:
    batch: BatchView
    share: float
    pages_total: int
    sample: tuple[QualityPage, ...]
    result: str | None  # None (open), "passed", "failed"
    checked_by: str | None
    checked_at: str | None


@dataclass(frozen=True)
class UploadResult:
    batch_id: int
    status: str
    processed_inline: bool
    letters: int
    reason: str | None


# --- reading ------------------------------------------------------------------------------


def _letters_of(ctx: Ctx, batch_id: int, *, active_only: bool = True) -> list[IntakeLetter]:
    query = select(IntakeLetter).where(IntakeLetter.batch_id == batch_id)
    if active_only:
        query = query.where(IntakeLetter.status != MERGED)
    return list(ctx.db.scalars(query.order_by(IntakeLetter.seq, IntakeLetter.id)))


#: What a letter's line in a list needs: not its OCR words (``pages``) nor its full text.
_SUMMARY_COLUMNS = (
    IntakeLetter.id,
    IntakeLetter.batch_id,
    IntakeLetter.seq,
    IntakeLetter.register_number,
    IntakeLetter.status,
    IntakeLetter.needs_review,
    IntakeLetter.extraction,
    IntakeLetter.routing,
    IntakeLetter.ocr_confidence,
    IntakeLetter.document_id,
    IntakeLetter.case_id,
    IntakeLetter.filed_by,
)


def _page_count(ctx: Ctx) -> Any:
    """SQL for the number of pages of a letter, read inside the database (the ``pages``
    JSON carries every page's OCR words and is not worth loading for a count)."""
    if ctx.db.get_bind().dialect.name == "postgresql":
        return func.coalesce(func.jsonb_array_length(IntakeLetter.pages["indexes"]), 0)
    return func.coalesce(func.json_array_length(IntakeLetter.pages, "$.indexes"), 0)


def _summaries(ctx: Ctx, query: Any) -> list[LetterSummary]:
    """``query`` selects from IntakeLetter (filters, order, limit); rows become summaries."""
    rows = ctx.db.execute(query.add_columns(_page_count(ctx)).options(load_only(*_SUMMARY_COLUMNS)))
    return [_summary(letter, int(pages)) for letter, pages in rows]


def _summary(letter: IntakeLetter, pages: int | None = None) -> LetterSummary:
    routing = letter.routing or {}
    extraction = letter.extraction or {}
    if pages is None:
        pages = len((letter.pages or {}).get("indexes", []))
    return LetterSummary(
        id=letter.id,
        batch_id=letter.batch_id,
        seq=letter.seq,
        register_number=letter.register_number,
        status=letter.status,
        pages=pages,
        needs_review=letter.needs_review,
        title=extraction.get("title"),
        sender=extraction.get("sender"),
        document_type=extraction.get("document_type"),
        office_code=routing.get("office_code"),
        case_reference=routing.get("case_reference"),
        assignee=routing.get("assignee"),
        confidence=routing.get("confidence"),
        reason=routing.get("reason"),
        ocr_confidence=letter.ocr_confidence,
        document_id=letter.document_id,
        case_id=letter.case_id,
        filed_by=letter.filed_by,
    )


@dataclass(frozen=True)
class _Stats:
    letters: int = 0
    pages: int = 0
    review: int = 0
    filed: int = 0


def _stats(ctx: Ctx, batch_ids: list[int]) -> dict[int, _Stats]:
    """Per batch: letters found so far, the pages in them, how many wait, how many went."""
    if not batch_ids:
        return {}
    rows = ctx.db.execute(
        select(
            IntakeLetter.batch_id,
            IntakeLetter.status,
            func.count(),
            func.coalesce(func.sum(_page_count(ctx)), 0),
        )
        .where(IntakeLetter.batch_id.in_(batch_ids), IntakeLetter.status != MERGED)
        .group_by(IntakeLetter.batch_id, IntakeLetter.status)
    )
    found: dict[int, _Stats] = {}
    for batch_id, status, count, pages in rows:
        old = found.get(batch_id, _Stats())
        found[batch_id] = _Stats(
            old.letters + int(count),
            old.pages + int(pages),
            old.review + (int(count) if status == "review" else 0),
            old.filed + (int(count) if status == "filed" else 0),
        )
    return found


def _batch_view(
    batch: IntakeBatch, stats: _Stats, letters: tuple[LetterSummary, ...] = ()
) -> BatchView:
    quality = (batch.quality or {}).get("result")
    return BatchView(
        id=batch.id,
        source=batch.source,
        source_name=batch.source_name,
        device=batch.device,
        operator=batch.operator,
        received_on=batch.received_on,
        captured_at=batch.captured_at,
        updated_at=batch.updated_at,
        status=batch.status,
        reason=batch.reason,
        mime_type=batch.mime_type,
        size=batch.size,
        sha256=batch.sha256,
        page_count=batch.page_count,
        blank_pages=batch.blank_pages,
        letter_count=stats.letters,
        pages_in_letters=stats.pages,
        to_review=stats.review,
        filed=stats.filed,
        quality=quality,
        letters=letters,
    )


def _view_of(ctx: Ctx, batch: IntakeBatch) -> BatchView:
    return _batch_view(batch, _stats(ctx, [batch.id]).get(batch.id, _Stats()))


def list_batches(
    ctx: Ctx, *, statuses: tuple[str, ...] | None = None, limit: int = 50, offset: int = 0
) -> list[BatchView]:
    """Newest first, with progress: letters found so far, pages in them, to review, sent."""
    require_mailroom(ctx.actor)
    query = select(IntakeBatch)
    if statuses:
        query = query.where(IntakeBatch.status.in_(statuses))
    batches = list(
        ctx.db.scalars(query.order_by(IntakeBatch.id.desc()).limit(limit).offset(offset))
    )
    stats = _stats(ctx, [b.id for b in batches])
    return [_batch_view(b, stats.get(b.id, _Stats())) for b in batches]


def list_quarantine(ctx: Ctx, *, limit: int = 100) -> list[BatchView]:
    """Batches that could not be read, with the reason in words."""
    return list_batches(ctx, statuses=("quarantined",), limit=limit)


def _batch(ctx: Ctx, batch_id: int, *, lock: bool = False) -> IntakeBatch:
    query = select(IntakeBatch).where(IntakeBatch.id == batch_id)
    if lock:
        query = query.with_for_update()
    batch = ctx.db.scalar(query)
    if batch is None:
        raise NotFound(f"Stapel {batch_id} nicht gefunden / batch not found")
    return batch


def _letter(ctx: Ctx, letter_id: int, *, lock: bool = False) -> IntakeLetter:
    query = select(IntakeLetter).where(IntakeLetter.id == letter_id)
    if lock:
        query = query.with_for_update()
    letter = ctx.db.scalar(query)
    if letter is None or letter.status == MERGED:
        raise NotFound(f"Schriftstück {letter_id} nicht gefunden / letter not found")
    return letter


def get_batch(ctx: Ctx, batch_id: int) -> BatchView:
    require_mailroom(ctx.actor)
    batch = _batch(ctx, batch_id)
    letters = _summaries(
        ctx,
        select(IntakeLetter)
        .where(IntakeLetter.batch_id == batch.id, IntakeLetter.status != MERGED)
        .order_by(IntakeLetter.seq, IntakeLetter.id),
    )
    return _batch_view(batch, _stats(ctx, [batch.id]).get(batch.id, _Stats()), tuple(letters))


def list_review(ctx: Ctx, *, limit: int = 200, offset: int = 0) -> list[LetterSummary]:
    """Letters waiting for a person: oldest batch first, in their order within the batch."""
    require_mailroom(ctx.actor)
    return _summaries(
        ctx,
        _review_order(select(IntakeLetter).where(IntakeLetter.status == "review"))
        .limit(limit)
        .offset(offset),
    )


def _review_order(query: Any) -> Any:
    return query.order_by(IntakeLetter.batch_id, IntakeLetter.seq, IntakeLetter.id)


def _review_neighbours(ctx: Ctx, letter: IntakeLetter) -> tuple[int | None, int | None]:
    """The letters before and after this one in the review queue (for j / k)."""
    ids = list(
        ctx.db.scalars(
            _review_order(
                select(IntakeLetter.id).where(
                    (IntakeLetter.status == "review") | (IntakeLetter.id == letter.id)
                )
            )
        )
    )
    at = ids.index(letter.id)
    return (ids[at - 1] if at > 0 else None), (ids[at + 1] if at + 1 < len(ids) else None)


def review_neighbours(ctx: Ctx, letter_id: int) -> tuple[int | None, int | None]:
    """The letters before and after this one in the review queue (for j / k)."""
    require_mailroom(ctx.actor)
    return _review_neighbours(ctx, _letter(ctx, letter_id))


def _editable(letter: IntakeLetter, batch: IntakeBatch) -> str | None:
    """Why the letter's pages cannot be changed, or None when they can."""
    if letter.status != "review":
        return (
            "Das Schriftstück ist bereits versandt."
            if letter.status == "filed"
            else ("Das Schriftstück ist nicht in Prüfung.")
        )
    if batch.status == "quarantined":
        return "Der Stapel ist in Quarantäne; Seiten lassen sich erst danach ändern."
    if batch.status != "done":
        return "Der Stapel wird noch verarbeitet."
    method = ((letter.transfer_note or {}).get("ocr") or {}).get("method")
    if method == "signed-ocr":
        return ("Signierte Dokumente werden unverändert übernommen; die Seiten zeigen die"
                " Lesefassung (OCR).")
    if method != "ocr":
        return "Digital erzeugte Dokumente werden unverändert übernommen."
    return None


@lru_cache(maxsize=4)
def _register(config_dir: str) -> Any:
    from ingest.extract.correspondents import load_register

    path = Path(config_dir) / "correspondents.toml"
    return load_register(path) if path.is_file() else None


def _extraction(ctx: Ctx, text: str) -> Any:
    """The fields of the letter with their evidence (pure and fast: rules on the text)."""
    from ingest.extract.core import extract_fields
    from ingest.extract.references import ReferencePattern

    settings = ctx.app.settings
    plan_codes = list(ctx.db.scalars(select(PlanNode.code)))
    return extract_fields(
        text,
        reference_pattern=ReferencePattern.from_settings(settings, plan_codes),
        register=_register(str(settings.config_dir)),
    )


def _field_value(name: str, value: Any) -> str:
    from ingest.extract.model import DOCUMENT_TYPE_NAMES

    if name == "date":
        return value.strftime("%d.%m.%Y")
    if name == "sender":
        return str(value.name)
    if name == "reference":
        return str(value.value)
    if name == "document_type":
        return DOCUMENT_TYPE_NAMES.get(str(value), str(value))
    return str(value)


def _fields(extraction: Any) -> tuple[FieldView, ...]:
    views = []
    for name, found in extraction.fields():
        label = FIELD_LABELS.get(name, name)
        if name == "reference" and found.value.label:
            label = f"Aktenzeichen ({found.value.label})"
        views.append(
            FieldView(
                name=name,
                label=label,
                value=_field_value(name, found.value),
                confidence=round(found.confidence, 3),
                evidence=tuple(e.text for e in found.evidence),
                pages=tuple(e.page for e in found.evidence),
            )
        )
    return tuple(views)


def _segments(text: str, extraction: Any) -> tuple[tuple[Segment, ...], ...]:
    """The OCR text cut into pages, with every evidence span marked by its field."""
    spans: list[tuple[int, int, str]] = []
    for name, found in extraction.fields():
        for evidence in found.evidence:
            if 0 <= evidence.start < evidence.end <= len(text):
                spans.append((evidence.start, evidence.end, FIELD_LABELS.get(name, name)))
    spans.sort()
    pieces: list[Segment] = []
    at = 0
    for start, end, label in spans:
        if start < at:
            continue  # overlaps the previous mark
        if start > at:
            pieces.append(Segment(text[at:start]))
        pieces.append(Segment(text[start:end], label))
        at = end
    if at < len(text):
        pieces.append(Segment(text[at:]))
    pages: list[list[Segment]] = [[]]
    for piece in pieces:
        parts = piece.text.split("\f")
        for i, part in enumerate(parts):
            if i:
                pages.append([])
            if part:
                pages[-1].append(Segment(part, piece.mark))
    return tuple(tuple(page) for page in pages)


def letter_detail(ctx: Ctx, letter_id: int) -> LetterView:
    """Everything the review screen shows for one letter."""
    require_mailroom(ctx.actor)
    letter = _letter(ctx, letter_id)
    batch = _batch(ctx, letter.batch_id)
    siblings = list(
        ctx.db.scalars(
            select(IntakeLetter.id)
            .where(IntakeLetter.batch_id == batch.id, IntakeLetter.status != MERGED)
            .order_by(IntakeLetter.seq, IntakeLetter.id)
        )
    )
    at = siblings.index(letter.id)
    state = letter.pages or {}
    indexes = state.get("indexes", [])
    rotations = state.get("rotations") or [0] * len(indexes)
    ocrs = state.get("ocr") or [None] * len(indexes)
    text = letter.text or ""
    texts = text.split("\f")
    if len(texts) != len(indexes):
        texts = [text] + [""] * (len(indexes) - 1) if indexes else []
    pages = tuple(
        PageView(
            position=i + 1,
            index=index,
            rotation=rotations[i] if i < len(rotations) else 0,
            confidence=(ocrs[i] or {}).get("mean_confidence") if i < len(ocrs) else None,
            text=texts[i] if i < len(texts) else "",
        )
        for i, index in enumerate(indexes)
    )
    extraction = _extraction(ctx, text)
    routing = dict(letter.routing or {})
    office = ctx.db.scalar(select(Office).where(Office.code == routing.get("office_code", "")))
    previous_review, next_review = _review_neighbours(ctx, letter)
    why_not = _editable(letter, batch)
    previews = _previews(ctx, letter, batch)
    email = _email_header(letter)
    if email is not None or previews:
        pages = ()  # the original is no scan: its pages are the previews
    return LetterView(
        letter=_summary(letter),
        batch=_view_of(ctx, batch),
        pdf_sha256=letter.pdf_sha256,
        pages=pages,
        text=text,
        fields=_fields(extraction),
        text_pages=_segments(extraction.text, extraction),
        routing=routing,
        office_name=office.name if office else None,
        transfer_note=dict(letter.transfer_note or {}),
        editable=why_not is None,
        not_editable_because=why_not,
        previous_in_batch=siblings[at - 1] if at > 0 else None,
        next_in_batch=siblings[at + 1] if at + 1 < len(siblings) else None,
        previous_to_review=previous_review,
        next_to_review=next_review,
        previews=previews,
        email=email,
    )


def letter_pdf(ctx: Ctx, letter_id: int) -> tuple[str, str]:
    """(sha256 of the letter's PDF/A, register number) for thumbnails and the viewer."""
    require_mailroom(ctx.actor)
    letter = _letter(ctx, letter_id)
    if letter.pdf_sha256 is None:
        raise NotFound(f"Schriftstück {letter_id} hat kein PDF / letter has no PDF")
    return letter.pdf_sha256, letter.register_number


# --- previews of e-mails and e-invoices ----------------------------------------------------

#: Marks where an attachment's text starts in an e-mail letter's text (ingest.pipeline).
_ATTACHMENT_MARK = "\n\n--- Anhang: "


def _method(letter: IntakeLetter) -> str | None:
    note = letter.transfer_note or {}
    return (note.get("ocr") or {}).get("method") or note.get("method")


def _email_header(letter: IntakeLetter) -> EmailHeader | None:
    """Header lines (from the transfer note) and body (the letter text before the first
    attachment's) of an e-mail letter; None for any other letter."""
    if _method(letter) != "email":
        return None
    mail = (letter.transfer_note or {}).get("email") or {}
    text = (letter.text or "").split(_ATTACHMENT_MARK, 1)[0]
    return EmailHeader(
        sender=mail.get("sender"), address=mail.get("from"), to=mail.get("to"),
        subject=mail.get("subject"), sent_at=mail.get("date"), body=text.strip(),
    )


def _previews(ctx: Ctx, letter: IntakeLetter, batch: IntakeBatch) -> tuple[PreviewPart, ...]:
    """What to show in pages for a letter that came as an e-mail or an e-invoice: every
    attachment's pages (a scan's searchable PDF/A, a PDF as it came, an e-invoice's view),
    or the invoice's; () for scans and PDFs, whose own pages are shown."""
    method = _method(letter) or ""
    if method == "email":
        entries = (letter.pages or {}).get("attachments") or []
        return tuple(_attachment_preview(ctx, n, e) for n, e in enumerate(entries, start=1))
    if method.startswith("e-invoice"):
        return (_invoice_preview(ctx, 1, letter.document_id, batch.sha256, batch.mime_type,
                                 batch.source_name, None),)
    return ()


def _attachment_preview(ctx: Ctx, number: int, entry: dict[str, Any]) -> PreviewPart:
    label = f"Anhang {number}: {entry.get('original_filename') or entry.get('filename')}"
    mime = entry.get("mime_type")
    if entry.get("einvoice"):
        return _invoice_preview(ctx, number, entry.get("document_id"), entry["sha256"],
                                mime, label, entry.get("pages"),
                                (entry.get("view_sha256"), entry.get("view_pages")))
    if entry.get("method") in ("ocr", "text-layer", "signed-ocr"):  # a PDF is filed
        return PreviewPart(number, label, entry["sha256"], int(entry.get("pages") or 1))
    return PreviewPart(number, label, None, 0, entry.get("note")
                       or "Keine Seitenansicht für diesen Dateityp; die Datei wird unverändert"
                       " abgelegt.")


def _invoice_preview(
    ctx: Ctx, number: int, document_id: int | None, sha256: str, mime: str | None,
    label: str, pages: int | None, waiting_view: tuple[str | None, int | None] = (None, None),
) -> PreviewPart:
    """A PDF invoice shows its own pages; an XML invoice its readable view (Sichtansicht),
    which the invoice register rendered once and filed as a document beside it, or, while
    its e-mail waits in review, the one rendered then (``waiting_view``: hash, pages)."""
    from dms.services.documents import latest_version
    from ingest.invoice_records import InvoiceRecord

    if mime == "application/pdf":
        version = latest_version(ctx, document_id) if document_id else None
        count = (version.page_count if version else None) or pages or 1
        return PreviewPart(number, f"{label} (E-Rechnung, PDF)", sha256, count)
    record = ctx.db.scalar(select(InvoiceRecord).where(InvoiceRecord.document_id == document_id)) \
        if document_id else None
    facts = record.facts if record else {}
    view_id = facts.get("view_document_id")
    view = latest_version(ctx, view_id) if view_id else None
    if view is None and waiting_view[0]:
        return PreviewPart(number, f"{label}: lesbare Ansicht der E-Rechnung", waiting_view[0],
                           waiting_view[1] or 1)
    if view is None:
        note = facts.get("view_error") or (
            "Die lesbare Ansicht entsteht, wenn die E-Rechnung versandt und in das"
            " Rechnungseingangsbuch übernommen ist.")
        return PreviewPart(number, f"{label} (E-Rechnung, XML)", None, 0, note)
    return PreviewPart(number, f"{label}: lesbare Ansicht der E-Rechnung", view.sha256,
                       view.page_count or 1)


def preview_pdf(ctx: Ctx, letter_id: int, number: int) -> tuple[PreviewPart, str]:
    """Preview ``number`` of a letter (for its page images and its PDF) and the letter's
    register number; NotFound when the letter has no such preview or it has no pages."""
    require_mailroom(ctx.actor)
    letter = _letter(ctx, letter_id)
    batch = _batch(ctx, letter.batch_id)
    part = next((p for p in _previews(ctx, letter, batch) if p.number == number), None)
    if part is None or part.sha256 is None:
        raise NotFound(f"Vorschau {number} gibt es nicht / no such preview")
    return part, letter.register_number


def list_offices(ctx: Ctx) -> list[tuple[str, str]]:
    """(code, name) of every office, for the correction form."""
    require_mailroom(ctx.actor)
    return [(o.code, o.name) for o in ctx.db.scalars(select(Office).order_by(Office.code))]


# --- thumbnails ---------------------------------------------------------------------------

_THUMBS: OrderedDict[tuple[str, int, int], bytes] = OrderedDict()
_THUMBS_BYTES = 0
_THUMBS_MAX_BYTES = 64 * 1024 * 1024  # content-addressed entries: never stale, only evicted
_THUMBS_LOCK = threading.Lock()
_RENDER_LOCKS: dict[tuple[str, int], threading.Lock] = {}
_RENDER_AHEAD = 20  # pages rendered past the one asked for (the screen asks for all of them)


def _cached(key: tuple[str, int, int]) -> bytes | None:
    with _THUMBS_LOCK:
        found = _THUMBS.get(key)
        if found is not None:
            _THUMBS.move_to_end(key)
        return found


def _remember(key: tuple[str, int, int], png: bytes) -> None:
    global _THUMBS_BYTES
    with _THUMBS_LOCK:
        if key in _THUMBS:
            return
        _THUMBS[key] = png
        _THUMBS_BYTES += len(png)
        while _THUMBS_BYTES > _THUMBS_MAX_BYTES and len(_THUMBS) > 1:
            _, dropped = _THUMBS.popitem(last=False)
            _THUMBS_BYTES -= len(dropped)


def page_image(
    app: App, pdf_sha256: str, position: int, *, dpi: int = THUMBNAIL_DPI
) -> bytes | None:
    """Page ``position`` (1-based) of a stored PDF as a grey PNG at ``dpi``, or None when the
    PDF has no such page. Cached by hash in a bounded LRU; concurrent requests for one PDF
    render it once. The caller has checked the right to see it (:func:`letter_pdf`)."""
    from dms.content.pdf import render_pages

    if position < 1:
        return None
    key = (pdf_sha256, dpi, position)
    found = _cached(key)
    if found is not None:
        return found
    with _THUMBS_LOCK:
        lock = _RENDER_LOCKS.setdefault((pdf_sha256, dpi), threading.Lock())
    with lock:
        found = _cached(key)
        if found is not None:
            return found
        with tempfile.TemporaryDirectory(prefix="dms-thumb-") as folder:
            path = Path(folder) / "letter.pdf"
            with app.store.open(pdf_sha256) as stream, path.open("wb") as out:
                shutil.copyfileobj(stream, out, 1024 * 1024)
            with contextlib.closing(render_pages(path, dpi)) as pages:
                for number, image in enumerate(pages, start=1):
                    buffer = io.BytesIO()
                    image.convert("L").save(buffer, "PNG", optimize=True)
                    png = buffer.getvalue()
                    _remember((pdf_sha256, dpi, number), png)
                    if number == position:
                        found = png
                    if number >= position + _RENDER_AHEAD:
                        break
    with _THUMBS_LOCK:
        _RENDER_LOCKS.pop((pdf_sha256, dpi), None)
    return found


# --- correcting and sending ---------------------------------------------------------------


def _system_ctx(ctx: Ctx) -> Ctx:
    """The same transaction, seen by the pipeline's principal: routing must find a case even
    in a file the mailroom may not open (the reason then leaves a sensitive title out)."""
    return Ctx(db=ctx.db, actor=INGEST, app=ctx.app)


def _override(ctx: Ctx, letter: IntakeLetter, correction: Correction) -> RoutingProposal | None:
    """The corrected routing, or None when the correction only confirms the proposal."""
    from ingest.routing import services_case_lookup

    base = dict(letter.routing or {})
    office_code = (correction.office_code or "").strip() or None
    reference = (correction.case_reference or "").strip() or None
    assignee = (correction.assignee or "").strip().lower() or None
    case = None
    if reference:
        case = services_case_lookup(_system_ctx(ctx))(reference)
        if case is None:
            raise NotFound(f"Vorgang {reference} nicht gefunden / no such case")
        if not case.is_open:
            raise InvalidInput(
                f"Vorgang {case.reference} ist abgeschlossen; bitte einen offenen Vorgang oder"
                " nur das Amt wählen / the case is closed"
            )
        office_code = case.office_code
    if (
        office_code is not None
        and ctx.db.scalar(select(Office.id).where(Office.code == office_code)) is None
    ):
        raise NotFound(f"Amt {office_code!r} gibt es nicht / no such office")
    if assignee is not None:
        user = ctx.db.scalar(select(User).where(User.username == assignee))
        if user is None or not user.active:
            raise NotFound(f"Benutzer {assignee!r} gibt es nicht / no such user")
    office_code = office_code or base.get("office_code")
    if not office_code:
        raise InvalidInput("Bitte ein Amt wählen / choose an office")
    same_office = office_code == base.get("office_code")
    if case is None and same_office and not reference:
        case_id, case_reference = base.get("case_id"), base.get("case_reference")
    else:
        case_id = case.case_id if case else None
        case_reference = case.reference if case else None
    if assignee is None:
        if case is not None:
            assignee = case.owner
        elif same_office and case_id == base.get("case_id"):
            assignee = base.get("assignee")
    unchanged = (
        office_code == base.get("office_code")
        and case_id == base.get("case_id")
        and assignee == base.get("assignee")
    )
    if unchanged:
        return None
    parts = [f"Amt {office_code}"]
    if case is not None:
        parts.insert(0, f"Vorgang {case.reference}")
    if assignee:
        parts.append(f"Aufgabe an {assignee}")
    reason = f"Von der Poststelle ({ctx.actor.username}) zugeordnet: " + ", ".join(parts)
    if base.get("reason"):
        reason += f" (Vorschlag war: {base['reason']})"
    return RoutingProposal(
        office_code=office_code,
        case_id=case_id,
        case_reference=case_reference,
        assignee=assignee,
        candidate_group=None if assignee else office_code,
        process_key=base.get("process_key") or "letter-distribution",
        rule_id=MANUAL_RULE,
        confidence=1.0,
        reason=reason,
        needs_review=False,
    )


def send(
    app: App, actor: Actor, letter_id: int, correction: Correction | None = None
) -> SendResult:
    """File the letter as proposed, or where mailroom staff corrected it to, and start its
    distribution process (through :func:`ingest.pipeline.send_letter`)."""
    from ingest.pipeline import register_email_invoices, send_letter

    require_mailroom(actor)
    with app.unit(actor) as ctx:
        letter = _letter(ctx, letter_id)
        if letter.status != "review":
            raise Conflict(
                f"{letter.register_number} ist nicht mehr in Prüfung ({letter.status})"
                " / the letter is not waiting for review"
            )
        override = _override(ctx, letter, correction) if correction else None
        before = dict(letter.routing or {})
    send_letter(app, letter_id, operator=actor.username, override=override)
    with tempfile.TemporaryDirectory(prefix="dms-send-") as tmp:
        register_email_invoices(app, letter_id, Path(tmp))  # an e-mail's e-invoices
    with app.unit(actor) as ctx:
        letter = _letter(ctx, letter_id)
        routing = letter.routing or {}
        audit.record(
            ctx,
            "intake.review.send",
            "intake_letter",
            letter.id,
            before={
                "office": before.get("office_code"),
                "case": before.get("case_reference"),
                "assignee": before.get("assignee"),
            },
            after={
                "register_number": letter.register_number,
                "office": routing.get("office_code"),
                "case": routing.get("case_reference"),
                "assignee": routing.get("assignee"),
                "document": letter.document_id,
                "corrected": override is not None,
            },
        )
        case_reference = routing.get("case_reference")
        if letter.case_id is not None and case_reference is None:
            from dms.models import Case

            case = ctx.db.get(Case, letter.case_id)
            case_reference = case.reference if case else None
        return SendResult(
            letter_id=letter.id,
            register_number=letter.register_number,
            status=letter.status,
            document_id=letter.document_id,
            case_id=letter.case_id,
            case_reference=case_reference,
            office_code=routing.get("office_code"),
            assignee=routing.get("assignee"),
            reason=routing.get("reason"),
            corrected=override is not None,
        )


# --- rebuilding letters from the original scan --------------------------------------------


@dataclass
class _Page:
    """One page of a letter as it will be rebuilt."""

    index: int
    rotation: int = 0  # counter-clockwise turn of the original page
    skew: float | None = None  # None: not recorded (prepare it as the pipeline does)
    ocr: dict[str, Any] | None = None
    turn_by: int = 0  # clockwise degrees staff asked for (applied after the recorded turn)

    @property
    def needs_ocr(self) -> bool:
        return bool(self.turn_by) or self.skew is None or self.ocr is None


def _pages(letter: IntakeLetter) -> list[_Page]:
    state = letter.pages or {}
    indexes = list(state.get("indexes", []))
    rotations, skews, ocrs = state.get("rotations"), state.get("skews"), state.get("ocr")
    if not all(isinstance(x, list) and len(x) == len(indexes) for x in (rotations, skews, ocrs)):
        return [_Page(index) for index in indexes]
    return [
        _Page(int(i), int(r) % 360, float(s), o)
        for i, r, s, o in zip(indexes, rotations, skews, ocrs, strict=True)  # type: ignore[arg-type]
    ]


def _state(pages: list[_Page], routing_code: str | None) -> dict[str, Any]:
    return {
        "indexes": [p.index for p in pages],
        "rotations": [p.rotation for p in pages],
        "skews": [p.skew if p.skew is not None else 0.0 for p in pages],
        "ocr": [p.ocr for p in pages],
        "routing_code": routing_code,
    }


def _prepare(engine_of: Any, raw: Any, page: _Page) -> Any:
    """The page image the letter shows (turned, straightened) with its OCR; updates ``page``."""
    from ingest.pages import (
        PageSettings,
        deskew,
        drop_colour_if_grey,
        process_page,
        rotate_small,
        turn,
    )

    settings = PageSettings()
    image = drop_colour_if_grey(raw)
    ocr = None
    if page.skew is None:  # not recorded: prepare it as the pipeline does (orientation too)
        prepared = process_page(
            engine_of(), image, replace(settings, drop_blank=False, detect_separators=False)
        )
        page.rotation, page.skew, ocr = prepared.rotated % 360, prepared.skew, prepared.ocr
        page.ocr = ocr_to_json(ocr)
        straight = prepared.image
    if page.turn_by:
        page.rotation = (page.rotation - page.turn_by) % 360
        page.turn_by = 0
        straight, page.skew = deskew(turn(image, page.rotation), settings.max_skew)
        ocr = engine_of().recognize(straight, settings.lang)
        page.ocr = ocr_to_json(ocr)
    elif ocr is None:
        turned = turn(image, page.rotation)
        straight = rotate_small(turned, page.skew) if page.skew else turned
        ocr = ocr_from_json(page.ocr)
        if ocr is None:
            ocr = engine_of().recognize(straight, settings.lang)
            page.ocr = ocr_to_json(ocr)
    return straight, ocr


@dataclass
class _Built:
    pdf_sha256: str
    text: str
    mean_confidence: float | None
    ocr_pages: int


def _render_letters(
    app: App,
    scan_sha256: str,
    plans: list[tuple[str, list[_Page]]],
    workdir: Path,
    received_on: date | None = None,
) -> list[_Built]:
    """Build each planned letter's PDF/A from the original scan and store it."""
    from PIL import Image

    from ingest.ocr import make_engine, require_languages
    from ingest.pages import PageSettings, load_pages
    from ingest.pdfa import PdfaMetadata, ReceiptStamp, write_pdfa

    wanted = {page.index: page for _, pages in plans for page in pages}
    original = workdir / "original"
    with app.store.open(scan_sha256) as stream, original.open("wb") as out:
        shutil.copyfileobj(stream, out, 1024 * 1024)
    engines: list[Any] = []

    def engine_of() -> Any:
        if not engines:
            require_languages(PageSettings().lang)
            engines.append(make_engine())
        return engines[0]

    prepared: dict[int, tuple[Path, Any]] = {}
    read_before = {i for i, p in wanted.items() if p.needs_ocr}
    try:
        last = max(wanted)
        with contextlib.closing(load_pages(original)) as raw_pages:
            for index, raw in enumerate(raw_pages):
                if index > last:
                    break
                page = wanted.get(index)
                if page is None:
                    continue
                image, ocr = _prepare(engine_of, raw, page)
                path = workdir / f"page-{index:05d}.png"
                image.save(path, "PNG", compress_level=1)
                prepared[index] = (path, ocr)
    finally:
        for engine in engines:
            engine.close()
    missing = set(wanted) - set(prepared)
    if missing:
        raise InvalidInput(
            f"Seiten {sorted(i + 1 for i in missing)} fehlen im Original-Scan"
            " / pages missing from the original scan"
        )

    built = []
    for number, (title, pages) in enumerate(plans):

        def stream(pages: list[_Page] = pages) -> Iterator[tuple[Any, Any]]:
            for page in pages:
                path, ocr = prepared[page.index]
                with Image.open(path) as image:
                    image.load()
                    yield image, ocr

        pdf_path = workdir / f"letter-{number}.pdf"
        write_pdfa(
            stream(),
            pdf_path,
            PdfaMetadata(title=title, source=f"sha256:{scan_sha256}", author="Poststelle",
                         receipt=ReceiptStamp(received_on) if received_on else None),
        )
        with pdf_path.open("rb") as handle:
            blob = app.store.put(handle)
        ocrs = [prepared[p.index][1] for p in pages]
        confidences = [o.mean_confidence for o in ocrs if o is not None]
        built.append(
            _Built(
                pdf_sha256=blob.sha256,
                text="\f".join((o.text if o else "") for o in ocrs),
                mean_confidence=sum(confidences) / len(confidences) if confidences else None,
                ocr_pages=sum(1 for p in pages if p.index in read_before),
            )
        )
    return built


def _check_same_pages(before: list[list[int]], after: list[list[int]]) -> None:
    """Nothing lost, nothing doubled: the letters hold the same pages before and after."""
    old = sorted(i for pages in before for i in pages)
    new = sorted(i for pages in after for i in pages)
    if old != new:  # pragma: no cover - a bug, never the user's doing
        raise Conflict("Seitenbestand würde sich ändern / page set would change")


def _neighbour(ctx: Ctx, letter: IntakeLetter, direction: str) -> IntakeLetter:
    siblings = _letters_of(ctx, letter.batch_id)
    at = next(i for i, x in enumerate(siblings) if x.id == letter.id)
    other_at = at - 1 if direction == "previous" else at + 1
    word = "vorherige" if direction == "previous" else "nächste"
    if not 0 <= other_at < len(siblings):
        raise InvalidInput(f"Es gibt kein {word}s Schriftstück im Stapel / no {direction} letter")
    other = siblings[other_at]
    if other.status != "review":
        raise InvalidInput(
            f"Das {word} Schriftstück {other.register_number} ist bereits versandt"
            f" / the {direction} letter was already sent"
        )
    return other


def _position(pages: list[_Page], position: int) -> int:
    if not 1 <= position <= len(pages):
        raise InvalidInput(f"Seite {position} gibt es nicht (1–{len(pages)}) / no such page")
    return position - 1


@dataclass
class _Plan:
    """What an edit does: the letters' new page lists, decided in the first unit."""

    action: str
    detail: dict[str, Any]
    letters: list[tuple[int | None, list[_Page]]]  # (letter id or None: new), new pages
    snapshot: dict[int, str | None]  # letter id -> pdf sha256 when planned
    scan_sha256: str = ""
    batch_id: int = 0
    routing_code: str | None = None
    removed: int | None = None  # merged away
    split_after: int | None = None  # the new letter follows this one
    titles: list[str] = field(default_factory=list)
    received_on: date | None = None  # the batch's date of receipt, for the Eingangsstempel


def _plan_edit(ctx: Ctx, letter_id: int, action: str, **args: Any) -> _Plan:
    require_mailroom(ctx.actor)
    letter = _letter(ctx, letter_id)
    batch = _batch(ctx, letter.batch_id)
    why_not = _editable(letter, batch)
    if why_not:
        raise InvalidInput(f"{letter.register_number}: {why_not} / the letter cannot be changed")
    pages = _pages(letter)
    routing_code = (letter.pages or {}).get("routing_code")
    plan = _Plan(
        action, {}, [], {letter.id: letter.pdf_sha256}, batch.sha256, batch.id, routing_code,
        received_on=batch.received_on,
    )
    if action == "rotate":
        degrees = int(args["degrees"])
        if degrees not in (90, 180, 270):
            raise InvalidInput("Drehen nur um 90, 180 oder 270 Grad / rotate by 90, 180 or 270")
        at = _position(pages, int(args["page"]))
        pages[at].turn_by = degrees
        plan.detail = {"page": at + 1, "degrees": degrees}
        plan.letters = [(letter.id, pages)]
    elif action == "move":
        direction = str(args["direction"])
        if direction not in ("previous", "next"):
            raise InvalidInput("Richtung: previous oder next / direction: previous or next")
        at = _position(pages, int(args["page"]))
        if len(pages) == 1:
            raise InvalidInput(
                "Das Schriftstück hat nur diese eine Seite; bitte „Zusammenführen“ verwenden"
                " / the letter has only this page; merge instead"
            )
        other = _neighbour(ctx, letter, direction)
        other_pages = _pages(other)
        page = pages.pop(at)
        if direction == "previous":
            other_pages.append(page)
        else:
            other_pages.insert(0, page)
        plan.detail = {"page": at + 1, "direction": direction, "to": other.register_number}
        plan.letters = [(letter.id, pages), (other.id, other_pages)]
        plan.snapshot[other.id] = other.pdf_sha256
    elif action == "split":
        at = _position(pages, int(args["page"]))
        if at == 0:
            raise InvalidInput(
                "Teilen vor der ersten Seite ist nicht möglich; ab Seite 2 wählen"
                " / split at page 2 or later"
            )
        plan.detail = {"page": at + 1}
        plan.letters = [(letter.id, pages[:at]), (None, pages[at:])]
        plan.split_after = letter.id
    elif action == "merge":
        other = _neighbour(ctx, letter, "next")
        plan.detail = {"with": other.register_number}
        plan.letters = [(letter.id, pages + _pages(other))]
        plan.snapshot[other.id] = other.pdf_sha256
        plan.removed = other.id
    else:  # pragma: no cover
        raise InvalidInput(f"unbekannte Aktion {action}")
    plan.titles = [
        f"Posteingang {letter.register_number}"
        if lid == letter.id
        else f"Posteingang Stapel {batch.id}"
        for lid, _ in plan.letters
    ]
    return plan


def _edit(app: App, actor: Actor, letter_id: int, action: str, **args: Any) -> EditResult:
    require_mailroom(actor)
    with app.unit(actor) as ctx:
        plan = _plan_edit(ctx, letter_id, action, **args)
        before = [[p.index for p in _pages(_letter(ctx, lid))] for lid in plan.snapshot]
    _check_same_pages(before, [[p.index for p in pages] for _, pages in plan.letters])
    workdir = Path(tempfile.mkdtemp(prefix="dms-review-"))
    try:
        built = _render_letters(
            app,
            plan.scan_sha256,
            [(title, pages) for title, (_, pages) in zip(plan.titles, plan.letters, strict=True)],
            workdir,
            plan.received_on,
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return _apply(app, actor, plan, built)


def _apply(app: App, actor: Actor, plan: _Plan, built: list[_Built]) -> EditResult:
    """Write the rebuilt letters, if nobody changed them meanwhile."""
    with app.unit(actor) as ctx:
        rows: dict[int, IntakeLetter] = {}
        for lid, sha in plan.snapshot.items():
            row = ctx.db.scalar(
                select(IntakeLetter).where(IntakeLetter.id == lid).with_for_update()
            )
            if row is None or row.pdf_sha256 != sha or row.status != "review":
                raise Conflict(
                    "Das Schriftstück wurde inzwischen geändert oder versandt; bitte neu laden"
                    " / the letter changed meanwhile; reload"
                )
            rows[lid] = row
        batch = _batch(ctx, plan.batch_id, lock=True)
        now = utcnow().isoformat()
        edit = {"action": plan.action, "by": actor.username, "at": now, **plan.detail}
        lookup_ctx = _system_ctx(ctx)
        changed: list[int] = []
        first = rows[plan.letters[0][0]]  # type: ignore[index]
        targets = [
            rows[lid] if lid is not None else _new_letter(ctx, batch, first)
            for lid, _ in plan.letters
        ]
        for row, (_, pages), result in zip(targets, plan.letters, built, strict=True):
            proposal = propose_routing(lookup_ctx, result.text, plan.routing_code)
            row.pages = _state(pages, plan.routing_code)
            row.pdf_sha256 = result.pdf_sha256
            row.text = result.text[:2_000_000]
            row.ocr_confidence = result.mean_confidence
            row.extraction = proposal.extraction
            row.routing = proposal.as_dict()
            row.needs_review = True
            note = dict(row.transfer_note or {})
            note.update(
                pages=len(pages),
                pdf_sha256=result.pdf_sha256,
                ocr={
                    **(note.get("ocr") or {}),
                    "method": "ocr",
                    "mean_confidence": result.mean_confidence,
                },
                edits=[*(note.get("edits") or []), edit],
            )
            row.transfer_note = note
            changed.append(row.id)
        if plan.removed is not None:
            gone = rows[plan.removed]
            gone.status = MERGED
            gone.reason = f"zusammengeführt mit {first.register_number}"
            gone.pages = {"indexes": [], "merged_into": first.id}
            gone.pdf_sha256 = None
            gone.needs_review = False
            audit.record(
                ctx,
                "intake.review.merged",
                "intake_letter",
                gone.id,
                after={"into": first.register_number},
            )
        _renumber(ctx, batch.id)
        batch.letter_count = len(_letters_of(ctx, batch.id))
        audit.record(
            ctx,
            f"intake.review.{plan.action}",
            "intake_letter",
            first.id,
            after={
                "register_number": first.register_number,
                **plan.detail,
                "letters": changed,
                "ocr_pages": sum(b.ocr_pages for b in built),
            },
        )
        return EditResult(
            plan.action, tuple(changed), plan.removed, sum(b.ocr_pages for b in built)
        )


def _new_letter(ctx: Ctx, batch: IntakeBatch, origin: IntakeLetter) -> IntakeLetter:
    """A letter split off ``origin``: its own register number, right after it."""
    year = batch.received_on.year
    number = next_number(ctx.db, f"register:{year}")
    for later in _letters_of(ctx, batch.id, active_only=False):
        if later.seq > origin.seq:
            later.seq += 1
    note = dict(origin.transfer_note or {})
    note["split_from"] = origin.register_number
    letter = IntakeLetter(
        batch_id=batch.id,
        seq=origin.seq + 1,
        register_number=f"PE-{year}-{number:06d}",
        pages={"indexes": []},
        status="review",
        transfer_note=note,
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
            "batch": batch.id,
            "split_from": origin.register_number,
        },
    )
    return letter


def _renumber(ctx: Ctx, batch_id: int) -> None:
    ctx.db.flush()
    for seq, letter in enumerate(_letters_of(ctx, batch_id, active_only=False), start=1):
        if letter.seq != seq:
            letter.seq = seq


def rotate_page(app: App, actor: Actor, letter_id: int, page: int, degrees: int) -> EditResult:
    """Turn page ``page`` (1-based) clockwise by 90, 180 or 270 degrees and read it again."""
    return _edit(app, actor, letter_id, "rotate", page=page, degrees=degrees)


def move_page(app: App, actor: Actor, letter_id: int, page: int, direction: str) -> EditResult:
    """Move page ``page`` to the end of the previous or the start of the next letter."""
    return _edit(app, actor, letter_id, "move", page=page, direction=direction)


def split_letter(app: App, actor: Actor, letter_id: int, page: int) -> EditResult:
    """Pages ``page``.. become a new letter (with its own register number) after this one."""
    return _edit(app, actor, letter_id, "split", page=page)


def merge_with_next(app: App, actor: Actor, letter_id: int) -> EditResult:
    """The next letter's pages are appended to this one; its register entry is kept, marked
    as merged."""
    return _edit(app, actor, letter_id, "merge")


# --- quality check (TR-RESISCAN) -----------------------------------------------------------


def _share(ctx: Ctx) -> float:
    value = getattr(ctx.app.settings, "quality_sample_share", None)
    share = float(value) if value is not None else QUALITY_SAMPLE_SHARE
    return min(1.0, max(0.0, share))


def _content_pages(ctx: Ctx, batch_id: int) -> list[tuple[int, IntakeLetter, int]]:
    """(batch page index, letter, 1-based position) of every page in a letter."""
    found = []
    for letter in _letters_of(ctx, batch_id):
        for position, index in enumerate((letter.pages or {}).get("indexes", []), start=1):
            found.append((int(index), letter, position))
    return sorted(found, key=lambda x: x[0])


def _sample(batch: IntakeBatch, indexes: list[int], share: float) -> list[int]:
    """A reproducible random sample: the same batch always shows the same pages."""
    if not indexes:
        return []
    size = min(len(indexes), max(1, math.ceil(share * len(indexes))))
    return sorted(random.Random(f"{batch.id}:{batch.sha256}").sample(indexes, size))


def quality_check(ctx: Ctx, batch_id: int) -> QualityView:
    """The pages sampled for a second look, with what was recorded for them so far."""
    require_mailroom(ctx.actor)
    batch = _batch(ctx, batch_id)
    if batch.status != "done":
        raise InvalidInput(
            "Die Qualitätskontrolle ist erst nach der Verarbeitung des Stapels möglich"
            " / the batch is not processed yet"
        )
    pages = _content_pages(ctx, batch.id)
    where = {index: (letter, position) for index, letter, position in pages}
    recorded = batch.quality or {}
    share = float(recorded.get("share", _share(ctx)))
    sample = recorded.get("sample") or _sample(batch, list(where), share)
    marks = {int(r["index"]): r for r in recorded.get("results", [])}
    view = []
    for index in sample:
        if index not in where:
            continue
        letter, position = where[index]
        mark = marks.get(index, {})
        view.append(
            QualityPage(
                index=index,
                letter_id=letter.id,
                register_number=letter.register_number,
                position=position,
                pdf_sha256=letter.pdf_sha256,
                ok=mark.get("ok"),
                remark=mark.get("remark") or "",
            )
        )
    return QualityView(
        batch=_view_of(ctx, batch),
        share=share,
        pages_total=len(pages),
        sample=tuple(view),
        result=recorded.get("result"),
        checked_by=recorded.get("checked_by"),
        checked_at=recorded.get("checked_at"),
    )


def record_quality(ctx: Ctx, batch_id: int, marks: dict[int, tuple[bool, str]]) -> QualityView:
    """Record OK / not OK (with a remark) for every sampled page; the result goes into the
    batch and into the transfer note of each of its letters (and of their filed documents)."""
    view = quality_check(ctx, batch_id)
    batch = _batch(ctx, batch_id, lock=True)
    sampled = {p.index for p in view.sample}
    unknown = set(marks) - sampled
    if unknown:
        raise InvalidInput(
            f"Seiten {sorted(i + 1 for i in unknown)} gehören nicht zur Stichprobe"
            " / pages not in the sample"
        )
    missing = sampled - set(marks)
    if missing:
        raise InvalidInput(
            f"Bitte jede Seite der Stichprobe bewerten (fehlt: {len(missing)})"
            " / mark every sampled page"
        )
    for index, (ok, remark) in marks.items():
        if not ok and not remark.strip():
            raise InvalidInput(
                f"Seite {index + 1}: bei „nicht in Ordnung“ bitte eine Bemerkung angeben"
                " / a remark is required for a page that is not OK"
            )
    results = []
    for page in view.sample:
        ok, remark = marks[page.index]
        results.append(
            {
                "index": page.index,
                "letter": page.register_number,
                "position": page.position,
                "ok": bool(ok),
                "remark": remark.strip()[:500],
            }
        )
    failed = [r for r in results if not r["ok"]]
    now = utcnow().isoformat()
    quality = {
        "share": view.share,
        "pages_total": view.pages_total,
        "sample": [p.index for p in view.sample],
        "results": results,
        "result": "failed" if failed else "passed",
        "checked_by": ctx.actor.username,
        "checked_at": now,
    }
    before = batch.quality
    batch.quality = quality
    summary = {
        "verfahren": "Stichprobe (TR-RESISCAN), zweite Sichtprüfung",
        "share": view.share,
        "pages_checked": len(results),
        "pages_total": view.pages_total,
        "not_ok": len(failed),
        "result": quality["result"],
        "checked_by": ctx.actor.username,
        "checked_at": now,
    }
    for letter in _letters_of(ctx, batch.id):
        note = dict(letter.transfer_note or {})
        note["quality_control"] = {
            **summary,
            "pages": [r for r in results if r["letter"] == letter.register_number],
        }
        letter.transfer_note = note
        if letter.document_id is not None:
            document = ctx.db.get(Document, letter.document_id)
            if document is not None:
                attributes = dict(document.attributes or {})
                attributes["transfer_note"] = note
                document.attributes = attributes
    audit.record(
        ctx,
        "intake.quality",
        "intake_batch",
        batch.id,
        before={"result": (before or {}).get("result")},
        after={"result": quality["result"], "pages": len(results), "not_ok": len(failed)},
    )
    ctx.db.flush()
    return quality_check(ctx, batch_id)


# --- uploads and the quarantine ------------------------------------------------------------


def _count_pages(path: Path, mime: str) -> int | None:
    """Pages in a scan file, cheaply (None when it cannot tell, e.g. a damaged file)."""
    try:
        if mime == "application/pdf":
            from dms.content.pdf import inspect_pdf

            return inspect_pdf(path).page_count
        if mime in ("image/tiff", "image/png", "image/jpeg"):
            from PIL import Image

            with Image.open(path) as image:
                return int(getattr(image, "n_frames", 1))
    except Exception:  # noqa: BLE001 - anything unreadable goes through the pipeline's checks
        return None
    return None


def _today(app: App) -> date:
    return utcnow().astimezone(app.settings.tz).date()


def upload(
    app: App,
    actor: Actor,
    path: Path,
    filename: str,
    *,
    received_on: date | None = None,
    device: str | None = None,
) -> UploadResult:
    """Take in a scan uploaded through the web (stored and committed first); a small batch is
    processed at once, a large one by the worker."""
    from dms.content.sniff import sniff
    from ingest.pipeline import process_batch, receive

    require_mailroom(actor)
    today = _today(app)
    received_on = received_on or today
    if received_on > today:
        raise InvalidInput(
            "Das Eingangsdatum darf nicht in der Zukunft liegen / date of receipt in the future"
        )
    with path.open("rb") as handle:
        mime = sniff(handle.read(8192), filename)
    batch_id = receive(
        app,
        path,
        source="upload",
        operator=actor.username,
        device=device or "Web-Upload",
        received_on=received_on,
        filename=filename,
    )
    pages = _count_pages(path, mime)
    inline = pages is None or pages <= INLINE_MAX_PAGES
    if inline:
        result = process_batch(app, batch_id)
        return UploadResult(batch_id, result.status, True, len(result.letters), result.reason)
    return UploadResult(batch_id, "received", False, 0, None)


def retry_batch(app: App, actor: Actor, batch_id: int) -> UploadResult:
    """Run a quarantined batch through the pipeline again (after a fix, e.g. Tesseract's
    German model installed); small ones at once, large ones by the worker."""
    from ingest.pipeline import process_batch

    require_mailroom(actor)
    with app.unit(actor) as ctx:
        batch = _batch(ctx, batch_id, lock=True)
        if batch.status != "quarantined":
            raise Conflict(
                f"Stapel {batch.id} ist nicht in Quarantäne ({batch.status})"
                " / the batch is not quarantined"
            )
        previous = batch.reason
        batch.status, batch.reason = "received", None
        audit.record(
            ctx,
            "intake.retry",
            "intake_batch",
            batch.id,
            before={"status": "quarantined", "reason": previous},
            after={"status": "received"},
        )
        pages, size = batch.page_count, batch.size
    if pages is None and size > 50 * 1024 * 1024:
        return UploadResult(batch_id, "received", False, 0, None)
    if pages is not None and pages > INLINE_MAX_PAGES:
        return UploadResult(batch_id, "received", False, 0, None)
    result = process_batch(app, batch_id)
    return UploadResult(batch_id, result.status, True, len(result.letters), result.reason)


def discard_batch(ctx: Ctx, batch_id: int, remark: str = "") -> BatchView:
    """Give up on a quarantined batch: it leaves the quarantine list, but its original stays
    stored and referenced by the batch (nothing lost; `dms fsck` keeps it)."""
    require_mailroom(ctx.actor)
    batch = _batch(ctx, batch_id, lock=True)
    if batch.status != "quarantined":
        raise Conflict(
            f"Nur Stapel in Quarantäne können verworfen werden ({batch.status})"
            " / only quarantined batches can be discarded"
        )
    reason = batch.reason
    batch.status = DISCARDED
    remark = remark.strip()[:500]
    batch.reason = (
        f"verworfen von {ctx.actor.username}"
        + (f": {remark}" if remark else "")
        + (f" (Grund der Quarantäne: {reason})" if reason else "")
    )
    audit.record(
        ctx,
        "intake.discard",
        "intake_batch",
        batch.id,
        before={"status": "quarantined", "reason": reason},
        after={"status": DISCARDED, "remark": remark, "sha256": batch.sha256},
    )
    return _view_of(ctx, batch)


def queue_counts(ctx: Ctx) -> dict[str, int]:
    """For the header of the screen: letters to review, batches in work, in quarantine."""
    require_mailroom(ctx.actor)
    review = ctx.db.scalar(
        select(func.count()).select_from(IntakeLetter).where(IntakeLetter.status == "review")
    )
    by_status = dict(
        ctx.db.execute(select(IntakeBatch.status, func.count()).group_by(IntakeBatch.status)).all()
    )
    return {
        "review": int(review or 0),
        "in_progress": int(by_status.get("received", 0) + by_status.get("processing", 0)),
        "quarantined": int(by_status.get("quarantined", 0)),
    }
