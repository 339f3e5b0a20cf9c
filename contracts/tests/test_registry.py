from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import crm_contracts
import pytest
from crm_contracts import (
    DuplicateEventType,
    EventSpec,
    Payload,
    Registry,
    UnknownEventType,
    all_specs,
    new_event,
    spec_for,
    spec_for_payload,
    topic_for,
)
from crm_contracts.customers import CustomerCreatedV1
from crm_contracts.topics import CUSTOMERS_EVENTS, SALES_EVENTS
from pydantic import BaseModel, Field


class Thing(Payload):
    """A test payload."""

    thing_id: UUID = Field(description="Id.")


class OtherThing(Payload):
    """Another test payload."""

    n: int = Field(description="A number.")


def a_spec(type: str = "crm.customers.thing.made.v1", **overrides: Any) -> EventSpec:
    fields: dict[str, Any] = {
        "type": type,
        "topic": CUSTOMERS_EVENTS,
        "payload": Thing,
        "summary": "A thing was made.",
        "example": {"thing_id": str(uuid4())},
        **overrides,
    }
    return EventSpec(**fields)


def a_customer_created() -> CustomerCreatedV1:
    return CustomerCreatedV1.model_validate(spec_for("crm.customers.customer.created.v1").example)


def test_importing_the_package_registers_the_customer_events() -> None:
    assert spec_for("crm.customers.customer.created.v1").payload is CustomerCreatedV1
    assert spec_for_payload(CustomerCreatedV1).topic == CUSTOMERS_EVENTS


def test_all_specs_are_sorted_by_type() -> None:
    types = [spec.type for spec in all_specs()]

    assert types == sorted(types)
    assert types


def test_new_event_fills_type_source_and_data_from_the_payload() -> None:
    payload = a_customer_created()

    event = new_event(
        payload, tenant="acme", branch=None, partition_key="k-1", sequence=7, subject="s-1"
    )

    assert event.type == "crm.customers.customer.created.v1"
    assert event.source == "/crm/customers"
    assert event.data == payload.model_dump(mode="json")
    assert (event.tenantid, event.branchid, event.partitionkey) == ("acme", None, "k-1")
    assert (event.sequence, event.subject) == (7, "s-1")
    assert topic_for(event) == CUSTOMERS_EVENTS


def test_new_event_defaults_to_a_fresh_uuid4_and_the_current_utc_time() -> None:
    before = datetime.now(UTC)

    first = new_event(a_customer_created(), tenant="t", branch=None, partition_key="k", sequence=1)
    second = new_event(a_customer_created(), tenant="t", branch=None, partition_key="k", sequence=1)

    assert first.id.version == 4
    assert first.id != second.id
    assert first.time.tzinfo is not None
    assert before <= first.time <= datetime.now(UTC)
    assert first.traceparent is None


def test_new_event_uses_the_given_id_time_and_traceparent() -> None:
    event_id = uuid4()
    at = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    event = new_event(
        a_customer_created(),
        tenant="t",
        branch="b",
        partition_key="k",
        sequence=1,
        id=event_id,
        time=at,
        traceparent=trace,
    )

    assert (event.id, event.time, event.traceparent) == (event_id, at, trace)


def test_new_event_refuses_a_payload_that_is_not_registered() -> None:
    with pytest.raises(UnknownEventType, match="Thing"):
        new_event(Thing(thing_id=uuid4()), tenant="t", branch=None, partition_key="k", sequence=1)


def test_new_event_refuses_a_sequence_below_one() -> None:
    with pytest.raises(crm_contracts.InvalidEvent, match="sequence"):
        new_event(a_customer_created(), tenant="t", branch=None, partition_key="k", sequence=0)


def test_spec_for_an_unknown_type_raises_unknown_event_type() -> None:
    with pytest.raises(UnknownEventType, match=r"crm\.nowhere\.thing\.done\.v1"):
        spec_for("crm.nowhere.thing.done.v1")


def test_registry_refuses_a_second_spec_with_the_same_type() -> None:
    registry = Registry()
    registry.register(a_spec())

    with pytest.raises(DuplicateEventType, match="already registered"):
        registry.register(a_spec(payload=OtherThing, example={"n": 1}))


def test_registry_refuses_a_payload_model_already_used_by_another_type() -> None:
    registry = Registry()
    registry.register(a_spec())

    with pytest.raises(DuplicateEventType, match="Thing"):
        registry.register(a_spec("crm.customers.thing.made.v2"))


def test_registry_refuses_an_example_that_is_not_a_valid_payload() -> None:
    with pytest.raises(ValueError, match="example"):
        Registry().register(a_spec(example={"thing_id": "nope"}))


@pytest.mark.parametrize(
    ("type", "topic"),
    [
        ("crm.customers.Thing.made.v1", CUSTOMERS_EVENTS),
        ("crm.customers.thing.made", CUSTOMERS_EVENTS),
        ("crm.customers.thing.made.v1", SALES_EVENTS),
        ("crm.customers.thing.made.v1", "crm.unknown.events"),
    ],
)
def test_registry_refuses_a_type_that_does_not_fit_its_topic(type: str, topic: str) -> None:
    with pytest.raises(ValueError, match=r"crm\."):
        Registry().register(a_spec(type, topic=topic))


@pytest.mark.parametrize("spec", all_specs(), ids=lambda s: s.type)
def test_every_payload_model_is_tolerant_immutable_and_documented(spec: EventSpec) -> None:
    model: type[BaseModel] = spec.payload

    assert issubclass(model, Payload)
    assert model.model_config.get("extra") == "ignore"
    assert model.model_config.get("frozen") is True
    assert model.__doc__
    undocumented = [name for name, f in model.model_fields.items() if not f.description]
    assert not undocumented, f"{spec.type}: fields without description: {undocumented}"
    assert model.model_validate(spec.example)
    assert set(spec.example) == set(model.model_fields), "the example should show every field"
    assert spec.summary
