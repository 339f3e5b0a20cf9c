"""Quote and order totals, cost and margin, and the loss alarm with its approval."""

from __future__ import annotations

from decimal import Decimal
from uuid import uuid4

import pytest
from crm_contracts.sales import OrderStatus, QuoteStatus
from crm_sales.domain import events
from crm_sales.domain.documents import Order, Quote
from crm_sales.domain.errors import DomainError, NotPermitted, StateConflict
from crm_sales.domain.pricing import Line, price_line
from crm_sales.domain.products import Product

FORKLIFT = Product(
    tenant_id="acme",
    sku="FRK-200",
    name="Forklift rental",
    list_price=Decimal("1000.00"),
    unit_cost=Decimal("800.00"),
    currency="EUR",
    created_by="admin",
)


def line(quantity: str = "2", price: str | None = None, discount: str = "0") -> Line:
    return price_line(
        FORKLIFT,
        currency="EUR",
        quantity=Decimal(quantity),
        unit_price=None if price is None else Decimal(price),
        discount_percent=Decimal(discount),
        field="lines[0]",
    )


def a_quote(*lines: Line, discount: str = "0", by: str = "north-rep") -> Quote:
    return Quote.draft(
        tenant_id="acme",
        customer_id=uuid4(),
        branch_id="north",
        currency="EUR",
        lines=lines or (line(),),
        discount_percent=Decimal(discount),
        created_by=by,
    )


def test_totals_cost_and_margin_follow_the_lines_and_discounts() -> None:
    quote = a_quote(line("3", discount="10"), line("1", price="1200.00"), discount="5")

    # 3 x 1000 - 10 % = 2700; 1 x 1200 = 1200; subtotal 3900; -5 % = 3705
    assert quote.subtotal == Decimal("3900.00")
    assert quote.total == Decimal("3705.00")
    assert quote.cost == Decimal("3200.00")
    assert quote.margin == Decimal("505.00")
    assert not quote.loss_alarm


def test_a_line_priced_below_cost_raises_the_loss_alarm_naming_the_line() -> None:
    quote = a_quote(line("1"), line("1", discount="25"))  # 750 < 800

    assert quote.loss_alarm
    assert quote.lines_below_cost == [2]
    assert [r.event for r in quote.events] == [
        events.Created(created_by="north-rep"),
        events.LossAlarmRaised(lines_below_cost=[2], total_below_cost=False),
    ]


def test_a_total_below_cost_raises_the_alarm_although_every_line_is_above_it() -> None:
    quote = a_quote(line("2"), discount="30")  # 2000 - 30 % = 1400 < 1600

    assert quote.lines_below_cost == []
    assert quote.total_below_cost
    assert quote.loss_alarm


def test_a_quote_below_cost_goes_out_only_after_another_manager_approves_it() -> None:
    quote = a_quote(line(price="700.00"), by="north-mgr")

    with pytest.raises(StateConflict, match="approve the loss before it is sent"):
        quote.send(by="north-mgr")
    with pytest.raises(NotPermitted, match="another manager"):
        quote.approve_loss(by="north-mgr")

    quote.approve_loss(by="ceo")
    quote.send(by="north-mgr")

    assert quote.status is QuoteStatus.SENT
    assert quote.loss_approved_by == "ceo"


def test_revising_the_prices_needs_a_fresh_approval() -> None:
    quote = a_quote(line(price="700.00"))
    quote.approve_loss(by="north-mgr")

    quote.revise(
        lines=[line(price="650.00")], discount_percent=Decimal(0), valid_until=None, by="x"
    )

    assert quote.loss_approved_by is None
    assert not quote.cleared
    assert isinstance(quote.events[-1].event, events.LossAlarmRaised)


def test_a_quote_priced_at_cost_or_above_needs_no_approval() -> None:
    quote = a_quote(line(price="800.00"))

    with pytest.raises(StateConflict, match="nothing to approve"):
        quote.approve_loss(by="north-mgr")
    quote.send(by="north-rep")
    quote.accept(by="north-rep", order_id=None, contract_id=None)
    assert quote.status is QuoteStatus.ACCEPTED


def test_only_a_sent_quote_is_accepted_or_rejected_and_only_a_draft_is_revised() -> None:
    quote = a_quote()
    with pytest.raises(StateConflict):
        quote.accept(by="x", order_id=None, contract_id=None)
    quote.send(by="x")
    with pytest.raises(StateConflict):
        quote.revise(lines=[line()], discount_percent=Decimal(0), valid_until=None, by="x")
    quote.reject(reason="too late", by="x")
    with pytest.raises(StateConflict):
        quote.send(by="x")


def test_an_order_below_cost_waits_for_a_manager_and_is_confirmed_by_the_approval() -> None:
    order = Order.place(
        tenant_id="acme",
        customer_id=uuid4(),
        branch_id="north",
        currency="EUR",
        lines=[line(price="500.00")],
        discount_percent=Decimal(0),
        created_by="north-rep",
    )
    assert order.status is OrderStatus.PENDING_APPROVAL

    order.approve_loss(by="north-mgr")

    assert order.status is OrderStatus.CONFIRMED
    assert [type(r.event) for r in order.events] == [
        events.Created,
        events.LossAlarmRaised,
        events.Approved,
        events.Confirmed,
    ]


def test_an_order_from_an_approved_quote_is_confirmed_at_once() -> None:
    order = Order.place(
        tenant_id="acme",
        customer_id=uuid4(),
        branch_id="north",
        currency="EUR",
        lines=[line(price="500.00")],
        discount_percent=Decimal(0),
        created_by="north-rep",
        approved_by="north-mgr",
    )

    assert order.status is OrderStatus.CONFIRMED
    assert [type(r.event) for r in order.events] == [events.Created, events.Confirmed]


def test_a_product_priced_in_another_currency_cannot_go_on_the_line() -> None:
    with pytest.raises(DomainError, match="priced in EUR") as refused:
        price_line(
            FORKLIFT,
            currency="USD",
            quantity=Decimal(1),
            unit_price=None,
            discount_percent=Decimal(0),
            field="lines[3]",
        )
    assert refused.value.field == "lines[3].product_id"
