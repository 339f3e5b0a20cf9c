"""The Expense aggregate: money spent on a customer and contact, recorded the same day.

The seeds' rule (000) is that expenses are entered on the day they are incurred. "Day" is the
tenant's business day in its configured timezone (UTC when none is set), because UTC days cut
Asian working days in two: in Shanghai (UTC+8) a breakfast bought at 07:30 on the 17th is
still the 16th in UTC, so a UTC rule would refuse it as "in the future", and yesterday's lunch
entered at that hour would pass as "same day". An expense recorded on a later business day is
kept but needs a manager's approval before it counts; one dated in the future is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar
from uuid import UUID

from crm_contracts.sales import ExpenseCategory, ExpenseStatus

from crm_sales.domain import events
from crm_sales.domain.base import CustomerRecord, business_day
from crm_sales.domain.errors import DomainError, NotPermitted, StateConflict


@dataclass(kw_only=True)
class Expense(CustomerRecord):
    ENTITY: ClassVar[str] = "expense"

    contact_id: UUID
    amount: Decimal
    currency: str
    category: ExpenseCategory
    incurred_on: date
    recorded_on: date
    recorded_by: str
    description: str | None = None
    status: ExpenseStatus = ExpenseStatus.APPROVED
    decided_by: str | None = None
    rejection_reason: str | None = None

    @classmethod
    def record(
        cls,
        *,
        tenant_id: str,
        customer_id: UUID,
        branch_id: str | None,
        contact_id: UUID,
        amount: Decimal,
        currency: str,
        category: ExpenseCategory,
        incurred_on: date,
        description: str | None,
        recorded_by: str,
        now: datetime,
        timezone: str,
    ) -> Expense:
        today = business_day(now, timezone)
        if incurred_on > today:
            raise DomainError(f"cannot be after today ({today})", field="incurred_on")
        if amount <= 0:
            raise DomainError("must be more than 0", field="amount")
        late = incurred_on < today
        expense = cls(
            tenant_id=tenant_id,
            customer_id=customer_id,
            branch_id=branch_id,
            contact_id=contact_id,
            amount=amount,
            currency=currency,
            category=category,
            incurred_on=incurred_on,
            recorded_on=today,
            recorded_by=recorded_by,
            description=description,
            status=ExpenseStatus.PENDING_APPROVAL if late else ExpenseStatus.APPROVED,
        )
        expense._record(events.Created(created_by=recorded_by))
        return expense

    def _decide(self, by: str) -> None:
        if self.status is not ExpenseStatus.PENDING_APPROVAL:
            raise StateConflict(f"the expense is {self.status.value.replace('_', ' ')}")
        if by == self.recorded_by:
            raise NotPermitted("another manager decides on an expense you recorded yourself")
        self.decided_by = by

    def approve(self, *, by: str) -> None:
        self._decide(by)
        self.status = ExpenseStatus.APPROVED
        self._record(events.Approved(approved_by=by))

    def reject(self, *, reason: str, by: str) -> None:
        if not reason.strip():
            raise DomainError("say why", field="reason")
        self._decide(by)
        self.status, self.rejection_reason = ExpenseStatus.REJECTED, reason.strip()
        self._record(events.Rejected(reason=self.rejection_reason, rejected_by=by))
