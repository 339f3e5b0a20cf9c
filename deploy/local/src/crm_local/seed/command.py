"""The `crm seed` command (registered on the `crm` app in cli.py). Imports stay light: the
seed itself is imported when the command runs."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer


class SizeChoice(StrEnum):
    small = "small"
    medium = "medium"
    large = "large"


def seed(
    demo: Annotated[
        bool, typer.Option("--demo", help="Load the demo company (the only data set so far).")
    ] = False,
    size: Annotated[
        SizeChoice,
        typer.Option(
            help="small: 150 customers; medium: 2,000 (about 14,600 requests); large: 10,000."
        ),
    ] = SizeChoice.medium,
    seed_value: Annotated[
        int, typer.Option("--seed", help="Same seed, same company (names, amounts, dates).")
    ] = 42,
    concurrency: Annotated[
        int, typer.Option(min=1, max=64, help="Requests in flight per service.")
    ] = 12,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Also print when each phase ended.")
    ] = False,
    home: Annotated[
        Path | None,
        typer.Option(
            "--home",
            help="State directory of the running platform; default $CRM_HOME or ./.crm",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Load a realistic demo company into the running platform through the services' APIs:
    tenant `demo`, two branches, ten reps, customers, deals, quotes, tickets and more.
    Running it again creates nothing twice."""
    from rich.markup import escape

    from crm_local.console import make_console
    from crm_local.home import Home
    from crm_local.seed.client import SeedError
    from crm_local.seed.run import KINDS, seed_demo

    err = make_console(stderr=True)
    if not demo:
        err.print("[red]error:[/] say what to load: `crm seed --demo`", highlight=False)
        raise typer.Exit(2)
    resolved = Home.resolve(home)
    run = resolved.read_run()
    if run is None or not run.supervisor_alive() or run.state != "ready":
        err.print(
            f"[red]error:[/] the platform is not running from {escape(str(resolved.root))}: "
            "start it with `make up` (or `crm up`)",
            highlight=False,
        )
        raise typer.Exit(1)
    console = make_console()
    urls = {name: service.url for name, service in run.services.items()}
    console.print(
        f"seeding the demo company ({size.value}, seed {seed_value}) into {resolved.root}",
        highlight=False,
    )
    try:
        result = seed_demo(
            urls,
            resolved.keys_dir / "signing-key.pem",
            seed=seed_value,
            size=size.value,
            console=console,
            concurrency=concurrency,
        )
    except SeedError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        err.print("Run the same command again: what was loaded stays, the rest follows.")
        raise typer.Exit(1) from exc
    outcome, stats = result.outcome, result.stats
    made = ", ".join(f"{outcome.created[k]} {k}" for k in KINDS if outcome.created[k])
    console.print(f"created: {made or 'nothing (all there already)'}", highlight=False)
    kept = sum(outcome.existing.values())
    if kept:
        console.print(f"already there: {kept} records", highlight=False)
    console.print(
        f"loaded in {result.load_seconds:.1f} s with {stats.requests} requests "
        f"({stats.requests / max(result.load_seconds, 0.001):.0f}/s)",
        highlight=False,
    )
    if verbose:
        for at, what in result.marks:
            console.print(f"  {at:6.1f} s  {what}", highlight=False)
        by = ", ".join(f"{n} {svc}" for svc, n in sorted(stats.by_service.items()))
        console.print(
            f"  requests: {by}; retried {stats.retries} (of which {stats.lag_waits} waiting "
            f"for events), answered from an earlier run's key {stats.replayed}",
            highlight=False,
        )
        console.print("  requests by kind (count, seconds waited for answers):", highlight=False)
        ranked = sorted(stats.by_kind.items(), key=lambda kv: kv[1][1], reverse=True)
        for kind, (n, seconds) in ranked:
            console.print(
                f"    {int(n):6d} {seconds:8.1f} s  {seconds / n * 1000:6.0f} ms/each  {kind}",
                highlight=False,
            )
    if result.settle_seconds is None:
        console.print("[yellow]some events are still being applied: reports fill in shortly")
    else:
        console.print(f"every event applied {result.settle_seconds:.1f} s later", highlight=False)
    console.print("Try it: TOKEN=$(crm token north-rep)  (README: First five minutes)")
