"""Schemas of opportunities."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from crm_contracts.sales import OpportunityStatus
from pydantic import Field

from crm_sales.entrypoints.api.schemas.catalog import StageKey
from crm_sales.entrypoints.api.schemas.common import (
    Currency,
    Money,
    Name,
    Patch,
    Probability,
    Read,
    Schema,
    Text,
    UserId,
)


class OpportunityCreate(Schema):
    customer_id: UUID
    name: Name
    amount: Money
    currency: Currency
    expected_close_date: date
    stage: StageKey | None = Field(default=None, description="An open stage; the first one.")
    probability: Probability | None = Field(default=None, description="The stage's by default.")
    owner_id: UserId | None = Field(default=None, description="Managers assign; reps own.")
    campaign_id: UUID | None = Field(default=None, description="The campaign it came from.")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "customer_id": "3f0c6c1e-8a53-4c2b-9a57-2f1d8f0b6d41",
                    "name": "Forklift fleet 2026",
                    "amount": "250000.00",
                    "currency": "EUR",
                    "expected_close_date": "2026-06-30",
                }
            ]
        }
    }


class OpportunityUpdate(Patch):
    NULLABLE = frozenset({"campaign_id"})

    name: Name | None = None
    amount: Money | None = None
    currency: Currency | None = None
    expected_close_date: date | None = None
    probability: Probability | None = None
    campaign_id: UUID | None = None


class StageMove(Schema):
    stage: StageKey


class ReopenAt(Schema):
    stage: StageKey | None = Field(default=None, description="An open stage; the first one.")


class OpportunityRead(Read):
    id: UUID
    customer_id: UUID
    name: str
    amount: Decimal
    currency: str
    expected_close_date: date
    probability: int
    stage: str
    status: OpportunityStatus
    owner_id: str
    campaign_id: UUID | None
    lost_reason: str | None
    closed_on: date | None
    created_by: str
    version: int
    created_at: datetime
    updated_at: datetime


class Lose(Schema):
    reason: Text = Field(description="Why it was lost (required).")
