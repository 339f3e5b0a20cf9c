"""Paged, sortable lists: `?limit=&offset=&sort=-created_at,name`, with a hard maximum."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from servicekit.errors import FieldError, InvalidInput

MAX_LIMIT = 200

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class PageParams:
    limit: int
    offset: int
    sort: str | None


async def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size.")] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    sort: Annotated[
        str | None,
        Query(max_length=200, description="Comma-separated fields; `-` sorts descending."),
    ] = None,
) -> PageParams:
    return PageParams(limit=limit, offset=offset, sort=sort)


Column = ColumnElement[Any] | QueryableAttribute[Any]


def order_by(
    sort: str | None,
    allowed: Mapping[str, Column],
    *,
    default: Sequence[Column],
    tiebreak: Column,
) -> list[Column]:
    """Translate `sort` into ORDER BY clauses over `allowed` fields; 422 names a bad field."""
    if not sort:
        return [*default, tiebreak]
    clauses: list[Column] = []
    for raw in sort.split(","):
        name = raw.strip()
        descending = name.startswith("-")
        name = name.lstrip("-+")
        if name not in allowed:
            raise InvalidInput(
                f"Cannot sort by {name!r}; use one of: {', '.join(sorted(allowed))}.",
                errors=[FieldError("sort", f"unknown field {name!r}")],
            )
        column = allowed[name]
        clauses.append(column.desc() if descending else column.asc())
    return [*clauses, tiebreak]


async def fetch_page(
    session: AsyncSession,
    query: Select[Any],
    params: PageParams,
    order: Sequence[Column],
    *,
    scalars: bool = True,
) -> tuple[list[Any], int]:
    """One page and the total matching the query's filters; whole rows when `scalars=False`
    (queries selecting several columns)."""
    total = await session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    page = query.order_by(*order).limit(params.limit).offset(params.offset)
    rows = await session.scalars(page) if scalars else await session.execute(page)
    return list(rows), int(total or 0)
