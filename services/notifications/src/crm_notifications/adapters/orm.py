"""Notifications tables (SQLAlchemy 2 typed models). Every row carries its tenant.

Three kinds of table: what this service keeps from other services' events (customer owners,
contacts, campaigns), its own records (directory, rules, inbox, webhook endpoints, feed), and
durable work queues processed by scheduled jobs (reminders, outgoing mail, deliveries).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# The id of the transaction that records a feed row (xid8 as a number).
CURRENT_TXID = text("(pg_current_xact_id()::text::bigint)")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSONB, list[str]: ARRAY(Text)}


def _ts(**kwargs: Any) -> Any:
    return mapped_column(DateTime(timezone=True), **kwargs)


def _created() -> Any:
    return mapped_column(DateTime(timezone=True), server_default=func.now())


Tenant = String(64)
UserId = String(128)


# --- directory and configuration ---------------------------------------------------------


class DirectoryUserRow(Base):
    """Who the tenant's users are for notifications: address, branch, roles."""

    __tablename__ = "directory_users"
    __table_args__ = (Index(None, "tenant_id", "branch_id"),)

    tenant_id: Mapped[str] = mapped_column(Tenant, primary_key=True)
    user_id: Mapped[str] = mapped_column(UserId, primary_key=True)
    email: Mapped[str | None] = mapped_column(String(320))
    name: Mapped[str | None] = mapped_column(Text)
    branch_id: Mapped[str | None] = mapped_column(String(64))
    roles: Mapped[list[str]] = mapped_column(server_default="{}")
    active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = _ts()

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class TenantSettingsRow(Base):
    __tablename__ = "tenant_settings"

    tenant_id: Mapped[str] = mapped_column(Tenant, primary_key=True)
    mail_from: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = _ts()

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class RuleSettingRow(Base):
    __tablename__ = "rule_settings"

    tenant_id: Mapped[str] = mapped_column(Tenant, primary_key=True)
    rule: Mapped[str] = mapped_column(String(64), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    channels: Mapped[list[str] | None] = mapped_column(ARRAY(Text))
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = _ts()

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


# --- facts kept from other services' events ----------------------------------------------


class CustomerOwnerRow(Base):
    __tablename__ = "customer_owners"
    __table_args__ = (Index(None, "tenant_id", "owner_id"),)

    tenant_id: Mapped[str] = mapped_column(Tenant, primary_key=True)
    customer_id: Mapped[UUID] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(Text)
    owner_id: Mapped[str | None] = mapped_column(UserId)
    branch_id: Mapped[str | None] = mapped_column(String(64))
    # The `sequence` of the customer event that set the name / the owner and branch: an
    # older event (redelivered after a newer one) never overwrites them.
    name_sequence: Mapped[int] = mapped_column(BigInteger, server_default="0")
    owner_sequence: Mapped[int] = mapped_column(BigInteger, server_default="0")


class ContactRow(Base):
    __tablename__ = "contacts"
    __table_args__ = (Index(None, "tenant_id", "customer_id"),)

    tenant_id: Mapped[str] = mapped_column(Tenant, primary_key=True)
    contact_id: Mapped[UUID] = mapped_column(primary_key=True)
    customer_id: Mapped[UUID]
    name: Mapped[str] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(String(320))
    unsubscribed: Mapped[bool] = mapped_column(Boolean, server_default="false")
    deleted: Mapped[bool] = mapped_column(Boolean, server_default="false")


class CampaignRow(Base):
    __tablename__ = "campaigns"

    tenant_id: Mapped[str] = mapped_column(Tenant, primary_key=True)
    campaign_id: Mapped[UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    segment_id: Mapped[UUID]
    channel: Mapped[str] = mapped_column(String(32))


class UnsubscribeRow(Base):
    """Contacts who followed an unsubscribe link; honoured by contact and by address."""

    __tablename__ = "unsubscribes"
    __table_args__ = (Index(None, "tenant_id", "email"),)

    tenant_id: Mapped[str] = mapped_column(Tenant, primary_key=True)
    contact_id: Mapped[UUID] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(String(320))
    campaign_id: Mapped[UUID | None]
    mailing_id: Mapped[UUID | None]
    unsubscribed_at: Mapped[datetime] = _ts()


# --- inbox, reminders and outgoing mail ------------------------------------------------------


class NotificationRow(Base):
    """One recipient told about one thing; shown in the inbox when `in_inbox`."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index(None, "tenant_id", "recipient_id", "dedupe_key", unique=True),
        Index(
            "ix_notifications_inbox",
            "tenant_id",
            "recipient_id",
            "created_at",
            postgresql_where=text("in_inbox"),
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(Tenant)
    recipient_id: Mapped[str] = mapped_column(UserId)
    rule: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    customer_id: Mapped[UUID | None]
    subject: Mapped[str | None] = mapped_column(Text)
    trigger_event_id: Mapped[UUID | None]
    trigger_event_type: Mapped[str | None] = mapped_column(Text)
    dedupe_key: Mapped[str] = mapped_column(Text)
    in_inbox: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = _ts()
    read_at: Mapped[datetime | None] = _ts()


class ReminderRow(Base):
    """A notification due later, stored when its event arrives and fired by a job."""

    __tablename__ = "reminders"
    __table_args__ = (
        Index(None, "tenant_id", "rule", "key", unique=True),
        Index("ix_reminders_due", "due_at", postgresql_where=text("status = 'pending'")),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(Tenant)
    rule: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(Text)
    due_at: Mapped[datetime] = _ts()
    status: Mapped[str] = mapped_column(String(16))  # pending, fired, cancelled
    data: Mapped[dict[str, Any]]
    event_id: Mapped[UUID]
    event_type: Mapped[str] = mapped_column(Text)
    branch_id: Mapped[str | None] = mapped_column(String(64))
    fired_at: Mapped[datetime | None] = _ts()
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _created()


class OutgoingMailRow(Base):
    """The durable mail queue: claimed with a lease, sent, then marked (at least once)."""

    __tablename__ = "outgoing_mail"
    __table_args__ = (
        Index("ix_outgoing_mail_due", "due_at", postgresql_where=text("status = 'pending'")),
        Index(None, "tenant_id", "mailing_id"),
        Index(None, "tenant_id", "contact_id"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(Tenant)
    kind: Mapped[str] = mapped_column(String(16))  # notification, campaign
    recipient_id: Mapped[str | None] = mapped_column(UserId)
    contact_id: Mapped[UUID | None]
    customer_id: Mapped[UUID | None]
    notification_id: Mapped[UUID | None]
    campaign_id: Mapped[UUID | None]
    mailing_id: Mapped[UUID | None]
    to_address: Mapped[str | None] = mapped_column(String(320))
    from_address: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    unsubscribe_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16))  # pending, sent, failed, cancelled
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    due_at: Mapped[datetime] = _ts()
    locked_until: Mapped[datetime | None] = _ts()
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = _ts()
    created_at: Mapped[datetime] = _created()


class MailingRow(Base):
    """One send of a campaign to its segment."""

    __tablename__ = "mailings"
    __table_args__ = (Index(None, "tenant_id", "campaign_id"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(Tenant)
    campaign_id: Mapped[UUID]
    segment_id: Mapped[UUID]
    subject: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    queued: Mapped[int] = mapped_column(Integer)
    skipped_unsubscribed: Mapped[int] = mapped_column(Integer)
    skipped_without_email: Mapped[int] = mapped_column(Integer)
    started_by: Mapped[str] = mapped_column(UserId)
    created_at: Mapped[datetime] = _ts()


# --- webhooks ----------------------------------------------------------------------------


class WebhookEndpointRow(Base):
    __tablename__ = "webhook_endpoints"
    __table_args__ = (Index(None, "tenant_id", "enabled"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(Tenant)
    url: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    event_types: Mapped[list[str]]
    secret: Mapped[str] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean)
    disabled_reason: Mapped[str | None] = mapped_column(String(16))
    disabled_at: Mapped[datetime | None] = _ts()
    failing_since: Mapped[datetime | None] = _ts()
    owner_id: Mapped[str] = mapped_column(UserId)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = _ts()
    updated_at: Mapped[datetime] = _ts()

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class WebhookDeliveryRow(Base):
    """One event to one endpoint: the durable queue of attempts, and the delivery log."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index(
            "ix_webhook_deliveries_due",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
        ),
        Index(None, "tenant_id", "endpoint_id", "created_at"),
        Index(
            "uq_webhook_deliveries_first",
            "endpoint_id",
            "event_id",
            unique=True,
            postgresql_where=text("replay_of IS NULL"),
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(Tenant)
    endpoint_id: Mapped[UUID] = mapped_column(ForeignKey("webhook_endpoints.id"))
    event_id: Mapped[UUID]
    event_type: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # pending, succeeded, failed
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[datetime | None] = _ts()
    locked_until: Mapped[datetime | None] = _ts()
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    replay_of: Mapped[UUID | None]
    created_at: Mapped[datetime] = _ts()
    finished_at: Mapped[datetime | None] = _ts()


class WebhookAttemptRow(Base):
    __tablename__ = "webhook_attempts"
    __table_args__ = (Index(None, "delivery_id", "attempt"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    delivery_id: Mapped[UUID] = mapped_column(ForeignKey("webhook_deliveries.id"))
    attempt: Mapped[int] = mapped_column(Integer)
    attempted_at: Mapped[datetime] = _ts()
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer)
    response_excerpt: Mapped[str | None] = mapped_column(Text)


# --- the event feed ----------------------------------------------------------------------


class FeedEventRow(Base):
    """Every event of every service, per tenant, in the order this service recorded it."""

    __tablename__ = "feed_events"
    __table_args__ = (
        Index(None, "tenant_id", "txid", "seq"),
        Index(None, "recorded_at"),
    )

    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    txid: Mapped[int] = mapped_column(BigInteger, server_default=CURRENT_TXID)
    tenant_id: Mapped[str] = mapped_column(Tenant)
    event_id: Mapped[UUID] = mapped_column(unique=True)
    event_type: Mapped[str] = mapped_column(Text)
    branch_id: Mapped[str | None] = mapped_column(String(64))
    customer_id: Mapped[UUID | None]
    envelope: Mapped[dict[str, Any]]
    recorded_at: Mapped[datetime] = _created()


class FeedWatermarkRow(Base):
    """The last position retention deleted per tenant: an older cursor has a gap behind it."""

    __tablename__ = "feed_watermarks"

    tenant_id: Mapped[str] = mapped_column(Tenant, primary_key=True)
    txid: Mapped[int] = mapped_column(BigInteger)
    seq: Mapped[int] = mapped_column(BigInteger)
