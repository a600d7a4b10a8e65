"""Documents and versions: the one path by which bytes enter the e-file.

Order of work keeps "nothing is lost": check rights, read and vet the content, make the blob
durable in the object store, and only then insert the rows (document, version, search text,
audit event) in one transaction. A crash in between leaves at most an orphan blob, which
`dms fsck --repair` sweeps.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import func, select

from dms.content.extract import extract_text
from dms.content.names import safe_filename
from dms.content.sniff import sniff
from dms.errors import Conflict, InvalidInput, NotFound
from dms.models import DOCUMENT_TYPES, Case, Document, File, Version, utcnow
from dms.search import backend_for
from dms.services import audit, hooks
from dms.services.access import visible_files
from dms.services.context import Ctx
from dms.services.files import get_case, note_read, writable_case

DOCUMENT_TYPE_LABELS = {
    "letter": "Schreiben",
    "invoice": "Rechnung",
    "application": "Antrag",
    "objection": "Widerspruch",
    "court": "Gerichtspost",
    "advertising": "Werbung",
    "decision": "Bescheid",
    "note": "Vermerk",
    "email": "E-Mail",
    "other": "Sonstiges",
}


@dataclass(frozen=True)
class Content:
    """What we learned from the bytes before storing them."""

    filename: str
    mime_type: str
    size: int
    text: str
    text_method: str
    page_count: int | None


@dataclass
class AddResult:
    document: Document
    version: Version
    duplicates: list[Document] = field(default_factory=list)


def examine(ctx: Ctx, source: Path, filename: str) -> Content:
    """Vet and read a local file; raises a clear error instead of storing something unusable."""
    name = safe_filename(filename)
    size = source.stat().st_size
    if size == 0:
        raise InvalidInput(f"Datei {name!r} ist leer (0 Byte) / file is empty")
    if size > ctx.app.settings.max_upload_bytes:
        raise InvalidInput(
            f"Datei {name!r} ist größer als erlaubt ({ctx.app.settings.max_upload_bytes} Byte)"
            " / file exceeds the size limit"
        )
    with source.open("rb") as handle:
        head = handle.read(8192)
    mime = sniff(head, name)
    # For a PDF, extraction starts with inspect_pdf (page count; raises for broken or
    # encrypted PDFs), so it is not opened an extra time here.
    extracted = extract_text(source, mime, max_chars=ctx.app.settings.max_extract_chars)
    return Content(
        filename=name,
        mime_type=mime,
        size=size,
        text=extracted.text,
        text_method=extracted.method,
        page_count=extracted.pages,
    )


def _store(ctx: Ctx, source: Path) -> tuple[str, int]:
    with source.open("rb") as handle:
        blob = ctx.app.store.put(handle)
    return blob.sha256, blob.size


def _document_type(value: str | None) -> str:
    value = value or "other"
    if value not in DOCUMENT_TYPES:
        raise InvalidInput(
            f"Unbekannte Dokumentart {value!r}; erlaubt / allowed: {', '.join(DOCUMENT_TYPES)}"
        )
    return value


def add_document(
    ctx: Ctx,
    *,
    case_id: int,
    source: Path,
    filename: str,
    title: str | None = None,
    doc_type: str | None = None,
    document_date: date | None = None,
    sender: str | None = None,
    attributes: dict[str, Any] | None = None,
    comment: str | None = None,
) -> AddResult:
    case = writable_case(ctx, case_id)
    kind = _document_type(doc_type)
    content = examine(ctx, source, filename)
    sha256, size = _store(ctx, source)
    document = Document(
        case_id=case.id,
        title=(title or "").strip() or Path(content.filename).stem,
        doc_type=kind,
        document_date=document_date or utcnow().date(),
        sender=sender,
        attributes=dict(attributes or {}),
        created_by_id=ctx.actor.user_id,
    )
    ctx.db.add(document)
    ctx.db.flush()
    version = _insert_version(ctx, document, 1, content, sha256, size, comment)
    duplicates = _visible_duplicates(ctx, sha256, exclude=document.id)
    _index(ctx, document, case, content.text, content.filename)
    audit.record(
        ctx,
        "document.create",
        "document",
        document.id,
        after={
            "case": case.reference,
            "title": document.title,
            "doc_type": kind,
            "version": 1,
            "sha256": sha256,
            "size": size,
            "filename": content.filename,
        },
    )
    return AddResult(document, version, duplicates)


def add_version(
    ctx: Ctx, *, document_id: int, source: Path, filename: str, comment: str | None = None
) -> AddResult:
    document = _visible_document(ctx, document_id)
    case = writable_case(ctx, document.case_id)
    current = latest_version(ctx, document.id)
    content = examine(ctx, source, filename)
    sha256, size = _store(ctx, source)
    if current is not None and current.sha256 == sha256:
        raise Conflict(
            f"Inhalt ist identisch mit Version {current.number}; keine neue Version angelegt"
            " / content identical to the current version; no new version created"
        )
    number = (current.number if current else 0) + 1
    version = _insert_version(ctx, document, number, content, sha256, size, comment)
    _index(ctx, document, case, content.text, content.filename)
    audit.record(
        ctx,
        "document.version",
        "document",
        document.id,
        before={
            "version": current.number if current else None,
            "sha256": current.sha256 if current else None,
        },
        after={
            "version": number,
            "sha256": sha256,
            "size": size,
            "filename": content.filename,
            "comment": comment,
        },
    )
    hooks.version_added(ctx, document, version)
    return AddResult(document, version, _visible_duplicates(ctx, sha256, exclude=document.id))


def _insert_version(
    ctx: Ctx,
    document: Document,
    number: int,
    content: Content,
    sha256: str,
    size: int,
    comment: str | None,
) -> Version:
    version = Version(
        document_id=document.id,
        number=number,
        sha256=sha256,
        size=size,
        mime_type=content.mime_type,
        filename=content.filename,
        page_count=content.page_count,
        text_method=content.text_method,
        comment=(comment or None),
        created_by_id=ctx.actor.user_id,
    )
    ctx.db.add(version)
    ctx.db.flush()
    return version


def index_text(ctx: Ctx, document: Document, text: str, filename: str) -> None:
    """(Re)write the search entry of ``document`` (used by search.reindex)."""
    _index(ctx, document, document.case, text, filename)


def _index(ctx: Ctx, document: Document, case: Case, text: str, filename: str) -> None:
    meta = " ".join(
        filter(
            None,
            [
                document.sender,
                DOCUMENT_TYPE_LABELS.get(document.doc_type, document.doc_type),
                case.reference,
                case.title,
                case.file.reference,
                case.file.title,
                filename,
                *(str(v) for v in document.attributes.values() if isinstance(v, str | int | float)),
            ],
        )
    )
    backend_for(ctx.app.dialect).index(ctx.db, document.id, document.title, meta, text)


def _visible_duplicates(ctx: Ctx, sha256: str, exclude: int) -> list[Document]:
    return list(
        ctx.db.scalars(
            select(Document)
            .join(Version, Version.document_id == Document.id)
            .join(Case, Case.id == Document.case_id)
            .join(File, File.id == Case.file_id)
            .where(Version.sha256 == sha256, Document.id != exclude, visible_files(ctx.actor))
            .distinct()
            .limit(10)
        )
    )


def _visible_document(ctx: Ctx, document_id: int) -> Document:
    document = ctx.db.scalar(
        select(Document)
        .join(Case, Case.id == Document.case_id)
        .join(File, File.id == Case.file_id)
        .where(Document.id == document_id, visible_files(ctx.actor))
    )
    if document is None:
        raise NotFound(f"Dokument {document_id} nicht gefunden / document not found")
    return document


def get_document(ctx: Ctx, document_id: int) -> tuple[Document, list[Version]]:
    document = _visible_document(ctx, document_id)
    note_read(ctx, document.case.file, "document", document.id)
    versions = list(
        ctx.db.scalars(
            select(Version)
            .where(Version.document_id == document.id)
            .order_by(Version.number.desc())
        )
    )
    return document, versions


def latest_version(ctx: Ctx, document_id: int) -> Version | None:
    return ctx.db.scalar(
        select(Version)
        .where(Version.document_id == document_id)
        .order_by(Version.number.desc())
        .limit(1)
    )


def list_documents(ctx: Ctx, case_id: int) -> list[tuple[Document, Version]]:
    """Documents of a visible case, each with its current version."""
    get_case(ctx, case_id)
    newest = (
        select(Version.document_id, func.max(Version.number).label("n"))
        .group_by(Version.document_id)
        .subquery()
    )
    rows = ctx.db.execute(
        select(Document, Version)
        .join(newest, newest.c.document_id == Document.id)
        .join(Version, (Version.document_id == Document.id) & (Version.number == newest.c.n))
        .where(Document.case_id == case_id)
        .order_by(Document.document_date.desc(), Document.id.desc())
    ).all()
    return [(d, v) for d, v in rows]


@dataclass
class OpenedVersion:
    version: Version
    document: Document
    stream: BinaryIO

    def chunks(self, size: int = 1024 * 1024) -> Iterator[bytes]:
        with self.stream:
            while chunk := self.stream.read(size):
                yield chunk


def open_version(ctx: Ctx, document_id: int, number: int | None = None) -> OpenedVersion:
    document, versions = get_document(ctx, document_id)
    chosen = (
        versions[0] if number is None else next((v for v in versions if v.number == number), None)
    )
    if chosen is None:
        raise NotFound(
            f"Version {number} von Dokument {document_id} gibt es nicht / no such version"
        )
    return OpenedVersion(chosen, document, ctx.app.store.open(chosen.sha256))
