"""CRM event contracts: envelope, payload models, topics, JSON Schema and AsyncAPI.

Importing the package registers every event type, so `CloudEvent.payload()` and
`new_event()` work for all of them.
"""

from importlib.metadata import PackageNotFoundError, version

from crm_contracts import customers, notifications, sales, service_desk
from crm_contracts.base import Payload
from crm_contracts.envelope import CLOUDEVENTS_JSON, CloudEvent
from crm_contracts.errors import ContractError, DuplicateEventType, InvalidEvent, UnknownEventType
from crm_contracts.registry import (
    EventSpec,
    Registry,
    all_specs,
    new_event,
    register,
    spec_for,
    spec_for_payload,
    topic_for,
)
from crm_contracts.topics import (
    ALL_TOPICS,
    CUSTOMERS_EVENTS,
    DEFAULT_PARTITIONS,
    NOTIFICATIONS_EVENTS,
    SALES_EVENTS,
    SERVICE_DESK_EVENTS,
    SOURCE_OF_TOPIC,
    dlq_topic,
)

try:
    __version__ = version("crm-contracts")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = [
    "ALL_TOPICS",
    "CLOUDEVENTS_JSON",
    "CUSTOMERS_EVENTS",
    "DEFAULT_PARTITIONS",
    "NOTIFICATIONS_EVENTS",
    "SALES_EVENTS",
    "SERVICE_DESK_EVENTS",
    "SOURCE_OF_TOPIC",
    "CloudEvent",
    "ContractError",
    "DuplicateEventType",
    "EventSpec",
    "InvalidEvent",
    "Payload",
    "Registry",
    "UnknownEventType",
    "__version__",
    "all_specs",
    "customers",
    "dlq_topic",
    "new_event",
    "notifications",
    "register",
    "sales",
    "service_desk",
    "spec_for",
    "spec_for_payload",
    "topic_for",
]
