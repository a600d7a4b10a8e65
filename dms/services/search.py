"""Search as the user sees it: permission-filtered, with facets resolved to readable rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import ColumnElement, or_, select

from dms.models import Case, Document, File, PlanNode, SearchText
from dms.search import SearchQuery, backend_for
from dms.services import audit, text_queue
from dms.services.access import visible_files
from dms.services.context import SYSTEM, App, Ctx


@dataclass(frozen=True)
class SearchHit:
    document_id: int
    title: str
    doc_type: str
    document_date: date | None
    case_id: int
    case_reference: str
    file_reference: str
    file_title: str
    snippet: str
    score: float


@dataclass(frozen=True)
class SearchResult:
    query: SearchQuery
    total: int
    hits: list[SearchHit]
    # False when there are more than `total` hits (the count stops at dms.search.TOTAL_CAP):
    # show "mehr als {total} Treffer".
    total_exact: bool = True


def search(ctx: Ctx, query: SearchQuery) -> SearchResult:
    query = replace(query, limit=max(1, min(query.limit, 100)), offset=max(0, query.offset))
    if query.plan_node_ids:
        query = replace(query, plan_node_ids=_with_descendants(ctx, query.plan_node_ids))
    page = backend_for(ctx.app.dialect).query(ctx.db, query, _filters(ctx, query))
    if not page.ids:
        return SearchResult(query, page.total, [], page.total_exact)
    # Plain columns, not ORM entities: the models' eager-loaded relationships would add a
    # dozen joins and identity-map work for every hit.
    rows = {
        row.id: row
        for row in ctx.db.execute(
            select(
                Document.id,
                Document.title,
                Document.doc_type,
                Document.document_date,
                Case.id.label("case_id"),
                Case.reference.label("case_reference"),
                File.reference.label("file_reference"),
                File.title.label("file_title"),
                File.sensitive,
            )
            .join(Case, Case.id == Document.case_id)
            .join(File, File.id == Case.file_id)
            .where(Document.id.in_([r.document_id for r in page.ids]))
        ).all()
    }
    hits = []
    for ranked in page.ids:
        row = rows.get(ranked.document_id)
        if row is None:  # index entry of a document deleted meanwhile
            continue
        if row.sensitive:  # a snippet shows content: it is a read like any other
            audit.record(
                ctx,
                "document.read",
                "document",
                row.id,
                after={"via": "search", "query": query.text},
            )
        hits.append(
            SearchHit(
                document_id=row.id,
                title=row.title,
                doc_type=row.doc_type,
                document_date=row.document_date,
                case_id=row.case_id,
                case_reference=row.case_reference,
                file_reference=row.file_reference,
                file_title=row.file_title,
                snippet=page.snippets.get(row.id, ""),
                score=ranked.score,
            )
        )
    return SearchResult(query, page.total, hits, page.total_exact)


def _filters(ctx: Ctx, query: SearchQuery) -> list[ColumnElement[bool]]:
    filters = [visible_files(ctx.actor)]
    if query.office_id is not None:
        filters.append(File.office_id == query.office_id)
    if query.plan_node_ids:
        filters.append(File.plan_node_id.in_(query.plan_node_ids))
    if query.date_from is not None:
        filters.append(Document.document_date >= query.date_from)
    if query.date_to is not None:
        filters.append(Document.document_date <= query.date_to)
    if query.doc_type:
        filters.append(Document.doc_type == query.doc_type)
    return filters


def _with_descendants(ctx: Ctx, roots: tuple[int, ...]) -> tuple[int, ...]:
    children: dict[int | None, list[int]] = {}
    for node_id, parent_id in ctx.db.execute(select(PlanNode.id, PlanNode.parent_id)).all():
        children.setdefault(parent_id, []).append(node_id)
    found, todo = set(), list(roots)
    while todo:
        node = todo.pop()
        if node not in found:
            found.add(node)
            todo.extend(children.get(node, []))
    return tuple(sorted(found))


# --- maintenance ----------------------------------------------------------------------------


def unindexed_ids(ctx: Ctx) -> list[int]:
    """Documents without a complete search entry (none at all, or their newest text still
    queued), oldest first."""
    return list(
        ctx.db.scalars(
            select(Document.id)
            .outerjoin(SearchText, SearchText.document_id == Document.id)
            .where(
                or_(SearchText.document_id.is_(None), SearchText.pending_version_id.is_not(None))
            )
            .order_by(Document.id)
        )
    )


def reindex(
    app: App,
    *,
    everything: bool = False,
    batch: int = 50,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Build search entries from the stored blobs: for documents that have none or whose text
    is still queued (an import interrupted before its text was read, entries lost otherwise)
    or, with ``everything``, for all documents (e.g. after a change to stemming or
    extraction).

    The documents are queued (dms.services.text_queue) and the queue is processed: text is
    extracted again from each document's newest version, exactly as after an upload, in one
    short transaction per ``batch`` documents, so a long run neither holds the database for
    long nor loses more than one batch when interrupted; running it again continues where it
    stopped. ``progress(done, total)`` is called after each batch. Returns the number of
    documents indexed. The CLI's ``dms search --reindex`` calls this.
    """
    with app.unit(SYSTEM) as ctx:
        total = text_queue.requeue(ctx, everything=everything)
    report = None if progress is None else (lambda done: progress(done, total))
    return text_queue.process(app, batch=batch, progress=report, workers=None)
