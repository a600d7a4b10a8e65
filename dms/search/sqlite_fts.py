"""SQLite FTS5 backend. FTS5 has no German stemmer, so we index Snowball stems ourselves
(PyStemmer) and render snippets in Python from the original text.

Queries never rank or count every match: bm25 costs ~1-2 µs per matching row and a join to
documents/cases/files about as much again, i.e. ~100 ms for a word found in 60,000 of
100,000 documents. Instead FTS5 walks the matches newest first (its rowid order, which is the
document id) through the visibility joins and stops after CANDIDATE_POOL + 1 visible ones;
bm25 is computed only for those. A second, equally bounded walk collects the newest
TITLE_POOL visible matches with a query word in the title, which rank first. With at most
CANDIDATE_POOL visible matches the ranking is exact; with more, the total is reported as
"more than CANDIDATE_POOL" and the page is the best of the candidates.
"""

from __future__ import annotations

from sqlalchemy import (
    ColumnElement,
    Select,
    column,
    delete,
    func,
    insert,
    literal_column,
    select,
    table,
)
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from dms.content.german import snippet, stems
from dms.models import Case, Document, File, SearchText
from dms.search import (
    CANDIDATE_POOL,
    SNIPPET_SCAN,
    TITLE_POOL,
    RankedId,
    RankedPage,
    SearchQuery,
    merge_ranked,
    unrestricted,
)

FTS = table("search_fts", column("rowid"), column("title"), column("meta"), column("body"))
# bm25 column weights: a word in the title counts most, then metadata, then the body.
RANK = func.bm25(literal_column("search_fts"), 10.0, 4.0, 1.0)
MATCH = literal_column("search_fts").op("MATCH")


def _stem_text(value: str) -> str:
    return " ".join(stems(value))


def _quoted(terms: list[str]) -> list[str]:
    return ['"' + t.replace('"', '""') + '"' for t in terms]


def match_expression(text: str) -> tuple[str, set[str]]:
    """FTS5 query: every stem must occur (AND), each quoted so no operator leaks in."""
    terms = list(dict.fromkeys(stems(text)))
    return " ".join(_quoted(terms)), set(terms)


def title_match_expression(text: str) -> str:
    """Like match_expression, and at least one of the stems in the title column."""
    terms = _quoted(list(dict.fromkeys(stems(text))))
    if not terms:
        return ""
    return f"({' '.join(terms)}) AND {{title}} : ({' OR '.join(terms)})"


class SqliteFts:
    def index(
        self,
        db: Session,
        document_id: int,
        title: str,
        meta: str,
        body: str,
        *,
        file_id: int,
    ) -> None:
        statement = sqlite_insert(SearchText).values(
            document_id=document_id, title=title, meta=meta, body=body, file_id=file_id
        )
        db.execute(
            statement.on_conflict_do_update(
                index_elements=[SearchText.document_id],
                set_={"title": title, "meta": meta, "body": body, "file_id": file_id},
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
        need = query.offset + query.limit
        pool = max(CANDIDATE_POOL, need)
        rows = db.execute(_candidates(match, filters, pool + 1)).all()
        exact = len(rows) <= pool
        ranked = [RankedId(r.id, -float(r.rank)) for r in rows[:pool]]
        title_rows = db.execute(
            _candidates(title_match_expression(query.text), filters, max(TITLE_POOL, need))
        ).all()
        title_ranked = [RankedId(r.id, -float(r.rank)) for r in title_rows]
        ids = merge_ranked(ranked, title_ranked, query.offset, query.limit)
        total = len(ranked) if exact else pool
        if not ids:
            return RankedPage([], total, total_exact=exact)
        bodies = dict(
            db.execute(
                select(SearchText.document_id, func.substr(SearchText.body, 1, SNIPPET_SCAN)).where(
                    SearchText.document_id.in_([r.document_id for r in ids])
                )
            ).all()
        )
        snippets = {i: snippet(b or "", wanted, scan_chars=SNIPPET_SCAN) for i, b in bodies.items()}
        return RankedPage(ids, total, snippets, total_exact=exact)


def _candidates(match: str, filters: list[ColumnElement[bool]], limit: int) -> Select:
    """The newest ``limit`` visible matches with their bm25 score (lower is better).

    ORDER BY rowid DESC is served by FTS5 itself, so the joins run only until ``limit``
    visible rows are found, and bm25 is evaluated for those rows alone. Without restricting
    filters (an administrator) the joins are left out: every indexed row is a document, and
    the service drops a hit whose document is gone.
    """
    statement = select(FTS.c.rowid.label("id"), RANK.label("rank")).select_from(FTS)
    if not unrestricted(filters):
        statement = (
            statement.join(Document, Document.id == FTS.c.rowid)
            .join(Case, Case.id == Document.case_id)
            .join(File, File.id == Case.file_id)
            .where(*filters)
        )
    return statement.where(MATCH(match)).order_by(FTS.c.rowid.desc()).limit(limit)
