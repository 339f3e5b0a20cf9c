"""The same-day expense rule (000), in the tenant's timezone, and the approval of late ones."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

import pytest
from crm_contracts.sales import ExpenseCategory, ExpenseStatus
from crm_sales.domain.errors import DomainError, NotPermitted, StateConflict
from crm_sales.domain.expenses import Expense

# 07:30 on the 17th in Shanghai; still the 16th in UTC.
SHANGHAI_MORNING = datetime(2026, 3, 16, 23, 30, tzinfo=UTC)


def record(incurred_on: date, *, now: datetime, timezone: str = "UTC") -> Expense:
    return Expense.record(
        tenant_id="acme",
        customer_id=uuid4(),
        branch_id="north",
        contact_id=uuid4(),
        amount=Decimal("86.50"),
        currency="CNY",
        category=ExpenseCategory.MEALS,
        incurred_on=incurred_on,
        description=None,
        recorded_by="north-rep",
        now=now,
        timezone=timezone,
    )


def test_an_expense_recorded_the_day_it_was_incurred_counts_at_once() -> None:
    expense = record(date(2026, 3, 16), now=datetime(2026, 3, 16, 21, 0, tzinfo=UTC))

    assert expense.status is ExpenseStatus.APPROVED
    assert expense.recorded_on == date(2026, 3, 16)


def test_an_expense_recorded_a_day_later_waits_for_a_manager() -> None:
    expense = record(date(2026, 3, 15), now=datetime(2026, 3, 16, 8, 0, tzinfo=UTC))

    assert expense.status is ExpenseStatus.PENDING_APPROVAL


def test_the_day_is_the_tenants_business_day_not_the_utc_day() -> None:
    breakfast_today = record(date(2026, 3, 17), now=SHANGHAI_MORNING, timezone="Asia/Shanghai")
    lunch_yesterday = record(date(2026, 3, 16), now=SHANGHAI_MORNING, timezone="Asia/Shanghai")

    assert breakfast_today.status is ExpenseStatus.APPROVED
    assert lunch_yesterday.status is ExpenseStatus.PENDING_APPROVAL
    with pytest.raises(DomainError):  # in UTC the breakfast would lie in the future
        record(date(2026, 3, 17), now=SHANGHAI_MORNING, timezone="UTC")


def test_an_expense_dated_in_the_future_is_refused_naming_the_field() -> None:
    with pytest.raises(DomainError) as refused:
        record(date(2026, 3, 17), now=datetime(2026, 3, 16, 8, 0, tzinfo=UTC))
    assert refused.value.field == "incurred_on"


def test_a_late_expense_is_approved_by_another_manager_once() -> None:
    expense = record(date(2026, 3, 1), now=datetime(2026, 3, 16, 8, 0, tzinfo=UTC))

    with pytest.raises(NotPermitted):
        expense.approve(by="north-rep")
    expense.approve(by="north-mgr")

    assert (expense.status, expense.decided_by) == (ExpenseStatus.APPROVED, "north-mgr")
    with pytest.raises(StateConflict):
        expense.reject(reason="no receipt", by="ceo")


def test_a_same_day_expense_needs_no_decision() -> None:
    expense = record(date(2026, 3, 16), now=datetime(2026, 3, 16, 8, 0, tzinfo=UTC))

    with pytest.raises(StateConflict, match="approved"):
        expense.approve(by="north-mgr")
