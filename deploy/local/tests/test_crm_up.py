"""`crm up` for real: embedded PostgreSQL, the broker and five services as child processes."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
import uuid

import httpx
import pytest
from crm_local.home import pid_alive
from crm_local.supervisor import READY_MARKER
from crm_local.testing import START_TIMEOUT_S, CrmUp

SERVICES = ["customers", "sales", "service-desk", "notifications", "reporting"]


def wait_until_ready_again(platform: CrmUp, service: str, old_pid: int, timeout: float) -> int:
    """The service's new PID once run.json has one and its /readyz answers 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = platform.run_info()["services"][service]
        if run["pid"] and run["pid"] != old_pid:
            try:
                if httpx.get(f"{run['url']}/readyz", timeout=2).status_code == 200:
                    return int(run["pid"])
            except httpx.HTTPError:
                pass
        time.sleep(0.25)
    raise AssertionError(f"{service} not ready again after {timeout} s:\n{platform.output}")


@pytest.mark.timeout(360)
def test_crm_up_serves_all_five_services_and_ctrl_c_stops_every_process_it_started(
    crm_up: CrmUp,
) -> None:
    began = time.monotonic()
    crm_up.start()
    crm_up.wait_for_output(READY_MARKER, START_TIMEOUT_S)
    print(f"crm up ready after {time.monotonic() - began:.1f} s")
    for service in SERVICES:
        assert f"http://127.0.0.1:{crm_up.base_port + SERVICES.index(service)}" in crm_up.output
    assert "crm token north-rep" in crm_up.output

    status = crm_up.crm("status", "--json")
    report = json.loads(status.stdout)
    assert status.returncode == 0, status.stdout + status.stderr
    assert report["all_ready"] is True
    assert sorted(report["services"]) == sorted(SERVICES)
    assert all(s["ready"] for s in report["services"].values())

    # Follow the events while a customer is created through the API with a demo user's token.
    tail = subprocess.Popen(
        [sys.executable, "-m", "crm_local", "events", "tail", "--max", "1"],
        env=crm_up.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert tail.stderr is not None
        readable, _, _ = select.select([tail.stderr], [], [], 30)
        assert readable, "crm events tail did not start"
        assert "following" in tail.stderr.readline()
        # A tenant of its own: the demo tenant's data policy requires more than a name.
        tenant = f"t-{uuid.uuid4().hex[:10]}"
        token = crm_up.crm("token", "north-rep", "--tenant", tenant)
        assert token.returncode == 0, token.stderr
        customers = report["services"]["customers"]["url"]
        created = httpx.post(
            f"{customers}/customers",
            json={"name": "Acme"},
            headers={"Authorization": f"Bearer {token.stdout.strip()}"},
            timeout=10,
        )
        assert created.status_code == 201, created.text
        printed, _ = tail.communicate(timeout=30)
        assert tail.returncode == 0
        assert "crm.customers.customer.created.v1" in printed
        assert created.json()["id"] in printed
        assert f"tenant={tenant}" in printed
    finally:
        if tail.poll() is None:
            tail.kill()
            tail.wait(5)

    started = crm_up.record_pids()
    assert len(started) >= 8  # supervisor, PostgreSQL (and its workers), broker, five services
    assert crm_up.stop(signal.SIGINT) == 0, crm_up.output
    assert not (crm_up.home / "run.json").exists()
    assert [pid for pid in started if pid_alive(pid)] == []
    assert crm_up.leftovers() == []
    assert "stopped" in crm_up.output
    assert crm_up.crm("status").returncode == 1


@pytest.mark.timeout(360)
def test_a_service_killed_with_sigkill_is_restarted_and_becomes_ready_again(
    crm_up: CrmUp,
) -> None:
    crm_up.start()
    crm_up.wait_for_output(READY_MARKER, START_TIMEOUT_S)
    crm_up.record_pids()
    old_pid = crm_up.run_info()["services"]["sales"]["pid"]

    os.kill(old_pid, signal.SIGKILL)

    new_pid = wait_until_ready_again(crm_up, "sales", old_pid, timeout=90)
    assert new_pid != old_pid
    crm_up.wait_for_output("sales is ready again", 10)
    assert "sales killed by SIGKILL" in crm_up.output
    status = crm_up.crm("status", "--json")
    assert status.returncode == 0, status.stdout
    started = crm_up.record_pids()
    assert crm_up.stop(signal.SIGTERM) == 0, crm_up.output
    assert [pid for pid in started if pid_alive(pid)] == []
    assert crm_up.leftovers() == []


@pytest.mark.timeout(240)
def test_ctrl_c_while_starting_stops_what_was_started_and_exits_0(crm_up: CrmUp) -> None:
    crm_up.start()
    crm_up.wait_for_output("are up", START_TIMEOUT_S)
    started = crm_up.record_pids()
    assert crm_up.stop(signal.SIGINT) == 0, crm_up.output
    assert READY_MARKER not in crm_up.output
    assert not (crm_up.home / "run.json").exists()
    assert [pid for pid in started if pid_alive(pid)] == []
    assert crm_up.leftovers() == []


@pytest.mark.timeout(240)
def test_services_not_ready_in_time_fail_the_start_with_their_log_and_leave_nothing_running(
    crm_up: CrmUp,
) -> None:
    crm_up.start("--ready-timeout", "0.5")
    crm_up.wait_for_output("starting the services", START_TIMEOUT_S)
    started = crm_up.record_pids()
    assert crm_up.proc is not None
    assert crm_up.proc.wait(120) == 1, crm_up.output
    started |= crm_up.seen_pids
    assert "crm up failed" in crm_up.output
    assert "not ready after" in crm_up.output
    assert "logs/customers.log" in crm_up.output
    assert not (crm_up.home / "run.json").exists()
    assert [pid for pid in started if pid_alive(pid)] == []
    assert crm_up.leftovers() == []


def wait_until_all_ready(platform: CrmUp, timeout: float) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while True:
        status = platform.crm("status", "--json")
        report: dict[str, object] = json.loads(status.stdout)
        if status.returncode == 0:
            return report
        if time.monotonic() > deadline:
            raise AssertionError(f"not all ready after {timeout} s: {report}\n{platform.output}")
        time.sleep(0.5)


@pytest.mark.timeout(360)
def test_postgresql_and_the_broker_killed_are_restarted_and_the_services_recover(
    crm_up: CrmUp,
) -> None:
    crm_up.start()
    crm_up.wait_for_output(READY_MARKER, START_TIMEOUT_S)
    crm_up.record_pids()

    os.kill(crm_up.run_info()["postgres"]["pid"], signal.SIGKILL)
    crm_up.wait_for_output("PostgreSQL is back", 90)
    wait_until_all_ready(crm_up, 90)

    os.kill(crm_up.run_info()["broker"]["pid"], signal.SIGKILL)
    crm_up.wait_for_output("the broker is back", 90)
    wait_until_all_ready(crm_up, 90)
    assert "PostgreSQL killed by SIGKILL" in crm_up.output
    assert "the broker killed by SIGKILL" in crm_up.output

    started = crm_up.record_pids()
    assert crm_up.stop(signal.SIGINT) == 0, crm_up.output
    assert [pid for pid in started if pid_alive(pid)] == []
    assert crm_up.leftovers() == []
