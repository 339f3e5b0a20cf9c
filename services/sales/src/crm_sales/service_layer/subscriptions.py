"""Contract use cases: start one, renew it into the next period."""

from __future__ import annotations

from servicekit.auth import Principal
from servicekit.concurrency import check_version

from crm_sales.domain.commands import RenewContract, StartContract
from crm_sales.domain.subscriptions import Contract
from crm_sales.service_layer.access import SELLERS, customer_to_sell_to, found, require
from crm_sales.service_layer.unit_of_work import SalesUnitOfWork


async def start_contract(
    *, uow: SalesUnitOfWork, cmd: StartContract, principal: Principal
) -> Contract:
    """Start a contract for a customer the caller sells to."""
    async with uow:
        customer = await customer_to_sell_to(uow, principal, cmd.customer_id)
        contract = Contract.start(
            tenant_id=principal.tenant,
            customer_id=customer.customer_id,
            branch_id=customer.branch_id,
            name=cmd.name,
            start_date=cmd.start_date,
            end_date=cmd.end_date,
            created_by=principal.user_id,
            amount=cmd.amount,
            currency=cmd.currency,
        )
        uow.contracts.add(contract)
        await uow.commit()
    return contract


async def renew_contract(
    *, uow: SalesUnitOfWork, cmd: RenewContract, principal: Principal
) -> tuple[Contract, Contract]:
    """Renew a running contract; returns it and the next period."""
    require(principal, SELLERS, "renew contracts")
    async with uow:
        contract = await found(uow.contracts.get(cmd.id, visible_to=principal), "contract", cmd.id)
        check_version(cmd.expected_version, contract.version)
        following = contract.renew(by=principal.user_id, end_date=cmd.end_date)
        uow.contracts.add(following)
        await uow.commit()
    return contract, following
