"""The inbox, the directory, settings, mail retries, and the service describing itself."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from crm_contracts import NOTIFICATIONS_EVENTS, all_specs
from crm_contracts.customers import CustomerOwnerChangedV1
from crm_notifications.adapters.orm import Base
from crm_notifications.app import MIGRATIONS
from crm_notifications.service_layer.jobs import MAIL
from servicekit.testing import read_events
from servicekit.testing.schema_drift import schema_drift


def assigned_to(user: str) -> CustomerOwnerChangedV1:
    return CustomerOwnerChangedV1(
        customer_id=uuid.uuid4(),
        old_owner_id=None,
        new_owner_id=user,
        old_branch_id="north",
        new_branch_id="north",
        reason="assigned",
        changed_by="north-mgr",
    )


async def test_users_read_and_mark_only_their_own_inbox(api, auth, publish, inbox, eventually):
    for _ in range(3):
        await publish(assigned_to("north-rep"))
    items = await eventually(lambda: _n(inbox("north-rep"), 3), what="three notifications")

    other = await api.post(f"/inbox/{items[0]['id']}/read", headers=auth("north-rep2"))
    assert other.status_code == 404
    mine = await api.post(f"/inbox/{items[0]['id']}/read", headers=auth("north-rep"))
    assert mine.status_code == 204
    page = (await api.get("/inbox", params={"unread": True}, headers=auth("north-rep"))).json()
    assert (page["total"], page["unread"]) == (2, 2)
    marked = await api.post("/inbox/read", json={}, headers=auth("north-rep"))
    assert marked.json() == {"marked": 2}
    assert (await api.get("/inbox", headers=auth("north-rep"))).json()["unread"] == 0
    assert (await api.get("/inbox")).status_code == 401


async def _n(coroutine, n: int):  # type: ignore[no-untyped-def]
    found = await coroutine
    return found if len(found) >= n else None


async def test_the_directory_is_kept_by_admins_with_versions(api, auth):
    body = {"email": "wang.fang@acme.example", "branch_id": "north", "roles": ["sales_rep"]}
    created = await api.put("/users/wang", json=body, headers=auth("admin"))
    assert created.status_code == 200, created.text
    assert created.headers["ETag"] == '"1"'

    blind = await api.put("/users/wang", json=body, headers=auth("admin"))
    assert blind.status_code == 428
    stale = await api.put("/users/wang", json=body, headers={**auth("admin"), "If-Match": '"7"'})
    assert stale.status_code == 412
    moved = await api.put(
        "/users/wang",
        json={**body, "branch_id": "south"},
        headers={**auth("admin"), "If-Match": created.headers["ETag"]},
    )
    assert moved.json()["branch_id"] == "south"
    assert (await api.put("/users/x", json=body, headers=auth("north-mgr"))).status_code == 403
    bad = await api.put("/users/y", json={"email": "not an address"}, headers=auth("admin"))
    assert bad.status_code == 422
    assert [u["user_id"] for u in (await api.get("/users", headers=auth("ceo"))).json()] == ["wang"]


async def test_each_company_sets_its_own_sender(api, auth):
    default = (await api.get("/settings", headers=auth("admin"))).json()
    assert default["custom_sender"] is False
    bad = await api.put("/settings", json={"mail_from": "nobody"}, headers=auth("admin"))
    assert bad.status_code == 422
    done = await api.put(
        "/settings", json={"mail_from": "Acme <crm@acme.example>"}, headers=auth("admin")
    )
    assert done.json() == {
        "mail_from": "Acme <crm@acme.example>",
        "custom_sender": True,
        "version": 1,
    }


async def test_mail_the_server_defers_is_retried_and_mail_it_refuses_is_given_up(
    api, auth, directory, publish, inbox, eventually, run_job, smtp, address, tenant, infra
):
    await directory("north-rep", "north-rep2")
    smtp.refuse[address("north-rep")].extend(["451 4.3.0 try again later"] * 2)
    smtp.refuse[address("north-rep2")].append("550 5.1.1 no such mailbox")
    await publish(assigned_to("north-rep"))
    await publish(assigned_to("north-rep2"))
    await eventually(lambda: inbox("north-rep"), what="the rep told")
    await eventually(lambda: inbox("north-rep2"), what="the other rep told")

    now = datetime.now(UTC)
    await run_job(MAIL, now)
    await run_job(MAIL, now + timedelta(seconds=59))  # the next try is a minute later
    assert smtp.to(address("north-rep")) == []
    await run_job(MAIL, now + timedelta(minutes=1))
    await run_job(MAIL, now + timedelta(minutes=6))
    assert len(smtp.to(address("north-rep"))) == 1
    assert smtp.to(address("north-rep2")) == []

    outcomes = await read_events(
        infra.bootstrap,
        NOTIFICATIONS_EVENTS,
        expect=4,
        where=lambda e: e.tenantid == tenant and e.type.startswith("crm.notifications.email."),
    )
    summary = sorted(
        (e.data["recipient_id"], e.data["attempt"], e.type.split(".")[-2]) for e in outcomes
    )
    assert summary == [
        ("north-rep", 1, "failed"),
        ("north-rep", 2, "failed"),
        ("north-rep", 3, "sent"),
        ("north-rep2", 1, "failed"),
    ]
    refused = next(e for e in outcomes if e.data["recipient_id"] == "north-rep2")
    assert refused.data["permanent"] is True
    assert refused.data["next_attempt_at"] is None


async def test_the_migration_head_matches_the_models(infra):
    url = await infra.migrated_database("notifications", MIGRATIONS)
    assert await schema_drift(url, Base.metadata) == []


async def test_every_route_is_documented_with_examples_for_its_bodies(api):
    spec = (await api.get("/openapi.json")).json()
    undocumented, without_example = [], []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if not operation.get("description") and not operation.get("summary"):
                undocumented.append(f"{method.upper()} {path}")
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                ref = body["schema"].get("$ref", "").rsplit("/", 1)[-1]
                schema = spec["components"]["schemas"].get(ref, {})
                if not schema.get("examples") and not body.get("examples"):
                    without_example.append(f"{method.upper()} {path}")
    assert undocumented == []
    assert without_example == []


async def test_the_asyncapi_document_lists_every_notifications_event(api):
    document = (await api.get("/asyncapi.json")).json()
    ours = {s.type for s in all_specs() if s.topic == NOTIFICATIONS_EVENTS}
    assert len(ours) == 8
    assert ours <= set(document["components"]["messages"])
