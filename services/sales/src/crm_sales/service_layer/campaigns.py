"""Campaign use cases: plan and change a campaign, record contacts' responses."""

from __future__ import annotations

from uuid import UUID

from servicekit.auth import Principal, Role
from servicekit.errors import FieldError, InvalidInput

from crm_sales.adapters import facts
from crm_sales.adapters.repository import CampaignRepository
from crm_sales.domain.base import utcnow
from crm_sales.domain.campaigns import Campaign, CampaignResponse
from crm_sales.domain.commands import Edit, PlanCampaign, RecordResponse
from crm_sales.service_layer.access import (
    CAMPAIGNERS,
    SELLERS,
    change_record,
    contact_of,
    customer_to_work_with,
    found,
    require,
)
from crm_sales.service_layer.unit_of_work import SalesUnitOfWork

# Mail tools report opens and unsubscribes; reps record what a contact told them.
RESPONDERS = CAMPAIGNERS | SELLERS | {Role.INTEGRATOR}


async def _segment_exists(uow: SalesUnitOfWork, principal: Principal, segment_id: UUID) -> None:
    segment = await facts.segment(uow.session, principal.tenant, segment_id)
    if segment is None or segment.deleted:
        raise InvalidInput(
            f"No segment {segment_id}.", errors=[FieldError("segment_id", "unknown segment")]
        )


async def plan_campaign(
    *, uow: SalesUnitOfWork, cmd: PlanCampaign, principal: Principal
) -> Campaign:
    """Plan a campaign for a known segment; publishes campaign.created."""
    require(principal, CAMPAIGNERS, "plan campaigns")
    async with uow:
        await _segment_exists(uow, principal, cmd.segment_id)
        campaign = Campaign.plan(
            tenant_id=principal.tenant,
            name=cmd.name,
            segment_id=cmd.segment_id,
            channel=cmd.channel,
            budget=cmd.budget,
            currency=cmd.currency,
            start_date=cmd.start_date,
            end_date=cmd.end_date,
            created_by=principal.user_id,
        )
        uow.campaigns.add(campaign)
        await uow.commit()
    return campaign


def _campaigns(uow: SalesUnitOfWork) -> CampaignRepository:
    return uow.campaigns


async def update_campaign(*, uow: SalesUnitOfWork, cmd: Edit, principal: Principal) -> Campaign:
    """Change a campaign's plan; publishes campaign.updated with old and new values."""
    require(principal, CAMPAIGNERS, "change campaigns")
    segment_id = cmd.changes.get("segment_id")

    async def check(uow: SalesUnitOfWork) -> None:
        if segment_id is not None:
            await _segment_exists(uow, principal, segment_id)

    return await change_record(
        uow,
        _campaigns,
        cmd,
        principal,
        lambda c: c.update(cmd.changes, by=principal.user_id),
        check=check,
    )


async def record_response(
    *, uow: SalesUnitOfWork, cmd: RecordResponse, principal: Principal
) -> tuple[CampaignResponse, bool]:
    """Record a contact's response once per kind; True when it is new."""
    require(principal, RESPONDERS, "record campaign responses")
    async with uow:
        campaign = await found(
            uow.campaigns.get(cmd.campaign_id, visible_to=principal), "campaign", cmd.campaign_id
        )
        contact = await contact_of(uow, principal, cmd.contact_id, None)
        # A rep records responses only of the customers they may work with.
        await customer_to_work_with(uow, principal, contact.customer_id, field="contact_id")
        response = await uow.responses.of_contact(
            principal.tenant, campaign.id, contact.contact_id, customer_id=contact.customer_id
        )
        new = response.record(cmd.response, at=cmd.responded_at or utcnow(), by=principal.user_id)
        await uow.commit()
    return response, new
