"""Service-desk tables (SQLAlchemy 2 typed models). Every row carries its tenant."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    MetaData,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {
        dict[str, Any]: JSONB,
        list[dict[str, Any]]: JSONB,
        datetime: DateTime(timezone=True),
    }


# -- facts kept from the customers service ------------------------------------------------


class CustomerFactRow(Base):
    """What this service knows of a customer, from customers events only.

    Each kind of fact remembers the customer version it came from, so an older event
    arriving late never overwrites a newer fact.
    """

    __tablename__ = "customer_facts"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[UUID] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(Text)
    name_seq: Mapped[int] = mapped_column(BigInteger, server_default="0")
    branch_id: Mapped[str | None] = mapped_column(String(64))
    branch_seq: Mapped[int] = mapped_column(BigInteger, server_default="0")
    owner_id: Mapped[str | None] = mapped_column(String(128))
    owner_seq: Mapped[int] = mapped_column(BigInteger, server_default="0")
    deleted: Mapped[bool] = mapped_column(Boolean, server_default="false")
    merged_into: Mapped[UUID | None]
    updated_at: Mapped[datetime]


class ContactFactRow(Base):
    __tablename__ = "contact_facts"
    __table_args__ = (Index(None, "tenant_id", "customer_id"),)

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    contact_id: Mapped[UUID] = mapped_column(primary_key=True)
    customer_id: Mapped[UUID]
    name: Mapped[str] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(String(320))
    deleted: Mapped[bool] = mapped_column(Boolean, server_default="false")
    seq: Mapped[int] = mapped_column(BigInteger)


# -- the service's own records --------------------------------------------------------------


class AssetRow(Base):
    __tablename__ = "assets"
    __table_args__ = (Index(None, "tenant_id", "customer_id"), Index(None, "tenant_id", "serial"))

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[UUID]
    branch_id: Mapped[str] = mapped_column(String(64))
    product: Mapped[str] = mapped_column(Text)
    serial: Mapped[str] = mapped_column(String(120))
    purchase_date: Mapped[date | None] = mapped_column(Date)
    warranty_end: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(128))
    version: Mapped[int] = mapped_column()
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class TicketRow(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        Index(None, "tenant_id", "branch_id", "status"),
        Index(None, "tenant_id", "customer_id"),
        Index(None, "tenant_id", "assignee_id"),
        # The SLA job reads only clocks with a deadline it has not reported yet.
        Index("ix_tickets_fr_sla", "fr_warn_at", postgresql_where="NOT fr_breached"),
        Index("ix_tickets_res_sla", "res_warn_at", postgresql_where="NOT res_breached"),
        Index("ix_tickets_resolved", "resolved_at", postgresql_where="status = 'resolved'"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    branch_id: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[UUID]
    contact_id: Mapped[UUID | None]
    asset_id: Mapped[UUID | None]
    subject: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(64))
    priority: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    assignee_id: Mapped[str | None] = mapped_column(String(128))
    opened_by: Mapped[str] = mapped_column(String(128))
    out_of_warranty: Mapped[bool] = mapped_column(Boolean)
    escalated: Mapped[bool] = mapped_column(Boolean)
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(server_default="[]")
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column()
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # The two SLA clocks, flattened: fr_ = first response, res_ = resolution.
    fr_budget_s: Mapped[int] = mapped_column()
    fr_spent_s: Mapped[int] = mapped_column()
    fr_running_since: Mapped[datetime | None]
    fr_due_at: Mapped[datetime | None]
    fr_warn_at: Mapped[datetime | None]
    fr_met_at: Mapped[datetime | None]
    fr_warned: Mapped[bool] = mapped_column(Boolean)
    fr_breached: Mapped[bool] = mapped_column(Boolean)
    res_budget_s: Mapped[int] = mapped_column()
    res_spent_s: Mapped[int] = mapped_column()
    res_running_since: Mapped[datetime | None]
    res_due_at: Mapped[datetime | None]
    res_warn_at: Mapped[datetime | None]
    res_met_at: Mapped[datetime | None]
    res_warned: Mapped[bool] = mapped_column(Boolean)
    res_breached: Mapped[bool] = mapped_column(Boolean)

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class CommentRow(Base):
    __tablename__ = "ticket_comments"
    __table_args__ = (Index(None, "ticket_id", "ticket_version"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[UUID] = mapped_column(ForeignKey("tickets.id"))
    ticket_version: Mapped[int] = mapped_column()
    author_id: Mapped[str] = mapped_column(String(128))
    author_kind: Mapped[str] = mapped_column(String(16))
    internal: Mapped[bool] = mapped_column(Boolean)
    body: Mapped[str] = mapped_column(Text)
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(server_default="[]")
    created_at: Mapped[datetime]


class SurveyRow(Base):
    __tablename__ = "surveys"
    __table_args__ = (Index(None, "tenant_id", "customer_id"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    # One answer per ticket; the ticket's row lock serialises two attempts.
    ticket_id: Mapped[UUID] = mapped_column(ForeignKey("tickets.id"), unique=True)
    customer_id: Mapped[UUID]
    contact_id: Mapped[UUID | None]
    score: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(40))
    answered_by: Mapped[str] = mapped_column(String(128))
    answered_at: Mapped[datetime]
    version: Mapped[int] = mapped_column()


class AnnouncementRow(Base):
    __tablename__ = "announcements"
    __table_args__ = (Index(None, "tenant_id", "publish_at"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    publish_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(128))
    version: Mapped[int] = mapped_column()
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


# -- configuration -----------------------------------------------------------------------


class SlaPolicyRow(Base):
    __tablename__ = "sla_policies"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    targets: Mapped[dict[str, Any]] = mapped_column()
    warning_minutes: Mapped[int] = mapped_column()
    reopen_days: Mapped[int] = mapped_column()
    version: Mapped[int] = mapped_column()


class BusinessHoursRow(Base):
    __tablename__ = "business_hours"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    branch_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    timezone: Mapped[str] = mapped_column(String(64))
    week: Mapped[list[dict[str, Any]]] = mapped_column()  # 7 entries, Monday first; null closed
    version: Mapped[int] = mapped_column()
