"""Completeness per rep counts the standard fields events have stated, not all ten.

`customer.created.v1` states five of the ten fields a completeness score counts, so dividing
by ten read 0.5 for customers with every stated field filled. `customer_stage_counts` gets
`known_fields` (fields stated, filled or not), filled in here from `customer_facts.filled`,
which already holds one entry per stated field.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "customer_stage_counts",
        sa.Column("known_fields", sa.BigInteger(), server_default="0", nullable=False),
    )
    # The same buckets as the projection (domain.entities._customer): live, known customers.
    op.execute(
        """
        UPDATE customer_stage_counts AS c SET known_fields = k.known
        FROM (
            SELECT tenant_id, coalesce(branch_id, '') AS branch_id,
                   coalesce(owner_id, '') AS owner_id,
                   coalesce(lifecycle_stage, '') AS lifecycle_stage,
                   sum((SELECT count(*) FROM jsonb_object_keys(filled))) AS known
            FROM customer_facts WHERE known AND NOT deleted
            GROUP BY 1, 2, 3, 4
        ) AS k
        WHERE c.tenant_id = k.tenant_id AND c.branch_id = k.branch_id
          AND c.owner_id = k.owner_id AND c.lifecycle_stage = k.lifecycle_stage
        """
    )
    op.alter_column("customer_stage_counts", "known_fields", server_default=None)


def downgrade() -> None:
    op.drop_column("customer_stage_counts", "known_fields")
