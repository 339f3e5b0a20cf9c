"""The access matrix (OWASP API1 object level, API3 property level, API5 function level).

Every route of every service, from their OpenAPI documents (a new route is covered at once),
is called for real by every demo role, a portal contact of the customer, a portal contact of
another customer, and the admin of another tenant. The objects are owned by `north-rep` in
branch north, one fresh set per caller (a tenant each), so what one caller may change does
not disturb the next. The expected outcome is the table below; a route missing from it fails
the test, so whoever adds a route states who may call it.

Allowed: 2xx (a 409 also counts: the object was reached, a business rule said no).
Denied: 403 or 404 (422 where the object is only referenced from the body: "unknown
customer"), and then nothing changed: every row of the tenant in all five databases is the
same after the denied calls as before. A 2xx answer to a caller who may not see the
customer never contains the id of anything of that customer.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio

# -- who calls -------------------------------------------------------------------------------

ADMIN, CEO, MGR = "admin", "ceo", "north-mgr"
REP, REP2, SOUTH = "north-rep", "north-rep2", "south-rep"
AGENT, MKT, INT = "agent", "marketer", "integrator"
PORTAL, PORTAL2, STRANGER = "portal", "portal-other", "stranger"
CALLERS = (ADMIN, CEO, MGR, REP, REP2, SOUTH, AGENT, MKT, INT, PORTAL, PORTAL2, STRANGER)

STAFF = frozenset({ADMIN, CEO, MGR, REP, REP2, SOUTH, AGENT, MKT, INT})
# Lists, reports and the caller's own settings: every staff user, and the other tenant's
# admin too (who then sees its own, empty, tenant: the leak check looks at the answer).
COLLECTION = STAFF | {STRANGER}
# Who sees north-rep's customer C: all branches (admin, exec, marketing, integrators),
# branch north (manager, service agent), the owner.
SEES_C = frozenset({ADMIN, CEO, MGR, REP, AGENT, MKT, INT})
WORKS_C = frozenset({ADMIN, CEO, MGR, REP})  # change C and sell to it
MANAGES_C = frozenset({ADMIN, CEO, MGR})
DESK_READS_C = frozenset({ADMIN, CEO, MGR, AGENT, REP, INT})  # tickets and assets of C
DESK_WORKS_C = frozenset({ADMIN, MGR, AGENT})
DESK = frozenset({ADMIN, CEO, MGR, AGENT, REP, REP2, SOUTH, INT})  # service-desk users
OWN_TENANT_ADMIN = frozenset({ADMIN, STRANGER})  # company settings: one's own company
PORTALS = frozenset({PORTAL, PORTAL2})
ANYONE = frozenset(CALLERS)
PUBLIC = "public"  # capability URLs: the same answer whoever calls (and without a token)

# -- the expected outcome per route ------------------------------------------------------------

EXPECTED: dict[str, frozenset[str] | str] = {
    # customers
    "GET /customers/export.csv": COLLECTION,
    "GET /contacts/export.csv": COLLECTION,
    "POST /customers": {ADMIN, CEO, MGR, REP, REP2, STRANGER},  # in branch north
    "GET /customers": COLLECTION,
    "GET /customers/duplicates": COLLECTION,
    "POST /customers/merge": MANAGES_C,
    "GET /customers/completeness": COLLECTION,
    "GET /customers/{customer_id}": SEES_C,
    "PATCH /customers/{customer_id}": WORKS_C,
    "DELETE /customers/{customer_id}": MANAGES_C,
    "POST /customers/{customer_id}/lifecycle": WORKS_C,
    "GET /pool": COLLECTION,
    "POST /pool/{customer_id}/claim": {MGR, REP, REP2},  # the branch's pool
    "POST /customers/{customer_id}/assign": MANAGES_C,
    "POST /customers/{customer_id}/release": WORKS_C,  # the owner or a manager
    "GET /customers/{customer_id}/ownership-history": SEES_C,
    "GET /customers/{customer_id}/timeline": SEES_C,
    "POST /customers/{customer_id}/interactions": WORKS_C,
    "PATCH /customers/{customer_id}/interactions/{interaction_id}": WORKS_C,
    "DELETE /customers/{customer_id}/interactions/{interaction_id}": WORKS_C,
    "POST /customers/{customer_id}/interactions/{interaction_id}/close": WORKS_C,
    "GET /customers/{customer_id}/contacts": SEES_C,
    "POST /customers/{customer_id}/contacts": WORKS_C,
    "PATCH /customers/{customer_id}/contacts/{contact_id}": WORKS_C,
    "DELETE /customers/{customer_id}/contacts/{contact_id}": WORKS_C,
    "GET /segments": COLLECTION,
    "POST /segments": {ADMIN, CEO, MGR, MKT, STRANGER},
    "GET /segments/{segment_id}": STAFF,
    "PATCH /segments/{segment_id}": {ADMIN, CEO, MGR, MKT},
    "DELETE /segments/{segment_id}": {ADMIN, CEO, MGR, MKT},
    "GET /segments/{segment_id}/members": STAFF,
    "GET /settings/policy": COLLECTION,
    "PUT /settings/policy": OWN_TENANT_ADMIN,
    "GET /settings/custom-fields": COLLECTION,
    "PUT /settings/custom-fields/{key}": OWN_TENANT_ADMIN,
    "POST /imports/customers": {ADMIN, CEO, MGR, STRANGER},
    "GET /imports/{job_id}": STAFF,
    # sales
    "GET /configuration": COLLECTION,
    "PUT /configuration": OWN_TENANT_ADMIN,
    "POST /products": {ADMIN, CEO, STRANGER},
    "GET /products": COLLECTION,
    "GET /products/{product_id}": STAFF,
    "PATCH /products/{product_id}": {ADMIN, CEO},
    "POST /opportunities": WORKS_C,
    "GET /opportunities": COLLECTION,
    "GET /opportunities/{opportunity_id}": SEES_C,
    "PATCH /opportunities/{opportunity_id}": WORKS_C,
    "POST /opportunities/{opportunity_id}/stage": WORKS_C,
    "POST /opportunities/{opportunity_id}/win": WORKS_C,
    "POST /opportunities/{opportunity_id}/lose": WORKS_C,
    "POST /opportunities/{opportunity_id}/reopen": MANAGES_C,
    "POST /opportunities/{opportunity_id}/assign": MANAGES_C,
    "POST /quotes": WORKS_C,
    "GET /quotes": COLLECTION,
    "GET /quotes/{quote_id}": SEES_C,
    "PUT /quotes/{quote_id}": WORKS_C,
    "POST /quotes/{quote_id}/approve-loss": MANAGES_C,
    "POST /quotes/{quote_id}/send": WORKS_C,
    "POST /quotes/{quote_id}/accept": WORKS_C,
    "POST /quotes/{quote_id}/reject": WORKS_C,
    "POST /orders": WORKS_C,
    "GET /orders": COLLECTION,
    "GET /orders/{order_id}": SEES_C,
    "POST /orders/{order_id}/approve-loss": MANAGES_C,
    "POST /orders/{order_id}/cancel": WORKS_C,
    "POST /contracts": WORKS_C,
    "GET /contracts": COLLECTION,
    "GET /contracts/active-customers": COLLECTION,
    "GET /contracts/{contract_id}": SEES_C,
    "POST /contracts/{contract_id}/renew": WORKS_C,
    "POST /tasks": WORKS_C,
    "GET /tasks": COLLECTION,
    "GET /tasks/{task_id}": SEES_C,
    "POST /tasks/{task_id}/reschedule": WORKS_C,
    "POST /tasks/{task_id}/assign": MANAGES_C,
    "POST /tasks/{task_id}/complete": WORKS_C,  # the assignee or a manager
    "GET /calendar": COLLECTION,
    "POST /expenses": WORKS_C,
    "GET /expenses": COLLECTION,
    "GET /expenses/{expense_id}": SEES_C,
    "POST /expenses/{expense_id}/approve": MANAGES_C,
    "POST /expenses/{expense_id}/reject": MANAGES_C,
    "POST /campaigns": {ADMIN, CEO, MKT},  # its segment is tenant A's
    "GET /campaigns": COLLECTION,
    "GET /campaigns/{campaign_id}": STAFF,
    "PATCH /campaigns/{campaign_id}": {ADMIN, CEO, MKT},
    "POST /campaigns/{campaign_id}/responses": {ADMIN, CEO, MGR, REP, MKT, INT},
    "GET /campaigns/{campaign_id}/responses": STAFF,
    "GET /campaigns/{campaign_id}/results": STAFF,
    # service desk
    "POST /tickets": DESK_WORKS_C,
    "GET /tickets": DESK | {STRANGER},
    "GET /tickets/{ticket_id}": DESK_READS_C,
    "PATCH /tickets/{ticket_id}": DESK_WORKS_C,
    "POST /tickets/{ticket_id}/status": DESK_WORKS_C,
    "POST /tickets/{ticket_id}/comments": DESK_WORKS_C,
    "GET /tickets/{ticket_id}/comments": DESK_READS_C,
    "POST /tickets/{ticket_id}/survey": DESK_WORKS_C,
    "GET /tickets/{ticket_id}/survey": DESK_READS_C,
    "POST /portal/tickets": PORTALS,  # each for its own customer
    "GET /portal/tickets": PORTALS,
    "GET /portal/tickets/{ticket_id}": {PORTAL},
    "POST /portal/tickets/{ticket_id}/comments": {PORTAL},
    "GET /portal/tickets/{ticket_id}/comments": {PORTAL},
    "POST /portal/tickets/{ticket_id}/reopen": {PORTAL},
    "POST /portal/tickets/{ticket_id}/survey": {PORTAL},
    "GET /portal/assets": PORTALS,
    "POST /assets": DESK_WORKS_C,
    "GET /assets": DESK | {STRANGER},
    "GET /assets/{asset_id}": DESK_READS_C,
    "PATCH /assets/{asset_id}": DESK_WORKS_C,
    "POST /announcements": OWN_TENANT_ADMIN,
    "GET /announcements": COLLECTION | PORTALS,  # the company's news, portal included
    "GET /announcements/{announcement_id}": STAFF | PORTALS,
    "PATCH /announcements/{announcement_id}": {ADMIN},
    "GET /sla/policy": DESK | {STRANGER},
    "PUT /sla/policy": OWN_TENANT_ADMIN,
    "GET /sla/business-hours/{branch_id}": DESK | {STRANGER},
    "PUT /sla/business-hours/{branch_id}": {ADMIN, MGR, STRANGER},  # north's manager
    # notifications
    "GET /inbox": COLLECTION,
    "POST /inbox/{item_id}/read": {REP},  # the recipient
    "POST /inbox/read": COLLECTION,
    "GET /users": {ADMIN, CEO, STRANGER},
    "GET /users/{user_id}": {ADMIN, CEO},
    "PUT /users/{user_id}": OWN_TENANT_ADMIN,
    "DELETE /users/{user_id}": {ADMIN},
    "GET /rules": {ADMIN, CEO, STRANGER},
    "PUT /rules/{key}": OWN_TENANT_ADMIN,
    "GET /settings": {ADMIN, CEO, STRANGER},
    "PUT /settings": OWN_TENANT_ADMIN,
    "GET /webhooks/endpoints": {ADMIN, INT, STRANGER},
    "POST /webhooks/endpoints": {ADMIN, INT, STRANGER},
    "GET /webhooks/endpoints/{endpoint_id}": {ADMIN, INT},
    "PATCH /webhooks/endpoints/{endpoint_id}": {ADMIN, INT},
    "DELETE /webhooks/endpoints/{endpoint_id}": {ADMIN, INT},
    "GET /webhooks/endpoints/{endpoint_id}/secret": {ADMIN, INT},
    "GET /webhooks/endpoints/{endpoint_id}/deliveries": {ADMIN, INT},
    "POST /webhooks/endpoints/{endpoint_id}/replay": {ADMIN, INT},
    "GET /webhooks/deliveries/{delivery_id}": {ADMIN, INT},
    "POST /webhooks/deliveries/{delivery_id}/replay": {ADMIN, INT},
    "GET /feed": COLLECTION,
    "GET /feed/stream": COLLECTION,
    "POST /campaigns/{campaign_id}/mailings": {ADMIN, MKT},
    "GET /mailings/{mailing_id}": {ADMIN, MKT},
    "GET /unsubscribe/{token}": PUBLIC,
    "POST /unsubscribe/{token}": PUBLIC,
    # reporting: reports for the staff, scoped inside; settings and snapshots per tenant
    "GET /reports/customers/summary": COLLECTION,
    "GET /reports/customers/growth": COLLECTION,
    "GET /reports/customers/churn-reasons": COLLECTION,
    "GET /reports/funnel": COLLECTION,
    "GET /reports/pipeline": COLLECTION,
    "GET /reports/win-rate": COLLECTION,
    "GET /reports/sales": COLLECTION,
    "GET /reports/sales/products": COLLECTION,
    "GET /reports/quotes": COLLECTION,
    "GET /reports/contracts": COLLECTION,
    "GET /reports/value-pyramid": COLLECTION,
    "GET /reports/profitability": COLLECTION,
    "GET /reports/rep-activity": COLLECTION,
    "GET /reports/service": COLLECTION,
    "GET /reports/campaigns": COLLECTION,
    "GET /reports/forecast-accuracy": STAFF,  # of a snapshot of tenant A
    "GET /reports/dimensions": COLLECTION,
    "GET /settings/forecast": COLLECTION,
    "PUT /settings/forecast": {ADMIN, CEO, STRANGER},
    "POST /snapshots": {ADMIN, CEO, MGR, STRANGER},
    "GET /snapshots": COLLECTION,
    "GET /snapshots/{snapshot_id}": STAFF,
    # platform operations: only the operator's own administrators (conftest.OPERATOR_TENANT)
    "POST /rebuilds": set(),
    "GET /rebuilds/{rebuild_id}": set(),
}
EXPECTED = {route: (v if isinstance(v, str) else frozenset(v)) for route, v in EXPECTED.items()}


# -- how each route is called ------------------------------------------------------------------

# Path parameters: the world object they name (or "=literal").
PARAMS = {
    "customer_id": "C",
    "contact_id": "K",
    "interaction_id": "I",
    "segment_id": "S",
    "job_id": "J",
    "opportunity_id": "O",
    "quote_id": "Q",
    "order_id": "OR",
    "contract_id": "CT",
    "task_id": "T",
    "expense_id": "E",
    "campaign_id": "CA",
    "product_id": "PR",
    "ticket_id": "TK",
    "asset_id": "A",
    "announcement_id": "AN",
    "branch_id": "=north",
    "item_id": "X",
    "user_id": "=north-rep",
    "endpoint_id": "W",
    "delivery_id": "D",
    "mailing_id": "M",
    "token": "=not-a-valid-token",
    "snapshot_id": "SN",
    "rebuild_id": "RB",
}
# Routes that change an object for good get one of their own.
OBJECT_OF = {
    "DELETE /customers/{customer_id}": {"customer_id": "C_delete"},
    "POST /customers/{customer_id}/assign": {"customer_id": "C_assign"},
    "POST /customers/{customer_id}/release": {"customer_id": "C_release"},
    "POST /pool/{customer_id}/claim": {"customer_id": "P"},
    "DELETE /customers/{customer_id}/interactions/{interaction_id}": {"interaction_id": "I_del"},
    "POST /customers/{customer_id}/interactions/{interaction_id}/close": {
        "interaction_id": "I_close"
    },
    "DELETE /customers/{customer_id}/contacts/{contact_id}": {"contact_id": "K_del"},
    "PUT /settings/custom-fields/{key}": {"key": "=region"},
    "DELETE /segments/{segment_id}": {"segment_id": "S_del"},
    "POST /opportunities/{opportunity_id}/win": {"opportunity_id": "O_win"},
    "POST /opportunities/{opportunity_id}/lose": {"opportunity_id": "O_lose"},
    "POST /opportunities/{opportunity_id}/reopen": {"opportunity_id": "O_reopen"},
    "POST /opportunities/{opportunity_id}/assign": {"opportunity_id": "O_assign"},
    "POST /quotes/{quote_id}/approve-loss": {"quote_id": "Q_loss"},
    "POST /quotes/{quote_id}/send": {"quote_id": "Q_send"},
    "POST /quotes/{quote_id}/accept": {"quote_id": "Q_accept"},
    "POST /quotes/{quote_id}/reject": {"quote_id": "Q_reject"},
    "POST /orders/{order_id}/approve-loss": {"order_id": "OR_loss"},
    "POST /orders/{order_id}/cancel": {"order_id": "OR_cancel"},
    "POST /tasks/{task_id}/assign": {"task_id": "T_assign"},
    "POST /tasks/{task_id}/complete": {"task_id": "T_done"},
    "POST /expenses/{expense_id}/approve": {"expense_id": "E_approve"},
    "POST /expenses/{expense_id}/reject": {"expense_id": "E_reject"},
    "POST /tickets/{ticket_id}/survey": {"ticket_id": "TK_resolved"},
    "GET /tickets/{ticket_id}/survey": {"ticket_id": "TK_surveyed"},
    "POST /portal/tickets/{ticket_id}/reopen": {"ticket_id": "TK_reopen"},
    "POST /portal/tickets/{ticket_id}/survey": {"ticket_id": "TK_psurvey"},
    "DELETE /webhooks/endpoints/{endpoint_id}": {"endpoint_id": "W_del"},
    "DELETE /users/{user_id}": {"user_id": "=user-to-remove"},
    "PUT /rules/{key}": {"key": "=customer.assigned"},
}
TODAY = datetime.now(UTC).date()
SOON = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
INTERACTION = {
    "occurred_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
    "place": "Their office",
    "channel": "visit",
    "content": "Presented the service plan.",
    "outcome": "Interested.",
    "next_step": "Send a quote.",
    "next_step_due": str(TODAY + timedelta(days=7)),
}
PIPELINE = {
    "stages": [
        {"key": "qualification", "name": "Qualification", "probability": 10},
        {"key": "needs_analysis", "name": "Needs analysis", "probability": 25},
        {"key": "proposal", "name": "Proposal", "probability": 50},
        {"key": "negotiation", "name": "Negotiation", "probability": 75},
        {"key": "won", "name": "Won", "outcome": "won", "probability": 100},
        {"key": "lost", "name": "Lost", "outcome": "lost", "probability": 0},
    ]
}
WEEK = [{"open": "09:00", "close": "18:00"}] * 5 + [None, None]
Body = dict[str, Any] | Callable[["World"], dict[str, Any]] | None


def lines(w: World, quantity: str = "1", price: str | None = None) -> list[dict[str, Any]]:
    line: dict[str, Any] = {"product_id": w["PR"], "quantity": quantity}
    if price is not None:
        line["unit_price"] = price
    return [line]


BODIES: dict[str, Body] = {
    "POST /customers": {"name": "New one", "branch_id": "north"},
    "POST /customers/merge": lambda w: {
        "survivor_id": w["C_merge_a"],
        "duplicate_id": w["C_merge_b"],
    },
    "PATCH /customers/{customer_id}": {"industry": "logistics"},
    "POST /customers/{customer_id}/lifecycle": {"stage": "prospect"},
    "POST /customers/{customer_id}/assign": {"owner_id": "north-rep2"},
    "POST /customers/{customer_id}/interactions": INTERACTION,
    "PATCH /customers/{customer_id}/interactions/{interaction_id}": {"outcome": "A second demo."},
    "POST /customers/{customer_id}/contacts": {"name": "Li Wei"},
    "PATCH /customers/{customer_id}/contacts/{contact_id}": {"title": "Head of purchasing"},
    "POST /segments": {"name": "Leads", "kind": "filter", "filter": {"lifecycle_stage": "lead"}},
    "PATCH /segments/{segment_id}": {"name": "Renamed"},
    "PUT /settings/policy": {
        "required_fields": ["name"],
        "pool_return_days": 30,
        "pool_warning_days": 3,
    },
    "PUT /settings/custom-fields/{key}": {"key": "region", "label": "Region", "type": "text"},
    "PUT /configuration": PIPELINE,
    "POST /products": lambda w: {
        "sku": f"SKU-{uuid.uuid4().hex[:8]}",
        "name": "Forklift",
        "list_price": "100.00",
        "unit_cost": "60.00",
        "currency": "EUR",
    },
    "PATCH /products/{product_id}": {"name": "Forklift XL"},
    "POST /opportunities": lambda w: {
        "customer_id": w["C"],
        "name": "Fleet",
        "amount": "1000.00",
        "currency": "EUR",
        "expected_close_date": str(TODAY + timedelta(days=90)),
    },
    "PATCH /opportunities/{opportunity_id}": {"name": "Fleet renewal"},
    "POST /opportunities/{opportunity_id}/stage": {"stage": "proposal"},
    "POST /opportunities/{opportunity_id}/lose": {"reason": "price"},
    "POST /opportunities/{opportunity_id}/reopen": {},
    "POST /opportunities/{opportunity_id}/assign": {"assignee_id": "north-rep2"},
    "POST /quotes": lambda w: {"customer_id": w["C"], "currency": "EUR", "lines": lines(w)},
    "PUT /quotes/{quote_id}": lambda w: {"lines": lines(w, "2")},
    "POST /quotes/{quote_id}/accept": {"create_order": False},
    "POST /quotes/{quote_id}/reject": {"reason": "too expensive"},
    "POST /orders": lambda w: {"customer_id": w["C"], "currency": "EUR", "lines": lines(w)},
    "POST /orders/{order_id}/cancel": {"reason": "changed their mind"},
    "POST /contracts": lambda w: {
        "customer_id": w["C"],
        "name": "Service plan",
        "start_date": str(TODAY),
        "end_date": str(TODAY + timedelta(days=365)),
    },
    "POST /contracts/{contract_id}/renew": {},
    "POST /tasks": lambda w: {
        "customer_id": w["C"],
        "subject": "Call back",
        "method": "call",
        "start_at": SOON.isoformat(),
        "duration_minutes": 30,
    },
    "POST /tasks/{task_id}/reschedule": {"start_at": (SOON + timedelta(days=1)).isoformat()},
    "POST /tasks/{task_id}/assign": {"assignee_id": "north-rep2"},
    "POST /tasks/{task_id}/complete": {},
    "POST /expenses": lambda w: {
        "customer_id": w["C"],
        "contact_id": w["K"],
        "amount": "25.00",
        "currency": "EUR",
        "category": "meals",
        "incurred_on": str(TODAY),
    },
    "POST /expenses/{expense_id}/reject": {"reason": "no receipt"},
    "POST /campaigns": lambda w: {
        "name": "Spring",
        "segment_id": w["S"],
        "channel": "email",
        "budget": "1000",
        "currency": "EUR",
        "start_date": str(TODAY),
        "end_date": str(TODAY + timedelta(days=30)),
    },
    "PATCH /campaigns/{campaign_id}": {"name": "Spring 2"},
    "POST /campaigns/{campaign_id}/responses": lambda w: {
        "contact_id": w["K"],
        "response": "opened",
    },
    "POST /tickets": lambda w: {
        "customer_id": w["C"],
        "subject": "Does not lift",
        "description": "Hydraulics lose pressure.",
        "channel": "phone",
    },
    "PATCH /tickets/{ticket_id}": {"priority": "high"},
    "POST /tickets/{ticket_id}/status": {"status": "open"},
    "POST /tickets/{ticket_id}/comments": {"body": "Looking into it."},
    "POST /tickets/{ticket_id}/survey": {"score": 4},
    "POST /portal/tickets": {"subject": "Help", "description": "It stopped."},
    "POST /portal/tickets/{ticket_id}/comments": {"body": "Any news?"},
    "POST /portal/tickets/{ticket_id}/reopen": {"reason": "still broken"},
    "POST /portal/tickets/{ticket_id}/survey": {"score": 5},
    "POST /assets": lambda w: {
        "customer_id": w["C"],
        "product": "Forklift",
        "serial": f"SN-{uuid.uuid4().hex[:8]}",
    },
    "PATCH /assets/{asset_id}": {"product": "Forklift XL"},
    "POST /announcements": {"title": "Holidays", "body": "Closed on Monday."},
    "PATCH /announcements/{announcement_id}": {"title": "Holidays (updated)"},
    "PUT /sla/policy": {
        "targets": {
            p: {"first_response_minutes": 60, "resolution_minutes": 480}
            for p in ("low", "normal", "high", "urgent")
        }
    },
    "PUT /sla/business-hours/{branch_id}": {"timezone": "UTC", "week": WEEK},
    "POST /inbox/read": {},
    "PUT /users/{user_id}": {
        "name": "Wang Fang",
        "email": "north-rep@demo.crm.local",
        "branch_id": "north",
        "roles": ["sales_rep"],
        "active": True,
    },
    "PUT /rules/{key}": {"enabled": True, "channels": ["inbox"]},
    "PUT /settings": {"mail_from": "Acme CRM <crm@acme.example>"},
    "POST /webhooks/endpoints": {"url": "https://93.184.216.34/hook", "event_types": ["crm.*"]},
    "PATCH /webhooks/endpoints/{endpoint_id}": {"description": "ERP"},
    "POST /webhooks/endpoints/{endpoint_id}/replay": {"since": "2026-01-01T00:00:00Z"},
    "POST /campaigns/{campaign_id}/mailings": {"subject": "Hi", "text": "Hello {{ contact.name }}"},
    "PUT /settings/forecast": {"min_stage": "proposal"},
}
CSV = b"name,branch_id\nImported Ltd,north\n"
# Required query parameters: plain values, or a world object.
QUERY: dict[str, dict[str, str]] = {
    "GET /contracts/active-customers": {"on": str(TODAY)},
    "GET /calendar": {"from": str(TODAY), "to": str(TODAY + timedelta(days=7))},
    "GET /reports/forecast-accuracy": {"snapshot": "SN"},
}
# A 422 naming one of these fields is a refusal to reach an object outside the caller's
# scope ("unknown customer"), the same answer as for one that does not exist.
REFERENCES = {"customer_id", "contact_id", "segment_id", "survivor_id", "duplicate_id"}

# -- the world one caller meets ---------------------------------------------------------------


@dataclass
class World:
    caller: str
    tenant: str
    ids: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, key: str) -> str:
        return self.ids[key]

    def private(self) -> set[str]:
        """Everything of north-rep's customers: no one outside their scope sees these."""
        tied = ("C", "K", "I", "O", "Q", "OR", "CT", "T", "E", "TK", "A", "CM")
        return {v for k, v in self.ids.items() if k.split("_")[0] in tied and k not in ("C_south",)}

    def everything(self) -> set[str]:
        return set(self.ids.values())


class Builder:
    """Creates a world through the APIs, as its admin (objects owned by north-rep)."""

    def __init__(self, stack: Any, world: World) -> None:
        self.stack = stack
        self.world = world

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        body: Any = None,
        *,
        user: str = ADMIN,
        retry_s: float = 0,
        **claims: Any,
    ) -> Any:
        headers = self.stack.headers(user, tenant=self.world.tenant, **claims)
        headers["If-Match"] = "*"
        deadline = asyncio.get_running_loop().time() + retry_s
        while True:
            response = await self.stack.client(service).request(
                method, path, json=body, headers=headers
            )
            if response.status_code < 300:
                return response.json() if response.content else None
            # The other services learn of customers, contacts and segments from events.
            late = response.status_code in (404, 422)
            if late and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.1)
                continue
            raise AssertionError(f"{method} {path}: {response.status_code} {response.text}")

    async def customer(self, key: str, branch: str = "north", owner: Any = REP) -> str:
        made = await self.call(
            "customers",
            "POST",
            "/customers",
            {"name": f"{key} Ltd", "branch_id": branch, "owner_id": owner, "email": "a@b.cn"},
        )
        self.world.ids[key] = made["id"]
        return str(made["id"])

    async def build(self) -> World:
        w, call = self.world, self.call
        for key in ("C", "C_assign", "C_release", "C_delete", "C_merge_a", "C_merge_b"):
            await self.customer(key)
        await self.customer("C_south", "south", SOUTH)
        await self.customer("P", owner=None)
        await self.customer("C_x", owner=None)
        c = w["C"]
        for key in ("K", "K_del"):
            made = await call("customers", "POST", f"/customers/{c}/contacts", {"name": key})
            w.ids[key] = made["id"]
        for key in ("I", "I_close", "I_del"):
            made = await call("customers", "POST", f"/customers/{c}/interactions", INTERACTION)
            w.ids[key] = made["id"]
        for key in ("S", "S_del"):
            made = await call(
                "customers", "POST", "/segments", {"name": key, "kind": "static", "members": [c]}
            )
            w.ids[key] = made["id"]
        job = await self.stack.client("customers").post(
            "/imports/customers",
            content=CSV,
            headers=self.stack.headers(ADMIN, tenant=w.tenant) | {"content-type": "text/csv"},
        )
        assert job.status_code == 200, job.text
        # A background import (over 2,000 rows) of this company, finished: its row as the
        # import job leaves it (small imports answer at once, with no job to look up).
        w.ids["J"] = str(uuid.uuid4())
        conn = await asyncpg.connect(self.stack["customers"].database_url.replace("+asyncpg", ""))
        try:
            await conn.execute(
                "INSERT INTO import_jobs (id, tenant_id, created_by, status, total_rows,"
                " processed_rows, imported, failed, errors, finished_at)"
                " VALUES ($1, $2, 'admin', 'done', 2001, 2001, 2001, 0, '{}', now())",
                uuid.UUID(w["J"]),
                w.tenant,
            )
        finally:
            await conn.close()
        await call(
            "customers",
            "PUT",
            "/settings/custom-fields/region",
            BODIES["PUT /settings/custom-fields/{key}"],
        )
        # An inbox item for north-rep: a customer assigned to them.
        await call("customers", "POST", f"/customers/{w['C_x']}/assign", {"owner_id": REP})

        # sales
        made = await call("sales", "POST", "/products", BODIES["POST /products"](w))  # type: ignore[operator]
        w.ids["PR"] = made["id"]
        opportunity = BODIES["POST /opportunities"](w)  # type: ignore[operator]
        for key in ("O", "O_win", "O_lose", "O_assign", "O_reopen"):
            made = await call("sales", "POST", "/opportunities", opportunity, retry_s=20)
            w.ids[key] = made["id"]
        await call("sales", "POST", f"/opportunities/{w['O_reopen']}/win")
        quote = BODIES["POST /quotes"](w)  # type: ignore[operator]
        for key in ("Q", "Q_send", "Q_accept", "Q_reject"):
            w.ids[key] = (await call("sales", "POST", "/quotes", quote, user=REP))["id"]
        for key in ("Q_accept", "Q_reject"):
            await call("sales", "POST", f"/quotes/{w[key]}/send", user=REP)
        below_cost = {"customer_id": c, "currency": "EUR", "lines": lines(w, "1", "10.00")}
        w.ids["Q_loss"] = (await call("sales", "POST", "/quotes", below_cost, user=REP))["id"]
        order = BODIES["POST /orders"](w)  # type: ignore[operator]
        for key in ("OR", "OR_cancel"):
            w.ids[key] = (await call("sales", "POST", "/orders", order, user=REP))["id"]
        w.ids["OR_loss"] = (await call("sales", "POST", "/orders", below_cost, user=REP))["id"]
        contract = BODIES["POST /contracts"](w)  # type: ignore[operator]
        w.ids["CT"] = (await call("sales", "POST", "/contracts", contract, user=REP))["id"]
        task = BODIES["POST /tasks"](w)  # type: ignore[operator]
        for key in ("T", "T_assign", "T_done"):
            w.ids[key] = (await call("sales", "POST", "/tasks", task, user=REP))["id"]
        expense = BODIES["POST /expenses"](w)  # type: ignore[operator]
        for key in ("E", "E_approve", "E_reject"):
            made = await call("sales", "POST", "/expenses", expense, user=REP, retry_s=20)
            w.ids[key] = made["id"]
        campaign = BODIES["POST /campaigns"](w)  # type: ignore[operator]
        w.ids["CA"] = (await call("sales", "POST", "/campaigns", campaign, retry_s=20))["id"]

        # service desk
        ticket = BODIES["POST /tickets"](w)  # type: ignore[operator]
        for key in ("TK", "TK_resolved", "TK_surveyed", "TK_reopen", "TK_psurvey"):
            w.ids[key] = (await call("service-desk", "POST", "/tickets", ticket, retry_s=20))["id"]
        for key in ("TK_resolved", "TK_surveyed", "TK_reopen", "TK_psurvey"):
            await call("service-desk", "POST", f"/tickets/{w[key]}/status", {"status": "resolved"})
        await call("service-desk", "POST", f"/tickets/{w['TK_surveyed']}/survey", {"score": 3})
        made = await call("service-desk", "POST", f"/tickets/{w['TK']}/comments", {"body": "Hi"})
        w.ids["CM"] = made["id"]
        asset = BODIES["POST /assets"](w)  # type: ignore[operator]
        w.ids["A"] = (await call("service-desk", "POST", "/assets", asset))["id"]
        news = {"title": "Open day", "body": "Visit us.", "publish_at": SOON.isoformat()}
        news["publish_at"] = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
        w.ids["AN"] = (await call("service-desk", "POST", "/announcements", news))["id"]

        # notifications
        hook = BODIES["POST /webhooks/endpoints"]
        for key in ("W", "W_del"):
            w.ids[key] = (await call("notifications", "POST", "/webhooks/endpoints", hook))["id"]
        for user in ("north-rep", "user-to-remove"):
            await call("notifications", "PUT", f"/users/{user}", BODIES["PUT /users/{user_id}"])
        mailing = BODIES["POST /campaigns/{campaign_id}/mailings"]
        w.ids["M"] = (
            await call(
                "notifications", "POST", f"/campaigns/{w['CA']}/mailings", mailing, retry_s=20
            )
        )["id"]

        # reporting
        w.ids["SN"] = (await call("reporting", "POST", "/snapshots"))["snapshot_id"]

        # What the consumers make of it: a delivery for the webhook, an inbox item.
        deadline = asyncio.get_running_loop().time() + 20
        while "D" not in w.ids or "X" not in w.ids:
            assert asyncio.get_running_loop().time() < deadline, f"no delivery/inbox: {w.ids}"
            page = await call("notifications", "GET", f"/webhooks/endpoints/{w['W']}/deliveries")
            if page["items"]:
                w.ids["D"] = page["items"][0]["id"]
            inbox = await call("notifications", "GET", "/inbox", user=REP)
            if inbox["items"]:
                w.ids["X"] = inbox["items"][0]["id"]
            await asyncio.sleep(0.2)
        return w


# -- calling the routes -----------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    service: str
    method: str
    path: str

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def order(self) -> int:
        """Reads first, then writes, deletes last: a caller's calls do not undo each other."""
        return {"GET": 0, "DELETE": 2}.get(self.method, 1)


def routes(stack: Any) -> list[Route]:
    found = [
        Route(name, method.upper(), path)
        for name, service in stack.services.items()
        for path, operations in service.app.openapi()["paths"].items()
        for method in operations
    ]
    return sorted(found, key=lambda r: r.order)


def token_of(stack: Any, caller: str, world: World, stranger_tenant: str) -> str:
    infra = stack.infra
    if caller == STRANGER:
        return str(infra.token(ADMIN, tenant=stranger_tenant))
    if caller in (PORTAL, PORTAL2):
        customer = world["C"] if caller == PORTAL else world["C_south"]
        return str(
            infra.token(
                f"contact-{caller}", tenant=world.tenant, roles=["portal"], customer=customer
            )
        )
    return str(infra.token(caller, tenant=world.tenant))


@dataclass
class Cell:
    route: str
    caller: str
    status: int
    outcome: str  # allow | deny | invalid | error
    leaked: list[str] = field(default_factory=list)


def classify(route: Route, status: int, body: bytes) -> str:
    if 200 <= status < 300 or status == 409:
        return "allow"
    if status in (403, 404):
        return "deny"
    if status == 422:
        try:
            fields = {e.get("field", "").split(".")[-1] for e in json.loads(body)["errors"]}
        except (ValueError, KeyError, TypeError, AttributeError):
            fields = set()
        return "deny" if fields & REFERENCES else "invalid"
    return "error"


async def call_route(stack: Any, route: Route, world: World, token: str) -> tuple[int, bytes]:
    params = {**PARAMS, **OBJECT_OF.get(route.key, {})}
    path = route.path
    for name in [p[1:-1] for p in route.path.split("/") if p.startswith("{")]:
        ref = params[name]
        path = path.replace(f"{{{name}}}", ref[1:] if ref.startswith("=") else world[ref])
    headers = {"Authorization": f"Bearer {token}", "If-Match": "*"}
    query = {k: world.ids.get(v, v) for k, v in QUERY.get(route.key, {}).items()}
    client = stack.client(route.service)
    if route.key == "GET /feed/stream":  # Server-Sent Events: the status, then hang up
        url = stack[route.service].url
        async with (
            httpx.AsyncClient(base_url=url, timeout=10) as http,
            http.stream("GET", path, headers=headers) as response,
        ):
            return response.status_code, b""
    if route.key == "POST /imports/customers":
        response = await client.post(
            path, content=CSV, headers=headers | {"content-type": "text/csv"}
        )
        return response.status_code, response.content
    body = BODIES.get(route.key)
    if callable(body):
        body = body(world)
    if body is None and route.method in ("POST", "PUT", "PATCH"):
        response = await client.request(route.method, path, params=query, headers=headers)
    else:
        response = await client.request(
            route.method, path, params=query, json=body, headers=headers
        )
    return response.status_code, response.content


# -- "changes nothing": every row of the tenant, everywhere -----------------------------------


async def tenant_state(stack: Any, tenant: str) -> dict[str, str]:
    """A digest of every row with this tenant in each service's database, per table."""
    digests = {}
    for name, service in stack.services.items():
        conn = await asyncpg.connect(service.database_url.replace("+asyncpg", ""))
        try:
            tables = await conn.fetch(
                "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public'"
                " AND column_name = 'tenant_id' ORDER BY table_name"
            )
            for table in (r["table_name"] for r in tables):
                # The relay's bookkeeping (published_at, attempts) is not a change of state;
                # the events themselves are: a denied call must write none.
                row = "(event_id, envelope)::text" if table == "outbox" else "t::text"
                rows = await conn.fetch(
                    f'SELECT {row} AS row FROM "{table}" t WHERE tenant_id = $1', tenant
                )
                digest = hashlib.sha256("\n".join(sorted(r["row"] for r in rows)).encode())
                digests[f"{name}.{table}"] = digest.hexdigest()
        finally:
            await conn.close()
    return digests


async def quiet_state(stack: Any, tenant: str, timeout_s: float = 20) -> dict[str, str]:
    """The tenant's state once events stopped changing it (two equal looks in a row)."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    last = await tenant_state(stack, tenant)
    while True:
        await asyncio.sleep(0.5)
        now = await tenant_state(stack, tenant)
        if now == last or asyncio.get_running_loop().time() > deadline:
            return now
        last = now


def leaks(caller: str, world: World, body: bytes) -> list[str]:
    if caller in (REP2, SOUTH, PORTAL2):
        hidden = world.private()
    elif caller == STRANGER:
        hidden = world.everything()
    else:
        return []
    text = body.decode(errors="replace")
    return sorted(k for k, v in world.ids.items() if v in hidden and v in text)


async def run_caller(
    stack: Any, caller: str, world: World, table: list[Route]
) -> tuple[list[Cell], list[str]]:
    """Every route as `caller`: first those it may not call (then the tenant must be as it
    was), then the others. Returns the cells and the tables a denied call changed."""
    stranger_tenant = f"t-other-{uuid.uuid4().hex[:8]}"
    token = token_of(stack, caller, world, stranger_tenant)

    def allowed(route: Route) -> bool:
        rule = EXPECTED.get(route.key)
        return rule == PUBLIC or (isinstance(rule, frozenset) and caller in rule)

    cells: list[Cell] = []
    before = await quiet_state(stack, world.tenant)
    for phase in (False, True):
        for route in (r for r in table if allowed(r) is phase):
            status, body = await call_route(stack, route, world, token)
            cell = Cell(route.key, caller, status, classify(route, status, body))
            if 200 <= status < 300:
                cell.leaked = leaks(caller, world, body)
            cells.append(cell)
        if not phase:
            await asyncio.sleep(0.3)  # what a denied call set off would show now
            after = await tenant_state(stack, world.tenant)
            changed = sorted(t for t in before if before[t] != after.get(t))
    return cells, changed


# -- the tests --------------------------------------------------------------------------------


@dataclass
class Matrix:
    routes: list[Route]
    cells: list[Cell]
    changed: dict[str, list[str]]  # caller -> tables its denied calls changed
    seconds: float


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def matrix(stack: Any, operator_tenant: str) -> Matrix:
    began = asyncio.get_running_loop().time()
    table = routes(stack)
    worlds = [World(caller, f"t-matrix-{uuid.uuid4().hex[:8]}") for caller in CALLERS]
    await asyncio.gather(*(Builder(stack, w).build() for w in worlds))
    # One rebuild of reporting to look at, started by the platform operator.
    rebuild = await stack.client("reporting").post(
        "/rebuilds", headers=stack.headers(ADMIN, tenant=operator_tenant)
    )
    assert rebuild.status_code == 202, rebuild.text
    for w in worlds:
        w.ids["RB"] = rebuild.json()["rebuild_id"]
    cells: list[Cell] = []
    changed: dict[str, list[str]] = {}
    # The callers are independent (a tenant each): all at once.
    results = await asyncio.gather(*(run_caller(stack, w.caller, w, table) for w in worlds))
    for world, (found, tables) in zip(worlds, results, strict=True):
        cells += found
        if tables:
            changed[world.caller] = tables
    return Matrix(table, cells, changed, asyncio.get_running_loop().time() - began)


def expected_outcome(route: str, caller: str) -> str:
    rule = EXPECTED[route]
    if rule == PUBLIC:
        return "public"
    return "allow" if caller in rule else "deny"


@pytest.mark.timeout(600)
async def test_every_route_has_a_stated_rule(matrix: Matrix) -> None:
    unknown = sorted({r.key for r in matrix.routes} - set(EXPECTED))
    assert unknown == [], "state who may call these routes in EXPECTED"
    gone = sorted(set(EXPECTED) - {r.key for r in matrix.routes})
    assert gone == [], "these routes are gone: remove them from EXPECTED"


async def test_every_caller_gets_what_the_table_says_on_every_route(
    matrix: Matrix, terminal: Any
) -> None:
    wrong, errors, leaked = [], [], []
    for cell in matrix.cells:
        if cell.route not in EXPECTED:
            continue
        if cell.outcome in ("error", "invalid"):
            errors.append(f"{cell.route} as {cell.caller}: {cell.status}")
        elif expected_outcome(cell.route, cell.caller) not in ("public", cell.outcome):
            wrong.append(
                f"{cell.route} as {cell.caller}: {cell.status}, expected "
                f"{expected_outcome(cell.route, cell.caller)}"
            )
        if cell.leaked:
            leaked.append(f"{cell.route} as {cell.caller} shows {cell.leaked}")
    public = {}
    for cell in matrix.cells:
        if EXPECTED.get(cell.route) == PUBLIC:
            public.setdefault(cell.route, set()).add(cell.status)
    uneven = {route: codes for route, codes in public.items() if len(codes) > 1}
    terminal(
        f"\n   access matrix: {len(matrix.routes)} routes x {len(CALLERS)} callers = "
        f"{len(matrix.cells)} calls in {matrix.seconds:.0f} s; "
        f"{sum(c.outcome == 'allow' for c in matrix.cells)} allowed, "
        f"{sum(c.outcome == 'deny' for c in matrix.cells)} denied"
    )
    assert not errors, "\n".join(["calls that failed:", *errors])
    assert not wrong, "\n".join(["calls against the table:", *wrong])
    assert not leaked, "\n".join(["answers showing what the caller may not see:", *leaked])
    assert uneven == {}


async def test_denied_calls_change_nothing(matrix: Matrix) -> None:
    assert matrix.changed == {}
