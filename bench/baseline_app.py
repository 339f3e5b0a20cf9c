"""The write-path baseline: a minimal FastAPI + SQLAlchemy async + asyncpg app that inserts the
same rows as `POST /customers` and `POST /opportunities`, without outbox, auth, middleware,
policy checks or domain model. Its tables come from the services' own migrations (same
columns, indexes and constraints), so the only difference is the platform around the insert.

    BENCH_CUSTOMERS_DB=postgresql+asyncpg://... BENCH_SALES_DB=postgresql+asyncpg://... \
    uvicorn bench.baseline_app:create_app --factory --port 18081
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from fastapi import FastAPI, Response
from pydantic import BaseModel
from sqlalchemy import ARRAY, Column, Date, DateTime, Integer, MetaData, Numeric, Table, Text, Uuid
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import create_async_engine

metadata = MetaData()
customers = Table(
    "customers",
    metadata,
    Column("id", Uuid),
    Column("tenant_id", Text),
    Column("branch_id", Text),
    Column("name", Text),
    Column("kind", Text),
    Column("lifecycle_stage", Text),
    Column("owner_id", Text),
    Column("created_by", Text),
    Column("category", Text),
    Column("industry", Text),
    Column("phone", Text),
    Column("fax", Text),
    Column("email", Text),
    Column("contact_name", Text),
    Column("postal_code", Text),
    Column("address", Text),
    Column("website", Text),
    Column("tags", ARRAY(Text)),
    Column("custom_fields", JSONB),
    Column("version", Integer),
    Column("created_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True)),
)
opportunities = Table(
    "opportunities",
    metadata,
    Column("id", Uuid),
    Column("tenant_id", Text),
    Column("customer_id", Uuid),
    Column("name", Text),
    Column("amount", Numeric),
    Column("currency", Text),
    Column("expected_close_date", Date),
    Column("probability", Integer),
    Column("stage", Text),
    Column("status", Text),
    Column("owner_id", Text),
    Column("created_by", Text),
    Column("version", Integer),
    Column("created_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True)),
)


class CustomerIn(BaseModel):
    name: str
    kind: str = "company"
    lifecycle_stage: str = "lead"
    branch_id: str | None = None
    owner_id: str | None = None
    category: str | None = None
    industry: str | None = None
    phone: str | None = None
    fax: str | None = None
    email: str | None = None
    contact_name: str | None = None
    postal_code: str | None = None
    address: str | None = None
    website: str | None = None
    tags: list[str] = []
    custom_fields: dict[str, Any] = {}


class OpportunityIn(BaseModel):
    customer_id: uuid.UUID
    name: str
    amount: Decimal
    currency: str
    expected_close_date: date


def create_app() -> FastAPI:
    # The services' pool: database_pool_size 10 plus as many overflow connections.
    engines = {
        "customers": create_async_engine(
            os.environ["BENCH_CUSTOMERS_DB"], pool_size=10, max_overflow=10
        ),
        "sales": create_async_engine(os.environ["BENCH_SALES_DB"], pool_size=10, max_overflow=10),
    }

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        for engine in engines.values():
            await engine.dispose()

    app = FastAPI(lifespan=lifespan)

    @app.post("/customers", status_code=201)
    async def create_customer(body: CustomerIn, response: Response) -> dict[str, Any]:
        now = datetime.now(UTC)
        row = {
            **body.model_dump(),
            "id": uuid.uuid4(),
            "tenant_id": "baseline",
            "branch_id": body.branch_id or "north",
            "created_by": "baseline",
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        async with engines["customers"].begin() as conn:
            await conn.execute(customers.insert(), row)
        response.headers["Location"] = f"/customers/{row['id']}"
        return row

    @app.post("/opportunities", status_code=201)
    async def open_opportunity(body: OpportunityIn, response: Response) -> dict[str, Any]:
        now = datetime.now(UTC)
        row = {
            **body.model_dump(),
            "id": uuid.uuid4(),
            "tenant_id": "baseline",
            "probability": 10,
            "stage": "qualification",
            "status": "open",
            "owner_id": "baseline",
            "created_by": "baseline",
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        async with engines["sales"].begin() as conn:
            await conn.execute(opportunities.insert(), row)
        response.headers["Location"] = f"/opportunities/{row['id']}"
        return row

    return app
