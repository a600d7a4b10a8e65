"""renditions: derived copies beside a version (the OCR'd reading copy of a signed scan);
the blobs a mailroom letter holds until it is filed

A signed PDF is never rewritten; when its pages are only images, its searchable PDF/A copy
(Lesefassung) is stored beside the version, and search reads the copy's text. An e-mail
letter's prepared attachments (and reading copies) are listed in ingest_letter_blobs, so
`dms fsck --repair` does not sweep them while the letter waits in review.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25 18:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "renditions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("mime_type", sa.String(length=100), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("page_count", sa.Integer(), nullable=True),
        sa.Column("text_method", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"], ["versions.id"], name=op.f("fk_renditions_version_id_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_renditions")),
        sa.UniqueConstraint("version_id", "kind", name="uq_renditions_version_kind"),
    )
    with op.batch_alter_table("renditions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_renditions_sha256"), ["sha256"], unique=False)
    op.create_table(
        "ingest_letter_blobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("letter_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["letter_id"], ["ingest_letters.id"],
            name=op.f("fk_ingest_letter_blobs_letter_id_ingest_letters"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_letter_blobs")),
        sa.UniqueConstraint("letter_id", "sha256", name="uq_ingest_letter_blobs_letter_sha256"),
    )
    with op.batch_alter_table("ingest_letter_blobs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ingest_letter_blobs_sha256"), ["sha256"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("ingest_letter_blobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ingest_letter_blobs_sha256"))
    op.drop_table("ingest_letter_blobs")
    with op.batch_alter_table("renditions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_renditions_sha256"))
    op.drop_table("renditions")
