"""PostgreSQL backend: generated tsvector (`german` configuration) with a GIN index.

Nothing here reads or ranks every match. For a frequent word that would mean de-TOASTing
tens of thousands of ~3 KB tsvectors, and the planner, which does not know that cost, likes a
sequential scan (or a backward primary-key scan that checks every row) for such words: up to a
second per query. Instead (see migration 0003 for the indexes):

1. Candidates: the ids of the newest CANDIDATE_POOL + 1 matches (x WIDEN for a user who sees
   only part of the files), from the GIN index alone: for a frequent word only among the
   newest documents, by AND'ing the query with id-bucket lexemes. The planner's other
   choices are switched off for these statements. Plus the newest TITLE_POOL documents
   with a query word in the title (their own GIN index).
2. Visibility: which of those the user may see (primary-key lookups), widening the candidate
   set once if too few are visible to fill the page.
3. Ranking: ts_rank_cd for the newest RANK_POOL visible candidates and the title candidates
   only; title matches first (dms.search.merge_ranked).
4. Count: exact up to CANDIDATE_POOL visible matches, then "more than CANDIDATE_POOL"; a
   capped count query only when the candidates cannot tell.

Snippets are made in Python (dms.content.german.snippet, as on SQLite) from the first
SNIPPET_SCAN characters: cheaper than ts_headline and the same on both backends.
"""

from __future__ import annotations

from sqlalchemy import (
    ColumnElement,
    Integer,
    bindparam,
    cast,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSQUERY, insert
from sqlalchemy.orm import Session

from dms.content.german import snippet, stems, tokens
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

CONFIG = literal_column("'german'::regconfig")
TSV = literal_column("search_texts.tsv")
# The tsvector plus lexemes naming the document's id buckets at three sizes ('#a97': ids
# 97*1024 ..., '#b12': 12*8192 ..., '#c1': 65536 ...): the expression of the GIN index
# ix_search_texts_tsv_bucket (migration 0003; keep both the same or the index goes unused).
BUCKET = 1024
BUCKETED = literal_column(
    "(search_texts.tsv || array_to_tsvector(ARRAY["
    "'#a' || (search_texts.document_id / 1024)::text, "
    "'#b' || (search_texts.document_id / 8192)::text, "
    "'#c' || (search_texts.document_id / 65536)::text]))"
)
TITLE_TSV = func.to_tsvector(CONFIG, SearchText.title)  # ix_search_texts_title_tsv (0003)
# ts_rank_cd reads the whole tsvector (~3 KB, from TOAST): only this many candidates are ranked.
RANK_POOL = 200
# Restricted users start with WIDEN times the candidates (or window), and widen by WIDEN**2
# once if too few of them are visible to fill the page.
WIDEN = 5
# For the candidate statements only: a GIN bitmap scan and nothing else. Without JIT: with
# paths switched off, estimated costs are huge and would trigger a useless JIT compile.
_NO_SEQSCAN = {"enable_seqscan": "off", "max_parallel_workers_per_gather": "0", "jit": "off"}
_BITMAP_ONLY = {**_NO_SEQSCAN, "enable_indexscan": "off"}
_COUNT = {**_NO_SEQSCAN, "enable_hashjoin": "off", "enable_mergejoin": "off"}


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
        words = tokens(query.text)
        if not words:
            return RankedPage([], 0)
        need = query.offset + query.limit
        pool = max(CANDIDATE_POOL, need)

        params = {"q": query.text, "any": " or ".join(dict.fromkeys(words))}
        restricted = not unrestricted(filters)
        top, expected = _shape(db, query.text)
        with _planner(db, _BITMAP_ONLY):
            titled = list(db.scalars(_newest_title_matches(max(TITLE_POOL, need)), params))
        title_visible = _visible(db, titled, filters)
        title_ids = [i for i in titled if i in title_visible]

        main: list[int] = []
        exhausted = False
        # A restricted user sees a share of the matches: start wider, so that one round
        # usually finds enough visible ones for the page and for the count.
        size = (pool + 1) * (WIDEN if restricted else 1)
        if expected > 4 * size:  # a frequent word: look at the newest documents only
            with _planner(db, _BITMAP_ONLY):
                newest = _newest_windowed(db, tsq, params, size, top, expected)
            if newest is not None:
                visible = _visible(db, newest, filters)
                main = [i for i in newest if i in visible]
        if len(main) < need:  # few matches, or few of the newest are visible
            for _round in range(2):
                with _planner(db, _BITMAP_ONLY):
                    newest = list(db.scalars(_newest_matches(tsq, size), params))
                visible = _visible(db, newest, filters)
                main = [i for i in newest if i in visible]
                exhausted = len(newest) < size
                if exhausted or len(main) >= need:
                    break
                size *= WIDEN * WIDEN  # few visible: one more, wider round

        if len(main) > pool:
            total, exact = pool, False
        elif exhausted:
            total, exact = len(main), True
        else:
            total = _count(db, tsq, query.text, filters, pool + 1)
            exact = total <= pool
            total = min(total, pool)

        ranked_ids = main[: max(RANK_POOL, need)]
        scores = _scores(db, tsq, query.text, set(ranked_ids) | set(title_ids))
        ids = merge_ranked(
            [RankedId(i, scores[i]) for i in ranked_ids if i in scores],
            [RankedId(i, scores[i]) for i in title_ids if i in scores],
            query.offset,
            query.limit,
        )
        if not ids:
            return RankedPage([], total, total_exact=exact)
        wanted = set(stems(query.text))
        bodies = db.execute(
            select(SearchText.document_id, func.substr(SearchText.body, 1, SNIPPET_SCAN)).where(
                SearchText.document_id.in_([r.document_id for r in ids])
            )
        ).all()
        snippets = {i: snippet(b or "", wanted, scan_chars=SNIPPET_SCAN) for i, b in bodies}
        return RankedPage(ids, total, snippets, total_exact=exact)


class _planner:
    """Transaction-local planner settings for a few statements, restored afterwards."""

    def __init__(self, db: Session, settings: dict[str, str]) -> None:
        self.db = db
        self.settings = settings
        self.saved: dict[str, str] = {}

    def __enter__(self) -> None:
        # One round trip: a target list is evaluated left to right, so each current_setting()
        # reads the value before the set_config() further right changes it.
        names = list(self.settings)
        row = self.db.execute(
            text(
                "SELECT "
                + ", ".join(f"current_setting('{n}')" for n in names)
                + ", "
                + _set_calls(names)
            ),
            {f"v{i}": value for i, value in enumerate(self.settings.values())},
        ).one()
        self.saved = dict(zip(names, row[: len(names)], strict=True))

    def __exit__(self, exc_type: object, *_: object) -> None:
        if exc_type is None:  # after an error the transaction rolls back, and SET LOCAL with it
            self.db.execute(
                text("SELECT " + _set_calls(list(self.saved))),
                {f"v{i}": value for i, value in enumerate(self.saved.values())},
            )


def _set_calls(names: list[str]) -> str:
    return ", ".join(f"set_config('{name}', :v{i}, true)" for i, name in enumerate(names))


def _newest_matches(tsq, limit: int, buckets: str | None = None):  # type: ignore[no-untyped-def]
    condition = tsq if buckets is None else tsq.op("&&")(cast(buckets, TSQUERY))
    statement = select(SearchText.document_id).where(BUCKETED.op("@@")(condition))
    if buckets is not None:  # an empty query AND buckets would be just the buckets
        statement = statement.where(func.numnode(tsq) > 0)
    return statement.order_by(SearchText.document_id.desc()).limit(limit)


def _newest_windowed(  # type: ignore[no-untyped-def]
    db: Session, tsq, params: dict[str, str], size: int, top: int, expected: int
) -> list[int] | None:
    """Ids of the newest ``size`` matches, newest first; None if the windows found fewer.

    The index is asked for the matches among the newest documents only (the query AND'ed
    with their bucket lexemes, see migration 0003), in a window of ids that should hold
    twice ``size`` matches by the planner's estimate of their share, growing x8 until it
    holds ``size``. Only the rows inside the window are read, instead of every match.
    """
    window = 2 * size * top // max(expected, 1)
    while window < top:
        buckets = bucket_query(max(0, top - window), top)
        found = list(db.scalars(_newest_matches(tsq, size, buckets), params))
        if len(found) >= size:
            return found
        window *= 8
    return None


def bucket_query(low: int, high: int) -> str:
    """A tsquery matching the bucket lexemes of every id from ``low`` (rounded down) to
    ``high``, in few terms: the fewer OR'ed terms, the faster GIN intersects them with the
    words (each term costs per matching row). Runs of 8 small buckets become one middle one,
    runs of 8 middle ones one large one."""
    terms = []
    position, floor = high // BUCKET, low // BUCKET
    floor -= floor % (64 if position - floor >= 64 else 8)
    while position >= floor:
        if position % 64 == 63 and position - 63 >= floor:
            terms.append(f"'#c{position // 64}'")
            position -= 64
        elif position % 8 == 7 and position - 7 >= floor:
            terms.append(f"'#b{position // 8}'")
            position -= 8
        else:
            terms.append(f"'#a{position}'")
            position -= 1
    return " | ".join(terms)


def _shape(db: Session, q: str) -> tuple[int, int]:
    """The highest document id, and the planner's estimate of the number of matches (from
    the tsvector statistics; good enough to size a window)."""
    top = int(db.scalar(select(func.max(SearchText.document_id))) or 0)
    plan = db.scalar(
        text(
            "EXPLAIN (FORMAT JSON) SELECT 1 FROM search_texts"
            " WHERE tsv @@ websearch_to_tsquery('german'::regconfig, :q)"
        ),
        {"q": q},
    )
    return top, int(plan[0]["Plan"]["Plan Rows"])


def _newest_title_matches(limit: int):  # type: ignore[no-untyped-def]
    """Documents with at least one query word in the title; whether they match the whole
    query is checked when they are ranked."""
    any_word = func.websearch_to_tsquery(CONFIG, bindparam("any"))
    return (
        select(SearchText.document_id)
        .where(TITLE_TSV.op("@@")(any_word))
        .order_by(SearchText.document_id.desc())
        .limit(limit)
    )


def _visible(db: Session, ids: list[int], filters: list[ColumnElement[bool]]) -> set[int]:
    if not ids:
        return set()
    if unrestricted(filters):  # every search_texts row belongs to a document (foreign key)
        return set(ids)
    return set(
        db.scalars(
            select(Document.id)
            .join(Case, Case.id == Document.case_id)
            .join(File, File.id == Case.file_id)
            .where(Document.id == func.any(bindparam("ids", type_=ARRAY(Integer))), *filters),
            {"ids": ids},
        )
    )


def _count(db: Session, tsq, q: str, filters: list[ColumnElement[bool]], cap: int) -> int:  # type: ignore[no-untyped-def]
    """Visible matches, counting stops at ``cap``."""
    capped = (
        select(literal_column("1"))
        .select_from(SearchText)
        .join(Document, Document.id == SearchText.document_id)
        .join(Case, Case.id == Document.case_id)
        .join(File, File.id == Case.file_id)
        .where(BUCKETED.op("@@")(tsq), *filters)
        .limit(cap)
        .subquery()
    )
    # A GIN bitmap scan in table order with nested-loop lookups, which stops after ``cap``
    # visible rows; a hash join would first read every match.
    with _planner(db, _COUNT):
        return int(db.scalar(select(func.count()).select_from(capped), {"q": q}) or 0)


def _scores(db: Session, tsq, q: str, ids: set[int]) -> dict[int, float]:  # type: ignore[no-untyped-def]
    """ts_rank_cd of those ``ids`` that match the whole query."""
    if not ids:
        return {}
    rows = db.execute(
        select(SearchText.document_id, func.ts_rank_cd(TSV, tsq)).where(
            SearchText.document_id == func.any(bindparam("ids", type_=ARRAY(Integer))),
            TSV.op("@@")(tsq),
        ),
        {"q": q, "ids": sorted(ids)},
    ).all()
    return {doc_id: float(rank) for doc_id, rank in rows}
