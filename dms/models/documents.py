"""Documents (Dokumente) and their immutable, content-addressed versions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dms.models.base import Base, utcnow
from dms.models.fileplan import Case

DOCUMENT_TYPES = (
    "letter",
    "invoice",
    "application",
    "objection",
    "court",
    "advertising",
    "decision",
    "note",
    "email",
    "other",
)


class Document(Base):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    doc_type: Mapped[str] = mapped_column(String(32), default="other", index=True)
    document_date: Mapped[date | None] = mapped_column(index=True)
    sender: Mapped[str | None] = mapped_column(String(300))
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    case: Mapped[Case] = relationship(lazy="joined")


class Version(Base):
    """Immutable: the service layer only ever inserts rows here; a change is a new version."""

    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("document_id", "number", name="uq_versions_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    number: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int]
    mime_type: Mapped[str] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(255))
    page_count: Mapped[int | None]
    text_method: Mapped[str] = mapped_column(String(32), default="none")
    comment: Mapped[str | None] = mapped_column(String(1000))
    # set when this version is the one before it plus a signature or seal (an incremental
    # update of the same PDF): the number of that version. Co-signing treats such a version
    # as the signed draft, not as a change that needs co-signing again.
    signature_of: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class SearchText(Base):
    """Text of a document's current version plus its searchable metadata, per document.

    Both search backends read this table: SQLite mirrors it into an FTS5 table of stems,
    PostgreSQL keeps a generated tsvector column on it (created in the migration).

    It doubles as the queue of texts still to be read (the *pending text* marker): an import
    writes the row with ``pending_version_id`` set and empty texts in its own transaction;
    extraction and indexing happen afterwards (dms.services.text_queue), so a document that
    is stored is always either indexed or queued, never forgotten.

    ``file_id`` is the document's file (Akte), copied here so that a permission filter, which
    is a condition on files, needs no join through documents and cases (migration 0007).
    A document moved to another case (dms.services.document_edits) takes this copy along.
    """

    __tablename__ = "search_texts"

    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
    )
    title: Mapped[str] = mapped_column(Text, default="")
    meta: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    file_id: Mapped[int | None] = mapped_column(index=True)
    # The version whose text is still to be extracted and indexed; NULL once indexed.
    pending_version_id: Mapped[int | None] = mapped_column(index=True)


class Rendition(Base):
    """A copy derived from a version for reading and search (Lesefassung), never the record.

    A signed PDF must stay byte for byte as it was signed, so when its pages are only images
    (a signed scan), the OCR'd, searchable PDF/A made from them is kept here, beside the
    version: the search index reads its text (dms.services.text_queue), the document page
    offers it for viewing, while the version itself is what is downloaded and whose
    signatures are validated. ``dms fsck`` protects its blob by the ``sha256`` column.
    """

    __tablename__ = "renditions"
    __table_args__ = (
        UniqueConstraint("version_id", "kind", name="uq_renditions_version_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))  # see RENDITION_KINDS
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int]
    mime_type: Mapped[str] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(255))
    page_count: Mapped[int | None]
    text_method: Mapped[str] = mapped_column(String(32), default="ocr")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


#: searchable: the OCR'd PDF/A of a version without a usable text layer (Lesefassung (OCR))
RENDITION_KINDS = ("searchable",)
