"""Who sees which rows, as SQL: every query of tickets and assets goes through these."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from servicekit.auth import Principal, Role
from sqlalchemy import ColumnElement, and_, false, select

from crm_service_desk.adapters.orm import AssetRow, CustomerFactRow, TicketRow


def portal_customer(principal: Principal) -> UUID | None:
    """The one customer a portal contact acts for; None for staff (or a malformed claim)."""
    if Role.PORTAL not in principal.roles or not principal.customer_id:
        return None
    try:
        return UUID(principal.customer_id)
    except ValueError:
        return None


def is_portal(principal: Principal) -> bool:
    # A portal role restricts, whatever else the token says.
    return Role.PORTAL in principal.roles


def _scoped(principal: Principal, row: Any) -> ColumnElement[bool]:
    """Tenant, then: a portal contact its customer's rows only; staff by branch; a sales
    rep the rows of customers they own (per the customers service's facts)."""
    if is_portal(principal):
        customer = portal_customer(principal)
        if customer is None:
            return false()
        return and_(row.tenant_id == principal.tenant, row.customer_id == customer)
    owner = (
        select(CustomerFactRow.owner_id)
        .where(
            CustomerFactRow.tenant_id == row.tenant_id,
            CustomerFactRow.customer_id == row.customer_id,
        )
        .scalar_subquery()
    )
    return principal.visibility(tenant_col=row.tenant_id, branch_col=row.branch_id, owner_col=owner)


def visible_tickets(principal: Principal) -> ColumnElement[bool]:
    return _scoped(principal, TicketRow)


def visible_assets(principal: Principal) -> ColumnElement[bool]:
    return _scoped(principal, AssetRow)
