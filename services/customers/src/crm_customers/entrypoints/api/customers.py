"""Accounts: create, read, list, update, lifecycle, delete, duplicates and merge."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Response, status
from servicekit.auth import PrincipalDep
from servicekit.concurrency import IfMatch, etag
from servicekit.errors import NotFound
from servicekit.paging import Page, PageParams, page_params

from crm_customers import views
from crm_customers.domain.commands import (
    ChangeStage,
    CreateCustomer,
    MergeCustomers,
    UpdateCustomer,
)
from crm_customers.domain.model import Customer
from crm_customers.entrypoints.api.deps import STAFF, SessionDep, UoWDep
from crm_customers.entrypoints.api.filters import FilterDep
from crm_customers.entrypoints.api.schemas import (
    CompletenessRow,
    CustomerCreate,
    CustomerRead,
    CustomerUpdate,
    DuplicateGroup,
    MergeRequest,
    StageChange,
)
from crm_customers.service_layer import handlers

router = APIRouter(prefix="/customers", tags=["customers"], dependencies=[STAFF])
PageDep = Annotated[PageParams, Depends(page_params)]


def read(customer: Customer, response: Response) -> CustomerRead:
    response.headers["ETag"] = etag(customer.version)
    return CustomerRead.model_validate(customer)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CustomerRead)
async def create_customer(
    body: CustomerCreate, principal: PrincipalDep, uow: UoWDep, response: Response
) -> CustomerRead:
    """Create a customer. Your company's required-fields policy applies (422 lists every
    missing field). Send `Idempotency-Key` to make a retry safe."""
    head = {"name", "kind", "lifecycle_stage", "branch_id", "owner_id"}
    cmd = CreateCustomer(
        **body.model_dump(include=head), info=body.model_dump(exclude=head, mode="json")
    )
    customer = await handlers.create_customer(uow=uow, cmd=cmd, principal=principal)
    response.headers["Location"] = f"/customers/{customer.id}"
    return read(customer, response)


@router.get("", response_model=Page[CustomerRead])
async def list_customers(
    principal: PrincipalDep, session: SessionDep, page: PageDep, where: FilterDep
) -> Page[CustomerRead]:
    """Customers you may see, filtered (`cf.<key>=value` filters custom fields), sorted
    (`sort=-last_interaction_at,name`) and paged."""
    return await views.list_customers(session, principal, where, page)


@router.get("/duplicates", response_model=list[DuplicateGroup])
async def find_duplicates(principal: PrincipalDep, session: SessionDep) -> list[DuplicateGroup]:
    """Likely duplicates: the same normalised name, phone (E.164) or e-mail."""
    return await views.duplicates(session, principal)


@router.post("/merge", response_model=CustomerRead)
async def merge_customers(
    body: MergeRequest, principal: PrincipalDep, uow: UoWDep, response: Response
) -> CustomerRead:
    """Keep `survivor_id`; contacts, interactions and history of `duplicate_id` move to it.
    Other services re-point their references on the `customer.merged` event."""
    customer = await handlers.merge(
        uow=uow, cmd=MergeCustomers(body.survivor_id, body.duplicate_id), principal=principal
    )
    return read(customer, response)


@router.get("/completeness", response_model=list[CompletenessRow])
async def completeness(principal: PrincipalDep, session: SessionDep) -> list[CompletenessRow]:
    """Data quality per owner: average completeness and records below the policy."""
    return await views.completeness_by_owner(session, principal)


@router.get("/{customer_id}", response_model=CustomerRead)
async def get_customer(
    customer_id: UUID, principal: PrincipalDep, session: SessionDep, response: Response
) -> CustomerRead:
    """One customer you may see; 404 for anything outside your scope."""
    found = await views.customer(session, customer_id, principal)
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
    cmd = UpdateCustomer(
        customer_id, expected_version, body.model_dump(exclude_unset=True, mode="json")
    )
    return read(await handlers.update_customer(uow=uow, cmd=cmd, principal=principal), response)


@router.post("/{customer_id}/lifecycle", response_model=CustomerRead)
async def change_lifecycle(
    customer_id: UUID,
    body: StageChange,
    expected_version: IfMatch,
    principal: PrincipalDep,
    uow: UoWDep,
    response: Response,
) -> CustomerRead:
    """Move along lead → prospect → customer; churned and lost need a reason."""
    cmd = ChangeStage(customer_id, expected_version, body.stage, body.reason)
    return read(await handlers.change_stage(uow=uow, cmd=cmd, principal=principal), response)


@router.delete("/{customer_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_customer(
    customer_id: UUID, expected_version: IfMatch, principal: PrincipalDep, uow: UoWDep
) -> None:
    """Soft delete (managers): it leaves lists; its history stays."""
    await handlers.delete_customer(
        uow=uow, customer_id=customer_id, expected_version=expected_version, principal=principal
    )
