"""Sales tables (SQLAlchemy 2 typed models). Customer facts are a local copy fed by events."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

from crm_contracts.sales import (
    CampaignChannel,
    ContractStatus,
    ExpenseCategory,
    ExpenseStatus,
    OpportunityStatus,
    OrderStatus,
    QuoteStatus,
    TaskMethod,
)
from sqlalchemy import Date, DateTime, Index, MetaData, Numeric, String, Text, UniqueConstraint
from sqlalchemy import Enum as SAEnum
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from crm_sales.domain.tasks import TaskStatus

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def enum(cls: type[StrEnum]) -> SAEnum:
    """A StrEnum stored as its value in a VARCHAR (no PostgreSQL enum type to migrate)."""
    return SAEnum(cls, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e])


Money = Numeric()  # scale as given: 100, 99.5 and 12.3456 come back as written


class CustomerFact(Base):
    """What sales knows about a customer, from customers events only."""

    __tablename__ = "customer_facts"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[UUID] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(Text)
    owner_id: Mapped[str | None] = mapped_column(String(128))
    branch_id: Mapped[str | None] = mapped_column(String(64))
    # Sequence of the event that last set each group of facts: an older one never wins.
    name_sequence: Mapped[int] = mapped_column(default=0)
    owner_sequence: Mapped[int] = mapped_column(default=0)
    sequence: Mapped[int] = mapped_column(default=0)
    merged_into: Mapped[UUID | None] = mapped_column()
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ContactFact(Base):
    __tablename__ = "contact_facts"
    __table_args__ = (Index(None, "tenant_id", "customer_id"),)

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    contact_id: Mapped[UUID] = mapped_column(primary_key=True)
    customer_id: Mapped[UUID] = mapped_column()
    name: Mapped[str] = mapped_column(Text)
    deleted: Mapped[bool] = mapped_column(default=False)
    sequence: Mapped[int] = mapped_column(default=0)


class SegmentFact(Base):
    __tablename__ = "segment_facts"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    segment_id: Mapped[UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    deleted: Mapped[bool] = mapped_column(default=False)
    sequence: Mapped[int] = mapped_column(default=0)


class ConfigurationRow(Base):
    __tablename__ = "sales_configuration"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    stages: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    timezone: Mapped[str] = mapped_column(String(64))
    expiring_days_ahead: Mapped[int]
    version: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class AggregateRow:
    """Columns of every aggregate table; the UPDATE checks the version it read."""

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version, "version_id_generator": False}  # type: ignore[attr-defined]


class CustomerRecordRow(AggregateRow):
    customer_id: Mapped[UUID] = mapped_column()


class ProductRow(AggregateRow, Base):
    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("tenant_id", "sku"),)

    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(Text)
    list_price: Mapped[Decimal] = mapped_column(Money)
    unit_cost: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    active: Mapped[bool]
    created_by: Mapped[str] = mapped_column(String(128))


class OpportunityRow(CustomerRecordRow, Base):
    __tablename__ = "opportunities"
    __table_args__ = (
        Index(None, "tenant_id", "customer_id"),
        Index(None, "tenant_id", "owner_id"),
        Index(None, "tenant_id", "campaign_id"),
    )

    name: Mapped[str] = mapped_column(Text)
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    expected_close_date: Mapped[date] = mapped_column(Date)
    probability: Mapped[int]
    stage: Mapped[str] = mapped_column(String(40))
    status: Mapped[OpportunityStatus] = mapped_column(enum(OpportunityStatus))
    owner_id: Mapped[str] = mapped_column(String(128))
    campaign_id: Mapped[UUID | None]
    lost_reason: Mapped[str | None] = mapped_column(Text)
    closed_on: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(128))


class PricedDocumentRow(CustomerRecordRow):
    currency: Mapped[str] = mapped_column(String(3))
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    discount_percent: Mapped[Decimal] = mapped_column(Money)
    loss_alarm: Mapped[bool]
    loss_approved_by: Mapped[str | None] = mapped_column(String(128))
    # Derived from the lines, stored so lists can sort and filter on them.
    subtotal: Mapped[Decimal] = mapped_column(Money)
    total: Mapped[Decimal] = mapped_column(Money)
    cost: Mapped[Decimal] = mapped_column(Money)
    margin: Mapped[Decimal] = mapped_column(Money)
    created_by: Mapped[str] = mapped_column(String(128))


class QuoteRow(PricedDocumentRow, Base):
    __tablename__ = "quotes"
    __table_args__ = (Index(None, "tenant_id", "customer_id"),)

    opportunity_id: Mapped[UUID | None]
    valid_until: Mapped[date | None] = mapped_column(Date)
    status: Mapped[QuoteStatus] = mapped_column(enum(QuoteStatus))
    order_id: Mapped[UUID | None]
    contract_id: Mapped[UUID | None]
    rejection_reason: Mapped[str | None] = mapped_column(Text)


class OrderRow(PricedDocumentRow, Base):
    __tablename__ = "orders"
    __table_args__ = (Index(None, "tenant_id", "customer_id"),)

    quote_id: Mapped[UUID | None]
    status: Mapped[OrderStatus] = mapped_column(enum(OrderStatus))
    cancel_reason: Mapped[str | None] = mapped_column(Text)


class ContractRow(CustomerRecordRow, Base):
    __tablename__ = "contracts"
    __table_args__ = (
        Index(None, "tenant_id", "customer_id"),
        Index(None, "status", "end_date"),
    )

    name: Mapped[str] = mapped_column(Text)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    status: Mapped[ContractStatus] = mapped_column(enum(ContractStatus))
    amount: Mapped[Decimal | None] = mapped_column(Money)
    currency: Mapped[str | None] = mapped_column(String(3))
    quote_id: Mapped[UUID | None]
    order_id: Mapped[UUID | None]
    previous_id: Mapped[UUID | None]
    next_id: Mapped[UUID | None]
    created_by: Mapped[str] = mapped_column(String(128))


class TaskRow(CustomerRecordRow, Base):
    __tablename__ = "tasks"
    __table_args__ = (
        Index(None, "tenant_id", "assignee_id", "start_at"),
        Index(None, "tenant_id", "customer_id"),
        Index(None, "status", "due_at"),
    )

    subject: Mapped[str] = mapped_column(Text)
    method: Mapped[TaskMethod] = mapped_column(enum(TaskMethod))
    start_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    duration_minutes: Mapped[int]
    # start + duration, stored so the overdue query can use an index.
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    assignee_id: Mapped[str] = mapped_column(String(128))
    reminder_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    contact_id: Mapped[UUID | None]
    opportunity_id: Mapped[UUID | None]
    status: Mapped[TaskStatus] = mapped_column(enum(TaskStatus))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(Text)
    overdue_notified_on: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(128))


class ExpenseRow(CustomerRecordRow, Base):
    __tablename__ = "expenses"
    __table_args__ = (Index(None, "tenant_id", "customer_id"),)

    contact_id: Mapped[UUID]
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    category: Mapped[ExpenseCategory] = mapped_column(enum(ExpenseCategory))
    incurred_on: Mapped[date] = mapped_column(Date)
    recorded_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(128))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[ExpenseStatus] = mapped_column(enum(ExpenseStatus))
    decided_by: Mapped[str | None] = mapped_column(String(128))
    rejection_reason: Mapped[str | None] = mapped_column(Text)


class CampaignRow(AggregateRow, Base):
    __tablename__ = "campaigns"
    __table_args__ = (Index(None, "tenant_id", "start_date"),)

    name: Mapped[str] = mapped_column(Text)
    segment_id: Mapped[UUID]
    channel: Mapped[CampaignChannel] = mapped_column(enum(CampaignChannel))
    budget: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(128))


class CampaignResponseRow(CustomerRecordRow, Base):
    __tablename__ = "campaign_responses"
    __table_args__ = (UniqueConstraint("campaign_id", "contact_id"),)

    campaign_id: Mapped[UUID]
    contact_id: Mapped[UUID]
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    replied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    interested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    unsubscribed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
