"""Tickets with SLA clocks, comments, assets, surveys, announcements, SLA settings, and the
customer and contact facts learned from the customers service.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)
JSONB = postgresql.JSONB(astext_type=sa.Text())


def _clock(prefix: str) -> list[sa.Column[Any]]:
    return [
        sa.Column(f"{prefix}budget_s", sa.Integer(), nullable=False),
        sa.Column(f"{prefix}spent_s", sa.Integer(), nullable=False),
        sa.Column(f"{prefix}running_since", TS, nullable=True),
        sa.Column(f"{prefix}due_at", TS, nullable=True),
        sa.Column(f"{prefix}warn_at", TS, nullable=True),
        sa.Column(f"{prefix}met_at", TS, nullable=True),
        sa.Column(f"{prefix}warned", sa.Boolean(), nullable=False),
        sa.Column(f"{prefix}breached", sa.Boolean(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "customer_facts",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("name_seq", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("branch_id", sa.String(length=64), nullable=True),
        sa.Column("branch_seq", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("owner_id", sa.String(length=128), nullable=True),
        sa.Column("owner_seq", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("deleted", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("merged_into", sa.Uuid(), nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "customer_id", name=op.f("pk_customer_facts")),
    )
    op.create_table(
        "contact_facts",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("deleted", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "contact_id", name=op.f("pk_contact_facts")),
    )
    op.create_index(
        op.f("ix_contact_facts_tenant_id_customer_id"),
        "contact_facts",
        ["tenant_id", "customer_id"],
    )
    op.create_table(
        "assets",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("branch_id", sa.String(length=64), nullable=False),
        sa.Column("product", sa.Text(), nullable=False),
        sa.Column("serial", sa.String(length=120), nullable=False),
        sa.Column("purchase_date", sa.Date(), nullable=True),
        sa.Column("warranty_end", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assets")),
    )
    op.create_index(op.f("ix_assets_tenant_id_customer_id"), "assets", ["tenant_id", "customer_id"])
    op.create_index(op.f("ix_assets_tenant_id_serial"), "assets", ["tenant_id", "serial"])
    op.create_table(
        "tickets",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("branch_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("asset_id", sa.Uuid(), nullable=True),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("assignee_id", sa.String(length=128), nullable=True),
        sa.Column("opened_by", sa.String(length=128), nullable=False),
        sa.Column("out_of_warranty", sa.Boolean(), nullable=False),
        sa.Column("escalated", sa.Boolean(), nullable=False),
        sa.Column("attachments", JSONB, server_default="[]", nullable=False),
        sa.Column("resolved_at", TS, nullable=True),
        sa.Column("closed_at", TS, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        *_clock("fr_"),
        *_clock("res_"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
    )
    op.create_index(
        op.f("ix_tickets_tenant_id_branch_id_status"),
        "tickets",
        ["tenant_id", "branch_id", "status"],
    )
    op.create_index(
        op.f("ix_tickets_tenant_id_customer_id"), "tickets", ["tenant_id", "customer_id"]
    )
    op.create_index(
        op.f("ix_tickets_tenant_id_assignee_id"), "tickets", ["tenant_id", "assignee_id"]
    )
    # The SLA job reads only clocks with something left to report; auto-close only resolved.
    op.create_index(
        "ix_tickets_fr_sla", "tickets", ["fr_warn_at"], postgresql_where=sa.text("NOT fr_breached")
    )
    op.create_index(
        "ix_tickets_res_sla",
        "tickets",
        ["res_warn_at"],
        postgresql_where=sa.text("NOT res_breached"),
    )
    op.create_index(
        "ix_tickets_resolved",
        "tickets",
        ["resolved_at"],
        postgresql_where=sa.text("status = 'resolved'"),
    )
    op.create_table(
        "ticket_comments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("ticket_version", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.String(length=128), nullable=False),
        sa.Column("author_kind", sa.String(length=16), nullable=False),
        sa.Column("internal", sa.Boolean(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("attachments", JSONB, server_default="[]", nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_comments_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_comments")),
    )
    op.create_index(
        op.f("ix_ticket_comments_ticket_id_ticket_version"),
        "ticket_comments",
        ["ticket_id", "ticket_version"],
    )
    op.create_table(
        "surveys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("score", sa.SmallInteger(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("category", sa.String(length=40), nullable=True),
        sa.Column("answered_by", sa.String(length=128), nullable=False),
        sa.Column("answered_at", TS, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_surveys_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys")),
        sa.UniqueConstraint("ticket_id", name=op.f("uq_surveys_ticket_id")),
    )
    op.create_index(
        op.f("ix_surveys_tenant_id_customer_id"), "surveys", ["tenant_id", "customer_id"]
    )
    op.create_table(
        "announcements",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("publish_at", TS, nullable=True),
        sa.Column("expires_at", TS, nullable=True),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_announcements")),
    )
    op.create_index(
        op.f("ix_announcements_tenant_id_publish_at"), "announcements", ["tenant_id", "publish_at"]
    )
    op.create_table(
        "sla_policies",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("targets", JSONB, nullable=False),
        sa.Column("warning_minutes", sa.Integer(), nullable=False),
        sa.Column("reopen_days", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_sla_policies")),
    )
    op.create_table(
        "business_hours",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("branch_id", sa.String(length=64), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("week", JSONB, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "branch_id", name=op.f("pk_business_hours")),
    )


def downgrade() -> None:
    for table in (
        "business_hours",
        "sla_policies",
        "announcements",
        "surveys",
        "ticket_comments",
        "tickets",
        "assets",
        "contact_facts",
        "customer_facts",
    ):
        op.drop_table(table)
