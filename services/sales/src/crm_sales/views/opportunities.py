"""Read side of opportunities."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from crm_contracts.sales import OpportunityStatus
from servicekit.auth import Principal
from servicekit.paging import Page, PageParams
from sqlalchemy.ext.asyncio import AsyncSession

from crm_sales.adapters.orm import CustomerFact, OpportunityRow
from crm_sales.entrypoints.api.schemas.opportunities import OpportunityRead
from crm_sales.views.common import one, page, records, where

ROW = OpportunityRow


@dataclass(frozen=True)
class OpportunityFilter:
    customer_id: UUID | None = None
    owner_id: str | None = None
    stage: str | None = None
    status: OpportunityStatus | None = None
    campaign_id: UUID | None = None
    branch: str | None = None
    close_from: date | None = None
    close_to: date | None = None


async def opportunity(
    session: AsyncSession, principal: Principal, opportunity_id: UUID
) -> OpportunityRead:
    query = records(ROW, principal)
    return await one(session, query, ROW, opportunity_id, OpportunityRead, "opportunity")


async def opportunities(
    session: AsyncSession, principal: Principal, params: PageParams, f: OpportunityFilter
) -> Page[OpportunityRead]:
    query = where(
        records(ROW, principal),
        {
            ROW.customer_id: f.customer_id,
            ROW.owner_id: f.owner_id,
            ROW.stage: f.stage,
            ROW.status: f.status,
            ROW.campaign_id: f.campaign_id,
            CustomerFact.branch_id: f.branch,
        },
    )
    if f.close_from:
        query = query.where(ROW.expected_close_date >= f.close_from)
    if f.close_to:
        query = query.where(ROW.expected_close_date <= f.close_to)
    return await page(
        session,
        query,
        params,
        OpportunityRead,
        sortable={
            "name": ROW.name,
            "amount": ROW.amount,
            "probability": ROW.probability,
            "stage": ROW.stage,
            "expected_close_date": ROW.expected_close_date,
            "created_at": ROW.created_at,
            "updated_at": ROW.updated_at,
        },
        default=[ROW.created_at.desc()],
        tiebreak=ROW.id,
    )
