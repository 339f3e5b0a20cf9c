"""4. Scale: report latency as the data grows (10k, 100k, 1M rows).

The funnel, forecast and value-pyramid reports are being built in the reporting service
together with their benchmark scripts (`bench/reporting_*.py`, run by bench.hooks). Until
they land, this section measures the report that exists, `GET /reports/customers/summary`,
with the same method, so the harness and the table row are ready:
- the read model is bulk-loaded to each size (SQL, not events: the rebuild is measured in
  section 3), then VACUUM ANALYZE, as autovacuum would have done;
- the reporting app runs in this process (HTTP through httpx's ASGI transport, no socket)
  and is asked N times in a row, one request at a time: p50/p99;
- an executive (pre-aggregated counts) and a rep (own book of ~500 customers: reps grow with
  the data, as they do in a company) ask.
"""

from __future__ import annotations

import time

import asyncpg
from servicekit.testing.infra import TestInfra, running_service

from bench.context import Context
from bench.report import Row, fmt_ms, percentile

SECTION = "4 scale"
TENANT = "bench-scale"
BOOK = 500  # customers per rep
# The read model this stand-in loads (the reporting service's first slice).
FACT_COLUMNS = (
    "tenant_id",
    "customer_id",
    "branch_id",
    "owner_id",
    "lifecycle_stage",
    "created_at",
)
COUNT_COLUMNS = ("tenant_id", "branch_id", "lifecycle_stage", "customers")


async def _grow(conn: asyncpg.Connection, have: int, want: int) -> None:
    await conn.execute(
        """
        INSERT INTO customer_facts
            (tenant_id, customer_id, branch_id, owner_id, lifecycle_stage, created_at)
        SELECT $1, gen_random_uuid(),
               CASE WHEN i % 2 = 0 THEN 'north' ELSE 'south' END,
               'rep-' || (i / $4),
               (ARRAY['lead', 'prospect', 'customer', 'churned'])[1 + i % 4],
               now() - make_interval(days => (i % 1000)::int)
        FROM generate_series($2::bigint, $3::bigint - 1) AS i
        """,
        TENANT,
        have,
        want,
        BOOK,
    )
    await conn.execute("DELETE FROM customer_stage_counts WHERE tenant_id = $1", TENANT)
    await conn.execute(
        """
        INSERT INTO customer_stage_counts (tenant_id, branch_id, lifecycle_stage, customers)
        SELECT tenant_id, branch_id, lifecycle_stage, count(*) FROM customer_facts
        WHERE tenant_id = $1 GROUP BY 1, 2, 3
        """,
        TENANT,
    )
    await conn.execute("VACUUM ANALYZE customer_facts")
    await conn.execute("VACUUM ANALYZE customer_stage_counts")


async def run(ctx: Context, infra: TestInfra) -> None:
    from crm_reporting.app import MIGRATIONS, create_app
    from crm_reporting.config import ReportingSettings

    from bench import hooks

    if hooks.has_report_scripts():
        ctx.note(
            SECTION,
            "The customers-summary stand-in is skipped: bench/reporting_*.py "
            "measure the reports at scale.",
        )
        return
    sizes = ctx.sizes
    print(
        f"scale: customers summary at {', '.join(f'{s:,}' for s in sizes.scale_sizes)}", flush=True
    )
    url = await infra.migrated_database("reporting", MIGRATIONS)
    settings = infra.settings(
        ReportingSettings,
        database_url=url,
        run_consumer=False,
        run_relay=False,
        log_level="WARNING",
    )
    readers = {
        "executive": {"Authorization": f"Bearer {infra.token('ceo', tenant=TENANT)}"},
        "rep": {
            "Authorization": "Bearer "
            + infra.token("rep-7", tenant=TENANT, roles=["sales_rep"], branch="north")
        },
    }
    results: dict[str, list[tuple[int, float | None, float | None]]] = {r: [] for r in readers}
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    columns = {
        (r["table_name"], r["column_name"])
        for r in await conn.fetch(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_name IN ('customer_facts', 'customer_stage_counts')"
            " AND (is_nullable = 'YES' OR column_default IS NOT NULL"
            "      OR column_name = ANY($1::text[]))",
            [*FACT_COLUMNS, *COUNT_COLUMNS],
        )
    }
    required = {
        (r["table_name"], r["column_name"])
        for r in await conn.fetch(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_name IN ('customer_facts', 'customer_stage_counts')"
            " AND is_nullable = 'NO' AND column_default IS NULL"
        )
    }
    expected = {("customer_facts", c) for c in FACT_COLUMNS} | {
        ("customer_stage_counts", c) for c in COUNT_COLUMNS
    }
    if not expected <= columns or not required <= expected:
        await conn.close()
        ctx.note(
            SECTION,
            "The customers-summary stand-in is skipped: reporting's read model "
            "no longer has the tables it loads (customer_facts, customer_stage_counts).",
        )
        return
    try:
        async with running_service(create_app, settings) as (_, client):
            have = 0
            for size in sizes.scale_sizes:
                if ctx.remaining() < 150:
                    ctx.note(SECTION, f"Stopped before {size:,} rows: out of time budget.")
                    break
                began = time.monotonic()
                await _grow(conn, have, size)
                have = size
                print(
                    f"  {size:,} customer facts loaded in {time.monotonic() - began:.1f} s",
                    flush=True,
                )
                for reader, headers in readers.items():
                    for _ in range(10):  # warm the plan cache and the pages
                        await client.get("/reports/customers/summary", headers=headers)
                    took = []
                    for _ in range(sizes.scale_requests):
                        t0 = time.perf_counter()
                        response = await client.get("/reports/customers/summary", headers=headers)
                        took.append(time.perf_counter() - t0)
                        response.raise_for_status()
                    took.sort()
                    results[reader].append((size, percentile(took, 50), percentile(took, 99)))
    finally:
        await conn.close()
    for reader, points in results.items():
        if not points:
            continue
        first, last = points[0], points[-1]
        growth = (last[1] / first[1]) if first[1] and last[1] else None
        value = "; ".join(f"{n:,}: {fmt_ms(p50)} / {fmt_ms(p99)}" for n, p50, p99 in points)
        ctx.add(
            Row(
                SECTION,
                f"customers summary ({reader}) p50 / p99 by customers",
                value,
                "flat: p50 at largest ≤ 1.5x at smallest",
                f"{growth:.2f}" if growth is not None else "",
                None if growth is None or len(points) < 2 else growth <= 1.5,
                f"load {__import__('os').getloadavg()[0]:.2f}",
                f"{sizes.scale_requests} sequential requests per size, in-process ASGI; "
                + (
                    "reads the pre-aggregated stage counts"
                    if reader == "executive"
                    else f"counts the rep's own {BOOK} customer facts (index on tenant, owner)"
                ),
            )
        )
