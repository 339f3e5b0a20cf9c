import json
from datetime import UTC, datetime, timedelta, timezone
from uuid import uuid4

import pytest
from crm_contracts import CloudEvent, InvalidEvent, UnknownEventType, new_event
from crm_contracts.customers import CustomerCreatedV1, LifecycleStage
from pydantic import ValidationError


def a_customer() -> CustomerCreatedV1:
    return CustomerCreatedV1(
        customer_id=uuid4(),
        name="Nordwind Logistik GmbH",
        kind="company",
        lifecycle_stage=LifecycleStage.LEAD,
        owner_id=None,
        created_by="u-1",
    )


def an_event(**overrides: object) -> CloudEvent:
    customer = a_customer()
    event = new_event(
        customer,
        tenant="acme",
        branch="north",
        partition_key=str(customer.customer_id),
        sequence=1,
    )
    return event.model_copy(update=overrides) if overrides else event


def test_an_event_survives_a_json_round_trip_unchanged() -> None:
    event = an_event()

    assert CloudEvent.from_json_bytes(event.to_json_bytes()) == event


def test_unknown_extensions_survive_a_round_trip() -> None:
    raw = json.loads(an_event().to_json_bytes())
    raw["comexamplerouting"] = "eu-west"
    raw["priority"] = 3

    event = CloudEvent.from_json_bytes(json.dumps(raw).encode())

    assert event.model_extra == {"comexamplerouting": "eu-west", "priority": 3}
    assert json.loads(event.to_json_bytes()) == raw


def test_absent_optional_attributes_are_left_out_of_the_json() -> None:
    raw = json.loads(an_event(subject=None, branchid=None).to_json_bytes())

    assert "subject" not in raw
    assert "branchid" not in raw
    assert "traceparent" not in raw


def test_null_payload_fields_are_kept_because_the_payload_may_require_them() -> None:
    event = CloudEvent.from_json_bytes(an_event().to_json_bytes())

    assert event.data["owner_id"] is None
    assert isinstance(event.payload(), CustomerCreatedV1)


def test_time_is_serialized_as_rfc3339_with_its_offset() -> None:
    utc = an_event(time=datetime(2025, 3, 14, 9, 30, tzinfo=UTC))
    cet = an_event(time=datetime(2025, 3, 14, 10, 30, tzinfo=timezone(timedelta(hours=1))))

    assert json.loads(utc.to_json_bytes())["time"] == "2025-03-14T09:30:00Z"
    assert json.loads(cet.to_json_bytes())["time"] == "2025-03-14T10:30:00+01:00"


def test_a_time_without_timezone_is_refused() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        CloudEvent(**{**an_event().model_dump(), "time": datetime(2025, 3, 14, 9, 30)})


def test_a_time_without_timezone_on_the_wire_is_an_invalid_event() -> None:
    raw = json.loads(an_event().to_json_bytes())
    raw["time"] = "2025-03-14T09:30:00"

    with pytest.raises(InvalidEvent, match="time"):
        CloudEvent.from_json_bytes(json.dumps(raw).encode())


@pytest.mark.parametrize("raw", [b"", b"{not json", b"\xff\xfe", b"[1, 2]", b"null"])
def test_bytes_that_are_not_a_json_object_raise_invalid_event(raw: bytes) -> None:
    with pytest.raises(InvalidEvent, match="not a valid CloudEvent"):
        CloudEvent.from_json_bytes(raw)


def test_a_missing_attribute_is_named_in_the_error() -> None:
    raw = json.loads(an_event().to_json_bytes())
    del raw["tenantid"]

    with pytest.raises(InvalidEvent, match="tenantid: Field required"):
        CloudEvent.from_json_bytes(json.dumps(raw).encode())


@pytest.mark.parametrize(
    ("attribute", "value"),
    [
        ("type", "customer.created"),
        ("type", "crm.customers.customer.created"),
        ("specversion", "0.3"),
        ("sequence", 0),
        ("id", "not-a-uuid"),
        ("partitionkey", ""),
        ("datacontenttype", "text/plain"),
    ],
)
def test_malformed_attributes_are_refused(attribute: str, value: object) -> None:
    raw = json.loads(an_event().to_json_bytes())
    raw[attribute] = value

    with pytest.raises(InvalidEvent, match=attribute):
        CloudEvent.from_json_bytes(json.dumps(raw).encode())


def test_invalid_event_is_a_value_error_and_unknown_type_a_lookup_error() -> None:
    assert issubclass(InvalidEvent, ValueError)
    assert issubclass(UnknownEventType, LookupError)


def test_payload_returns_the_registered_model() -> None:
    event = an_event()

    payload = event.payload()

    assert isinstance(payload, CustomerCreatedV1)
    assert str(payload.customer_id) == event.partitionkey


def test_payload_ignores_fields_added_by_a_newer_producer() -> None:
    event = an_event()
    newer = event.model_copy(update={"data": {**event.data, "vat_id": "DE123456789"}})

    assert newer.payload() == event.payload()


def test_payload_of_an_unregistered_type_raises_unknown_event_type() -> None:
    event = an_event(type="crm.customers.customer.teleported.v1")

    with pytest.raises(UnknownEventType, match=r"crm\.customers\.customer\.teleported\.v1"):
        event.payload()


def test_payload_with_invalid_data_raises_invalid_event_naming_the_field() -> None:
    event = an_event()
    broken = event.model_copy(update={"data": {**event.data, "kind": "robot"}})

    with pytest.raises(InvalidEvent, match="kind"):
        broken.payload()


def test_an_event_is_immutable() -> None:
    with pytest.raises(ValidationError, match="frozen"):
        an_event().sequence = 2  # type: ignore[misc]


def test_a_kafka_tombstone_without_value_is_an_invalid_event() -> None:
    with pytest.raises(InvalidEvent):
        CloudEvent.from_json_bytes(None)  # type: ignore[arg-type]
