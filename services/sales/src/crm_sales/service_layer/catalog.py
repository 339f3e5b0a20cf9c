"""Company-wide sales setup: the pipeline and timezone, and the product catalogue."""

from __future__ import annotations

from servicekit.auth import Principal, Role
from servicekit.concurrency import check_version
from servicekit.errors import Conflict, FieldError, PreconditionFailed
from sqlalchemy.exc import IntegrityError

from crm_sales.domain.commands import AddProduct, Configure, Edit
from crm_sales.domain.pipeline import Pipeline, SalesConfiguration
from crm_sales.domain.products import Product
from crm_sales.service_layer.access import CATALOGUE_KEEPERS, change_record, require
from crm_sales.service_layer.unit_of_work import SalesUnitOfWork


async def configure(
    *, uow: SalesUnitOfWork, cmd: Configure, principal: Principal
) -> SalesConfiguration:
    """Replace the pipeline and settings; a stage with open opportunities cannot go."""
    require(principal, frozenset({Role.ADMIN}), "configure sales")
    pipeline = Pipeline(cmd.stages)
    async with uow:
        config = await uow.configuration.get(principal.tenant)
        check_version(cmd.expected_version, config.version)
        kept = {stage.key for stage in pipeline.open_stages}
        if orphaned := await uow.opportunities.open_stages_in_use(principal.tenant) - kept:
            raise Conflict(
                "Open opportunities are in stages this pipeline drops: "
                f"{', '.join(sorted(orphaned))}. Move them first.",
                errors=[FieldError("stages", f"{key} is in use") for key in sorted(orphaned)],
            )
        config.reconfigure(
            pipeline=pipeline,
            timezone=cmd.timezone,
            expiring_days_ahead=cmd.expiring_days_ahead,
            by=principal.user_id,
        )
        try:
            await uow.commit()
        except IntegrityError as exc:  # two first configurations raced on the tenant's row
            raise PreconditionFailed(
                "The configuration changed meanwhile; read it again.", current_version=1
            ) from exc
    return config


async def add_product(*, uow: SalesUnitOfWork, cmd: AddProduct, principal: Principal) -> Product:
    """Add a product; a taken SKU is a 409."""
    require(principal, CATALOGUE_KEEPERS, "change the product catalogue")
    async with uow:
        product = Product.add(
            tenant_id=principal.tenant,
            sku=cmd.sku,
            name=cmd.name,
            list_price=cmd.list_price,
            unit_cost=cmd.unit_cost,
            currency=cmd.currency,
            created_by=principal.user_id,
        )
        uow.products.add(product)
        try:
            await uow.commit()
        except IntegrityError as exc:  # the unique (tenant, sku) index, also under a race
            raise Conflict(
                f"SKU {cmd.sku} is taken.", errors=[FieldError("sku", "already in use")]
            ) from exc
    return product


async def update_product(*, uow: SalesUnitOfWork, cmd: Edit, principal: Principal) -> Product:
    """Change a product; publishes product.updated with old and new values."""
    require(principal, CATALOGUE_KEEPERS, "change the product catalogue")
    return await change_record(
        uow,
        lambda u: u.products,
        cmd,
        principal,
        lambda p: p.update(cmd.changes, by=principal.user_id),
    )
