"""Child processes that die with their parent, so nothing is orphaned by a crash.

Each child gets a session of its own: a terminal's Ctrl-C reaches only the parent, which
stops its children in order (services flush their outboxes before PostgreSQL goes away).
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

_PR_SET_PDEATHSIG = 1


def _die_with_parent(sig: int) -> Callable[[], None] | None:
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)

    def set_pdeathsig() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, sig)

    return set_pdeathsig


def spawn(
    args: Sequence[str],
    *,
    log: IO[Any] | int | None = subprocess.DEVNULL,
    env: dict[str, str] | None = None,
    user: str | None = None,
    cwd: Path | None = None,
    death_signal: int = signal.SIGTERM,
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        list(args),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT if log not in (None, subprocess.DEVNULL) else log,
        env=env,
        user=user,
        cwd=cwd,
        preexec_fn=_die_with_parent(death_signal),
    )


def stop_process(
    proc: subprocess.Popen[bytes], *, sig: int = signal.SIGTERM, timeout: float = 15
) -> None:
    """Ask politely, then kill; always reap."""
    if proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


def port_open(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex((host, port)) == 0


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0
