"""deputies indexes: the Vertretungen an actor holds are read on every request

Since file access follows an active Vertretung (dms.services.access), every request resolves
whom the actor stands in for; the inbox asks who stands in for whom. Both go by an index now
instead of scanning the table.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-25 20:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deputies", schema=None) as batch_op:
        batch_op.create_index("ix_deputies_deputy_user_id", ["deputy_user_id", "starts_on"])
        batch_op.create_index("ix_deputies_absent_user_id", ["absent_user_id", "starts_on"])


def downgrade() -> None:
    with op.batch_alter_table("deputies", schema=None) as batch_op:
        batch_op.drop_index("ix_deputies_absent_user_id")
        batch_op.drop_index("ix_deputies_deputy_user_id")
