"""workflow engine

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 13:12:54.705164
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "apscheduler_jobs",
        sa.Column("id", sa.String(length=191), nullable=False),
        sa.Column("next_run_time", sa.Double(), nullable=True),
        sa.Column("job_state", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_apscheduler_jobs")),
    )
    with op.batch_alter_table("apscheduler_jobs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_apscheduler_jobs_next_run_time"), ["next_run_time"], unique=False
        )

    op.create_table(
        "wf_definitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("bpmn_xml", sa.Text(), nullable=False),
        sa.Column("spec", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("deployed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deployed_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wf_definitions")),
        sa.UniqueConstraint("key", "version", name="uq_wf_definitions_version"),
    )
    with op.batch_alter_table("wf_definitions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wf_definitions_key"), ["key"], unique=False)
        batch_op.create_index(batch_op.f("ix_wf_definitions_sha256"), ["sha256"], unique=False)

    op.create_table(
        "wf_instances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("definition_id", sa.Integer(), nullable=False),
        sa.Column("business_key", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_by", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_wf_instances_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["definition_id"],
            ["wf_definitions.id"],
            name=op.f("fk_wf_instances_definition_id_wf_definitions"),
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_wf_instances_document_id_documents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wf_instances")),
    )
    with op.batch_alter_table("wf_instances", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_wf_instances_business_key"), ["business_key"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_wf_instances_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_wf_instances_definition_id"), ["definition_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_wf_instances_document_id"), ["document_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_wf_instances_status"), ["status"], unique=False)

    op.create_table(
        "wf_executions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("element_id", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("is_scope", sa.Boolean(), nullable=False),
        sa.Column("loop_index", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["wf_instances.id"],
            name=op.f("fk_wf_executions_instance_id_wf_instances"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["wf_executions.id"],
            name=op.f("fk_wf_executions_parent_id_wf_executions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wf_executions")),
    )
    with op.batch_alter_table("wf_executions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_wf_executions_instance_id"), ["instance_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_wf_executions_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "wf_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("element_id", sa.String(length=200), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=True),
        sa.Column(
            "details", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["wf_instances.id"],
            name=op.f("fk_wf_history_instance_id_wf_instances"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wf_history")),
    )
    with op.batch_alter_table("wf_history", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_wf_history_instance_id"), ["instance_id"], unique=False
        )

    op.create_table(
        "wf_variables",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("scope_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "value", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["wf_instances.id"],
            name=op.f("fk_wf_variables_instance_id_wf_instances"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wf_variables")),
        sa.UniqueConstraint("instance_id", "scope_id", "name", name="uq_wf_variables"),
    )
    with op.batch_alter_table("wf_variables", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_wf_variables_instance_id"), ["instance_id"], unique=False
        )

    op.create_table(
        "wf_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("definition_id", sa.Integer(), nullable=True),
        sa.Column("execution_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("element_id", sa.String(length=200), nullable=False),
        sa.Column("handler", sa.String(length=200), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("repeat", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["definition_id"],
            ["wf_definitions.id"],
            name=op.f("fk_wf_jobs_definition_id_wf_definitions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["wf_executions.id"],
            name=op.f("fk_wf_jobs_execution_id_wf_executions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["wf_instances.id"],
            name=op.f("fk_wf_jobs_instance_id_wf_instances"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wf_jobs")),
    )
    with op.batch_alter_table("wf_jobs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_wf_jobs_definition_id"), ["definition_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_wf_jobs_execution_id"), ["execution_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_wf_jobs_instance_id"), ["instance_id"], unique=False)
        batch_op.create_index("ix_wf_jobs_pending", ["status", "due_at"], unique=False)

    op.create_table(
        "wf_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("execution_id", sa.Integer(), nullable=True),
        sa.Column("element_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("assignee", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("follow_up_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("form", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
        sa.Column("documentation", sa.Text(), nullable=True),
        sa.Column("escalated", sa.Boolean(), nullable=False),
        sa.Column("delegated_from", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_by", sa.String(length=64), nullable=True),
        sa.Column("decision", sa.String(length=64), nullable=True),
        sa.Column("remark", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["wf_executions.id"],
            name=op.f("fk_wf_tasks_execution_id_wf_executions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["wf_instances.id"],
            name=op.f("fk_wf_tasks_instance_id_wf_instances"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wf_tasks")),
    )
    with op.batch_alter_table("wf_tasks", schema=None) as batch_op:
        batch_op.create_index("ix_wf_tasks_assignee_open", ["assignee", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_wf_tasks_instance_id"), ["instance_id"], unique=False)
        batch_op.create_index("ix_wf_tasks_status_due", ["status", "due_at"], unique=False)

    op.create_table(
        "wf_task_candidates",
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["wf_tasks.id"],
            name=op.f("fk_wf_task_candidates_task_id_wf_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("task_id", "kind", "value", name=op.f("pk_wf_task_candidates")),
    )
    with op.batch_alter_table("wf_task_candidates", schema=None) as batch_op:
        batch_op.create_index(
            "ix_wf_task_candidates_lookup", ["kind", "value", "task_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("wf_task_candidates", schema=None) as batch_op:
        batch_op.drop_index("ix_wf_task_candidates_lookup")

    op.drop_table("wf_task_candidates")
    with op.batch_alter_table("wf_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_wf_tasks_status_due")
        batch_op.drop_index(batch_op.f("ix_wf_tasks_instance_id"))
        batch_op.drop_index("ix_wf_tasks_assignee_open")

    op.drop_table("wf_tasks")
    with op.batch_alter_table("wf_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_wf_jobs_pending")
        batch_op.drop_index(batch_op.f("ix_wf_jobs_instance_id"))
        batch_op.drop_index(batch_op.f("ix_wf_jobs_execution_id"))
        batch_op.drop_index(batch_op.f("ix_wf_jobs_definition_id"))

    op.drop_table("wf_jobs")
    with op.batch_alter_table("wf_variables", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wf_variables_instance_id"))

    op.drop_table("wf_variables")
    with op.batch_alter_table("wf_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wf_history_instance_id"))

    op.drop_table("wf_history")
    with op.batch_alter_table("wf_executions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wf_executions_parent_id"))
        batch_op.drop_index(batch_op.f("ix_wf_executions_instance_id"))

    op.drop_table("wf_executions")
    with op.batch_alter_table("wf_instances", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wf_instances_status"))
        batch_op.drop_index(batch_op.f("ix_wf_instances_document_id"))
        batch_op.drop_index(batch_op.f("ix_wf_instances_definition_id"))
        batch_op.drop_index(batch_op.f("ix_wf_instances_case_id"))
        batch_op.drop_index(batch_op.f("ix_wf_instances_business_key"))

    op.drop_table("wf_instances")
    with op.batch_alter_table("wf_definitions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wf_definitions_sha256"))
        batch_op.drop_index(batch_op.f("ix_wf_definitions_key"))

    op.drop_table("wf_definitions")
    with op.batch_alter_table("apscheduler_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_apscheduler_jobs_next_run_time"))

    op.drop_table("apscheduler_jobs")
