"""Campaigns: a segment from the customers service, responses per contact, and the
opportunities (and revenue) attributed to the campaign."""

from __future__ import annotations

import pytest

OPPORTUNITY = {"name": "Fleet", "currency": "EUR", "expected_close_date": "2026-06-30"}


@pytest.fixture
async def campaign(sales, auth, customers):
    segment = await customers.segment()
    response = await sales.post(
        "/campaigns",
        json={
            "name": "Spring fleet renewal",
            "segment_id": str(segment),
            "channel": "email",
            "budget": "5000.00",
            "currency": "EUR",
            "start_date": "2026-03-01",
            "end_date": "2026-04-30",
        },
        headers=auth("marketer"),
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_opportunities_attributed_to_a_campaign_show_in_its_results(
    sales, auth, customers, campaign, sales_events
):
    customer = await customers.created()
    rep = auth("north-rep")
    opened = []
    for amount in ("1000.00", "4000.00"):
        response = await sales.post(
            "/opportunities",
            json={
                **OPPORTUNITY,
                "customer_id": str(customer),
                "amount": amount,
                "campaign_id": campaign["id"],
            },
            headers=rep,
        )
        assert response.status_code == 201, response.text
        opened.append(response)
    await sales.post(
        "/opportunities",
        json={**OPPORTUNITY, "customer_id": str(customer), "amount": "7"},
        headers=rep,
    )
    won = await sales.post(
        f"{opened[1].headers['location']}/win",
        headers={**rep, "If-Match": opened[1].headers["etag"]},
    )
    assert won.status_code == 200

    results = await sales.get(f"/campaigns/{campaign['id']}/results", headers=auth("marketer"))
    listed = await sales.get(
        "/opportunities", params={"campaign_id": campaign["id"]}, headers=auth("marketer")
    )

    assert results.status_code == 200, results.text
    assert results.json()["budget"] == "5000.00"
    assert results.json()["attributed"] == [
        {
            "currency": "EUR",
            "opportunities": 2,
            "pipeline_amount": "1000.00",
            "won": 1,
            "won_amount": "4000.00",
        }
    ]
    assert listed.json()["total"] == 2
    [won_event] = await sales_events("crm.sales.opportunity.won.v1")
    assert won_event.data["campaign_id"] == campaign["id"]


async def test_an_opportunity_cannot_name_an_unknown_campaign(sales, auth, customers):
    customer = await customers.created()

    response = await sales.post(
        "/opportunities",
        json={
            **OPPORTUNITY,
            "customer_id": str(customer),
            "amount": "1",
            "campaign_id": "1b2c3d4e-5f60-4718-9a2b-3c4d5e6f7081",
        },
        headers=auth("north-rep"),
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "campaign_id"


async def test_each_kind_of_response_of_a_contact_counts_once(
    sales, auth, customers, campaign, sales_events
):
    customer = await customers.created()
    contact = await customers.contact(customer)
    url = f"/campaigns/{campaign['id']}/responses"
    mail_tool = auth("integrator")

    opened = await sales.post(
        url, json={"contact_id": str(contact), "response": "opened"}, headers=mail_tool
    )
    opened_again = await sales.post(
        url, json={"contact_id": str(contact), "response": "opened"}, headers=mail_tool
    )
    interested = await sales.post(
        url, json={"contact_id": str(contact), "response": "interested"}, headers=auth("north-rep")
    )

    assert (opened.status_code, opened_again.status_code, interested.status_code) == (201, 200, 201)
    results = (await sales.get(f"/campaigns/{campaign['id']}/results", headers=auth("ceo"))).json()
    assert results["responses"] == {"opened": 1, "replied": 0, "interested": 1, "unsubscribed": 0}
    recorded = await sales_events("crm.sales.campaign.response_recorded.v1", expect=2, settle_s=0.3)
    assert [e.data["response"] for e in recorded] == ["opened", "interested"]
    assert {e.partitionkey for e in recorded} == {str(customer)}
    interested_only = await sales.get(
        url, params={"response_kind": "interested"}, headers=auth("marketer")
    )
    assert [r["contact_id"] for r in interested_only.json()["items"]] == [str(contact)]


async def test_a_campaign_needs_a_known_segment_and_is_planned_by_marketing(sales, auth, customers):
    segment = await customers.segment()
    body = {
        "name": "Autumn",
        "segment_id": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
        "channel": "sms",
        "budget": "100",
        "currency": "EUR",
        "start_date": "2026-09-01",
        "end_date": "2026-09-30",
    }

    unknown = await sales.post("/campaigns", json=body, headers=auth("marketer"))
    by_rep = await sales.post(
        "/campaigns", json={**body, "segment_id": str(segment)}, headers=auth("north-rep")
    )

    assert unknown.status_code == 422
    assert unknown.json()["errors"] == [{"field": "segment_id", "message": "unknown segment"}]
    assert by_rep.status_code == 403
