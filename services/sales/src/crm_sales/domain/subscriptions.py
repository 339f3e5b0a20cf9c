"""Contracts and subscriptions: one period per contract, flagged before it ends, renewed
into a next period or automatically marked not renewed once it has ended (003)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import ClassVar
from uuid import UUID

from crm_contracts.sales import ContractStatus

from crm_sales.domain import events
from crm_sales.domain.base import CustomerRecord
from crm_sales.domain.errors import DomainError, StateConflict

RUNNING = frozenset({ContractStatus.ACTIVE, ContractStatus.EXPIRING})


@dataclass(kw_only=True)
class Contract(CustomerRecord):
    ENTITY: ClassVar[str] = "contract"

    name: str
    start_date: date
    end_date: date
    created_by: str
    status: ContractStatus = ContractStatus.ACTIVE
    amount: Decimal | None = None
    currency: str | None = None
    quote_id: UUID | None = None
    order_id: UUID | None = None
    previous_id: UUID | None = None
    next_id: UUID | None = None

    @classmethod
    def start(
        cls,
        *,
        tenant_id: str,
        customer_id: UUID,
        branch_id: str | None,
        name: str,
        start_date: date,
        end_date: date,
        created_by: str,
        amount: Decimal | None = None,
        currency: str | None = None,
        quote_id: UUID | None = None,
        order_id: UUID | None = None,
        previous_id: UUID | None = None,
    ) -> Contract:
        if end_date < start_date:
            raise DomainError("a contract ends on or after its start", field="end_date")
        if (amount is None) != (currency is None):
            raise DomainError("an amount needs its currency", field="currency")
        contract = cls(
            tenant_id=tenant_id,
            customer_id=customer_id,
            branch_id=branch_id,
            name=name,
            start_date=start_date,
            end_date=end_date,
            created_by=created_by,
            amount=amount,
            currency=currency,
            quote_id=quote_id,
            order_id=order_id,
            previous_id=previous_id,
        )
        contract._record(events.Created(created_by=created_by))
        return contract

    def covers(self, day: date) -> bool:
        """In force on `day` (what the shipping department asks)."""
        return self.start_date <= day <= self.end_date

    def review(self, *, today: date, days_ahead: int) -> bool:
        """The expiry rule, run daily: flag it once when it nears its end; once it has ended
        unrenewed it is not renewed. True when the state changed."""
        if self.status not in RUNNING:
            return False
        if self.end_date < today:
            self.status = ContractStatus.NOT_RENEWED
            self._record(events.NotRenewed())
            return True
        days_left = (self.end_date - today).days
        if self.status is ContractStatus.ACTIVE and days_left <= days_ahead:
            self.status = ContractStatus.EXPIRING
            self._record(events.Expiring(days_left=days_left))
            return True
        return False

    def renew(self, *, by: str, end_date: date | None = None) -> Contract:
        """The next period starts the day after this one ends; by default it is as long."""
        if self.status not in RUNNING:
            raise StateConflict(
                f"a {self.status.value.replace('_', ' ')} contract cannot be renewed;"
                " start a new contract instead"
            )
        next_start = self.end_date + timedelta(days=1)
        next_end = end_date or _same_length(self.start_date, self.end_date, next_start)
        if next_end < next_start:
            raise DomainError(f"the next period starts on {next_start}", field="end_date")
        following = Contract.start(
            tenant_id=self.tenant_id,
            customer_id=self.customer_id,
            branch_id=self.branch_id,
            name=self.name,
            start_date=next_start,
            end_date=next_end,
            created_by=by,
            amount=self.amount,
            currency=self.currency,
            previous_id=self.id,
        )
        self.status, self.next_id = ContractStatus.RENEWED, following.id
        self._record(
            events.Renewed(
                next_contract_id=following.id,
                next_start_date=next_start,
                next_end_date=next_end,
                renewed_by=by,
            )
        )
        return following


def _add_months(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _same_length(start: date, end: date, next_start: date) -> date:
    """A period of whole months renews for as many months (a year stays a year across leap
    years; Jan-Jun is followed by Jul-Dec); any other period for as many days."""
    after = end + timedelta(days=1)
    months = (after.year - start.year) * 12 + after.month - start.month
    if months > 0 and _add_months(start, months) == after:
        return _add_months(next_start, months) - timedelta(days=1)
    return next_start + (end - start)
