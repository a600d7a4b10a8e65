"""Migrations run both ways on both dialects, and the models match what they create."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import ingest.models  # noqa: F401 - the mailroom tables share the metadata
import workflows.models  # noqa: F401 - the engine tables share the metadata
from dms.db import make_engine
from dms.migrations import downgrade, upgrade
from dms.models import Base

FTS_SHADOW = {"search_fts", "search_fts_data", "search_fts_idx", "search_fts_content",
              "search_fts_docsize", "search_fts_config"}


def _ignored(diff: tuple) -> bool:  # type: ignore[type-arg]
    kind = diff[0]
    if kind == "remove_table" and diff[1].name in FTS_SHADOW:
        return True
    # the generated tsvector column and its index exist in PostgreSQL only, made by hand in 0001
    if kind == "remove_index" and diff[1].name.startswith("ix_search_texts_"):
        return True
    return kind == "remove_column" and diff[3].name == "tsv"


def test_models_match_migrations(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = [d for d in compare_metadata(context, Base.metadata) if not _ignored(d)]
    engine.dispose()
    assert diffs == []


def test_downgrade_to_base_and_up_again(database_url: str) -> None:
    downgrade(database_url, "base")
    engine = make_engine(database_url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    upgrade(database_url)
    engine = make_engine(database_url)
    assert "documents" in inspect(engine).get_table_names()
    engine.dispose()
