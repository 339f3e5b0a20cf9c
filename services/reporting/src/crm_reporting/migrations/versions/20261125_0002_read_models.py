"""Every read model the reports answer from, forecast snapshots and rebuild jobs.

Replaces the first slice's customer facts and stage counts (read models: a rebuild fills
them again from the topics; run `crm reporting rebuild` after upgrading a database that
held them).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "agg_campaign_opportunities",
    "agg_campaign_touches",
    "agg_closed",
    "agg_contracts",
    "agg_customer_flow",
    "agg_customer_money",
    "agg_funnel",
    "agg_pipeline",
    "agg_product_sales",
    "agg_quotes",
    "agg_rep_activity",
    "agg_service",
    "campaign_touches",
    "campaigns",
    "contracts",
    "customer_facts",
    "customer_stage_counts",
    "expenses",
    "forecast_policies",
    "forecast_snapshot_lines",
    "forecast_snapshots",
    "interactions",
    "opportunities",
    "opportunity_stage_history",
    "orders",
    "pipelines",
    "products",
    "quotes",
    "rebuilds",
    "tasks",
    "tickets",
)


def upgrade() -> None:
    op.drop_table("customer_stage_counts")
    op.drop_table("customer_facts")
    op.create_table(
        "agg_campaign_opportunities",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("branch_id", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.String(length=128), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("opportunities", sa.BigInteger(), nullable=False),
        sa.Column("won", sa.BigInteger(), nullable=False),
        sa.Column("won_amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "campaign_id",
            "branch_id",
            "owner_id",
            "month",
            "currency",
            name=op.f("pk_agg_campaign_opportunities"),
        ),
    )
    op.create_table(
        "agg_campaign_touches",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("branch_id", sa.String(length=64), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("touches", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "campaign_id",
            "branch_id",
            "month",
            "kind",
            name=op.f("pk_agg_campaign_touches"),
        ),
    )
    op.create_table(
        "agg_closed",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("branch_id", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.String(length=128), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("outcome", sa.String(length=8), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("opportunities", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("cycle_days", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "branch_id",
            "owner_id",
            "month",
            "outcome",
            "currency",
            name=op.f("pk_agg_closed"),
        ),
    )
    op.create_table(
        "agg_contracts",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("branch_id", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.String(length=128), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("contracts", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "branch_id",
            "owner_id",
            "month",
            "status",
            "currency",
            name=op.f("pk_agg_contracts"),
        ),
    )
    op.create_table(
        "agg_customer_flow",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("branch_id", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.String(length=128), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("customers", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "branch_id",
            "owner_id",
            "month",
            "kind",
            "reason",
            name=op.f("pk_agg_customer_flow"),
        ),
    )
    op.create_table(
        "agg_customer_money",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("entries", sa.BigInteger(), nullable=False),
        sa.Column("revenue", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("won_deals", sa.BigInteger(), nullable=False),
        sa.Column("expenses", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "customer_id", "month", "currency", name=op.f("pk_agg_customer_money")
        ),
    )
    op.create_table(
        "agg_funnel",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("branch_id", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.String(length=128), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("stage", sa.String(length=40), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("entered", sa.BigInteger(), nullable=False),
        sa.Column("entered_amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("in_stage", sa.BigInteger(), nullable=False),
        sa.Column("in_stage_amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "branch_id",
            "owner_id",
            "month",
            "stage",
            "currency",
            name=op.f("pk_agg_funnel"),
        ),
    )
    op.create_table(
        "agg_pipeline",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("branch_id", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.String(length=128), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("stage", sa.String(length=40), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("opportunities", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("weighted", sa.Numeric(precision=22, scale=4), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "branch_id",
            "owner_id",
            "month",
            "stage",
            "currency",
            name=op.f("pk_agg_pipeline"),
        ),
    )
    op.create_table(
        "agg_product_sales",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("branch_id", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.String(length=128), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("lines", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("net_amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("cost", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "branch_id",
            "owner_id",
            "month",
            "product_id",
            "currency",
            name=op.f("pk_agg_product_sales"),
        ),
    )
    op.create_table(
        "agg_quotes",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("branch_id", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.String(length=128), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("quotes", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("loss_alarms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "branch_id",
            "owner_id",
            "month",
            "status",
            "currency",
            name=op.f("pk_agg_quotes"),
        ),
    )
    op.create_table(
        "agg_rep_activity",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("branch_id", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.String(length=128), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("entries", sa.BigInteger(), nullable=False),
        sa.Column("interactions", sa.BigInteger(), nullable=False),
        sa.Column("tasks_planned", sa.BigInteger(), nullable=False),
        sa.Column("tasks_done", sa.BigInteger(), nullable=False),
        sa.Column("tasks_done_late", sa.BigInteger(), nullable=False),
        sa.Column("tasks_overdue", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "branch_id", "owner_id", "month", name=op.f("pk_agg_rep_activity")
        ),
    )
    op.create_table(
        "agg_service",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("branch_id", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.String(length=128), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("priority", sa.String(length=8), nullable=False),
        sa.Column("tickets", sa.BigInteger(), nullable=False),
        sa.Column("responded", sa.BigInteger(), nullable=False),
        sa.Column("response_seconds", sa.BigInteger(), nullable=False),
        sa.Column("resolved", sa.BigInteger(), nullable=False),
        sa.Column("resolve_seconds", sa.BigInteger(), nullable=False),
        sa.Column("first_response_breached", sa.BigInteger(), nullable=False),
        sa.Column("resolution_breached", sa.BigInteger(), nullable=False),
        sa.Column("breached", sa.BigInteger(), nullable=False),
        sa.Column("csat_answers", sa.BigInteger(), nullable=False),
        sa.Column("csat_sum", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "branch_id", "owner_id", "month", "priority", name=op.f("pk_agg_service")
        ),
    )
    op.create_table(
        "campaign_touches",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("known", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("branch_id", sa.String(length=64), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("weight", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column(
            "versions",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "campaign_id", "kind", "ref", name=op.f("pk_campaign_touches")
        ),
    )
    op.create_table(
        "campaigns",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("known", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("budget", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column(
            "versions",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("tenant_id", "campaign_id", name=op.f("pk_campaigns")),
    )
    op.create_table(
        "contracts",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("known", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("branch_id", sa.String(length=64), nullable=True),
        sa.Column("owner_id", sa.String(length=128), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column(
            "versions",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("tenant_id", "contract_id", name=op.f("pk_contracts")),
    )
    op.create_table(
        "customer_facts",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("known", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("branch_id", sa.String(length=64), nullable=True),
        sa.Column("owner_id", sa.String(length=128), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("lifecycle_stage", sa.String(length=16), nullable=True),
        sa.Column("stage_reason", sa.Text(), nullable=True),
        sa.Column("stage_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("became_customer_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "filled",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "versions",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("tenant_id", "customer_id", name=op.f("pk_customer_facts")),
    )
    op.create_index(
        "ix_customer_facts_tenant_owner", "customer_facts", ["tenant_id", "owner_id"], unique=False
    )
    op.create_table(
        "customer_stage_counts",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("branch_id", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.String(length=128), nullable=False),
        sa.Column("lifecycle_stage", sa.String(length=16), nullable=False),
        sa.Column("customers", sa.BigInteger(), nullable=False),
        sa.Column("filled_fields", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "branch_id",
            "owner_id",
            "lifecycle_stage",
            name=op.f("pk_customer_stage_counts"),
        ),
    )
    op.create_table(
        "expenses",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("expense_id", sa.Uuid(), nullable=False),
        sa.Column("known", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("branch_id", sa.String(length=64), nullable=True),
        sa.Column("owner_id", sa.String(length=128), nullable=True),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("category", sa.String(length=16), nullable=True),
        sa.Column("incurred_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=24), nullable=True),
        sa.Column(
            "versions",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("tenant_id", "expense_id", name=op.f("pk_expenses")),
    )
    op.create_table(
        "forecast_policies",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("min_stage", sa.String(length=40), nullable=True),
        sa.Column("updated_by", sa.String(length=128), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_forecast_policies")),
    )
    op.create_table(
        "forecast_snapshot_lines",
        sa.Column("snapshot_id", sa.Uuid(), nullable=False),
        sa.Column("opportunity_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("branch_id", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.String(length=128), nullable=False),
        sa.Column("stage", sa.String(length=40), nullable=False),
        sa.Column("probability", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("expected_close_date", sa.Date(), nullable=False),
        sa.Column("weighted", sa.Numeric(precision=22, scale=4), nullable=False),
        sa.PrimaryKeyConstraint(
            "snapshot_id", "opportunity_id", name=op.f("pk_forecast_snapshot_lines")
        ),
    )
    op.create_table(
        "forecast_snapshots",
        sa.Column("snapshot_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("taken_by", sa.String(length=128), nullable=False),
        sa.Column("scheduled_for", sa.Date(), nullable=True),
        sa.Column("min_stage", sa.String(length=40), nullable=True),
        sa.Column("opportunities", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("snapshot_id", name=op.f("pk_forecast_snapshots")),
    )
    op.create_index(
        "ix_forecast_snapshots_tenant",
        "forecast_snapshots",
        ["tenant_id", "taken_at"],
        unique=False,
    )
    op.create_index(
        "ux_forecast_snapshots_scheduled",
        "forecast_snapshots",
        ["tenant_id", "scheduled_for"],
        unique=True,
        postgresql_where=sa.text("scheduled_for IS NOT NULL"),
    )
    op.create_table(
        "interactions",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("interaction_id", sa.Uuid(), nullable=False),
        sa.Column("known", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("branch_id", sa.String(length=64), nullable=True),
        sa.Column("author_id", sa.String(length=128), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("closed", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "versions",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("tenant_id", "interaction_id", name=op.f("pk_interactions")),
    )
    op.create_table(
        "opportunities",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("opportunity_id", sa.Uuid(), nullable=False),
        sa.Column("known", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("branch_id", sa.String(length=64), nullable=True),
        sa.Column("owner_id", sa.String(length=128), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("stage", sa.String(length=40), nullable=True),
        sa.Column("probability", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=True),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("expected_close_date", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("lost_reason", sa.Text(), nullable=True),
        sa.Column("campaign_id", sa.Uuid(), nullable=True),
        sa.Column(
            "stages",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "versions",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("tenant_id", "opportunity_id", name=op.f("pk_opportunities")),
    )
    op.create_index(
        "ix_opportunities_tenant_status", "opportunities", ["tenant_id", "status"], unique=False
    )
    op.create_table(
        "opportunity_stage_history",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("opportunity_id", sa.Uuid(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("old_stage", sa.String(length=40), nullable=True),
        sa.Column("new_stage", sa.String(length=40), nullable=False),
        sa.Column("probability", sa.Integer(), nullable=True),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint(
            "tenant_id", "opportunity_id", "sequence", name=op.f("pk_opportunity_stage_history")
        ),
    )
    op.create_table(
        "orders",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("known", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("branch_id", sa.String(length=64), nullable=True),
        sa.Column("owner_id", sa.String(length=128), nullable=True),
        sa.Column("status", sa.String(length=24), nullable=True),
        sa.Column("total", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("cost", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column(
            "lines",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "versions",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("tenant_id", "order_id", name=op.f("pk_orders")),
    )
    op.create_table(
        "pipelines",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("known", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "stages",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "versions",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_pipelines")),
    )
    op.create_table(
        "products",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("known", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column(
            "versions",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("tenant_id", "product_id", name=op.f("pk_products")),
    )
    op.create_table(
        "quotes",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("quote_id", sa.Uuid(), nullable=False),
        sa.Column("known", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("branch_id", sa.String(length=64), nullable=True),
        sa.Column("owner_id", sa.String(length=128), nullable=True),
        sa.Column("opportunity_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column("total", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("margin", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("loss_alarm", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "versions",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("tenant_id", "quote_id", name=op.f("pk_quotes")),
    )
    op.create_table(
        "rebuilds",
        sa.Column("rebuild_id", sa.Uuid(), nullable=False),
        sa.Column("requested_by", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("applied", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("consumed", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("total", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("skipped", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("rebuild_id", name=op.f("pk_rebuilds")),
    )
    op.create_index(
        "ux_rebuilds_running",
        "rebuilds",
        ["status"],
        unique=True,
        postgresql_where=sa.text("status = 'running'"),
    )
    op.create_table(
        "tasks",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("known", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("branch_id", sa.String(length=64), nullable=True),
        sa.Column("assignee_id", sa.String(length=128), nullable=True),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("overdue", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "versions",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("tenant_id", "task_id", name=op.f("pk_tasks")),
    )
    op.create_table(
        "tickets",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("known", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("branch_id", sa.String(length=64), nullable=True),
        sa.Column("assignee_id", sa.String(length=128), nullable=True),
        sa.Column("priority", sa.String(length=8), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_response_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_response_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "first_response_breached", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column(
            "resolution_breached", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column(
            "surveys",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "versions",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("tenant_id", "ticket_id", name=op.f("pk_tickets")),
    )


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
    op.create_table(
        "customer_facts",
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("branch_id", sa.String(64), nullable=False),
        sa.Column("owner_id", sa.String(128)),
        sa.Column("lifecycle_stage", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "customer_id", name="pk_customer_facts"),
    )
    op.create_index("ix_customer_facts_tenant_owner", "customer_facts", ["tenant_id", "owner_id"])
    op.create_table(
        "customer_stage_counts",
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("branch_id", sa.String(64), nullable=False),
        sa.Column("lifecycle_stage", sa.String(16), nullable=False),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "branch_id", "lifecycle_stage", name="pk_customer_stage_counts"
        ),
    )
