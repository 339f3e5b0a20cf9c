"""`crm events tail`: print CloudEvents as they pass on the platform's topics."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from typing import Any

from rich.text import Text


class TailError(Exception):
    """Tailing cannot start (unknown topic, broker unreachable); the message says why."""


def format_event(event: Any) -> Text:
    """time, type, subject, tenant, id, then the data as compact JSON (one line)."""
    data = json.dumps(event.data, separators=(",", ":"), ensure_ascii=False, default=str)
    line = Text(no_wrap=False)
    line.append(event.time.isoformat(), style="dim")
    line.append("  ")
    line.append(event.type, style="bold cyan")
    line.append("  ")
    line.append(event.subject or "-", style="magenta")
    line.append("  tenant=")
    line.append(event.tenantid, style="yellow")
    line.append("  id=")
    line.append(str(event.id), style="dim")
    line.append("  ")
    line.append(data)
    return line


def format_invalid(topic: str, partition: int, offset: int, raw: bytes | None, error: str) -> Text:
    preview = (raw or b"")[:200].decode(errors="replace")
    line = Text()
    line.append(f"{topic}[{partition}]@{offset}: not a CloudEvent ({error}): ", style="red")
    line.append(preview)
    return line


async def tail(
    bootstrap: str,
    topics: Sequence[str],
    *,
    from_beginning: bool,
    max_events: int | None,
    emit: Callable[[Text], None],
    on_ready: Callable[[], None] | None = None,
) -> int:
    """Print events until `max_events` (or forever); returns how many were printed.

    Partitions are assigned by hand, not through a consumer group: nothing is committed, and
    there is no group join to wait for (about 5 s on the embedded broker).
    """
    from aiokafka import AIOKafkaConsumer, TopicPartition
    from aiokafka.errors import KafkaError
    from crm_contracts import CloudEvent
    from crm_contracts.errors import ContractError

    # aiokafka logs each failed connection attempt; the error below says it once.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        client_id="crm-events-tail",
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest" if from_beginning else "latest",
        fetch_max_wait_ms=50,
        request_timeout_ms=10_000,
    )
    try:
        await consumer.start()
    except KafkaError as exc:
        await consumer.stop()
        raise TailError(f"cannot reach the broker at {bootstrap}: {exc}") from exc
    try:
        existing = await consumer.topics()
        missing = [t for t in topics if t not in existing]
        if missing:
            raise TailError(
                f"no such topic: {', '.join(missing)}; topics: {', '.join(sorted(existing))}"
            )
        assigned = [
            TopicPartition(topic, partition)
            for topic in topics
            for partition in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        consumer.assign(assigned)
        if from_beginning:
            await consumer.seek_to_beginning(*assigned)
        else:
            await consumer.seek_to_end(*assigned)
        if on_ready is not None:
            on_ready()
        printed = 0
        while max_events is None or printed < max_events:
            batches = await consumer.getmany(timeout_ms=1000)
            for records in batches.values():
                for record in records:
                    try:
                        event = CloudEvent.from_json_bytes(record.value or b"")
                    except ContractError as exc:
                        emit(
                            format_invalid(
                                record.topic,
                                record.partition,
                                record.offset,
                                record.value,
                                str(exc),
                            )
                        )
                    else:
                        emit(format_event(event))
                    printed += 1
                    if max_events is not None and printed >= max_events:
                        return printed
        return printed
    finally:
        await consumer.stop()
