"""The portal: a customer's contact sees its own customer's tickets and public comments only."""

from __future__ import annotations

import uuid

from crm_service_desk import views
from crm_service_desk.entrypoints.api.schemas import CommentRead
from servicekit.auth import Principal, Role
from servicekit.paging import PageParams


async def comment(desk, headers, ticket_id: str, body: str, prefix: str = "", **extra) -> dict:
    response = await desk.post(
        f"{prefix}/tickets/{ticket_id}/comments", json={"body": body, **extra}, headers=headers
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def portal_ticket(desk, headers, **fields) -> dict:
    body = {"subject": "Printer jams", "description": "Every tenth page.", **fields}
    response = await desk.post("/portal/tickets", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_a_portal_contact_opens_a_ticket_that_lands_in_its_customers_branch_queue(
    desk, auth, portal, customers, published
):
    customer_id = await customers.customer(branch="north")
    ticket = await portal_ticket(desk, portal(customer_id))
    assert ticket["customer_id"] == customer_id
    assert (ticket["channel"], ticket["status"], ticket["priority"]) == ("portal", "new", "normal")
    assert {"assignee_id", "first_response", "escalated"}.isdisjoint(ticket)

    queue = (await desk.get("/tickets", headers=auth("agent"))).json()
    assert [t["id"] for t in queue["items"]] == [ticket["id"]]
    [event] = await published("ticket.opened.v1")
    assert (event.data["opened_by"], event.data["channel"]) == ("li-wei", "portal")


async def test_a_portal_contact_never_sees_another_customers_tickets(
    desk, portal, customers, open_ticket
):
    mine = await customers.customer()
    other = await customers.customer()
    own = await open_ticket(mine)
    foreign = await open_ticket(other)
    headers = portal(mine)

    listed = (await desk.get("/portal/tickets", headers=headers)).json()
    assert [t["id"] for t in listed["items"]] == [own["id"]]
    for path in ("", "/comments"):
        response = await desk.get(f"/portal/tickets/{foreign['id']}{path}", headers=headers)
        assert response.status_code == 404
    written = await desk.post(
        f"/portal/tickets/{foreign['id']}/comments", json={"body": "hi"}, headers=headers
    )
    assert written.status_code == 404
    rated = await desk.post(
        f"/portal/tickets/{foreign['id']}/survey", json={"score": 1}, headers=headers
    )
    assert rated.status_code == 404
    # The ticket is opened for the token's customer, whatever else the request says.
    smuggled = await desk.post(
        "/portal/tickets",
        json={"subject": "x", "description": "y", "customer_id": other},
        headers=headers,
    )
    assert smuggled.status_code == 422


async def test_a_portal_contact_never_sees_internal_comments(
    desk, auth, portal, customers, open_ticket, published
):
    customer_id = await customers.customer()
    ticket = await open_ticket(customer_id)
    await comment(
        desk, auth("agent"), ticket["id"], "Customer is on the late-payment list", internal=True
    )
    await comment(desk, auth("agent"), ticket["id"], "A technician comes tomorrow.")
    await comment(desk, portal(customer_id), ticket["id"], "Thank you", prefix="/portal")

    seen = (
        await desk.get(f"/portal/tickets/{ticket['id']}/comments", headers=portal(customer_id))
    ).json()["items"]
    assert [c["body"] for c in seen] == ["A technician comes tomorrow.", "Thank you"]
    assert all("internal" not in c for c in seen)
    assert [c["author_kind"] for c in seen] == ["agent", "contact"]
    staff = await desk.get(f"/tickets/{ticket['id']}/comments", headers=auth("agent"))
    assert [c["internal"] for c in staff.json()["items"]] == [True, False, False]

    events = await published("ticket.commented.v1", expect=3)
    assert [(e.data["internal"], e.data["author_kind"]) for e in events] == [
        (True, "agent"),
        (False, "agent"),
        (False, "contact"),
    ]
    assert [e.data["first_response"] for e in events] == [False, True, False]


async def test_a_portal_contact_cannot_set_priority_assignee_or_internal_flags(
    desk, portal, customers
):
    customer_id = await customers.customer()
    headers = portal(customer_id)
    for extra in ({"priority": "urgent"}, {"assignee_id": "agent"}, {"channel": "phone"}):
        response = await desk.post(
            "/portal/tickets", json={"subject": "x", "description": "y", **extra}, headers=headers
        )
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == list(extra)
    ticket = await portal_ticket(desk, headers)
    internal = await desk.post(
        f"/portal/tickets/{ticket['id']}/comments",
        json={"body": "psst", "internal": True},
        headers=headers,
    )
    assert internal.status_code == 422
    assert internal.json()["errors"][0]["field"] == "internal"
    listed = (await desk.get("/portal/tickets", headers=headers)).json()
    assert [t["priority"] for t in listed["items"]] == ["normal"]


async def test_the_contacts_reply_puts_a_pending_ticket_back_to_open(
    desk, auth, portal, customers, open_ticket
):
    customer_id = await customers.customer()
    ticket = await open_ticket(customer_id)
    pending = await desk.post(
        f"/tickets/{ticket['id']}/status",
        json={"status": "pending"},
        headers={**auth("agent"), "If-Match": '"1"'},
    )
    assert pending.json()["resolution"]["paused"] is True
    await comment(
        desk, portal(customer_id), ticket["id"], "The serial is FRK200-00417", prefix="/portal"
    )

    current = (await desk.get(f"/tickets/{ticket['id']}", headers=auth("agent"))).json()
    assert current["status"] == "open"
    assert current["resolution"]["paused"] is False
    assert current["resolution"]["due_at"] is not None


async def test_a_portal_contact_can_reopen_and_rate_but_not_resolve(
    desk, auth, portal, customers, open_ticket, clock
):
    customer_id = await customers.customer()
    headers = portal(customer_id)
    ticket = await open_ticket(customer_id)
    resolve = await desk.post(
        f"/portal/tickets/{ticket['id']}/reopen",
        json={"reason": "x"},
        headers={**headers, "If-Match": '"1"'},
    )
    assert resolve.status_code == 403  # not resolved: nothing to reopen

    resolved = await desk.post(
        f"/tickets/{ticket['id']}/status",
        json={"status": "resolved"},
        headers={**auth("agent"), "If-Match": '"1"'},
    )
    etag = resolved.headers["etag"]
    reopened = await desk.post(
        f"/portal/tickets/{ticket['id']}/reopen",
        json={"reason": "Still jams"},
        headers={**headers, "If-Match": etag},
    )
    assert reopened.status_code == 200, reopened.text
    assert reopened.json()["status"] == "open"


async def test_a_portal_token_without_a_customer_is_refused(desk, auth):
    response = await desk.get("/portal/tickets", headers=auth("li-wei", roles=["portal"]))
    assert response.status_code == 403
    bogus = auth("li-wei", roles=["portal"], customer="not-a-uuid")
    assert (await desk.get("/portal/tickets", headers=bogus)).status_code == 403
    staff = await desk.get("/portal/tickets", headers=auth("agent", customer=str(uuid.uuid4())))
    assert staff.status_code == 403


async def test_the_portal_comment_query_itself_leaves_internal_notes_out(
    desk, auth, customers, open_ticket, runtime, tenant
):
    customer_id = await customers.customer()
    ticket = await open_ticket(customer_id)
    await comment(desk, auth("agent"), ticket["id"], "internal only", internal=True)
    await comment(desk, auth("agent"), ticket["id"], "public")
    contact = Principal(
        user_id="li-wei",
        tenant=tenant,
        branch=None,
        roles=frozenset({Role.PORTAL}),
        customer_id=customer_id,
    )
    async with runtime.session_factory() as session:
        found = await views.comments(
            session, contact, uuid.UUID(ticket["id"]), PageParams(50, 0, None), CommentRead
        )
    assert found is not None
    assert [(c.body, c.internal) for c in found.items] == [("public", False)]
