"""Read side of the configuration and the product catalogue."""

from __future__ import annotations

from uuid import UUID

from servicekit.auth import Principal
from servicekit.paging import Page, PageParams
from sqlalchemy import or_
from sqlalchemy.ext.asyncio import AsyncSession

from crm_sales.adapters.orm import ProductRow
from crm_sales.adapters.repository import ConfigurationRepository
from crm_sales.entrypoints.api.schemas.catalog import ConfigurationRead, ProductRead
from crm_sales.views.common import one, page, tenant_records, where


async def configuration(session: AsyncSession, principal: Principal) -> ConfigurationRead:
    config = await ConfigurationRepository(session).get(principal.tenant)
    return ConfigurationRead.model_validate(config.snapshot())


async def product(
    session: AsyncSession, principal: Principal, product_id: UUID, schema: type[ProductRead]
) -> ProductRead:
    query = tenant_records(ProductRow, principal)
    return await one(session, query, ProductRow, product_id, schema, "product")


async def products(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    schema: type[ProductRead],
    *,
    active: bool | None,
    currency: str | None,
    q: str | None,
) -> Page[ProductRead]:
    query = where(
        tenant_records(ProductRow, principal),
        {ProductRow.active: active, ProductRow.currency: currency},
    )
    if q:
        pattern = f"%{q}%"
        query = query.where(or_(ProductRow.name.ilike(pattern), ProductRow.sku.ilike(pattern)))
    return await page(
        session,
        query,
        params,
        schema,
        sortable={
            "sku": ProductRow.sku,
            "name": ProductRow.name,
            "list_price": ProductRow.list_price,
            "created_at": ProductRow.created_at,
        },
        default=[ProductRow.name],
        tiebreak=ProductRow.id,
    )
