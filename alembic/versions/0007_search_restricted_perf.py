"""search: file id beside the text for restricted readers; the pending-text queue

* ``search_texts.file_id``: the document's file (Akte). A permission filter is a condition on
  files; with the file id on the search row, a restricted reader's search tests it without
  joining documents and cases for every candidate (see dms.search.postgres_fts). Backfilled.
* ``search_texts.pending_version_id``: the version whose text is still to be extracted and
  indexed (dms.services.text_queue); an import writes the row with it set and empty texts.
  Documents that had no search row at all get one now, queued, so the queue is complete.
* PostgreSQL: a btree index on (file_id, document_id), so that "newest matches in these
  files" can also start from the files when they hold few documents (chosen by measurement,
  see the module docstring of dms.search.postgres_fts).

The backfill rewrites every row of ``search_texts`` once (PostgreSQL recomputes the stored
tsvector on update): about a minute per 100,000 documents.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 15:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("search_texts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("file_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("pending_version_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_search_texts_file_id"), ["file_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_search_texts_pending_version_id"), ["pending_version_id"], unique=False
        )
    op.execute(
        "UPDATE search_texts SET file_id = (SELECT cases.file_id FROM documents"
        " JOIN cases ON cases.id = documents.case_id"
        " WHERE documents.id = search_texts.document_id)"
    )
    op.execute(
        "INSERT INTO search_texts (document_id, title, meta, body, file_id, pending_version_id)"
        " SELECT documents.id, '', '', '', cases.file_id,"
        " (SELECT max(versions.id) FROM versions WHERE versions.document_id = documents.id)"
        " FROM documents JOIN cases ON cases.id = documents.case_id"
        " WHERE NOT EXISTS (SELECT 1 FROM search_texts"
        " WHERE search_texts.document_id = documents.id)"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX ix_search_texts_file_document ON search_texts (file_id, document_id)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_search_texts_file_document")
    # Queued rows hold no text: without the column they would look indexed, so they go.
    op.execute("DELETE FROM search_texts WHERE pending_version_id IS NOT NULL")
    with op.batch_alter_table("search_texts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_search_texts_pending_version_id"))
        batch_op.drop_index(batch_op.f("ix_search_texts_file_id"))
        batch_op.drop_column("pending_version_id")
        batch_op.drop_column("file_id")
