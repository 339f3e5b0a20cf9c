"""Dependencies of the report routes: session, reader, filters, grouping, CSV."""

import csv
import io
from collections.abc import AsyncIterator
from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel
from servicekit.app import RuntimeDep, SessionsDep
from servicekit.auth import Principal, Role, require_roles
from servicekit.errors import FieldError, Forbidden, InvalidInput
from sqlalchemy.ext.asyncio import AsyncSession

from crm_reporting.views import Filters


async def get_session(sessions: SessionsDep) -> AsyncIterator[AsyncSession]:
    """A read-only session for views."""
    async with sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]

# Everybody who works for the company reads reports (each within their scope); a customer's
# portal contact does not.
ReaderDep = Annotated[
    Principal,
    require_roles(*(r for r in Role if r is not Role.PORTAL)),
]
ManagerDep = Annotated[Principal, require_roles(Role.ADMIN, Role.EXECUTIVE, Role.BRANCH_MANAGER)]
AdminDep = Annotated[Principal, require_roles(Role.ADMIN, Role.EXECUTIVE)]
AnyAdminDep = Annotated[Principal, require_roles(Role.ADMIN)]


async def get_operator(principal: AnyAdminDep, runtime: RuntimeDep) -> Principal:
    """An administrator allowed platform operations (see ReportingSettings.operator_tenant)."""
    operator_tenant = getattr(runtime.settings, "operator_tenant", None)
    if operator_tenant is not None and principal.tenant != operator_tenant:
        raise Forbidden(
            "Rebuilds replay every company's events: only the platform operator's "
            "administrators start or follow them."
        )
    return principal


OperatorDep = Annotated[Principal, Depends(get_operator)]

# Years 1000-9999 (a date has no year 0: fuzzing found `0000-01` answered 500).
MONTH = r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])$"


def _month(value: str | None) -> date | None:
    if value is None:
        return None
    year, month = value.split("-")
    return date(int(year), int(month), 1)


async def report_filters(
    branch: Annotated[str | None, Query(max_length=64, description="Only this branch.")] = None,
    owner: Annotated[
        str | None, Query(max_length=128, description="Only this owner (rep, agent).")
    ] = None,
    start: Annotated[
        str | None,
        Query(alias="from", pattern=MONTH, description="First month of the period (YYYY-MM)."),
    ] = None,
    end: Annotated[
        str | None,
        Query(alias="to", pattern=MONTH, description="Last month of the period (YYYY-MM)."),
    ] = None,
) -> Filters:
    filters = Filters(branch=branch, owner=owner, start=_month(start), end=_month(end))
    if filters.start and filters.end and filters.start > filters.end:
        raise InvalidInput(
            "The period ends before it starts.", errors=[FieldError("to", "before `from`")]
        )
    return filters


FiltersDep = Annotated[Filters, Depends(report_filters)]


def grouping(allowed: tuple[str, ...], default: str) -> Any:
    """A `group_by` query parameter: a comma-separated subset of `allowed`."""
    names = {"branch": "branch_id", "owner": "owner_id"}

    async def parse(
        group_by: Annotated[
            str,
            Query(
                max_length=100,
                description=f"Comma-separated, among: {', '.join(allowed)}.",
            ),
        ] = default,
    ) -> list[str]:
        wanted = [g.strip() for g in group_by.split(",") if g.strip()]
        unknown = [g for g in wanted if g not in allowed]
        if unknown:
            raise InvalidInput(
                f"Cannot group by {', '.join(unknown)}; use: {', '.join(allowed)}.",
                errors=[FieldError("group_by", f"unknown: {', '.join(unknown)}")],
            )
        return [names.get(g, g) for g in dict.fromkeys(wanted)]

    return Depends(parse)


def wants_csv(request: Request) -> bool:
    """`Accept: text/csv` (before any JSON type, when both are listed)."""
    accept = request.headers.get("accept", "").lower()
    if "text/csv" not in accept:
        return False
    json_at = accept.find("json")
    return json_at < 0 or accept.find("text/csv") < json_at


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def csv_response(rows: list[BaseModel], row_type: type[BaseModel], filename: str) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    fields = list(row_type.model_fields)
    writer.writerow(fields)
    for row in rows:
        writer.writerow([_cell(getattr(row, f)) for f in fields])
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
    )


def render(request: Request, report: Any, filename: str) -> Any:
    """The report as JSON, or its `items` as CSV when the client asks for CSV."""
    if not wants_csv(request):
        return report
    row_type: type[BaseModel] = type(report).model_fields["items"].annotation.__args__[0]
    return csv_response(list(report.items), row_type, filename)


CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}}
}
