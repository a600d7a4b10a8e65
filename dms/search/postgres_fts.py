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
2. Visibility: a reader's file conditions (office, shares, role; and the office and file-plan
   facets) are turned into the list of their visible files first (the files table is small),
   and the candidate statements above carry ``file_id = ANY(files)`` on ``search_texts``
   itself (migration 0007), so candidates are visible ones and nothing is joined for them.
   Measured on the bench's 100,000 documents, clerk seeing 25%, a word in 85% of them: the
   newest 1,001 visible matches in 8-14 ms, against 10-20 ms for the 5,005 unfiltered
   candidates the old way needed plus 10 ms to look up their visibility through documents,
   cases and files. Date and document-type facets are conditions on documents: only those
   are still checked by primary-key lookups, widening the candidate set once if too few pass.
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
from sqlalchemy.sql import TableClause
from sqlalchemy.sql import util as sql_util

from dms.content.german import snippet, stems, tokens
from dms.models import Document, File, SearchText
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
        body = body.replace("\x00", "")
        statement = insert(SearchText).values(
            document_id=document_id, title=title, meta=meta, body=body, file_id=file_id
        )
        db.execute(
            statement.on_conflict_do_update(
                index_elements=[SearchText.document_id],
                set_={"title": title, "meta": meta, "body": body, "file_id": file_id},
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

        file_filters, document_filters = _split(filters)
        files = None
        if not unrestricted(file_filters):
            files = list(db.scalars(select(File.id).where(*file_filters)))
            if not files:
                return RankedPage([], 0)
        params: dict[str, object] = {"q": query.text, "any": " or ".join(dict.fromkeys(words))}
        if files is not None:
            params["files"] = files
        restricted = bool(document_filters)
        top, expected = _shape(db, query.text, files)
        with _planner(db, _BITMAP_ONLY):
            titled = list(
                db.scalars(_newest_title_matches(max(TITLE_POOL, need), files), params)
            )
        title_visible = _visible(db, titled, document_filters)
        title_ids = [i for i in titled if i in title_visible]

        main: list[int] = []
        exhausted = False
        # Date or type facets pass a share of the matches: start wider, so that one round
        # usually finds enough for the page and for the count.
        size = (pool + 1) * (WIDEN if restricted else 1)
        if expected > 4 * size:  # a frequent word: look at the newest documents only
            with _planner(db, _BITMAP_ONLY):
                newest = _newest_windowed(db, tsq, params, size, top, expected, files)
            if newest is not None:
                visible = _visible(db, newest, document_filters)
                main = [i for i in newest if i in visible]
        if len(main) < need:  # few matches, or few of the newest pass the facets
            for _round in range(2):
                with _planner(db, _BITMAP_ONLY):
                    newest = list(db.scalars(_newest_matches(tsq, size, None, files), params))
                visible = _visible(db, newest, document_filters)
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
            total = _count(db, tsq, params, files, document_filters, pool + 1)
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


def _split(
    filters: list[ColumnElement[bool]],
) -> tuple[list[ColumnElement[bool]], list[ColumnElement[bool]]]:
    """Conditions on files (and their shares) apart from those on documents. Anything else
    is refused loudly: a condition this backend cannot place must not be dropped silently."""
    on_files, on_documents = [], []
    for condition in filters:
        found = sql_util.find_tables(condition, check_columns=True, include_selects=True)
        names = {t.name for t in found if isinstance(t, TableClause)}
        if names <= {"files", "file_shares"}:
            on_files.append(condition)
        elif names == {"documents"}:
            on_documents.append(condition)
        else:
            raise ValueError(f"search filter over {sorted(names)} not supported")
    return on_files, on_documents


def _in_files(files: list[int] | None) -> list[ColumnElement[bool]]:
    if files is None:
        return []
    return [SearchText.file_id == func.any(bindparam("files", type_=ARRAY(Integer)))]


def _newest_matches(tsq, limit: int, buckets: str | None = None, files: list[int] | None = None):  # type: ignore[no-untyped-def]
    condition = tsq if buckets is None else tsq.op("&&")(cast(buckets, TSQUERY))
    statement = select(SearchText.document_id).where(
        BUCKETED.op("@@")(condition), *_in_files(files)
    )
    if buckets is not None:  # an empty query AND buckets would be just the buckets
        statement = statement.where(func.numnode(tsq) > 0)
    return statement.order_by(SearchText.document_id.desc()).limit(limit)


def _newest_windowed(  # type: ignore[no-untyped-def]
    db: Session,
    tsq,
    params: dict[str, object],
    size: int,
    top: int,
    expected: int,
    files: list[int] | None = None,
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
        found = list(db.scalars(_newest_matches(tsq, size, buckets, files), params))
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


def _shape(db: Session, q: str, files: list[int] | None = None) -> tuple[int, int]:
    """The highest document id, and the planner's estimate of the number of (visible) matches
    (from the tsvector and file_id statistics; good enough to size a window)."""
    top = int(db.scalar(select(func.max(SearchText.document_id))) or 0)
    in_files = "" if files is None else " AND file_id = ANY(CAST(:files AS integer[]))"
    plan = db.scalar(
        text(
            "EXPLAIN (FORMAT JSON) SELECT 1 FROM search_texts"
            " WHERE tsv @@ websearch_to_tsquery('german'::regconfig, :q)" + in_files
        ),
        {"q": q} if files is None else {"q": q, "files": files},
    )
    return top, int(plan[0]["Plan"]["Plan Rows"])


def _newest_title_matches(limit: int, files: list[int] | None = None):  # type: ignore[no-untyped-def]
    """Documents with at least one query word in the title; whether they match the whole
    query is checked when they are ranked."""
    any_word = func.websearch_to_tsquery(CONFIG, bindparam("any"))
    return (
        select(SearchText.document_id)
        .where(TITLE_TSV.op("@@")(any_word), *_in_files(files))
        .order_by(SearchText.document_id.desc())
        .limit(limit)
    )


def _visible(db: Session, ids: list[int], document_filters: list[ColumnElement[bool]]) -> set[int]:
    """Which of ``ids`` (already in the reader's files) pass the document facets."""
    if not ids:
        return set()
    if not document_filters:
        return set(ids)
    return set(
        db.scalars(
            select(Document.id).where(
                Document.id == func.any(bindparam("ids", type_=ARRAY(Integer))),
                *document_filters,
            ),
            {"ids": ids},
        )
    )


def _count(  # type: ignore[no-untyped-def]
    db: Session,
    tsq,
    params: dict[str, object],
    files: list[int] | None,
    document_filters: list[ColumnElement[bool]],
    cap: int,
) -> int:
    """Visible matches, counting stops at ``cap``."""
    statement = (
        select(literal_column("1"))
        .select_from(SearchText)
        .where(BUCKETED.op("@@")(tsq), *_in_files(files))
    )
    if document_filters:
        statement = statement.join(Document, Document.id == SearchText.document_id).where(
            *document_filters
        )
    capped = statement.limit(cap).subquery()
    # A GIN bitmap scan in table order with nested-loop lookups, which stops after ``cap``
    # visible rows; a hash join would first read every match.
    with _planner(db, _COUNT):
        return int(db.scalar(select(func.count()).select_from(capped), params) or 0)


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
