"""Data completeness per rep counts the standard fields the customer events state.

`customer.created.v1` states five of the ten fields the customers service scores (name,
category, industry, phone, e-mail). A customer with all of them filled is complete as far
as anyone can tell from the events; it used to read 0.5 (five of ten) whatever was filled,
which is what every rep showed after `crm seed --demo`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from crm_contracts import CloudEvent, new_event
from crm_contracts import customers as c


def created(tenant: str, owner: str, **fields: Any) -> CloudEvent:
    customer = uuid.uuid4()
    values = {"category": None, "industry": None, "phone": None, "email": None} | fields
    return new_event(
        c.CustomerCreatedV1(
            customer_id=customer,
            name="Northwind",
            kind="company",
            lifecycle_stage=c.LifecycleStage.PROSPECT,
            owner_id=owner,
            created_by=owner,
            **values,
        ),
        tenant=tenant,
        branch="north",
        partition_key=str(customer),
        subject=f"customer/{customer}",
        sequence=1,
        time=datetime(2026, 3, 2, 9, tzinfo=UTC),
    )


def updated(event: CloudEvent, **changes: str | None) -> CloudEvent:
    return new_event(
        c.CustomerUpdatedV1(
            customer_id=event.data["customer_id"],
            changes={f: c.FieldChange(old=None, new=v) for f, v in changes.items()},
            updated_by="north-rep",
        ),
        tenant=event.tenantid,
        branch="north",
        partition_key=event.partitionkey,
        subject=event.subject,
        sequence=2,
        time=datetime(2026, 3, 3, 9, tzinfo=UTC),
    )


async def completeness(reporting: Any, auth: Any) -> dict[str, Any]:
    response = await reporting.get("/reports/rep-activity", headers=auth())
    assert response.status_code == 200, response.text
    return {r["owner_id"]: r["completeness"] for r in response.json()["items"]}


async def test_a_customer_with_every_stated_field_filled_is_complete(reporting, feed, auth, tenant):
    full = {"category": "A", "industry": "retail", "phone": "+1 555", "email": "a@b.example"}
    await feed([created(tenant, "north-rep", **full), created(tenant, "north-rep2", **full)])

    assert await completeness(reporting, auth) == {"north-rep": 1.0, "north-rep2": 1.0}


async def test_fields_an_update_names_count_filled_or_emptied(reporting, feed, auth, tenant):
    first = created(tenant, "north-rep", category="A", industry="retail")  # 3 of 5 filled
    second = created(tenant, "north-rep", phone="+1 555")  # 2 of 5 filled
    # The fax is filled in (a sixth field stated), the phone emptied: 3 + 2 of 5 + 6.
    await feed([first, second, updated(second, fax="+1 556", phone=None)])

    assert await completeness(reporting, auth) == {"north-rep": pytest.approx(5 / 11)}


async def test_a_newer_producer_stating_more_fields_gets_them_counted(
    reporting, feed, auth, tenant
):
    # An added optional field (contracts evolve that way): read from the event's data.
    event = created(tenant, "north-rep", category="A", industry="retail", phone="1", email="e")
    newer = event.model_copy(update={"data": {**event.data, "fax": None, "address": "Main St 1"}})
    await feed([newer])

    assert await completeness(reporting, auth) == {"north-rep": pytest.approx(6 / 7)}
