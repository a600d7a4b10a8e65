"""inbox performance (owned by the engine/inbox performance work)

The inbox reads three access paths, each from one index in due-date order: own tasks and
the tasks of colleagues one stands in for (partial index on wf_tasks by assignee over open
tasks), and tasks offered to one's groups or to oneself (wf_task_candidates, which now
carries the task's "offered" state and due date, with a partial covering index over the rows
still offered). Existing candidate rows are backfilled from their tasks.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 16:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("wf_task_candidates", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("offered", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.add_column(sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
    # backfill: offered while the task is open and nobody has claimed it
    op.execute(
        "UPDATE wf_task_candidates SET "
        "offered = EXISTS (SELECT 1 FROM wf_tasks t WHERE t.id = wf_task_candidates.task_id "
        "AND t.status = 'open' AND t.assignee IS NULL), "
        "due_at = (SELECT t.due_at FROM wf_tasks t WHERE t.id = wf_task_candidates.task_id)"
    )
    with op.batch_alter_table("wf_task_candidates", schema=None) as batch_op:
        batch_op.create_index(
            "ix_wf_task_candidates_offered_due",
            ["kind", "value", "due_at", "task_id"],
            unique=False,
            postgresql_where=sa.text("offered"),
            sqlite_where=sa.text("offered"),
        )
    with op.batch_alter_table("wf_tasks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_wf_tasks_open_assignee_due",
            ["assignee", "due_at", "id"],
            unique=False,
            postgresql_where=sa.text("status = 'open'"),
            sqlite_where=sa.text("status = 'open'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("wf_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_wf_tasks_open_assignee_due")
    with op.batch_alter_table("wf_task_candidates", schema=None) as batch_op:
        batch_op.drop_index("ix_wf_task_candidates_offered_due")
        batch_op.drop_column("due_at")
        batch_op.drop_column("offered")
