"""Standing notes for the results page: how the figures are made, and what limits the targets
this platform misses on this machine, with the evidence (the profiles are appended under the
sections when py-spy is available) and what would fix it."""

from __future__ import annotations

from bench.context import Context

METHOD = [
    "Platform: `crm up` (crm_local.testing.CrmUp) with a fresh home on free ports: embedded "
    "PostgreSQL 18 with fsync on (as `make up`), the Tansu broker, the five services under "
    "uvicorn (uvloop, httptools) with their default settings (INFO logs, rate limit 1,200/min "
    "per user, pool 10 + 10, consumer fetch_max_wait 30 ms).",
    "Load generator (section 0): wrk from Debian (one thread, a generated Lua script: a unique "
    "body per request, 256 users' tokens in rotation); `bench.httpload` (asyncio + uvloop, "
    "own process) when wrk cannot be installed. Its ceiling row shows what it drives against a "
    "canned-answer server and its CPU per request: at the rates measured here it needs ~1% "
    "of a core, so it is never the bottleneck.",
    "CPU of each side: /proc/<pid>/stat of every process group (load generator, the service, "
    "the other services, PostgreSQL with all its backends, the broker, the benchmark process) "
    "over the measured interval, in % of one core; `others` is the machine's busy time minus "
    "ours: the other engineers' test suites sharing the two cores.",
    "Ratios: the service and its baseline run alternately (S B S B, 2 rounds of half the "
    "duration), so a change in the machine's other load hits both; the CPU-per-request row "
    "gives the load-independent comparison (CPU time does not stretch when the machine is "
    "busy; wall time does).",
    "Sizes that did not fit the 15-minute budget are stated in the row itself (the rebuild "
    "is time-boxed; the topic size is what could be produced in the time given to it).",
]

LIMITS = [
    "**The machine.** Other engineers' test suites kept 1 to 1.7 of the 2 cores busy "
    "(`others` in every row; load average 3 to 20 across the runs). Row `0 machine` "
    "measures what that does to one hop between two busy processes: a few ms at p50 and "
    "tens of ms at p99, where an idle machine adds ~0.05 ms. A write through the platform "
    "makes 20 to 30 such hops "
    "(client, service, every PostgreSQL round trip, broker, consumers), the baseline about 8, "
    "so wall-clock figures here punish the platform more than its CPU cost does. The "
    "`CPU per request` rows are the load-independent comparison.",
    "{write_path} Profile of customers under load "
    "(development run, py-spy; `make bench` appends its own below): asyncpg 26% and "
    "SQLAlchemy 17% (7 statements per create: BEGIN, pool pre-ping, tenant policy, custom "
    "fields, INSERT customer, INSERT outbox, COMMIT with NOTIFY, against the baseline's "
    "BEGIN, INSERT, COMMIT), thread-pool hand-off 24% (FastAPI runs the synchronous "
    "dependencies `get_principal`, `require_roles`' check and `get_uow` in AnyIO worker "
    "threads: 2 to 3 thread hops and GIL hand-offs per request), `load_policy` 15%, the "
    "outbox row 13%, phonenumbers 3%, JWT verification 2% (and the rate limiter decodes the "
    "token a second time).",
    "Fixes for the write path, in order of gain: (1) servicekit.auth: `get_principal` and "
    "the `require_roles` check as `async def` (an ES256 verification is ~0.1 ms), and the "
    "services' `get_uow`/`get_session` likewise: no thread hop; (2) customers: cache the "
    "tenant policy and custom fields in the process (short TTL, or invalidated by the "
    "settings change): 2 round trips fewer per create; (3) servicekit.db: drop "
    "`pool_pre_ping` (a round trip per transaction; `pool_recycle` and one retry on a dead "
    "connection cover it) and size the pool to the expected concurrency (32 clients open and "
    "close overflow connections: `_create_ssl_connection` shows in the profile, and asyncpg "
    "first tries SSL; `ssl=False` on loopback); (4) one Core INSERT per table with compiled "
    "statements for the write (the ORM unit of work flush is most of the SQLAlchemy share). "
    "(1) to (3) are worth roughly half the serving process's CPU; 0.8 of a bare insert also "
    "needs (4) and cheaper consumers (below).",
    "**Outbox NOTIFY.** Row `PostgreSQL commits/s ... NOTIFY`: on the platform's server "
    "(fsync on) transactions that NOTIFY reach a third to two fifths of plain commits: "
    "PostgreSQL holds a server-wide lock from a notifying transaction's pre-commit to its "
    "commit record's flush, so they cannot share WAL flushes (group commit). It is a ceiling "
    "shared by all "
    "five services' writes (1,000 to 2,000/s here), not today's limit. Fix (servicekit.outbox and "
    "its trigger): notify only when the relay is idle (the relay sets a flag row when it "
    "goes to sleep and the trigger notifies only if the flag is set), and while busy the "
    "relay loops without waiting.",
    "**Event latency (p50 <= 20 ms, p99 <= 100 ms at 200 writes/s): missed.** (a) 200 "
    "writes/s is above what `POST /customers` sustains here (see its throughput), so the "
    "open-loop writer holds 64 writes in flight and the figure is mostly queueing in the "
    "write path (the `relay marked it published` leg includes the wait for a busy customers "
    "process). (b) The 20 writes/s rows show the event path with the write path unsaturated; "
    "their notes split it on the databases' clocks: relay (NOTIFY wake-up, SELECT, produce "
    "with acks=all, UPDATE), then broker and fetch (Tansu holds each fetch for the whole "
    "`fetch_max_wait_ms`; the consumer handles one partition batch after another, each with "
    "its transaction and an offset commit), then the batch transaction to commit. Each leg "
    "is several round trips between processes, and each waits for a CPU here (row "
    "`0 machine`), which is why the legs are tens to hundreds of ms, not the few ms they "
    "take on an idle machine (ARCHITECTURE.md: p50 ~15 ms at 10 ms). The two settings run "
    "minutes apart and the machine's load moved in between (see their load cells), so their "
    "difference here is not the setting's alone. Fixes: `fetch_max_wait_ms` 10 ms for "
    "reporting on the embedded broker (the idle broker CPU rises, see the idle row); fewer "
    "round trips per consumer batch (inbox, sequence check, projection and offset commit "
    "pipelined, and the inbox insert below); in the relay, mark and select the next batch "
    "in one round trip. On Apache Kafka a fetch returns as data arrives.",
    "{rebuild}",
    "{relay} It sends a batch of 500, waits for every ack, "
    "then marks them with one UPDATE; the raw producer keeps everything in flight. Two "
    "batches in flight (SELECT the next while the current is acknowledged) would close "
    "most of the gap if it ever matters.",
    "**crm up time to ready.** Mostly the five services importing at once on two cores "
    "(python -X importtime, reporting alone under this load: sqlalchemy 2.1 s, fastapi "
    "0.9 s, crm_contracts 0.9 s, alembic 0.5 s). Fix: import Alembic only to migrate "
    "(servicekit.runtime imports servicekit.migrations for /readyz), and let `crm up` start "
    "each service as soon as its own database is migrated.",
]


REBUILD_WHY = (
    "Two steps so far. The projection committed before the reporting rework (f072ec5) "
    "issued 2 statements per event through the ORM session, one after the other: ~230 "
    "events/s here, ~1.6 ms of CPU per event. The rework (set-based batches, 2dc1d0a) "
    "is 5 to 9 times faster (this table). This run's rebuild profile (section 3 "
    "below) shows what is left: about 30% of all samples in "
    "`_extend_values_for_multiparams` and the SQL compiler (`coercions.expect`, "
    "`visit_bindparam`): that is servicekit's `IdempotentConsumer._apply_many` inserting the "
    "batch's inbox rows as `insert(inbox).values([... 500 dicts])`, a multi-VALUES statement "
    "SQLAlchemy builds and compiles again for every batch (reporting's own statements are "
    "cached text with array parameters); then JSON encoding of the rows (~9%), pydantic "
    "parsing (~4%), the fold of patches (~5%). Fix (servicekit.consumer): insert the inbox "
    "rows as one cached `INSERT INTO inbox SELECT * FROM unnest($1::text[], $2::uuid[], ...) "
    "ON CONFLICT DO NOTHING RETURNING event_id`, as `_track_sequences` already does: about a "
    "third of the rebuild's CPU. Beyond that, 0.3 of a raw consume (~40,000/s on this "
    "machine) means ~25 µs per event in Python: it needs batches of several thousand events "
    "per transaction (`consumer_batch_size` and `max_poll_records` up during a rebuild), "
    "parsing without building pydantic models for events no handler wants, and PostgreSQL "
    "COPY for the bulk of a rebuild."
)


def _write_path(facts: dict[str, float]) -> str:
    ratios = [facts[k] for k in ("customers_ratio", "opportunities_ratio") if k in facts]
    verdict = (
        "met"
        if ratios and min(ratios) >= 0.8
        else "missed by CPU per request, not by the machine alone"
    )
    text = f"**Write path (target >= 0.8 of the baseline): {verdict}.** "
    text += "The `CPU per request` rows split each write's CPU by process. "
    served = [
        f"{facts[k]:.1f}x ({name})"
        for k, name in (
            ("customers_serving_cpu_x", "customers"),
            ("opportunities_serving_cpu_x", "sales"),
        )
        if k in facts
    ]
    if served:
        worst = max(
            facts.get("customers_serving_cpu_x", 0), facts.get("opportunities_serving_cpu_x", 0)
        )
        text += (
            f"The serving process alone spends {' and '.join(served)} the baseline app's CPU "
            f"per request, so even with free cores its ratio could not pass ~{1 / worst:.2f}; "
            "on one machine the other services consuming the published event spend more again."
        )
    return text


def _rebuild(facts: dict[str, float]) -> str:
    ratio = facts.get("rebuild_ratio")
    if ratio is None:
        return "**Rebuild (>= 0.3 of raw consume).**"
    if ratio >= 0.3:
        return f"**Rebuild (>= 0.3 of raw consume): met ({ratio:.2f}).**"
    text = f"**Rebuild (>= 0.3 of raw consume): missed ({ratio:.3f}).** "
    own, raw = facts.get("rebuild_cpu_us"), facts.get("consume_cpu_us")
    if own and raw:
        text += (
            f"Raw aiokafka reads the topic at ~{raw:.0f} µs of CPU per event; the rebuilding "
            f"consumer spends ~{own / 1000:.1f} ms per event in this process, so even a free "
            f"core would apply only ~{1e6 / own:,.0f}/s. "
        )
    return text + REBUILD_WHY


def _relay(facts: dict[str, float]) -> str:
    ratio = facts.get("relay_ratio")
    if ratio is None:
        return "**Relay (>= 0.5 of raw produce).**"
    verdict = "met" if ratio >= 0.5 else "missed"
    return f"**Relay (>= 0.5 of raw produce): {verdict} ({ratio:.2f}).**"


def standing_notes(ctx: Context) -> dict[str, list[str]]:
    parts = {
        "write_path": _write_path(ctx.facts),
        "rebuild": _rebuild(ctx.facts),
        "relay": _relay(ctx.facts),
    }
    limits = [
        item.replace("{write_path}", parts["write_path"])
        .replace("{rebuild}", parts["rebuild"])
        .replace("{relay}", parts["relay"])
        for item in LIMITS
    ]
    return {"Method": list(METHOD), "What limits the missed targets": limits}
