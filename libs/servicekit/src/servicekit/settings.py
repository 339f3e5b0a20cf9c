"""Settings every service shares; each service subclasses with its own env prefix."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Read from `<PREFIX>_*` environment variables; invalid values stop start-up."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    service_name: str = "service"
    database_url: str = Field(
        default="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres",
        description="SQLAlchemy URL of this service's own database (asyncpg driver).",
    )
    database_pool_size: int = Field(default=10, ge=1, le=200)

    kafka_bootstrap: str = "127.0.0.1:9092"
    # Strimzi on Kubernetes: mutual TLS with a per-service KafkaUser certificate.
    kafka_security_protocol: Literal["PLAINTEXT", "SSL"] = "PLAINTEXT"
    kafka_ssl_cafile: Path | None = None
    kafka_ssl_certfile: Path | None = None
    kafka_ssl_keyfile: Path | None = None
    # Tansu (embedded) rejects InitProducerId; Apache Kafka in production turns this on.
    kafka_enable_idempotence: bool = False
    kafka_compression: str | None = "gzip"
    # Tansu answers a waiting fetch only when this runs out: it is the embedded event latency.
    consumer_fetch_max_wait_ms: int = Field(default=30, ge=1, le=10_000)
    consumer_group: str | None = None
    # Tests assign partitions by hand: joining a group takes ~5 s on the embedded broker.
    consumer_assign_manually: bool = False
    # With manual assignment, skip what the topics held before start (tests that share a
    # broker for a whole session care only about what they publish afterwards).
    consumer_start_at_end: bool = False
    consumer_max_attempts: int = Field(default=5, ge=1, le=100)
    consumer_retry_backoff_s: float = Field(default=0.2, gt=0, le=60)
    consumer_batch_size: int = Field(default=500, ge=1, le=10_000)

    outbox_batch_size: int = Field(default=500, ge=1, le=10_000)
    outbox_poll_interval_s: float = Field(default=1.0, gt=0, le=60)
    outbox_retention_days: int = Field(default=7, ge=0)
    # How often the relay checks that the broker still holds what it published.
    outbox_loss_check_interval_s: float = Field(default=30.0, gt=0)

    # One image, three roles: the API, its consumers (scaled on lag) and the relay run
    # together on a laptop and apart on Kubernetes (`python -m crm_<svc> worker`).
    serve_api: bool = True
    run_relay: bool = True
    run_consumer: bool = True
    run_jobs: bool = True

    jwt_jwks_file: Path | None = Field(
        default=None, description="JSON Web Key Set with the public keys that sign tokens."
    )
    jwt_jwks_url: str | None = Field(
        default=None, description="JWKS URL of the company's OpenID Connect provider."
    )
    jwt_issuer: str = "crm-local"
    jwt_audience: str = "crm"

    log_level: str = "INFO"
    log_json: bool = True

    # Per user (or client address) and replica; 0 turns the limit off.
    rate_limit_per_minute: int = Field(default=1200, ge=0)
    rate_limit_burst: int = Field(default=100, ge=1)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    # Bulk routes (CSV imports) accept more; every other body stays under max_body_bytes.
    max_upload_bytes: int = Field(default=64 * 1_048_576, ge=1024)

    @model_validator(mode="after")
    def _needs_a_key_source(self) -> Self:
        if self.jwt_jwks_file is None and self.jwt_jwks_url is None:
            raise ValueError("set jwt_jwks_file or jwt_jwks_url: tokens cannot be verified")
        return self

    def kafka_client_options(self) -> dict[str, Any]:
        """Connection options every Kafka client of this service shares. Certificates are read
        here, when a client is built, so processes that never connect need none."""
        options: dict[str, Any] = {"bootstrap_servers": self.kafka_bootstrap}
        if self.kafka_security_protocol == "SSL":
            from aiokafka.helpers import create_ssl_context

            options["security_protocol"] = "SSL"
            options["ssl_context"] = create_ssl_context(
                cafile=str(self.kafka_ssl_cafile) if self.kafka_ssl_cafile else None,
                certfile=str(self.kafka_ssl_certfile) if self.kafka_ssl_certfile else None,
                keyfile=str(self.kafka_ssl_keyfile) if self.kafka_ssl_keyfile else None,
            )
        return options

    @property
    def sync_database_url(self) -> str:
        """The same database for tools that need a plain URL (asyncpg connect, Alembic)."""
        return self.database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
