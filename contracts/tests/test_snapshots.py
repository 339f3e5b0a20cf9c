"""Every published event schema is held against its last released snapshot."""

import json
from pathlib import Path

import pytest
from crm_contracts import EventSpec, all_specs
from crm_contracts.compat import check_snapshots, snapshot_problems
from crm_contracts.schemas import DIALECT, SNAPSHOT_DIR, dumps, event_json_schema, export_all

CUSTOMER_CREATED = "crm.customers.customer.created.v1"


@pytest.mark.parametrize("spec", all_specs(), ids=lambda s: s.type)
def test_current_schema_is_compatible_with_its_released_snapshot(spec: EventSpec) -> None:
    problems = snapshot_problems(spec.type, SNAPSHOT_DIR)

    assert not problems, (
        "\n".join(problems) + "\nA breaking change needs a new vN event type; a compatible one "
        "needs `python -m crm_contracts snapshot` to record it."
    )


def test_every_released_snapshot_is_still_a_registered_type() -> None:
    registered = {spec.type for spec in all_specs()}
    released = {path.stem for path in SNAPSHOT_DIR.glob("*.json")}

    assert released - registered == set(), "a released event type was removed"


def test_a_missing_snapshot_is_reported_with_the_type(tmp_path: Path) -> None:
    assert snapshot_problems(CUSTOMER_CREATED, tmp_path) == [
        f"{CUSTOMER_CREATED}: no released snapshot {CUSTOMER_CREATED}.json; "
        "run `python -m crm_contracts snapshot`"
    ]


def test_a_breaking_change_against_the_snapshot_is_reported_with_the_type(
    tmp_path: Path,
) -> None:
    export_all(tmp_path)
    released = event_json_schema(CUSTOMER_CREATED)
    released["properties"]["data"]["properties"]["vat_id"] = {"type": "string"}
    (tmp_path / f"{CUSTOMER_CREATED}.json").write_text(dumps(released))

    assert check_snapshots(tmp_path) == [f"{CUSTOMER_CREATED}: data.properties.vat_id: removed"]


def test_a_released_type_that_is_no_longer_registered_is_reported(tmp_path: Path) -> None:
    export_all(tmp_path)
    (tmp_path / "crm.customers.customer.archived.v1.json").write_text("{}\n")

    assert check_snapshots(tmp_path) == [
        "crm.customers.customer.archived.v1: released but no longer registered (removed type)"
    ]


def test_export_all_writes_one_stable_file_per_type(tmp_path: Path) -> None:
    paths = export_all(tmp_path / "schemas")

    assert [p.name for p in paths] == [f"{spec.type}.json" for spec in all_specs()]
    for path in paths:
        text = path.read_text()
        assert text.endswith("}\n")
        assert (
            text
            == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        )


def test_the_event_schema_pins_type_and_source_and_embeds_the_payload() -> None:
    spec = all_specs()[0]
    schema = event_json_schema(spec.type)

    assert schema["$schema"] == DIALECT
    assert schema["properties"]["type"]["const"] == spec.type
    assert schema["properties"]["source"]["const"].startswith("/crm/")
    data = schema["properties"]["data"]
    payload = spec.payload.model_json_schema()
    assert data["properties"] == payload["properties"]
    assert set(schema.get("$defs", {})) == set(payload.get("$defs", {}))
    assert "data" in schema["required"]
