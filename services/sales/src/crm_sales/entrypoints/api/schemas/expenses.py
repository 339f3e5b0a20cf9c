"""Schemas of expenses."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from crm_contracts.sales import ExpenseCategory, ExpenseStatus
from pydantic import Field

from crm_sales.entrypoints.api.schemas.common import Currency, Money, Read, Schema, Text


class ExpenseCreate(Schema):
    customer_id: UUID
    contact_id: UUID
    amount: Money
    currency: Currency
    category: ExpenseCategory
    incurred_on: date = Field(description="Recorded on a later day, it needs a manager.")
    description: Text | None = None


class ExpenseRead(Read):
    id: UUID
    customer_id: UUID
    contact_id: UUID
    amount: Decimal
    currency: str
    category: ExpenseCategory
    incurred_on: date
    recorded_on: date
    recorded_by: str
    description: str | None
    status: ExpenseStatus
    decided_by: str | None
    rejection_reason: str | None
    version: int
    created_at: datetime
    updated_at: datetime
