"""Reporting service settings: REPORTING_* environment variables."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict
from servicekit.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REPORTING_", extra="ignore", frozen=True)

    service_name: str = "reporting"
    # The scheduled forecast snapshot: checked this often, taken once a day per tenant.
    snapshot_interval_s: float = Field(default=3600, gt=0)
    # A rebuild applies the topics in windows of this many records, one transaction each.
    replay_batch_size: int = Field(default=20_000, ge=1, le=200_000)
    replay_fetch_max_wait_ms: int = Field(default=50, ge=1, le=10_000)
    # A running rebuild whose heartbeat is older than this is taken as dead (its process
    # stopped); a new one may start.
    rebuild_stale_after_s: float = Field(default=120, gt=0)
    # A rebuild replays every tenant's events: on a platform that serves several companies
    # only the administrators of this (the operator's own) tenant may start or follow one.
    # None: one company per platform (the embedded default), its administrators may.
    operator_tenant: str | None = None
