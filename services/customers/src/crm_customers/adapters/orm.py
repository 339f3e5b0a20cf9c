"""Customers tables (SQLAlchemy 2 typed models). Every row carries its tenant."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ARRAY,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    func,
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
    type_annotation_map = {dict[str, Any]: JSONB, list[str]: ARRAY(Text)}


def _ts() -> Any:
    return mapped_column(DateTime(timezone=True))


class CustomerRow(Base):
    __tablename__ = "customers"
    __table_args__ = (
        Index(None, "tenant_id", "branch_id"),
        Index(None, "tenant_id", "owner_id"),
        Index(None, "tenant_id", "name_key"),
        Index(None, "tenant_id", "phone_key"),
        Index(None, "tenant_id", "email_key"),
        Index("ix_customers_pool", "tenant_id", "branch_id", postgresql_where="owner_id IS NULL"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    branch_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))
    lifecycle_stage: Mapped[str] = mapped_column(String(16))
    lifecycle_reason: Mapped[str | None] = mapped_column(Text)
    owner_id: Mapped[str | None] = mapped_column(String(128))
    created_by: Mapped[str] = mapped_column(String(128))
    category: Mapped[str | None] = mapped_column(Text)
    industry: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(64))
    fax: Mapped[str | None] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(320))
    contact_name: Mapped[str | None] = mapped_column(Text)
    postal_code: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(Text)
    website: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(server_default="{}")
    custom_fields: Mapped[dict[str, Any]] = mapped_column(server_default="{}")
    tier: Mapped[str | None] = mapped_column(String(16))
    revenue: Mapped[float] = mapped_column(Float, server_default="0")
    satisfaction_score: Mapped[float | None] = mapped_column(Float)
    completeness: Mapped[float] = mapped_column(Float, server_default="0")
    name_key: Mapped[str | None] = mapped_column(Text)
    phone_key: Mapped[str | None] = mapped_column(String(64))
    email_key: Mapped[str | None] = mapped_column(String(320))
    last_interaction_at: Mapped[datetime | None] = _ts()
    owner_since: Mapped[datetime | None] = _ts()
    pool_warned_at: Mapped[datetime | None] = _ts()
    merged_into: Mapped[UUID | None]
    version: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = _ts()
    updated_at: Mapped[datetime] = _ts()
    deleted_at: Mapped[datetime | None] = _ts()

    # The UPDATE also checks the version it read: a write racing past If-Match still fails.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class ContactRow(Base):
    __tablename__ = "contacts"
    __table_args__ = (Index(None, "tenant_id", "customer_id"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[UUID] = mapped_column(ForeignKey("customers.id"))
    name: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(320))
    is_primary: Mapped[bool] = mapped_column(Boolean, server_default="false")
    unsubscribed_at: Mapped[datetime | None] = _ts()
    version: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = _ts()
    updated_at: Mapped[datetime] = _ts()
    deleted_at: Mapped[datetime | None] = _ts()

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class InteractionRow(Base):
    __tablename__ = "interactions"
    __table_args__ = (
        Index(None, "tenant_id", "customer_id", "occurred_at"),
        Index(None, "tenant_id", "author_id", "occurred_at"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[UUID] = mapped_column(ForeignKey("customers.id"))
    contact_id: Mapped[UUID | None]
    author_id: Mapped[str] = mapped_column(String(128))
    occurred_at: Mapped[datetime] = _ts()
    place: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(Text)
    next_step: Mapped[str] = mapped_column(Text)
    next_step_due: Mapped[date] = mapped_column(Date)
    closed_at: Mapped[datetime | None] = _ts()
    closed_by: Mapped[str | None] = mapped_column(String(128))
    version: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = _ts()
    deleted_at: Mapped[datetime | None] = _ts()

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class OwnershipRow(Base):
    """Who owned a customer when: kept forever, so the next rep sees the whole story."""

    __tablename__ = "ownership_history"
    __table_args__ = (Index(None, "tenant_id", "customer_id", "changed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[UUID]
    old_owner_id: Mapped[str | None] = mapped_column(String(128))
    new_owner_id: Mapped[str | None] = mapped_column(String(128))
    old_branch_id: Mapped[str] = mapped_column(String(64))
    new_branch_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(32))
    changed_by: Mapped[str] = mapped_column(String(128))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class TenantPolicyRow(Base):
    __tablename__ = "tenant_policies"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    required_fields: Mapped[list[str]] = mapped_column()
    pool_return_days: Mapped[int] = mapped_column()
    pool_warning_days: Mapped[int] = mapped_column()
    # 002: a qualitative note scores as category coefficient x evaluation score.
    satisfaction_coefficients: Mapped[dict[str, Any]] = mapped_column(server_default="{}")
    version: Mapped[int] = mapped_column()


class SurveyScoreRow(Base):
    """One answered service survey (from the service desk), weighted for the score."""

    __tablename__ = "survey_scores"
    __table_args__ = (Index(None, "tenant_id", "customer_id"),)

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    survey_id: Mapped[UUID] = mapped_column(primary_key=True)
    customer_id: Mapped[UUID]
    score: Mapped[int] = mapped_column(Integer)
    category: Mapped[str | None] = mapped_column(String(64))
    weighted: Mapped[float] = mapped_column(Float)
    answered_at: Mapped[datetime] = _ts()


class CustomFieldRow(Base):
    __tablename__ = "custom_fields"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(16))
    choices: Mapped[list[str]] = mapped_column(server_default="{}")
    required: Mapped[bool] = mapped_column(Boolean, server_default="false")


class SegmentRow(Base):
    __tablename__ = "segments"
    __table_args__ = (Index(None, "tenant_id"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))
    filter: Mapped[dict[str, Any]] = mapped_column(server_default="{}")
    created_by: Mapped[str] = mapped_column(String(128))
    version: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = _ts()
    deleted_at: Mapped[datetime | None] = _ts()

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class SegmentMemberRow(Base):
    __tablename__ = "segment_members"

    segment_id: Mapped[UUID] = mapped_column(ForeignKey("segments.id"), primary_key=True)
    customer_id: Mapped[UUID] = mapped_column(primary_key=True)


class ImportJobRow(Base):
    __tablename__ = "import_jobs"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    total_rows: Mapped[int] = mapped_column(server_default="0")
    processed_rows: Mapped[int] = mapped_column(server_default="0")
    imported: Mapped[int] = mapped_column(server_default="0")
    failed: Mapped[int] = mapped_column(server_default="0")
    errors: Mapped[dict[str, Any]] = mapped_column(server_default="{}")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = _ts()
