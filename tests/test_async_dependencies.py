"""No route or dependency of any service runs in FastAPI's thread pool (see
servicekit.testing.threadpool for why: a thread hand-off per dependency per request)."""

from __future__ import annotations

import importlib
import typing
from pathlib import Path

import pytest
from servicekit.keys import ensure_keypair
from servicekit.testing.threadpool import threadpool_callables

SERVICES = ["crm_customers", "crm_sales", "crm_service_desk", "crm_notifications", "crm_reporting"]


@pytest.mark.parametrize("package", SERVICES)
def test_every_route_and_dependency_is_async(package: str, tmp_path: Path) -> None:
    create_app = importlib.import_module(f"{package}.app").create_app
    settings_type = typing.get_args(typing.get_type_hints(create_app)["settings"])[0]
    app = create_app(settings_type(jwt_jwks_file=ensure_keypair(tmp_path).jwks))
    assert threadpool_callables(app) == []
