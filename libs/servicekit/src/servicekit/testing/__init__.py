"""Test support: one real PostgreSQL and one real broker per session (see plugin.py)."""

from servicekit.testing.infra import TestInfra, running_service
from servicekit.testing.kafka import read_events

__all__ = ["TestInfra", "read_events", "running_service"]
