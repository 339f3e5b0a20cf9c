"""Benchmark: import a generated CSV of customers through the HTTP API and time it.

Starts an embedded PostgreSQL and broker and the customers service (relay included, so the
100,000 `customer.created` events are published while the import runs), posts the file,
polls `GET /imports/{id}` and prints rows per second. Bounded by --timeout.

    uv run --frozen --no-sync python bench/import_customers.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import sys
import time

from crm_customers.app import MIGRATIONS, create_app
from crm_customers.config import CustomersSettings
from servicekit.testing.infra import embedded_infra, running_service
from sqlalchemy import text

TENANT = "bench"
HEADER = [
    "name",
    "kind",
    "lifecycle_stage",
    "branch_id",
    "owner_id",
    "category",
    "industry",
    "phone",
    "fax",
    "email",
    "contact_name",
    "postal_code",
    "address",
    "website",
    "tags",
    "cf.region",
    "cf.size",
]
FIELDS = [
    {"key": "region", "label": "Region", "type": "choice", "choices": ["east", "west"]},
    {"key": "size", "label": "Head count", "type": "number"},
]


def generate(rows: int) -> bytes:
    """Complete, valid rows, as a real customer list would be (every field filled)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for i in range(rows):
        branch = ("north", "south")[i % 2]
        writer.writerow(
            [
                f"Customer {i:06d} Trading Co., Ltd.",
                "company" if i % 5 else "person",
                ("lead", "prospect", "customer")[i % 3],
                branch,
                f"{branch}-rep" if i % 4 else "",
                "distributor",
                "wholesale",
                f"+86 571 {i % 10_000:04d} {i // 10_000:04d}",
                f"+86 571 {i % 10_000:04d} 9999",
                f"buyer{i}@example.cn",
                f"Contact {i}",
                "310000",
                f"{i} Wensan Road, Xihu District, Hangzhou",
                f"https://c{i}.example.cn",
                "zhejiang;wholesale",
                ("east", "west")[i % 2],
                str(10 + i % 500),
            ]
        )
    return buffer.getvalue().encode()


async def run(rows: int, timeout_s: float, relay: bool) -> int:
    async with embedded_infra() as infra:
        url = await infra.migrated_database("customers", MIGRATIONS)
        settings = infra.settings(
            CustomersSettings, database_url=url, database_pool_size=10, run_relay=relay
        )
        admin = {"Authorization": f"Bearer {infra.token('admin', tenant=TENANT)}"}
        body = generate(rows)
        print(f"{rows:,} rows, {len(body) / 1e6:.1f} MB of CSV")
        async with running_service(create_app, settings) as (app, client):
            for field in FIELDS:
                defined = await client.put(
                    f"/settings/custom-fields/{field['key']}", json=field, headers=admin
                )
                defined.raise_for_status()
            started = time.perf_counter()
            response = await client.post(
                "/imports/customers",
                content=body,
                headers={**admin, "Content-Type": "text/csv"},
                timeout=timeout_s,
            )
            accepted = time.perf_counter() - started
            if response.status_code not in (200, 202):
                print(f"import refused: {response.status_code} {response.text}", file=sys.stderr)
                return 1
            job = response.json()
            print(f"answered {response.status_code} after {accepted:.2f} s")
            location = response.headers.get("location")
            last_print = 0.0
            while location and job["status"] in ("queued", "running"):
                if time.perf_counter() - started > timeout_s:
                    print(f"gave up after {timeout_s} s: {job}", file=sys.stderr)
                    return 1
                await asyncio.sleep(0.25)
                job = (await client.get(location, headers=admin)).json()
                if time.perf_counter() - last_print > 2:
                    last_print = time.perf_counter()
                    print(f"  {job['status']}: {job['processed_rows']:,}/{job['total_rows']:,}")
            elapsed = time.perf_counter() - started
            print(
                f"{job['status']}: imported {job['imported']:,}, failed {job['failed']:,} "
                f"in {elapsed:.1f} s = {job['imported'] / elapsed:,.0f} rows/s"
            )
            ok = job["status"] == "done" and job["imported"] == rows
            exported_at = time.perf_counter()
            exported = await client.get("/customers/export.csv", headers=admin, timeout=timeout_s)
            took = time.perf_counter() - exported_at
            lines = exported.content.count(b"\r\n") - 1
            print(f"export: {lines:,} rows, {len(exported.content) / 1e6:.1f} MB in {took:.1f} s")
            if not relay:
                return 0 if ok else 1
            # The relay has been publishing all along; how far behind the import is it?
            async with app.state.runtime.engine.connect() as conn:
                while True:
                    pending = await conn.scalar(
                        text("SELECT count(*) FROM outbox WHERE published_at IS NULL")
                    )
                    await conn.rollback()
                    if not pending or time.perf_counter() - started > timeout_s:
                        break
                    await asyncio.sleep(0.5)
            drained = time.perf_counter() - started
            print(f"outbox: {pending or 0:,} events pending; all published after {drained:.1f} s")
            return 0 if ok else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds, overall")
    parser.add_argument(
        "--no-relay", action="store_true", help="leave the events in the outbox (import alone)"
    )
    args = parser.parse_args()
    sys.exit(asyncio.run(run(args.rows, args.timeout, not args.no_relay)))


if __name__ == "__main__":
    main()
