"""Schemas of the sales configuration and the product catalogue."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from crm_contracts.sales import StageOutcome
from pydantic import Field, StringConstraints

from crm_sales.entrypoints.api.schemas.common import (
    Currency,
    Money,
    Name,
    Patch,
    Probability,
    Read,
    Schema,
)

StageKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
Sku = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class StageIn(Schema):
    key: StageKey
    name: Name
    probability: Probability = Field(description="Default win probability in percent.")
    outcome: StageOutcome = StageOutcome.OPEN


class ConfigurationUpdate(Schema):
    stages: list[StageIn] = Field(min_length=3, max_length=30)
    timezone: Annotated[str, StringConstraints(min_length=1, max_length=64)] = "UTC"
    expiring_days_ahead: int = Field(default=30, ge=1, le=365)

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "stages": [
                        {"key": "lead_in", "name": "Lead in", "probability": 5},
                        {"key": "demo", "name": "Demo given", "probability": 40},
                        {"key": "won", "name": "Won", "probability": 100, "outcome": "won"},
                        {"key": "lost", "name": "Lost", "probability": 0, "outcome": "lost"},
                    ],
                    "timezone": "Asia/Shanghai",
                    "expiring_days_ahead": 45,
                }
            ]
        }
    }


class StageRead(Read):
    key: str
    name: str
    probability: int
    outcome: StageOutcome


class ConfigurationRead(Read):
    stages: list[StageRead]
    timezone: str
    expiring_days_ahead: int
    version: int


class ProductCreate(Schema):
    sku: Sku
    name: Name
    list_price: Money
    unit_cost: Money
    currency: Currency


class ProductUpdate(Patch):
    name: Name | None = None
    list_price: Money | None = None
    unit_cost: Money | None = None
    currency: Currency | None = None
    active: bool | None = None


class ProductRead(Read):
    """A product as sales reps see it: no unit cost."""

    id: UUID
    sku: str
    name: str
    list_price: Decimal
    currency: str
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime


class ProductCostRead(ProductRead):
    """A product as managers see it, with its unit cost."""

    unit_cost: Decimal
