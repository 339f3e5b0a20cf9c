"""The whole platform as real processes (`crm up` on free ports), the faults done to it, and
the audit that proves nothing was lost and nothing applied twice.

The audit reads the source of truth where it lives, each service's own database, and the
broker's topics; reporting is compared through its HTTP report (its tables are its own).
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import json
import os
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from crm_contracts import ALL_TOPICS
from crm_local.home import pid_alive, process_start_ticks
from crm_local.services import SERVICES
from crm_local.supervisor import READY_MARKER
from crm_local.testing import START_TIMEOUT_S, CrmUp

SERVICE_NAMES = tuple(s.name for s in SERVICES)
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The long variants run only when asked for (`make soak` is `pytest -m slow`)."""
    if "slow" in (config.getoption("markexpr") or ""):
        return
    here = Path(__file__).parent
    skip = pytest.mark.skip(reason="long variant: run by `make soak` (pytest -m slow)")
    for item in items:
        if item.get_closest_marker("slow") and here in Path(str(item.path)).parents:
            item.add_marker(skip)


# -- the platform -------------------------------------------------------------------------


def tuned_env() -> dict[str, str]:
    """Knobs of every service for these tests: the relay checks for a broker that lost its
    data every 2 s (production: 30 s) and the load is not throttled (the rate limit has
    tests of its own). Consumer retries keep their defaults: they are part of what is
    proven here."""
    env: dict[str, str] = {}
    for spec in SERVICES:
        p = spec.env_prefix
        env |= {f"{p}OUTBOX_LOSS_CHECK_INTERVAL_S": "2", f"{p}RATE_LIMIT_PER_MINUTE": "0"}
    return env


class FaultPlatform(CrmUp):
    """`crm up` with tuned services, and the handles a fault test needs."""

    def url(self, service: str) -> str:
        return str(self.run_info()["services"][service]["url"])

    @property
    def postgres(self) -> str:
        pg = self.run_info()["postgres"]
        return f"postgresql://postgres@{pg['host']}:{pg['port']}"

    def database(self, service: str) -> str:
        return f"{self.postgres}/crm_{service.replace('-', '_')}"

    @property
    def bootstrap(self) -> str:
        broker = self.run_info()["broker"]
        return f"{broker['host']}:{broker['port']}"

    def token(self, user: str, *, tenant: str, **claims: Any) -> str:
        from servicekit.keys import DEMO_USERS, mint_token

        demo = DEMO_USERS[user]
        return mint_token(
            self.home / "keys" / "signing-key.pem",
            sub=user,
            tenant=tenant,
            roles=list(demo.roles),
            branch=demo.branch,
            **claims,
        )

    def headers(self, user: str, *, tenant: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(user, tenant=tenant)}"}

    def pid(self, part: str) -> int | None:
        """The live PID of a service, `postgres` or `broker`, from run.json."""
        info = self.run_info()
        entry = info["services"].get(part) or info.get(part) or {}
        pid = entry.get("pid")
        return int(pid) if pid and pid_alive(int(pid)) else None

    def uptime_s(self, pid: int) -> float:
        started = process_start_ticks(pid)
        if started is None:
            return 0.0
        boot_uptime = float(Path("/proc/uptime").read_text().split()[0])
        return boot_uptime - started / CLOCK_TICKS

    def signal(self, part: str, sig: int) -> int:
        pid = self.pid(part)
        assert pid is not None, f"{part} is not running"
        os.kill(pid, sig)
        return pid

    def ready(self, service: str) -> bool:
        try:
            return httpx.get(f"{self.url(service)}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    async def audit(self, tenants: list[str]) -> Audit:
        return await audit(self, tenants)

    async def customers_truth(self, tenant: str) -> dict[tuple[str, str], int]:
        return await customers_truth(self, tenant)

    async def reporting_summary(self, tenant: str) -> dict[tuple[str, str], int]:
        return await reporting_summary(self, tenant)

    def consumers_handling(self, event_type: str) -> list[str]:
        """Names of the consumers with a handler for `event_type`."""
        return sorted(
            name for name, (_, _, types) in consumer_subscriptions().items() if event_type in types
        )

    @staticmethod
    def service_of(consumer: str) -> str:
        return consumer_subscriptions()[consumer][0]

    async def applied_by(self, consumers: list[str], event_id: str) -> dict[str, bool]:
        """For each consumer: is `event_id` in its inbox (applied, in the effect's
        transaction)?"""
        found = {}
        for consumer in consumers:
            rows = await self.fetch(
                self.service_of(consumer),
                "SELECT 1 FROM inbox WHERE consumer = $1 AND event_id = $2::uuid",
                consumer,
                event_id,
            )
            found[consumer] = bool(rows)
        return found

    async def widen_owner_columns(self, service: str, length: int = 512) -> list[str]:
        """What a migration fixing "owner ids longer than 128" would do to a database."""
        columns = await self.fetch(
            service,
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = 'public' AND column_name LIKE '%owner%'"
            " AND data_type = 'character varying' AND character_maximum_length < $1",
            length,
        )
        for column in columns:
            await self.fetch(
                service,
                f'ALTER TABLE "{column["table_name"]}" ALTER COLUMN "{column["column_name"]}"'
                f" TYPE varchar({length})",
            )
        return [f"{c['table_name']}.{c['column_name']}" for c in columns]

    async def fetch(self, service: str, query: str, *args: Any) -> list[asyncpg.Record]:
        """Rows of a query on a service's own database."""
        return await _fetch(self.database(service), query, *args)

    async def metric(self, service: str, name: str) -> float:
        """Sum of a Prometheus counter or gauge over its labels, from /metrics."""
        async with httpx.AsyncClient(timeout=5) as client:
            text = (await client.get(f"{self.url(service)}/metrics")).text
        return sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith((name + "{", name + " "))
        )

    @staticmethod
    async def settle(check: Any, *, timeout_s: float, interval_s: float = 1.0) -> Any:
        """Await `check()` until it reports no problem (falsy) or time is up; the last
        report."""
        deadline = time.monotonic() + timeout_s
        while True:
            report = await check()
            if not report or time.monotonic() > deadline:
                return report
            await asyncio.sleep(interval_s)

    def wait_all_ready(self, timeout_s: float = 120) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if all(self.pid(s) and self.ready(s) for s in SERVICE_NAMES):
                return
            time.sleep(0.5)
        raise AssertionError(f"not every service is ready again:\n{self.output[-4000:]}")


_booting: FaultPlatform | None = None


def new_platform() -> FaultPlatform:
    home = Path(tempfile.mkdtemp(prefix="crm-faults-")) / "home"
    platform = FaultPlatform(home, tuned_env())
    platform.start("--log-level", "WARNING")
    return platform


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start booting the platform (about 40 s here) as soon as the session knows a test will
    want it: it comes up while the tests before it run."""
    global _booting
    if _booting is None and any(
        "crm_platform" in getattr(item, "fixturenames", ())
        and item.get_closest_marker("skip") is None
        for item in session.items
    ):
        _booting = new_platform()


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _booting is not None:
        _booting.cleanup()


@pytest.fixture(scope="session")
def crm_platform() -> Iterator[FaultPlatform]:
    """One platform for the fault tests of the session."""
    global _booting
    platform = _booting or new_platform()
    _booting = platform
    try:
        platform.wait_for_output(READY_MARKER, START_TIMEOUT_S)
        yield platform
    finally:
        platform.cleanup()
        _booting = None


# -- what the broker holds ------------------------------------------------------------------


async def topic_event_ids(bootstrap: str, topics: tuple[str, ...] = ALL_TOPICS) -> Counter[str]:
    """How many times each event id is in `topics` now (read from the start to the end)."""
    from aiokafka import AIOKafkaConsumer, TopicPartition
    from crm_local.dlq import caught_up

    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=50
    )
    await consumer.start()
    seen: Counter[str] = Counter()
    try:
        await consumer.topics()
        partitions = [
            TopicPartition(t, p) for t in topics for p in consumer.partitions_for_topic(t) or ()
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        todo = set(partitions)
        deadline = asyncio.get_running_loop().time() + 60
        while todo and asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(*todo, timeout_ms=500, max_records=5000)
            for records in batch.values():
                for record in records:
                    seen[str(json.loads(record.value).get("id"))] += 1
            for tp in list(todo):
                if await caught_up(consumer, tp):
                    todo.discard(tp)
        assert not todo, f"could not read {todo} to the end"
    finally:
        await consumer.stop()
    return seen


# -- the audit ------------------------------------------------------------------------------

# Copies with a known bug: counted and printed, not failed on, each proven by a test marked
# xfail(strict=True) that turns red once the bug is fixed; then remove the entry here.
KNOWN_BUGS: dict[str, str] = {}


def service_definition(module: str) -> Any:
    """`<module>.app.definition()`, given unvalidated default settings if it wants some."""
    from servicekit.settings import ServiceSettings

    app = importlib.import_module(f"{module}.app")
    wanted = inspect.signature(app.definition).parameters.values()
    if not any(p.default is p.empty for p in wanted):
        return app.definition()
    config = importlib.import_module(f"{module}.config")
    settings_cls = next(
        v
        for v in vars(config).values()
        if isinstance(v, type) and issubclass(v, ServiceSettings) and v is not ServiceSettings
    )
    return app.definition(settings_cls.model_construct())


def consumer_subscriptions() -> dict[str, tuple[str, set[str], set[str]]]:
    """consumer name -> (service, topics, event types it handles), from the definitions."""
    found: dict[str, tuple[str, set[str], set[str]]] = {}
    for spec in SERVICES:
        definition = service_definition(spec.module)
        if definition.subscribes and definition.handlers.by_type:
            found[f"crm-{definition.name}"] = (
                spec.name,
                set(definition.subscribes),
                set(definition.handlers.by_type),
            )
    return found


@dataclass
class Audit:
    """What the databases and the broker say after a run, for the tenants of the run."""

    events: int = 0  # outbox rows of the run's tenants (one per business change)
    unpublished: int = 0  # outbox rows of any tenant still waiting for the broker
    not_in_topic: list[str] = field(default_factory=list)
    topic_copies: int = 0  # records of the run's events in the topics (republishes add)
    inbox_missing: dict[str, list[str]] = field(default_factory=dict)
    inbox_rows: int = 0
    sequence_duplicates: list[str] = field(default_factory=list)
    sequence_gaps: list[str] = field(default_factory=list)
    version_mismatches: list[str] = field(default_factory=list)
    copy_mismatches: dict[str, list[str]] = field(default_factory=dict)
    known_bug_mismatches: dict[str, list[str]] = field(default_factory=dict)
    revenue_over: list[str] = field(default_factory=list)  # a won deal counted twice
    revenue_under: list[str] = field(default_factory=list)  # a won deal not counted
    feed_duplicates: int = 0
    customers: int = 0
    by_type: Counter[str] = field(default_factory=Counter)

    @property
    def duplicates(self) -> int:
        """Effects applied more than once, or changes published under two events."""
        return len(self.sequence_duplicates) + len(self.revenue_over) + self.feed_duplicates

    @property
    def missing(self) -> int:
        """Events not on the broker, not applied by a consumer, or copies that differ."""
        return (
            self.unpublished
            + len(self.not_in_topic)
            + sum(len(v) for v in self.inbox_missing.values())
            + sum(len(v) for v in self.copy_mismatches.values())
            + len(self.revenue_under)
            + len(self.sequence_gaps)
            + len(self.version_mismatches)
        )

    def problems(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "unpublished": self.unpublished,
            "not_in_topic": self.not_in_topic[:10],
            "inbox_missing": {k: v[:5] for k, v in self.inbox_missing.items() if v},
            "sequence_duplicates": self.sequence_duplicates[:10],
            "sequence_gaps": self.sequence_gaps[:10],
            "version_mismatches": self.version_mismatches[:10],
            "copy_mismatches": {k: v[:5] for k, v in self.copy_mismatches.items() if v},
            "revenue_over": self.revenue_over[:10],
            "revenue_under": self.revenue_under[:10],
            "feed_duplicates": self.feed_duplicates,
        }
        return {k: v for k, v in found.items() if v}


async def _fetch(dsn: str, query: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        return list(await conn.fetch(query, *args))
    finally:
        await conn.close()


async def audit(platform: FaultPlatform, tenants: list[str]) -> Audit:
    """Compare every copy with its source of truth for `tenants`; see Audit."""
    result = Audit()
    db = platform.database
    outbox: list[asyncpg.Record] = []
    for service in SERVICE_NAMES:
        rows = await _fetch(
            db(service),
            "SELECT event_id::text AS id, event_type, topic, published_at IS NULL AS pending,"
            " created_at, published_at, attempts,"
            " envelope->>'subject' AS subject, partition_key,"
            " (envelope->>'sequence')::bigint AS sequence, envelope->'data' AS data"
            " FROM outbox WHERE tenant_id = ANY($1::text[])",
            tenants,
        )
        outbox += rows
        result.unpublished += (
            await _fetch(db(service), "SELECT count(*) AS n FROM outbox WHERE published_at IS NULL")
        )[0]["n"]
    result.events = len(outbox)
    result.by_type = Counter(r["event_type"] for r in outbox)

    # Every change once in its outbox: per aggregate, sequences 1..n with none twice.
    per_aggregate: dict[tuple[str, str], list[int]] = defaultdict(list)
    for r in outbox:
        per_aggregate[(r["topic"], r["subject"] or r["partition_key"])].append(r["sequence"])
    for (topic, aggregate), seqs in per_aggregate.items():
        if len(seqs) != len(set(seqs)):
            result.sequence_duplicates.append(f"{topic} {aggregate}: {sorted(seqs)}")
        if sorted(set(seqs)) != list(range(1, max(seqs) + 1)):
            result.sequence_gaps.append(f"{topic} {aggregate}: {sorted(seqs)}")

    # Every event on the broker at least once.
    on_broker = await topic_event_ids(platform.bootstrap)
    result.not_in_topic = [
        f"{r['id']} {r['event_type']} created {r['created_at']:%H:%M:%S.%f} published "
        f"{r['published_at']} after {r['attempts']} attempts"
        for r in outbox
        if on_broker[r["id"]] == 0
    ]
    result.topic_copies = sum(on_broker[r["id"]] for r in outbox)

    # Every event applied by each consumer that handles its type (the inbox row is written
    # in the transaction of the effect; its primary key allows one per consumer).
    for consumer, (service, topics, types) in consumer_subscriptions().items():
        expected = {r["id"] for r in outbox if r["topic"] in topics and r["event_type"] in types}
        got = {
            r["id"]
            for r in await _fetch(
                db(service),
                "SELECT event_id::text AS id FROM inbox WHERE consumer = $1"
                " AND event_id = ANY($2::uuid[])",
                consumer,
                list(expected),
            )
        }
        result.inbox_rows += len(got)
        result.inbox_missing[consumer] = sorted(expected - got)

    # The customers (source of truth) and their copies in other services.
    customers = {
        (r["tenant_id"], str(r["id"])): r
        for r in await _fetch(
            db("customers"),
            "SELECT tenant_id, id, branch_id, owner_id, name, version, revenue,"
            " deleted_at IS NOT NULL AS deleted FROM customers WHERE tenant_id = ANY($1::text[])",
            tenants,
        )
    }
    result.customers = len(customers)
    latest = {
        aggregate: max(seqs)
        for (topic, aggregate), seqs in per_aggregate.items()
        if topic == "crm.customers.events"
    }
    for (_, cid), row in customers.items():
        if latest.get(f"customer/{cid}") != row["version"]:
            result.version_mismatches.append(
                f"customer {cid}: version {row['version']}, last event "
                f"{latest.get(f'customer/{cid}')}"
            )

    def compare(name: str, rows: list[asyncpg.Record], fields: dict[str, str]) -> None:
        copies = {(r["tenant_id"], str(r["customer_id"])): r for r in rows}
        wrong = []
        for key, truth in customers.items():
            copy = copies.get(key)
            if copy is None:
                wrong.append(f"{key[1]}: no copy")
                continue
            for theirs, ours in fields.items():
                if copy[theirs] != truth[ours]:
                    wrong.append(f"{key[1]}: {theirs} {copy[theirs]!r} != {truth[ours]!r}")
        if name in KNOWN_BUGS:
            result.known_bug_mismatches[name] = wrong
        else:
            result.copy_mismatches[name] = wrong

    compare(
        "sales.customer_facts",
        await _fetch(
            db("sales"),
            "SELECT tenant_id, customer_id, owner_id, branch_id, name,"
            " deleted_at IS NOT NULL AS deleted FROM customer_facts"
            " WHERE tenant_id = ANY($1::text[])",
            tenants,
        ),
        {"owner_id": "owner_id", "branch_id": "branch_id", "name": "name", "deleted": "deleted"},
    )
    compare(
        "service-desk.customer_facts",
        await _fetch(
            db("service-desk"),
            "SELECT tenant_id, customer_id, owner_id, branch_id, name, deleted"
            " FROM customer_facts WHERE tenant_id = ANY($1::text[])",
            tenants,
        ),
        {"owner_id": "owner_id", "branch_id": "branch_id", "name": "name", "deleted": "deleted"},
    )
    compare(
        "notifications.customer_owners",
        await _fetch(
            db("notifications"),
            "SELECT tenant_id, customer_id, owner_id, branch_id, name FROM customer_owners"
            " WHERE tenant_id = ANY($1::text[])",
            tenants,
        ),
        {"owner_id": "owner_id", "branch_id": "branch_id", "name": "name"},
    )

    # A won deal adds its amount to the customer's revenue, once (not idempotent by itself:
    # applied twice, the revenue doubles).
    won: dict[str, Decimal] = defaultdict(Decimal)
    for r in outbox:
        if r["event_type"] == "crm.sales.opportunity.won.v1":
            data = json.loads(r["data"])
            won[str(data["customer_id"])] += Decimal(str(data["amount"]))
    for (_, cid), row in customers.items():
        have, want = Decimal(str(row["revenue"] or 0)), won.get(cid, Decimal(0))
        if have > want + Decimal("0.01"):
            result.revenue_over.append(f"{cid}: revenue {have}, won {want}")
        elif have < want - Decimal("0.01"):
            result.revenue_under.append(f"{cid}: revenue {have}, won {want}")

    # The event feed of notifications keeps every event once.
    feed = await _fetch(
        db("notifications"),
        "SELECT event_id::text AS id, count(*) AS n FROM feed_events"
        " WHERE tenant_id = ANY($1::text[]) GROUP BY event_id",
        tenants,
    )
    result.feed_duplicates = sum(r["n"] - 1 for r in feed)
    return result


async def customers_truth(platform: FaultPlatform, tenant: str) -> dict[tuple[str, str], int]:
    """Customers per (branch, lifecycle stage) in the customers database: what reporting's
    summary must show an admin."""
    rows = await _fetch(
        platform.database("customers"),
        "SELECT branch_id, lifecycle_stage, count(*) AS n FROM customers"
        " WHERE tenant_id = $1 AND deleted_at IS NULL GROUP BY 1, 2",
        tenant,
    )
    return {(r["branch_id"], r["lifecycle_stage"]): r["n"] for r in rows}


async def reporting_summary(platform: FaultPlatform, tenant: str) -> dict[tuple[str, str], int]:
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.get(
            f"{platform.url('reporting')}/reports/customers/summary",
            headers=platform.headers("admin", tenant=tenant),
        )
    assert response.status_code == 200, response.text
    return {
        (r["branch_id"], r["lifecycle_stage"]): r["customers"] for r in response.json()["items"]
    }
