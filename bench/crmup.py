"""The platform under test: `crm up` on free ports with a throwaway home (crm_local.testing),
plus what the benchmarks need from it: URLs, PIDs, tokens and database URLs."""

from __future__ import annotations

import asyncio
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from crm_local.supervisor import READY_MARKER
from crm_local.testing import CrmUp
from servicekit.keys import mint_token

from bench import procstat

SERVICES = ("customers", "sales", "service-desk", "notifications", "reporting")


@dataclass
class StartTimes:
    wall_s: float  # spawn to the ready line, as a user waits
    infra_s: float | None  # PostgreSQL and broker up
    migrated_s: float | None  # databases migrated, topics created
    reported_s: float | None  # what `crm up` itself prints


class Platform:
    """One `crm up` run. Use `async with Platform() as p:`."""

    def __init__(self, extra_env: dict[str, str] | None = None) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="crm-bench-"))
        self.up = CrmUp(self.root / "home", extra_env)
        self.started: StartTimes | None = None

    async def __aenter__(self) -> Platform:
        began = time.monotonic()
        self.up.start()
        try:
            await asyncio.to_thread(self.up.wait_for_output, READY_MARKER, 240)
        except BaseException:
            await self.aclose()
            raise
        wall = time.monotonic() - began
        out = self.up.output

        def seconds(pattern: str) -> float | None:
            found = re.search(pattern, out)
            return float(found.group(1)) if found else None

        self.started = StartTimes(
            wall_s=wall,
            infra_s=seconds(r"are up \(([\d.]+) s\)"),
            migrated_s=seconds(r"topics created \(([\d.]+) s\)"),
            reported_s=seconds(r"ready in ([\d.]+) s"),
        )
        self.info = self.up.run_info()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await asyncio.to_thread(self.up.cleanup)
        await asyncio.to_thread(self._keep_logs)
        shutil.rmtree(self.root, ignore_errors=True)

    def _keep_logs(self) -> None:
        """The platform's logs of the last run stay in bench/results/logs/ (not committed)."""
        logs = self.up.home / "logs"
        if logs.is_dir():
            kept = Path(__file__).resolve().parent / "results" / "logs"
            shutil.rmtree(kept, ignore_errors=True)
            shutil.copytree(logs, kept, dirs_exist_ok=True)

    # -- what the benchmarks use --------------------------------------------------------------

    def url(self, service: str) -> str:
        return str(self.info["services"][service]["url"])

    def port(self, service: str) -> int:
        return int(self.info["services"][service]["port"])

    def pid(self, service: str) -> int:
        return int(self.info["services"][service]["pid"])

    @property
    def postgres_pid(self) -> int:
        return int(self.info["postgres"]["pid"])

    @property
    def broker_pid(self) -> int:
        return int(self.info["broker"]["pid"])

    @property
    def bootstrap(self) -> str:
        broker = self.info["broker"]
        return f"{broker['host']}:{broker['port']}"

    def database_url(self, database: str, *, driver: str = "") -> str:
        pg = self.info["postgres"]
        scheme = f"postgresql+{driver}" if driver else "postgresql"
        return f"{scheme}://postgres@{pg['host']}:{pg['port']}/{database}"

    @property
    def jwks(self) -> Path:
        return self.up.home / "keys" / "jwks.json"

    def token(self, sub: str, *, tenant: str, roles: list[str], branch: str | None = None) -> str:
        return mint_token(
            self.up.home / "keys" / "signing-key.pem",
            sub=sub,
            tenant=tenant,
            roles=roles,
            branch=branch,
        )

    def meter_groups(self, *services: str) -> dict[str, procstat.PidSource]:
        """CPU/RSS groups: the named services one by one, the other services together,
        PostgreSQL (all backends), the broker and this benchmark process."""
        groups: dict[str, procstat.PidSource] = {
            name: procstat.fixed(self.pid(name)) for name in services
        }
        rest = [self.pid(s) for s in SERVICES if s not in services]
        rest.append(int(self.info["supervisor_pid"]))  # `crm up` itself and its mail server
        if rest:
            groups["other services"] = procstat.fixed(*rest)
        groups["postgres"] = procstat.tree(self.postgres_pid)
        groups["broker"] = procstat.fixed(self.broker_pid)
        groups["bench"] = procstat.self_pid()
        return groups
