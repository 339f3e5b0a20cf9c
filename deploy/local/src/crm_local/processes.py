"""How `crm up` reports a child's end. Children are started with servicekit's `spawn`
(own session, dies with the supervisor)."""

from __future__ import annotations

import signal


def describe_exit(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exited with code {returncode}"
