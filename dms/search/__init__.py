"""Full-text search behind one interface: SQLite FTS5 (embedded) and PostgreSQL (`german`).

Both backends read the shared `search_texts` table (title, metadata, text of the current
version). Callers pass the visibility condition in, so a hit is never shown to a user who
could not open the document.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import True_


@dataclass(frozen=True)
class SearchQuery:
    text: str
    office_id: int | None = None
    plan_node_ids: tuple[int, ...] = ()  # a node and its descendants, resolved by the caller
    date_from: date | None = None
    date_to: date | None = None
    doc_type: str | None = None
    limit: int = 20
    offset: int = 0


@dataclass(frozen=True)
class RankedId:
    document_id: int
    score: float


@dataclass(frozen=True)
class RankedPage:
    ids: list[RankedId]
    total: int  # visible matches; with total_exact False a lower bound ("more than total")
    snippets: dict[int, str] = field(default_factory=dict)  # HTML-safe, <mark> around matches
    total_exact: bool = True


# A search never looks at more than this many matches per query: with more, the total is
# reported as "more than TOTAL_CAP" and ranking works on bounded candidate sets (the newest
# CANDIDATE_POOL visible matches plus the newest TITLE_POOL whose title matches), so that a
# word found in half of 100,000 documents costs no more than one found in a thousand.
TOTAL_CAP = 1000
CANDIDATE_POOL = TOTAL_CAP
TITLE_POOL = 100
# Snippets look at the first SNIPPET_SCAN characters of a document's text only (~15 pages).
SNIPPET_SCAN = 50_000


def unrestricted(filters: list[ColumnElement[bool]]) -> bool:
    """Whether the filters are all literally TRUE (an administrator without facets)."""
    return all(isinstance(f, True_) for f in filters)


def merge_ranked(
    ranked: list[RankedId], title_ranked: list[RankedId], offset: int, limit: int
) -> list[RankedId]:
    """One page from bounded candidate sets: documents whose title matches first (best first),
    then the other candidates by score; newer documents first among equal scores."""

    def order(r: RankedId) -> tuple[float, int]:
        return (-r.score, -r.document_id)

    seen = {r.document_id for r in title_ranked}
    merged = sorted(title_ranked, key=order)
    merged += sorted((r for r in ranked if r.document_id not in seen), key=order)
    return merged[offset : offset + limit]


class SearchBackend(Protocol):
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
        """Write the entry of ``document_id`` (an upsert; ``file_id``: the document's file)."""

    def remove(self, db: Session, document_id: int) -> None: ...

    def query(
        self, db: Session, query: SearchQuery, filters: list[ColumnElement[bool]]
    ) -> RankedPage: ...


def backend_for(dialect: str) -> SearchBackend:
    if dialect == "sqlite":
        from dms.search.sqlite_fts import SqliteFts

        return SqliteFts()
    if dialect == "postgresql":
        from dms.search.postgres_fts import PostgresFts

        return PostgresFts()
    raise ValueError(f"no search backend for database dialect {dialect!r}")
