"""Notifications service settings: NOTIFICATIONS_* environment variables."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict
from servicekit.settings import ServiceSettings


class NotificationsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_", extra="ignore", frozen=True)

    service_name: str = "notifications"

    # Links in e-mails (unsubscribe) point here: the service as the outside world reaches it.
    public_url: str = Field(default="http://127.0.0.1:8104", pattern=r"^https?://")
    # Segment members are read from the customers service with the caller's own token.
    customers_url: str = Field(default="http://127.0.0.1:8101", pattern=r"^https?://")

    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_s: float = Field(default=15.0, gt=0, le=300)
    # The sender when a tenant has not set its own (`PUT /settings`).
    mail_from: str = Field(default="CRM <no-reply@crm.local>", min_length=3)
    mail_batch_size: int = Field(default=100, ge=1, le=5000)
    # Campaign mail leaves at this rate per tenant; the rest waits its turn in the queue.
    campaign_mails_per_minute: int = Field(default=600, ge=1, le=100_000)

    webhook_timeout_s: float = Field(default=10.0, gt=0, le=60)
    webhook_batch_size: int = Field(default=100, ge=1, le=5000)
    webhook_concurrency: int = Field(default=16, ge=1, le=256)
    # SSRF guard: endpoints may not resolve to loopback, private, link-local or reserved
    # addresses, except hosts listed here (tests and on-premises receivers).
    webhook_allowed_hosts: list[str] = Field(default_factory=list)
    webhook_disable_after_days: float = Field(default=5.0, gt=0)

    feed_retention_days: float = Field(default=7.0, gt=0, le=90)
    feed_page_max: int = Field(default=500, ge=1, le=5000)
    # An SSE connection ends after this long; the client reconnects with Last-Event-ID.
    feed_stream_max_s: float = Field(default=300.0, gt=0, le=3600)
    feed_stream_poll_s: float = Field(default=1.0, gt=0, le=60)

    reminder_interval_s: float = Field(default=5.0, gt=0, le=3600)
    mail_interval_s: float = Field(default=2.0, gt=0, le=3600)
    webhook_interval_s: float = Field(default=1.0, gt=0, le=3600)
