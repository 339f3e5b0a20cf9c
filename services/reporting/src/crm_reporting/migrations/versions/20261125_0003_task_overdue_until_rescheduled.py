"""A task is overdue until it is done or rescheduled; interaction channels are free text.

`tasks.overdue` (once true, always true) becomes `tasks.overdue_due_at`, the due moment the
last overdue reminder was about: a task moved to a later date is no longer counted overdue.
Read models: run `crm reporting rebuild` after upgrading a database that held tasks.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_column("tasks", "overdue")
    op.add_column("tasks", sa.Column("overdue_due_at", sa.DateTime(timezone=True), nullable=True))
    op.alter_column("interactions", "channel", type_=sa.Text(), existing_nullable=True)


def downgrade() -> None:
    op.alter_column("interactions", "channel", type_=sa.String(16), existing_nullable=True)
    op.drop_column("tasks", "overdue_due_at")
    op.add_column(
        "tasks",
        sa.Column("overdue", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
