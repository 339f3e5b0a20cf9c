"""Request and response schemas of the reports.

Every report has `items`: flat rows, the same in JSON and in CSV (`Accept: text/csv`).
Money is a decimal string with its currency (never summed across currencies); rates are
fractions 0..1, null when there is nothing to divide by. Empty branch, owner or currency
keys come back as null.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True, str_strip_whitespace=True)


class Report(Schema):
    """Base of every report: rows in `items`."""

    items: list[BaseModel]


class CustomerSummaryRow(Schema):
    branch_id: str
    lifecycle_stage: str
    customers: int


class CustomerSummary(Schema):
    items: list[CustomerSummaryRow]
    total: int


class Dims(Schema):
    """The keys a row is grouped by; those not asked for are null."""

    branch_id: str | None = None
    owner_id: str | None = None
    month: date | None = None


class FunnelRow(Schema):
    stage: str
    outcome: Literal["open", "won", "lost"] | None = Field(
        description="What the stage means in the tenant's pipeline; null: no longer in it."
    )
    currency: str | None
    entered: int = Field(description="Opportunities that ever entered the stage.")
    entered_amount: Decimal
    in_stage: int = Field(description="Opportunities in the stage now.")
    in_stage_amount: Decimal
    conversion_to_next: float | None = Field(
        description="Entered the next stage (the won stage after the last open one) / entered "
        "this one."
    )


class Funnel(Schema):
    items: list[FunnelRow]


class PipelineRow(Dims):
    stage: str | None = None
    currency: str | None
    opportunities: int
    amount: Decimal
    weighted: Decimal = Field(description="Sum of amount x probability: the weighted forecast.")


class Pipeline(Schema):
    items: list[PipelineRow]


class WinRateRow(Dims):
    currency: str | None
    won: int
    lost: int
    won_amount: Decimal
    lost_amount: Decimal
    win_rate: float | None = Field(description="won / (won + lost), by count.")
    win_rate_by_amount: float | None
    average_cycle_days: float | None = Field(
        description="Days from creation to the win, averaged over won opportunities."
    )


class WinRate(Schema):
    items: list[WinRateRow]


class SalesRow(Dims):
    currency: str | None
    deals: int
    amount: Decimal


class Sales(Schema):
    items: list[SalesRow]


class ProductSalesRow(Dims):
    product_id: UUID
    sku: str | None
    name: str | None
    currency: str | None
    lines: int
    quantity: Decimal
    net_amount: Decimal
    cost: Decimal
    margin: Decimal


class ProductSales(Schema):
    items: list[ProductSalesRow]


class QuotesRow(Dims):
    currency: str | None
    quotes: int
    total: Decimal
    draft: int
    sent: int
    accepted: int
    rejected: int
    acceptance_rate: float | None = Field(description="accepted / (accepted + rejected)")
    loss_alarms: int = Field(description="Quotes priced below cost.")


class Quotes(Schema):
    items: list[QuotesRow]


class ContractsRow(Dims):
    currency: str | None
    contracts: int
    amount: Decimal
    active: int
    expiring: int
    renewed: int
    not_renewed: int
    renewal_rate: float | None = Field(description="renewed / (renewed + not renewed)")


class Contracts(Schema):
    items: list[ContractsRow]


class GrowthRow(Dims):
    created: int = Field(description="New accounts (any stage).")
    converted: int = Field(description="Accounts that first became customers.")
    churned: int = Field(description="Customers that churned (and are churned now).")
    lost: int = Field(description="Leads and prospects lost (and lost now).")
    net: int = Field(description="converted - churned")


class Growth(Schema):
    items: list[GrowthRow]


class ChurnReasonRow(Schema):
    kind: Literal["churned", "lost"]
    reason: str | None
    customers: int


class ChurnReasons(Schema):
    items: list[ChurnReasonRow]


class TierRow(Schema):
    tier: Literal["vip", "large", "medium", "small"]
    customers: int
    revenue: Decimal
    customer_share: float | None
    revenue_share: float | None


class ValuePyramid(Schema):
    currency: str | None
    customers: int
    revenue: Decimal
    top_20_percent_revenue_share: float | None = Field(
        description="Pareto: the share of revenue the top 20% of customers bring."
    )
    items: list[TierRow]


class ProfitabilityRow(Schema):
    customer_id: UUID
    name: str | None
    branch_id: str | None
    owner_id: str | None
    currency: str | None
    revenue: Decimal
    expenses: Decimal
    profit: Decimal


class Profitability(Schema):
    items: list[ProfitabilityRow]
    total: int = Field(description="Rows matching the filters (all pages).")
    limit: int
    offset: int


class ActivityRow(Schema):
    branch_id: str | None
    owner_id: str | None
    interactions: int
    tasks_planned: int
    tasks_done: int
    tasks_done_late: int
    tasks_overdue: int = Field(description="Reported overdue and not done.")
    customers: int = Field(description="Customers the rep owns now.")
    completeness: float | None = Field(
        description=(
            "Share of the standard fields (name, category, industry, phone, fax, e-mail, "
            "contact, postal code, address, website) filled on those customers, counting "
            "the fields the customers service's events have stated: its `customer.created` "
            "event states name, category, industry, phone and e-mail; the others count once "
            "an update names them."
        )
    )


class Activity(Schema):
    items: list[ActivityRow]


class ServiceRow(Dims):
    priority: str | None = None
    tickets: int
    responded: int
    average_first_response_minutes: float | None
    resolved: int
    average_resolution_minutes: float | None
    first_response_compliance: float | None
    resolution_compliance: float | None
    sla_compliance: float | None = Field(description="Tickets with no breached clock / tickets.")
    csat_answers: int
    csat_average: float | None


class Service(Schema):
    items: list[ServiceRow]


class CampaignRow(Schema):
    campaign_id: UUID
    name: str | None
    channel: str | None
    budget: Decimal | None
    currency: str | None
    mails_queued: int
    mails_sent: int
    unsubscribed: int
    responses: int = Field(description="Contacts that responded (each kind counted once).")
    opened: int
    replied: int
    interested: int
    opportunities: int
    won: int
    won_amount: Decimal = Field(description="Won opportunities' amount in the budget currency.")
    cost_per_response: Decimal | None
    return_on_budget: float | None = Field(description="(won amount - budget) / budget")


class Campaigns(Schema):
    items: list[CampaignRow]


class ForecastPolicy(Schema):
    """Which opportunities a forecast snapshot keeps (the quality bar)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"min_stage": "proposal"}]})

    min_stage: str | None = Field(
        default=None,
        max_length=40,
        description="Lowest open stage counted (pipeline order); null: every open stage. "
        "Opportunities without an expected close date are never counted.",
    )


class SnapshotRead(Schema):
    snapshot_id: UUID
    taken_at: datetime
    taken_by: str
    scheduled_for: date | None
    min_stage: str | None
    opportunities: int


class Snapshots(Schema):
    items: list[SnapshotRead]


class AccuracyRow(Dims):
    currency: str | None
    forecast_opportunities: int
    forecast_amount: Decimal
    forecast_weighted: Decimal
    later_opportunities: int | None
    later_amount: Decimal | None
    later_weighted: Decimal | None
    won: int = Field(description="Of the snapshot's opportunities: won since.")
    won_amount: Decimal
    lost: int
    open: int
    slipped: int = Field(description="Still open, expected to close after the snapshot's month.")
    accuracy: float | None = Field(description="won amount / weighted forecast")


class ForecastAccuracy(Schema):
    snapshot: SnapshotRead
    compared_to: SnapshotRead | None
    items: list[AccuracyRow]


class DimensionsRead(Schema):
    branches: list[str]
    owners: list[str]


class RebuildRead(Schema):
    rebuild_id: UUID
    status: Literal["running", "done", "failed"]
    phase: str = Field(description="replay, catch_up, swap, tail, done")
    applied: int = Field(description="Events applied to the new read models so far.")
    consumed: int = Field(description="Records read from the topics so far.")
    total: int = Field(description="Records up to the topics' high watermarks at the start.")
    skipped: int = Field(description="Events that could not be applied (left out, logged).")
    progress: float
    events_per_second: float | None
    started_at: datetime
    finished_at: datetime | None
    error: str | None
