"""Customer owners remember the sequence of the event that set the name and the owner, so
an older event redelivered after a newer one (after a broker loss) cannot overwrite them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for column in ("name_sequence", "owner_sequence"):
        op.add_column(
            "customer_owners",
            sa.Column(column, sa.BigInteger(), server_default="0", nullable=False),
        )


def downgrade() -> None:
    for column in ("owner_sequence", "name_sequence"):
        op.drop_column("customer_owners", column)
