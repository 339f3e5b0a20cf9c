"""Who hears what: events from every service reach the right people, by inbox and e-mail."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from crm_contracts import NOTIFICATIONS_EVENTS
from crm_contracts.customers import (
    CustomerCreatedV1,
    CustomerOwnerChangedV1,
    CustomerPoolReturnWarningV1,
)
from crm_contracts.sales import ContractExpiringV1, QuoteLossAlarmRaisedV1, TaskOverdueV1
from crm_contracts.service_desk import TicketSlaBreachedV1
from crm_notifications.service_layer.jobs import MAIL
from servicekit.testing import read_events


def a_customer(owner: str = "north-rep") -> CustomerCreatedV1:
    return CustomerCreatedV1(
        customer_id=uuid.uuid4(),
        name="Nordwind Logistik GmbH",
        kind="company",
        lifecycle_stage="customer",
        owner_id=owner,
        created_by=owner,
    )


def titles(items: list[dict]) -> list[str]:
    return sorted(i["title"] for i in items)


async def test_each_rule_tells_the_people_it_names(
    api, auth, directory, publish, inbox, eventually, run_job, smtp, address, customer_known
):
    await directory()
    customer = a_customer()
    await publish(customer)
    await customer_known(customer.customer_id)
    cid = customer.customer_id
    await publish(
        CustomerOwnerChangedV1(
            customer_id=uuid.uuid4(),
            old_owner_id=None,
            new_owner_id="north-rep2",
            old_branch_id="north",
            new_branch_id="north",
            reason="assigned",
            changed_by="north-mgr",
        )
    )
    await publish(
        ContractExpiringV1(
            contract_id=uuid.uuid4(), customer_id=cid, end_date=date(2026, 12, 31), days_left=30
        )
    )
    await publish(
        QuoteLossAlarmRaisedV1(
            quote_id=uuid.uuid4(),
            customer_id=cid,
            currency="EUR",
            subtotal=Decimal("1800.00"),
            discount_percent=Decimal("0"),
            total=Decimal("1800.00"),
            cost=Decimal("1900.00"),
            margin=Decimal("-100.00"),
            lines_below_cost=[1],
            total_below_cost=True,
            created_by="north-rep",
        )
    )
    await publish(
        TicketSlaBreachedV1(
            ticket_id=uuid.uuid4(),
            customer_id=cid,
            clock="resolution",
            due_at=datetime.now(UTC),
            priority="high",
            assignee_id="agent",
        )
    )
    await publish(
        CustomerPoolReturnWarningV1(
            customer_id=cid,
            owner_id="north-rep",
            returns_at=datetime.now(UTC) + timedelta(days=3),
            idle_days=27,
        )
    )
    await publish(
        TaskOverdueV1(
            task_id=uuid.uuid4(),
            customer_id=cid,
            assignee_id="north-rep",
            subject="Call back about the fleet",
            due_at=datetime.now(UTC) - timedelta(days=1),
            overdue_on=date.today(),
            days_overdue=1,
        )
    )

    rep = await eventually(
        lambda: _at_least(inbox("north-rep"), 3), what="three notifications for the rep"
    )
    manager = await eventually(
        lambda: _at_least(inbox("north-mgr"), 3), what="three for the manager"
    )
    agent = await eventually(lambda: _at_least(inbox("agent"), 1), what="one for the agent")

    assert titles(rep) == [
        "Contract of Nordwind Logistik GmbH ends on 2026-12-31",
        "Nordwind Logistik GmbH returns to the pool on " + rep_pool_date(rep),
        "Overdue: Call back about the fleet",
    ]
    assert titles(manager) == [
        "Contract of Nordwind Logistik GmbH ends on 2026-12-31",
        "Loss alarm: a quote for Nordwind Logistik GmbH is priced below cost",
        "SLA breached: ticket of Nordwind Logistik GmbH",
    ]
    assert titles(agent) == ["SLA breached: ticket of Nordwind Logistik GmbH"]
    assert titles(await eventually(lambda: inbox("north-rep2"))) == [
        "your customer was assigned to you"
    ]
    assert await inbox("south-rep") == []

    await run_job(MAIL)
    assert len(smtp.to(address("north-rep"))) == 3
    assert len(smtp.to(address("north-mgr"))) == 3


def rep_pool_date(items: list[dict]) -> str:
    return next(i["title"] for i in items if "pool" in i["title"]).rsplit(" ", 1)[-1]


async def _at_least(items_coroutine, n: int):  # type: ignore[no-untyped-def]
    items = await items_coroutine
    return items if len(items) >= n else None


async def test_a_company_can_switch_a_rule_off_or_keep_it_to_the_inbox(
    api, auth, directory, publish, inbox, eventually, run_job, smtp, address, tenant, infra
):
    await directory("north-mgr", "north-rep")
    off = await api.put("/rules/loss_alarm", json={"enabled": False}, headers=auth("admin"))
    assert off.status_code == 200, off.text
    assert off.json()["channels"] == []
    inbox_only = await api.put(
        "/rules/task.overdue", json={"channels": ["inbox"]}, headers=auth("admin")
    )
    assert inbox_only.json()["channels"] == ["inbox"]
    again = await api.put("/rules/task.overdue", json={"channels": []}, headers=auth("admin"))
    assert again.status_code == 428  # a setting exists: If-Match needed

    customer = a_customer()
    await publish(customer)
    await publish(
        QuoteLossAlarmRaisedV1(
            quote_id=uuid.uuid4(),
            customer_id=customer.customer_id,
            currency="EUR",
            subtotal=Decimal("10"),
            discount_percent=Decimal("0"),
            total=Decimal("10"),
            cost=Decimal("11"),
            margin=Decimal("-1"),
            lines_below_cost=[1],
            total_below_cost=True,
            created_by="north-rep",
        )
    )
    await publish(
        TaskOverdueV1(
            task_id=uuid.uuid4(),
            customer_id=customer.customer_id,
            assignee_id="north-rep",
            subject="Visit",
            due_at=datetime.now(UTC) - timedelta(days=2),
            overdue_on=date.today(),
            days_overdue=2,
        )
    )
    await eventually(lambda: inbox("north-rep"), what="the overdue task in the inbox")
    await run_job(MAIL)

    assert await inbox("north-mgr") == []
    assert smtp.to(address("north-rep")) == []
    rules = (await api.get("/rules", headers=auth("admin"))).json()
    assert {r["key"]: r["enabled"] for r in rules}["loss_alarm"] is False
    delivered = await read_events(
        infra.bootstrap, NOTIFICATIONS_EVENTS, where=lambda e: e.tenantid == tenant
    )
    assert [e.type for e in delivered] == ["crm.notifications.notification.delivered.v1"]


async def test_nobody_hears_of_their_own_act_and_users_without_an_address_still_get_the_inbox(
    api, auth, publish, inbox, eventually, run_job, tenant, infra
):
    await publish(
        CustomerOwnerChangedV1(
            customer_id=uuid.uuid4(),
            old_owner_id=None,
            new_owner_id="north-rep",
            old_branch_id="north",
            new_branch_id="north",
            reason="claimed",
            changed_by="north-rep",
        )
    )
    await publish(
        CustomerOwnerChangedV1(
            customer_id=uuid.uuid4(),
            old_owner_id="north-rep",
            new_owner_id="south-rep",
            old_branch_id="north",
            new_branch_id="south",
            reason="assigned",
            changed_by="admin",
        )
    )
    [item] = await eventually(lambda: inbox("south-rep"), what="the assignment")
    assert item["rule"] == "customer.assigned"
    assert await inbox("north-rep") == []

    failed = await read_events(
        infra.bootstrap,
        NOTIFICATIONS_EVENTS,
        where=lambda e: e.tenantid == tenant and e.type.endswith("email.failed.v1"),
    )
    assert failed[0].data["permanent"] is True
    assert "no e-mail address" in failed[0].data["error"]
