"""Routes of contracts (subscriptions) and who may be shipped to on a day."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from crm_contracts.sales import ContractStatus
from fastapi import APIRouter, Query, Response, status
from servicekit.auth import PrincipalDep
from servicekit.concurrency import IfMatch, etag
from servicekit.paging import Page

from crm_sales.domain.commands import RenewContract, StartContract
from crm_sales.entrypoints.api.deps import STAFF, PageDep, SessionDep, UoWDep
from crm_sales.entrypoints.api.routes.common import answer, tagged
from crm_sales.entrypoints.api.schemas.subscriptions import (
    ActiveCustomer,
    ContractCreate,
    ContractRead,
    Renewal,
    RenewalRead,
)
from crm_sales.service_layer import subscriptions as handlers
from crm_sales.views import subscriptions as views

router = APIRouter(prefix="/contracts", tags=["contracts"], dependencies=[STAFF])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ContractRead)
async def start_contract(
    body: ContractCreate, principal: PrincipalDep, uow: UoWDep, response: Response
) -> ContractRead:
    """Start a contract (one subscription period) for a customer you own or manage."""
    contract = await handlers.start_contract(
        uow=uow, cmd=StartContract(**body.model_dump()), principal=principal
    )
    return answer(response, contract, ContractRead, location=f"/contracts/{contract.id}")


# Declared before /{contract_id}, which would otherwise take the path.
@router.get("/active-customers", response_model=Page[ActiveCustomer])
async def active_customers(
    principal: PrincipalDep,
    session: SessionDep,
    paging: PageDep,
    on: Annotated[date, Query(description="The day asked about, e.g. the shipping day.")],
) -> Page[ActiveCustomer]:
    """Customers with a subscription in force on `on` (what the shipping department asks).
    Sort by customer_name or ends_on."""
    return await views.active_customers(session, principal, paging, on)


@router.get("", response_model=Page[ContractRead])
async def list_contracts(
    principal: PrincipalDep,
    session: SessionDep,
    paging: PageDep,
    customer_id: UUID | None = None,
    status: ContractStatus | None = None,
    active_on: date | None = None,
) -> Page[ContractRead]:
    """Contracts you may see. Sort by start_date, end_date, name."""
    return await views.contracts(
        session, principal, paging, customer_id=customer_id, status=status, active_on=active_on
    )


@router.get("/{contract_id}", response_model=ContractRead)
async def get_contract(
    contract_id: UUID, principal: PrincipalDep, session: SessionDep, response: Response
) -> ContractRead:
    return tagged(response, await views.contract(session, principal, contract_id))


@router.post(
    "/{contract_id}/renew", status_code=status.HTTP_201_CREATED, response_model=RenewalRead
)
async def renew_contract(
    contract_id: UUID,
    body: Renewal,
    expected_version: IfMatch,
    principal: PrincipalDep,
    uow: UoWDep,
    response: Response,
) -> RenewalRead:
    """Renew an active or expiring contract: the next period is a new contract starting the
    day after this one ends (Location points at it)."""
    renewed, following = await handlers.renew_contract(
        uow=uow,
        cmd=RenewContract(
            id=contract_id, expected_version=expected_version, end_date=body.end_date
        ),
        principal=principal,
    )
    response.headers["Location"] = f"/contracts/{following.id}"
    response.headers["ETag"] = etag(following.version)
    return RenewalRead(
        renewed=ContractRead.model_validate(renewed.snapshot()),
        next=ContractRead.model_validate(following.snapshot()),
    )
