"""Expense use cases: record against a customer and contact; approve or reject late ones."""

from __future__ import annotations

from servicekit.auth import Principal

from crm_sales.adapters.repository import ExpenseRepository
from crm_sales.domain.base import utcnow
from crm_sales.domain.commands import Decline, OnRecord, RecordExpense
from crm_sales.domain.expenses import Expense
from crm_sales.service_layer.access import (
    SELLERS,
    change_record,
    contact_of,
    customer_to_work_with,
    require,
    require_manager,
)
from crm_sales.service_layer.unit_of_work import SalesUnitOfWork


def _expenses(uow: SalesUnitOfWork) -> ExpenseRepository:
    return uow.expenses


async def record_expense(
    *, uow: SalesUnitOfWork, cmd: RecordExpense, principal: Principal
) -> Expense:
    """Recorded on the day it was incurred it counts at once; later, a manager approves."""
    require(principal, SELLERS, "record expenses")
    async with uow:
        customer = await customer_to_work_with(uow, principal, cmd.customer_id)
        await contact_of(uow, principal, cmd.contact_id, customer.customer_id)
        config = await uow.configuration.get(principal.tenant)
        expense = Expense.record(
            tenant_id=principal.tenant,
            customer_id=customer.customer_id,
            branch_id=customer.branch_id,
            contact_id=cmd.contact_id,
            amount=cmd.amount,
            currency=cmd.currency,
            category=cmd.category,
            incurred_on=cmd.incurred_on,
            description=cmd.description,
            recorded_by=principal.user_id,
            now=utcnow(),
            timezone=config.timezone,
        )
        uow.expenses.add(expense)
        await uow.commit()
    return expense


async def approve_expense(*, uow: SalesUnitOfWork, cmd: OnRecord, principal: Principal) -> Expense:
    """A manager lets a late expense count."""
    require_manager(principal, "approve expenses")
    return await change_record(
        uow, _expenses, cmd, principal, lambda x: x.approve(by=principal.user_id)
    )


async def reject_expense(*, uow: SalesUnitOfWork, cmd: Decline, principal: Principal) -> Expense:
    """A manager refuses a late expense, with the reason."""
    require_manager(principal, "reject expenses")
    return await change_record(
        uow,
        _expenses,
        cmd,
        principal,
        lambda x: x.reject(reason=cmd.reason or "", by=principal.user_id),
    )
