"""The event feed: pages and Server-Sent Events that resume exactly where a client stopped."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

from crm_contracts import new_event
from crm_contracts.customers import CustomerCreatedV1
from crm_notifications.service_layer import feed
from crm_notifications.service_layer.jobs import RETENTION


def a_customer(owner: str | None = "north-rep", name: str = "Acme") -> CustomerCreatedV1:
    return CustomerCreatedV1(
        customer_id=uuid.uuid4(),
        name=name,
        kind="company",
        lifecycle_stage="lead",
        owner_id=owner,
        created_by="admin",
    )


async def read_all(api, headers, after=None, **params):  # type: ignore[no-untyped-def]
    """Every page from `after` on: (event ids, the final cursor)."""
    ids: list[str] = []
    while True:
        query = {**params, **({"after": after} if after else {})}
        page = (await api.get("/feed", params=query, headers=headers)).json()
        ids += [item["event"]["id"] for item in page["items"]]
        after = page["next"]
        if not page["has_more"]:
            return ids, after


def parse_sse(text: str) -> list[dict[str, str]]:
    events = []
    for block in text.split("\n\n"):
        fields = dict(
            line.split(": ", 1) for line in block.splitlines() if ": " in line and line[0] != ":"
        )
        if "data" in fields:
            events.append(fields)
    return events


async def test_the_feed_resumes_exactly_where_a_client_stopped(api, auth, publish, eventually):
    headers = auth("integrator")
    first = [await publish(a_customer(name=f"first {i}")) for i in range(5)]

    async def all_recorded() -> bool:
        ids, _ = await read_all(api, headers)
        return len(ids) >= 5

    await eventually(all_recorded, what="five events in the feed")
    page = (await api.get("/feed", params={"limit": 2}, headers=headers)).json()
    seen = [item["event"]["id"] for item in page["items"]]
    assert page["has_more"] is True
    rest, cursor = await read_all(api, headers, after=page["next"], limit=2)
    seen += rest

    later = [await publish(a_customer(name=f"later {i}")) for i in range(3)]

    async def three_more() -> list[str] | None:
        ids, _ = await read_all(api, headers, after=cursor)
        return ids if len(ids) >= 3 else None

    seen += await eventually(three_more, what="the three later events")
    assert sorted(seen) == sorted(str(e.id) for e in first + later)  # nothing missing
    assert len(seen) == len(set(seen)) == 8  # nothing twice


async def test_a_late_commit_never_slips_behind_a_client_cursor(app, api, auth, tenant):
    """Two replicas record events; the one that took its row number first commits last."""
    headers = auth("integrator")
    _, start = await read_all(api, headers)
    sessions = app.state.runtime.session_factory

    def event(name: str):  # type: ignore[no-untyped-def]
        payload = a_customer(name=name)
        return new_event(
            payload, tenant=tenant, branch="north", partition_key=name, sequence=1, subject=name
        )

    slow, quick = event("slow"), event("quick")
    async with sessions() as slow_session:
        await slow_session.begin()
        await feed.record(slow_session, slow)  # numbered first, not committed yet
        async with sessions() as quick_session, quick_session.begin():
            await feed.record(quick_session, quick)

        during, cursor = await read_all(api, headers, after=start)
        assert during == []  # the quick row waits behind the open transaction
        await slow_session.commit()

    after, _ = await read_all(api, headers, after=cursor)
    assert after == [str(slow.id), str(quick.id)]


async def test_types_filter_and_scope_limit_what_a_reader_sees(
    api, auth, publish, eventually, customer_known
):
    from crm_contracts.customers import CustomerDeletedV1

    mine, theirs = a_customer("north-rep"), a_customer("north-rep2")
    south = a_customer("south-rep")
    await publish(mine)
    await publish(theirs)
    await publish(south, branch="south")
    deleted = await publish(CustomerDeletedV1(customer_id=mine.customer_id, deleted_by="admin"))
    for customer in (mine, theirs, south):
        await customer_known(customer.customer_id)

    async def feed_of(user: str, **params: str) -> list[str] | None:
        ids, _ = await read_all(api, auth(user), **params)
        return ids

    await eventually(lambda: _len(feed_of("integrator"), 4), what="four events")
    assert await feed_of("integrator", types="crm.customers.customer.deleted.*") == [
        str(deleted.id)
    ]
    assert len(await feed_of("north-mgr")) == 3  # the north branch
    assert len(await feed_of("north-rep")) == 2  # own customers: created and deleted
    portal = await api.get("/feed", headers=auth("north-rep", roles=["portal"]))
    assert portal.status_code == 403


async def _len(coroutine, n: int):  # type: ignore[no-untyped-def]
    found = await coroutine
    return found if found is not None and len(found) >= n else None


async def test_the_stream_resumes_from_last_event_id(api, auth, publish, eventually):
    headers = auth("integrator")
    events = [await publish(a_customer(name=f"s{i}")) for i in range(4)]

    async def streamed() -> list[dict[str, str]] | None:
        response = await api.get("/feed/stream", headers=headers)
        assert response.headers["content-type"].startswith("text/event-stream")
        found = parse_sse(response.text)
        return found if len(found) >= 4 else None

    first = await eventually(streamed, what="four events streamed")
    ids = [json.loads(e["data"])["id"] for e in first]
    assert sorted(ids) == sorted(str(e.id) for e in events)  # in the order they were recorded
    assert first[0]["event"] == "crm.customers.customer.created.v1"

    resumed = await api.get("/feed/stream", headers={**headers, "Last-Event-ID": first[1]["id"]})
    assert [json.loads(e["data"])["id"] for e in parse_sse(resumed.text)] == ids[2:]


async def test_a_cursor_from_before_the_retention_is_refused(
    api, auth, publish, eventually, run_job
):
    headers = auth("integrator")
    await publish(a_customer())
    await publish(a_customer())
    _, cursor = await eventually(lambda: _page_with_items(api, headers, 2), what="two events")
    from_start = (await api.get("/feed", headers=headers)).json()

    await run_job(RETENTION, datetime.now(UTC) + timedelta(days=8))

    expired = await api.get(
        "/feed", params={"after": from_start["items"][0]["cursor"]}, headers=headers
    )
    assert expired.status_code == 410
    assert (await api.get("/feed", params={"after": cursor}, headers=headers)).status_code == 200
    fresh = (await api.get("/feed", headers=headers)).json()
    assert fresh["items"] == []
    bad = await api.get("/feed", params={"after": "nonsense"}, headers=headers)
    assert bad.status_code == 422


async def _page_with_items(api, headers, n):  # type: ignore[no-untyped-def]
    page = (await api.get("/feed", headers=headers)).json()
    return (page["items"], page["next"]) if len(page["items"]) >= n else None
