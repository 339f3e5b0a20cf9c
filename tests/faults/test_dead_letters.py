"""A poison event: valid against its published schema, yet it breaks the handlers. It goes to
the dead-letter topic with its error and the consumers move on; `crm dlq list` shows it; once
the cause is fixed, `crm dlq retry` replays it and every consumer applies it once."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from crm_contracts import CLOUDEVENTS_JSON, CUSTOMERS_EVENTS, new_event
from crm_contracts import customers as c
from crm_local.dlq import caught_up, read_dead_letters

# The contract's `owner_id` is a string of any length; the consumers' columns hold 128.
LONG_OWNER = "integration-" + "x" * 188


def poison(tenant: str) -> Any:
    customer = uuid.uuid4()
    return new_event(
        c.CustomerCreatedV1(
            customer_id=customer,
            name="Poison Ltd",
            kind="company",
            lifecycle_stage=c.LifecycleStage.LEAD,
            owner_id=LONG_OWNER,
            created_by="erp-sync",
        ),
        tenant=tenant,
        branch="north",
        partition_key=str(customer),
        subject=f"customer/{customer}",
        sequence=1,
    )


def headers_of(event: Any) -> list[tuple[str, bytes]]:
    """The headers the outbox relay sends with every event."""
    return [
        ("content-type", CLOUDEVENTS_JSON.encode()),
        ("ce_id", str(event.id).encode()),
        ("ce_type", event.type.encode()),
        ("ce_tenantid", event.tenantid.encode()),
    ]


async def copies_in_topic(bootstrap: str, event_id: str) -> list[list[tuple[str, bytes]]]:
    """The headers of every record of `event_id` in the customers topic."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, fetch_max_wait_ms=50)
    await consumer.start()
    found = []
    try:
        await consumer.topics()
        partitions = [
            TopicPartition(CUSTOMERS_EVENTS, p)
            for p in consumer.partitions_for_topic(CUSTOMERS_EVENTS) or ()
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        todo = set(partitions)
        while todo:
            for records in (await consumer.getmany(*todo, timeout_ms=500)).values():
                found += [
                    list(r.headers) for r in records if json.loads(r.value).get("id") == event_id
                ]
            todo = {tp for tp in todo if not await caught_up(consumer, tp)}
    finally:
        await consumer.stop()
    return found


def dlq_list(platform: Any, *args: str) -> list[dict[str, Any]]:
    listed = platform.crm("dlq", "list", "--json", *args)
    assert listed.returncode == 0, listed.stderr
    letters: list[dict[str, Any]] = json.loads(listed.stdout)
    return letters


@pytest.mark.timeout(240)
async def test_a_poison_event_is_dead_lettered_listed_and_replayed_after_the_fix(
    crm_platform: Any, terminal: Any
) -> None:
    platform = crm_platform
    await asyncio.to_thread(platform.wait_all_ready)
    tenant = f"t-dlq-{uuid.uuid4().hex[:8]}"
    event = poison(tenant)
    event_id = str(event.id)
    consumers = platform.consumers_handling(event.type)

    producer = AIOKafkaProducer(bootstrap_servers=platform.bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(
            CUSTOMERS_EVENTS,
            event.to_json_bytes(),
            key=event.partitionkey.encode(),
            headers=headers_of(event),
        )
    finally:
        await producer.stop()

    # 1. Every consumer that handles customer.created either applied it or gave up on it.
    async def settled() -> dict[str, Any]:
        applied = await platform.applied_by(consumers, event_id)
        letters = await read_dead_letters(platform.bootstrap, [CUSTOMERS_EVENTS])
        dead = {d.consumer for d in letters if d.event_id == event_id}
        waiting = [name for name in consumers if not applied[name] and name not in dead]
        return {"waiting for": waiting} if waiting else {}

    assert await platform.settle(settled, timeout_s=90) == {}
    letters = [d for d in dlq_list(platform) if d["event_id"] == event_id]
    dead = sorted({d["consumer"] for d in letters})
    assert "crm-sales" in dead, letters
    for letter in letters:
        assert letter["topic"] == CUSTOMERS_EVENTS
        assert letter["dlq_topic"] == f"{CUSTOMERS_EVENTS}.dlq"
        assert letter["tenant"] == tenant
        assert letter["event_type"] == event.type
        assert "too long" in letter["error"], letter["error"]  # what broke it, in the header
        assert letter["original_offset"] is not None
    assert dlq_list(platform, "--topic", "crm.sales.events") == [] or all(
        d["event_id"] != event_id for d in dlq_list(platform, "--topic", "crm.sales.events")
    )
    table = platform.crm("dlq", "list", "--topic", CUSTOMERS_EVENTS)
    assert table.returncode == 0, table.stderr
    assert event_id in table.stdout, table.stdout
    assert "crm-sales" in table.stdout

    # 2. The fix (the migration a developer would ship): owner ids get room to grow.
    for consumer in dead:
        await platform.widen_owner_columns(platform.service_of(consumer))

    # 3. Replayed: every consumer has applied it once; the ones that had, skip it.
    retried = platform.crm("dlq", "retry", "--id", event_id)
    assert retried.returncode == 0, retried.stderr
    assert f"replayed {event_id}" in retried.stdout

    async def all_applied() -> dict[str, Any]:
        applied = await platform.applied_by(consumers, event_id)
        missing = [name for name, yes in applied.items() if not yes]
        return {"not applied by": missing} if missing else {}

    assert await platform.settle(all_applied, timeout_s=60) == {}
    facts = await platform.fetch(
        "sales",
        "SELECT owner_id FROM customer_facts WHERE tenant_id = $1",
        tenant,
    )
    assert [r["owner_id"] for r in facts] == [LONG_OWNER]

    # The replay went out with the event's own key and headers, none of the dlq-* ones.
    copies = await copies_in_topic(platform.bootstrap, event_id)
    assert len(copies) == 2  # the poison, and its replay
    for headers in copies:
        assert dict(headers) == dict(headers_of(event))

    # 4. Replaying again changes nothing: the inboxes drop it.
    again = platform.crm("dlq", "retry", "--all", "--topic", CUSTOMERS_EVENTS)
    assert again.returncode == 0, again.stderr
    await asyncio.sleep(3)
    assert await all_applied() == {}
    for consumer in consumers:
        rows = await platform.fetch(
            platform.service_of(consumer),
            "SELECT count(*) AS n FROM inbox WHERE consumer = $1 AND event_id = $2::uuid",
            consumer,
            event_id,
        )
        assert rows[0]["n"] == 1
    assert (
        len(
            await platform.fetch(
                "sales", "SELECT 1 FROM customer_facts WHERE tenant_id = $1", tenant
            )
        )
        == 1
    )

    unknown = platform.crm("dlq", "retry", "--id", str(uuid.uuid4()))
    assert unknown.returncode == 1
    assert "no dead-lettered event" in unknown.stderr
    neither = platform.crm("dlq", "retry")
    assert neither.returncode == 1
    terminal(
        f"\n   poison event dead-lettered by {', '.join(dead)}; replayed after the fix and "
        f"applied once by {len(consumers)} consumers"
    )


# -- the parts of `crm dlq` that need no broker -------------------------------------------------


def test_a_dead_letter_is_read_without_trusting_its_value() -> None:
    from crm_local.dlq import parse_record

    event = poison("t-unit")
    headers = [
        *headers_of(event),
        ("dlq-error", b"DataError('value too long')"),
        ("dlq-topic", CUSTOMERS_EVENTS.encode()),
        ("dlq-partition", b"3"),
        ("dlq-offset", b"41"),
        ("dlq-consumer", b"crm-sales"),
    ]
    letter = parse_record(f"{CUSTOMERS_EVENTS}.dlq", 0, 7, 0, b"k", event.to_json_bytes(), headers)
    assert (letter.event_id, letter.tenant, letter.consumer) == (
        str(event.id),
        "t-unit",
        "crm-sales",
    )
    assert (letter.topic, letter.original_partition, letter.original_offset) == (
        CUSTOMERS_EVENTS,
        3,
        41,
    )
    assert letter.replay_headers() == headers_of(event)
    garbage = parse_record("crm.sales.events.dlq", 1, 2, 0, None, b"\xff not json", [])
    assert garbage.event_id is None
    assert garbage.topic == "crm.sales.events"  # no header: the topic beside the DLQ
    assert json.dumps(garbage.as_json())  # printable, whatever the value was


def test_an_event_several_consumers_gave_up_on_is_replayed_once() -> None:
    from crm_local.dlq import parse_record, to_retry

    event = poison("t-unit")
    letters = [
        parse_record(
            f"{CUSTOMERS_EVENTS}.dlq",
            0,
            offset,
            0,
            b"k",
            event.to_json_bytes(),
            [("dlq-consumer", consumer.encode()), ("dlq-topic", CUSTOMERS_EVENTS.encode())],
        )
        for offset, consumer in enumerate(["crm-sales", "crm-service-desk", "crm-sales"])
    ]
    other = parse_record(f"{CUSTOMERS_EVENTS}.dlq", 1, 0, 0, None, b"{}", [])
    assert len(to_retry([*letters, other], str(event.id))) == 1
    assert len(to_retry([*letters, other], None)) == 2
    assert to_retry(letters, str(uuid.uuid4())) == []
