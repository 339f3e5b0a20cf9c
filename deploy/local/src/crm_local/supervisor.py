"""`crm up`: run PostgreSQL, the broker and the five services under one supervisor.

Start-up: PostgreSQL and the broker in parallel; then databases and migrations, topics and the
signing keys in parallel; then the services; then wait for every `/readyz`. Afterwards the
supervisor restarts whatever dies (with back-off) until SIGINT/SIGTERM/SIGHUP, when it stops
the services, then the broker, then PostgreSQL, and removes run.json.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import signal
import socket
import subprocess
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Final, TypeVar

import httpx
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from servicekit.embedded import EmbeddedBroker, EmbeddedPostgres
from servicekit.embedded.process import spawn, stop_process

from crm_local.home import (
    BrokerRun,
    Home,
    PostgresRun,
    RunInfo,
    ServiceRun,
    process_start_ticks,
)
from crm_local.mailbox import LocalMailbox
from crm_local.processes import describe_exit
from crm_local.services import (
    DEFAULT_BASE_PORT,
    DEFAULT_SMTP_PORT,
    HOST,
    SERVICES,
    ServiceSpec,
    service_env,
    service_links,
)

T = TypeVar("T")

DEFAULT_BROKER_PORT: Final = 9092
DEFAULT_PG_PORT: Final = 55432
READY_TIMEOUT_S: Final = 60.0
SERVICE_STOP_TIMEOUT_S: Final = 20.0  # uvicorn's graceful shutdown is 15 s
TOKEN_HINT_USER: Final = "north-rep"
READY_MARKER: Final = "CRM platform ready"


class StartupError(Exception):
    """`crm up` cannot start the platform; the message says why and what to do."""


class _Interrupted(Exception):
    """A stop was requested while starting."""


@dataclass
class CrashTracker:
    """Restart back-off: doubling delays for quick crashes, and a limit on them in a row.

    A crash within `quick_s` of a start is quick; a process that ran longer starts afresh.
    """

    quick_s: float = 30.0
    limit: int = 5
    base_delay_s: float = 0.5
    max_delay_s: float = 10.0
    quick: int = 0

    def crashed(self, uptime_s: float) -> float | None:
        """The delay before the next start, or None to give up."""
        self.quick = self.quick + 1 if uptime_s < self.quick_s else 0
        if self.quick >= self.limit:
            return None
        return float(min(self.base_delay_s * 2**self.quick, self.max_delay_s))


@dataclass(frozen=True)
class UpOptions:
    home: Home
    base_port: int = DEFAULT_BASE_PORT
    broker_port: int = DEFAULT_BROKER_PORT
    pg_port: int = DEFAULT_PG_PORT
    smtp_port: int = DEFAULT_SMTP_PORT
    host: str = HOST
    ready_timeout_s: float = READY_TIMEOUT_S
    log_level: str = "INFO"
    log_json: bool = True
    token_hint: str = f"crm token {TOKEN_HINT_USER}"

    def ports(self) -> dict[str, int]:
        """Every port `crm up` listens on, by what uses it."""
        ports = {spec.name: self.base_port + i for i, spec in enumerate(SERVICES)}
        ports["broker"] = self.broker_port
        ports["postgres"] = self.pg_port
        ports["smtp"] = self.smtp_port
        return ports


@dataclass
class ManagedService:
    spec: ServiceSpec
    port: int
    env: dict[str, str]
    host: str = HOST
    proc: subprocess.Popen[bytes] | None = None
    log: IO[bytes] | None = None
    started_at: float = 0.0
    crashes: CrashTracker = field(default_factory=CrashTracker)
    gave_up: bool = False
    last_status: str = "starting"

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None and self.proc.poll() is None else None


def port_taken(host: str, port: int) -> bool:
    """True when something listens on (or holds) host:port."""
    with socket.socket() as probe:
        probe.settimeout(0.2)
        if probe.connect_ex((host, port)) == 0:
            return True
    with socket.socket() as s:
        # Like uvicorn and PostgreSQL: a port in TIME_WAIT is free to reuse.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return True
            raise
    return False


def check_ports(options: UpOptions) -> None:
    """Refuse clearly when a port is out of range, used twice, or taken."""
    ports = options.ports()
    by_port: dict[int, list[str]] = {}
    for user, port in ports.items():
        if not 1 <= port <= 65535:
            raise StartupError(f"port {port} for {user} is out of range")
        by_port.setdefault(port, []).append(user)
    clashes = {p: users for p, users in by_port.items() if len(users) > 1}
    if clashes:
        described = "; ".join(f"{p}: {', '.join(u)}" for p, u in sorted(clashes.items()))
        raise StartupError(f"the same port is given to more than one part ({described})")
    taken = [(user, port) for user, port in ports.items() if port_taken(options.host, port)]
    if taken:
        hints = {"broker": "--broker-port", "postgres": "--pg-port", "smtp": "--smtp-port"}
        lines = [
            f"port {options.host}:{port} ({user}) is taken; "
            f"choose another with {hints.get(user, '--base-port')}"
            for user, port in taken
        ]
        raise StartupError(
            "\n".join(lines) + "\nIs another `crm up` running? `crm status` shows it."
        )


def tail(path: Path, lines: int = 15) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, 2)
            fh.seek(max(0, fh.tell() - 16_384))
            text = fh.read().decode(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


class Supervisor:
    def __init__(self, options: UpOptions, console: Console) -> None:
        self.options = options
        self.home = options.home
        self.console = console
        self.postgres: EmbeddedPostgres | None = None
        self.broker: EmbeddedBroker | None = None
        self.mailbox: LocalMailbox | None = None
        self.services: list[ManagedService] = []
        self._logs: dict[str, IO[bytes]] = {}
        self._stop = asyncio.Event()
        self._stopping = False
        self._started = False  # all services were ready once
        self._owns_run_file = False
        self._watchers: list[asyncio.Task[None]] = []
        self._infra_starts: set[asyncio.Future[None]] = set()
        self._started_at = datetime.now(UTC)
        self._http: httpx.AsyncClient | None = None
        self._exit_code = 0

    # -- entry point ------------------------------------------------------------------------

    async def run(self) -> int:
        # The admin client logs every failed attempt while the broker starts; we report once.
        logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
        loop = asyncio.get_running_loop()
        handled = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
        for sig in handled:
            loop.add_signal_handler(sig, self._request_stop, sig)
        try:
            async with httpx.AsyncClient(timeout=2.0) as http:
                self._http = http
                try:
                    await self._start()
                    await self._stop.wait()
                except _Interrupted:
                    pass
                except StartupError as exc:
                    self.console.print(
                        f"[bold red]crm up failed:[/] {escape(str(exc))}", highlight=False
                    )
                    self._exit_code = 1
                finally:
                    await self._shutdown()
        finally:
            for sig in handled:
                loop.remove_signal_handler(sig)
        return self._exit_code

    def _say(self, message: str) -> None:
        """One timestamped line of supervisor news (markup allowed, never wrapped)."""
        stamp = datetime.now().strftime("%H:%M:%S")
        self.console.print(f"[dim]{stamp}[/] {message}", highlight=False, soft_wrap=True)

    def _request_stop(self, sig: signal.Signals) -> None:
        if self._stop.is_set():
            self._say("still stopping: services get up to 20 s to finish their work")
            return
        self._say(f"{sig.name}: stopping the platform")
        self._stop.set()

    def _check_interrupted(self) -> None:
        if self._stop.is_set():
            raise _Interrupted

    async def _until_stopped(self, awaitable: Awaitable[T]) -> T:
        """Await, but give up as soon as a stop is requested."""
        task: asyncio.Future[T] = asyncio.ensure_future(awaitable)
        stopper: asyncio.Future[Any] = asyncio.ensure_future(self._stop.wait())
        waiting: set[asyncio.Future[Any]] = {task, stopper}
        try:
            await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopper.cancel()
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
            raise _Interrupted
        return task.result()

    # -- start-up ---------------------------------------------------------------------------

    async def _start(self) -> None:
        began = time.monotonic()
        self._preflight()
        self.home.ensure()
        self._owns_run_file = True
        self._write_run("starting")

        await self._start_infra()
        self._check_interrupted()
        self._say(
            f"PostgreSQL {self.options.host}:{self.options.pg_port} and broker "
            f"{self.options.host}:{self.options.broker_port} are up "
            f"({time.monotonic() - began:.1f} s)"
        )

        # Wait for all three, even when one fails: a thread cannot be cancelled.
        keys, migrated, topics = await asyncio.gather(
            asyncio.to_thread(self._ensure_keys),
            asyncio.to_thread(self._migrate_all),
            self._create_topics(),
            return_exceptions=True,
        )
        for outcome in (migrated, topics, keys):
            if isinstance(outcome, BaseException):
                raise outcome
        assert isinstance(keys, Path)
        self._check_interrupted()
        self._say(
            f"databases migrated, topics created ({time.monotonic() - began:.1f} s); "
            "starting the services"
        )

        assert self.postgres is not None
        assert self.broker is not None
        ports = self.options.ports()
        for spec in SERVICES:
            env = service_env(
                spec,
                database_url=self.postgres.url(spec.database),
                kafka_bootstrap=self.broker.bootstrap,
                jwks_file=keys,
                log_json=self.options.log_json,
                log_level=self.options.log_level,
                base=os.environ,
                links=service_links(spec, ports, host=self.options.host),
            )
            service = ManagedService(spec, ports[spec.name], env, host=self.options.host)
            self.services.append(service)
            self._spawn_service(service)
        self._write_run("starting")
        for service in self.services:
            self._watch(self._watch_service(service), f"watch-{service.name}")
        self._watch(self._watch_postgres(), "watch-postgres")
        self._watch(self._watch_broker(), "watch-broker")

        await self._until_stopped(self._wait_all_ready())
        self._started = True
        self._write_run("ready")
        self._print_ready(time.monotonic() - began)

    def _preflight(self) -> None:
        running = self.home.read_run()
        if running is not None and running.supervisor_alive():
            raise StartupError(
                f"the platform is already running from {self.home.root} "
                f"(supervisor pid {running.supervisor_pid}); `crm status` shows it"
            )
        check_ports(self.options)

    def _open_log(self, name: str) -> IO[bytes]:
        log = self._logs.get(name)
        if log is None or log.closed:
            log = open(self.home.log_file(name), "ab", buffering=0)  # noqa: SIM115
            self._logs[name] = log
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        log.write(f"--- crm up: starting {name} at {stamp} ---\n".encode())
        return log

    async def _start_infra(self) -> None:
        self.postgres = EmbeddedPostgres(
            self.home.postgres_dir, port=self.options.pg_port, host=self.options.host, durable=True
        )
        self.broker = EmbeddedBroker(port=self.options.broker_port, host=self.options.host)
        pg_log, broker_log = self._open_log("postgres"), self._open_log("broker")
        results = await asyncio.gather(
            asyncio.to_thread(self.postgres.start, log=pg_log),
            asyncio.to_thread(self.broker.start, log=broker_log),
            return_exceptions=True,
        )
        self._write_run("starting")
        failures = [
            f"{what} did not start: {result} (log: {self.home.log_file(name)})"
            for (what, name), result in zip(
                (("PostgreSQL", "postgres"), ("the broker", "broker")), results, strict=True
            )
            if isinstance(result, BaseException)
        ]
        if failures:
            raise StartupError("\n".join(failures))
        self.mailbox = LocalMailbox(
            self.home.root / "mail", host=self.options.host, port=self.options.smtp_port
        )
        await asyncio.to_thread(self.mailbox.start)

    def _ensure_keys(self) -> Path:
        from servicekit.keys import ensure_keypair

        return ensure_keypair(self.home.keys_dir).jwks

    def _migrate_all(self) -> None:
        """One database per service, migrated to head.

        Sequential on purpose: Alembic keeps its `context`/`op` proxies in module globals, so
        two migrations in threads of one process would trample each other.
        """
        from servicekit.migrations import upgrade_to_head

        assert self.postgres is not None
        for spec in SERVICES:
            if self._stop.is_set():
                return
            try:
                self.postgres.create_database(spec.database)
                upgrade_to_head(self.postgres.url(spec.database), spec.migrations())
            except subprocess.CalledProcessError as exc:
                raise StartupError(
                    f"cannot create database {spec.database}: {exc.stderr or exc}"
                ) from exc
            except Exception as exc:
                raise StartupError(
                    f"migrating {spec.name} ({spec.database}) failed: "
                    f"{exc.__class__.__name__}: {exc}"
                ) from exc

    async def _create_topics(self) -> None:
        from crm_contracts.topics import ALL_TOPICS, DEFAULT_PARTITIONS, dlq_topic
        from servicekit.kafka import ensure_topics, wait_for_broker

        assert self.broker is not None
        topics = [*ALL_TOPICS, *(dlq_topic(t) for t in ALL_TOPICS)]
        try:
            await wait_for_broker(self.broker.bootstrap, timeout_s=20)
            await ensure_topics(self.broker.bootstrap, topics, partitions=DEFAULT_PARTITIONS)
        except Exception as exc:
            raise StartupError(
                f"cannot create the topics on {self.broker.bootstrap}: "
                f"{exc.__class__.__name__}: {exc} (log: {self.home.log_file('broker')})"
            ) from exc

    def _spawn_service(self, service: ManagedService) -> None:
        service.proc = spawn(
            service.spec.command(service.port, host=service.host),
            log=self._open_log(service.name),
            env=service.env,
        )
        service.started_at = time.monotonic()
        service.last_status = "starting"

    async def _readiness(self, service: ManagedService) -> tuple[bool, str]:
        """(ready, what /readyz said)."""
        assert self._http is not None
        try:
            response = await self._http.get(f"{service.url}/readyz")
        except httpx.HTTPError as exc:
            return False, f"no answer ({exc.__class__.__name__})"
        if response.status_code == 200:
            return True, "ready"
        try:
            checks = response.json().get("checks", {})
            bad = {k: v for k, v in checks.items() if v != "ok"}
            detail = ", ".join(f"{k}: {v}" for k, v in bad.items()) or response.text[:200]
        except ValueError:
            detail = response.text[:200]
        return False, f"not ready ({detail})"

    async def _wait_all_ready(self) -> None:
        deadline = time.monotonic() + self.options.ready_timeout_s
        pending = list(self.services)
        status = (
            self.console.status("waiting for the services to be ready")
            if self.console.is_terminal
            else contextlib.nullcontext()
        )
        with status:
            while pending:
                given_up = [s for s in pending if s.gave_up]
                if given_up:
                    raise StartupError(self._not_ready_report(given_up))
                answers = await asyncio.gather(*(self._readiness(s) for s in pending))
                still: list[ManagedService] = []
                for service, (ready, detail) in zip(pending, answers, strict=True):
                    if service.proc is not None and service.proc.poll() is not None:
                        detail = describe_exit(service.proc.returncode)
                    service.last_status = detail
                    if not ready:
                        still.append(service)
                pending = still
                if pending and time.monotonic() > deadline:
                    raise StartupError(
                        f"not ready after {self.options.ready_timeout_s:.0f} s:\n"
                        + self._not_ready_report(pending)
                    )
                if pending:
                    await asyncio.sleep(0.25)

    def _not_ready_report(self, services: list[ManagedService]) -> str:
        parts = []
        for service in services:
            state = "gave up after repeated crashes" if service.gave_up else service.last_status
            log_file = self.home.log_file(service.name)
            parts.append(
                f"  {service.name}: {state}\n  last lines of {log_file}:\n"
                + "\n".join(f"    {line}" for line in tail(log_file).splitlines())
            )
        return "\n".join(parts)

    def _print_ready(self, elapsed_s: float) -> None:
        table = Table(title="CRM platform", title_justify="left", box=box.SIMPLE_HEAD)
        table.add_column("service", style="bold", no_wrap=True, min_width=13)
        table.add_column("URL", no_wrap=True)
        table.add_column("API docs", no_wrap=True)
        table.add_column("status")
        for service in self.services:
            table.add_row(service.name, service.url, f"{service.url}/docs", "[green]ready[/]")
        self.console.print(table)
        assert self.broker is not None
        assert self.postgres is not None
        databases = ", ".join(s.database for s in SERVICES)
        self.console.print(
            f"[bold]broker[/]    {self.broker.bootstrap} (Kafka protocol, in-memory)\n"
            f"[bold]database[/]  postgresql://postgres@{self.postgres.host}:{self.postgres.port}"
            f" (databases {databases})\n"
            f"[bold]home[/]      {self.home.root} (logs in {self.home.logs_dir})\n"
            f"[bold]token[/]     {self.options.token_hint}",
            highlight=False,
            soft_wrap=True,
        )
        self.console.print(
            f"[bold green]{READY_MARKER}[/] in {elapsed_s:.1f} s. Ctrl-C stops everything.",
            highlight=False,
        )

    # -- supervision ------------------------------------------------------------------------

    def _watch(self, coro: Awaitable[None], name: str) -> None:
        async def guarded() -> None:
            try:
                await coro
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a watcher must never die silently
                self._say(f"[red]supervisor error in {name}:[/] {escape(repr(exc))}")

        self._watchers.append(asyncio.create_task(guarded(), name=name))

    async def _wait_exit(self, proc_of: Callable[[], subprocess.Popen[bytes] | None]) -> int:
        while True:
            proc = proc_of()
            if proc is not None and proc.poll() is not None:
                return proc.returncode
            await asyncio.sleep(0.2)

    async def _watch_service(self, service: ManagedService) -> None:
        while True:
            returncode = await self._wait_exit(lambda: service.proc)
            if self._stopping:
                return
            uptime = time.monotonic() - service.started_at
            log_file = self.home.log_file(service.name)
            delay = service.crashes.crashed(uptime)
            self._write_run("ready" if self._started else "starting")
            if delay is None:
                service.gave_up = True
                service.last_status = "crashed; gave up"
                self._say(
                    f"[red]{service.name} {describe_exit(returncode)} after {uptime:.1f} s, "
                    f"the {service.crashes.quick}th quick crash in a row: giving up. "
                    f"See {log_file}"
                )
                return
            self._say(
                f"[yellow]{service.name} {describe_exit(returncode)} after {uptime:.1f} s; "
                f"restarting in {delay:.1f} s (log: {log_file})"
            )
            await asyncio.sleep(delay)
            if self._stopping:
                return
            self._spawn_service(service)
            self._write_run("ready" if self._started else "starting")
            if self._started and await self._wait_ready_again(service):
                self._say(f"[green]{service.name} is ready again[/] (pid {service.pid})")

    async def _wait_ready_again(self, service: ManagedService) -> bool:
        deadline = time.monotonic() + self.options.ready_timeout_s
        while time.monotonic() < deadline:
            if service.proc is None or service.proc.poll() is not None:
                return False
            ready, service.last_status = await self._readiness(service)
            if ready:
                return True
            await asyncio.sleep(0.25)
        self._say(
            f"[yellow]{service.name} restarted but is not ready after "
            f"{self.options.ready_timeout_s:.0f} s: {service.last_status}"
        )
        return False

    async def _restart_infra(
        self, what: str, name: str, start: Callable[[], None], crashes: CrashTracker, uptime: float
    ) -> bool:
        """Start a dead server again, with back-off; False when giving up."""
        delay = crashes.crashed(uptime)
        while delay is not None:
            self._say(
                f"[yellow]restarting {what} in {delay:.1f} s[/] (log: {self.home.log_file(name)})"
            )
            await asyncio.sleep(delay)
            if self._stopping:
                return True
            self._open_log(name)
            starting = asyncio.ensure_future(asyncio.to_thread(start))
            self._infra_starts.add(starting)
            starting.add_done_callback(self._infra_starts.discard)
            try:
                # Shielded: cancelling this watcher must not orphan what the thread starts.
                await asyncio.shield(starting)
                return True
            except Exception as exc:
                self._say(f"[red]{what} did not start:[/] {escape(str(exc))}")
            delay = crashes.crashed(0.0)
        self._say(f"[red]{what} keeps failing: giving up and stopping the platform")
        self._exit_code = 1
        self._stop.set()
        return False

    async def _watch_postgres(self) -> None:
        assert self.postgres is not None
        pg = self.postgres
        crashes = CrashTracker()
        started = time.monotonic()

        def start() -> None:
            pg.start(log=self._logs["postgres"])

        while True:
            returncode = await self._wait_exit(lambda: pg.process)
            if self._stopping:
                return
            self._say(
                f"[red]PostgreSQL {describe_exit(returncode)}[/]; the services lose their "
                "database until it is back"
            )
            self._write_run("ready" if self._started else "starting")

            if not await self._restart_infra(
                "PostgreSQL", "postgres", start, crashes, time.monotonic() - started
            ):
                return
            started = time.monotonic()
            self._write_run("ready" if self._started else "starting")
            self._say("[green]PostgreSQL is back[/] (data kept)")

    async def _watch_broker(self) -> None:
        assert self.broker is not None
        broker = self.broker
        crashes = CrashTracker()
        started = time.monotonic()

        def start() -> None:
            broker.start(log=self._logs["broker"])

        while True:
            returncode = await self._wait_exit(lambda: broker.process)
            if self._stopping:
                return
            self._say(f"[red]the broker {describe_exit(returncode)}[/]")
            self._write_run("ready" if self._started else "starting")

            if not await self._restart_infra(
                "the broker", "broker", start, crashes, time.monotonic() - started
            ):
                return
            started = time.monotonic()
            try:
                await self._create_topics()
            except StartupError as exc:
                self._say(f"[red]{escape(str(exc))}")
            self._write_run("ready" if self._started else "starting")
            self._say(
                "[green]the broker is back[/]; it keeps messages in memory, so what it held "
                "before is gone (topics are recreated)"
            )

    # -- shutdown ---------------------------------------------------------------------------

    async def _shutdown(self) -> None:
        """Services first (they flush to the broker and the database), then broker, then
        PostgreSQL. Each step runs even when an earlier one failed."""
        self._stopping = True
        for task in self._watchers:
            task.cancel()
        for task in self._watchers:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._infra_starts:  # a restart in a thread: let it finish, then stop what it started
            await asyncio.wait(self._infra_starts, timeout=45)
        if self._owns_run_file:
            self._write_run("stopping")
        running = [s for s in self.services if s.proc is not None and s.proc.poll() is None]
        if running:
            self._say(f"stopping {', '.join(s.name for s in running)}")
            await self._step(
                "stopping the services",
                asyncio.gather(
                    *(
                        asyncio.to_thread(stop_process, proc, timeout=SERVICE_STOP_TIMEOUT_S)
                        for proc in (s.proc for s in running)
                        if proc is not None
                    )
                ),
            )
        if self.broker is not None and self.broker.process is not None:
            self._say("stopping the broker")
            await self._step("stopping the broker", asyncio.to_thread(self.broker.stop))
        if self.postgres is not None and self.postgres.process is not None:
            self._say("stopping PostgreSQL")
            await self._step("stopping PostgreSQL", asyncio.to_thread(self.postgres.stop))
        if self.mailbox is not None:
            await self._step("stopping the mailbox", asyncio.to_thread(self.mailbox.stop))
        for log in self._logs.values():
            log.close()
        if self._owns_run_file:  # something was started
            self.home.remove_run()
            self._say("stopped" + ("" if self._exit_code == 0 else " (with errors)"))

    async def _step(self, what: str, awaitable: Awaitable[Any]) -> None:
        try:
            await awaitable
        except Exception as exc:
            self._exit_code = 1
            self._say(f"[red]{what} failed:[/] {escape(repr(exc))}")

    # -- run.json ---------------------------------------------------------------------------

    def _write_run(self, state: str) -> None:
        if not self._owns_run_file:
            return
        ports = self.options.ports()
        services = {
            spec.name: ServiceRun(
                port=ports[spec.name],
                url=f"http://{self.options.host}:{ports[spec.name]}",
                database=spec.database,
            )
            for spec in SERVICES
        }
        for service in self.services:
            services[service.name].pid = service.pid
        pg_proc = self.postgres.process if self.postgres is not None else None
        broker_proc = self.broker.process if self.broker is not None else None
        info = RunInfo(
            supervisor_pid=os.getpid(),
            supervisor_start_ticks=process_start_ticks(os.getpid()),
            started_at=self._started_at,
            state=state,
            postgres=PostgresRun(
                host=self.options.host,
                port=self.options.pg_port,
                pid=pg_proc.pid if pg_proc is not None and pg_proc.poll() is None else None,
            ),
            broker=BrokerRun(
                host=self.options.host,
                port=self.options.broker_port,
                pid=broker_proc.pid
                if broker_proc is not None and broker_proc.poll() is None
                else None,
            ),
            services=services,
        )
        self.home.write_run(info)


def run_up(options: UpOptions, console: Console) -> int:
    """Blocking: run the platform until stopped; the process exit code."""
    return asyncio.run(Supervisor(options, console).run())
