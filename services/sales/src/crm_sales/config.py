"""Sales service settings: SALES_* environment variables."""

from pydantic_settings import SettingsConfigDict
from servicekit.settings import ServiceSettings


class SalesSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SALES_", extra="ignore", frozen=True)

    service_name: str = "sales"
