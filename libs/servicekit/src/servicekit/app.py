"""create_service_app: the FastAPI application every service is, minus its own routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from servicekit.errors import install_problem_handlers
from servicekit.http import RequestContextMiddleware
from servicekit.idempotency import IdempotencyMiddleware
from servicekit.logging import configure_logging
from servicekit.ratelimit import RateLimitMiddleware
from servicekit.runtime import Runtime, ServiceDefinition
from servicekit.settings import ServiceSettings


def create_service_app(definition: ServiceDefinition, settings: ServiceSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(level=settings.log_level, json=settings.log_json)
        runtime = Runtime(definition, settings)
        app.state.runtime = runtime
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title=definition.title,
        version=definition.version,
        description=definition.description,
        lifespan=lifespan,
    )
    install_problem_handlers(app, definition.domain_errors)
    # Outermost last: request context, then the rate limit, then idempotency, then routes.
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(
        RateLimitMiddleware,
        per_minute=settings.rate_limit_per_minute,
        burst=settings.rate_limit_burst,
    )
    app.add_middleware(
        RequestContextMiddleware,
        service=definition.name,
        max_body_bytes=settings.max_body_bytes,
        upload_paths=tuple(definition.upload_paths),
        max_upload_bytes=settings.max_upload_bytes,
    )
    _add_platform_routes(app)
    if settings.serve_api:
        for router in definition.routers:
            app.include_router(router)
    return app


def _add_platform_routes(app: FastAPI) -> None:
    @app.get("/livez", include_in_schema=False)
    async def livez() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> JSONResponse:
        checks = await (await get_runtime(request)).readiness()
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": checks},
            status_code=200 if ready else 503,
        )

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/asyncapi.json", include_in_schema=False)
    async def asyncapi() -> dict[str, Any]:
        from crm_contracts.asyncapi import build_document

        return build_document()


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_sessions(request: Request) -> async_sessionmaker[AsyncSession]:
    runtime: Runtime = request.app.state.runtime
    return runtime.session_factory


SessionsDep = Annotated[async_sessionmaker[AsyncSession], Depends(get_sessions)]
