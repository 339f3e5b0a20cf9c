"""The migrations and the models describe the same database; the API documents itself."""

from __future__ import annotations

from crm_reporting.adapters.orm import metadata
from crm_reporting.app import MIGRATIONS
from crm_reporting.domain.entities import AGGREGATES, KINDS
from servicekit.testing.schema_drift import schema_drift


async def test_the_migration_head_matches_the_models(infra):
    url = await infra.migrated_database("reporting", MIGRATIONS)
    assert await schema_drift(url, metadata) == []


def test_every_entity_kind_and_aggregate_has_its_table():
    tables = metadata.tables
    for kind in KINDS.values():
        columns = set(tables[kind.name].c.keys())
        assert columns == {*kind.key, *kind.fields, "versions"}, kind.name
    for aggregate in AGGREGATES.values():
        table = tables[aggregate.name]
        assert [c.name for c in table.primary_key.columns] == list(aggregate.keys)
        assert set(table.c.keys()) == {*aggregate.keys, *aggregate.measures}


async def test_every_route_is_documented_with_examples_for_its_bodies(reporting):
    spec = (await reporting.get("/openapi.json")).json()
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
