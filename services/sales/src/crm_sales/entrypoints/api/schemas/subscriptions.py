"""Schemas of contracts (subscription periods)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from crm_contracts.sales import ContractStatus
from pydantic import Field

from crm_sales.entrypoints.api.schemas.common import Currency, Money, Name, Read, Schema


class ContractCreate(Schema):
    customer_id: UUID
    name: Name
    start_date: date
    end_date: date
    amount: Money | None = None
    currency: Currency | None = None


class Renewal(Schema):
    end_date: date | None = Field(
        default=None, description="Last day of the next period; as long as this one by default."
    )


class ContractRead(Read):
    id: UUID
    customer_id: UUID
    name: str
    start_date: date
    end_date: date
    status: ContractStatus
    amount: Decimal | None
    currency: str | None
    quote_id: UUID | None
    order_id: UUID | None
    previous_id: UUID | None
    next_id: UUID | None
    created_by: str
    version: int
    created_at: datetime
    updated_at: datetime


class RenewalRead(Schema):
    renewed: ContractRead
    next: ContractRead


class ActiveCustomer(Read):
    """A customer with a subscription in force on the day asked about."""

    customer_id: UUID
    customer_name: str | None
    contracts: int
    ends_on: date = Field(description="The last end date among those contracts.")
