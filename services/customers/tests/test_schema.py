"""The migrations and the models describe the same database; the API documents itself."""

from __future__ import annotations

from crm_customers.adapters.orm import Base
from crm_customers.app import MIGRATIONS
from servicekit.testing.schema_drift import schema_drift


async def test_the_migration_head_matches_the_models(infra):
    url = await infra.migrated_database("customers", MIGRATIONS)
    assert await schema_drift(url, Base.metadata) == []


async def test_every_route_is_documented_with_examples_for_its_bodies(customers):
    spec = (await customers.get("/openapi.json")).json()
    undocumented, without_example = [], []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if not operation.get("description") and not operation.get("summary"):
                undocumented.append(f"{method.upper()} {path}")
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                ref = body["schema"].get("$ref", "").rsplit("/", 1)[-1]
                schema = spec["components"]["schemas"].get(ref, {})
                if not schema.get("examples") and not body.get("examples"):
                    without_example.append(f"{method.upper()} {path}")
    assert undocumented == []
    assert without_example == []


async def test_the_asyncapi_document_lists_every_customers_event(customers):
    from crm_contracts import all_specs

    document = (await customers.get("/asyncapi.json")).json()
    wanted = {s.type for s in all_specs() if s.topic == "crm.customers.events"}
    assert wanted <= set(document["components"]["messages"]) | {
        m.get("name") for m in document["components"]["messages"].values()
    }
    assert "crm.customers.customer.merged.v1" in wanted
