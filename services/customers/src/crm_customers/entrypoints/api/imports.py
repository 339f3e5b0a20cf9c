"""CSV import of customers, and the progress of large imports."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from servicekit.app import RuntimeDep, SessionsDep
from servicekit.auth import PrincipalDep
from servicekit.errors import FieldError, Problem

from crm_customers.adapters.csv_codec import decode, read_table
from crm_customers.domain.commands import CreateCustomer
from crm_customers.entrypoints.api.deps import STAFF
from crm_customers.entrypoints.api.schemas import CustomerCreate
from crm_customers.service_layer import imports
from crm_customers.service_layer.imports import BackgroundImports, ImportReport

router = APIRouter(prefix="/imports", tags=["import and export"], dependencies=[STAFF])

HEAD = ("name", "kind", "lifecycle_stage", "branch_id", "owner_id")
# The CSV columns are the fields of a create request; custom fields come as `cf.<key>`.
COLUMNS = (*HEAD, *(f for f in CustomerCreate.model_fields if f not in (*HEAD, "custom_fields")))
# Stands in for a name that failed validation, so the policy can still check the rest.
_NO_NAME = "?"


class UnsupportedMediaType(Problem):
    status, title = 415, "Unsupported media type"


class FieldErrorRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    field: str = Field(
        description="The CSV column, e.g. `email` or `cf.region`; `row` for the whole record."
    )
    message: str


class RowErrorRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    row: int = Field(
        description="1-based data row: the header is not counted, so row 1 is line 2 "
        "of the file (blank lines keep their number)."
    )
    errors: list[FieldErrorRead]


class ImportRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID | None = Field(description="The background job; null when imported at once.")
    status: Literal["queued", "running", "done", "failed"]
    total_rows: int
    processed_rows: int
    imported: int
    failed: int = Field(description="Rows refused; none of them was written.")
    errors: list[RowErrorRead] = Field(description=f"At most {imports.MAX_ERRORS} rows.")
    errors_truncated: bool = Field(description="More rows failed than `errors` lists.")
    detail: str | None = Field(description="Why a failed job stopped.")
    created_by: str | None
    created_at: datetime | None
    finished_at: datetime | None


def parse_row(values: dict[str, Any]) -> tuple[CreateCustomer | None, list[FieldError]]:
    """The same schema as POST /customers. With errors, the command holds the valid fields."""
    try:
        return _command(CustomerCreate.model_validate(values)), []
    except ValidationError as exc:
        problems = exc.errors()
    errors = [FieldError(_column(p["loc"]), p["msg"]) for p in problems]
    bad = {p["loc"][0] for p in problems if p["loc"]}
    valid = {k: v for k, v in values.items() if k not in bad}
    valid.setdefault("name", _NO_NAME)
    try:
        return _command(CustomerCreate.model_validate(valid)), errors
    except ValidationError:
        return None, errors


def _command(body: CustomerCreate) -> CreateCustomer:
    return CreateCustomer(
        **body.model_dump(include=set(HEAD)), info=body.model_dump(exclude=set(HEAD), mode="json")
    )


def _column(loc: tuple[int | str, ...]) -> str:
    if len(loc) > 1 and loc[0] == "custom_fields":
        return f"cf.{loc[1]}"
    return str(loc[0]) if loc else "row"


async def background_imports(request: Request, runtime: RuntimeDep) -> BackgroundImports:
    """This app's background imports, made on first use (the runtime exists by then)."""
    state = request.app.state
    if getattr(state, "customer_imports", None) is None:
        state.customer_imports = BackgroundImports(
            runtime.session_factory, runtime.settings.sync_database_url
        )
    jobs: BackgroundImports = state.customer_imports
    return jobs


JobsDep = Annotated[BackgroundImports, Depends(background_imports)]
CSV_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {
                "schema": {"type": "string"},
                "example": "name,kind,branch_id,phone,tags,cf.region\r\n"
                "Acme Trading,company,north,+86 571 8888 6666,vip;wholesale,east\r\n",
            }
        },
    }
}


@router.post(
    "/customers",
    response_model=ImportRead,
    openapi_extra=CSV_BODY,
    responses={202: {"model": ImportRead, "description": "Started in the background."}},
)
async def import_customers(
    request: Request,
    principal: PrincipalDep,
    sessions: SessionsDep,
    jobs: JobsDep,
    response: Response,
) -> ImportRead:
    """Import customers from a UTF-8 CSV file (`Content-Type: text/csv`; a byte-order mark is
    fine). The header names the columns: the fields of POST /customers, `tags` separated by
    `;`, and `cf.<key>` per custom field. Every row is checked like a single create; bad
    rows are reported by row number and not written. Up to 2,000 rows answer 200 with the
    report (all good rows written in one transaction); more answer 202 with
    `Location: /imports/{id}` to follow the progress, or 503 while this instance runs too
    many imports. Administrators, executives and branch managers may import."""
    imports.authorize(principal)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "text/csv":
        raise UnsupportedMediaType("Send the file with `Content-Type: text/csv`.")
    body = await request.body()
    table = await asyncio.to_thread(lambda: read_table(decode(body), COLUMNS))
    policy = await imports.load_import_policy(sessions, principal, table)
    if table.total_rows <= imports.SYNC_LIMIT:
        report = await imports.import_now(
            sessions=sessions, principal=principal, table=table, parse=parse_row, policy=policy
        )
        return ImportRead.model_validate(report)
    job_id = await jobs.start(principal=principal, table=table, parse=parse_row, policy=policy)
    response.status_code = status.HTTP_202_ACCEPTED
    response.headers["Location"] = f"/imports/{job_id}"
    return ImportRead.model_validate(
        ImportReport(id=job_id, status="queued", total_rows=table.total_rows)
    )


@router.get("/{job_id}", response_model=ImportRead)
async def get_import(job_id: UUID, principal: PrincipalDep, sessions: SessionsDep) -> ImportRead:
    """Progress and row errors of a background import of your company (else 404). A job
    whose process stopped is reported failed."""
    report = await imports.import_status(sessions=sessions, principal=principal, job_id=job_id)
    return ImportRead.model_validate(report)
