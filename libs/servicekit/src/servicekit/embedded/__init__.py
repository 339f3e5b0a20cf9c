"""Real PostgreSQL and a real Kafka-protocol broker from PyPI wheels, for `crm up` and tests."""

from servicekit.embedded.broker import EmbeddedBroker
from servicekit.embedded.postgres import EmbeddedPostgres
from servicekit.embedded.process import free_port

__all__ = ["EmbeddedBroker", "EmbeddedPostgres", "free_port"]
