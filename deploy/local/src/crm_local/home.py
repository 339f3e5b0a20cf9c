"""The state directory of the embedded platform (`CRM_HOME`, default `./.crm`).

postgres/         PostgreSQL data (kept between runs)
keys/             the token signing key pair
logs/<name>.log   one log per process (services, postgres, broker)
run.json          ports and PIDs of the running platform; written by `crm up`, removed on a
                  clean stop, read by every other command to find the platform
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

from pydantic import BaseModel, ValidationError

ENV_VAR: Final = "CRM_HOME"
DEFAULT_DIRNAME: Final = ".crm"


@dataclass(frozen=True)
class Home:
    root: Path

    @classmethod
    def resolve(cls, explicit: Path | None = None) -> Home:
        """`explicit` (a --home option), else `$CRM_HOME`, else `<cwd>/.crm`."""
        if explicit is not None:
            root = explicit
        elif os.environ.get(ENV_VAR):
            root = Path(os.environ[ENV_VAR])
        else:
            root = Path.cwd() / DEFAULT_DIRNAME
        return cls(root.expanduser().resolve())

    @property
    def postgres_dir(self) -> Path:
        return self.root / "postgres"

    @property
    def keys_dir(self) -> Path:
        return self.root / "keys"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    @property
    def run_file(self) -> Path:
        return self.root / "run.json"

    def log_file(self, name: str) -> Path:
        return self.logs_dir / f"{name}.log"

    def ensure(self) -> None:
        for directory in (self.root, self.keys_dir, self.logs_dir):
            directory.mkdir(parents=True, exist_ok=True)

    def read_run(self) -> RunInfo | None:
        """The running platform's description, or None when there is none (or it is unreadable)."""
        try:
            return RunInfo.model_validate_json(self.run_file.read_bytes())
        except (FileNotFoundError, ValidationError):
            return None

    def write_run(self, info: RunInfo) -> None:
        """Atomically: a reader never sees half a file."""
        tmp = self.run_file.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(info.model_dump_json(indent=2) + "\n")
        tmp.replace(self.run_file)

    def remove_run(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.run_file.unlink()


class ServiceRun(BaseModel):
    port: int
    url: str
    pid: int | None = None
    database: str


class PostgresRun(BaseModel):
    host: str
    port: int
    pid: int | None = None

    @property
    def address(self) -> str:
        return f"postgresql://postgres@{self.host}:{self.port}"


class BrokerRun(BaseModel):
    host: str
    port: int
    pid: int | None = None

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"


class RunInfo(BaseModel):
    """What `crm up` is running; PIDs are updated when it restarts a process."""

    supervisor_pid: int
    # When the supervisor started (kernel clock ticks): tells it from a later process that
    # happens to get the same PID after a crash left run.json behind.
    supervisor_start_ticks: int | None = None
    started_at: datetime
    state: str  # "starting" | "ready" | "stopping"
    postgres: PostgresRun
    broker: BrokerRun
    services: dict[str, ServiceRun]

    def pids(self) -> list[int]:
        """Every process `crm up` started (and itself)."""
        found = [self.supervisor_pid, self.postgres.pid, self.broker.pid]
        found += [s.pid for s in self.services.values()]
        return [pid for pid in found if pid is not None]

    def supervisor_alive(self) -> bool:
        if not pid_alive(self.supervisor_pid):
            return False
        if self.supervisor_start_ticks is None:
            return True
        return process_start_ticks(self.supervisor_pid) in (None, self.supervisor_start_ticks)


def _stat_fields(pid: int) -> list[str] | None:
    """/proc/<pid>/stat after the command name (field 3 onwards), or None without procfs."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()


def process_start_ticks(pid: int) -> int | None:
    """When the process started, in clock ticks since boot (None when unknown)."""
    fields = _stat_fields(pid)
    return int(fields[19]) if fields is not None and len(fields) > 19 else None


def pid_alive(pid: int) -> bool:
    """True for a live process (a zombie counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    fields = _stat_fields(pid)
    if fields is None:
        return True  # no procfs: trust kill(0)
    return fields[0] not in ("Z", "X")
