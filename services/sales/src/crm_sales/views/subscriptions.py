"""Read side of contracts, and the customers with a subscription in force on a day."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from crm_contracts.sales import ContractStatus
from servicekit.auth import Principal
from servicekit.paging import Page, PageParams
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm_sales.adapters.orm import ContractRow, CustomerFact
from crm_sales.adapters.scoping import visible_records, with_customer
from crm_sales.entrypoints.api.schemas.subscriptions import ActiveCustomer, ContractRead
from crm_sales.views.common import one, page, records, where

ROW = ContractRow


async def contract(session: AsyncSession, principal: Principal, contract_id: UUID) -> ContractRead:
    return await one(session, records(ROW, principal), ROW, contract_id, ContractRead, "contract")


async def contracts(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    *,
    customer_id: UUID | None,
    status: ContractStatus | None,
    active_on: date | None,
) -> Page[ContractRead]:
    query = where(records(ROW, principal), {ROW.customer_id: customer_id, ROW.status: status})
    if active_on is not None:
        query = query.where(ROW.start_date <= active_on, ROW.end_date >= active_on)
    return await page(
        session,
        query,
        params,
        ContractRead,
        sortable={"start_date": ROW.start_date, "end_date": ROW.end_date, "name": ROW.name},
        default=[ROW.end_date],
        tiebreak=ROW.id,
    )


async def active_customers(
    session: AsyncSession, principal: Principal, params: PageParams, on: date
) -> Page[ActiveCustomer]:
    """Customers with a contract in force on `on`: ship to these and no one else (003).

    By dates, not status: a period that later lapsed was still in force on its days."""
    contracts_ = func.count(ROW.id).label("contracts")
    ends_on = func.max(ROW.end_date).label("ends_on")
    query = (
        with_customer(
            select(ROW.customer_id, CustomerFact.name.label("customer_name"), contracts_, ends_on),
            ROW,
        )
        .where(visible_records(principal, ROW), ROW.start_date <= on, ROW.end_date >= on)
        .group_by(ROW.customer_id, CustomerFact.name)
    )
    return await page(
        session,
        query,
        params,
        ActiveCustomer,
        sortable={"customer_name": CustomerFact.name, "ends_on": ends_on},
        default=[CustomerFact.name],
        tiebreak=ROW.customer_id,
        scalars=False,
    )
