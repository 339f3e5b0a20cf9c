"""The service as a platform member: health, and every event in the AsyncAPI document."""

from __future__ import annotations

from crm_contracts import CloudEvent, all_specs


async def test_every_sales_event_is_in_the_asyncapi_document_with_an_example(sales):
    document = (await sales.get("/asyncapi.json")).json()

    sales_types = [s.type for s in all_specs() if s.type.startswith("crm.sales.")]
    assert len(sales_types) == 46
    channel = document["channels"]["crm.sales.events"]["messages"]
    for event_type in sales_types:
        assert event_type in channel
        [example] = document["components"]["messages"][event_type]["examples"]
        assert CloudEvent.model_validate(example["payload"]).type == event_type


async def test_the_openapi_document_lists_the_sales_routes(sales):
    paths = (await sales.get("/openapi.json")).json()["paths"]

    assert {
        "/opportunities/{opportunity_id}/win",
        "/quotes/{quote_id}/approve-loss",
        "/contracts/active-customers",
        "/calendar",
        "/expenses/{expense_id}/approve",
        "/campaigns/{campaign_id}/results",
        "/configuration",
    } <= set(paths)


async def test_the_service_is_ready_when_database_and_broker_are(sales):
    response = await sales.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "broker": "ok"}
