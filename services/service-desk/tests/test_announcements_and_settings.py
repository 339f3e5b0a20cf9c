"""Announcements for the whole company, and the SLA settings admins and managers keep."""

from __future__ import annotations

from datetime import datetime

ALWAYS_OPEN = [{"open": "00:00", "close": "24:00"}] * 7


async def announce(desk, auth, **fields) -> dict:
    response = await desk.post(
        "/announcements", json={"title": "Notice", "body": "Text", **fields}, headers=auth("admin")
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_everyone_reads_published_announcements_and_only_admins_write_them(
    desk, auth, portal, customers, published
):
    live = await announce(
        desk, auth, title="Spring Festival hours", publish_at="2026-11-20T00:00:00Z"
    )
    draft = await announce(desk, auth, title="Draft")
    await announce(
        desk,
        auth,
        title="Old",
        publish_at="2026-01-01T00:00:00Z",
        expires_at="2026-02-01T00:00:00Z",
    )
    contact = portal(await customers.customer())

    for headers in (contact, auth("agent"), auth("north-rep")):
        listed = (await desk.get("/announcements", headers=headers)).json()
        assert [a["title"] for a in listed["items"]] == ["Spring Festival hours"]
    assert (await desk.get(f"/announcements/{draft['id']}", headers=contact)).status_code == 404
    everything = (await desk.get("/announcements?drafts=true", headers=auth("admin"))).json()
    assert everything["total"] == 3
    assert (await desk.get("/announcements?drafts=true", headers=contact)).json()["total"] == 1

    refused = await desk.post(
        "/announcements", json={"title": "Mine", "body": "x"}, headers=auth("north-mgr")
    )
    assert refused.status_code == 403
    published_now = await desk.patch(
        f"/announcements/{draft['id']}",
        json={"publish_at": "2026-11-23T01:00:00Z"},
        headers={**auth("admin"), "If-Match": '"1"'},
    )
    assert published_now.status_code == 200
    assert (await desk.get("/announcements", headers=contact)).json()["total"] == 2
    expired_first = await desk.post(
        "/announcements",
        json={
            "title": "x",
            "body": "y",
            "publish_at": "2026-11-23T00:00:00Z",
            "expires_at": "2026-11-22T00:00:00Z",
        },
        headers=auth("admin"),
    )
    assert expired_first.status_code == 422

    changes = await published("announcement.changed.v1", expect=4)
    assert {e.partitionkey for e in changes} == {changes[0].tenantid}
    assert [e.sequence for e in changes if e.data["announcement_id"] == draft["id"]] == [1, 2]
    assert live["id"] in {e.data["announcement_id"] for e in changes}


async def test_an_admins_sla_policy_sets_the_deadlines_of_new_tickets(
    desk, auth, customers, open_ticket, at, published
):
    current = await desk.get("/sla/policy", headers=auth("agent"))
    assert (current.headers["etag"], current.json()["version"]) == ('"0"', 0)
    policy = current.json()
    policy.pop("version")
    policy["targets"]["normal"] = {"first_response_minutes": 15, "resolution_minutes": 120}
    assert (
        await desk.put("/sla/policy", json=policy, headers={**auth("agent"), "If-Match": '"0"'})
    ).status_code == 403
    saved = await desk.put("/sla/policy", json=policy, headers={**auth("admin"), "If-Match": '"0"'})
    assert saved.status_code == 200, saved.text
    assert saved.headers["etag"] == '"1"'
    stale = await desk.put("/sla/policy", json=policy, headers={**auth("admin"), "If-Match": '"0"'})
    assert stale.status_code == 412
    del policy["targets"]["low"]
    incomplete = await desk.put(
        "/sla/policy", json=policy, headers={**auth("admin"), "If-Match": '"1"'}
    )
    assert incomplete.status_code == 422
    assert incomplete.json()["errors"][0]["field"] == "targets"

    ticket = await open_ticket(await customers.customer())  # Monday 10:00, normal priority
    assert datetime.fromisoformat(ticket["first_response"]["due_at"]) == at(23, 10, 15)
    assert datetime.fromisoformat(ticket["resolution"]["due_at"]) == at(23, 12)
    [changed] = await published("sla_policy.changed.v1")
    assert changed.data["targets"]["normal"]["resolution_minutes"] == 120


async def test_a_branch_manager_sets_the_branchs_business_hours_and_deadlines_follow(
    desk, auth, customers, open_ticket, clock, at, published
):
    elsewhere = auth("south-mgr", roles=["branch_manager"], branch="south")
    refused = await desk.put(
        "/sla/business-hours/north",
        json={"timezone": "Asia/Shanghai", "week": ALWAYS_OPEN},
        headers={**elsewhere, "If-Match": '"0"'},
    )
    assert refused.status_code == 403
    bad = await desk.put(
        "/sla/business-hours/north",
        json={"timezone": "Mars/Olympus", "week": [{"open": "18:00", "close": "09:00"}] * 7},
        headers={**auth("north-mgr"), "If-Match": '"0"'},
    )
    assert bad.status_code == 422
    assert {"timezone", "week[0].close"} <= {e["field"] for e in bad.json()["errors"]}
    saved = await desk.put(
        "/sla/business-hours/north",
        json={"timezone": "Asia/Shanghai", "week": ALWAYS_OPEN},
        headers={**auth("north-mgr"), "If-Match": '"0"'},
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["version"] == 1

    clock.now = at(28, 22)  # Saturday night: the branch is open now
    ticket = await open_ticket(await customers.customer(), priority="urgent")
    assert datetime.fromisoformat(ticket["resolution"]["due_at"]) == at(29, 2)
    [changed] = await published("business_hours.changed.v1")
    assert (changed.data["branch_id"], changed.subject) == ("north", "business_hours/north")
