"""Schemas of quotes and orders. Reps see prices; managers also see cost and margin."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from crm_contracts.sales import OrderStatus, QuoteStatus
from pydantic import Field

from crm_sales.entrypoints.api.schemas.common import Currency, Money, Name, Percent, Read, Schema

QUANTITY = Field(gt=0, max_digits=14, decimal_places=4)


class LineIn(Schema):
    product_id: UUID
    quantity: Decimal = QUANTITY
    unit_price: Money | None = Field(default=None, description="The list price by default.")
    discount_percent: Percent = Decimal(0)


class PricingIn(Schema):
    lines: list[LineIn] = Field(min_length=1, max_length=200)
    discount_percent: Percent = Field(default=Decimal(0), description="On the whole document.")


class QuoteCreate(PricingIn):
    customer_id: UUID
    currency: Currency
    opportunity_id: UUID | None = None
    valid_until: date | None = None


class QuoteRevision(PricingIn):
    valid_until: date | None = None


class ContractTermsIn(Schema):
    start_date: date
    end_date: date
    name: Name | None = Field(default=None, description="The first line's product by default.")


class AcceptanceIn(Schema):
    create_order: bool = True
    contract: ContractTermsIn | None = Field(
        default=None, description="Start a contract (subscription) for these dates."
    )


class OrderCreate(PricingIn):
    customer_id: UUID
    currency: Currency


class LineRead(Read):
    line_no: int
    product_id: UUID
    sku: str
    name: str
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    net_amount: Decimal


class LineCostRead(LineRead):
    unit_cost: Decimal
    cost: Decimal


class DocumentRead(Read):
    id: UUID
    customer_id: UUID
    currency: str
    lines: list[LineRead]
    subtotal: Decimal
    discount_percent: Decimal
    total: Decimal
    loss_alarm: bool = Field(description="Priced below cost: a manager approves it first.")
    loss_approved_by: str | None
    created_by: str
    version: int
    created_at: datetime
    updated_at: datetime


class CostFigures(Read):
    lines: list[LineCostRead]
    cost: Decimal
    margin: Decimal


class QuoteRead(DocumentRead):
    """A quote as reps see it."""

    opportunity_id: UUID | None
    valid_until: date | None
    status: QuoteStatus
    order_id: UUID | None
    contract_id: UUID | None
    rejection_reason: str | None


class QuoteCostRead(CostFigures, QuoteRead):
    """A quote as managers see it: with cost and margin."""


class OrderRead(DocumentRead):
    """An order as reps see it."""

    quote_id: UUID | None
    status: OrderStatus
    cancel_reason: str | None


class OrderCostRead(CostFigures, OrderRead):
    """An order as managers see it: with cost and margin."""


class Acceptance(Schema):
    quote: QuoteCostRead | QuoteRead
    order_id: UUID | None
    contract_id: UUID | None
