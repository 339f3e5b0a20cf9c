"""Routes of quotes and orders. Reps get prices; managers also cost and margin."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from crm_contracts.sales import OrderStatus, QuoteStatus
from fastapi import APIRouter, Query, Response, status
from servicekit.auth import PrincipalDep
from servicekit.concurrency import IfMatch
from servicekit.paging import Page

from crm_sales.adapters.orm import OrderRow, QuoteRow
from crm_sales.domain.commands import (
    AcceptQuote,
    ContractTerms,
    Decline,
    DraftQuote,
    LineInput,
    OnRecord,
    PlaceOrder,
    ReviseQuote,
)
from crm_sales.entrypoints.api.deps import STAFF, PageDep, SessionDep, UoWDep
from crm_sales.entrypoints.api.routes.common import answer, cost_view, tagged
from crm_sales.entrypoints.api.schemas.common import OptionalReason, Reason
from crm_sales.entrypoints.api.schemas.documents import (
    Acceptance,
    AcceptanceIn,
    DocumentRead,
    OrderCostRead,
    OrderCreate,
    OrderRead,
    PricingIn,
    QuoteCostRead,
    QuoteCreate,
    QuoteRead,
    QuoteRevision,
)
from crm_sales.service_layer import documents as handlers
from crm_sales.views import documents as views

quotes_router = APIRouter(prefix="/quotes", tags=["quotes"], dependencies=[STAFF])
orders_router = APIRouter(prefix="/orders", tags=["orders"], dependencies=[STAFF])

QuoteOut = QuoteCostRead | QuoteRead
OrderOut = OrderCostRead | OrderRead


def _lines(body: PricingIn) -> dict[str, Any]:
    return {
        "lines": tuple(LineInput(**line.model_dump()) for line in body.lines),
        "discount_percent": body.discount_percent,
    }


# -- quotes ----------------------------------------------------------------------------------


@quotes_router.post("", status_code=status.HTTP_201_CREATED, response_model=QuoteOut)
async def draft_quote(
    body: QuoteCreate, principal: PrincipalDep, uow: UoWDep, response: Response
) -> QuoteRead:
    """Draft a quote priced from the catalogue. A line or total below cost raises the loss
    alarm: the quote then needs a manager's approval before it is sent or accepted."""
    quote = await handlers.draft_quote(
        uow=uow,
        cmd=DraftQuote(
            customer_id=body.customer_id,
            currency=body.currency,
            opportunity_id=body.opportunity_id,
            valid_until=body.valid_until,
            **_lines(body),
        ),
        principal=principal,
    )
    schema = cost_view(principal, QuoteRead, QuoteCostRead)
    return answer(response, quote, schema, location=f"/quotes/{quote.id}")


@quotes_router.get("", response_model=Page[QuoteCostRead] | Page[QuoteRead])
async def list_quotes(
    principal: PrincipalDep,
    session: SessionDep,
    paging: PageDep,
    customer_id: UUID | None = None,
    opportunity_id: UUID | None = None,
    status: QuoteStatus | None = None,
    loss_alarm: bool | None = None,
) -> Page[DocumentRead]:
    """Quotes you may see. Sort by created_at, updated_at, total, status."""
    filters = {
        QuoteRow.customer_id: customer_id,
        QuoteRow.opportunity_id: opportunity_id,
        QuoteRow.status: status,
        QuoteRow.loss_alarm: loss_alarm,
    }
    schema = cost_view(principal, QuoteRead, QuoteCostRead)
    return await views.documents(session, principal, QuoteRow, paging, schema, filters)


@quotes_router.get("/{quote_id}", response_model=QuoteOut)
async def get_quote(
    quote_id: UUID, principal: PrincipalDep, session: SessionDep, response: Response
) -> DocumentRead:
    schema = cost_view(principal, QuoteRead, QuoteCostRead)
    return tagged(response, await views.document(session, principal, QuoteRow, quote_id, schema))


@quotes_router.put("/{quote_id}", response_model=QuoteOut)
async def revise_quote(
    quote_id: UUID,
    body: QuoteRevision,
    expected_version: IfMatch,
    principal: PrincipalDep,
    uow: UoWDep,
    response: Response,
) -> QuoteRead:
    """Replace the lines of a draft; a new price below cost needs a new approval."""
    quote = await handlers.revise_quote(
        uow=uow,
        cmd=ReviseQuote(
            id=quote_id,
            expected_version=expected_version,
            valid_until=body.valid_until,
            **_lines(body),
        ),
        principal=principal,
    )
    return answer(response, quote, cost_view(principal, QuoteRead, QuoteCostRead))


@quotes_router.post("/{quote_id}/approve-loss", response_model=QuoteOut)
async def approve_quote_loss(
    quote_id: UUID,
    expected_version: IfMatch,
    principal: PrincipalDep,
    uow: UoWDep,
    response: Response,
) -> QuoteRead:
    """Managers only (not the one who priced it): let a quote below cost go out."""
    quote = await handlers.approve_quote_loss(
        uow=uow, cmd=OnRecord(id=quote_id, expected_version=expected_version), principal=principal
    )
    return answer(response, quote, cost_view(principal, QuoteRead, QuoteCostRead))


@quotes_router.post("/{quote_id}/send", response_model=QuoteOut)
async def send_quote(
    quote_id: UUID,
    expected_version: IfMatch,
    principal: PrincipalDep,
    uow: UoWDep,
    response: Response,
) -> QuoteRead:
    """Send a draft; 409 while it is below cost and not approved."""
    quote = await handlers.send_quote(
        uow=uow, cmd=OnRecord(id=quote_id, expected_version=expected_version), principal=principal
    )
    return answer(response, quote, cost_view(principal, QuoteRead, QuoteCostRead))


@quotes_router.post("/{quote_id}/accept", response_model=Acceptance)
async def accept_quote(
    quote_id: UUID,
    body: AcceptanceIn,
    expected_version: IfMatch,
    principal: PrincipalDep,
    uow: UoWDep,
    response: Response,
) -> Acceptance:
    """The customer said yes: places the order and starts the contract asked for."""
    terms = body.contract
    quote, order, contract = await handlers.accept_quote(
        uow=uow,
        cmd=AcceptQuote(
            id=quote_id,
            expected_version=expected_version,
            create_order=body.create_order,
            contract=ContractTerms(**terms.model_dump()) if terms else None,
        ),
        principal=principal,
    )
    return Acceptance(
        quote=answer(response, quote, cost_view(principal, QuoteRead, QuoteCostRead)),
        order_id=order.id if order else None,
        contract_id=contract.id if contract else None,
    )


@quotes_router.post("/{quote_id}/reject", response_model=QuoteOut)
async def reject_quote(
    quote_id: UUID,
    body: OptionalReason,
    expected_version: IfMatch,
    principal: PrincipalDep,
    uow: UoWDep,
    response: Response,
) -> QuoteRead:
    quote = await handlers.reject_quote(
        uow=uow,
        cmd=Decline(id=quote_id, expected_version=expected_version, reason=body.reason),
        principal=principal,
    )
    return answer(response, quote, cost_view(principal, QuoteRead, QuoteCostRead))


# -- orders ----------------------------------------------------------------------------------


@orders_router.post("", status_code=status.HTTP_201_CREATED, response_model=OrderOut)
async def place_order(
    body: OrderCreate, principal: PrincipalDep, uow: UoWDep, response: Response
) -> OrderRead:
    """Place an order directly; below cost it waits for a manager (`pending_approval`)."""
    order = await handlers.place_order(
        uow=uow,
        cmd=PlaceOrder(customer_id=body.customer_id, currency=body.currency, **_lines(body)),
        principal=principal,
    )
    schema = cost_view(principal, OrderRead, OrderCostRead)
    return answer(response, order, schema, location=f"/orders/{order.id}")


@orders_router.get("", response_model=Page[OrderCostRead] | Page[OrderRead])
async def list_orders(
    principal: PrincipalDep,
    session: SessionDep,
    paging: PageDep,
    customer_id: UUID | None = None,
    quote_id: UUID | None = None,
    status: Annotated[OrderStatus | None, Query()] = None,
    loss_alarm: bool | None = None,
) -> Page[DocumentRead]:
    """Orders you may see. Sort by created_at, updated_at, total, status."""
    filters = {
        OrderRow.customer_id: customer_id,
        OrderRow.quote_id: quote_id,
        OrderRow.status: status,
        OrderRow.loss_alarm: loss_alarm,
    }
    schema = cost_view(principal, OrderRead, OrderCostRead)
    return await views.documents(session, principal, OrderRow, paging, schema, filters)


@orders_router.get("/{order_id}", response_model=OrderOut)
async def get_order(
    order_id: UUID, principal: PrincipalDep, session: SessionDep, response: Response
) -> DocumentRead:
    schema = cost_view(principal, OrderRead, OrderCostRead)
    return tagged(response, await views.document(session, principal, OrderRow, order_id, schema))


@orders_router.post("/{order_id}/approve-loss", response_model=OrderOut)
async def approve_order_loss(
    order_id: UUID,
    expected_version: IfMatch,
    principal: PrincipalDep,
    uow: UoWDep,
    response: Response,
) -> OrderRead:
    """Managers only (not the one who priced it): confirm an order below cost."""
    order = await handlers.approve_order_loss(
        uow=uow, cmd=OnRecord(id=order_id, expected_version=expected_version), principal=principal
    )
    return answer(response, order, cost_view(principal, OrderRead, OrderCostRead))


@orders_router.post("/{order_id}/cancel", response_model=OrderOut)
async def cancel_order(
    order_id: UUID,
    body: Reason,
    expected_version: IfMatch,
    principal: PrincipalDep,
    uow: UoWDep,
    response: Response,
) -> OrderRead:
    order = await handlers.cancel_order(
        uow=uow,
        cmd=Decline(id=order_id, expected_version=expected_version, reason=body.reason),
        principal=principal,
    )
    return answer(response, order, cost_view(principal, OrderRead, OrderCostRead))
