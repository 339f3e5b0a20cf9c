"""Read side of quotes and orders."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from servicekit.auth import Principal
from servicekit.paging import Page, PageParams
from sqlalchemy.ext.asyncio import AsyncSession

from crm_sales.adapters.orm import OrderRow, PricedDocumentRow, QuoteRow
from crm_sales.entrypoints.api.schemas.documents import DocumentRead
from crm_sales.views.common import one, page, records, where


async def document(
    session: AsyncSession,
    principal: Principal,
    row: type[QuoteRow] | type[OrderRow],
    record_id: UUID,
    schema: type[DocumentRead],
) -> DocumentRead:
    return await one(
        session, records(row, principal), row, record_id, schema, row.__tablename__[:-1]
    )


async def documents(
    session: AsyncSession,
    principal: Principal,
    row: type[QuoteRow] | type[OrderRow],
    params: PageParams,
    schema: type[DocumentRead],
    filters: dict[Any, Any],
) -> Page[DocumentRead]:
    doc: type[PricedDocumentRow] = row
    return await page(
        session,
        where(records(row, principal), filters),
        params,
        schema,
        sortable={
            "created_at": doc.created_at,
            "updated_at": doc.updated_at,
            "total": doc.total,
            "status": row.status,
        },
        default=[doc.created_at.desc()],
        tiebreak=doc.id,
    )
