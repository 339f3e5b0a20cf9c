"""Who may do what, and the lookups every use case starts with (404 outside one's scope)."""

from __future__ import annotations

from uuid import UUID

from servicekit.auth import Principal, Role, Scope
from servicekit.errors import FieldError, Forbidden, InvalidInput, NotFound

from crm_service_desk.adapters.facts import CustomerFact
from crm_service_desk.adapters.scope import is_portal, portal_customer
from crm_service_desk.domain.asset import Asset
from crm_service_desk.domain.ticket import Ticket
from crm_service_desk.service_layer.unit_of_work import DeskUnitOfWork

# Staff who work tickets and assets. Executives read; sales reps read their customers' ones.
AGENTS = frozenset({Role.ADMIN, Role.BRANCH_MANAGER, Role.SERVICE_AGENT})
READERS = AGENTS | {Role.EXECUTIVE, Role.SALES_REP, Role.INTEGRATOR}
ADMINS = frozenset({Role.ADMIN})


def require(principal: Principal, roles: frozenset[Role], what: str) -> None:
    if is_portal(principal) or not principal.has_any(roles):
        raise Forbidden(f"Your role cannot {what}.")


async def ticket_in_scope(
    uow: DeskUnitOfWork, principal: Principal, ticket_id: UUID, *, lock: bool = True
) -> Ticket:
    ticket = await uow.tickets.get(ticket_id, visible_to=principal, for_update=lock)
    if ticket is None:
        raise NotFound(f"No ticket {ticket_id}.")
    return ticket


async def asset_in_scope(
    uow: DeskUnitOfWork, principal: Principal, asset_id: UUID, *, lock: bool = True
) -> Asset:
    asset = await uow.assets.get(asset_id, visible_to=principal, for_update=lock)
    if asset is None:
        raise NotFound(f"No asset {asset_id}.")
    return asset


async def customer_in_scope(
    uow: DeskUnitOfWork, principal: Principal, customer_id: UUID
) -> CustomerFact:
    """A customer the caller may open tickets or register assets for. Unknown, deleted and
    out-of-scope customers all answer the same 422, so nothing leaks."""
    fact = await uow.facts.customer(principal.tenant, customer_id, lock=True)
    if fact is not None and fact.merged_into is not None:
        raise InvalidInput(
            f"Customer {customer_id} was merged into {fact.merged_into}; use that one.",
            errors=[FieldError("customer_id", "merged into another customer")],
        )
    if fact is None or not fact.usable or not _sees(principal, fact):
        raise InvalidInput(
            f"No customer {customer_id} you can serve (customers the service desk has not "
            "heard of yet count as unknown).",
            errors=[FieldError("customer_id", "unknown customer")],
        )
    return fact


def _sees(principal: Principal, fact: CustomerFact) -> bool:
    if is_portal(principal):
        return portal_customer(principal) == fact.customer_id
    if principal.scope is Scope.ALL:
        return True
    return principal.scope is Scope.BRANCH and fact.branch_id == principal.branch


async def check_contact(
    uow: DeskUnitOfWork, tenant: str, customer_id: UUID, contact_id: UUID | None
) -> None:
    if contact_id is not None and not await uow.facts.contact_of(tenant, customer_id, contact_id):
        raise InvalidInput(
            f"No contact {contact_id} of this customer.",
            errors=[FieldError("contact_id", "unknown contact of this customer")],
        )


async def asset_for_ticket(
    uow: DeskUnitOfWork, tenant: str, customer_id: UUID, asset_id: UUID | None
) -> Asset | None:
    if asset_id is None:
        return None
    asset = await uow.assets.in_tenant(tenant, asset_id)
    if asset is None or asset.customer_id != customer_id:
        raise InvalidInput(
            f"No asset {asset_id} of this customer.",
            errors=[FieldError("asset_id", "unknown asset of this customer")],
        )
    return asset
