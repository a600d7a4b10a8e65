"""Search as the user sees it: permission-filtered, with facets resolved to readable rows."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import ColumnElement, select

from dms.models import Case, Document, File, PlanNode
from dms.search import SearchQuery, backend_for
from dms.services import audit
from dms.services.access import visible_files
from dms.services.context import Ctx


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


def search(ctx: Ctx, query: SearchQuery) -> SearchResult:
    query = replace(query, limit=max(1, min(query.limit, 100)), offset=max(0, query.offset))
    if query.plan_node_ids:
        query = replace(query, plan_node_ids=_with_descendants(ctx, query.plan_node_ids))
    page = backend_for(ctx.app.dialect).query(ctx.db, query, _filters(ctx, query))
    if not page.ids:
        return SearchResult(query, page.total, [])
    rows = {
        d.id: (d, c, f)
        for d, c, f in ctx.db.execute(
            select(Document, Case, File)
            .join(Case, Case.id == Document.case_id)
            .join(File, File.id == Case.file_id)
            .where(Document.id.in_([r.document_id for r in page.ids]))
        ).all()
    }
    hits = []
    for ranked in page.ids:
        document, case, file = rows[ranked.document_id]
        if file.sensitive:  # a snippet shows content: it is a read like any other
            audit.record(ctx, "document.read", "document", document.id,
                         after={"via": "search", "query": query.text})
        hits.append(
            SearchHit(
                document_id=document.id,
                title=document.title,
                doc_type=document.doc_type,
                document_date=document.document_date,
                case_id=case.id,
                case_reference=case.reference,
                file_reference=file.reference,
                file_title=file.title,
                snippet=page.snippets.get(document.id, ""),
                score=ranked.score,
            )
        )
    return SearchResult(query, page.total, hits)


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
