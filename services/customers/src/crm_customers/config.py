"""Customers service settings: CUSTOMERS_* environment variables."""

from pydantic_settings import SettingsConfigDict
from servicekit.settings import ServiceSettings


class CustomersSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CUSTOMERS_", extra="ignore", frozen=True)

    service_name: str = "customers"
