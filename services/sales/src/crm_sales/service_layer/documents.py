"""Quote and order use cases: pricing from the catalogue, the loss alarm and its approval,
sending and accepting (which can place an order and start a contract)."""

from __future__ import annotations

from servicekit.auth import Principal
from servicekit.concurrency import check_version
from servicekit.errors import FieldError, InvalidInput

from crm_sales.adapters.repository import OrderRepository, QuoteRepository
from crm_sales.domain.commands import (
    AcceptQuote,
    Decline,
    DraftQuote,
    OnRecord,
    PlaceOrder,
    Pricing,
    ReviseQuote,
)
from crm_sales.domain.documents import Order, Quote
from crm_sales.domain.pricing import Line, price_line
from crm_sales.domain.subscriptions import Contract
from crm_sales.service_layer.access import (
    SELLERS,
    change_record,
    customer_to_sell_to,
    found,
    require,
    require_manager,
)
from crm_sales.service_layer.unit_of_work import SalesUnitOfWork


async def _lines(
    uow: SalesUnitOfWork, principal: Principal, currency: str, pricing: Pricing
) -> list[Line]:
    """Price each line from the catalogue (list price unless given, cost as it is today)."""
    products = await uow.products.in_tenant(
        principal.tenant, {line.product_id for line in pricing.lines}
    )
    lines = []
    for no, item in enumerate(pricing.lines):
        product = products.get(item.product_id)
        if product is None:
            raise InvalidInput(
                f"No product {item.product_id}.",
                errors=[FieldError(f"lines[{no}].product_id", "unknown product")],
            )
        lines.append(
            price_line(
                product,
                currency=currency,
                quantity=item.quantity,
                unit_price=item.unit_price,
                discount_percent=item.discount_percent,
                field=f"lines[{no}]",
            )
        )
    return lines


async def draft_quote(*, uow: SalesUnitOfWork, cmd: DraftQuote, principal: Principal) -> Quote:
    """Draft a quote; priced below cost it raises the loss alarm."""
    async with uow:
        customer = await customer_to_sell_to(uow, principal, cmd.customer_id)
        if cmd.opportunity_id is not None:
            opportunity = await uow.opportunities.get(cmd.opportunity_id, visible_to=principal)
            if opportunity is None or opportunity.customer_id != customer.customer_id:
                raise InvalidInput(
                    "No such opportunity of this customer.",
                    errors=[FieldError("opportunity_id", "unknown opportunity of this customer")],
                )
        quote = Quote.draft(
            tenant_id=principal.tenant,
            customer_id=customer.customer_id,
            branch_id=customer.branch_id,
            currency=cmd.currency,
            lines=await _lines(uow, principal, cmd.currency, cmd),
            discount_percent=cmd.discount_percent,
            created_by=principal.user_id,
            opportunity_id=cmd.opportunity_id,
            valid_until=cmd.valid_until,
        )
        uow.quotes.add(quote)
        await uow.commit()
    return quote


async def place_order(*, uow: SalesUnitOfWork, cmd: PlaceOrder, principal: Principal) -> Order:
    """Place an order directly; priced below cost it waits for a manager's approval."""
    async with uow:
        customer = await customer_to_sell_to(uow, principal, cmd.customer_id)
        order = Order.place(
            tenant_id=principal.tenant,
            customer_id=customer.customer_id,
            branch_id=customer.branch_id,
            currency=cmd.currency,
            lines=await _lines(uow, principal, cmd.currency, cmd),
            discount_percent=cmd.discount_percent,
            created_by=principal.user_id,
        )
        uow.orders.add(order)
        await uow.commit()
    return order


def _quotes(uow: SalesUnitOfWork) -> QuoteRepository:
    return uow.quotes


def _orders(uow: SalesUnitOfWork) -> OrderRepository:
    return uow.orders


async def revise_quote(*, uow: SalesUnitOfWork, cmd: ReviseQuote, principal: Principal) -> Quote:
    """Reprice a draft; a price below cost needs a fresh approval."""
    require(principal, SELLERS, "revise quotes")
    async with uow:
        quote = await found(uow.quotes.get(cmd.id, visible_to=principal), "quote", cmd.id)
        check_version(cmd.expected_version, quote.version)
        quote.revise(
            lines=await _lines(uow, principal, quote.currency, cmd),
            discount_percent=cmd.discount_percent,
            valid_until=cmd.valid_until,
            by=principal.user_id,
        )
        await uow.commit()
    return quote


async def approve_quote_loss(*, uow: SalesUnitOfWork, cmd: OnRecord, principal: Principal) -> Quote:
    """A manager lets a quote priced below cost go out."""
    require_manager(principal, "approve a quote priced below cost")
    return await change_record(
        uow, _quotes, cmd, principal, lambda q: q.approve_loss(by=principal.user_id)
    )


async def send_quote(*, uow: SalesUnitOfWork, cmd: OnRecord, principal: Principal) -> Quote:
    """Send a draft (once cleared of the loss alarm)."""
    require(principal, SELLERS, "send quotes")
    return await change_record(uow, _quotes, cmd, principal, lambda q: q.send(by=principal.user_id))


async def reject_quote(*, uow: SalesUnitOfWork, cmd: Decline, principal: Principal) -> Quote:
    """Record that the customer turned a sent quote down."""
    require(principal, SELLERS, "record a rejection")
    return await change_record(
        uow, _quotes, cmd, principal, lambda q: q.reject(reason=cmd.reason, by=principal.user_id)
    )


async def accept_quote(
    *, uow: SalesUnitOfWork, cmd: AcceptQuote, principal: Principal
) -> tuple[Quote, Order | None, Contract | None]:
    """Record the customer's yes; place the order and start the contract it asks for."""
    require(principal, SELLERS, "record an acceptance")
    by = principal.user_id
    async with uow:
        quote = await found(uow.quotes.get(cmd.id, visible_to=principal), "quote", cmd.id)
        check_version(cmd.expected_version, quote.version)
        order = None
        if cmd.create_order:
            # The quote's loss approval covers an order at the same prices.
            order = Order.place(
                tenant_id=quote.tenant_id,
                customer_id=quote.customer_id,
                branch_id=quote.branch_id,
                currency=quote.currency,
                lines=quote.lines,
                discount_percent=quote.discount_percent,
                created_by=by,
                quote_id=quote.id,
                approved_by=quote.loss_approved_by,
            )
        contract = None
        if cmd.contract is not None:
            contract = Contract.start(
                tenant_id=quote.tenant_id,
                customer_id=quote.customer_id,
                branch_id=quote.branch_id,
                name=cmd.contract.name or quote.lines[0].name,
                start_date=cmd.contract.start_date,
                end_date=cmd.contract.end_date,
                created_by=by,
                amount=quote.total,
                currency=quote.currency,
                quote_id=quote.id,
                order_id=order.id if order else None,
            )
        quote.accept(
            by=by,
            order_id=order.id if order else None,
            contract_id=contract.id if contract else None,
        )
        if order is not None:
            uow.orders.add(order)
        if contract is not None:
            uow.contracts.add(contract)
        await uow.commit()
    return quote, order, contract


async def approve_order_loss(*, uow: SalesUnitOfWork, cmd: OnRecord, principal: Principal) -> Order:
    """A manager confirms an order priced below cost."""
    require_manager(principal, "approve an order priced below cost")
    return await change_record(
        uow, _orders, cmd, principal, lambda o: o.approve_loss(by=principal.user_id)
    )


async def cancel_order(*, uow: SalesUnitOfWork, cmd: Decline, principal: Principal) -> Order:
    """Cancel an order, with the reason."""
    require(principal, SELLERS, "cancel orders")
    reason = (cmd.reason or "").strip()
    if not reason:
        raise InvalidInput("Say why.", errors=[FieldError("reason", "required")])
    return await change_record(
        uow, _orders, cmd, principal, lambda o: o.cancel(reason=reason, by=principal.user_id)
    )
