"""Interactions and contacts of a customer."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response, status
from servicekit.auth import PrincipalDep
from servicekit.concurrency import IfMatch, etag
from servicekit.errors import NotFound

from crm_customers import views
from crm_customers.domain.commands import LogInteraction
from crm_customers.entrypoints.api.deps import STAFF, SessionDep, UoWDep
from crm_customers.entrypoints.api.schemas import (
    ContactCreate,
    ContactRead,
    ContactUpdate,
    InteractionCreate,
    InteractionRead,
    InteractionUpdate,
)
from crm_customers.service_layer import handlers

router = APIRouter(
    prefix="/customers/{customer_id}", tags=["interactions and contacts"], dependencies=[STAFF]
)


@router.post("/interactions", status_code=status.HTTP_201_CREATED, response_model=InteractionRead)
async def log_interaction(
    customer_id: UUID,
    body: InteractionCreate,
    principal: PrincipalDep,
    uow: UoWDep,
    response: Response,
) -> InteractionRead:
    """Log an interaction; every field is required. It resets the pool clock."""
    interaction = await handlers.log_interaction(
        uow=uow,
        cmd=LogInteraction(customer_id=customer_id, **body.model_dump()),
        principal=principal,
    )
    response.headers["Location"] = f"/customers/{customer_id}/interactions/{interaction.id}"
    response.headers["ETag"] = etag(interaction.version)
    return InteractionRead.model_validate(interaction)


@router.patch("/interactions/{interaction_id}", response_model=InteractionRead)
async def edit_interaction(
    customer_id: UUID,
    interaction_id: UUID,
    body: InteractionUpdate,
    expected_version: IfMatch,
    principal: PrincipalDep,
    uow: UoWDep,
    response: Response,
) -> InteractionRead:
    """Correct an open interaction; a closed one answers 409."""
    interaction = await handlers.edit_interaction(
        uow=uow,
        customer_id=customer_id,
        interaction_id=interaction_id,
        expected_version=expected_version,
        changes=body.model_dump(exclude_unset=True),
        principal=principal,
    )
    response.headers["ETag"] = etag(interaction.version)
    return InteractionRead.model_validate(interaction)


@router.post("/interactions/{interaction_id}/close", response_model=InteractionRead)
async def close_interaction(
    customer_id: UUID,
    interaction_id: UUID,
    principal: PrincipalDep,
    uow: UoWDep,
    response: Response,
) -> InteractionRead:
    """Close it: from now on it cannot be changed or deleted."""
    interaction = await handlers.close_interaction(
        uow=uow, customer_id=customer_id, interaction_id=interaction_id, principal=principal
    )
    response.headers["ETag"] = etag(interaction.version)
    return InteractionRead.model_validate(interaction)


@router.delete("/interactions/{interaction_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_interaction(
    customer_id: UUID, interaction_id: UUID, principal: PrincipalDep, uow: UoWDep
) -> None:
    """Delete an open interaction; a closed one answers 409."""
    await handlers.delete_interaction(
        uow=uow, customer_id=customer_id, interaction_id=interaction_id, principal=principal
    )


@router.get("/contacts", response_model=list[ContactRead])
async def list_contacts(
    customer_id: UUID, principal: PrincipalDep, session: SessionDep
) -> list[ContactRead]:
    if await views.customer(session, customer_id, principal) is None:
        raise NotFound(f"No customer {customer_id}.")
    return await views.contacts(session, customer_id, principal)


@router.post("/contacts", status_code=status.HTTP_201_CREATED, response_model=ContactRead)
async def add_contact(
    customer_id: UUID,
    body: ContactCreate,
    principal: PrincipalDep,
    uow: UoWDep,
    response: Response,
) -> ContactRead:
    contact = await handlers.add_contact(
        uow=uow, customer_id=customer_id, values=body.model_dump(), principal=principal
    )
    response.headers["ETag"] = etag(contact.version)
    return ContactRead.model_validate(contact)


@router.patch("/contacts/{contact_id}", response_model=ContactRead)
async def update_contact(
    customer_id: UUID,
    contact_id: UUID,
    body: ContactUpdate,
    expected_version: IfMatch,
    principal: PrincipalDep,
    uow: UoWDep,
    response: Response,
) -> ContactRead:
    contact = await handlers.change_contact(
        uow=uow,
        customer_id=customer_id,
        contact_id=contact_id,
        expected_version=expected_version,
        changes=body.model_dump(exclude_unset=True),
        principal=principal,
    )
    response.headers["ETag"] = etag(contact.version)
    return ContactRead.model_validate(contact)


@router.delete("/contacts/{contact_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_contact(
    customer_id: UUID,
    contact_id: UUID,
    expected_version: IfMatch,
    principal: PrincipalDep,
    uow: UoWDep,
) -> None:
    await handlers.change_contact(
        uow=uow,
        customer_id=customer_id,
        contact_id=contact_id,
        expected_version=expected_version,
        changes=None,
        principal=principal,
    )
