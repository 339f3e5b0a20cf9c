"""Opportunity use cases: open, edit, move through the pipeline, win, lose, reopen, assign."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from crm_contracts.sales import OpportunityOwnerChangeReason
from servicekit.auth import Principal
from servicekit.concurrency import check_version
from servicekit.errors import FieldError, Forbidden, InvalidInput

from crm_sales.domain.base import business_day, utcnow
from crm_sales.domain.commands import (
    Assign,
    Edit,
    Lose,
    MoveStage,
    OnRecord,
    OpenOpportunity,
    Reopen,
)
from crm_sales.domain.opportunities import Opportunity
from crm_sales.domain.pipeline import SalesConfiguration
from crm_sales.service_layer.access import (
    SELLERS,
    customer_to_sell_to,
    found,
    is_manager,
    require,
    require_manager,
)
from crm_sales.service_layer.unit_of_work import SalesUnitOfWork


async def _campaign_exists(uow: SalesUnitOfWork, principal: Principal, campaign_id: UUID) -> None:
    if await uow.campaigns.get(campaign_id, visible_to=principal) is None:
        raise InvalidInput(
            f"No campaign {campaign_id}.", errors=[FieldError("campaign_id", "unknown campaign")]
        )


async def open_opportunity(
    *, uow: SalesUnitOfWork, cmd: OpenOpportunity, principal: Principal
) -> Opportunity:
    """Open an opportunity for a customer the caller owns (or manages); publishes created."""
    async with uow:
        customer = await customer_to_sell_to(uow, principal, cmd.customer_id)
        if is_manager(principal):
            owner = cmd.owner_id or customer.owner_id or principal.user_id
        elif cmd.owner_id not in (None, principal.user_id):
            raise Forbidden("A rep opens opportunities for themself; a manager assigns them.")
        else:
            owner = principal.user_id
        if cmd.campaign_id is not None:
            await _campaign_exists(uow, principal, cmd.campaign_id)
        config = await uow.configuration.get(principal.tenant)
        opportunity = Opportunity.open(
            pipeline=config.pipeline,
            tenant_id=principal.tenant,
            customer_id=customer.customer_id,
            branch_id=customer.branch_id,
            name=cmd.name,
            amount=cmd.amount,
            currency=cmd.currency,
            expected_close_date=cmd.expected_close_date,
            owner_id=owner,
            created_by=principal.user_id,
            stage=cmd.stage,
            probability=cmd.probability,
            campaign_id=cmd.campaign_id,
        )
        uow.opportunities.add(opportunity)
        await uow.commit()
    return opportunity


async def _act(
    uow: SalesUnitOfWork,
    cmd: OnRecord,
    principal: Principal,
    change: Callable[[Opportunity, SalesConfiguration], object],
    *,
    campaign_id: UUID | None = None,
) -> Opportunity:
    """Load a visible opportunity at the version the caller saw, change it, commit."""
    require(principal, SELLERS, "change opportunities")
    async with uow:
        if campaign_id is not None:
            await _campaign_exists(uow, principal, campaign_id)
        opportunity = await found(
            uow.opportunities.get(cmd.id, visible_to=principal), "opportunity", cmd.id
        )
        check_version(cmd.expected_version, opportunity.version)
        change(opportunity, await uow.configuration.get(principal.tenant))
        await uow.commit()
    return opportunity


async def update_opportunity(
    *, uow: SalesUnitOfWork, cmd: Edit, principal: Principal
) -> Opportunity:
    """Amount, close date and probability have events of their own (forecast history)."""
    changes = dict(cmd.changes)
    by = principal.user_id

    def change(opportunity: Opportunity, _: SalesConfiguration) -> None:
        if "amount" in changes or "currency" in changes:
            opportunity.change_amount(
                changes.pop("amount", opportunity.amount),
                changes.pop("currency", opportunity.currency),
                by=by,
            )
        if "expected_close_date" in changes:
            opportunity.change_close_date(changes.pop("expected_close_date"), by=by)
        if "probability" in changes:
            opportunity.set_probability(changes.pop("probability"), by=by)
        opportunity.update(changes, by=by)

    return await _act(uow, cmd, principal, change, campaign_id=changes.get("campaign_id"))


async def move_stage(*, uow: SalesUnitOfWork, cmd: MoveStage, principal: Principal) -> Opportunity:
    """Move to another open stage at its default probability."""
    return await _act(
        uow, cmd, principal, lambda o, c: o.move_to(cmd.stage, c.pipeline, by=principal.user_id)
    )


async def win(*, uow: SalesUnitOfWork, cmd: OnRecord, principal: Principal) -> Opportunity:
    """Mark it won; publishes stage_changed and won."""
    return await _act(
        uow,
        cmd,
        principal,
        lambda o, c: o.win(
            c.pipeline, by=principal.user_id, today=business_day(utcnow(), c.timezone)
        ),
    )


async def lose(*, uow: SalesUnitOfWork, cmd: Lose, principal: Principal) -> Opportunity:
    """Mark it lost with the reason; publishes stage_changed and lost."""
    return await _act(
        uow,
        cmd,
        principal,
        lambda o, c: o.lose(
            c.pipeline,
            reason=cmd.reason,
            by=principal.user_id,
            today=business_day(utcnow(), c.timezone),
        ),
    )


async def reopen(*, uow: SalesUnitOfWork, cmd: Reopen, principal: Principal) -> Opportunity:
    """A manager takes a won or lost opportunity back into the pipeline."""
    return await _act(
        uow,
        cmd,
        principal,
        lambda o, c: o.reopen(
            c.pipeline, stage=cmd.stage, by=principal.user_id, by_manager=is_manager(principal)
        ),
    )


async def assign(*, uow: SalesUnitOfWork, cmd: Assign, principal: Principal) -> Opportunity:
    """A manager gives the opportunity to another rep."""
    require_manager(principal, "give an opportunity to another rep")
    return await _act(
        uow,
        cmd,
        principal,
        lambda o, _: o.assign(
            cmd.assignee_id, by=principal.user_id, reason=OpportunityOwnerChangeReason.ASSIGNED
        ),
    )
