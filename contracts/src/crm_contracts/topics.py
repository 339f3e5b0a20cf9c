"""Kafka topic names: one topic per owning service, dead letters beside it."""

from types import MappingProxyType
from typing import Final

CUSTOMERS_EVENTS: Final = "crm.customers.events"
SALES_EVENTS: Final = "crm.sales.events"
SERVICE_DESK_EVENTS: Final = "crm.service-desk.events"
NOTIFICATIONS_EVENTS: Final = "crm.notifications.events"

ALL_TOPICS: Final[tuple[str, ...]] = (
    CUSTOMERS_EVENTS,
    SALES_EVENTS,
    SERVICE_DESK_EVENTS,
    NOTIFICATIONS_EVENTS,
)

# CloudEvents `source` of everything a service publishes on its topic.
SOURCE_OF_TOPIC: Final = MappingProxyType(
    {
        CUSTOMERS_EVENTS: "/crm/customers",
        SALES_EVENTS: "/crm/sales",
        SERVICE_DESK_EVENTS: "/crm/service-desk",
        NOTIFICATIONS_EVENTS: "/crm/notifications",
    }
)

# Partitions per topic; per-customer ordering needs a fixed count, so it is part of the contract.
DEFAULT_PARTITIONS: Final = 6


def dlq_topic(topic: str) -> str:
    """Dead-letter topic of `topic`, where consumers park events they cannot apply."""
    return f"{topic}.dlq"
