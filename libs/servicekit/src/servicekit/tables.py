"""Tables every service database carries next to its own: outbox, inbox, idempotency keys."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    Table,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

platform_metadata = MetaData()

# Written in the business transaction; the relay publishes rows in `seq` order.
outbox = Table(
    "outbox",
    platform_metadata,
    Column("seq", BigInteger, Identity(always=True), primary_key=True),
    Column("event_id", Uuid, nullable=False, unique=True),
    Column("event_type", Text, nullable=False),
    Column("topic", Text, nullable=False),
    Column("partition_key", Text, nullable=False),
    Column("tenant_id", Text, nullable=False),
    Column("envelope", JSONB, nullable=False),
    Column("traceparent", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("published_at", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("last_error", Text),
)
Index("ix_outbox_pending", outbox.c.seq, postgresql_where=outbox.c.published_at.is_(None))
Index("ix_outbox_published_at", outbox.c.published_at)

# One row per applied event, written in the same transaction as the event's effect.
inbox = Table(
    "inbox",
    platform_metadata,
    Column("consumer", Text, nullable=False),
    Column("event_id", Uuid, nullable=False),
    Column("event_type", Text, nullable=False),
    Column("topic", Text, nullable=False),
    Column("partition", Integer, nullable=False),
    Column("offset", BigInteger, nullable=False),
    Column("applied_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("consumer", "event_id"),
)

# Last sequence seen per aggregate, to detect gaps and out-of-order delivery.
inbox_sequences = Table(
    "inbox_sequences",
    platform_metadata,
    Column("consumer", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("aggregate", Text, nullable=False),
    Column("last_sequence", BigInteger, nullable=False),
    PrimaryKeyConstraint("consumer", "source", "aggregate"),
)

# A client retry with the same Idempotency-Key gets the first response back.
idempotency_keys = Table(
    "idempotency_keys",
    platform_metadata,
    Column("tenant_id", Text, nullable=False),
    Column("principal", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("fingerprint", Text, nullable=False),
    Column("status_code", SmallInteger),
    Column("content_type", Text),
    Column("location", Text),
    Column("etag", Text),
    Column("body", LargeBinary),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("locked_until", DateTime(timezone=True)),
    PrimaryKeyConstraint("tenant_id", "principal", "key"),
)

OUTBOX_CHANNEL = "crm_outbox"
