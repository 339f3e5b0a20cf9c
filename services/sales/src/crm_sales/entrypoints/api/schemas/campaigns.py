"""Schemas of campaigns, their responses and results."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from crm_contracts.sales import CampaignChannel, CampaignResponseKind
from pydantic import AwareDatetime, Field

from crm_sales.entrypoints.api.schemas.common import Currency, Money, Name, Patch, Read, Schema


class CampaignCreate(Schema):
    name: Name
    segment_id: UUID = Field(description="A segment of the customers service.")
    channel: CampaignChannel
    budget: Money
    currency: Currency
    start_date: date
    end_date: date


class CampaignUpdate(Patch):
    name: Name | None = None
    segment_id: UUID | None = None
    channel: CampaignChannel | None = None
    budget: Money | None = None
    start_date: date | None = None
    end_date: date | None = None


class CampaignRead(Read):
    id: UUID
    name: str
    segment_id: UUID
    channel: CampaignChannel
    budget: Decimal
    currency: str
    start_date: date
    end_date: date
    created_by: str
    version: int
    created_at: datetime
    updated_at: datetime


class ResponseIn(Schema):
    contact_id: UUID
    response: CampaignResponseKind
    responded_at: AwareDatetime | None = Field(default=None, description="Now by default.")


class ResponseRead(Read):
    campaign_id: UUID
    contact_id: UUID
    customer_id: UUID
    opened_at: datetime | None
    replied_at: datetime | None
    interested_at: datetime | None
    unsubscribed_at: datetime | None


class ResponseCounts(Schema):
    """Contacts that gave each response (each contact counts once per kind)."""

    opened: int
    replied: int
    interested: int
    unsubscribed: int


class AttributedRevenue(Schema):
    """Opportunities attributed to the campaign, in one currency."""

    currency: str
    opportunities: int
    pipeline_amount: Decimal = Field(description="Amount of the open ones.")
    won: int
    won_amount: Decimal


class CampaignResults(Schema):
    campaign_id: UUID
    budget: Decimal
    currency: str
    responses: ResponseCounts
    attributed: list[AttributedRevenue] = Field(description="Per currency, as far as you see.")
