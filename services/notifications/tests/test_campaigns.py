"""Campaign mail: to the segment's contacts, throttled, and never to one who unsubscribed."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal

import jwt
from crm_contracts import NOTIFICATIONS_EVENTS
from crm_contracts.customers import ContactChangedV1
from crm_contracts.sales import CampaignCreatedV1
from crm_notifications.adapters.orm import ContactRow
from crm_notifications.service_layer.jobs import MAIL
from servicekit.testing import read_events
from sqlalchemy import func, select


def a_contact(customer_id: uuid.UUID, email: str | None, **state: bool) -> ContactChangedV1:
    return ContactChangedV1(
        customer_id=customer_id,
        contact_id=uuid.uuid4(),
        name=(email or "nobody").split("@")[0].title(),
        email=email,
        changed_by="north-rep",
        **state,
    )


async def test_an_unsubscribed_contact_gets_no_campaign_mail(
    app, api, auth, tenant, publish, receiver, eventually, run_job, smtp, infra
):
    one, two = uuid.uuid4(), uuid.uuid4()
    segment, campaign = uuid.uuid4(), uuid.uuid4()
    receiver.segments[str(segment)] = [str(one), str(two)]
    ann = f"ann@{tenant}.example"
    bob = f"bob@{tenant}.example"  # unsubscribed in the customers service
    dan = f"dan@{tenant}.example"  # follows the link of the first mail before it leaves
    contacts = [
        a_contact(one, ann),
        a_contact(one, bob, unsubscribed=True),
        a_contact(two, dan),
        a_contact(two, None),
    ]
    for contact in contacts:
        await publish(contact)
    await publish(
        CampaignCreatedV1(
            campaign_id=campaign,
            name="Spring fleet renewal",
            segment_id=segment,
            channel="email",
            budget=Decimal("5000.00"),
            currency="EUR",
            start_date=date(2026, 3, 1),
            end_date=date(2026, 4, 30),
            created_by="marketer",
        ),
        key=str(campaign),
    )

    async def known() -> bool:
        async with app.state.runtime.session_factory() as session:
            count = await session.scalar(select(func.count()).where(ContactRow.tenant_id == tenant))
        return count == 4

    await eventually(known, what="the contacts known")
    body = {
        "subject": "Spring offer for {{ customer.name }}",
        "text": "Dear {{ contact.name }},\n\nour spring offer is out.",
        "html": "<p>Dear {{ contact.name }},</p><p>our spring offer is out.</p>",
    }
    started = await eventually(lambda: _start(api, auth, campaign, body), what="the campaign known")
    mailing = started.json()
    assert (mailing["queued"], mailing["skipped_unsubscribed"]) == (2, 1)
    assert mailing["skipped_without_email"] == 1
    forwarded = receiver.tokens[-1].removeprefix("Bearer ")
    assert jwt.decode(forwarded, options={"verify_signature": False})["sub"] == "marketer"

    # Throttled: one mail a second (60 a minute in these tests).
    begun = datetime.fromisoformat(mailing["created_at"])
    await run_job(MAIL, begun)
    [first] = smtp.to(ann) + smtp.to(dan)
    link = re.search(
        r"http://crm\.test/unsubscribe/([\w-]+)", first.get_body(("plain",)).get_content()
    )
    assert link is not None
    assert str(first["List-Unsubscribe"]).strip() == f"<{link.group(0)}>"

    # The other contact unsubscribes through its own link before its mail leaves.
    other = dan if first["To"] == ann else ann
    token = await _token_of(app, tenant, other)
    page = await api.get(f"/unsubscribe/{token}")
    assert page.status_code == 200
    assert other in page.text
    done = await api.post(f"/unsubscribe/{token}")
    assert done.status_code == 200
    await run_job(MAIL, begun + timedelta(seconds=5))

    assert smtp.to(other) == []
    assert smtp.to(bob) == []
    status = (await api.get(f"/mailings/{mailing['id']}", headers=auth("marketer"))).json()
    assert status["status"] == {"sent": 1, "cancelled": 1}

    second = (await _start(api, auth, campaign, body)).json()
    assert (second["queued"], second["skipped_unsubscribed"]) == (1, 2)

    [unsubscribed] = await read_events(
        infra.bootstrap,
        NOTIFICATIONS_EVENTS,
        where=lambda e: e.tenantid == tenant and e.type.endswith("unsubscribed.v1"),
    )
    assert unsubscribed.data["campaign_id"] == str(campaign)
    assert unsubscribed.partitionkey == unsubscribed.data["customer_id"]


async def _start(api, auth, campaign, body):  # type: ignore[no-untyped-def]
    response = await api.post(
        f"/campaigns/{campaign}/mailings", json=body, headers=auth("marketer")
    )
    if response.status_code == 404:
        return None
    assert response.status_code == 201, response.text
    return response


async def _token_of(app, tenant: str, email: str) -> str:  # type: ignore[no-untyped-def]
    from crm_notifications.adapters.orm import OutgoingMailRow

    async with app.state.runtime.session_factory() as session:
        token = await session.scalar(
            select(OutgoingMailRow.unsubscribe_token).where(
                OutgoingMailRow.tenant_id == tenant, OutgoingMailRow.to_address == email
            )
        )
    assert token is not None
    return str(token)


async def test_campaign_mail_needs_marketing_and_a_known_campaign(api, auth):
    forbidden = await api.post(
        f"/campaigns/{uuid.uuid4()}/mailings",
        json={"subject": "x", "text": "y"},
        headers=auth("north-rep"),
    )
    assert forbidden.status_code == 403
    unknown = await api.post(
        f"/campaigns/{uuid.uuid4()}/mailings",
        json={"subject": "x", "text": "y"},
        headers=auth("marketer"),
    )
    assert unknown.status_code == 404
    assert (await api.post("/unsubscribe/" + "x" * 32)).status_code == 404
