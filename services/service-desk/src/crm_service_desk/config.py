"""service-desk service settings: SERVICE_DESK_* environment variables."""

from pydantic_settings import SettingsConfigDict
from servicekit.settings import ServiceSettings


class ServiceDeskSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SERVICE_DESK_", extra="ignore", frozen=True)

    service_name: str = "service-desk"
