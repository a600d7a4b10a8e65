"""SQLite FTS5 backend. FTS5 has no German stemmer, so we index Snowball stems ourselves
(PyStemmer) and render snippets in Python from the original text."""

from __future__ import annotations

from sqlalchemy import ColumnElement, column, delete, func, insert, literal_column, select, table
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from dms.content.german import snippet, stems
from dms.models import Case, Document, File, SearchText
from dms.search import RankedId, RankedPage, SearchQuery

FTS = table("search_fts", column("rowid"), column("title"), column("meta"), column("body"))
SNIPPET_SCAN = 200_000
# bm25 column weights: a word in the title counts most, then metadata, then the body.
RANK = func.bm25(literal_column("search_fts"), 10.0, 4.0, 1.0)


def _stem_text(value: str) -> str:
    return " ".join(stems(value))


def match_expression(text: str) -> tuple[str, set[str]]:
    """FTS5 query: every stem must occur (AND), each quoted so no operator leaks in."""
    terms = list(dict.fromkeys(stems(text)))
    return " ".join('"' + t.replace('"', '""') + '"' for t in terms), set(terms)


class SqliteFts:
    def index(self, db: Session, document_id: int, title: str, meta: str, body: str) -> None:
        statement = sqlite_insert(SearchText).values(
            document_id=document_id, title=title, meta=meta, body=body
        )
        db.execute(
            statement.on_conflict_do_update(
                index_elements=[SearchText.document_id],
                set_={"title": title, "meta": meta, "body": body},
            )
        )
        db.execute(delete(FTS).where(FTS.c.rowid == document_id))
        db.execute(
            insert(FTS).values(
                rowid=document_id,
                title=_stem_text(title),
                meta=_stem_text(meta),
                body=_stem_text(body),
            )
        )

    def remove(self, db: Session, document_id: int) -> None:
        db.execute(delete(FTS).where(FTS.c.rowid == document_id))
        db.execute(delete(SearchText).where(SearchText.document_id == document_id))

    def query(
        self, db: Session, query: SearchQuery, filters: list[ColumnElement[bool]]
    ) -> RankedPage:
        match, wanted = match_expression(query.text)
        if not match:
            return RankedPage([], 0)
        base = (
            select(Document.id.label("id"), RANK.label("rank"))
            .select_from(FTS)
            .join(Document, Document.id == FTS.c.rowid)
            .join(Case, Case.id == Document.case_id)
            .join(File, File.id == Case.file_id)
            .where(literal_column("search_fts").op("MATCH")(match), *filters)
        )
        rows = db.execute(base.order_by("rank").limit(query.limit).offset(query.offset)).all()
        total = db.scalar(select(func.count()).select_from(base.subquery())) or 0
        ids = [RankedId(r.id, -float(r.rank)) for r in rows]
        bodies = dict(
            db.execute(
                select(SearchText.document_id, func.substr(SearchText.body, 1, SNIPPET_SCAN)).where(
                    SearchText.document_id.in_([r.document_id for r in ids])
                )
            ).all()
        )
        return RankedPage(ids, int(total), {i: snippet(b or "", wanted) for i, b in bodies.items()})
