"""Tickets over HTTP for staff: opening, publishing, the branch queue, safe updates."""

from __future__ import annotations

import uuid


async def test_an_agent_opens_a_ticket_and_it_is_published_keyed_by_the_customer(
    desk, auth, customers, published
):
    customer_id = await customers.customer()
    contact_id = await customers.contact(customer_id)
    response = await desk.post(
        "/tickets",
        headers=auth("agent"),
        json={
            "customer_id": customer_id,
            "contact_id": contact_id,
            "subject": "Forklift does not lift",
            "description": "Hydraulics lose pressure after ten minutes.",
            "channel": "phone",
            "priority": "high",
            "category": "repair",
            "attachments": [
                {
                    "filename": "photo.jpg",
                    "content_type": "image/jpeg",
                    "size_bytes": 48213,
                    "url": "https://files.example.cn/t/photo.jpg",
                }
            ],
        },
    )
    assert response.status_code == 201, response.text
    ticket = response.json()
    assert response.headers["location"] == f"/tickets/{ticket['id']}"
    assert response.headers["etag"] == '"1"'
    assert (ticket["status"], ticket["branch_id"], ticket["opened_by"]) == ("new", "north", "agent")
    assert ticket["attachments"][0]["filename"] == "photo.jpg"

    [event] = await published("ticket.opened.v1")
    assert event.partitionkey == customer_id
    assert event.subject == f"ticket/{ticket['id']}"
    assert (event.sequence, event.branchid) == (1, "north")
    assert event.data["contact_id"] == contact_id
    assert event.data["priority"] == "high"
    assert event.data["attachments"] == 1


async def test_a_ticket_for_a_customer_the_desk_never_heard_of_is_refused_naming_the_field(
    desk, auth
):
    response = await desk.post(
        "/tickets",
        headers=auth("agent"),
        json={
            "customer_id": str(uuid.uuid4()),
            "subject": "x",
            "description": "y",
            "channel": "phone",
        },
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["customer_id"]


async def test_bad_input_answers_422_naming_every_bad_field(desk, auth, customers):
    customer_id = await customers.customer()
    response = await desk.post(
        "/tickets",
        headers=auth("agent"),
        json={
            "customer_id": customer_id,
            "subject": "",
            "description": "y",
            "channel": "fax",
            "priority": "whenever",
            "attachments": [{"filename": "a", "content_type": "x", "size_bytes": -1, "url": "no"}],
        },
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {
        "subject",
        "channel",
        "priority",
        "attachments[0].content_type",
        "attachments[0].size_bytes",
        "attachments[0].url",
    } <= fields


async def test_a_contact_of_another_customer_is_refused(desk, auth, customers):
    customer_id = await customers.customer()
    stranger = await customers.contact(await customers.customer())
    response = await desk.post(
        "/tickets",
        headers=auth("agent"),
        json={
            "customer_id": customer_id,
            "contact_id": stranger,
            "subject": "x",
            "description": "y",
            "channel": "email",
        },
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "contact_id"


async def test_a_retried_post_with_the_same_idempotency_key_opens_one_ticket(
    desk, auth, customers, published
):
    customer_id = await customers.customer()
    body = {"customer_id": customer_id, "subject": "x", "description": "y", "channel": "email"}
    headers = {**auth("agent"), "Idempotency-Key": "retry-1"}
    first = await desk.post("/tickets", json=body, headers=headers)
    second = await desk.post("/tickets", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.headers["idempotent-replayed"] == "true"
    assert first.json()["id"] == second.json()["id"]
    assert len(await published("ticket.opened.v1", settle_s=1.0)) == 1


async def test_agents_see_their_branchs_queue_filtered_sorted_and_paged(
    desk, auth, customers, open_ticket
):
    north = await customers.customer(branch="north", name="Nordwind Logistik")
    south = await customers.customer(branch="south", owner="south-rep", name="Nordwind Süd")
    low = await open_ticket(north, priority="low")
    urgent = await open_ticket(north, priority="urgent", assignee_id="agent")
    await open_ticket(north, priority="normal", category="billing")
    southern = await open_ticket(south, user="admin")

    queue = (await desk.get("/tickets?sort=-priority", headers=auth("agent"))).json()
    assert queue["total"] == 3
    assert queue["items"][0]["id"] == urgent["id"]
    assert queue["items"][-1]["id"] == low["id"]
    assert southern["id"] not in {t["id"] for t in queue["items"]}
    page = (
        await desk.get("/tickets?limit=2&offset=2&sort=created_at", headers=auth("agent"))
    ).json()
    assert (page["total"], len(page["items"]), page["offset"]) == (3, 1, 2)
    mine = (await desk.get("/tickets?assignee_id=agent", headers=auth("agent"))).json()
    assert [t["id"] for t in mine["items"]] == [urgent["id"]]
    billing = (await desk.get("/tickets?category=billing&status=new", headers=auth("agent"))).json()
    assert billing["total"] == 1
    by_name = (await desk.get("/tickets?q=nordwind", headers=auth("agent"))).json()
    assert by_name["total"] == 3  # every ticket of the customer named so
    assert (await desk.get("/tickets?sort=colour", headers=auth("agent"))).status_code == 422

    assert (await desk.get(f"/tickets/{southern['id']}", headers=auth("agent"))).status_code == 404
    everything = (await desk.get("/tickets", headers=auth("ceo"))).json()
    assert everything["total"] == 4


async def test_a_sales_rep_reads_the_tickets_of_customers_they_own_and_cannot_work_them(
    desk, auth, customers, open_ticket
):
    mine = await customers.customer(owner="north-rep")
    theirs = await customers.customer(owner="north-rep2")
    own_ticket = await open_ticket(mine)
    await open_ticket(theirs)

    seen = (await desk.get("/tickets", headers=auth("north-rep"))).json()
    assert [t["id"] for t in seen["items"]] == [own_ticket["id"]]
    change = await desk.patch(
        f"/tickets/{own_ticket['id']}",
        json={"priority": "urgent"},
        headers={**auth("north-rep"), "If-Match": '"1"'},
    )
    assert change.status_code == 403


async def test_an_update_needs_the_current_etag(desk, auth, customers, open_ticket, published):
    ticket = await open_ticket(await customers.customer())
    url = f"/tickets/{ticket['id']}"
    missing = await desk.patch(url, json={"subject": "Pump"}, headers=auth("agent"))
    assert missing.status_code == 428
    first = await desk.patch(
        url,
        json={"subject": "Pump", "assignee_id": "agent"},
        headers={**auth("agent"), "If-Match": '"1"'},
    )
    assert first.status_code == 200, first.text
    assert first.headers["etag"] == '"3"'  # two events: details and assignment
    stale = await desk.patch(
        url, json={"subject": "Other"}, headers={**auth("agent"), "If-Match": '"1"'}
    )
    assert stale.status_code == 412
    assert (await desk.get(url, headers=auth("agent"))).json()["subject"] == "Pump"
    nulled = await desk.patch(
        url, json={"subject": None}, headers={**auth("agent"), "If-Match": '"3"'}
    )
    assert nulled.status_code == 422
    assert nulled.json()["errors"][0]["field"] == "subject"

    [updated] = await published("ticket.updated.v1")
    assert updated.data["changes"]["subject"] == {"old": "Forklift does not lift", "new": "Pump"}
    [assigned] = await published("ticket.assigned.v1")
    assert (assigned.sequence, assigned.data["new_assignee_id"]) == (3, "agent")


async def test_portal_contacts_and_marketing_cannot_use_the_staff_routes(
    desk, auth, portal, customers, open_ticket
):
    customer_id = await customers.customer()
    await open_ticket(customer_id)
    assert (await desk.get("/tickets", headers=portal(customer_id))).status_code == 403
    assert (await desk.get("/tickets", headers=auth("marketer"))).status_code == 403
