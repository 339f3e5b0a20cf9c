import json
from pathlib import Path

import pytest
from crm_contracts import all_specs
from crm_contracts.__main__ import main
from crm_contracts.schemas import dumps, event_json_schema

CUSTOMER_CREATED = "crm.customers.customer.created.v1"


def test_asyncapi_prints_the_document_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["asyncapi"]) == 0

    assert json.loads(capsys.readouterr().out)["asyncapi"] == "3.0.0"


def test_snapshot_then_check_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["snapshot", "--dir", str(tmp_path)]) == 0
    assert main(["check", "--dir", str(tmp_path)]) == 0

    assert sorted(p.stem for p in tmp_path.iterdir()) == [s.type for s in all_specs()]


def test_check_fails_listing_missing_snapshots(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--dir", str(tmp_path)]) == 1

    assert f"{CUSTOMER_CREATED}: no released snapshot" in capsys.readouterr().err


def released_with_an_extra_field(directory: Path) -> Path:
    released = event_json_schema(CUSTOMER_CREATED)
    released["properties"]["data"]["properties"]["vat_id"] = {"type": "string"}
    path = directory / f"{CUSTOMER_CREATED}.json"
    path.write_text(dumps(released))
    return path


def test_check_fails_listing_breaking_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["snapshot", "--dir", str(tmp_path)])
    released_with_an_extra_field(tmp_path)

    assert main(["check", "--dir", str(tmp_path)]) == 1

    assert f"{CUSTOMER_CREATED}: data.properties.vat_id: removed" in capsys.readouterr().err


def test_snapshot_refuses_to_overwrite_a_broken_release_unless_forced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = released_with_an_extra_field(tmp_path)
    before = path.read_text()

    assert main(["snapshot", "--dir", str(tmp_path)]) == 1
    assert path.read_text() == before
    assert main(["snapshot", "--dir", str(tmp_path), "--force"]) == 0
    assert path.read_text() == dumps(event_json_schema(CUSTOMER_CREATED))
