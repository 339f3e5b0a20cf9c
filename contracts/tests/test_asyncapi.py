import json
from typing import Any

import pytest
from crm_contracts import CloudEvent, EventSpec, __version__, all_specs
from crm_contracts.asyncapi import build_document
from crm_contracts.envelope import CLOUDEVENTS_JSON
from crm_contracts.topics import ALL_TOPICS, dlq_topic


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return build_document()


def resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def test_the_document_is_asyncapi_3_with_both_kafka_servers(document: dict[str, Any]) -> None:
    assert document["asyncapi"] == "3.0.0"
    assert document["info"]["title"] == "CRM platform events"
    assert document["info"]["version"] == __version__
    assert document["servers"]["embedded"]["host"] == "127.0.0.1:9092"
    assert document["servers"]["embedded"]["protocol"] == "kafka"
    assert document["servers"]["production"]["protocol"] == "kafka-secure"
    json.dumps(document)  # plain JSON data throughout


def test_every_topic_and_its_dead_letter_topic_has_a_channel(document: dict[str, Any]) -> None:
    addresses = {channel["address"] for channel in document["channels"].values()}

    assert addresses == set(ALL_TOPICS) | {dlq_topic(t) for t in ALL_TOPICS}


def test_every_channel_has_a_receive_and_a_send_operation(document: dict[str, Any]) -> None:
    for channel_id, channel in document["channels"].items():
        ops = [
            op
            for op in document["operations"].values()
            if op["channel"]["$ref"] == f"#/channels/{channel_id}"
        ]
        assert sorted(op["action"] for op in ops) == ["receive", "send"]
        for op in ops:
            assert [resolve(document, m["$ref"]) for m in op["messages"]] == list(
                channel["messages"].values()
            )


@pytest.mark.parametrize("spec", all_specs(), ids=lambda s: s.type)
def test_every_registered_type_has_a_message_on_its_topic(
    document: dict[str, Any], spec: EventSpec
) -> None:
    message = document["components"]["messages"][spec.type]

    assert message["name"] == spec.type
    assert message["contentType"] == CLOUDEVENTS_JSON
    assert "partitionkey" in message["bindings"]["kafka"]["key"]["description"]
    payload_schema = resolve(document, message["payload"]["$ref"])
    assert payload_schema["properties"]["type"]["const"] == spec.type
    for address in (spec.topic, dlq_topic(spec.topic)):
        channel = document["channels"][address]
        assert channel["messages"][spec.type] == {"$ref": f"#/components/messages/{spec.type}"}


@pytest.mark.parametrize("spec", all_specs(), ids=lambda s: s.type)
def test_every_message_example_is_a_valid_event_of_its_type(
    document: dict[str, Any], spec: EventSpec
) -> None:
    (example,) = document["components"]["messages"][spec.type]["examples"]

    event = CloudEvent.model_validate(example["payload"])

    assert event.type == spec.type
    assert isinstance(event.payload(), spec.payload)
    assert spec.payload.model_validate(event.data) == spec.payload.model_validate(spec.example)


def test_every_reference_in_the_document_resolves(document: dict[str, Any]) -> None:
    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
            return own + [r for v in node.values() for r in refs(v)]
        if isinstance(node, list):
            return [r for v in node for r in refs(v)]
        return []

    found = refs(document)

    assert found
    for ref in found:
        assert isinstance(resolve(document, ref), dict), ref
    assert "$defs" not in json.dumps(document)  # schema refs point into components
