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
    total: int
    snippets: dict[int, str] = field(default_factory=dict)  # HTML-safe, <mark> around matches


class SearchBackend(Protocol):
    def index(self, db: Session, document_id: int, title: str, meta: str, body: str) -> None: ...

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
