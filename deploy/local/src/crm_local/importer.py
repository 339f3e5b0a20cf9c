"""`crm import customers FILE.csv`: send a CSV to the customers service and follow the job."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


@dataclass(frozen=True)
class ImportOutcome:
    imported: int
    failed: int
    errors: list[dict[str, Any]]
    seconds: float


def import_customers(
    base_url: str, token: str, path: Path, console: Console, *, timeout_s: float = 3600
) -> ImportOutcome:
    """Upload, then poll the job with a progress bar until it is done (or failed)."""
    started = time.monotonic()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "text/csv"}
    with httpx.Client(base_url=base_url, timeout=120) as client:
        response = client.post("/imports/customers", content=path.read_bytes(), headers=headers)
        if response.status_code not in (200, 202):
            raise ImportFailed(_problem(response))
        report = response.json()
        if response.status_code == 202:
            report = _follow(
                client, response.headers["location"], headers, console, started + timeout_s
            )
    if report.get("status") == "failed":
        raise ImportFailed(report.get("detail") or "the import job failed")
    return ImportOutcome(
        imported=int(report["imported"]),
        failed=int(report["failed"]),
        errors=list(report.get("errors") or []),
        seconds=time.monotonic() - started,
    )


def _follow(
    client: httpx.Client,
    location: str,
    headers: dict[str, str],
    console: Console,
    deadline: float,
) -> dict[str, Any]:
    columns = (TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("rows", total=None)
        while True:
            job = client.get(location, headers={"Authorization": headers["Authorization"]})
            if job.status_code != 200:
                raise ImportFailed(_problem(job))
            body: dict[str, Any] = job.json()
            progress.update(
                task, total=body.get("total_rows") or None, completed=body.get("processed_rows", 0)
            )
            if body.get("status") in ("done", "failed"):
                return body
            if time.monotonic() > deadline:
                raise ImportFailed(f"gave up waiting; the job goes on at {location}")
            time.sleep(0.5)


def _problem(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = response.text[:300]
    return f"{response.status_code}: {detail}"


class ImportFailed(RuntimeError):
    """The service refused the file or the job failed."""
