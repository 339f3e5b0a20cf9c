"""Quotes and orders: priced documents with their own lifecycles."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import ClassVar
from uuid import UUID

from crm_contracts.sales import OrderStatus, QuoteStatus

from crm_sales.domain import events
from crm_sales.domain.errors import StateConflict
from crm_sales.domain.pricing import Line, PricedDocument


@dataclass(kw_only=True)
class Quote(PricedDocument):
    """draft -> sent -> accepted | rejected; below cost it waits for a manager to go out."""

    ENTITY: ClassVar[str] = "quote"

    opportunity_id: UUID | None = None
    valid_until: date | None = None
    status: QuoteStatus = QuoteStatus.DRAFT
    order_id: UUID | None = None
    contract_id: UUID | None = None
    rejection_reason: str | None = None

    @classmethod
    def draft(
        cls,
        *,
        tenant_id: str,
        customer_id: UUID,
        branch_id: str | None,
        currency: str,
        lines: Sequence[Line],
        discount_percent: Decimal,
        created_by: str,
        opportunity_id: UUID | None = None,
        valid_until: date | None = None,
    ) -> Quote:
        quote = cls(
            tenant_id=tenant_id,
            customer_id=customer_id,
            branch_id=branch_id,
            currency=currency,
            created_by=created_by,
            opportunity_id=opportunity_id,
            valid_until=valid_until,
        )
        quote._price(lines, discount_percent)
        quote._record(events.Created(created_by=created_by))
        quote._raise_alarm_if_loss()
        return quote

    def _require(self, status: QuoteStatus, action: str) -> None:
        if self.status is not status:
            raise StateConflict(f"a {self.status.value} quote cannot be {action}")

    def revise(
        self,
        *,
        lines: Sequence[Line],
        discount_percent: Decimal,
        valid_until: date | None,
        by: str,
    ) -> None:
        self._require(QuoteStatus.DRAFT, "revised")
        self._price(lines, discount_percent)
        self.valid_until = valid_until
        self._record(events.Revised(revised_by=by))
        self._raise_alarm_if_loss()

    def send(self, *, by: str) -> None:
        self._require(QuoteStatus.DRAFT, "sent")
        self._require_cleared("sent")
        self.status = QuoteStatus.SENT
        self._record(events.Sent(sent_by=by))

    def accept(self, *, by: str, order_id: UUID | None, contract_id: UUID | None) -> None:
        self._require(QuoteStatus.SENT, "accepted")
        self._require_cleared("accepted")
        self.status, self.order_id, self.contract_id = QuoteStatus.ACCEPTED, order_id, contract_id
        self._record(events.Accepted(order_id=order_id, contract_id=contract_id, accepted_by=by))

    def reject(self, *, reason: str | None, by: str) -> None:
        self._require(QuoteStatus.SENT, "rejected")
        self.status, self.rejection_reason = QuoteStatus.REJECTED, reason
        self._record(events.Rejected(reason=reason, rejected_by=by))


@dataclass(kw_only=True)
class Order(PricedDocument):
    """Confirmed when placed, unless priced below cost: then it waits for a manager."""

    ENTITY: ClassVar[str] = "order"

    quote_id: UUID | None = None
    status: OrderStatus = OrderStatus.PENDING_APPROVAL
    cancel_reason: str | None = None

    @classmethod
    def place(
        cls,
        *,
        tenant_id: str,
        customer_id: UUID,
        branch_id: str | None,
        currency: str,
        lines: Sequence[Line],
        discount_percent: Decimal,
        created_by: str,
        quote_id: UUID | None = None,
        approved_by: str | None = None,
    ) -> Order:
        """`approved_by` carries a loss approval given on the quote for the same prices."""
        order = cls(
            tenant_id=tenant_id,
            customer_id=customer_id,
            branch_id=branch_id,
            currency=currency,
            created_by=created_by,
            quote_id=quote_id,
        )
        order._price(lines, discount_percent)
        if order.loss_alarm:
            order.loss_approved_by = approved_by
        order.status = OrderStatus.CONFIRMED if order.cleared else OrderStatus.PENDING_APPROVAL
        order._record(events.Created(created_by=created_by))
        if order.cleared:
            order._record(events.Confirmed(confirmed_by=created_by))
        else:
            order._raise_alarm_if_loss()
        return order

    def approve_loss(self, *, by: str) -> None:
        if self.status is OrderStatus.CANCELLED:
            raise StateConflict("the order is cancelled")
        super().approve_loss(by=by)
        if self.status is OrderStatus.PENDING_APPROVAL:
            self.status = OrderStatus.CONFIRMED
            self._record(events.Confirmed(confirmed_by=by))

    def cancel(self, *, reason: str, by: str) -> None:
        if self.status is OrderStatus.CANCELLED:
            raise StateConflict("the order is cancelled already")
        self.status, self.cancel_reason = OrderStatus.CANCELLED, reason
        self._record(events.Cancelled(reason=reason, cancelled_by=by))
