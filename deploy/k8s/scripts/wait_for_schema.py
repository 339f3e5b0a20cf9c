"""Init container of every CRM pod: wait for the service's database, or for its migrations.

The migration Job (`python -m crm_<service> migrate`) upgrades the schema; API and worker pods
of a release start only once the database is at their code's Alembic heads, so new code never
runs on an old schema (and consumers never dead-letter events because a column is missing).
Whatever order `kubectl apply` creates things in, the Job runs before the rollout completes:
the new pods wait here, and the old ones keep serving (maxUnavailable 0).

  --until migrated   (API, worker) the applied revisions are this code's heads, or the database
                     is ahead: it holds a revision this code does not know (a newer release
                     migrated, or this is a rollback), which must not block the start.
  --until reachable  (the Job) the database accepts this service's login: on a first install
                     the PostgreSQL cluster, role and database appear a while after the Job.

Mounted from a ConfigMap (deploy/k8s/generate.py embeds this file); it runs on the image's
own Python and needs only what every service has: Alembic and asyncpg.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.resources
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

POLL_S = 2.0
REPORT_EVERY_S = 30.0


def code_revisions(migrations: Path) -> tuple[frozenset[str], frozenset[str]]:
    """(heads, every revision) of the Alembic scripts in `migrations`."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(migrations))
    script = ScriptDirectory.from_config(config)
    heads = frozenset(script.get_heads())
    known = frozenset(revision.revision for revision in script.walk_revisions())
    return heads, known


def schema_state(applied: frozenset[str], heads: frozenset[str], known: frozenset[str]) -> str:
    """'current', 'ahead' (the database has revisions this code lacks) or 'behind'."""
    if applied == heads:
        return "current"
    if applied - known:
        return "ahead"
    return "behind"


def plain_url(url: str) -> str:
    """asyncpg takes postgresql://; the services' setting names the SQLAlchemy driver."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def applied_revisions(url: str) -> frozenset[str]:
    import asyncpg

    conn = await asyncpg.connect(plain_url(url), timeout=5)
    try:
        if await conn.fetchval("SELECT to_regclass('alembic_version') IS NULL"):
            return frozenset()
        rows = await conn.fetch("SELECT version_num FROM alembic_version")
        return frozenset(row[0] for row in rows)
    finally:
        await conn.close()


def wait(
    check: Callable[[], tuple[bool, str]],
    *,
    timeout_s: float | None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    log: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True),
) -> bool:
    """Call `check` until it answers (True, why); report now and then; False on timeout."""
    start = clock()
    last_report = None
    while True:
        done, why = check()
        now = clock()
        if done:
            log(f"ready: {why}")
            return True
        if last_report is None or now - last_report >= REPORT_EVERY_S:
            log(f"waiting ({now - start:.0f} s): {why}")
            last_report = now
        if timeout_s is not None and now - start >= timeout_s:
            log(f"gave up after {timeout_s:.0f} s: {why}")
            return False
        sleep(POLL_S)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--package", required=True, help="e.g. crm_customers")
    parser.add_argument("--database-url-env", required=True, help="e.g. CUSTOMERS_DATABASE_URL")
    parser.add_argument("--until", choices=("migrated", "reachable"), default="migrated")
    parser.add_argument("--timeout", type=float, default=None, help="seconds; default: forever")
    args = parser.parse_args(argv)

    url = os.environ.get(args.database_url_env)
    if not url:
        print(f"{args.database_url_env} is not set", file=sys.stderr)
        return 2
    migrations = Path(str(importlib.resources.files(args.package) / "migrations"))
    heads, known = code_revisions(migrations)

    def check() -> tuple[bool, str]:
        try:
            applied = asyncio.run(applied_revisions(url))
        except Exception as exc:  # unreachable, role or database missing, auth failure
            return False, f"database not reachable: {exc.__class__.__name__}: {exc}"
        if args.until == "reachable":
            return True, "database reachable"
        state = schema_state(applied, heads, known)
        detail = f"applied {sorted(applied)}, code heads {sorted(heads)}"
        return state != "behind", f"schema {state}: {detail}"

    return 0 if wait(check, timeout_s=args.timeout) else 1


if __name__ == "__main__":
    sys.exit(main())
