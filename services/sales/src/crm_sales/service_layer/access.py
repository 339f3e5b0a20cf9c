"""Who may do what: the roles of the sales service and the customer a command is about."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar
from uuid import UUID

from servicekit.auth import MANAGER_ROLES, Principal, Role
from servicekit.concurrency import check_version
from servicekit.errors import FieldError, Forbidden, InvalidInput, NotFound

from crm_sales.adapters import facts
from crm_sales.adapters.orm import ContactFact, CustomerFact
from crm_sales.adapters.repository import Repository
from crm_sales.domain.base import Aggregate
from crm_sales.domain.commands import OnRecord
from crm_sales.service_layer.unit_of_work import SalesUnitOfWork

T = TypeVar("T")
A = TypeVar("A", bound=Aggregate)

SELLERS = frozenset({Role.ADMIN, Role.EXECUTIVE, Role.BRANCH_MANAGER, Role.SALES_REP})
CAMPAIGNERS = frozenset({Role.ADMIN, Role.EXECUTIVE, Role.MARKETING})
CATALOGUE_KEEPERS = frozenset({Role.ADMIN, Role.EXECUTIVE})
# Who sees unit cost and margin (003: reps quote prices, managers watch the margin).
COST_READERS = MANAGER_ROLES


def is_manager(principal: Principal) -> bool:
    """Admins, executives and branch managers."""
    return principal.has_any(MANAGER_ROLES)


def require(principal: Principal, roles: frozenset[Role], action: str) -> None:
    """403 unless the principal holds one of `roles`."""
    if not principal.has_any(roles):
        raise Forbidden(f"Your role cannot {action}.")


def require_manager(principal: Principal, action: str) -> None:
    """403 unless the principal is a manager."""
    if not is_manager(principal):
        raise Forbidden(f"Only a manager can {action}.")


async def found(lookup: Awaitable[T | None], what: str, record_id: UUID) -> T:
    """The record, or 404 for anything missing or outside the caller's scope."""
    record = await lookup
    if record is None:
        raise NotFound(f"No {what} {record_id}.")
    return record


async def customer_to_work_with(
    uow: SalesUnitOfWork, principal: Principal, customer_id: UUID, *, field: str = "customer_id"
) -> CustomerFact:
    """A live customer the caller may see: own or the branch's pool, the branch, or all."""
    fact = await facts.customer(uow.session, principal.tenant, customer_id, visible_to=principal)
    if fact is None:
        problem = "unknown customer"
    elif fact.merged_into is not None:
        problem = f"merged into customer {fact.merged_into}; use that one"
    elif fact.deleted_at is not None:
        problem = "the customer was deleted"
    else:
        return fact
    raise InvalidInput(f"Customer {customer_id}: {problem}.", errors=[FieldError(field, problem)])


async def customer_to_sell_to(
    uow: SalesUnitOfWork, principal: Principal, customer_id: UUID
) -> CustomerFact:
    """Only the customer's owner or a manager opens opportunities, quotes, orders, contracts."""
    require(principal, SELLERS, "sell")
    fact = await customer_to_work_with(uow, principal, customer_id)
    if not is_manager(principal) and fact.owner_id != principal.user_id:
        raise Forbidden("Only the customer's owner or a manager can sell to this customer.")
    return fact


async def contact_of(
    uow: SalesUnitOfWork, principal: Principal, contact_id: UUID, customer_id: UUID | None
) -> ContactFact:
    """A live contact, of `customer_id` when one is given."""
    contact = await facts.contact(uow.session, principal.tenant, contact_id)
    if contact is None or contact.deleted:
        raise InvalidInput(
            f"No contact {contact_id}.", errors=[FieldError("contact_id", "unknown contact")]
        )
    if customer_id is not None and contact.customer_id != customer_id:
        raise InvalidInput(
            "The contact belongs to another customer.",
            errors=[FieldError("contact_id", "not a contact of this customer")],
        )
    return contact


async def change_record(
    uow: SalesUnitOfWork,
    repository: Callable[[SalesUnitOfWork], Repository[A]],
    cmd: OnRecord,
    principal: Principal,
    change: Callable[[A], object],
    *,
    check: Callable[[SalesUnitOfWork], Awaitable[None]] | None = None,
) -> A:
    """Load a record the caller may see, at the version they read; change it; commit.
    `check` validates references in the same transaction first."""
    async with uow:
        if check is not None:
            await check(uow)
        records = repository(uow)
        record = await found(records.get(cmd.id, visible_to=principal), records.what, cmd.id)
        check_version(cmd.expected_version, record.version)
        change(record)
        await uow.commit()
    return record
