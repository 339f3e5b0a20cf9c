"""notifications service settings: NOTIFICATIONS_* environment variables."""

from pydantic_settings import SettingsConfigDict
from servicekit.settings import ServiceSettings


class NotificationsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_", extra="ignore", frozen=True)

    service_name: str = "notifications"
