"""`crm reporting rebuild`: rebuild the reporting read models from the topics, with progress.

The reporting service does the work (`POST /rebuilds`): it replays every topic from offset
zero into new tables while the reports keep answering from the current ones, then swaps
them. This command starts it with the admin's token and follows `GET /rebuilds/{id}`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from crm_local.console import make_console
from crm_local.home import ENV_VAR, Home

reporting_app = typer.Typer(help="The reporting service's read models.", no_args_is_help=True)


class RebuildFailed(RuntimeError):
    """The service refused the rebuild, or the rebuild failed; the message says why."""


@dataclass(frozen=True)
class RebuildOutcome:
    applied: int
    consumed: int
    skipped: int
    seconds: float


def rebuild(
    base_url: str, token: str, console: Console, *, timeout_s: float = 7200, poll_s: float = 0.5
) -> RebuildOutcome:
    """Start a rebuild and follow it with a progress bar until it is done (or failed)."""
    headers = {"Authorization": f"Bearer {token}"}
    started = time.monotonic()
    with httpx.Client(base_url=base_url, timeout=60, headers=headers) as client:
        response = client.post("/rebuilds")
        if response.status_code != 202:
            raise RebuildFailed(_problem(response))
        location = response.headers["location"]
        body = _follow(client, location, console, started + timeout_s, poll_s)
    if body["status"] != "done":
        raise RebuildFailed(body.get("error") or "the rebuild failed")
    return RebuildOutcome(
        applied=int(body["applied"]),
        consumed=int(body["consumed"]),
        skipped=int(body["skipped"]),
        seconds=time.monotonic() - started,
    )


def _follow(
    client: httpx.Client, location: str, console: Console, deadline: float, poll_s: float
) -> dict[str, Any]:
    columns = (
        TextColumn("{task.fields[phase]:<9}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("events"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("rebuild", total=None, phase="starting")
        while True:
            response = client.get(location)
            if response.status_code != 200:
                raise RebuildFailed(_problem(response))
            body: dict[str, Any] = response.json()
            total = int(body.get("total") or 0)
            progress.update(
                task,
                total=total or None,
                completed=min(int(body.get("consumed") or 0), total) if total else 0,
                phase=body.get("phase", ""),
            )
            if body.get("status") in ("done", "failed"):
                return body
            if time.monotonic() > deadline:
                raise RebuildFailed(f"gave up waiting; the rebuild goes on at {location}")
            time.sleep(poll_s)


def _problem(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = response.text[:300]
    return f"{response.status_code}: {detail}"


@reporting_app.command("rebuild")
def rebuild_command(
    tenant: Annotated[str, typer.Option(help="Tenant of the admin token.")] = "demo",
    home: Annotated[
        Path | None,
        typer.Option(
            "--home",
            help=f"State directory; default ${ENV_VAR} or ./.crm",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Drop the reporting read models and rebuild them from the topics from offset zero
    (reports keep answering meanwhile), with a progress bar."""
    from crm_local.cli import UnknownUser, fail, token_for

    resolved = Home.resolve(home)
    run = resolved.read_run()
    if run is None or "reporting" not in run.services:
        fail("the platform is not running here: start it with `crm up`")
        raise typer.Exit(1)
    console = make_console()
    try:
        outcome = rebuild(
            run.services["reporting"].url, token_for(resolved, "admin", tenant=tenant), console
        )
    except (RebuildFailed, UnknownUser, httpx.HTTPError) as exc:
        fail(str(exc))
        raise typer.Exit(1) from exc
    rate = outcome.consumed / outcome.seconds if outcome.seconds else 0.0
    console.print(
        f"rebuilt: [bold]{outcome.applied}[/] events applied, {outcome.consumed} read, "
        f"{outcome.skipped} skipped ({outcome.seconds:.1f} s, {rate:.0f} events/s)"
    )
