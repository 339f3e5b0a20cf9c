"""Customers use cases: one handler per command, one unit of work each."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from servicekit.auth import MANAGER_ROLES, Principal, Role, Scope
from servicekit.concurrency import check_version
from servicekit.errors import FieldError, Forbidden, InvalidInput, NotFound

from crm_customers.adapters.repository import (
    current_policy,
    load_policy,
    record_survey_score,
    repoint_children,
)
from crm_customers.domain.commands import (
    AssignCustomer,
    ChangeStage,
    CreateCustomer,
    LogInteraction,
    MergeCustomers,
    UpdateCustomer,
)
from crm_customers.domain.contact import Contact
from crm_customers.domain.interaction import Interaction
from crm_customers.domain.model import Customer
from crm_customers.domain.policy import TenantPolicy
from crm_customers.service_layer.unit_of_work import CustomersUnitOfWork

CAN_CREATE = frozenset({Role.ADMIN, Role.EXECUTIVE, Role.BRANCH_MANAGER, Role.SALES_REP})
CAN_WORK = CAN_CREATE  # who may log interactions, edit contacts, move stages


def _now() -> datetime:
    return datetime.now(UTC)


def _require(principal: Principal, roles: frozenset[Role], what: str) -> None:
    if not principal.has_any(roles):
        raise Forbidden(f"Your role cannot {what}.")


def placement(cmd: CreateCustomer, principal: Principal) -> tuple[str, str | None]:
    """Branch and owner of a new customer: a rep creates for self, in own branch."""
    if principal.scope is Scope.ALL:
        branch = cmd.branch_id or principal.branch
        if not branch:
            raise InvalidInput(
                "Say which branch the customer belongs to.",
                errors=[FieldError("branch_id", "required for users of all branches")],
            )
        return branch, cmd.owner_id
    assert principal.branch is not None
    if cmd.branch_id not in (None, principal.branch):
        raise Forbidden("You can create customers only in your own branch.")
    if principal.scope is Scope.OWN:
        if cmd.owner_id not in (None, principal.user_id):
            raise Forbidden("A sales rep creates customers for themself; a manager assigns.")
        return principal.branch, principal.user_id
    return principal.branch, cmd.owner_id


def check_policy(policy: TenantPolicy, values: dict[str, Any]) -> dict[str, Any]:
    """Custom fields coerced; 422 naming every missing or invalid field at once."""
    custom, errors = policy.validate_custom(values.get("custom_fields") or {})
    values = {**values, "custom_fields": custom}
    problems = [
        FieldError(f, "required by your company's policy") for f in policy.missing_fields(values)
    ]
    problems += [FieldError(f, message) for f, message in errors.items()]
    if problems:
        raise InvalidInput(
            "The customer breaks your company's data policy: "
            + ", ".join(p.field for p in problems),
            errors=problems,
        )
    return custom


async def _visible(
    uow: CustomersUnitOfWork, customer_id: UUID, principal: Principal, *, lock: bool = False
) -> Customer:
    customer = await uow.customers.get(customer_id, visible_to=principal, for_update=lock)
    if customer is None:
        raise NotFound(f"No customer {customer_id}.")
    return customer


def _ensure_can_work(customer: Customer, principal: Principal) -> None:
    """Reps work their own customers; pooled ones must be claimed first."""
    _require(principal, CAN_WORK, "change customers")
    if principal.scope is Scope.OWN and customer.owner_id != principal.user_id:
        raise Forbidden("Claim this customer from the pool before working on it.")


async def create_customer(
    *, uow: CustomersUnitOfWork, cmd: CreateCustomer, principal: Principal
) -> Customer:
    """Create a customer owned as the caller's role allows; publishes customer.created."""
    _require(principal, CAN_CREATE, "create customers")
    branch, owner = placement(cmd, principal)
    async with uow:
        policy = await current_policy(uow.session, principal.tenant)
        info = {**cmd.info, "name": cmd.name}
        info["custom_fields"] = check_policy(policy, info)
        del info["name"]
        customer = Customer.create(
            tenant_id=principal.tenant,
            branch_id=branch,
            owner_id=owner,
            created_by=principal.user_id,
            name=cmd.name,
            kind=cmd.kind,
            lifecycle_stage=cmd.lifecycle_stage,
            **info,
        )
        uow.customers.add(customer)
        await uow.commit()
    return customer


async def update_customer(
    *, uow: CustomersUnitOfWork, cmd: UpdateCustomer, principal: Principal
) -> Customer:
    """Apply basic-info changes if the caller saw the current version; publishes updated."""
    async with uow:
        customer = await _visible(uow, cmd.customer_id, principal)
        _ensure_can_work(customer, principal)
        check_version(cmd.expected_version, customer.version)
        policy = await current_policy(uow.session, principal.tenant)
        changes = dict(cmd.changes)
        if "custom_fields" in changes:
            changes["custom_fields"] = {
                **customer.custom_fields,
                **(changes["custom_fields"] or {}),
            }
        changes["custom_fields"] = check_policy(policy, {**customer.values(), **changes})
        customer.update(changes, by=principal.user_id)
        await uow.commit()
    return customer


async def change_stage(
    *, uow: CustomersUnitOfWork, cmd: ChangeStage, principal: Principal
) -> Customer:
    async with uow:
        customer = await _visible(uow, cmd.customer_id, principal)
        _ensure_can_work(customer, principal)
        check_version(cmd.expected_version, customer.version)
        customer.change_stage(cmd.stage, reason=cmd.reason, by=principal.user_id)
        await uow.commit()
    return customer


async def delete_customer(
    *,
    uow: CustomersUnitOfWork,
    customer_id: UUID,
    expected_version: int | None,
    principal: Principal,
) -> None:
    """Soft delete: managers and up; history stays for reports and audits."""
    _require(principal, MANAGER_ROLES, "delete customers")
    async with uow:
        customer = await _visible(uow, customer_id, principal)
        check_version(expected_version, customer.version)
        customer.delete(by=principal.user_id, now=_now())
        await uow.commit()


# -- the pool and ownership -------------------------------------------------------------


async def claim(*, uow: CustomersUnitOfWork, customer_id: UUID, principal: Principal) -> Customer:
    """Take a pooled customer. The row lock makes a simultaneous second claim see the owner."""
    _require(principal, frozenset({Role.SALES_REP, Role.BRANCH_MANAGER}), "claim customers")
    async with uow:
        # Not the rep's visibility filter: once a rival's claim commits, the row leaves it
        # and the loser would read 404 instead of learning it was claimed (409).
        customer = await uow.customers.get_in_tenant(principal.tenant, customer_id, for_update=True)
        if customer is None or customer.branch_id != principal.branch:
            raise NotFound(f"No customer {customer_id} in your branch's pool.")
        customer.claim(principal.user_id, rep_branch=principal.branch, now=_now())
        await uow.commit()
    return customer


async def assign(
    *, uow: CustomersUnitOfWork, cmd: AssignCustomer, principal: Principal
) -> Customer:
    """A manager gives a customer to a rep (or to the pool); executives may move branches."""
    _require(principal, MANAGER_ROLES, "assign customers")
    if cmd.branch_id is not None and not principal.sees_branch(cmd.branch_id):
        raise Forbidden("You can assign only within your own branch.")
    async with uow:
        customer = await _visible(uow, cmd.customer_id, principal, lock=True)
        customer.assign(cmd.owner_id, branch=cmd.branch_id, by=principal.user_id, now=_now())
        await uow.commit()
    return customer


async def release(*, uow: CustomersUnitOfWork, customer_id: UUID, principal: Principal) -> Customer:
    """The owner (or a manager) puts a customer back into the pool."""
    async with uow:
        customer = await _visible(uow, customer_id, principal, lock=True)
        is_owner = customer.owner_id == principal.user_id
        if not is_owner and not principal.has_any(MANAGER_ROLES):
            raise Forbidden("Only the owner or a manager can release a customer.")
        customer.release(by=principal.user_id, now=_now())
        await uow.commit()
    return customer


# -- interactions ------------------------------------------------------------------------


async def log_interaction(
    *, uow: CustomersUnitOfWork, cmd: LogInteraction, principal: Principal
) -> Interaction:
    async with uow:
        customer = await _visible(uow, cmd.customer_id, principal, lock=True)
        _ensure_can_work(customer, principal)
        if (
            cmd.contact_id is not None
            and await uow.contacts.get(principal.tenant, customer.id, cmd.contact_id) is None
        ):
            raise InvalidInput(
                "No such contact of this customer.",
                errors=[FieldError("contact_id", "unknown contact")],
            )
        values = {k: v for k, v in vars(cmd).items() if k != "customer_id"}
        interaction = Interaction.log(
            tenant_id=principal.tenant,
            customer_id=customer.id,
            author_id=principal.user_id,
            **values,
        )
        customer.touched_by_interaction(interaction.occurred_at)
        uow.interactions.add(interaction)
        await uow.commit()
    return interaction


async def _interaction(
    uow: CustomersUnitOfWork, customer_id: UUID, interaction_id: UUID, principal: Principal
) -> Interaction:
    customer = await _visible(uow, customer_id, principal)
    _ensure_can_work(customer, principal)
    interaction = await uow.interactions.get(principal.tenant, customer_id, interaction_id)
    if interaction is None:
        raise NotFound(f"No interaction {interaction_id}.")
    return interaction


async def edit_interaction(
    *,
    uow: CustomersUnitOfWork,
    customer_id: UUID,
    interaction_id: UUID,
    expected_version: int | None,
    changes: dict[str, Any],
    principal: Principal,
) -> Interaction:
    async with uow:
        interaction = await _interaction(uow, customer_id, interaction_id, principal)
        check_version(expected_version, interaction.version)
        interaction.edit(changes)
        await uow.commit()
    return interaction


async def close_interaction(
    *, uow: CustomersUnitOfWork, customer_id: UUID, interaction_id: UUID, principal: Principal
) -> Interaction:
    async with uow:
        interaction = await _interaction(uow, customer_id, interaction_id, principal)
        interaction.close(by=principal.user_id, now=_now())
        await uow.commit()
    return interaction


async def delete_interaction(
    *, uow: CustomersUnitOfWork, customer_id: UUID, interaction_id: UUID, principal: Principal
) -> None:
    async with uow:
        interaction = await _interaction(uow, customer_id, interaction_id, principal)
        interaction.delete(now=_now())
        await uow.commit()


# -- contacts ------------------------------------------------------------------------------


async def add_contact(
    *,
    uow: CustomersUnitOfWork,
    customer_id: UUID,
    values: dict[str, Any],
    principal: Principal,
) -> Contact:
    async with uow:
        uow.actor = principal.user_id
        customer = await _visible(uow, customer_id, principal)
        _ensure_can_work(customer, principal)
        contact = Contact.add(tenant_id=principal.tenant, customer_id=customer.id, **values)
        uow.contacts.add(contact)
        await uow.commit()
    return contact


async def change_contact(
    *,
    uow: CustomersUnitOfWork,
    customer_id: UUID,
    contact_id: UUID,
    expected_version: int | None,
    changes: dict[str, Any] | None,
    principal: Principal,
) -> Contact:
    """Update a contact, or delete it when `changes` is None."""
    async with uow:
        uow.actor = principal.user_id
        customer = await _visible(uow, customer_id, principal)
        _ensure_can_work(customer, principal)
        contact = await uow.contacts.get(principal.tenant, customer_id, contact_id)
        if contact is None:
            raise NotFound(f"No contact {contact_id}.")
        check_version(expected_version, contact.version)
        if changes is None:
            contact.delete(now=_now())
        else:
            contact.update(changes, now=_now())
        await uow.commit()
    return contact


async def unsubscribe_contact(
    *,
    uow: CustomersUnitOfWork,
    tenant_id: str,
    customer_id: UUID,
    contact_id: UUID,
    at: datetime,
    by: str,
) -> None:
    """A contact opted out through a campaign: no more marketing mail for them."""
    async with uow:
        uow.actor = by
        contact = await uow.contacts.get(tenant_id, customer_id, contact_id)
        if contact is None or contact.unsubscribed_at is not None:
            return  # unknown here (deleted, or moved by a merge) or already out
        await uow.customers.get_in_tenant(tenant_id, customer_id)  # its branch, for the event
        contact.update({"unsubscribed": True}, now=at)
        await uow.commit()


async def record_survey(
    *,
    uow: CustomersUnitOfWork,
    tenant_id: str,
    customer_id: UUID,
    survey_id: UUID,
    score: int,
    category: str | None,
    answered_at: datetime,
) -> None:
    """A service survey answer moves the customer's satisfaction score (mean, weighted)."""
    async with uow:
        customer = await uow.customers.get_following_merges(tenant_id, customer_id)
        if customer is None:
            return
        policy = await load_policy(uow.session, tenant_id)
        mean = await record_survey_score(
            uow.session,
            tenant_id=tenant_id,
            customer_id=customer.id,
            survey_id=survey_id,
            score=score,
            category=category,
            answered_at=answered_at,
            weighted=policy.weighted_score(score, category),
        )
        customer.rate_satisfaction(mean)
        await uow.commit()


# -- merge -----------------------------------------------------------------------------------


async def merge(*, uow: CustomersUnitOfWork, cmd: MergeCustomers, principal: Principal) -> Customer:
    """Keep one record; move contacts, interactions and ownership history to it."""
    _require(principal, MANAGER_ROLES, "merge customers")
    if cmd.survivor_id == cmd.duplicate_id:
        raise InvalidInput(
            "Choose two different customers.",
            errors=[FieldError("duplicate_id", "same as survivor_id")],
        )
    async with uow:
        # Lock in a fixed order so two merges of the same pair cannot deadlock.
        first, second = sorted((cmd.survivor_id, cmd.duplicate_id))
        locked = {cid: await _visible(uow, cid, principal, lock=True) for cid in (first, second)}
        survivor, duplicate = locked[cmd.survivor_id], locked[cmd.duplicate_id]
        survivor.absorb(duplicate, by=principal.user_id, now=_now())
        uow.actor = principal.user_id
        for contact in await uow.contacts.of_customer(principal.tenant, duplicate.id):
            contact.move_to(survivor.id, now=_now())  # published: other services re-point
        await repoint_children(uow.session, principal.tenant, duplicate.id, survivor.id)
        await uow.commit()
    return survivor


# -- from other services ----------------------------------------------------------------------


async def won_deal(
    *, uow: CustomersUnitOfWork, tenant_id: str, customer_id: UUID, amount: float
) -> bool:
    """Sales won an opportunity: revenue grows; a lead or prospect becomes a customer."""
    async with uow:
        customer = await uow.customers.get_in_tenant(tenant_id, customer_id, for_update=True)
        if customer is None:
            return False  # deleted here, or merged: sales re-points and wins again later
        moved = customer.won_deal(amount, by="system")
        await uow.commit()
    return moved
