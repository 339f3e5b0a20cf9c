"""Priced documents (quotes and orders): lines, totals, cost, margin and the loss alarm.

A line is below cost when its unit price after discount is under the product's unit cost;
the total is below cost when what the customer pays is under the summed cost (003: a loss
order raises an alarm). Such a document needs a manager's approval before it can go on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import UUID

from crm_sales.domain import events
from crm_sales.domain.base import CustomerRecord
from crm_sales.domain.errors import DomainError, NotPermitted, StateConflict
from crm_sales.domain.products import Product

HUNDRED = Decimal(100)
# Totals are shown in minor units; two decimals covers the currencies the tenants use so far.
CENT = Decimal("0.01")


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, kw_only=True)
class Line:
    """One priced line; cost is the product's unit cost when the line was priced."""

    product_id: UUID
    sku: str
    name: str
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    unit_cost: Decimal

    @property
    def net_unit_price(self) -> Decimal:
        return self.unit_price * (HUNDRED - self.discount_percent) / HUNDRED

    @property
    def net_amount(self) -> Decimal:
        return money(self.quantity * self.net_unit_price)

    @property
    def cost(self) -> Decimal:
        return money(self.quantity * self.unit_cost)

    @property
    def below_cost(self) -> bool:
        return self.net_unit_price < self.unit_cost

    def as_dict(self, line_no: int) -> dict[str, Any]:
        return {
            "line_no": line_no,
            "product_id": self.product_id,
            "sku": self.sku,
            "name": self.name,
            "quantity": self.quantity,
            "unit_price": self.unit_price,
            "discount_percent": self.discount_percent,
            "net_amount": self.net_amount,
            "unit_cost": self.unit_cost,
            "cost": self.cost,
        }


def price_line(
    product: Product,
    *,
    currency: str,
    quantity: Decimal,
    unit_price: Decimal | None,
    discount_percent: Decimal,
    field: str,
) -> Line:
    """A line for `product`, at its list price unless another price is given."""
    if not product.active:
        raise DomainError(f"{product.sku} is no longer sold", field=f"{field}.product_id")
    if product.currency != currency:
        # No exchange rates here: a document is priced in one currency.
        raise DomainError(
            f"{product.sku} is priced in {product.currency}, the document in {currency}",
            field=f"{field}.product_id",
        )
    if quantity <= 0:
        raise DomainError("must be more than 0", field=f"{field}.quantity")
    if not 0 <= discount_percent <= HUNDRED:
        raise DomainError("a discount is 0-100 %", field=f"{field}.discount_percent")
    price = product.list_price if unit_price is None else unit_price
    if price < 0:
        raise DomainError("cannot be negative", field=f"{field}.unit_price")
    return Line(
        product_id=product.id,
        sku=product.sku,
        name=product.name,
        quantity=quantity,
        unit_price=price,
        discount_percent=discount_percent,
        unit_cost=product.unit_cost,
    )


@dataclass(kw_only=True)
class PricedDocument(CustomerRecord):
    currency: str
    created_by: str
    lines: tuple[Line, ...] = ()
    discount_percent: Decimal = Decimal(0)
    loss_alarm: bool = False
    loss_approved_by: str | None = None

    @property
    def subtotal(self) -> Decimal:
        return sum((line.net_amount for line in self.lines), Decimal(0))

    @property
    def total(self) -> Decimal:
        return money(self.subtotal * (HUNDRED - self.discount_percent) / HUNDRED)

    @property
    def cost(self) -> Decimal:
        return sum((line.cost for line in self.lines), Decimal(0))

    @property
    def margin(self) -> Decimal:
        return self.total - self.cost

    @property
    def lines_below_cost(self) -> list[int]:
        return [no for no, line in enumerate(self.lines, start=1) if line.below_cost]

    @property
    def total_below_cost(self) -> bool:
        return self.total < self.cost

    @property
    def cleared(self) -> bool:
        """Priced at or above cost, or a manager approved the loss."""
        return not self.loss_alarm or self.loss_approved_by is not None

    def _price(self, lines: Sequence[Line], discount_percent: Decimal) -> None:
        """Set new prices; a loss raises the alarm and needs a fresh approval."""
        if not lines:
            raise DomainError("at least one line", field="lines")
        if not 0 <= discount_percent <= HUNDRED:
            raise DomainError("a discount is 0-100 %", field="discount_percent")
        self.lines, self.discount_percent = tuple(lines), discount_percent
        self.loss_alarm = bool(self.lines_below_cost) or self.total_below_cost
        self.loss_approved_by = None

    def _raise_alarm_if_loss(self) -> None:
        if self.loss_alarm:
            self._record(
                events.LossAlarmRaised(
                    lines_below_cost=self.lines_below_cost, total_below_cost=self.total_below_cost
                )
            )

    def approve_loss(self, *, by: str) -> None:
        """A manager's approval; never the person who priced it (a second pair of eyes)."""
        if not self.loss_alarm:
            raise StateConflict("nothing to approve: it is not priced below cost")
        if self.loss_approved_by is not None:
            raise StateConflict(f"already approved by {self.loss_approved_by}")
        if by == self.created_by:
            raise NotPermitted("another manager approves a loss you priced yourself")
        self.loss_approved_by = by
        self._record(events.Approved(approved_by=by))

    def _require_cleared(self, action: str) -> None:
        if not self.cleared:
            raise StateConflict(
                f"priced below cost: a manager must approve the loss before it is {action}"
            )

    def snapshot(self) -> dict[str, Any]:
        state = super().snapshot()
        state["lines"] = [line.as_dict(no) for no, line in enumerate(self.lines, start=1)]
        for name in ("subtotal", "total", "cost", "margin"):
            state[name] = getattr(self, name)
        return state
