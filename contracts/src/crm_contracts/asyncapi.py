"""The AsyncAPI 3.0 document of every topic, generated from the registry.

Services serve it next to their OpenAPI document; nothing here is listed by hand, so a new
event appears in the document as soon as it is registered.
"""

from __future__ import annotations

from typing import Any, Final

from crm_contracts import __version__
from crm_contracts.envelope import CLOUDEVENTS_JSON
from crm_contracts.registry import EventSpec, all_specs, example_event
from crm_contracts.schemas import event_json_schema
from crm_contracts.topics import ALL_TOPICS, DEFAULT_PARTITIONS, SOURCE_OF_TOPIC, dlq_topic

ASYNCAPI_VERSION: Final = "3.0.0"
KAFKA_BINDING_VERSION: Final = "0.5.0"

_SERVERS: Final = {
    "embedded": {
        "host": "127.0.0.1:9092",
        "protocol": "kafka",
        "description": "The embedded broker started by `crm up` (development and tests).",
    },
    "production": {
        "host": "kafka-bootstrap:9092",
        "protocol": "kafka-secure",
        "description": "The production Apache Kafka cluster (TLS).",
    },
}


def build_document() -> dict[str, Any]:
    """The whole document as plain JSON-ready data."""
    specs = all_specs()
    schemas: dict[str, Any] = {}
    for spec in specs:
        _add_schema(schemas, spec.type)
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for topic in ALL_TOPICS:
        types = [spec.type for spec in specs if spec.topic == topic]
        service = SOURCE_OF_TOPIC[topic].rsplit("/", 1)[-1]
        _add_channel(channels, operations, topic, types, service, dead_letters=False)
        _add_channel(channels, operations, dlq_topic(topic), types, service, dead_letters=True)
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "CRM platform events",
            "version": __version__,
            "description": (
                "Events the CRM services publish, one Kafka topic per owning service. Each "
                "message is a CloudEvents 1.0 envelope in structured JSON mode; the Kafka key "
                "is the envelope's `partitionkey`, so events about one customer stay in order."
            ),
        },
        "defaultContentType": CLOUDEVENTS_JSON,
        "servers": _SERVERS,
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": schemas,
            "messages": {spec.type: _message(spec) for spec in specs},
        },
    }


def _add_schema(schemas: dict[str, Any], type: str) -> None:
    schema = event_json_schema(type)
    schema.pop("$schema", None)
    schema.pop("$id", None)  # an `$id` would re-base the `#/components/...` refs below
    for name, definition in _rebase(schema.pop("$defs", {})).items():
        if schemas.setdefault(name, definition) != definition:
            raise ValueError(f"two payloads define different schemas named {name!r}; rename one")
    schemas[type] = _rebase(schema)


def _rebase(node: Any) -> Any:
    """Point `#/$defs/X` refs at `#/components/schemas/X`, where the document keeps them."""
    if isinstance(node, dict):
        return {
            k: (
                v.replace("#/$defs/", "#/components/schemas/", 1)
                if k == "$ref" and isinstance(v, str)
                else _rebase(v)
            )
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_rebase(v) for v in node]
    return node


def _add_channel(
    channels: dict[str, Any],
    operations: dict[str, Any],
    address: str,
    types: list[str],
    service: str,
    *,
    dead_letters: bool,
) -> None:
    if dead_letters:
        description = (
            f"Dead letters of `{address.removesuffix('.dlq')}`: events a consumer could not "
            "apply after retries, unchanged, with the error in the Kafka headers."
        )
        sender = "A consumer dead-letters an event it cannot apply."
    else:
        description = f"Events published by the {service} service."
        sender = f"The {service} service publishes, through its outbox."
    channels[address] = {
        "address": address,
        "title": address,
        "description": description,
        "messages": {t: {"$ref": f"#/components/messages/{t}"} for t in types},
        "bindings": {
            "kafka": {
                "topic": address,
                "partitions": DEFAULT_PARTITIONS,
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
    }
    refs = [{"$ref": f"#/channels/{address}/messages/{t}"} for t in types]
    channel_ref = {"$ref": f"#/channels/{address}"}
    operations[f"receive.{address}"] = {
        "action": "receive",
        "channel": channel_ref,
        "summary": "Integrators and other services consume; deduplicate on the envelope `id`.",
        "messages": refs,
    }
    operations[f"send.{address}"] = {
        "action": "send",
        "channel": channel_ref,
        "summary": sender,
        "messages": refs,
    }


def _message(spec: EventSpec) -> dict[str, Any]:
    service = spec.type.split(".")[1]
    return {
        "name": spec.type,
        "title": spec.payload.__name__,
        "summary": spec.summary,
        "contentType": CLOUDEVENTS_JSON,
        "payload": {"$ref": f"#/components/schemas/{spec.type}"},
        "tags": [{"name": service}],
        "bindings": {
            "kafka": {
                "key": {
                    "type": "string",
                    "description": (
                        "The envelope's `partitionkey`: the id of the customer the event is about."
                    ),
                },
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
        "examples": [
            {
                "name": "example",
                "summary": spec.summary,
                "payload": example_event(spec).model_dump(mode="json", exclude_none=True),
            }
        ],
    }
