"""Read side of expenses."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from crm_contracts.sales import ExpenseStatus
from servicekit.auth import Principal
from servicekit.paging import Page, PageParams
from sqlalchemy.ext.asyncio import AsyncSession

from crm_sales.adapters.orm import ExpenseRow
from crm_sales.entrypoints.api.schemas.expenses import ExpenseRead
from crm_sales.views.common import one, page, records, where

ROW = ExpenseRow


async def expense(session: AsyncSession, principal: Principal, expense_id: UUID) -> ExpenseRead:
    return await one(session, records(ROW, principal), ROW, expense_id, ExpenseRead, "expense")


async def expenses(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    *,
    customer_id: UUID | None,
    status: ExpenseStatus | None,
    recorded_by: str | None,
    incurred_from: date | None,
    incurred_to: date | None,
) -> Page[ExpenseRead]:
    query = where(
        records(ROW, principal),
        {ROW.customer_id: customer_id, ROW.status: status, ROW.recorded_by: recorded_by},
    )
    if incurred_from is not None:
        query = query.where(ROW.incurred_on >= incurred_from)
    if incurred_to is not None:
        query = query.where(ROW.incurred_on <= incurred_to)
    return await page(
        session,
        query,
        params,
        ExpenseRead,
        sortable={
            "incurred_on": ROW.incurred_on,
            "amount": ROW.amount,
            "created_at": ROW.created_at,
        },
        default=[ROW.incurred_on.desc()],
        tiebreak=ROW.id,
    )
