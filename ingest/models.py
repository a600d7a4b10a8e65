"""Mailroom state: scan batches (Stapel), the letters found in them, and the incoming-mail
register (Posteingangsbuch). Every stage writes its result here, so a restart resumes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dms.models.base import Base, utcnow

BATCH_STATES = ("received", "processing", "done", "quarantined", "discarded")
LETTER_STATES = ("review", "filed", "quarantined", "merged")


class IntakeBatch(Base):
    """One captured file (a scanner's multi-page PDF/TIFF, an upload, an e-mail)."""

    __tablename__ = "ingest_batches"
    __table_args__ = (Index("ix_ingest_batches_status", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(16))  # hotfolder | upload | cli | email
    source_name: Mapped[str] = mapped_column(String(300))  # file name as delivered
    device: Mapped[str | None] = mapped_column(String(100))  # scanner / hot folder name
    operator: Mapped[str] = mapped_column(String(64))
    received_on: Mapped[date]  # Eingangsdatum: the day the paper arrived; deadlines run from it
    captured_at: Mapped[datetime] = mapped_column(default=utcnow)
    sha256: Mapped[str] = mapped_column(String(64), index=True)  # the original scan product
    size: Mapped[int]
    mime_type: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default="received")
    page_count: Mapped[int | None]
    blank_pages: Mapped[int | None]
    letter_count: Mapped[int | None]
    reason: Mapped[str | None] = mapped_column(Text)  # why quarantined, in words
    quality: Mapped[dict[str, Any] | None]  # sampled quality check (TR-RESISCAN)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class IntakeLetter(Base):
    """A letter split from a batch: its pages, OCR result, extracted fields and routing."""

    __tablename__ = "ingest_letters"
    __table_args__ = (Index("ix_ingest_letters_status", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("ingest_batches.id"), index=True)
    seq: Mapped[int]
    register_number: Mapped[str] = mapped_column(String(32), unique=True)
    pages: Mapped[dict[str, Any]]  # {"indexes": [...], "rotations": [...]} of the batch
    status: Mapped[str] = mapped_column(String(16), default="review")
    pdf_sha256: Mapped[str | None] = mapped_column(String(64), index=True)  # searchable PDF/A
    text: Mapped[str | None] = mapped_column(Text)
    ocr_confidence: Mapped[float | None]
    extraction: Mapped[dict[str, Any] | None]
    routing: Mapped[dict[str, Any] | None]
    needs_review: Mapped[bool] = mapped_column(default=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    instance_id: Mapped[int | None]
    transfer_note: Mapped[dict[str, Any] | None]  # Transfervermerk (TR-RESISCAN)
    reason: Mapped[str | None] = mapped_column(Text)
    filed_at: Mapped[datetime | None]
    filed_by: Mapped[str | None] = mapped_column(String(64))


from ingest.invoice_records import InvoiceRecord  # noqa: E402,F401 - registers the invoice register
from ingest.letter_blobs import LetterBlob  # noqa: E402,F401 - registers the letters' extra blobs
