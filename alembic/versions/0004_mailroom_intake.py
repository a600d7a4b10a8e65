"""mailroom intake

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 13:46:46.162312
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ingest_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_name", sa.String(length=300), nullable=False),
        sa.Column("device", sa.String(length=100), nullable=True),
        sa.Column("operator", sa.String(length=64), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("mime_type", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("page_count", sa.Integer(), nullable=True),
        sa.Column("blank_pages", sa.Integer(), nullable=True),
        sa.Column("letter_count", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column(
            "quality", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_batches")),
    )
    with op.batch_alter_table("ingest_batches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ingest_batches_sha256"), ["sha256"], unique=False)
        batch_op.create_index("ix_ingest_batches_status", ["status", "id"], unique=False)

    op.create_table(
        "ingest_letters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("register_number", sa.String(length=32), nullable=False),
        sa.Column(
            "pages", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("ocr_confidence", sa.Double(), nullable=True),
        sa.Column(
            "extraction", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
        ),
        sa.Column(
            "routing", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
        ),
        sa.Column("needs_review", sa.Boolean(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column(
            "transfer_note", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
        ),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("filed_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["ingest_batches.id"],
            name=op.f("fk_ingest_letters_batch_id_ingest_batches"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_ingest_letters_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_ingest_letters_document_id_documents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_letters")),
        sa.UniqueConstraint("register_number", name=op.f("uq_ingest_letters_register_number")),
    )
    with op.batch_alter_table("ingest_letters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ingest_letters_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_ingest_letters_pdf_sha256"), ["pdf_sha256"], unique=False
        )
        batch_op.create_index("ix_ingest_letters_status", ["status", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ingest_letters", schema=None) as batch_op:
        batch_op.drop_index("ix_ingest_letters_status")
        batch_op.drop_index(batch_op.f("ix_ingest_letters_pdf_sha256"))
        batch_op.drop_index(batch_op.f("ix_ingest_letters_batch_id"))

    op.drop_table("ingest_letters")
    with op.batch_alter_table("ingest_batches", schema=None) as batch_op:
        batch_op.drop_index("ix_ingest_batches_status")
        batch_op.drop_index(batch_op.f("ix_ingest_batches_sha256"))

    op.drop_table("ingest_batches")
