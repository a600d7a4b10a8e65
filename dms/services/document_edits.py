"""Correcting a document after it was filed: its metadata (title, type, date, sender) and its
place (moving a misfiled letter to the case it belongs to, Umprotokollieren).

The versions (the content) never change here: what was received or signed stays as it was.
What changes is how the document is described and where it lies, and each change is an audit
event with before and after. A move needs write access to both cases and a reason, since it
takes the document out of one file's record and into another's; running processes about the
document follow it (see hooks.after_document_moved), and its search entry moves with it at
once, so that permission filters on the file stay right.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from dms.errors import InvalidInput
from dms.models import Case, Document, SearchText
from dms.services import audit, hooks, text_queue
from dms.services.context import Ctx
from dms.services.documents import (
    DOCUMENT_TYPE_LABELS,
    _document_type,
    _visible_document,
    latest_version,
)
from dms.services.files import writable_case

TITLE_MAX = 300
SENDER_MAX = 300
REASON_MAX = 500


@dataclass(frozen=True)
class MetadataChange:
    """The fields to change; None leaves a field as it is. An empty sender clears it."""

    title: str | None = None
    doc_type: str | None = None
    document_date: date | None = None
    sender: str | None = None


def _state(document: Document) -> dict[str, Any]:
    return {
        "title": document.title,
        "doc_type": document.doc_type,
        "document_date": document.document_date.isoformat() if document.document_date else None,
        "sender": document.sender,
    }


def _clean(value: str, label: str, limit: int) -> str:
    text = " ".join(value.split())
    if len(text) > limit:
        raise InvalidInput(f"{label} ist zu lang (höchstens {limit} Zeichen) / {label} too long")
    return text


def update_metadata(ctx: Ctx, document_id: int, change: MetadataChange) -> Document:
    """Change title, type, date or sender of a document in a case one may write to."""
    document = _visible_document(ctx, document_id)
    writable_case(ctx, document.case_id)
    before = _state(document)
    if change.title is not None:
        title = _clean(change.title, "Titel", TITLE_MAX)
        if not title:
            raise InvalidInput("Der Titel darf nicht leer sein / title must not be empty")
        document.title = title
    if change.doc_type is not None:
        document.doc_type = _document_type(change.doc_type)
    if change.document_date is not None:
        document.document_date = change.document_date
    if change.sender is not None:
        document.sender = _clean(change.sender, "Absender", SENDER_MAX) or None
    after = _state(document)
    changed = {k: v for k, v in after.items() if before[k] != v}
    if not changed:
        return document
    ctx.db.flush()
    audit.record(ctx, "document.update", "document", document.id,
                 before={k: before[k] for k in changed}, after=changed)
    _reindex_metadata(ctx, document)
    return document


def move_document(ctx: Ctx, document_id: int, *, case_id: int, reason: str) -> Document:
    """Move a document, with all its versions, into another case (Umprotokollierung)."""
    document = _visible_document(ctx, document_id)
    source = writable_case(ctx, document.case_id)
    target = writable_case(ctx, case_id)
    why = _clean(reason or "", "Grund", REASON_MAX)
    if not why:
        raise InvalidInput("Bitte den Grund der Umprotokollierung angeben / a reason is required")
    if target.id == source.id:
        raise InvalidInput(f"Das Dokument liegt bereits in {source.reference} / the document is "
                           "already in that case")
    document.case_id, document.case = target.id, target
    ctx.db.flush()
    hooks.document_moved(ctx, document, source, target)
    before = {"case": source.reference, "file": source.file.reference}
    after = {"case": target.reference, "file": target.file.reference, "reason": why}
    audit.record(ctx, "document.move", "document", document.id, before=before, after=after)
    audit.record(ctx, "case.document_out", "case", source.id,
                 after={"document": document.id, "to": target.reference, "reason": why})
    audit.record(ctx, "case.document_in", "case", target.id,
                 after={"document": document.id, "from": source.reference, "reason": why})
    _reindex_metadata(ctx, document)
    return document


def _reindex_metadata(ctx: Ctx, document: Document) -> None:
    """Rewrite the search entry's title, metadata and file now, keeping the text already read
    (a text still queued is read later, with the new metadata)."""
    version = latest_version(ctx, document.id)
    if version is None:
        return
    body = ctx.db.scalar(select(SearchText.body).where(SearchText.document_id == document.id))
    if body is None:  # never indexed (an old installation): queue the whole entry
        case: Case = document.case
        text_queue.queue(ctx, document_id=document.id, version_id=version.id,
                         file_id=case.file_id, new=True)
        text_queue.index_after_commit(ctx, document.id)
        return
    text_queue.write_entry(ctx, document, body, version.filename)


def document_type_choices() -> list[tuple[str, str]]:
    """(value, German label) for forms."""
    return list(DOCUMENT_TYPE_LABELS.items())
