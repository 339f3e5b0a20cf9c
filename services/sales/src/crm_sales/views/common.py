"""Building blocks of the read side: scoped selects, one record, one page."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar, cast
from uuid import UUID

from pydantic import BaseModel
from servicekit.auth import Principal
from servicekit.errors import NotFound
from servicekit.paging import Page, PageParams, fetch_page, order_by
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm_sales.adapters.orm import AggregateRow, CustomerRecordRow
from crm_sales.adapters.scoping import visible_records, with_customer

S = TypeVar("S", bound=BaseModel)
# A mapped attribute (`Row.name`) or any column expression; mypy types the first as
# InstrumentedAttribute, which servicekit.paging's ColumnElement hints do not accept.
Column = Any


def records(row: type[CustomerRecordRow], principal: Principal) -> Select[Any]:
    """A customer's records the principal may see."""
    return with_customer(select(row), row).where(visible_records(principal, row))


def tenant_records(row: type[AggregateRow], principal: Principal) -> Select[Any]:
    """Company-wide records (products, campaigns): everyone in the tenant sees them."""
    return select(row).where(row.tenant_id == principal.tenant)


async def one(
    session: AsyncSession,
    query: Select[Any],
    row: type[AggregateRow],
    record_id: UUID,
    schema: type[S],
    what: str,
) -> S:
    found = await session.scalar(query.where(row.id == record_id))
    if found is None:
        raise NotFound(f"No {what} {record_id}.")
    return schema.model_validate(found)


def where(query: Select[Any], filters: Mapping[Column, Any]) -> Select[Any]:
    """Equality filters for the query parameters that were given."""
    clauses: Sequence[ColumnElement[bool]] = [
        column == value for column, value in filters.items() if value is not None
    ]
    return query.where(*clauses)


async def page(
    session: AsyncSession,
    query: Select[*tuple[Any, ...]],
    params: PageParams,
    schema: type[S],
    *,
    sortable: Mapping[str, Column],
    default: Sequence[Column],
    tiebreak: Column,
    scalars: bool = True,
) -> Page[S]:
    """One page of `query` as `schema`; `scalars=False` for queries of several columns."""
    order = order_by(params.sort, sortable, default=list(default), tiebreak=tiebreak)
    if scalars:
        rows, total = await fetch_page(session, query, params, order)
    else:
        total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
        result = await session.execute(
            query.order_by(*order).limit(params.limit).offset(params.offset)
        )
        rows = list(result.all())
    # The concrete Page[schema] class: a response model chosen per reader must match it.
    model = cast("type[Page[S]]", Page.__class_getitem__(schema))
    return model(
        items=[schema.model_validate(row) for row in rows],
        total=total,
        limit=params.limit,
        offset=params.offset,
    )
