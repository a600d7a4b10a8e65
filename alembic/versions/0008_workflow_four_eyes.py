"""workflow: four-eyes exclusions for user tasks (owned by the invoice-approval work)

A user task may name earlier tasks whose completers may not work on it (``fourEyes``); the
people excluded are written beside the task when it is created, so the inbox leaves the task
out with one indexed lookup by user name.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 15:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wf_task_exclusions",
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("source_task_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["wf_tasks.id"],
            name=op.f("fk_wf_task_exclusions_task_id_wf_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("task_id", "username", name=op.f("pk_wf_task_exclusions")),
    )
    with op.batch_alter_table("wf_task_exclusions", schema=None) as batch_op:
        batch_op.create_index("ix_wf_task_exclusions_user", ["username", "task_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("wf_task_exclusions", schema=None) as batch_op:
        batch_op.drop_index("ix_wf_task_exclusions_user")
    op.drop_table("wf_task_exclusions")
