"""The customers service follows what sales publishes."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from aiokafka import AIOKafkaProducer
from crm_contracts import CUSTOMERS_EVENTS, SALES_EVENTS, new_event
from crm_contracts.sales import OpportunityWonV1
from servicekit.testing import read_events


async def publish_win(bootstrap: str, tenant: str, customer_id: str, amount: str) -> None:
    event = new_event(
        OpportunityWonV1(
            opportunity_id=uuid.uuid4(),
            customer_id=uuid.UUID(customer_id),
            amount=Decimal(amount),
            currency="CNY",
            owner_id="north-rep",
            campaign_id=None,
            closed_on=date(2026, 11, 23),
            won_by="north-rep",
        ),
        tenant=tenant,
        branch="north",
        partition_key=customer_id,
        subject=f"opportunity/{uuid.uuid4()}",
        sequence=3,
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        value = event.to_json_bytes()
        await producer.send_and_wait(SALES_EVENTS, value, key=customer_id.encode())
        await producer.send_and_wait(SALES_EVENTS, value, key=customer_id.encode())  # redelivery
    finally:
        await producer.stop()


async def test_a_won_opportunity_makes_a_prospect_a_customer_once(
    customers, auth, new_customer, infra, tenant
):
    prospect = await new_customer(lifecycle_stage="prospect")
    await publish_win(infra.bootstrap, tenant, prospect["id"], "25000.00")

    deadline = asyncio.get_running_loop().time() + 10
    while True:
        current = (
            await customers.get(f"/customers/{prospect['id']}", headers=auth("north-rep"))
        ).json()
        if current["lifecycle_stage"] == "customer":
            break
        assert asyncio.get_running_loop().time() < deadline, current
        await asyncio.sleep(0.05)

    changes = await read_events(
        infra.bootstrap,
        CUSTOMERS_EVENTS,
        settle_s=1.0,
        where=lambda e: e.tenantid == tenant and e.type.endswith("lifecycle_changed.v1"),
    )
    assert [(e.data["old_stage"], e.data["new_stage"], e.data["changed_by"]) for e in changes] == [
        ("prospect", "customer", "system")
    ]


async def test_an_unsubscribe_recorded_by_a_campaign_opts_the_contact_out(
    customers, auth, new_customer, infra, tenant
):
    from crm_contracts.sales import CampaignResponseRecordedV1

    customer = await new_customer()
    contact = (
        await customers.post(
            f"/customers/{customer['id']}/contacts",
            json={"name": "Li Wei", "email": "li@xy.cn"},
            headers=auth("north-rep"),
        )
    ).json()
    event = new_event(
        CampaignResponseRecordedV1(
            campaign_id=uuid.uuid4(),
            customer_id=uuid.UUID(customer["id"]),
            contact_id=uuid.UUID(contact["id"]),
            response="unsubscribed",
            responded_at=datetime.now(UTC),
            recorded_by="mailer",
        ),
        tenant=tenant,
        branch="north",
        partition_key=customer["id"],
        subject=f"campaign/{uuid.uuid4()}",
        sequence=1,
    )
    producer = AIOKafkaProducer(bootstrap_servers=infra.bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(
            SALES_EVENTS, event.to_json_bytes(), key=customer["id"].encode()
        )
    finally:
        await producer.stop()
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        [found] = (
            await customers.get(f"/customers/{customer['id']}/contacts", headers=auth("north-rep"))
        ).json()
        if found["unsubscribed_at"] is not None:
            break
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.05)


async def test_service_surveys_set_the_satisfaction_score_weighted_by_category(
    customers, auth, new_customer, infra, tenant
):
    from crm_contracts import SERVICE_DESK_EVENTS
    from crm_contracts.service_desk import SurveyAnsweredV1

    await customers.put(
        "/settings/policy",
        headers=auth("admin"),
        json={
            "required_fields": ["name"],
            "pool_return_days": 30,
            "pool_warning_days": 3,
            "satisfaction_coefficients": {"response_speed": 0.5},
        },
    )
    customer = await new_customer()
    answers = [(5, None), (3, "response_speed")]  # weighted: 5 and 1.5
    events = [
        new_event(
            SurveyAnsweredV1(
                survey_id=uuid.uuid4(),
                ticket_id=uuid.uuid4(),
                customer_id=uuid.UUID(customer["id"]),
                score=score,
                comment=None,
                category=category,
                contact_id=None,
                answered_by="portal-user",
                answered_at=datetime.now(UTC),
            ),
            tenant=tenant,
            branch="north",
            partition_key=customer["id"],
            subject=f"survey/{uuid.uuid4()}",
            sequence=1,
        )
        for score, category in answers
    ]
    producer = AIOKafkaProducer(bootstrap_servers=infra.bootstrap, acks="all")
    await producer.start()
    try:
        for event in [*events, events[0]]:  # the first one is delivered twice
            await producer.send_and_wait(
                SERVICE_DESK_EVENTS, event.to_json_bytes(), key=customer["id"].encode()
            )
    finally:
        await producer.stop()
    expected = round((5 + 3 * 0.5) / 2, 3)
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        found = (
            await customers.get(f"/customers/{customer['id']}", headers=auth("north-rep"))
        ).json()
        if found["satisfaction_score"] == expected:
            break
        assert asyncio.get_running_loop().time() < deadline, found["satisfaction_score"]
        await asyncio.sleep(0.05)
