"""Service survey answers and the satisfaction coefficients of the company policy.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
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
        "survey_scores",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("survey_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("weighted", sa.Float(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "survey_id", name=op.f("pk_survey_scores")),
    )
    op.create_index(
        op.f("ix_survey_scores_tenant_id_customer_id"),
        "survey_scores",
        ["tenant_id", "customer_id"],
    )
    op.add_column(
        "tenant_policies",
        sa.Column(
            "satisfaction_coefficients",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
    )


def downgrade() -> None:
    op.drop_column("tenant_policies", "satisfaction_coefficients")
    op.drop_index(op.f("ix_survey_scores_tenant_id_customer_id"), table_name="survey_scores")
    op.drop_table("survey_scores")
