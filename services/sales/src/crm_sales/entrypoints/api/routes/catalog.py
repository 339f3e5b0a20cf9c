"""Routes of the sales configuration and the product catalogue."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response, status
from servicekit.auth import PrincipalDep
from servicekit.concurrency import IfMatch
from servicekit.paging import Page

from crm_sales.domain.commands import AddProduct, Configure, Edit
from crm_sales.domain.pipeline import Stage
from crm_sales.entrypoints.api.deps import STAFF, PageDep, SessionDep, UoWDep
from crm_sales.entrypoints.api.routes.common import answer, cost_view, tagged
from crm_sales.entrypoints.api.schemas.catalog import (
    ConfigurationRead,
    ConfigurationUpdate,
    ProductCostRead,
    ProductCreate,
    ProductRead,
    ProductUpdate,
)
from crm_sales.service_layer import catalog
from crm_sales.views import catalog as catalog_views

configuration_router = APIRouter(
    prefix="/configuration", tags=["configuration"], dependencies=[STAFF]
)
products_router = APIRouter(prefix="/products", tags=["products"], dependencies=[STAFF])


@configuration_router.get("", response_model=ConfigurationRead)
async def get_configuration(
    principal: PrincipalDep, session: SessionDep, response: Response
) -> ConfigurationRead:
    """Your company's pipeline stages with their default probabilities, timezone and
    expiry notice (the defaults until an administrator changes them: ETag "0")."""
    return tagged(response, await catalog_views.configuration(session, principal))


@configuration_router.put("", response_model=ConfigurationRead)
async def put_configuration(
    body: ConfigurationUpdate,
    expected_version: IfMatch,
    principal: PrincipalDep,
    uow: UoWDep,
    response: Response,
) -> ConfigurationRead:
    """Administrators only. A stage that still holds open opportunities cannot be dropped."""
    config = await catalog.configure(
        uow=uow,
        cmd=Configure(
            stages=tuple(Stage(s.key, s.name, s.probability, s.outcome) for s in body.stages),
            timezone=body.timezone,
            expiring_days_ahead=body.expiring_days_ahead,
            expected_version=expected_version,
        ),
        principal=principal,
    )
    return answer(response, config, ConfigurationRead)


@products_router.post(
    "", status_code=status.HTTP_201_CREATED, response_model=ProductCostRead | ProductRead
)
async def add_product(
    body: ProductCreate, principal: PrincipalDep, uow: UoWDep, response: Response
) -> ProductRead:
    """Add a product (administrators and executives)."""
    product = await catalog.add_product(
        uow=uow, cmd=AddProduct(**body.model_dump()), principal=principal
    )
    schema = cost_view(principal, ProductRead, ProductCostRead)
    return answer(response, product, schema, location=f"/products/{product.id}")


@products_router.get("", response_model=Page[ProductCostRead] | Page[ProductRead])
async def list_products(
    principal: PrincipalDep,
    session: SessionDep,
    paging: PageDep,
    active: bool | None = None,
    currency: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None,
    q: Annotated[str | None, Query(max_length=100, description="In name or SKU.")] = None,
) -> Page[ProductRead]:
    """The catalogue; unit cost only for managers and up. Sort by sku, name, list_price,
    created_at."""
    schema = cost_view(principal, ProductRead, ProductCostRead)
    return await catalog_views.products(
        session, principal, paging, schema, active=active, currency=currency, q=q
    )


@products_router.get("/{product_id}", response_model=ProductCostRead | ProductRead)
async def get_product(
    product_id: UUID, principal: PrincipalDep, session: SessionDep, response: Response
) -> ProductRead:
    schema = cost_view(principal, ProductRead, ProductCostRead)
    return tagged(response, await catalog_views.product(session, principal, product_id, schema))


@products_router.patch("/{product_id}", response_model=ProductCostRead | ProductRead)
async def update_product(
    product_id: UUID,
    body: ProductUpdate,
    expected_version: IfMatch,
    principal: PrincipalDep,
    uow: UoWDep,
    response: Response,
) -> ProductRead:
    product = await catalog.update_product(
        uow=uow,
        cmd=Edit(id=product_id, expected_version=expected_version, changes=body.changes()),
        principal=principal,
    )
    return answer(response, product, cost_view(principal, ProductRead, ProductCostRead))
