"""Documents and versions: the one path by which bytes enter the e-file.

Order of work keeps "nothing is lost": check rights, vet the content (type, size, a PDF that
opens), make the blob durable in the object store, and only then insert the rows (document,
version, audit event, and the *pending text* marker) in one transaction. A crash in between
leaves at most an orphan blob, which `dms fsck --repair` sweeps.

Reading the text for the search index is the slow part and happens after that transaction
(dms.services.text_queue; by default right after the commit, in this process): the import
never holds the database for it, and a document whose text is not read yet is queued, not
lost.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import func, select

from dms.content.extract import vet
from dms.content.names import safe_filename
from dms.content.sniff import sniff
from dms.errors import Conflict, DmsError, InvalidInput, NotFound
from dms.models import DOCUMENT_TYPES, Case, Document, File, Version, utcnow
from dms.services import audit, hooks, text_queue
from dms.services.access import require_write, visible_files
from dms.services.context import Actor, App, Ctx
from dms.services.files import get_case, note_read, require_open, writable_case
from dms.services.text_queue import IndexMode

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
    """What we learned from the bytes before storing them (the text is read later)."""

    filename: str
    mime_type: str
    size: int
    text_method: str
    page_count: int | None


@dataclass
class AddResult:
    document: Document
    version: Version
    duplicates: list[Document] = field(default_factory=list)


def examine(app: App, source: Path, filename: str) -> Content:
    """Vet a local file; raises a clear error instead of storing something unusable."""
    name = safe_filename(filename)
    size = source.stat().st_size
    if size == 0:
        raise InvalidInput(f"Datei {name!r} ist leer (0 Byte) / file is empty")
    if size > app.settings.max_upload_bytes:
        raise InvalidInput(
            f"Datei {name!r} ist größer als erlaubt ({app.settings.max_upload_bytes} Byte)"
            " / file exceeds the size limit"
        )
    with source.open("rb") as handle:
        head = handle.read(8192)
    mime = sniff(head, name)
    # A PDF is opened (page count; broken or encrypted ones are refused), its text is not read.
    vetted = vet(source, mime, max_chars=app.settings.max_extract_chars)
    return Content(
        filename=name,
        mime_type=mime,
        size=size,
        text_method=vetted.method,
        page_count=vetted.pages,
    )


@dataclass(frozen=True)
class Prepared:
    """A file vetted and durably stored, whose rows are not written yet (see ``prepare``)."""

    source: Path
    content: Content
    sha256: str
    size: int
    new_blob: bool  # the store had no such bytes: no other version can share them


def prepare(app: App, source: Path, filename: str) -> Prepared:
    """Vet ``source`` and make its bytes durable in the object store; no database work.

    This is the I/O-bound part of an import (copy, SHA-256, fsync of file and directories),
    so a bulk import runs it for several files side by side, outside any transaction
    (``prepare_many``), and only then writes the rows. A prepared file whose rows are never
    written is an orphan blob that `dms fsck --repair` sweeps.
    """
    content = examine(app, source, filename)
    with source.open("rb") as handle:
        blob = app.store.put(handle)
    return Prepared(source, content, blob.sha256, blob.size, blob.created)


def prepare_many(
    app: App, items: list[tuple[Path, str]], workers: int = 4
) -> list[Prepared | DmsError]:
    """``prepare`` for each (path, filename), ``workers`` at a time, in the given order; a
    file that is refused yields its error in its place. Side by side, the fsyncs of several
    files overlap (the file system commits them together), which on one disk is most of the
    gain; PDF checks still run one at a time (pdfium is not thread-safe)."""

    def one(item: tuple[Path, str]) -> Prepared | DmsError:
        try:
            return prepare(app, *item)
        except DmsError as exc:
            return exc

    if workers <= 1 or len(items) <= 1:
        return [one(item) for item in items]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dms-prepare") as pool:
        results = list(pool.map(one, items))
    # The same bytes twice in one group may both have been "new" to the store (stored side
    # by side): only the first is, so the later ones are still reported as duplicates.
    seen: set[str] = set()
    for number, result in enumerate(results):
        if isinstance(result, Prepared):
            if result.sha256 in seen:
                results[number] = replace(result, new_blob=False)
            seen.add(result.sha256)
    return results


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
    index: IndexMode = "after_commit",
    prepared: Prepared | None = None,
) -> AddResult:
    """File ``source`` as a new document in a case the actor may write.

    ``index`` says when its text is read for search (dms.services.text_queue.IndexMode): by
    default right after the caller's transaction commits; a bulk import passes ``"queue"``
    and processes the queue once at the end. ``prepared``: ``source`` was already vetted and
    stored by ``prepare`` (a bulk import), so only the rows are written here.
    """
    case = _writable_case(ctx, case_id)
    kind = _document_type(doc_type)
    if prepared is None:
        prepared = prepare(ctx.app, source, filename)
    content, sha256, size = prepared.content, prepared.sha256, prepared.size
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
    # Not flushed here: the audit event's flush writes it (one flush fewer per document).
    version = _insert_version(ctx, document, 1, content, sha256, size, comment, flush=False)
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
    # New bytes cannot belong to another version: the lookup is needed only for known ones.
    duplicates = [] if prepared.new_blob else _visible_duplicates(ctx, sha256, exclude=document.id)
    text_queue.queue(ctx, document_id=document.id, version_id=version.id, file_id=case.file_id,
                     new=True)
    _schedule_text(ctx, index, document, version, source)
    return AddResult(document, version, duplicates)


def add_version(
    ctx: Ctx,
    *,
    document_id: int,
    source: Path,
    filename: str,
    comment: str | None = None,
    index: IndexMode = "after_commit",
    signature_of: int | None = None,
) -> AddResult:
    """A new version of a visible document; identical content is refused (Conflict). The old
    version's text stays searchable until the new one is read (see ``add_document``).
    `signature_of` marks a version that only adds a signature to that earlier version."""
    document = _visible_document(ctx, document_id)
    case = writable_case(ctx, document.case_id)
    current = latest_version(ctx, document.id)
    prepared = prepare(ctx.app, source, filename)
    content, sha256, size = prepared.content, prepared.sha256, prepared.size
    if current is not None and current.sha256 == sha256:
        raise Conflict(
            f"Inhalt ist identisch mit Version {current.number}; keine neue Version angelegt"
            " / content identical to the current version; no new version created"
        )
    number = (current.number if current else 0) + 1
    version = _insert_version(ctx, document, number, content, sha256, size, comment,
                              signature_of)
    text_queue.queue(ctx, document_id=document.id, version_id=version.id, file_id=case.file_id,
                     new=False)
    _schedule_text(ctx, index, document, version, source)
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
    signature_of: int | None = None,
    *,
    flush: bool = True,
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
        signature_of=signature_of,
        created_by_id=ctx.actor.user_id,
    )
    ctx.db.add(version)
    if flush:
        ctx.db.flush()
    return version


_WRITABLE = "dms.documents.writable_cases"


def _writable_case(ctx: Ctx, case_id: int) -> Case:
    """files.writable_case, queried once per transaction, actor and case: the next files of a
    bulk import into the same case are checked again on the loaded rows (write permission,
    open file, open case), without the visibility query."""
    # The cases themselves are kept: the session's identity map holds its objects weakly.
    checked: dict[tuple[Actor, int], Case] = ctx.db.info.setdefault(_WRITABLE, {})
    case = checked.get((ctx.actor, case_id))
    if case is None:
        case = checked[(ctx.actor, case_id)] = writable_case(ctx, case_id)
        return case
    require_write(ctx.actor, case.file)
    require_open(case.file)
    if case.status != "open":
        raise Conflict(f"Vorgang {case.reference} ist abgeschlossen / case is closed")
    return case


def _schedule_text(
    ctx: Ctx, index: IndexMode, document: Document, version: Version, source: Path
) -> None:
    if index == "now":
        text_queue.index_now(ctx, document, version, source)
    elif index == "after_commit":
        text_queue.index_after_commit(ctx, document.id)
    elif index != "queue":
        raise ValueError(f"unknown index mode {index!r}")


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
