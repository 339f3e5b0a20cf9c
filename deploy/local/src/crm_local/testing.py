"""Run `crm up` as a subprocess on free ports with its own CRM_HOME: for tests.

Used by this package's tests and by cross-service tests that need the whole platform.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from servicekit.embedded.process import spawn

from crm_local.home import pid_alive

# Start passes --ready-timeout 120; infra and migrations come on top of it.
START_TIMEOUT_S = 180.0


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def pick_ports() -> tuple[int, int, int, int]:
    """(base port of five free consecutive ports, broker, PostgreSQL and SMTP ports).

    Below the kernel's ephemeral range, so outgoing connections do not take them meanwhile.
    """
    rng = random.Random()
    for _ in range(200):
        base = rng.randrange(20_000, 32_000)
        wanted = [*range(base, base + 5), base + 7, base + 8, base + 9]
        if all(_bindable(p) for p in wanted):
            return base, base + 7, base + 8, base + 9
    raise RuntimeError("no free block of ports found")


def descendants(root: int) -> set[int]:
    """PIDs of every live process below `root` (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


class CrmUp:
    """One `crm up` run: its output is collected by a thread so nothing blocks on the pipe."""

    def __init__(self, home: Path, extra_env: Mapping[str, str] | None = None) -> None:
        self.home = home
        self.extra_env = dict(extra_env or {})  # e.g. service tuning knobs (<PREFIX>_...)
        self.base_port, self.broker_port, self.pg_port, self.smtp_port = pick_ports()
        self.proc: subprocess.Popen[bytes] | None = None
        self._output: list[str] = []
        self._lock = threading.Lock()
        self._reader: threading.Thread | None = None
        self.seen_pids: set[int] = set()

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            **self.extra_env,
            "CRM_HOME": str(self.home),
            "PYTHONUNBUFFERED": "1",
        }

    @property
    def output(self) -> str:
        with self._lock:
            return "".join(self._output)

    def start(self, *extra_args: str) -> None:
        args = [
            sys.executable,
            "-m",
            "crm_local",
            "up",
            "--base-port",
            str(self.base_port),
            "--broker-port",
            str(self.broker_port),
            "--pg-port",
            str(self.pg_port),
            "--smtp-port",
            str(self.smtp_port),
            "--ready-timeout",  # a loaded test machine is slower than a laptop
            "120",
            *extra_args,  # later options win
        ]
        # Its own session (a Ctrl-C on pytest does not reach it) and SIGTERM if pytest dies.
        self.proc = spawn(args, log=subprocess.PIPE, env=self.env)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc is not None
        assert self.proc.stdout is not None
        for raw in iter(self.proc.stdout.readline, b""):
            with self._lock:
                self._output.append(raw.decode(errors="replace"))

    def wait_for_output(self, text: str, timeout: float) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while text not in self.output:
            if self.proc.poll() is not None:
                raise RuntimeError(f"crm up exited with {self.proc.returncode}:\n{self.output}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {text!r} from crm up after {timeout} s:\n{self.output}")
            time.sleep(0.1)

    def crm(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "crm_local", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def run_info(self) -> dict[str, Any]:
        info: dict[str, Any] = json.loads((self.home / "run.json").read_text())
        return info

    def record_pids(self) -> set[int]:
        """Remember every process of the platform, to check later that all are gone."""
        assert self.proc is not None
        self.seen_pids |= {self.proc.pid} | descendants(self.proc.pid)
        with contextlib.suppress(FileNotFoundError):
            info = self.run_info()
            self.seen_pids |= {s["pid"] for s in info["services"].values() if s["pid"]}
            self.seen_pids |= {p for p in (info["postgres"]["pid"], info["broker"]["pid"]) if p}
        return self.seen_pids

    def leftovers(self) -> list[int]:
        """Live processes whose command line names this platform's home or ports."""
        needles = [
            str(self.home),
            f"127.0.0.1:{self.broker_port}",
            *(f"--port {p}" for p in range(self.base_port, self.base_port + 5)),
        ]
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if any(n in cmdline for n in needles) and pid_alive(int(entry.name)):
                found.append(int(entry.name))
        return found

    def stop(self, sig: int = signal.SIGINT, timeout: float = 90) -> int:
        assert self.proc is not None
        self.proc.send_signal(sig)
        return self.proc.wait(timeout)

    def cleanup(self) -> None:
        """Whatever happened: stop crm up, then anything of it that is still alive."""
        if self.proc is not None and self.proc.poll() is None:
            self.record_pids()
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        for pid in self.seen_pids | set(self.leftovers()):
            if pid_alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        if self._reader is not None:
            self._reader.join(5)
