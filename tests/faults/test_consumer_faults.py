"""The idempotent consumer under process faults, on the session's real PostgreSQL and broker:
a consumer SIGKILLed in the middle of a batch, a rebalance when another consumer of the same
group starts, and a database that is still starting up."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import struct
import subprocess
import sys
import threading
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiokafka import AIOKafkaProducer
from crm_contracts import CloudEvent, dlq_topic
from crm_contracts.customers import CustomerCreatedV1
from servicekit.consumer import EventHandlers, IdempotentConsumer
from servicekit.db import create_engine, create_session_factory
from servicekit.kafka import ProducerHolder, ensure_topics
from servicekit.migrations import install_platform_tables
from servicekit.settings import ServiceSettings
from servicekit.testing import TestInfra, read_events
from servicekit.testing.events import customer_created
from sqlalchemy import text

PROBE = Path(__file__).with_name("consumer_probe.py")
EVENTS = 200


async def publish(bootstrap: str, topic: str, events: list[CloudEvent]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        sent = [
            await producer.send(topic, e.to_json_bytes(), key=e.partitionkey.encode())
            for e in events
        ]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


class Probe:
    """consumer_probe.py running in a process of its own; its output read by a thread."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(PROBE), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip())

    async def wait_for(self, word: str, timeout_s: float = 60) -> None:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while word not in self.lines:
            assert self.proc.poll() is None, f"probe exited: {self.lines[-20:]}"
            assert asyncio.get_running_loop().time() < deadline, f"no {word}: {self.lines[-20:]}"
            await asyncio.sleep(0.1)

    def stop(self) -> int:
        """SIGTERM (a graceful stop: finish the batch, commit) and the duplicates it skipped."""
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(30)
        self._reader.join(5)
        found = [int(line.split()[1]) for line in self.lines if line.startswith("DUPLICATES")]
        assert found, self.lines[-20:]
        return found[0]

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@pytest_asyncio.fixture
async def probe_world(infra: TestInfra) -> AsyncIterator[dict[str, Any]]:
    """A database with the platform tables and an `effects` table, and a topic of its own."""
    url = await infra.create_database(f"faults_{uuid.uuid4().hex[:10]}")
    settings = infra.settings(ServiceSettings, database_url=url)
    engine = create_engine(settings)
    async with engine.begin() as conn:
        await conn.run_sync(install_platform_tables)
        await conn.execute(text("CREATE TABLE effects (event_id uuid NOT NULL, pid int NOT NULL)"))
    topic = f"probe.faults-{uuid.uuid4().hex[:8]}.events"
    await ensure_topics(infra.bootstrap, [topic, dlq_topic(topic)], partitions=4)
    try:
        yield {"url": url, "engine": engine, "topic": topic}
    finally:
        await engine.dispose()


async def scalar(engine: Any, query: str) -> Any:
    async with engine.connect() as conn:
        return (await conn.execute(text(query))).scalar()


async def until(engine: Any, query: str, wanted: Any, timeout_s: float) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while (found := await scalar(engine, query)) < wanted:
        assert asyncio.get_running_loop().time() < deadline, f"{query}: {found} < {wanted}"
        await asyncio.sleep(0.2)


@pytest.mark.timeout(240)
async def test_a_consumer_killed_mid_batch_then_a_rebalance_apply_every_event_exactly_once(
    infra: TestInfra, probe_world: dict[str, Any], tenant: str, terminal: Any
) -> None:
    engine, topic = probe_world["engine"], probe_world["topic"]
    group = f"probe-{uuid.uuid4().hex[:8]}"
    events = [customer_created(tenant) for _ in range(EVENTS)]
    await publish(infra.bootstrap, topic, events)
    url, bootstrap = probe_world["url"], infra.bootstrap
    probes: list[Probe] = []
    try:
        # 1. A consumer applies batches of 25 and hangs on its 60th event: two batches are
        # committed to the database, the third is open when SIGKILL comes.
        first = Probe(url, bootstrap, topic, "-", "--hang-at", "60", "--delay-ms", "5")
        probes.append(first)
        await first.wait_for("HANGING", 90)
        first.kill()
        applied = await scalar(engine, "SELECT count(*) FROM effects")
        assert 25 <= applied < 60, "the open batch must be rolled back with the process"

        # 2. A consumer group takes over; it reads the topic from the start, so the events
        # applied before the kill come again. While it works, a second member joins and the
        # group rebalances the partitions between them.
        second = Probe(url, bootstrap, topic, group, "--delay-ms", "100")
        probes.append(second)
        await second.wait_for("READY", 90)
        third = Probe(url, bootstrap, topic, group, "--delay-ms", "100")
        probes.append(third)
        await third.wait_for("READY", 90)
        left = EVENTS - await scalar(engine, "SELECT count(DISTINCT event_id) FROM effects")
        await until(engine, "SELECT count(DISTINCT event_id) FROM effects", EVENTS, 120)
        await asyncio.sleep(1)  # a late duplicate would show now
        skipped = second.stop() + third.stop()
    finally:
        for probe in probes:
            probe.kill()

    assert await scalar(engine, "SELECT count(*) FROM effects") == EVENTS
    assert await scalar(engine, "SELECT count(DISTINCT event_id) FROM effects") == EVENTS
    assert await scalar(engine, "SELECT count(*) FROM inbox WHERE consumer = 'probe'") == EVENTS
    assert skipped >= applied, "every event applied before the kill came again and was skipped"
    moves = [line for line in second.lines if line.startswith("ASSIGNED")]
    assert len(moves) >= 2, f"the second member's join did not rebalance the group: {moves}"
    assert left > 0, "the work was done before the rebalance"
    terminal(
        f"\n   consumer faults: {EVENTS} events; killed mid-batch after {applied} applied; "
        f"group rebalanced ({' -> '.join(m[9:] or '-' for m in moves)} | "
        f"{' -> '.join(m[9:] or '-' for m in third.lines if m.startswith('ASSIGNED'))}) with "
        f"{left} left; every effect once, {skipped} redeliveries skipped by the inbox"
    )


# -- a database that is still starting up -----------------------------------------------------


async def serve_a_starting_postgres(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """Answer like PostgreSQL during start-up or crash recovery: SQLSTATE 57P03."""
    try:
        while True:
            length, code = struct.unpack("!ii", await reader.readexactly(8))
            if code in (80877103, 80877104):  # SSLRequest, GSSENCRequest: no
                writer.write(b"N")
                await writer.drain()
                continue
            await reader.readexactly(length - 8)
            fields = (
                b"SFATAL\0VFATAL\0C57P03\0"
                b"Mthe database system is not yet accepting connections\0"
                b"DConsistent recovery state has not been yet reached.\0\0"
            )
            writer.write(b"E" + struct.pack("!i", len(fields) + 4) + fields)
            await writer.drain()
            return
    except (asyncio.IncompleteReadError, ConnectionError):
        return
    finally:
        writer.close()


@pytest.mark.timeout(60)
async def test_a_database_that_is_still_starting_up_is_retried_not_dead_lettered(
    infra: TestInfra, probe_world: dict[str, Any], tenant: str
) -> None:
    server = await asyncio.start_server(serve_a_starting_postgres, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    settings = infra.settings(
        ServiceSettings,
        database_url=f"postgresql+asyncpg://postgres@127.0.0.1:{port}/starting",
        service_name="probe",
        consumer_max_attempts=2,
        consumer_retry_backoff_s=0.05,
        consumer_start_at_end=False,
    )
    handlers = EventHandlers()

    @handlers.on(CustomerCreatedV1)
    async def apply(session: Any, event: CloudEvent) -> None:
        await session.execute(text("SELECT 1"))

    engine = create_engine(settings)
    producers = ProducerHolder(settings)
    topic = probe_world["topic"]
    consumer = IdempotentConsumer(
        name="probe",
        topics=[topic],
        handlers=handlers,
        session_factory=create_session_factory(engine),
        producers=producers,
        settings=settings,
    )
    event = customer_created(tenant)
    await publish(infra.bootstrap, topic, [event])
    stop = asyncio.Event()
    running = asyncio.create_task(consumer.run(stop))
    try:
        # Two attempts at 0.05 s back-off are long over; a transient error keeps retrying.
        dead = await read_events(
            infra.bootstrap, dlq_topic(topic), where=lambda e: e.id == event.id, timeout_s=4
        )
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(running, 20)
        await producers.close()
        await engine.dispose()
        server.close()
    assert dead == [], "an unreachable database is not the event's fault"
