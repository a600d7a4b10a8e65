"""REST API of the mailroom under /api/v1/intake: upload a scan, follow batches, review
letters (pages, OCR text, extracted fields with evidence, proposed routing), correct and send
them, fix pages (rotate, move, split, merge), the quality check and the quarantine.

Thin routes over :mod:`ingest.review`, which checks that the caller is mailroom staff or an
administrator (everyone else gets 403 before anything is looked up, so they learn nothing)
and writes the audit trail. Slow calls (OCR, rebuilding a letter, sending) authenticate in a
short unit and do their work after it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request, UploadFile
from fastapi import File as FormFile
from pydantic import BaseModel, ConfigDict, Field

from dms.services.context import Actor
from dms.web.api import _CONFLICT, _ERRORS, Offset
from dms.web.auth import dms_app, request_unit
from dms.web.transfer import spooled_upload
from ingest import review

router = APIRouter(prefix="/api/v1/intake", responses=_ERRORS)

INTAKE = "Posteingang / Mailroom"
BatchStatus = Literal["received", "processing", "done", "quarantined", "discarded"]


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LetterSummaryOut(Out):
    """Ein Schriftstück im Überblick / a letter at a glance."""

    id: int
    batch_id: int
    seq: int
    register_number: str = Field(examples=["PE-2026-000042"])
    status: str = Field(description="review, filed, quarantined")
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


class BatchOut(Out):
    """Ein Stapel mit Fortschritt / a batch with its progress."""

    id: int
    source: str
    source_name: str
    device: str | None
    operator: str
    received_on: date
    captured_at: datetime
    updated_at: datetime
    status: str
    reason: str | None = Field(description="Warum in Quarantäne / why quarantined")
    mime_type: str
    size: int
    sha256: str
    page_count: int | None
    blank_pages: int | None
    letter_count: int
    pages_in_letters: int
    to_review: int
    filed: int
    quality: str | None = Field(description="passed, failed, or null (not checked)")


class BatchDetailOut(BatchOut):
    letters: list[LetterSummaryOut]


class PageOut(Out):
    position: int
    index: int = Field(description="0-based page of the original scan")
    rotation: int
    confidence: float | None
    text: str


class FieldOut(Out):
    name: str
    label: str
    value: str
    confidence: float
    evidence: list[str] = Field(description="Text, in dem der Wert gefunden wurde")
    pages: list[int | None]


class PreviewOut(Out):
    """Seiten eines Anhangs oder der lesbaren Ansicht einer E-Rechnung / pages of an
    attachment or of an e-invoice's readable view (for e-mail and e-invoice letters)."""

    number: int
    label: str
    sha256: str | None = Field(description="PDF, dessen Seiten gezeigt werden; leer: keine")
    pages: int
    note: str | None


class EmailOut(Out):
    """Die E-Mail als Text / the e-mail as text."""

    sender: str | None
    address: str | None
    to: str | None
    subject: str | None
    sent_at: str | None
    body: str


class LetterOut(Out):
    """Alles zur Prüfung eines Schriftstücks / everything to review one letter."""

    letter: LetterSummaryOut
    batch: BatchOut
    pdf_sha256: str | None
    pages: list[PageOut]
    text: str
    fields: list[FieldOut]
    routing: dict[str, Any]
    office_name: str | None
    transfer_note: dict[str, Any]
    editable: bool
    not_editable_because: str | None
    previous_in_batch: int | None
    next_in_batch: int | None
    previous_to_review: int | None
    next_to_review: int | None
    previews: list[PreviewOut] = Field(default_factory=list)
    email: EmailOut | None = None


class UploadOut(Out):
    batch_id: int
    status: str
    processed_inline: bool
    letters: int
    reason: str | None


class SendIn(In):
    """Leer: wie vorgeschlagen senden / empty: send as proposed."""

    office_code: str | None = Field(None, max_length=16, examples=["63"])
    case_reference: str | None = Field(None, max_length=100, examples=["600-0001/2026-01"])
    assignee: str | None = Field(None, max_length=64, examples=["mueller"])


class SendOut(Out):
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


class RotateIn(In):
    page: int = Field(ge=1, description="Seite im Schriftstück, ab 1")
    degrees: Literal[90, 180, 270] = Field(description="im Uhrzeigersinn / clockwise")


class MoveIn(In):
    page: int = Field(ge=1)
    direction: Literal["previous", "next"]


class SplitIn(In):
    page: int = Field(ge=2, description="erste Seite des neuen Schriftstücks")


class EditOut(Out):
    action: str
    letter_ids: list[int]
    removed_letter_id: int | None
    ocr_pages: int


class DiscardIn(In):
    remark: str = Field("", max_length=500)


class QualityMarkIn(In):
    index: int = Field(ge=0, description="0-based page of the original scan")
    ok: bool
    remark: str = Field("", max_length=500)


class QualityIn(In):
    pages: list[QualityMarkIn]


class QualityPageOut(Out):
    index: int
    letter_id: int
    register_number: str
    position: int
    ok: bool | None
    remark: str


class QualityOut(Out):
    batch_id: int
    share: float
    pages_total: int
    sample: list[QualityPageOut]
    result: str | None
    checked_by: str | None
    checked_at: str | None

    @classmethod
    def of(cls, view: review.QualityView) -> QualityOut:
        return cls(
            batch_id=view.batch.id,
            share=view.share,
            pages_total=view.pages_total,
            sample=[QualityPageOut.model_validate(p) for p in view.sample],
            result=view.result,
            checked_by=view.checked_by,
            checked_at=view.checked_at,
        )


def _mailroom(request: Request) -> Actor:
    with request_unit(request) as ctx:
        review.require_mailroom(ctx.actor)
        return ctx.actor


Limit = Annotated[int, Query(ge=1, le=500)]


# --- batches -------------------------------------------------------------------------------


@router.post(
    "/batches",
    tags=[INTAKE],
    status_code=201,
    summary="Scan hochladen / upload a scan (small batches are processed at once)",
)
def upload_scan(
    request: Request,
    file: Annotated[UploadFile, FormFile(description="PDF, TIFF, JPEG oder PNG")],
    received_on: Annotated[date | None, Form(description="Eingangsdatum (Standard: heute)")] = None,
    device: Annotated[str | None, Form(max_length=100)] = None,
) -> UploadOut:
    actor = _mailroom(request)
    with spooled_upload(file) as (source, filename):
        result = review.upload(
            dms_app(request), actor, source, filename, received_on=received_on, device=device
        )
    return UploadOut.model_validate(result)


@router.get("/batches", tags=[INTAKE], summary="Stapel mit Fortschritt / batches")
def list_batches(
    request: Request,
    status: BatchStatus | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[BatchOut]:
    with request_unit(request) as ctx:
        rows = review.list_batches(
            ctx, statuses=(status,) if status else None, limit=limit, offset=offset
        )
        return [BatchOut.model_validate(b) for b in rows]


@router.get("/batches/{batch_id}", tags=[INTAKE], summary="Ein Stapel / one batch")
def get_batch(request: Request, batch_id: int) -> BatchDetailOut:
    with request_unit(request) as ctx:
        return BatchDetailOut.model_validate(review.get_batch(ctx, batch_id))


@router.post(
    "/batches/{batch_id}/retry",
    tags=[INTAKE],
    summary="Stapel aus der Quarantäne erneut verarbeiten / retry a quarantined batch",
    responses=_CONFLICT,
)
def retry_batch(request: Request, batch_id: int) -> UploadOut:
    actor = _mailroom(request)
    return UploadOut.model_validate(review.retry_batch(dms_app(request), actor, batch_id))


@router.post(
    "/batches/{batch_id}/discard",
    tags=[INTAKE],
    summary="Stapel verwerfen; das Original bleibt gespeichert / discard (original kept)",
    responses=_CONFLICT,
)
def discard_batch(request: Request, batch_id: int, body: DiscardIn | None = None) -> BatchOut:
    with request_unit(request) as ctx:
        view = review.discard_batch(ctx, batch_id, (body or DiscardIn()).remark)
        return BatchOut.model_validate(view)


@router.get(
    "/batches/{batch_id}/quality",
    tags=[INTAKE],
    summary="Stichprobe der Qualitätskontrolle / the quality-check sample",
)
def quality(request: Request, batch_id: int) -> QualityOut:
    with request_unit(request) as ctx:
        return QualityOut.of(review.quality_check(ctx, batch_id))


@router.post(
    "/batches/{batch_id}/quality",
    tags=[INTAKE],
    summary="Ergebnis der Qualitätskontrolle / record the quality check",
)
def record_quality(request: Request, batch_id: int, body: QualityIn) -> QualityOut:
    with request_unit(request) as ctx:
        marks = {p.index: (p.ok, p.remark) for p in body.pages}
        return QualityOut.of(review.record_quality(ctx, batch_id, marks))


@router.get("/quarantine", tags=[INTAKE], summary="Stapel in Quarantäne / quarantined batches")
def quarantine(request: Request) -> list[BatchOut]:
    with request_unit(request) as ctx:
        return [BatchOut.model_validate(b) for b in review.list_quarantine(ctx)]


# --- letters -------------------------------------------------------------------------------


@router.get("/letters", tags=[INTAKE], summary="Zu prüfende Schriftstücke / the review queue")
def review_queue(
    request: Request, limit: Limit = 200, offset: Offset = 0
) -> list[LetterSummaryOut]:
    with request_unit(request) as ctx:
        rows = review.list_review(ctx, limit=limit, offset=offset)
        return [LetterSummaryOut.model_validate(x) for x in rows]


@router.get("/letters/{letter_id}", tags=[INTAKE], summary="Ein Schriftstück / one letter")
def get_letter(request: Request, letter_id: int) -> LetterOut:
    with request_unit(request) as ctx:
        return LetterOut.model_validate(review.letter_detail(ctx, letter_id))


@router.post(
    "/letters/{letter_id}/send",
    tags=[INTAKE],
    summary="Senden, wie vorgeschlagen oder korrigiert / send (optionally corrected)",
    responses=_CONFLICT,
)
def send_letter(request: Request, letter_id: int, body: SendIn | None = None) -> SendOut:
    actor = _mailroom(request)
    correction = None
    if body is not None:
        correction = review.Correction(body.office_code, body.case_reference, body.assignee)
        correction = None if correction.empty else correction
    return SendOut.model_validate(review.send(dms_app(request), actor, letter_id, correction))


@router.post(
    "/letters/{letter_id}/rotate",
    tags=[INTAKE],
    summary="Seite drehen und neu erkennen / rotate a page",
    responses=_CONFLICT,
)
def rotate(request: Request, letter_id: int, body: RotateIn) -> EditOut:
    actor = _mailroom(request)
    result = review.rotate_page(dms_app(request), actor, letter_id, body.page, body.degrees)
    return EditOut.model_validate(result)


@router.post(
    "/letters/{letter_id}/move",
    tags=[INTAKE],
    summary="Seite zum vorherigen/nächsten Schriftstück / move a page",
    responses=_CONFLICT,
)
def move(request: Request, letter_id: int, body: MoveIn) -> EditOut:
    actor = _mailroom(request)
    result = review.move_page(dms_app(request), actor, letter_id, body.page, body.direction)
    return EditOut.model_validate(result)


@router.post(
    "/letters/{letter_id}/split",
    tags=[INTAKE],
    summary="Schriftstück ab einer Seite teilen / split a letter",
    responses=_CONFLICT,
)
def split(request: Request, letter_id: int, body: SplitIn) -> EditOut:
    actor = _mailroom(request)
    return EditOut.model_validate(
        review.split_letter(dms_app(request), actor, letter_id, body.page)
    )


@router.post(
    "/letters/{letter_id}/merge",
    tags=[INTAKE],
    summary="Mit dem nächsten Schriftstück zusammenführen / merge with the next letter",
    responses=_CONFLICT,
)
def merge(request: Request, letter_id: int) -> EditOut:
    actor = _mailroom(request)
    return EditOut.model_validate(review.merge_with_next(dms_app(request), actor, letter_id))
