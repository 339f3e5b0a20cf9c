"""Routes of expenses."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from crm_contracts.sales import ExpenseStatus
from fastapi import APIRouter, Query, Response, status
from servicekit.auth import PrincipalDep
from servicekit.concurrency import IfMatch
from servicekit.paging import Page

from crm_sales.domain.commands import Decline, OnRecord, RecordExpense
from crm_sales.entrypoints.api.deps import STAFF, PageDep, SessionDep, UoWDep
from crm_sales.entrypoints.api.routes.common import answer, tagged
from crm_sales.entrypoints.api.schemas.common import Reason
from crm_sales.entrypoints.api.schemas.expenses import ExpenseCreate, ExpenseRead
from crm_sales.service_layer import expenses as handlers
from crm_sales.views import expenses as views

router = APIRouter(prefix="/expenses", tags=["expenses"], dependencies=[STAFF])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ExpenseRead)
async def record_expense(
    body: ExpenseCreate, principal: PrincipalDep, uow: UoWDep, response: Response
) -> ExpenseRead:
    """Record an expense on a customer and one of its contacts. Entered the day it was
    incurred (company timezone) it is `approved`; later it is `pending_approval`."""
    expense = await handlers.record_expense(
        uow=uow, cmd=RecordExpense(**body.model_dump()), principal=principal
    )
    return answer(response, expense, ExpenseRead, location=f"/expenses/{expense.id}")


@router.get("", response_model=Page[ExpenseRead])
async def list_expenses(
    principal: PrincipalDep,
    session: SessionDep,
    paging: PageDep,
    customer_id: UUID | None = None,
    status: ExpenseStatus | None = None,
    recorded_by: Annotated[str | None, Query(max_length=128)] = None,
    incurred_from: date | None = None,
    incurred_to: date | None = None,
) -> Page[ExpenseRead]:
    """Expenses you may see. Sort by incurred_on, amount, created_at."""
    return await views.expenses(
        session,
        principal,
        paging,
        customer_id=customer_id,
        status=status,
        recorded_by=recorded_by,
        incurred_from=incurred_from,
        incurred_to=incurred_to,
    )


@router.get("/{expense_id}", response_model=ExpenseRead)
async def get_expense(
    expense_id: UUID, principal: PrincipalDep, session: SessionDep, response: Response
) -> ExpenseRead:
    return tagged(response, await views.expense(session, principal, expense_id))


@router.post("/{expense_id}/approve", response_model=ExpenseRead)
async def approve_expense(
    expense_id: UUID,
    expected_version: IfMatch,
    principal: PrincipalDep,
    uow: UoWDep,
    response: Response,
) -> ExpenseRead:
    """Managers only (not the one who recorded it): a late expense counts from now."""
    expense = await handlers.approve_expense(
        uow=uow, cmd=OnRecord(id=expense_id, expected_version=expected_version), principal=principal
    )
    return answer(response, expense, ExpenseRead)


@router.post("/{expense_id}/reject", response_model=ExpenseRead)
async def reject_expense(
    expense_id: UUID,
    body: Reason,
    expected_version: IfMatch,
    principal: PrincipalDep,
    uow: UoWDep,
    response: Response,
) -> ExpenseRead:
    expense = await handlers.reject_expense(
        uow=uow,
        cmd=Decline(id=expense_id, expected_version=expected_version, reason=body.reason),
        principal=principal,
    )
    return answer(response, expense, ExpenseRead)
