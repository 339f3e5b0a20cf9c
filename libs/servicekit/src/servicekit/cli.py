"""`python -m crm_<service> api|migrate`: one image, one entry point per role."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path

from servicekit.migrations import upgrade_to_head
from servicekit.settings import ServiceSettings


def service_main(
    *,
    app_factory: str,
    settings_cls: type[ServiceSettings],
    migrations: Path,
    default_port: int,
    argv: Sequence[str] | None = None,
) -> int:
    parser = argparse.ArgumentParser(prog=app_factory.split(".")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    api = commands.add_parser("api", help="serve HTTP (and run the relay and consumers)")
    api.add_argument("--host", default="127.0.0.1")
    api.add_argument("--port", type=int, default=default_port)
    worker = commands.add_parser(
        "worker", help="run consumers and the outbox relay; serve only health and metrics"
    )
    worker.add_argument("--host", default="127.0.0.1")
    worker.add_argument("--port", type=int, default=default_port + 1000)
    commands.add_parser("migrate", help="apply database migrations up to head")
    args = parser.parse_args(argv)
    prefix = str(settings_cls.model_config.get("env_prefix", ""))
    if args.command == "worker":
        os.environ[f"{prefix}SERVE_API"] = "false"
        os.environ.setdefault(f"{prefix}RUN_CONSUMER", "true")

    settings = settings_cls()
    if args.command == "migrate":
        upgrade_to_head(settings.database_url, migrations)
        return 0
    import uvicorn

    uvicorn.run(
        app_factory,
        factory=True,
        host=args.host,
        port=args.port,
        log_config=None,  # structlog owns logging
        timeout_graceful_shutdown=15,
        access_log=False,
    )
    return 0
