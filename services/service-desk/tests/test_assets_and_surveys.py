"""Assets and the warranty flag; satisfaction surveys and the event that feeds the score."""

from __future__ import annotations


async def register(desk, auth, customer_id: str, user: str = "agent", **fields) -> dict:
    body = {"customer_id": customer_id, "product": "Forklift FRK-200", "serial": "S-1", **fields}
    response = await desk.post("/assets", json=body, headers=auth(user))
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_a_ticket_on_an_asset_out_of_warranty_is_flagged_and_published_so(
    desk, auth, customers, open_ticket, published
):
    customer_id = await customers.customer()
    expired = await register(desk, auth, customer_id, warranty_end="2026-11-22")
    covered = await register(desk, auth, customer_id, serial="S-2", warranty_end="2026-11-23")

    flagged = await open_ticket(customer_id, asset_id=expired["id"])
    assert flagged["out_of_warranty"] is True
    fine = await open_ticket(customer_id, asset_id=covered["id"])  # its last day
    assert fine["out_of_warranty"] is False

    listed = (await desk.get("/tickets?out_of_warranty=true", headers=auth("agent"))).json()
    assert [t["id"] for t in listed["items"]] == [flagged["id"]]
    opened = await published("ticket.opened.v1", expect=2)
    assert {e.data["ticket_id"]: e.data["out_of_warranty"] for e in opened} == {
        flagged["id"]: True,
        fine["id"]: False,
    }
    [registered, _] = await published("asset.registered.v1", expect=2)
    assert registered.partitionkey == customer_id
    assert registered.data["warranty_end"] == "2026-11-22"


async def test_moving_a_ticket_to_an_expired_asset_raises_the_flag(
    desk, auth, customers, open_ticket
):
    customer_id = await customers.customer()
    ticket = await open_ticket(customer_id)
    expired = await register(desk, auth, customer_id, warranty_end="2025-01-31")
    response = await desk.patch(
        f"/tickets/{ticket['id']}",
        json={"asset_id": expired["id"]},
        headers={**auth("agent"), "If-Match": '"1"'},
    )
    assert response.status_code == 200, response.text
    assert response.json()["out_of_warranty"] is True


async def test_an_asset_of_another_customer_cannot_be_named_on_a_ticket(
    desk, auth, customers, open_ticket
):
    customer_id = await customers.customer()
    foreign = await register(desk, auth, await customers.customer())
    response = await desk.post(
        "/tickets",
        headers=auth("agent"),
        json={
            "customer_id": customer_id,
            "asset_id": foreign["id"],
            "subject": "x",
            "description": "y",
            "channel": "phone",
        },
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "asset_id"


async def test_assets_are_scoped_validated_and_updated_with_if_match(desk, auth, customers, portal):
    north = await customers.customer()
    south = await customers.customer(branch="south", owner="south-rep")
    asset = await register(desk, auth, north, purchase_date="2024-03-01", warranty_end="2026-02-28")
    await register(desk, auth, south, user="admin")

    listed = (
        await desk.get("/assets?warranty_ended_before=2026-11-23", headers=auth("agent"))
    ).json()
    assert [a["id"] for a in listed["items"]] == [asset["id"]]
    mine = (await desk.get("/portal/assets", headers=portal(north))).json()
    assert [a["id"] for a in mine["items"]] == [asset["id"]]
    bad = await desk.post(
        "/assets",
        headers=auth("agent"),
        json={
            "customer_id": north,
            "product": "P",
            "serial": "S",
            "purchase_date": "2026-01-01",
            "warranty_end": "2025-01-01",
        },
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "warranty_end"
    not_mine = await desk.post(
        "/assets", headers=auth("agent"), json={"customer_id": south, "product": "P", "serial": "S"}
    )
    assert not_mine.status_code == 422

    url = f"/assets/{asset['id']}"
    extended = await desk.patch(
        url, json={"warranty_end": "2027-02-28"}, headers={**auth("agent"), "If-Match": '"1"'}
    )
    assert extended.status_code == 200
    assert extended.headers["etag"] == '"2"'
    stale = await desk.patch(
        url, json={"serial": "S-9"}, headers={**auth("agent"), "If-Match": '"1"'}
    )
    assert stale.status_code == 412


async def test_a_rating_of_a_resolved_ticket_is_published_for_the_customers_score(
    desk, auth, portal, customers, open_ticket, published
):
    customer_id = await customers.customer()
    contact_id = await customers.contact(customer_id)
    ticket = await open_ticket(customer_id, contact_id=contact_id)
    headers = portal(customer_id)
    early = await desk.post(
        f"/portal/tickets/{ticket['id']}/survey", json={"score": 5}, headers=headers
    )
    assert early.status_code == 409  # not resolved yet

    await desk.post(
        f"/tickets/{ticket['id']}/status",
        json={"status": "resolved"},
        headers={**auth("agent"), "If-Match": '"1"'},
    )
    out_of_range = await desk.post(
        f"/portal/tickets/{ticket['id']}/survey", json={"score": 6}, headers=headers
    )
    assert out_of_range.status_code == 422
    rated = await desk.post(
        f"/portal/tickets/{ticket['id']}/survey",
        json={"score": 4, "comment": "Quick, friendly", "category": "response_speed"},
        headers=headers,
    )
    assert rated.status_code == 201, rated.text
    again = await desk.post(
        f"/portal/tickets/{ticket['id']}/survey", json={"score": 1}, headers=headers
    )
    assert again.status_code == 409

    [answered] = await published("survey.answered.v1")
    assert answered.partitionkey == customer_id
    assert answered.subject == f"survey/{rated.json()['id']}"
    assert answered.sequence == 1
    assert answered.data == {
        "survey_id": rated.json()["id"],
        "ticket_id": ticket["id"],
        "customer_id": customer_id,
        "score": 4,
        "comment": "Quick, friendly",
        "category": "response_speed",
        "contact_id": contact_id,
        "answered_by": "li-wei",
        "answered_at": answered.data["answered_at"],
    }
    seen = (await desk.get(f"/tickets/{ticket['id']}/survey", headers=auth("agent"))).json()
    assert seen["score"] == 4


async def test_an_agent_records_a_rating_taken_by_phone(
    desk, auth, customers, open_ticket, published
):
    customer_id = await customers.customer()
    ticket = await open_ticket(customer_id)
    await desk.post(
        f"/tickets/{ticket['id']}/status",
        json={"status": "resolved"},
        headers={**auth("agent"), "If-Match": '"1"'},
    )
    recorded = await desk.post(
        f"/tickets/{ticket['id']}/survey", json={"score": 2}, headers=auth("agent")
    )
    assert recorded.status_code == 201
    [answered] = await published("survey.answered.v1")
    assert (answered.data["score"], answered.data["answered_by"]) == (2, "agent")
