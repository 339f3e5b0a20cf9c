"""Read side of campaigns: the campaign, its responses, and what it brought in."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from crm_contracts.sales import CampaignChannel, CampaignResponseKind, OpportunityStatus
from servicekit.auth import Principal
from servicekit.paging import Page, PageParams
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm_sales.adapters.orm import CampaignResponseRow, CampaignRow, OpportunityRow
from crm_sales.adapters.scoping import visible_records, with_customer
from crm_sales.entrypoints.api.schemas.campaigns import (
    AttributedRevenue,
    CampaignRead,
    CampaignResults,
    ResponseCounts,
    ResponseRead,
)
from crm_sales.views.common import one, page, tenant_records, where

ROW = CampaignRow


async def campaign(session: AsyncSession, principal: Principal, campaign_id: UUID) -> CampaignRead:
    query = tenant_records(ROW, principal)
    return await one(session, query, ROW, campaign_id, CampaignRead, "campaign")


async def campaigns(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    *,
    channel: CampaignChannel | None,
    running_on: date | None,
) -> Page[CampaignRead]:
    query = where(tenant_records(ROW, principal), {ROW.channel: channel})
    if running_on is not None:
        query = query.where(ROW.start_date <= running_on, ROW.end_date >= running_on)
    return await page(
        session,
        query,
        params,
        CampaignRead,
        sortable={"start_date": ROW.start_date, "name": ROW.name, "budget": ROW.budget},
        default=[ROW.start_date.desc()],
        tiebreak=ROW.id,
    )


async def responses(
    session: AsyncSession,
    principal: Principal,
    campaign_id: UUID,
    params: PageParams,
    kind: CampaignResponseKind | None,
) -> Page[ResponseRead]:
    await campaign(session, principal, campaign_id)  # 404 for another tenant's campaign
    r = CampaignResponseRow
    query = with_customer(select(r), r).where(
        visible_records(principal, r), r.campaign_id == campaign_id, r.version > 0
    )
    if kind is not None:
        query = query.where(getattr(r, f"{kind.value}_at").is_not(None))
    return await page(
        session,
        query,
        params,
        ResponseRead,
        sortable={"created_at": r.created_at, "updated_at": r.updated_at},
        default=[r.created_at],
        tiebreak=r.id,
    )


async def results(
    session: AsyncSession, principal: Principal, campaign_id: UUID
) -> CampaignResults:
    """Responses by kind and the opportunities attributed to the campaign, per currency,
    counted over what the reader may see."""
    found = await campaign(session, principal, campaign_id)
    r = CampaignResponseRow
    counts = (
        await session.execute(
            with_customer(
                select(*(func.count(getattr(r, f"{k.value}_at")) for k in CampaignResponseKind)),
                r,
            ).where(visible_records(principal, r), r.campaign_id == campaign_id)
        )
    ).one()
    o = OpportunityRow
    won = o.status == OpportunityStatus.WON
    is_open = o.status == OpportunityStatus.OPEN
    by_currency = await session.execute(
        with_customer(
            select(
                o.currency,
                func.count(),
                func.coalesce(func.sum(o.amount).filter(is_open), 0),
                func.count().filter(won),
                func.coalesce(func.sum(o.amount).filter(won), 0),
            ),
            o,
        )
        .where(visible_records(principal, o), o.campaign_id == campaign_id)
        .group_by(o.currency)
        .order_by(o.currency)
    )
    return CampaignResults(
        campaign_id=found.id,
        budget=found.budget,
        currency=found.currency,
        responses=ResponseCounts(
            **{k.value: n for k, n in zip(CampaignResponseKind, counts, strict=True)}
        ),
        attributed=[
            AttributedRevenue(
                currency=currency,
                opportunities=total,
                pipeline_amount=Decimal(pipeline),
                won=won_count,
                won_amount=Decimal(won_amount),
            )
            for currency, total, pipeline, won_count, won_amount in by_currency
        ],
    )
