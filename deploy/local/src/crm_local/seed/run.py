"""`crm seed --demo`: build the plan, mint the users' tokens, load it with a progress bar, then
wait until every service has applied every event (so the reports show the whole company)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from servicekit.keys import mint_token

from crm_local.seed import catalog
from crm_local.seed.client import Api, Stats
from crm_local.seed.loader import Outcome, Seeder
from crm_local.seed.plan import TENANT, ZONE, Plan, build
from crm_local.seed.settle import Watch

# What the progress bar shows, in this order, with how many of each the plan holds.
KINDS = (
    "users",
    "products",
    "announcements",
    "customers",
    "ownership",
    "contacts",
    "interactions",
    "lifecycle",
    "segments",
    "campaigns",
    "responses",
    "mailings",
    "opportunities",
    "quotes",
    "contracts",
    "tasks",
    "expenses",
    "assets",
    "tickets",
    "surveys",
    "snapshots",
)


def planned(plan: Plan) -> dict[str, int]:
    customers = plan.customers
    return {
        "users": len(plan.users),
        "products": len(catalog.PRODUCTS),
        "announcements": len(plan.announcements),
        "customers": len(customers),
        "ownership": sum(c.ownership is not None for c in customers),
        "contacts": sum(len(c.contacts) for c in customers),
        "interactions": sum(len(c.interactions) for c in customers),
        "lifecycle": sum(c.final_stage != c.stage for c in customers),
        "segments": len(plan.segments),
        "campaigns": 1,
        "responses": len(plan.campaign.responses),
        "mailings": 1,
        "opportunities": len(plan.opportunities),
        "quotes": sum(o.quote is not None for o in plan.opportunities),
        "contracts": len(plan.contracts),
        "tasks": len(plan.tasks),
        "expenses": len(plan.expenses),
        "assets": len(plan.assets),
        "tickets": len(plan.tickets),
        "surveys": sum(t.survey is not None and t.contact is not None for t in plan.tickets),
        "snapshots": 2,
    }


def tokens(private_pem: Path, plan: Plan) -> Callable[[str], str]:
    """A token per user, minted once: the plan's staff, and portal contacts named
    `portal:<customer id>:<contact id>` (a contact acts for its one customer)."""
    staff = {u.id: u for u in plan.users}
    minted: dict[str, str] = {}

    def token(user: str) -> str:
        if user not in minted:
            if user.startswith("portal:"):
                _, customer, contact = user.split(":")
                minted[user] = mint_token(
                    private_pem,
                    sub=f"contact-{contact}",
                    tenant=TENANT,
                    roles=["portal"],
                    customer=customer,
                )
            else:
                u = staff[user]
                minted[user] = mint_token(
                    private_pem, sub=u.id, tenant=TENANT, roles=list(u.roles), branch=u.branch
                )
        return minted[user]

    return token


@dataclass(frozen=True)
class SeedResult:
    plan: Plan
    outcome: Outcome
    marks: list[tuple[float, str]]  # seconds from the start when each phase ended
    stats: Stats
    load_seconds: float
    settle_seconds: float | None  # None: the services had not applied every event in time


def seed_demo(
    urls: Mapping[str, str],
    private_pem: Path,
    *,
    seed: int,
    size: str,
    console: Console,
    concurrency: int = 12,
    settle_timeout_s: float = 120.0,
) -> SeedResult:
    plan = build(seed, size, datetime.now(ZONE).date())
    return asyncio.run(_seed(plan, urls, private_pem, console, concurrency, settle_timeout_s))


async def _seed(
    plan: Plan,
    urls: Mapping[str, str],
    private_pem: Path,
    console: Console,
    concurrency: int,
    settle_timeout_s: float,
) -> SeedResult:
    totals = planned(plan)
    columns = (
        TextColumn("{task.description:<14}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    api = Api(
        urls,
        tokens(private_pem, plan),
        key_prefix=f"crm-seed:{plan.seed}:{plan.size}",
        concurrency=concurrency,
    )
    watch = Watch(urls)
    progress = Progress(
        *columns, console=console, transient=not console.is_terminal, refresh_per_second=4
    )
    try:
        with progress:
            bars = {kind: progress.add_task(kind, total=totals[kind]) for kind in KINDS}
            seeder = Seeder(plan, api, watch, lambda kind, n: progress.advance(bars[kind], n))
            outcome = await seeder.run()
            settle = progress.add_task("settling", total=None)
            began = time.monotonic()
            settled = await watch.until_settled(timeout_s=settle_timeout_s)
            progress.update(settle, total=1, completed=1)
    finally:
        await api.aclose()
        await watch.aclose()
    settle_seconds = time.monotonic() - began if settled else None
    start = seeder.marks[0][0]
    marks = [(at - start, what) for at, what in seeder.marks[1:]]
    return SeedResult(plan, outcome, marks, api.stats, outcome.seconds, settle_seconds)
