"""Asset use cases: register and correct a customer's products."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from servicekit.auth import Principal
from servicekit.concurrency import check_version

from crm_service_desk.domain.asset import Asset
from crm_service_desk.service_layer.access import (
    AGENTS,
    asset_in_scope,
    customer_in_scope,
    require,
)
from crm_service_desk.service_layer.unit_of_work import DeskUnitOfWork


async def register_asset(
    *,
    uow: DeskUnitOfWork,
    customer_id: UUID,
    product: str,
    serial: str,
    purchase_date: date | None,
    warranty_end: date | None,
    principal: Principal,
    now: datetime,
) -> Asset:
    require(principal, AGENTS, "register assets")
    async with uow:
        customer = await customer_in_scope(uow, principal, customer_id)
        assert customer.branch_id is not None
        asset = Asset.register(
            tenant_id=principal.tenant,
            customer_id=customer.customer_id,
            branch_id=customer.branch_id,
            product=product,
            serial=serial,
            purchase_date=purchase_date,
            warranty_end=warranty_end,
            by=principal.user_id,
            now=now,
        )
        uow.assets.add(asset)
        await uow.commit()
    return asset


async def update_asset(
    *,
    uow: DeskUnitOfWork,
    asset_id: UUID,
    expected_version: int | None,
    changes: dict[str, Any],
    principal: Principal,
    now: datetime,
) -> Asset:
    """Correct serial, dates or product. Tickets keep the warranty flag of their opening."""
    require(principal, AGENTS, "change assets")
    async with uow:
        asset = await asset_in_scope(uow, principal, asset_id)
        check_version(expected_version, asset.version)
        asset.update(changes, by=principal.user_id, now=now)
        await uow.commit()
    return asset
