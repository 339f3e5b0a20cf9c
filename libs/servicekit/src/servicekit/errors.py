"""RFC 9457 problem+json for every error a service returns; never a bare 500 page."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from servicekit.logging import get_logger

log = get_logger(__name__)

PROBLEM_JSON = "application/problem+json"


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class Problem(Exception):
    """Raise from any layer; the handler renders it. Domain errors subclass these."""

    status = 400
    title = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        errors: Sequence[FieldError] = (),
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors)
        self.headers = headers or {}
        self.extra = extra


class Unauthorized(Problem):
    status, title = 401, "Unauthorized"


class Forbidden(Problem):
    status, title = 403, "Forbidden"


class NotFound(Problem):
    status, title = 404, "Not found"


class Conflict(Problem):
    status, title = 409, "Conflict"


class PreconditionFailed(Problem):
    status, title = 412, "Precondition failed"


class PayloadTooLarge(Problem):
    status, title = 413, "Payload too large"


class InvalidInput(Problem):
    status, title = 422, "Invalid input"


class PreconditionRequired(Problem):
    status, title = 428, "Precondition required"


def problem_response(
    status: int,
    title: str,
    detail: str,
    *,
    instance: str | None = None,
    errors: Sequence[FieldError] = (),
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"https://crm.dev/problems/{title.lower().replace(' ', '-')}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = [{"field": e.field, "message": e.message} for e in errors]
    body.update(extra)
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def _field_path(loc: Sequence[int | str]) -> str:
    # ("body", "contact", 0, "phone") -> "contact[0].phone"; the location kind is implied.
    parts = list(loc[1:]) if loc and loc[0] in ("body", "query", "path", "header") else list(loc)
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or str(loc[0] if loc else "body")


def install_problem_handlers(
    app: FastAPI, domain_errors: Mapping[type[Exception], type[Problem]] | None = None
) -> None:
    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Problem)
        return problem_response(
            exc.status,
            exc.title,
            exc.detail,
            instance=request.url.path,
            errors=exc.errors,
            headers=exc.headers,
            **exc.extra,
        )

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [
            FieldError(_field_path(err.get("loc", ())), err.get("msg", "invalid"))
            for err in exc.errors()
        ]
        fields = ", ".join(dict.fromkeys(e.field for e in errors))
        return problem_response(
            422,
            "Invalid input",
            f"Invalid fields: {fields}",
            instance=request.url.path,
            errors=errors,
        )

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        title = {
            401: "Unauthorized",
            404: "Not found",
            405: "Method not allowed",
            413: "Payload too large",
        }.get(exc.status_code, "Error")
        return problem_response(
            exc.status_code,
            title,
            str(exc.detail),
            instance=request.url.path,
            headers=dict(exc.headers or {}),
        )

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled_error", path=request.url.path)
        return problem_response(
            500,
            "Internal error",
            "The request failed; it has been logged.",
            instance=request.url.path,
        )

    async def on_database_error(request: Request, exc: Exception) -> JSONResponse:
        # The pool does not ping before each use (a round trip per transaction): a
        # connection that died with a database restart fails one request, and the pool
        # then replaces all its connections. Nothing was written: the caller may retry.
        if isinstance(exc, DBAPIError) and exc.connection_invalidated:
            log.warning("database_connection_lost", path=request.url.path)
            return problem_response(
                503,
                "Service unavailable",
                "The database connection was lost; nothing was written. Retry the request.",
                instance=request.url.path,
                headers={"Retry-After": "1"},
            )
        return await on_unexpected(request, exc)

    def domain_handler(problem: type[Problem]) -> Any:
        async def on_domain_error(request: Request, exc: Exception) -> JSONResponse:
            # A domain error may name the input to blame in a `field` attribute.
            field = getattr(exc, "field", None)
            errors = [FieldError(field, str(exc))] if isinstance(field, str) else []
            return await on_problem(request, problem(str(exc), errors=errors))

        return on_domain_error

    # Most specific first: Starlette picks the handler by walking the exception's MRO.
    for error, problem in (domain_errors or {}).items():
        app.add_exception_handler(error, domain_handler(problem))
    # A write that raced past its If-Match check: the UPDATE matched no row of that version.
    app.add_exception_handler(StaleDataError, domain_handler(PreconditionFailed))
    app.add_exception_handler(DBAPIError, on_database_error)
    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)
