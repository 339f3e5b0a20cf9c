"""Webhooks: signed deliveries, the Standard Webhooks retry schedule on a controllable clock,
Retry-After, 410 and five failing days disable an endpoint, the log, and replay."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from crm_contracts import NOTIFICATIONS_EVENTS
from crm_contracts.customers import CustomerCreatedV1
from crm_notifications.service_layer.jobs import WEBHOOKS
from servicekit.testing import read_events
from standardwebhooks import Webhook


def a_customer() -> CustomerCreatedV1:
    return CustomerCreatedV1(
        customer_id=uuid.uuid4(),
        name="Hangzhou Xinyuan Trading",
        kind="company",
        lifecycle_stage="lead",
        owner_id="north-rep",
        created_by="north-rep",
    )


@pytest.fixture
def endpoint(api, auth, receiver):  # type: ignore[no-untyped-def]
    """Register an endpoint on the test receiver; returns (id, name, secret)."""

    async def create(types: list[str] | None = None) -> tuple[str, str, str]:
        name = uuid.uuid4().hex
        response = await api.post(
            "/webhooks/endpoints",
            json={"url": receiver.hook(name), "event_types": types or ["crm.customers.*"]},
            headers=auth("integrator"),
        )
        assert response.status_code == 201, response.text
        body = response.json()
        return body["id"], name, body["secret"]

    return create


@pytest.fixture
def delivery_of(api, auth, eventually):  # type: ignore[no-untyped-def]
    """Wait for the delivery of an endpoint (the event passed the consumer) and return it."""

    async def find(endpoint_id: str, count: int = 1) -> list[dict]:
        async def check() -> list[dict] | None:
            page = await api.get(
                f"/webhooks/endpoints/{endpoint_id}/deliveries", headers=auth("integrator")
            )
            items = page.json()["items"]
            return items if len(items) >= count else None

        found: list[dict] = await eventually(check, what="the delivery")
        return found

    return find


async def detail(api, auth, delivery_id: str) -> dict:  # type: ignore[no-untyped-def]
    response = await api.get(f"/webhooks/deliveries/{delivery_id}", headers=auth("integrator"))
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_receiver_failing_three_times_gets_the_event_once_more_with_a_valid_signature(
    api, auth, endpoint, publish, receiver, run_job, delivery_of, infra, tenant
):
    endpoint_id, name, secret = await endpoint()
    for _ in range(3):
        receiver.script[name].append((500, {}))
    event = await publish(a_customer())
    [delivery] = await delivery_of(endpoint_id)

    t0 = datetime.now(UTC)
    for offset in (
        timedelta(0),
        timedelta(seconds=5),
        timedelta(seconds=5, minutes=5),
        timedelta(seconds=5, minutes=35),
        timedelta(days=5),
    ):
        await run_job(WEBHOOKS, t0 + offset)

    requests = receiver.got[name]
    assert len(requests) == 4
    assert {headers["webhook-id"] for headers, _ in requests} == {str(event.id)}
    headers, body = requests[-1]
    verified = Webhook(secret).verify(body, headers)
    assert verified["id"] == str(event.id)
    assert verified["type"] == "crm.customers.customer.created.v1"
    assert verified["data"]["name"] == "Hangzhou Xinyuan Trading"

    log = await detail(api, auth, delivery["id"])
    assert log["status"] == "succeeded"
    assert [a["status_code"] for a in log["log"]] == [500, 500, 500, 204]
    outcomes = await read_events(
        infra.bootstrap,
        NOTIFICATIONS_EVENTS,
        expect=4,
        where=lambda e: e.tenantid == tenant and e.type.startswith("crm.notifications.webhook."),
    )
    assert sorted((e.sequence, e.type.split(".")[-2]) for e in outcomes) == [
        (1, "failed"),
        (2, "failed"),
        (3, "failed"),
        (4, "delivered"),
    ]


async def test_retries_follow_the_schedule_on_a_controllable_clock(
    api, auth, endpoint, publish, receiver, run_job, delivery_of
):
    endpoint_id, name, _ = await endpoint()
    receiver.script[name].extend([(503, {})] * 20)
    await publish(a_customer())
    [delivery] = await delivery_of(endpoint_id)

    now = datetime.now(UTC) + timedelta(seconds=1)
    await run_job(WEBHOOKS, now)
    waits = []
    for _ in range(12):
        current = await detail(api, auth, delivery["id"])
        if current["next_attempt_at"] is None:
            break
        due = datetime.fromisoformat(current["next_attempt_at"])
        waits.append(due - now)
        await run_job(WEBHOOKS, due - timedelta(milliseconds=1))  # not yet
        assert (await detail(api, auth, delivery["id"]))["attempts"] == current["attempts"]
        now = due
        await run_job(WEBHOOKS, now)

    assert waits == [
        timedelta(seconds=5),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=5),
        timedelta(hours=10),
        timedelta(hours=14),
        timedelta(hours=20),
        timedelta(hours=24),
    ]
    final = await detail(api, auth, delivery["id"])
    assert (final["status"], final["attempts"], len(final["log"])) == ("failed", 10, 10)
    assert len(receiver.got[name]) == 10


async def test_retry_after_is_honoured(
    api, auth, endpoint, publish, receiver, run_job, delivery_of
):
    endpoint_id, name, _ = await endpoint()
    receiver.script[name].append((429, {"Retry-After": "3600"}))
    await publish(a_customer())
    [delivery] = await delivery_of(endpoint_id)
    now = datetime.now(UTC) + timedelta(seconds=1)

    await run_job(WEBHOOKS, now)

    current = await detail(api, auth, delivery["id"])
    assert datetime.fromisoformat(current["next_attempt_at"]) == now + timedelta(hours=1)


async def test_a_410_disables_the_endpoint_at_once_and_its_owner_is_told(
    api, auth, endpoint, publish, receiver, run_job, delivery_of, inbox, eventually
):
    endpoint_id, name, _ = await endpoint()
    receiver.script[name].append((410, {}))
    await publish(a_customer())
    await delivery_of(endpoint_id)

    await run_job(WEBHOOKS)

    found = (await api.get(f"/webhooks/endpoints/{endpoint_id}", headers=auth("integrator"))).json()
    assert (found["enabled"], found["disabled_reason"]) == (False, "gone")
    [told] = await eventually(lambda: inbox("integrator"), what="the owner told")
    assert told["rule"] == "webhook.disabled"
    await publish(a_customer())  # nothing more is delivered to it
    replay = await api.post(
        f"/webhooks/endpoints/{endpoint_id}/replay",
        json={"since": "2020-01-01T00:00:00Z"},
        headers=auth("integrator"),
    )
    assert replay.status_code == 409


async def test_an_endpoint_failing_for_five_days_is_disabled_then_failures_are_replayed(
    api, auth, endpoint, publish, receiver, run_job, delivery_of, inbox, eventually
):
    endpoint_id, name, secret = await endpoint()
    receiver.script[name].extend([(500, {})] * 5)
    await publish(a_customer())
    await delivery_of(endpoint_id)
    t0 = datetime.now(UTC)
    await run_job(WEBHOOKS, t0)
    await publish(a_customer())
    await delivery_of(endpoint_id, 2)

    await run_job(WEBHOOKS, t0 + timedelta(days=4, hours=23))
    current = await api.get(f"/webhooks/endpoints/{endpoint_id}", headers=auth("integrator"))
    assert current.json()["enabled"] is True
    await run_job(WEBHOOKS, t0 + timedelta(days=5))

    current = await api.get(f"/webhooks/endpoints/{endpoint_id}", headers=auth("integrator"))
    assert (current.json()["enabled"], current.json()["disabled_reason"]) == (False, "failing")
    [told] = await eventually(lambda: inbox("integrator"), what="the owner told")
    assert "disabled" in told["title"]
    failed = await api.get(
        f"/webhooks/endpoints/{endpoint_id}/deliveries",
        params={"status": "failed"},
        headers=auth("integrator"),
    )
    assert failed.json()["total"] == 2

    # The integrator fixes the receiver, enables the endpoint and replays what failed.
    enabled = await api.patch(
        f"/webhooks/endpoints/{endpoint_id}",
        json={"enabled": True},
        headers={**auth("integrator"), "If-Match": current.headers["ETag"]},
    )
    assert enabled.status_code == 200, enabled.text
    replay = await api.post(
        f"/webhooks/endpoints/{endpoint_id}/replay",
        json={"since": (t0 - timedelta(minutes=1)).isoformat()},
        headers=auth("integrator"),
    )
    assert replay.json() == {"replayed": 2}
    before = len(receiver.got[name])
    await run_job(WEBHOOKS)
    fresh = receiver.got[name][before:]
    assert len(fresh) == 2
    for headers, body in fresh:
        Webhook(secret).verify(body, headers)
    again = await api.post(
        f"/webhooks/endpoints/{endpoint_id}/replay",
        json={"since": (t0 - timedelta(minutes=1)).isoformat()},
        headers=auth("integrator"),
    )
    assert again.json() == {"replayed": 0}  # the replays succeeded: nothing failed is left


async def test_one_delivery_can_be_replayed_with_the_same_webhook_id(
    api, auth, endpoint, publish, receiver, run_job, delivery_of
):
    endpoint_id, name, _ = await endpoint()
    await publish(a_customer())
    [delivery] = await delivery_of(endpoint_id)
    await run_job(WEBHOOKS)

    replay = await api.post(
        f"/webhooks/deliveries/{delivery['id']}/replay", headers=auth("integrator")
    )
    assert replay.status_code == 202, replay.text
    assert replay.json()["replay_of"] == delivery["id"]
    await run_job(WEBHOOKS)

    ids = [headers["webhook-id"] for headers, _ in receiver.got[name]]
    assert ids == [delivery["event_id"]] * 2


async def test_endpoints_only_get_the_types_they_subscribed_to(
    api, auth, endpoint, publish, receiver, run_job, delivery_of
):
    from crm_contracts.customers import CustomerDeletedV1

    endpoint_id, name, _ = await endpoint(["crm.customers.customer.deleted.v1"])
    await publish(a_customer())
    await publish(CustomerDeletedV1(customer_id=uuid.uuid4(), deleted_by="admin"))
    [delivery] = await delivery_of(endpoint_id)
    await run_job(WEBHOOKS)

    assert delivery["event_type"] == "crm.customers.customer.deleted.v1"
    assert len(receiver.got[name]) == 1


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.7/hooks",
        "http://169.254.169.254/latest/meta-data",
        "http://localhost:8104/inbox",
        "ftp://erp.example.com/in",
    ],
)
async def test_webhook_urls_into_private_networks_are_refused(api, auth, url):
    response = await api.post(
        "/webhooks/endpoints",
        json={"url": url, "event_types": ["*"]},
        headers=auth("integrator"),
    )
    assert response.status_code == 422, response.text


async def test_only_integrators_and_admins_manage_webhooks(api, auth):
    response = await api.get("/webhooks/endpoints", headers=auth("north-rep"))
    assert response.status_code == 403
