"""JSON Schema of each event as it travels: the envelope with that event's payload as `data`.

These documents are what integrators validate against and what `compat` compares releases by.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

from crm_contracts.envelope import CloudEvent
from crm_contracts.registry import all_specs, spec_for
from crm_contracts.topics import SOURCE_OF_TOPIC

DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"

# The released snapshots, when running from the source tree.
SNAPSHOT_DIR: Final = Path(__file__).resolve().parents[2] / "schemas"


def event_json_schema(type: str) -> dict[str, Any]:
    """The full envelope schema of `type`, with `type` and `source` pinned as constants."""
    spec = spec_for(type)
    envelope = CloudEvent.model_json_schema()
    payload = spec.payload.model_json_schema()
    defs = payload.pop("$defs", {})
    props = envelope["properties"]
    for name, value in (("type", spec.type), ("source", SOURCE_OF_TOPIC[spec.topic])):
        props[name] = {"const": value, "type": "string", "description": props[name]["description"]}
    props["data"] = payload
    schema: dict[str, Any] = {
        "$schema": DIALECT,
        "$id": f"urn:crm:event:{spec.type}",
        **envelope,
        "title": spec.type,
        "description": spec.summary,
    }
    if defs:
        schema["$defs"] = defs
    return schema


def dumps(schema: dict[str, Any]) -> str:
    """Stable text so a snapshot diff shows only real changes."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def export_all(directory: Path) -> list[Path]:
    """Write `<type>.json` for every registered event; returns the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for spec in all_specs():
        path = directory / f"{spec.type}.json"
        path.write_text(dumps(event_json_schema(spec.type)), encoding="utf-8")
        written.append(path)
    return written
