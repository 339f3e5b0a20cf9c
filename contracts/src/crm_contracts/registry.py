"""Which payload model belongs to which event type and topic.

Importing `crm_contracts` registers every event, so a consumer can turn any `type` it reads
into a model and a producer can build an envelope from a model alone.
"""

from __future__ import annotations

import builtins
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from pydantic import BaseModel, ValidationError

from crm_contracts.envelope import TYPE_PATTERN, CloudEvent
from crm_contracts.errors import DuplicateEventType, InvalidEvent, UnknownEventType, describe
from crm_contracts.topics import SOURCE_OF_TOPIC


@dataclass(frozen=True)
class EventSpec:
    """One published event type: its wire name, topic and payload model."""

    type: str
    topic: str
    payload: builtins.type[BaseModel]  # `type` is shadowed by the field above
    summary: str
    example: dict[str, Any]  # a valid `data`, used in the AsyncAPI document and tests


class Registry:
    """Event specs by type and by payload class; one per process, fresh ones in tests."""

    def __init__(self) -> None:
        self._by_type: dict[str, EventSpec] = {}
        self._by_payload: dict[type[BaseModel], EventSpec] = {}

    def register(self, spec: EventSpec) -> EventSpec:
        """Add `spec` after checking it is consistent; a contract error fails at import."""
        _check(spec)
        if spec.type in self._by_type:
            raise DuplicateEventType(f"event type {spec.type} is already registered")
        if spec.payload in self._by_payload:
            other = self._by_payload[spec.payload].type
            raise DuplicateEventType(
                f"{spec.payload.__name__} is already the payload of {other}; "
                "a new type needs its own model"
            )
        self._by_type[spec.type] = spec
        self._by_payload[spec.payload] = spec
        return spec

    def spec_for(self, type: str) -> EventSpec:
        try:
            return self._by_type[type]
        except KeyError:
            raise UnknownEventType(f"no payload model registered for event type {type!r}") from None

    def spec_for_payload(self, model_cls: type[BaseModel]) -> EventSpec:
        try:
            return self._by_payload[model_cls]
        except KeyError:
            raise UnknownEventType(
                f"{model_cls.__name__} is not the payload of a registered event type"
            ) from None

    def all_specs(self) -> list[EventSpec]:
        return sorted(self._by_type.values(), key=lambda s: s.type)


def _check(spec: EventSpec) -> None:
    if not re.fullmatch(TYPE_PATTERN, spec.type):
        raise ValueError(f"event type {spec.type!r} does not match {TYPE_PATTERN}")
    if spec.topic not in SOURCE_OF_TOPIC:
        raise ValueError(f"{spec.type}: unknown topic {spec.topic!r}")
    service = spec.type.split(".")[1]
    if SOURCE_OF_TOPIC[spec.topic] != f"/crm/{service}":
        raise ValueError(f"{spec.type} belongs to service {service!r}, not topic {spec.topic}")
    try:
        spec.payload.model_validate(spec.example)
    except ValidationError as exc:
        raise ValueError(f"{spec.type}: example is not a valid payload: {describe(exc)}") from exc


_REGISTRY = Registry()
register = _REGISTRY.register
spec_for = _REGISTRY.spec_for
spec_for_payload = _REGISTRY.spec_for_payload
all_specs = _REGISTRY.all_specs


def new_event(
    payload: BaseModel,
    *,
    tenant: str,
    branch: str | None,
    partition_key: str,
    sequence: int,
    subject: str | None = None,
    id: UUID | None = None,
    time: datetime | None = None,
    traceparent: str | None = None,
) -> CloudEvent:
    """Wrap a payload in its envelope; type and source follow from the payload's class."""
    spec = spec_for_payload(type(payload))
    try:
        return CloudEvent(
            id=uuid4() if id is None else id,
            source=SOURCE_OF_TOPIC[spec.topic],
            type=spec.type,
            subject=subject,
            time=datetime.now(UTC) if time is None else time,
            tenantid=tenant,
            branchid=branch,
            partitionkey=partition_key,
            sequence=sequence,
            traceparent=traceparent,
            data=payload.model_dump(mode="json"),
        )
    except ValidationError as exc:
        raise InvalidEvent(f"cannot build {spec.type}: {describe(exc)}") from exc


def topic_for(event: CloudEvent) -> str:
    """The topic an event is published on."""
    return spec_for(event.type).topic


def example_event(spec: EventSpec) -> CloudEvent:
    """A complete, deterministic envelope around the spec's example, for documentation."""
    data = spec.payload.model_validate(spec.example)
    key = str(spec.example.get("customer_id", "3f0c6c1e-8a53-4c2b-9a57-2f1d8f0b6d41"))
    return new_event(
        data,
        tenant="acme",
        branch="north",
        partition_key=key,
        sequence=1,
        subject=key,
        id=uuid5(NAMESPACE_URL, f"urn:crm:example:{spec.type}"),
        time=datetime(2025, 3, 14, 9, 30, tzinfo=UTC),
        traceparent="00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    )
