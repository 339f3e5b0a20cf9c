"""Customers, contacts, interactions, ownership history, policies, custom fields, segments,
import jobs, and the platform tables (outbox, inbox, idempotency keys).

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from servicekit.migrations import create_platform_tables, drop_platform_tables
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_platform_tables()
    op.create_table(
        "custom_fields",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("choices", sa.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("required", sa.Boolean(), server_default="false", nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "key", name=op.f("pk_custom_fields")),
    )
    op.create_table(
        "customers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("branch_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("lifecycle_stage", sa.String(length=16), nullable=False),
        sa.Column("lifecycle_reason", sa.Text(), nullable=True),
        sa.Column("owner_id", sa.String(length=128), nullable=True),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("category", sa.Text(), nullable=True),
        sa.Column("industry", sa.Text(), nullable=True),
        sa.Column("phone", sa.String(length=64), nullable=True),
        sa.Column("fax", sa.String(length=64), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("contact_name", sa.Text(), nullable=True),
        sa.Column("postal_code", sa.String(length=32), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("website", sa.Text(), nullable=True),
        sa.Column("tags", sa.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column(
            "custom_fields",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("tier", sa.String(length=16), nullable=True),
        sa.Column("revenue", sa.Float(), server_default="0", nullable=False),
        sa.Column("satisfaction_score", sa.Float(), nullable=True),
        sa.Column("completeness", sa.Float(), server_default="0", nullable=False),
        sa.Column("name_key", sa.Text(), nullable=True),
        sa.Column("phone_key", sa.String(length=64), nullable=True),
        sa.Column("email_key", sa.String(length=320), nullable=True),
        sa.Column("last_interaction_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("owner_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pool_warned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("merged_into", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
    )
    op.create_index(
        "ix_customers_pool",
        "customers",
        ["tenant_id", "branch_id"],
        unique=False,
        postgresql_where="owner_id IS NULL",
    )
    op.create_index(
        op.f("ix_customers_tenant_id_branch_id"),
        "customers",
        ["tenant_id", "branch_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_customers_tenant_id_email_key"),
        "customers",
        ["tenant_id", "email_key"],
        unique=False,
    )
    op.create_index(
        op.f("ix_customers_tenant_id_name_key"),
        "customers",
        ["tenant_id", "name_key"],
        unique=False,
    )
    op.create_index(
        op.f("ix_customers_tenant_id_owner_id"),
        "customers",
        ["tenant_id", "owner_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_customers_tenant_id_phone_key"),
        "customers",
        ["tenant_id", "phone_key"],
        unique=False,
    )
    op.create_table(
        "import_jobs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total_rows", sa.Integer(), server_default="0", nullable=False),
        sa.Column("processed_rows", sa.Integer(), server_default="0", nullable=False),
        sa.Column("imported", sa.Integer(), server_default="0", nullable=False),
        sa.Column("failed", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "errors", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_jobs")),
    )
    op.create_table(
        "ownership_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("old_owner_id", sa.String(length=128), nullable=True),
        sa.Column("new_owner_id", sa.String(length=128), nullable=True),
        sa.Column("old_branch_id", sa.String(length=64), nullable=False),
        sa.Column("new_branch_id", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("changed_by", sa.String(length=128), nullable=False),
        sa.Column(
            "changed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ownership_history")),
    )
    op.create_index(
        op.f("ix_ownership_history_tenant_id_customer_id_changed_at"),
        "ownership_history",
        ["tenant_id", "customer_id", "changed_at"],
        unique=False,
    )
    op.create_table(
        "segments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column(
            "filter", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segments")),
    )
    op.create_index(op.f("ix_segments_tenant_id"), "segments", ["tenant_id"], unique=False)
    op.create_table(
        "tenant_policies",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("required_fields", sa.ARRAY(sa.Text()), nullable=False),
        sa.Column("pool_return_days", sa.Integer(), nullable=False),
        sa.Column("pool_warning_days", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_tenant_policies")),
    )
    op.create_table(
        "contacts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("phone", sa.String(length=64), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("is_primary", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("unsubscribed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_contacts_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
    )
    op.create_index(
        op.f("ix_contacts_tenant_id_customer_id"),
        "contacts",
        ["tenant_id", "customer_id"],
        unique=False,
    )
    op.create_table(
        "interactions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("author_id", sa.String(length=128), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("place", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("next_step", sa.Text(), nullable=False),
        sa.Column("next_step_due", sa.Date(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=128), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_interactions_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interactions")),
    )
    op.create_index(
        op.f("ix_interactions_tenant_id_author_id_occurred_at"),
        "interactions",
        ["tenant_id", "author_id", "occurred_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_interactions_tenant_id_customer_id_occurred_at"),
        "interactions",
        ["tenant_id", "customer_id", "occurred_at"],
        unique=False,
    )
    op.create_table(
        "segment_members",
        sa.Column("segment_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["segment_id"], ["segments.id"], name=op.f("fk_segment_members_segment_id_segments")
        ),
        sa.PrimaryKeyConstraint("segment_id", "customer_id", name=op.f("pk_segment_members")),
    )


def downgrade() -> None:
    op.drop_table("segment_members")
    op.drop_index(
        op.f("ix_interactions_tenant_id_customer_id_occurred_at"), table_name="interactions"
    )
    op.drop_index(
        op.f("ix_interactions_tenant_id_author_id_occurred_at"), table_name="interactions"
    )
    op.drop_table("interactions")
    op.drop_index(op.f("ix_contacts_tenant_id_customer_id"), table_name="contacts")
    op.drop_table("contacts")
    op.drop_table("tenant_policies")
    op.drop_index(op.f("ix_segments_tenant_id"), table_name="segments")
    op.drop_table("segments")
    op.drop_index(
        op.f("ix_ownership_history_tenant_id_customer_id_changed_at"),
        table_name="ownership_history",
    )
    op.drop_table("ownership_history")
    op.drop_table("import_jobs")
    op.drop_index(op.f("ix_customers_tenant_id_phone_key"), table_name="customers")
    op.drop_index(op.f("ix_customers_tenant_id_owner_id"), table_name="customers")
    op.drop_index(op.f("ix_customers_tenant_id_name_key"), table_name="customers")
    op.drop_index(op.f("ix_customers_tenant_id_email_key"), table_name="customers")
    op.drop_index(op.f("ix_customers_tenant_id_branch_id"), table_name="customers")
    op.drop_index("ix_customers_pool", table_name="customers", postgresql_where="owner_id IS NULL")
    op.drop_table("customers")
    op.drop_table("custom_fields")
    drop_platform_tables()
