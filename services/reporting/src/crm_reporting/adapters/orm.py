"""Read models: facts kept from events, and the pre-aggregated counts reports answer from."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import DateTime, Index, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention={"pk": "pk_%(table_name)s"})


class CustomerFact(Base):
    """One row per customer, as the customers events describe it."""

    __tablename__ = "customer_facts"
    __table_args__ = (Index("ix_customer_facts_tenant_owner", "tenant_id", "owner_id"),)

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[UUID] = mapped_column(primary_key=True)
    branch_id: Mapped[str] = mapped_column(String(64))
    owner_id: Mapped[str | None] = mapped_column(String(128))
    lifecycle_stage: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CustomerStageCount(Base):
    """Customers per branch and lifecycle stage, kept current as events arrive."""

    __tablename__ = "customer_stage_counts"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    branch_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    lifecycle_stage: Mapped[str] = mapped_column(String(16), primary_key=True)
    customers: Mapped[int]
