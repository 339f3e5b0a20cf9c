"""A consumer of servicekit in a process of its own, for the fault tests to kill.

    python consumer_probe.py DATABASE_URL BOOTSTRAP TOPIC GROUP [--hang-at N] [--delay-ms MS]

GROUP `-` assigns every partition by hand: no group, no committed offsets, so a restart reads
the topic from the start again (every event is then a redelivery for the inbox to drop).

Its handler's effect is a row in `effects` (no unique key: a second application would show
as a second row), written in the consumer's transaction like any real handler's. With
`--hang-at N` the Nth call prints HANGING and never returns: the process is then in the middle
of a batch, its transaction open, for the test to SIGKILL. It prints READY once it has
partitions, ASSIGNED <partitions> whenever they change, and DUPLICATES <n> (redeliveries its
inbox skipped) when stopped with SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal

from crm_contracts import CloudEvent
from crm_contracts.customers import CustomerCreatedV1
from servicekit import metrics
from servicekit.consumer import EventHandlers, IdempotentConsumer
from servicekit.db import create_engine, create_session_factory
from servicekit.kafka import ProducerHolder
from servicekit.settings import ServiceSettings
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

NAME = "probe"


async def main() -> None:
    parser = argparse.ArgumentParser()
    for positional in ("database_url", "bootstrap", "topic", "group"):
        parser.add_argument(positional)
    parser.add_argument("--hang-at", type=int, default=0)
    parser.add_argument("--delay-ms", type=float, default=0.0)
    args = parser.parse_args()
    settings = ServiceSettings(
        service_name="probe",
        database_url=args.database_url,
        kafka_bootstrap=args.bootstrap,
        consumer_batch_size=25,
        jwt_jwks_url="http://127.0.0.1:9/unused",  # verifies no token
        log_level="WARNING",
        log_json=False,
    )
    handlers = EventHandlers()
    calls = 0

    @handlers.on(CustomerCreatedV1)
    async def apply(session: AsyncSession, event: CloudEvent) -> None:
        nonlocal calls
        calls += 1
        if calls == args.hang_at:
            print("HANGING", flush=True)
            await asyncio.sleep(3600)
        await session.execute(
            text("INSERT INTO effects (event_id, pid) VALUES (:event_id, :pid)"),
            {"event_id": event.id, "pid": os.getpid()},
        )
        await asyncio.sleep(args.delay_ms / 1000)

    engine = create_engine(settings)
    consumer = IdempotentConsumer(
        name=NAME,
        topics=[args.topic],
        handlers=handlers,
        session_factory=create_session_factory(engine),
        producers=ProducerHolder(settings),
        settings=settings,
        group_id=None if args.group == "-" else args.group,
    )
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    running = asyncio.create_task(consumer.run(stop))
    await consumer.ready.wait()
    while not (consumer._consumer and consumer._consumer.assignment()):
        with contextlib.suppress(TimeoutError):  # the group join comes with the first fetch
            await asyncio.wait_for(stop.wait(), 0.1)
        if stop.is_set():
            break
    print("READY", flush=True)

    async def report_assignment() -> None:
        last: set[int] | None = None
        while not stop.is_set():
            kafka = consumer._consumer
            now = {tp.partition for tp in kafka.assignment()} if kafka else set()
            if now != last:
                print("ASSIGNED", *sorted(now), flush=True)
                last = now
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.1)

    reporting = asyncio.create_task(report_assignment())
    await running
    await reporting
    await engine.dispose()
    duplicates = metrics.CONSUMER_DUPLICATES.labels(NAME)._value.get()
    print(f"DUPLICATES {int(duplicates)}", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
