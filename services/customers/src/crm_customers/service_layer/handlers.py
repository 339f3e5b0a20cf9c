"""Customers use cases: one handler per command, one unit of work each."""

from __future__ import annotations

from servicekit.auth import Principal, Role, Scope
from servicekit.concurrency import check_version
from servicekit.errors import FieldError, Forbidden, InvalidInput, NotFound

from crm_customers.domain.commands import CreateCustomer, UpdateCustomer
from crm_customers.domain.model import Customer
from crm_customers.service_layer.unit_of_work import CustomersUnitOfWork

CAN_CREATE = frozenset({Role.ADMIN, Role.EXECUTIVE, Role.BRANCH_MANAGER, Role.SALES_REP})


def _placement(cmd: CreateCustomer, principal: Principal) -> tuple[str, str | None]:
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


async def create_customer(
    *, uow: CustomersUnitOfWork, cmd: CreateCustomer, principal: Principal
) -> Customer:
    """Create a customer owned as the caller's role allows; publishes customer.created."""
    if not principal.has_any(CAN_CREATE):
        raise Forbidden("Your role cannot create customers.")
    branch, owner = _placement(cmd, principal)
    async with uow:
        customer = Customer.create(
            tenant_id=principal.tenant,
            branch_id=branch,
            owner_id=owner,
            created_by=principal.user_id,
            name=cmd.name,
            kind=cmd.kind,
            lifecycle_stage=cmd.lifecycle_stage,
            category=cmd.category,
            industry=cmd.industry,
            phone=cmd.phone,
            email=cmd.email,
        )
        uow.customers.add(customer)
        await uow.commit()
    return customer


async def update_customer(
    *, uow: CustomersUnitOfWork, cmd: UpdateCustomer, principal: Principal
) -> Customer:
    """Apply basic-info changes if the caller saw the current version; publishes updated."""
    async with uow:
        customer = await uow.customers.get(cmd.customer_id, visible_to=principal)
        if customer is None:
            raise NotFound(f"No customer {cmd.customer_id}.")
        check_version(cmd.expected_version, customer.version)
        customer.update(cmd.changes, by=principal.user_id)
        await uow.commit()
    return customer
