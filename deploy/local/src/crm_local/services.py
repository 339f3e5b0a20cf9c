"""The five services `crm up` runs: names, modules, ports, databases and environments."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

DEFAULT_BASE_PORT: Final = 8101
DEFAULT_SMTP_PORT: Final = 2525
HOST: Final = "127.0.0.1"


@dataclass(frozen=True)
class ServiceSpec:
    """One service as the supervisor sees it; it is configured only by `<prefix>*` variables."""

    name: str  # "service-desk": the name in URLs, logs and tables
    module: str  # "crm_service_desk": runs as `python -m <module> api`
    default_port: int
    env_prefix: str  # "SERVICE_DESK_"

    @property
    def database(self) -> str:
        """The service's own database on the shared server."""
        return f"crm_{self.name.replace('-', '_')}"

    def migrations(self) -> Path:
        """Alembic script location: `<package>/migrations`, the service's `app.MIGRATIONS`.

        Found without importing the app (FastAPI, routers: about 3 s here), which migrating
        does not need; a test holds the two equal.
        """
        spec = importlib.util.find_spec(self.module)
        if spec is None or not spec.submodule_search_locations:
            raise ModuleNotFoundError(f"service package {self.module} is not installed")
        return Path(next(iter(spec.submodule_search_locations))) / "migrations"

    def command(self, port: int, *, host: str = HOST) -> list[str]:
        return [sys.executable, "-m", self.module, "api", "--host", host, "--port", str(port)]


SERVICES: Final[tuple[ServiceSpec, ...]] = (
    ServiceSpec("customers", "crm_customers", 8101, "CUSTOMERS_"),
    ServiceSpec("sales", "crm_sales", 8102, "SALES_"),
    ServiceSpec("service-desk", "crm_service_desk", 8103, "SERVICE_DESK_"),
    ServiceSpec("notifications", "crm_notifications", 8104, "NOTIFICATIONS_"),
    ServiceSpec("reporting", "crm_reporting", 8105, "REPORTING_"),
)

SERVICE_NAMES: Final[tuple[str, ...]] = tuple(s.name for s in SERVICES)


def service_named(name: str) -> ServiceSpec:
    for spec in SERVICES:
        if spec.name == name:
            return spec
    raise KeyError(f"unknown service {name!r}; services: {', '.join(SERVICE_NAMES)}")


def service_ports(base_port: int = DEFAULT_BASE_PORT) -> dict[str, int]:
    """Ports base, base+1, ... in registry order (customers, sales, service-desk, ...)."""
    if not 1 <= base_port <= 65535 - len(SERVICES) + 1:
        raise ValueError(f"base port {base_port} leaves no room for {len(SERVICES)} services")
    return {spec.name: base_port + i for i, spec in enumerate(SERVICES)}


def service_env(
    spec: ServiceSpec,
    *,
    database_url: str,
    kafka_bootstrap: str,
    jwks_file: Path,
    log_json: bool = True,
    log_level: str = "INFO",
    base: Mapping[str, str] | None = None,
    links: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The whole environment of one service process.

    `base` (usually `os.environ`) is inherited, so other `<prefix>*` settings (tuning knobs) still
    reach the service; the connection settings are always the embedded platform's own.
    """
    env = dict(base or {})
    p = spec.env_prefix
    # The embedded broker answers a fetch only when fetch_max_wait runs out, even if data came
    # in meanwhile. Reports should show a write within tens of ms, so reporting waits 10 ms;
    # the others keep 30 ms: every consumer at 10 ms kept the idle broker at half a core.
    # Apache Kafka answers as data arrives, so deployments keep the default.
    if spec.name == "reporting":
        env.setdefault(f"{p}CONSUMER_FETCH_MAX_WAIT_MS", "10")
    env.update(
        {
            f"{p}DATABASE_URL": database_url,
            f"{p}KAFKA_BOOTSTRAP": kafka_bootstrap,
            f"{p}JWT_JWKS_FILE": str(jwks_file),
            f"{p}LOG_JSON": "true" if log_json else "false",
            f"{p}LOG_LEVEL": log_level.upper(),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(links or {})
    return env


def service_links(
    spec: ServiceSpec, ports: Mapping[str, int], *, host: str = HOST
) -> dict[str, str]:
    """Where a service finds the other parts it talks to (beyond the database and broker)."""
    if spec.name != "notifications":
        return {}
    p = spec.env_prefix
    return {
        f"{p}SMTP_HOST": host,
        f"{p}SMTP_PORT": str(ports["smtp"]),
        # Campaign mail resolves a segment's members through the customers API.
        f"{p}CUSTOMERS_URL": f"http://{host}:{ports['customers']}",
        f"{p}PUBLIC_URL": f"http://{host}:{ports['notifications']}",
    }
