"""Pending texts (Textwarteschlange): text extraction and search indexing after the import.

Reading a PDF's text costs ~1 ms per page and stemming it for the index ~10 ms per 100 KB:
far more than storing the bytes and writing the rows. So an import only records, in its own
transaction, that the text of its new version is still to be read: the document's
``search_texts`` row with ``pending_version_id`` set (see dms.models.SearchText). The
extraction and indexing run afterwards, here, in short transactions of their own:

* right after the import's commit, in the same process (mode ``"after_commit"``, the default
  of dms.services.documents: a document uploaded in the web app is searchable when the
  request returns, yet its import transaction never waited for the text);
* by ``dms import`` once all files are in (mode ``"queue"``; ``--no-index`` leaves it to the
  worker);
* periodically by the worker (``dms worker``, and the one inside ``dms serve``), which finds
  whatever is left: texts queued by a process that died after its commit, or failed reads.

A crash at any point leaves the marker in place, so the text is read on the next round; the
marker is cleared in the same transaction that writes the index entry, and only if it still
names the version that was read (a newer version queued meanwhile wins). Two workers may
read the same text; only one writes it.
"""

from __future__ import annotations

import logging
import multiprocessing
import shutil
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Literal

from sqlalchemy import event, func, insert, select, update
from sqlalchemy.orm import Session

from dms.content.extract import extract_text
from dms.errors import StorageUnavailable
from dms.models import Case, Document, File, SearchText, Version
from dms.models.documents import Rendition
from dms.search import backend_for
from dms.services.context import SYSTEM, App, Ctx

log = logging.getLogger(__name__)

#: From how many queued texts on a bulk run reads them in two processes (see ``process``).
BULK = 20

#: How a new version's text reaches the index: ``"now"`` in the caller's transaction (slow,
#: for a caller that needs the entry before it commits), ``"after_commit"`` right after the
#: caller's commit in this process, ``"queue"`` by whoever processes the queue next.
IndexMode = Literal["now", "after_commit", "queue"]

_AFTER_COMMIT = "dms.text_queue.after_commit"
_LISTENING = "dms.text_queue.listening"


@dataclass(frozen=True)
class Pending:
    """One queued text: which document, which version's bytes, and how to read them."""

    document_id: int
    version_id: int
    sha256: str
    mime_type: str
    filename: str


# --- queueing (inside the import's transaction) ---------------------------------------------


def queue(ctx: Ctx, *, document_id: int, version_id: int, file_id: int, new: bool) -> None:
    """Mark the text of ``version_id`` as still to be indexed, in the caller's transaction.

    For a new document (``new``) this is the document's first search row, with empty texts;
    for a new version the row keeps the old text, still searchable until the new one is read.
    """
    table = SearchText.__table__  # Core, not the ORM's bulk path: one plain statement
    if not new:
        changed = ctx.db.execute(
            table.update()
            .where(table.c.document_id == document_id)
            .values(pending_version_id=version_id, file_id=file_id)
        ).rowcount
        if changed:
            return
    ctx.db.execute(
        table.insert().values(
            document_id=document_id,
            title="",
            meta="",
            body="",
            file_id=file_id,
            pending_version_id=version_id,
        )
    )


def queue_new(ctx: Ctx, entries: Iterable[tuple[int, int, int]]) -> None:
    """``queue(..., new=True)`` for many new documents at once, as one executemany (a bulk
    import); ``entries`` are (document_id, version_id, file_id)."""
    rows = [
        {"document_id": document_id, "title": "", "meta": "", "body": "", "file_id": file_id,
         "pending_version_id": version_id}
        for document_id, version_id, file_id in entries
    ]
    if rows:
        ctx.db.execute(SearchText.__table__.insert(), rows)


def index_after_commit(ctx: Ctx, document_id: int) -> None:
    """Have this process index ``document_id`` as soon as the caller's transaction commits.

    If that fails, or the process dies first, the document simply stays queued.
    """
    waiting: list[int] | None = ctx.db.info.get(_AFTER_COMMIT)
    if waiting is None:
        waiting = ctx.db.info[_AFTER_COMMIT] = []
        if not ctx.db.info.get(_LISTENING):
            ctx.db.info[_LISTENING] = True
            event.listen(ctx.db, "after_commit", partial(_after_commit, ctx.app))
    waiting.append(document_id)


def _after_commit(app: App, session: Session) -> None:
    if session.get_nested_transaction() is not None:
        # a savepoint was released (SQLAlchemy fires after_commit for those too): the outer
        # transaction still holds its locks, so wait for its own commit
        return
    ids = session.info.pop(_AFTER_COMMIT, [])
    if not ids:
        return
    try:
        process(app, document_ids=ids)
    except Exception:  # noqa: BLE001 - the import is committed; the text stays queued
        log.exception("Text von %d Dokument(en) bleibt in der Warteschlange / text stays queued",
                      len(ids))


# --- processing (after the import) ----------------------------------------------------------


def pending_count(ctx: Ctx) -> int:
    return int(
        ctx.db.scalar(
            select(func.count())
            .select_from(SearchText)
            .where(SearchText.pending_version_id.is_not(None))
        )
        or 0
    )


def process(
    app: App,
    *,
    document_ids: Iterable[int] | None = None,
    batch: int = 50,
    limit: int | None = None,
    progress: Callable[[int], None] | None = None,
    workers: int | None = 1,
) -> int:
    """Extract and index queued texts (all, or those of ``document_ids``; at most about
    ``limit``), ``batch`` at a time: read the blobs outside any transaction, then write the
    entries in one short one. Returns how many entries were written. ``progress(done)`` is
    called after each batch.

    With ``workers`` > 1 the texts of a batch are extracted in that many processes (pdfium
    is not thread-safe, and extraction is most of the work: ~1 ms per page), while this
    process stems and writes. ``workers=None`` chooses: two for a bulk run of at least
    ``BULK`` documents (`dms import`, `dms search --reindex`), else one, since starting the
    processes costs about a second.
    """
    wanted = None if document_ids is None else sorted(set(document_ids))
    if wanted is not None and not wanted:
        return 0
    if workers is None:
        if wanted is not None:
            many = len(wanted) >= BULK
        else:
            with app.unit(SYSTEM) as ctx:
                many = pending_count(ctx) >= BULK
        workers = 2 if many else 1
    with ExitStack() as stack:
        pool = None
        if workers > 1:
            pool = stack.enter_context(ProcessPoolExecutor(
                max_workers=workers, mp_context=multiprocessing.get_context("spawn")))
        done, after, looked = 0, 0, 0
        while limit is None or looked < limit:
            size = max(1, batch if limit is None else min(batch, limit - looked))
            with app.unit(SYSTEM) as ctx:
                chunk = _next_pending(ctx, after, wanted, size)
            if not chunk:
                return done
            looked += len(chunk)
            texts = _read_all(app, chunk, pool)
            with app.unit(SYSTEM) as ctx:
                done += _write(ctx, chunk, texts)
            after = chunk[-1].document_id
            if progress is not None:
                progress(done)
    return done


def _read_all(app: App, chunk: list[Pending],
              pool: ProcessPoolExecutor | None) -> dict[int, str]:
    """The texts of a chunk, read here one by one or, with a pool, side by side."""
    if pool is None:
        return {item.document_id: _read(app, item) for item in chunk}
    with tempfile.TemporaryDirectory(prefix="dms-text-") as tmp:
        futures = {}
        for number, item in enumerate(chunk):
            path = Path(tmp) / str(number)
            try:
                with app.store.open(item.sha256) as blob, path.open("wb") as out:
                    shutil.copyfileobj(blob, out, 1024 * 1024)
            except StorageUnavailable:
                raise
            except Exception as exc:  # noqa: BLE001 - as in _read: indexed without text
                _unreadable(item, exc)
                continue
            futures[item.document_id] = (item, pool.submit(
                _extract, str(path), item.mime_type, app.settings.max_extract_chars))
        texts = {item.document_id: "" for item in chunk}
        for document_id, (item, future) in futures.items():
            try:
                texts[document_id] = future.result()
            except Exception as exc:  # noqa: BLE001 - one unreadable file must not stop it
                _unreadable(item, exc)
        return texts


def _extract(path: str, mime_type: str, max_chars: int) -> str:
    """In a worker process: the text of one file (module level, so it can be pickled)."""
    return extract_text(Path(path), mime_type, max_chars).text


def _next_pending(ctx: Ctx, after: int, wanted: list[int] | None, limit: int) -> list[Pending]:
    # a version with a searchable rendition (the OCR'd copy of a signed scan) is read from it
    statement = (
        select(
            SearchText.document_id,
            Version.id,
            func.coalesce(Rendition.sha256, Version.sha256),
            func.coalesce(Rendition.mime_type, Version.mime_type),
            Version.filename,
        )
        .join(Version, Version.id == SearchText.pending_version_id)
        .outerjoin(Rendition, (Rendition.version_id == Version.id)
                   & (Rendition.kind == "searchable"))
        .where(SearchText.document_id > after)
        .order_by(SearchText.document_id)
        .limit(limit)
    )
    if wanted is not None:
        statement = statement.where(SearchText.document_id.in_(wanted))
    return [Pending(*row) for row in ctx.db.execute(statement).all()]


def _read(app: App, item: Pending) -> str:
    """Text of the queued version from the object store; "" if the file cannot be read.

    An unreachable store raises (the whole round is retried later); a blob that is missing or
    whose content the extractor refuses is logged and indexed without text, so that it does
    not come back in every round; `dms fsck` reports a missing blob on its own.
    """
    try:
        with tempfile.TemporaryDirectory(prefix="dms-text-") as tmp:
            path = Path(tmp) / "blob"
            with app.store.open(item.sha256) as blob, path.open("wb") as out:
                shutil.copyfileobj(blob, out, 1024 * 1024)
            return extract_text(path, item.mime_type, app.settings.max_extract_chars).text
    except StorageUnavailable:
        raise
    except Exception as exc:  # noqa: BLE001 - one unreadable file must not stop the queue
        _unreadable(item, exc)
        return ""


def _unreadable(item: Pending, exc: Exception) -> None:
    log.warning(
        "Text von Dokument %d (Version %d) nicht lesbar, ohne Text indiziert / text not "
        "readable, indexed without it: %s",
        item.document_id,
        item.version_id,
        exc,
    )


def _write(ctx: Ctx, chunk: list[Pending], texts: dict[int, str]) -> int:
    documents = {
        d.id: d
        for d in ctx.db.scalars(
            select(Document).where(Document.id.in_([item.document_id for item in chunk]))
        )
    }
    written = 0
    for item in chunk:
        document = documents.get(item.document_id)
        if document is None:  # deleted meanwhile (its row went with it)
            continue
        claimed = ctx.db.execute(
            update(SearchText)
            .where(
                SearchText.document_id == item.document_id,
                SearchText.pending_version_id == item.version_id,
            )
            .values(pending_version_id=None)
        ).rowcount
        if claimed:  # else a newer version was queued meanwhile: its round will index it
            write_entry(ctx, document, texts[item.document_id], item.filename)
            written += 1
    return written


def index_now(ctx: Ctx, document: Document, version: Version, source: Path) -> None:
    """Read ``source`` (the bytes just stored as ``version``) and index them in the caller's
    transaction, clearing the marker: mode ``"now"``."""
    text = extract_text(source, version.mime_type, ctx.app.settings.max_extract_chars).text
    ctx.db.execute(
        update(SearchText)
        .where(SearchText.document_id == document.id)
        .values(pending_version_id=None)
    )
    write_entry(ctx, document, text, version.filename)


def write_entry(ctx: Ctx, document: Document, text: str, filename: str) -> None:
    """(Re)write the search entry of ``document``: title, metadata line and text."""
    from dms.services.documents import DOCUMENT_TYPE_LABELS

    case: Case = document.case
    file: File = case.file
    meta = " ".join(
        filter(
            None,
            [
                document.sender,
                DOCUMENT_TYPE_LABELS.get(document.doc_type, document.doc_type),
                case.reference,
                case.title,
                file.reference,
                file.title,
                filename,
                *(str(v) for v in document.attributes.values() if isinstance(v, str | int | float)),
            ],
        )
    )
    backend_for(ctx.app.dialect).index(
        ctx.db, document.id, document.title, meta, text, file_id=file.id
    )


# --- requeueing (dms search --reindex) -------------------------------------------------------


def requeue(ctx: Ctx, *, everything: bool = False) -> int:
    """Queue the newest version of every document without a search entry (or, with
    ``everything``, of every document); returns how many are queued now."""
    newest = (
        select(func.max(Version.id))
        .where(Version.document_id == Document.id)
        .correlate(Document)
        .scalar_subquery()
    )
    missing = (
        select(Document.id, Case.file_id, newest.label("version_id"))
        .join(Case, Case.id == Document.case_id)
        .outerjoin(SearchText, SearchText.document_id == Document.id)
        .where(SearchText.document_id.is_(None))
    )
    rows = [r for r in ctx.db.execute(missing).all() if r.version_id is not None]
    if rows:
        ctx.db.execute(
            insert(SearchText),
            [
                {
                    "document_id": r.id,
                    "title": "",
                    "meta": "",
                    "body": "",
                    "file_id": r.file_id,
                    "pending_version_id": r.version_id,
                }
                for r in rows
            ],
        )
    if everything:
        newest_of_row = (
            select(func.max(Version.id))
            .where(Version.document_id == SearchText.document_id)
            .scalar_subquery()
        )
        ctx.db.execute(update(SearchText).values(pending_version_id=newest_of_row))
    return pending_count(ctx)
