"""CSV export of customers and contacts, with the filters and scope of GET /customers.

Include this router before the customers router: `/customers/{customer_id}` would otherwise
take `/customers/export.csv`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from servicekit.app import SessionsDep
from servicekit.auth import PrincipalDep

from crm_customers import exports
from crm_customers.adapters import csv_codec
from crm_customers.entrypoints.api.deps import STAFF, SessionDep
from crm_customers.entrypoints.api.filters import FilterDep
from crm_customers.entrypoints.api.imports import COLUMNS

router = APIRouter(tags=["import and export"], dependencies=[STAFF])
CSV = "text/csv; charset=utf-8"


def _download(body: Any, filename: str) -> StreamingResponse:
    return StreamingResponse(
        body, media_type=CSV, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


@router.get("/customers/export.csv", response_class=StreamingResponse)
async def export_customers(
    principal: PrincipalDep,
    session: SessionDep,
    sessions: SessionsDep,
    where: FilterDep,
    sort: Annotated[str | None, Query(max_length=200)] = None,
) -> StreamingResponse:
    """The customers GET /customers would list (all pages), as CSV in the import format:
    the file imports back. Cells a spreadsheet would run as a formula start with `'`."""
    query = exports.customers_export(principal, where, sort, COLUMNS)
    keys = await exports.custom_keys(session, principal.tenant)

    def cells(row: dict[str, Any]) -> list[str]:
        return csv_codec.customer_cells(row, COLUMNS, keys)

    header = csv_codec.header_line(COLUMNS, keys)
    return _download(exports.stream_csv(sessions, query, header, cells), "customers.csv")


@router.get("/contacts/export.csv", response_class=StreamingResponse)
async def export_contacts(
    principal: PrincipalDep, sessions: SessionsDep, where: FilterDep
) -> StreamingResponse:
    """Contacts of the customers you may see (the customer filters apply), as CSV."""
    query = exports.contacts_export(principal, where)
    columns = exports.CONTACT_COLUMNS

    def cells(row: dict[str, Any]) -> list[str]:
        return [csv_codec.cell(row[c]) for c in columns]

    header = csv_codec.header_line(columns, [])
    return _download(exports.stream_csv(sessions, query, header, cells), "contacts.csv")
