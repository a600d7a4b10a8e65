"""PostgreSQL backend: generated tsvector (`german` configuration) with a GIN index,
ranked by ts_rank_cd, snippets by ts_headline for the page of hits only."""

from __future__ import annotations

import html

from sqlalchemy import ColumnElement, bindparam, func, literal_column, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from dms.models import Case, Document, File, SearchText
from dms.search import RankedId, RankedPage, SearchQuery

CONFIG = literal_column("'german'::regconfig")
TSV = literal_column("search_texts.tsv")
SNIPPET_SCAN = 200_000
# Control characters as markers: the body is escaped after ts_headline, then marked up.
START, STOP = "\x02", "\x03"
HEADLINE_OPTIONS = f"StartSel={START}, StopSel={STOP}, MaxFragments=2, MaxWords=25, MinWords=8"


class PostgresFts:
    def index(self, db: Session, document_id: int, title: str, meta: str, body: str) -> None:
        body = body.replace("\x00", "")
        statement = insert(SearchText).values(
            document_id=document_id, title=title, meta=meta, body=body
        )
        db.execute(
            statement.on_conflict_do_update(
                index_elements=[SearchText.document_id],
                set_={"title": title, "meta": meta, "body": body},
            )
        )

    def remove(self, db: Session, document_id: int) -> None:
        db.execute(SearchText.__table__.delete().where(SearchText.document_id == document_id))

    def query(
        self, db: Session, query: SearchQuery, filters: list[ColumnElement[bool]]
    ) -> RankedPage:
        tsq = func.websearch_to_tsquery(CONFIG, bindparam("q", query.text))
        base = (
            select(Document.id.label("id"), func.ts_rank_cd(TSV, tsq).label("rank"))
            .select_from(SearchText)
            .join(Document, Document.id == SearchText.document_id)
            .join(Case, Case.id == Document.case_id)
            .join(File, File.id == Case.file_id)
            .where(TSV.op("@@")(tsq), *filters)
        )
        rows = db.execute(
            base.order_by(literal_column("rank").desc(), Document.id.desc())
            .limit(query.limit)
            .offset(query.offset)
        ).all()
        if not rows:
            return RankedPage([], 0 if query.offset == 0 else self._count(db, base))
        total = (
            len(rows) if query.offset == 0 and len(rows) < query.limit else self._count(db, base)
        )
        ids = [RankedId(r.id, float(r.rank)) for r in rows]
        heads = db.execute(
            select(
                SearchText.document_id,
                func.ts_headline(
                    CONFIG, func.substr(SearchText.body, 1, SNIPPET_SCAN), tsq, HEADLINE_OPTIONS
                ),
            ).where(SearchText.document_id.in_([r.document_id for r in ids]))
        ).all()
        return RankedPage(ids, total, {doc_id: _markup(h or "") for doc_id, h in heads})

    @staticmethod
    def _count(db: Session, base) -> int:  # type: ignore[no-untyped-def]
        return int(db.scalar(select(func.count()).select_from(base.subquery())) or 0)


def _markup(headline: str) -> str:
    escaped = html.escape(headline, quote=False)
    return escaped.replace(START, "<mark>").replace(STOP, "</mark>")
