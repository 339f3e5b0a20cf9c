"""`crm status`: what run.json says is running, and what each `/readyz` answers."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import httpx
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from crm_local.home import Home, RunInfo, pid_alive


def _reachable(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


async def _readiness(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    try:
        response = await client.get(f"{url}/readyz")
    except httpx.HTTPError as exc:
        return {"ready": False, "status": f"no answer ({exc.__class__.__name__})", "checks": {}}
    try:
        body = response.json()
        checks = {str(k): str(v) for k, v in dict(body.get("checks", {})).items()}
    except (ValueError, AttributeError, TypeError):
        checks = {}
    ready = response.status_code == 200
    if ready:
        status = "ready"
    else:
        bad = ", ".join(f"{k}: {v}" for k, v in checks.items() if v != "ok")
        status = f"not ready ({bad or f'HTTP {response.status_code}'})"
    return {"ready": ready, "status": status, "checks": checks}


async def collect(home: Home, *, timeout_s: float = 3.0) -> dict[str, Any]:
    """The platform's status as a JSON-able dict; `all_ready` sums it up."""
    info: RunInfo | None = home.read_run()
    if info is None:
        return {
            "running": False,
            "all_ready": False,
            "home": str(home.root),
            "reason": f"not running: no {home.run_file.name} in {home.root} (start it: crm up)",
        }
    if not info.supervisor_alive():
        return {
            "running": False,
            "all_ready": False,
            "home": str(home.root),
            "reason": (
                f"not running: {home.run_file} is left over from supervisor pid "
                f"{info.supervisor_pid}, which is gone (start it again: crm up)"
            ),
        }
    async with httpx.AsyncClient(timeout=timeout_s) as client:
        answers = await asyncio.gather(*(_readiness(client, s.url) for s in info.services.values()))
    services: dict[str, Any] = {}
    for (name, run), answer in zip(info.services.items(), answers, strict=True):
        services[name] = {
            "url": run.url,
            "docs": f"{run.url}/docs",
            "port": run.port,
            "pid": run.pid,
            "database": run.database,
            **answer,
        }
    postgres_up = _reachable(info.postgres.host, info.postgres.port)
    broker_up = _reachable(info.broker.host, info.broker.port)
    return {
        "running": True,
        "state": info.state,
        "all_ready": postgres_up and broker_up and all(s["ready"] for s in services.values()),
        "home": str(home.root),
        "supervisor_pid": info.supervisor_pid,
        "started_at": info.started_at.isoformat(),
        "services": services,
        "broker": {
            "address": info.broker.bootstrap,
            "pid": info.broker.pid,
            "reachable": broker_up and info.broker.pid is not None and pid_alive(info.broker.pid),
        },
        "postgres": {
            "address": info.postgres.address,
            "pid": info.postgres.pid,
            "reachable": postgres_up,
        },
    }


def render(report: dict[str, Any], console: Console) -> None:
    if not report["running"]:
        console.print(f"[red]{escape(report['reason'])}[/]", highlight=False, soft_wrap=True)
        return
    table = Table(
        title=f"CRM platform ({report['state']})", title_justify="left", box=box.SIMPLE_HEAD
    )
    table.add_column("part", style="bold", no_wrap=True, min_width=13)
    table.add_column("address", no_wrap=True)
    table.add_column("pid", justify="right")
    table.add_column("status")

    def mark(ok: bool, text: str) -> str:
        return f"[green]{escape(text)}[/]" if ok else f"[red]{escape(text)}[/]"

    for name, service in report["services"].items():
        table.add_row(
            name,
            service["url"],
            str(service["pid"] or "-"),
            mark(service["ready"], service["status"]),
        )
    for name in ("broker", "postgres"):
        part = report[name]
        table.add_row(
            name,
            part["address"],
            str(part["pid"] or "-"),
            mark(part["reachable"], "reachable" if part["reachable"] else "unreachable"),
        )
    console.print(table)
    verdict = "all ready" if report["all_ready"] else "NOT all ready"
    console.print(
        mark(report["all_ready"], verdict)
        + f" (supervisor pid {report['supervisor_pid']}, home {report['home']})",
        highlight=False,
    )
