"""Sales: customer facts, configuration, products, opportunities, quotes, orders, contracts,
tasks, expenses, campaigns.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Unconstrained NUMERIC keeps the scale a value was written with (100, 99.50, 12.3456).
MONEY = sa.Numeric()
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "customer_facts",
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text()),
        sa.Column("owner_id", sa.String(128)),
        sa.Column("branch_id", sa.String(64)),
        sa.Column("name_sequence", sa.Integer(), nullable=False),
        sa.Column("owner_sequence", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("merged_into", sa.Uuid()),
        sa.Column("deleted_at", TIMESTAMP),
        sa.PrimaryKeyConstraint("tenant_id", "customer_id", name="pk_customer_facts"),
    )
    op.create_table(
        "contact_facts",
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "contact_id", name="pk_contact_facts"),
    )
    op.create_index(
        "ix_contact_facts_tenant_id_customer_id", "contact_facts", ["tenant_id", "customer_id"]
    )
    op.create_table(
        "segment_facts",
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("segment_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "segment_id", name="pk_segment_facts"),
    )
    op.create_table(
        "sales_configuration",
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("stages", JSONB(), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("expiring_days_ahead", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_sales_configuration"),
    )
    op.create_table(
        "products",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("list_price", MONEY, nullable=False),
        sa.Column("unit_cost", MONEY, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_products"),
        sa.UniqueConstraint("tenant_id", "sku", name="uq_products_tenant_id_sku"),
    )
    op.create_table(
        "opportunities",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("expected_close_date", sa.Date(), nullable=False),
        sa.Column("probability", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(40), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("owner_id", sa.String(128), nullable=False),
        sa.Column("campaign_id", sa.Uuid()),
        sa.Column("lost_reason", sa.Text()),
        sa.Column("closed_on", sa.Date()),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_opportunities"),
    )
    op.create_index(
        "ix_opportunities_tenant_id_campaign_id", "opportunities", ["tenant_id", "campaign_id"]
    )
    op.create_index(
        "ix_opportunities_tenant_id_customer_id", "opportunities", ["tenant_id", "customer_id"]
    )
    op.create_index(
        "ix_opportunities_tenant_id_owner_id", "opportunities", ["tenant_id", "owner_id"]
    )
    op.create_table(
        "quotes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("opportunity_id", sa.Uuid()),
        sa.Column("valid_until", sa.Date()),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("order_id", sa.Uuid()),
        sa.Column("contract_id", sa.Uuid()),
        sa.Column("rejection_reason", sa.Text()),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("lines", JSONB(), nullable=False),
        sa.Column("discount_percent", MONEY, nullable=False),
        sa.Column("loss_alarm", sa.Boolean(), nullable=False),
        sa.Column("loss_approved_by", sa.String(128)),
        sa.Column("subtotal", MONEY, nullable=False),
        sa.Column("total", MONEY, nullable=False),
        sa.Column("cost", MONEY, nullable=False),
        sa.Column("margin", MONEY, nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_quotes"),
    )
    op.create_index("ix_quotes_tenant_id_customer_id", "quotes", ["tenant_id", "customer_id"])
    op.create_table(
        "orders",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("quote_id", sa.Uuid()),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("cancel_reason", sa.Text()),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("lines", JSONB(), nullable=False),
        sa.Column("discount_percent", MONEY, nullable=False),
        sa.Column("loss_alarm", sa.Boolean(), nullable=False),
        sa.Column("loss_approved_by", sa.String(128)),
        sa.Column("subtotal", MONEY, nullable=False),
        sa.Column("total", MONEY, nullable=False),
        sa.Column("cost", MONEY, nullable=False),
        sa.Column("margin", MONEY, nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_orders"),
    )
    op.create_index("ix_orders_tenant_id_customer_id", "orders", ["tenant_id", "customer_id"])
    op.create_table(
        "contracts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("amount", MONEY),
        sa.Column("currency", sa.String(3)),
        sa.Column("quote_id", sa.Uuid()),
        sa.Column("order_id", sa.Uuid()),
        sa.Column("previous_id", sa.Uuid()),
        sa.Column("next_id", sa.Uuid()),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_contracts"),
    )
    op.create_index("ix_contracts_status_end_date", "contracts", ["status", "end_date"])
    op.create_index("ix_contracts_tenant_id_customer_id", "contracts", ["tenant_id", "customer_id"])
    op.create_table(
        "tasks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("start_at", TIMESTAMP, nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("due_at", TIMESTAMP, nullable=False),
        sa.Column("assignee_id", sa.String(128), nullable=False),
        sa.Column("reminder_at", TIMESTAMP),
        sa.Column("contact_id", sa.Uuid()),
        sa.Column("opportunity_id", sa.Uuid()),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("completed_at", TIMESTAMP),
        sa.Column("outcome", sa.Text()),
        sa.Column("overdue_notified_on", sa.Date()),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tasks"),
    )
    op.create_index("ix_tasks_status_due_at", "tasks", ["status", "due_at"])
    op.create_index(
        "ix_tasks_tenant_id_assignee_id_start_at", "tasks", ["tenant_id", "assignee_id", "start_at"]
    )
    op.create_index("ix_tasks_tenant_id_customer_id", "tasks", ["tenant_id", "customer_id"])
    op.create_table(
        "expenses",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("incurred_on", sa.Date(), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.String(128), nullable=False),
        sa.Column("description", sa.Text()),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("decided_by", sa.String(128)),
        sa.Column("rejection_reason", sa.Text()),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_expenses"),
    )
    op.create_index("ix_expenses_tenant_id_customer_id", "expenses", ["tenant_id", "customer_id"])
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("segment_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("budget", MONEY, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_campaigns"),
    )
    op.create_index("ix_campaigns_tenant_id_start_date", "campaigns", ["tenant_id", "start_date"])
    op.create_table(
        "campaign_responses",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("opened_at", TIMESTAMP),
        sa.Column("replied_at", TIMESTAMP),
        sa.Column("interested_at", TIMESTAMP),
        sa.Column("unsubscribed_at", TIMESTAMP),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_campaign_responses"),
        sa.UniqueConstraint(
            "campaign_id", "contact_id", name="uq_campaign_responses_campaign_id_contact_id"
        ),
    )


def downgrade() -> None:
    op.drop_table("campaign_responses")
    op.drop_table("campaigns")
    op.drop_table("expenses")
    op.drop_table("tasks")
    op.drop_table("contracts")
    op.drop_table("orders")
    op.drop_table("quotes")
    op.drop_table("opportunities")
    op.drop_table("products")
    op.drop_table("sales_configuration")
    op.drop_table("segment_facts")
    op.drop_table("contact_facts")
    op.drop_table("customer_facts")
