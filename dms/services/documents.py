"""Documents and versions: the one path by which bytes enter the e-file.

Order of work keeps "nothing is lost": check rights, vet the content (type, size, a PDF that
opens), make the blob durable in the object store, and only then insert the rows (document,
version, audit event, and the *pending text* marker) in one transaction. A crash in between
leaves at most an orphan blob, which `dms fsck --repair` sweeps. A bulk import
(``import_files``, `dms import`) does the same per group of files: it stores a group through
one object-store batch, makes the batch durable, then writes all the group's rows in one
transaction, while the next group is already being stored.

Reading the text for the search index is the slow part and happens after that transaction
(dms.services.text_queue; by default right after the commit, in this process): the import
never holds the database for it, and a document whose text is not read yet is queued, not
lost.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
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
from dms.services.files import (
    case_by_reference,
    get_case,
    note_read,
    require_open,
    writable_case,
)
from dms.services.text_queue import IndexMode
from dms.storage import PutBatch

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
    """A file vetted and stored, whose rows are not written yet (see ``prepare``); durable
    once the store batch it went through (if any) is synced."""

    source: Path
    content: Content
    sha256: str
    size: int
    new_blob: bool  # the store had no such bytes: no other version can share them


def prepare(
    app: App, source: Path, filename: str, batch: PutBatch | None = None
) -> Prepared:
    """Vet ``source`` and make its bytes durable in the object store; no database work.

    This is the I/O-bound part of an import (copy, SHA-256, fsync of file and directories),
    so a bulk import runs it for several files side by side, outside any transaction
    (``prepare_many``, ``import_files``), and only then writes the rows. A prepared file whose
    rows are never written is an orphan blob that `dms fsck --repair` sweeps. With ``batch``
    the bytes are durable only once ``batch.sync()`` has returned (the caller's duty, before
    any row that names them commits).
    """
    content = examine(app, source, filename)
    with source.open("rb") as handle:
        blob = (batch or app.store).put(handle)
    return Prepared(source, content, blob.sha256, blob.size, blob.created)


def _prepare_or_error(app: App, item: tuple[Path, str], batch: PutBatch) -> Prepared | DmsError:
    try:
        return prepare(app, *item, batch=batch)
    except DmsError as exc:
        return exc


def _sync_or_errors(
    batch: PutBatch, results: list[Prepared | DmsError]
) -> list[Prepared | DmsError]:
    """Make the group's blobs durable; if that fails, no file of the group may get rows."""
    try:
        batch.sync()
    except DmsError as exc:
        return [exc if isinstance(result, Prepared) else result for result in results]
    return results


def _mark_repeats(results: list[Prepared | DmsError], seen: set[str]) -> None:
    """The same bytes twice may both have been "new" to the store (stored side by side):
    only the first is, so the later ones are still reported as duplicates."""
    for number, result in enumerate(results):
        if isinstance(result, Prepared):
            if result.sha256 in seen and result.new_blob:
                results[number] = replace(result, new_blob=False)
            seen.add(result.sha256)


def prepare_many(
    app: App, items: list[tuple[Path, str]], workers: int = 4
) -> list[Prepared | DmsError]:
    """``prepare`` for each (path, filename), ``workers`` at a time, in the given order; a
    file that is refused yields its error in its place. The blobs go through one
    :class:`~dms.storage.PutBatch`, synced before this returns, so each directory is made
    durable once for the group; side by side, the fsyncs of several files overlap too (the
    file system commits them together). PDF checks still run one at a time (pdfium is not
    thread-safe)."""
    batch = app.store.batch()
    if workers <= 1 or len(items) <= 1:
        results = [_prepare_or_error(app, item, batch) for item in items]
    else:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dms-prepare") as pool:
            results = list(pool.map(lambda item: _prepare_or_error(app, item, batch), items))
    results = _sync_or_errors(batch, results)
    _mark_repeats(results, set())
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
    document = _new_document(
        ctx, case, kind, prepared.content, title, document_date, sender, attributes
    )
    ctx.db.add(document)
    ctx.db.flush()
    # Version and audit event go to the database in one flush (the version's id is needed next).
    version = _insert_version(ctx, document, 1, prepared.content, prepared.sha256,
                              prepared.size, comment, flush=False)
    _record_created(ctx, case, document, prepared)
    ctx.db.flush()
    # New bytes cannot belong to another version: the lookup is needed only for known ones.
    duplicates = (
        [] if prepared.new_blob
        else _visible_duplicates(ctx, prepared.sha256, exclude=document.id)
    )
    text_queue.queue(ctx, document_id=document.id, version_id=version.id, file_id=case.file_id,
                     new=True)
    _schedule_text(ctx, index, document, version, source)
    return AddResult(document, version, duplicates)


def add_documents(
    ctx: Ctx,
    *,
    case_id: int,
    items: Sequence[Prepared],
    title: str | None = None,
    doc_type: str | None = None,
    index: IndexMode = "queue",
) -> list[AddResult]:
    """``add_document`` for many prepared files (``prepare``) into one case, in the caller's
    transaction, with the same rows, events and checks, but written kind by kind: all
    documents in one flush (one multi-row INSERT), then all versions, audit events and
    pending-text markers. No file can fail on its own here (every check is about the case,
    the actor or the document type, the same for all), so the group is all or nothing; files
    that can be refused on their own were refused by ``prepare``.
    """
    if not items:
        return []
    case = _writable_case(ctx, case_id)
    kind = _document_type(doc_type)
    documents = [
        _new_document(ctx, case, kind, item.content, title, None, None, None) for item in items
    ]
    ctx.db.add_all(documents)
    ctx.db.flush()
    versions = [
        _insert_version(ctx, document, 1, item.content, item.sha256, item.size, None,
                        flush=False)
        for document, item in zip(documents, items, strict=True)
    ]
    for document, item in zip(documents, items, strict=True):
        _record_created(ctx, case, document, item)
    ctx.db.flush()  # versions and audit events, each kind in one multi-row INSERT
    text_queue.queue_new(
        ctx, [(document.id, version.id, case.file_id) for document, version in
              zip(documents, versions, strict=True)]
    )
    results = []
    for document, version, item in zip(documents, versions, items, strict=True):
        duplicates = (
            [] if item.new_blob
            else _visible_duplicates(ctx, item.sha256, exclude=document.id)
        )
        _schedule_text(ctx, index, document, version, item.source)
        results.append(AddResult(document, version, duplicates))
    return results


def _new_document(
    ctx: Ctx,
    case: Case,
    kind: str,
    content: Content,
    title: str | None,
    document_date: date | None,
    sender: str | None,
    attributes: dict[str, Any] | None,
) -> Document:
    return Document(
        case_id=case.id,
        title=(title or "").strip() or Path(content.filename).stem,
        doc_type=kind,
        document_date=document_date or utcnow().date(),
        sender=sender,
        attributes=dict(attributes or {}),
        created_by_id=ctx.actor.user_id,
    )


def _record_created(ctx: Ctx, case: Case, document: Document, prepared: Prepared) -> None:
    audit.record(
        ctx,
        "document.create",
        "document",
        document.id,
        after={
            "case": case.reference,
            "title": document.title,
            "doc_type": document.doc_type,
            "version": 1,
            "sha256": prepared.sha256,
            "size": prepared.size,
            "filename": prepared.content.filename,
        },
    )


@dataclass(frozen=True)
class Imported:
    """What became of one path of ``import_files``: its document, or why it was refused."""

    path: Path
    document_id: int | None = None
    sha256: str | None = None
    mime_type: str | None = None
    duplicates: tuple[int, ...] = ()
    error: DmsError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def import_files(
    app: App,
    actor: Actor,
    case_reference: str,
    paths: Sequence[Path],
    *,
    title: str | None = None,
    doc_type: str | None = None,
    batch: int = 50,
    workers: int = 4,
) -> Iterator[Imported]:
    """File local files as documents of one case (`dms import`), ``batch`` per transaction;
    yields one ``Imported`` per path, in order, each group once it has committed.

    Per group: vet and store the files, ``workers`` side by side and outside any transaction,
    through one object-store batch; make that batch durable (``PutBatch.sync``); only then
    write all the group's rows in one transaction (``add_documents``). While a group's rows
    are written, the next group is already being vetted and stored: blobs may be durable
    before their rows exist, never the other way round. Each file is all or nothing (a
    refused file has no rows); a crash loses at most the groups not yet committed, whose
    blobs are orphans that `dms fsck --repair` sweeps (importing them again is safe). Texts
    are only queued (``index="queue"``); the caller processes the queue.
    """
    paths = list(paths)
    try:
        _document_type(doc_type)  # before anything is stored
        with app.unit(actor) as ctx:
            case = case_by_reference(ctx, case_reference)
            writable_case(ctx, case.id)
            case_id = case.id
    except DmsError as exc:
        for path in paths:
            yield Imported(path, error=exc)
        return
    size = max(1, batch)
    groups = [paths[start : start + size] for start in range(0, len(paths), size)]
    seen: set[str] = set()
    with (
        ThreadPoolExecutor(max(1, workers), thread_name_prefix="dms-import") as pool,
        ThreadPoolExecutor(1, thread_name_prefix="dms-import-sync") as syncer,
    ):

        def start(group: list[Path]) -> Future[list[Prepared | DmsError]]:
            """Vet and store ``group`` in the pool, then sync its batch in the background."""
            store_batch = app.store.batch()
            futures = [pool.submit(_prepare_path, app, path, store_batch) for path in group]
            return syncer.submit(
                lambda: _sync_or_errors(store_batch, [future.result() for future in futures])
            )

        upcoming = start(groups[0]) if groups else None
        for number, group in enumerate(groups):
            assert upcoming is not None
            stored = upcoming
            upcoming = start(groups[number + 1]) if number + 1 < len(groups) else None
            results = stored.result()  # durable now: their rows may commit
            _mark_repeats(results, seen)
            yield from _write_group(app, actor, case_id, group, results, title, doc_type)


def _prepare_path(app: App, path: Path, batch: PutBatch) -> Prepared | DmsError:
    if not path.is_file():
        return InvalidInput(f"{path}: keine lesbare Datei / not a readable file")
    return _prepare_or_error(app, (path, path.name), batch)


def _write_group(
    app: App,
    actor: Actor,
    case_id: int,
    group: list[Path],
    results: list[Prepared | DmsError],
    title: str | None,
    doc_type: str | None,
) -> Iterator[Imported]:
    """One transaction with the rows of a group's stored (and synced) files."""
    ready = [result for result in results if isinstance(result, Prepared)]
    done: dict[int, Imported] = {}
    failed: DmsError | None = None
    if ready:
        try:
            with app.unit(actor) as ctx:
                added = add_documents(ctx, case_id=case_id, items=ready, title=title,
                                      doc_type=doc_type, index="queue")
                for item, one in zip(ready, added, strict=True):
                    done[id(item)] = Imported(
                        item.source,
                        document_id=one.document.id,
                        sha256=one.version.sha256,
                        mime_type=one.version.mime_type,
                        duplicates=tuple(d.id for d in one.duplicates),
                    )
        except DmsError as exc:  # e.g. the case was closed meanwhile: the whole group
            done, failed = {}, exc
    for path, result in zip(group, results, strict=True):
        if isinstance(result, DmsError):
            yield Imported(path, error=result)
        elif failed is not None:
            yield Imported(path, error=failed)
        else:
            yield done[id(result)]


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


def find_version(ctx: Ctx, document_id: int, number: int | None = None
                 ) -> tuple[Document, Version]:
    """A visible document and one of its versions (the newest unless ``number``), without
    opening its content; NotFound for either."""
    document, versions = get_document(ctx, document_id)
    chosen = (
        versions[0] if number is None else next((v for v in versions if v.number == number), None)
    )
    if chosen is None:
        raise NotFound(
            f"Version {number} von Dokument {document_id} gibt es nicht / no such version"
        )
    return document, chosen


def open_version(ctx: Ctx, document_id: int, number: int | None = None) -> OpenedVersion:
    document, chosen = find_version(ctx, document_id, number)
    return OpenedVersion(chosen, document, ctx.app.store.open(chosen.sha256))
