"""Customers HTTP routes: schema -> command -> handler -> schema, nothing more."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Response, status
from servicekit.app import SessionsDep
from servicekit.auth import PrincipalDep
from servicekit.concurrency import IfMatch, etag
from servicekit.errors import NotFound

from crm_customers import views
from crm_customers.domain.commands import CreateCustomer, UpdateCustomer
from crm_customers.entrypoints.api.schemas import CustomerCreate, CustomerRead, CustomerUpdate
from crm_customers.service_layer import handlers
from crm_customers.service_layer.unit_of_work import CustomersUnitOfWork

router = APIRouter(prefix="/customers", tags=["customers"])


def get_uow(sessions: SessionsDep) -> CustomersUnitOfWork:
    return CustomersUnitOfWork(sessions)


UoWDep = Annotated[CustomersUnitOfWork, Depends(get_uow)]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CustomerRead)
async def create_customer(
    body: CustomerCreate, principal: PrincipalDep, uow: UoWDep, response: Response
) -> CustomerRead:
    """Create a customer. Send `Idempotency-Key` to make a retry safe."""
    customer = await handlers.create_customer(
        uow=uow, cmd=CreateCustomer(**body.model_dump()), principal=principal
    )
    response.headers["Location"] = f"/customers/{customer.id}"
    response.headers["ETag"] = etag(customer.version)
    return CustomerRead.model_validate(customer)


@router.get("/{customer_id}", response_model=CustomerRead)
async def get_customer(
    customer_id: UUID, principal: PrincipalDep, sessions: SessionsDep, response: Response
) -> CustomerRead:
    """One customer the caller may see; 404 for anything outside their scope."""
    found = await views.customer(sessions, customer_id, principal)
    if found is None:
        raise NotFound(f"No customer {customer_id}.")
    response.headers["ETag"] = etag(found.version)
    return found


@router.patch("/{customer_id}", response_model=CustomerRead)
async def update_customer(
    customer_id: UUID,
    body: CustomerUpdate,
    expected_version: IfMatch,
    principal: PrincipalDep,
    uow: UoWDep,
    response: Response,
) -> CustomerRead:
    """Change basic info. `If-Match` must carry the ETag you read; a stale one gets 412."""
    customer = await handlers.update_customer(
        uow=uow,
        cmd=UpdateCustomer(customer_id, expected_version, body.model_dump(exclude_unset=True)),
        principal=principal,
    )
    response.headers["ETag"] = etag(customer.version)
    return CustomerRead.model_validate(customer)
