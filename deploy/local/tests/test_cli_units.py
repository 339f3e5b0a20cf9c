"""The small pure parts of the `crm` command, without starting the platform."""

from __future__ import annotations

import importlib
import json
import os
import socket
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import jwt
import pytest
from crm_contracts import CloudEvent
from crm_local.cli import app
from crm_local.events import format_event
from crm_local.home import (
    BrokerRun,
    Home,
    PostgresRun,
    RunInfo,
    ServiceRun,
    pid_alive,
    process_start_ticks,
)
from crm_local.processes import describe_exit
from crm_local.services import SERVICES, ServiceSpec, service_env, service_named, service_ports
from crm_local.supervisor import CrashTracker, StartupError, UpOptions, check_ports
from crm_local.testing import pick_ports
from typer.testing import CliRunner

runner = CliRunner()


def test_services_are_the_five_with_their_ports_prefixes_and_databases_in_order() -> None:
    assert [(s.name, s.module, s.default_port, s.env_prefix, s.database) for s in SERVICES] == [
        ("customers", "crm_customers", 8101, "CUSTOMERS_", "crm_customers"),
        ("sales", "crm_sales", 8102, "SALES_", "crm_sales"),
        ("service-desk", "crm_service_desk", 8103, "SERVICE_DESK_", "crm_service_desk"),
        ("notifications", "crm_notifications", 8104, "NOTIFICATIONS_", "crm_notifications"),
        ("reporting", "crm_reporting", 8105, "REPORTING_", "crm_reporting"),
    ]


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_the_migrations_found_without_importing_the_app_are_the_apps_own(
    spec: ServiceSpec,
) -> None:
    app_module = importlib.import_module(f"{spec.module}.app")
    assert spec.migrations() == app_module.MIGRATIONS
    assert (spec.migrations() / "env.py").is_file()


def test_service_ports_count_up_from_the_base_port() -> None:
    assert service_ports(9000) == {
        "customers": 9000,
        "sales": 9001,
        "service-desk": 9002,
        "notifications": 9003,
        "reporting": 9004,
    }
    with pytest.raises(ValueError, match="no room"):
        service_ports(65534)


def test_a_service_is_configured_only_through_its_own_prefixed_variables() -> None:
    spec = service_named("service-desk")
    env = service_env(
        spec,
        database_url="postgresql+asyncpg://postgres@127.0.0.1:5555/crm_service_desk",
        kafka_bootstrap="127.0.0.1:9999",
        jwks_file=Path("/keys/jwks.json"),
        log_json=False,
        log_level="debug",
        base={
            "PATH": "/usr/bin",
            "SERVICE_DESK_DATABASE_URL": "postgresql+asyncpg://elsewhere/db",
            "SERVICE_DESK_OUTBOX_BATCH_SIZE": "50",
        },
    )
    assert env["SERVICE_DESK_DATABASE_URL"] == (
        "postgresql+asyncpg://postgres@127.0.0.1:5555/crm_service_desk"
    )
    assert env["SERVICE_DESK_KAFKA_BOOTSTRAP"] == "127.0.0.1:9999"
    assert env["SERVICE_DESK_JWT_JWKS_FILE"] == "/keys/jwks.json"
    assert env["SERVICE_DESK_LOG_JSON"] == "false"
    assert env["SERVICE_DESK_LOG_LEVEL"] == "DEBUG"
    assert env["SERVICE_DESK_OUTBOX_BATCH_SIZE"] == "50"  # tuning knobs pass through
    assert env["PATH"] == "/usr/bin"
    assert not any(k.startswith(("CUSTOMERS_", "SALES_")) for k in env)


def test_reporting_waits_briefly_on_the_embedded_broker_unless_told_otherwise() -> None:
    def fetch_wait(service: str, base: dict[str, str]) -> str | None:
        spec = service_named(service)
        env = service_env(
            spec,
            database_url="postgresql+asyncpg://postgres@127.0.0.1:5555/crm",
            kafka_bootstrap="127.0.0.1:9999",
            jwks_file=Path("/keys/jwks.json"),
            base=base,
        )
        return env.get(f"{spec.env_prefix}CONSUMER_FETCH_MAX_WAIT_MS")

    assert fetch_wait("reporting", {}) == "10"
    assert fetch_wait("reporting", {"REPORTING_CONSUMER_FETCH_MAX_WAIT_MS": "100"}) == "100"
    assert fetch_wait("sales", {}) is None  # the services' own default (30 ms)


def test_the_service_environment_is_accepted_by_the_services_own_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from crm_customers.config import CustomersSettings

    jwks = tmp_path / "jwks.json"
    env = service_env(
        service_named("customers"),
        database_url="postgresql+asyncpg://postgres@127.0.0.1:5555/crm_customers",
        kafka_bootstrap="127.0.0.1:9999",
        jwks_file=jwks,
    )
    for key, value in env.items():
        if key.startswith("CUSTOMERS_"):
            monkeypatch.setenv(key, value)
    settings = CustomersSettings()
    assert settings.database_url.endswith("/crm_customers")
    assert settings.kafka_bootstrap == "127.0.0.1:9999"
    assert settings.jwt_jwks_file == jwks
    assert settings.log_json is True


def test_the_service_command_runs_its_module_on_loopback() -> None:
    assert service_named("sales").command(9123) == [
        sys.executable,
        "-m",
        "crm_sales",
        "api",
        "--host",
        "127.0.0.1",
        "--port",
        "9123",
    ]


def test_home_comes_from_the_option_then_crm_home_then_the_working_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CRM_HOME", raising=False)
    assert Home.resolve().root == tmp_path.resolve() / ".crm"
    monkeypatch.setenv("CRM_HOME", str(tmp_path / "env-home"))
    assert Home.resolve().root == tmp_path.resolve() / "env-home"
    assert Home.resolve(tmp_path / "opt").root == tmp_path.resolve() / "opt"
    home = Home.resolve()
    assert home.log_file("sales") == home.root / "logs" / "sales.log"
    assert home.postgres_dir == home.root / "postgres"


def test_run_json_round_trips_and_is_removed_without_error_twice(tmp_path: Path) -> None:
    home = Home(tmp_path)
    assert home.read_run() is None
    info = RunInfo(
        supervisor_pid=os.getpid(),
        started_at=datetime.now(UTC),
        state="ready",
        postgres=PostgresRun(host="127.0.0.1", port=5, pid=11),
        broker=BrokerRun(host="127.0.0.1", port=6, pid=12),
        services={
            "customers": ServiceRun(port=7, url="http://127.0.0.1:7", pid=13, database="crm_c")
        },
    )
    home.write_run(info)
    assert home.read_run() == info
    assert sorted(info.pids()) == sorted([os.getpid(), 11, 12, 13])
    assert info.supervisor_alive()
    home.remove_run()
    home.remove_run()
    assert home.read_run() is None


def test_a_run_json_whose_pid_was_reused_by_another_process_is_not_a_live_supervisor() -> None:
    me = os.getpid()
    ticks = process_start_ticks(me)
    assert ticks is not None
    info = RunInfo(
        supervisor_pid=me,
        supervisor_start_ticks=ticks,
        started_at=datetime.now(UTC),
        state="ready",
        postgres=PostgresRun(host="127.0.0.1", port=5),
        broker=BrokerRun(host="127.0.0.1", port=6),
        services={},
    )
    assert info.supervisor_alive()
    assert not info.model_copy(update={"supervisor_start_ticks": ticks - 1}).supervisor_alive()


def test_a_finished_process_is_not_alive() -> None:
    done = subprocess.run([sys.executable, "-c", "pass"], check=True)
    assert done.returncode == 0
    assert pid_alive(os.getpid())
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait(10)
    assert not pid_alive(proc.pid)


def test_crashes_back_off_doubling_and_give_up_after_five_quick_ones_in_a_row() -> None:
    tracker = CrashTracker()
    assert [tracker.crashed(1.0) for _ in range(4)] == [1.0, 2.0, 4.0, 8.0]
    assert tracker.crashed(1.0) is None
    fresh = CrashTracker()
    assert fresh.crashed(1.0) == 1.0
    assert fresh.crashed(3600.0) == 0.5  # ran long: starts afresh
    assert fresh.quick == 0


def test_exit_codes_are_described_by_signal_name() -> None:
    assert describe_exit(-9) == "killed by SIGKILL"
    assert describe_exit(3) == "exited with code 3"


def test_token_for_an_unknown_user_fails_and_lists_the_demo_users(tmp_path: Path) -> None:
    result = runner.invoke(app, ["token", "mallory", "--home", str(tmp_path)])
    assert result.exit_code == 2
    assert "unknown user 'mallory'" in result.stderr
    assert "north-rep" in result.stderr
    assert "admin" in result.stderr
    assert result.stdout == ""


def test_token_for_a_demo_user_verifies_with_the_platforms_public_key(tmp_path: Path) -> None:
    result = runner.invoke(app, ["token", "north-rep", "--tenant", "acme", "--home", str(tmp_path)])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    jwks = jwt.PyJWKSet.from_json((tmp_path / "keys" / "jwks.json").read_text())
    key = jwks[jwt.get_unverified_header(token)["kid"]]
    claims = jwt.decode(token, key, algorithms=["ES256"], audience="crm")
    assert claims["sub"] == "north-rep"
    assert claims["tenant"] == "acme"
    assert claims["branch"] == "north"
    assert claims["roles"] == ["sales_rep"]


def test_status_without_a_running_platform_says_so_and_exits_1(tmp_path: Path) -> None:
    result = runner.invoke(app, ["status", "--json", "--home", str(tmp_path)])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["running"] is False
    assert "crm up" in report["reason"]


def test_status_recognises_a_run_json_left_over_by_a_dead_supervisor(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait(10)
    Home(tmp_path).write_run(
        RunInfo(
            supervisor_pid=proc.pid,
            started_at=datetime.now(UTC),
            state="ready",
            postgres=PostgresRun(host="127.0.0.1", port=5),
            broker=BrokerRun(host="127.0.0.1", port=6),
            services={},
        )
    )
    result = runner.invoke(app, ["status", "--home", str(tmp_path)])
    assert result.exit_code == 1
    assert "left over" in result.stdout


def test_up_refuses_a_port_that_is_taken_and_names_the_option_to_change(tmp_path: Path) -> None:
    base, _, pg, _ = pick_ports()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        options = UpOptions(home=Home(tmp_path), base_port=base, broker_port=port, pg_port=pg)
        with pytest.raises(StartupError, match=rf"127\.0\.0\.1:{port} \(broker\) is taken") as err:
            check_ports(options)
        assert "--broker-port" in str(err.value)


def test_up_refuses_ports_given_to_two_parts(tmp_path: Path) -> None:
    options = UpOptions(home=Home(tmp_path), base_port=30000, broker_port=30002, pg_port=40000)
    with pytest.raises(StartupError, match="more than one part"):
        check_ports(options)


def test_up_refuses_to_start_a_second_platform_from_the_same_home(tmp_path: Path) -> None:
    Home(tmp_path).write_run(
        RunInfo(
            supervisor_pid=os.getpid(),  # alive: this test process
            started_at=datetime.now(UTC),
            state="ready",
            postgres=PostgresRun(host="127.0.0.1", port=5),
            broker=BrokerRun(host="127.0.0.1", port=6),
            services={},
        )
    )
    result = subprocess.run(
        [sys.executable, "-m", "crm_local", "up", "--home", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "already running" in result.stdout
    assert (tmp_path / "run.json").exists()  # not removed: it is the other platform's


def test_an_event_is_printed_on_one_line_with_its_data_as_compact_json() -> None:
    event = CloudEvent(
        id=uuid.UUID("00000000-0000-0000-0000-000000000001"),
        source="/crm/customers",
        type="crm.customers.customer.created.v1",
        subject="customer/42",
        time=datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
        tenantid="demo",
        partitionkey="42",
        sequence=1,
        data={"name": "Acme", "tags": ["a", "b"]},
    )
    line = format_event(event).plain
    assert line == (
        "2025-01-02T03:04:05+00:00  crm.customers.customer.created.v1  customer/42  "
        "tenant=demo  id=00000000-0000-0000-0000-000000000001  "
        '{"name":"Acme","tags":["a","b"]}'
    )


def test_contracts_asyncapi_prints_the_asyncapi_document_as_json() -> None:
    result = runner.invoke(app, ["contracts", "asyncapi"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["asyncapi"].startswith("3.")
    assert document["channels"]


def test_the_command_groups_are_listed_in_the_help() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("up", "status", "token", "events", "contracts"):
        assert command in result.stdout


def test_notifications_is_told_where_mail_and_the_customers_api_are() -> None:
    from crm_local.services import service_links, service_named

    ports = {"customers": 9101, "notifications": 9104, "smtp": 2626}
    links = service_links(service_named("notifications"), ports, host="127.0.0.1")
    assert links == {
        "NOTIFICATIONS_SMTP_HOST": "127.0.0.1",
        "NOTIFICATIONS_SMTP_PORT": "2626",
        "NOTIFICATIONS_CUSTOMERS_URL": "http://127.0.0.1:9101",
        "NOTIFICATIONS_PUBLIC_URL": "http://127.0.0.1:9104",
    }
    assert service_links(service_named("sales"), ports) == {}


def test_the_local_mailbox_keeps_what_it_receives(tmp_path) -> None:
    import mailbox
    import smtplib

    from crm_local.mailbox import LocalMailbox
    from servicekit.embedded import free_port

    local = LocalMailbox(tmp_path / "mail", host="127.0.0.1", port=free_port())
    local.start()
    try:
        with smtplib.SMTP(local.host, local.port, timeout=10) as smtp:
            smtp.sendmail(
                "crm@demo.crm.local",
                ["north-rep@demo.crm.local"],
                "Subject: Task due\r\n\r\nCall Mr Li.\r\n",
            )
    finally:
        local.stop()
    [message] = list(mailbox.Maildir(tmp_path / "mail"))
    assert message["Subject"] == "Task due"
