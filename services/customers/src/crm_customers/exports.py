"""Read side of CSV export: what the reader may see, streamed from a server-side cursor.

The customers file has the columns of the import (so an export imports back), and the
contacts file one row per contact of a visible customer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, TypeAlias

from servicekit.auth import Principal
from servicekit.paging import order_by
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_customers.adapters import csv_codec
from crm_customers.adapters.orm import ContactRow, CustomerRow
from crm_customers.adapters.repository import load_policy, visible
from crm_customers.views import SORTABLE, CustomerFilter, customers_query

CHUNK = 1_000  # rows fetched and written per step: memory stays flat however many match

CONTACT_COLUMNS = (
    "customer_id",
    "customer_name",
    "name",
    "title",
    "phone",
    "email",
    "is_primary",
    "unsubscribed",
)

Cells = Callable[[dict[str, Any]], list[str]]
Rows: TypeAlias = Select[*tuple[Any, ...]]


def customers_export(
    principal: Principal, where: CustomerFilter, sort: str | None, columns: Sequence[str]
) -> Rows:
    """The rows GET /customers would list, every page at once; 422 for a bad sort."""
    order = order_by(
        sort,
        SORTABLE,  # type: ignore[arg-type]  # ORM attributes are column expressions
        default=[CustomerRow.created_at.asc()],
        tiebreak=CustomerRow.id,  # type: ignore[arg-type]
    )
    wanted = [getattr(CustomerRow, c) for c in columns] + [CustomerRow.custom_fields]
    return customers_query(principal, where).with_only_columns(*wanted).order_by(*order)


def contacts_export(principal: Principal, where: CustomerFilter) -> Rows:
    """Contacts of the customers the reader may see (and that match `where`)."""
    return (
        select(
            ContactRow.customer_id,
            CustomerRow.name.label("customer_name"),
            ContactRow.name,
            ContactRow.title,
            ContactRow.phone,
            ContactRow.email,
            ContactRow.is_primary,
            ContactRow.unsubscribed_at.is_not(None).label("unsubscribed"),
        )
        .join(CustomerRow, CustomerRow.id == ContactRow.customer_id)
        .where(
            visible(principal),
            CustomerRow.deleted_at.is_(None),
            ContactRow.tenant_id == principal.tenant,
            ContactRow.deleted_at.is_(None),
            *where.clauses(),
        )
        .order_by(
            CustomerRow.name,
            CustomerRow.id,
            ContactRow.is_primary.desc(),
            ContactRow.name,
            ContactRow.id,
        )
    )


async def custom_keys(session: AsyncSession, tenant: str) -> list[str]:
    """The company's custom fields, one `cf.<key>` column each."""
    return sorted((await load_policy(session, tenant)).custom_fields)


async def stream_csv(
    sessions: async_sessionmaker[AsyncSession], query: Rows, header: bytes, cells: Cells
) -> AsyncIterator[bytes]:
    """The header, then the query's rows in chunks; the session lives as long as the stream."""
    yield header
    async with sessions() as session:
        result = await session.stream(query.execution_options(yield_per=CHUNK))
        async for rows in result.mappings().partitions(CHUNK):
            yield csv_codec.encode_rows(cells(dict(row)) for row in rows).encode()
