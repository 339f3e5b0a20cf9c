"""Send a plan through the services' public APIs, so every event flows and every report fills.

Nothing is created twice. Before each kind of record the loader lists what the tenant already
has and matches it by a natural key (customer name, product SKU, opportunity name per
customer, ...); state changes (stage moves, wins, closing an interaction, resolving a ticket)
are made only when the record is not in the planned state yet. On top, every POST carries an
`Idempotency-Key` derived from (seed, size, kind, index), so a request retried after a lost
answer is answered from the service's memory instead of being applied again.

The work runs as chains per record (create, then move, then close), many at once: customers,
sales and the service desk are loaded side by side, bounded per service by the client.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from crm_local.seed import catalog
from crm_local.seed.client import Api, SeedError
from crm_local.seed.plan import (
    TIMEZONE,
    CustomerPlan,
    OpportunityPlan,
    Plan,
    TicketPlan,
)
from crm_local.seed.settle import Watch

CUSTOMER_CREATED = "crm.customers.customer.created.v1"
CONTACT_CHANGED = "crm.customers.contact.changed.v1"
OPPORTUNITY_CREATED = "crm.sales.opportunity.created.v1"
STAGE_CHANGED = "crm.sales.opportunity.stage_changed.v1"
WON = "crm.sales.opportunity.won.v1"
LOST = "crm.sales.opportunity.lost.v1"
REPORTING = "reporting"
FACT_KEEPERS = ("sales", "service-desk")  # services that keep customer and contact facts
IMPORT_CHUNK = 2000  # rows the customers service imports while the request waits
CUSTOMER_COLUMNS = (
    "name",
    "category",
    "industry",
    "phone",
    "fax",
    "email",
    "contact_name",
    "postal_code",
    "address",
    "website",
    "tags",
    "lifecycle_stage",
    "branch_id",
    "owner_id",
    "cf.source",
)
SOURCE_FIELD = {
    "key": "source",
    "label": "Lead source",
    "type": "choice",
    "choices": ["referral", "trade fair", "website", "cold call", "partner"],
    "required": False,
}
# The demo company's service promises: an urgent ticket is answered within 5 minutes.
SLA_POLICY = {
    "targets": {
        "urgent": {"first_response_minutes": 5, "resolution_minutes": 240},
        "high": {"first_response_minutes": 60, "resolution_minutes": 480},
        "normal": {"first_response_minutes": 240, "resolution_minutes": 1440},
        "low": {"first_response_minutes": 480, "resolution_minutes": 2880},
    },
    "warning_minutes": 2,
    "reopen_days": 7,
}
# The north branch runs the 24-hour hotline; the south works Monday to Saturday.
HOURS = {
    "north": {"timezone": TIMEZONE, "week": [{"open": "00:00", "close": "24:00"}] * 7},
    "south": {
        "timezone": TIMEZONE,
        "week": [{"open": "08:00", "close": "20:00"}] * 6 + [None],
    },
}
STATUS_ORDER = ("new", "open", "pending", "resolved", "closed")
STATUS_PATH = {
    "new": [],
    "open": ["open"],
    "pending": ["pending"],
    "resolved": ["resolved"],
    "closed": ["resolved", "closed"],
}


@dataclass
class Outcome:
    created: Counter[str] = field(default_factory=Counter)
    existing: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0


Tick = Callable[[str, int], None]


class Existing:
    """Records an earlier run made, matched by what the plan says about them (never by dates:
    the plan's dates move with the day it runs). Each record matches one planned record."""

    def __init__(self) -> None:
        self._by_key: dict[tuple[Any, ...], list[dict[str, Any]]] = {}

    def add(self, key: tuple[Any, ...], record: dict[str, Any]) -> None:
        self._by_key.setdefault(key, []).append(record)

    def take(self, key: tuple[Any, ...]) -> dict[str, Any] | None:
        found = self._by_key.get(key)
        return found.pop(0) if found else None


def _iso(value: date | datetime) -> str:
    return value.isoformat()


def _money(value: Decimal) -> str:
    return str(value)


class Seeder:
    def __init__(
        self, plan: Plan, api: Api, watch: Watch | None = None, tick: Tick | None = None
    ) -> None:
        self.plan = plan
        self.api = api
        self.watch = watch
        self._tick = tick or (lambda kind, n: None)
        self.outcome = Outcome()
        self.customers: dict[int, dict[str, Any]] = {}  # plan index -> CustomerRead
        self.contacts: dict[tuple[int, int], str] = {}  # (customer, contact) -> id
        self.products: dict[str, str] = {}
        self.segments: dict[str, str] = {}
        self.campaign: str | None = None
        self.opportunities: dict[int, asyncio.Future[str]] = {}
        self.assets: dict[int, str] = {}
        self.marks: list[tuple[float, str]] = []  # when each phase ended
        self.contacts_ready = asyncio.Event()
        self.segments_ready = asyncio.Event()

    # -- bookkeeping ------------------------------------------------------------------------------

    def _made(self, kind: str, n: int = 1) -> None:
        self.outcome.created[kind] += n
        self._tick(kind, n)

    def _had(self, kind: str, n: int = 1) -> None:
        self.outcome.existing[kind] += n
        self._tick(kind, n)

    def mark(self, what: str) -> None:
        self.marks.append((time.monotonic(), what))

    def key(self, kind: str, *parts: object) -> str:
        return ":".join([kind, *(str(p) for p in parts)])

    def customer_id(self, index: int) -> str:
        return str(self.customers[index]["id"])

    async def _all(self, chains: Iterable[Awaitable[Any]]) -> None:
        await asyncio.gather(*chains)

    # -- the whole run ----------------------------------------------------------------------------

    async def run(self) -> Outcome:
        began = time.monotonic()
        self.mark("start")
        await self.setup()
        self.mark("settings, users, products")
        await self.load_customers()
        self.mark("customers imported and known to sales and the service desk")
        for index in range(len(self.plan.opportunities)):
            self.opportunities[index] = asyncio.get_running_loop().create_future()
        await asyncio.gather(self.customer_work(), self.sales_work(), self.desk_work())
        self.outcome.seconds = time.monotonic() - began
        return self.outcome

    # -- settings, users, catalogue ---------------------------------------------------------------

    async def setup(self) -> None:
        await asyncio.gather(
            self._directory(),
            self._custom_field(),
            self._sales_configuration(),
            self._service_desk_settings(),
            self._products(),
            self._announcements(),
        )

    async def _directory(self) -> None:
        """Names and e-mail addresses of the company's users, for reminders and mail."""
        known = {u["user_id"] for u in await self.api.get("notifications", "/users", user="admin")}
        for user in self.plan.users:
            if user.id in known:
                self._had("users")
                continue
            body = {
                "email": user.email,
                "name": user.name,
                "branch_id": user.branch,
                "roles": list(user.roles),
                "active": True,
            }
            await self.api.put("notifications", f"/users/{user.id}", user="admin", body=body)
            self._made("users")

    async def _custom_field(self) -> None:
        fields = await self.api.get("customers", "/settings/custom-fields", user="admin")
        current = next((f for f in fields if f["key"] == "source"), None)
        if current is not None and current["choices"] == SOURCE_FIELD["choices"]:
            return
        await self.api.put(
            "customers", "/settings/custom-fields/source", user="admin", body=SOURCE_FIELD
        )

    async def _sales_configuration(self) -> None:
        config = await self.api.get("sales", "/configuration", user="admin")
        if config["timezone"] == TIMEZONE and config["expiring_days_ahead"] == 30:
            return
        stages = [
            {k: s[k] for k in ("key", "name", "probability", "outcome")} for s in config["stages"]
        ]
        body = {"stages": stages, "timezone": TIMEZONE, "expiring_days_ahead": 30}
        await self.api.put(
            "sales", "/configuration", user="admin", body=body, version=config["version"]
        )

    async def _service_desk_settings(self) -> None:
        policy = await self.api.get("service-desk", "/sla/policy", user="admin")
        if {k: policy.get(k) for k in SLA_POLICY} != SLA_POLICY:
            await self.api.put(
                "service-desk",
                "/sla/policy",
                user="admin",
                body=SLA_POLICY,
                version=policy["version"],
            )
        for branch, hours in HOURS.items():
            path = f"/sla/business-hours/{branch}"
            current = await self.api.get("service-desk", path, user="admin")
            if {"timezone": current["timezone"], "week": current["week"]} != hours:
                await self.api.put(
                    "service-desk", path, user="admin", body=hours, version=current["version"]
                )

    async def _products(self) -> None:
        have = {p["sku"]: p["id"] for p in await self.api.pages("sales", "/products", user="admin")}

        async def add(index: int, product: catalog.Product) -> None:
            if product.sku in have:
                self.products[product.sku] = have[product.sku]
                self._had("products")
                return
            body = {
                "sku": product.sku,
                "name": product.name,
                "list_price": _money(product.list_price),
                "unit_cost": _money(product.unit_cost),
                "currency": catalog.CURRENCY,
            }
            made = await self.api.post(
                "sales", "/products", user="admin", key=self.key("product", index), body=body
            )
            self.products[product.sku] = made["id"]
            self._made("products")

        await self._all(add(i, p) for i, p in enumerate(catalog.PRODUCTS))

    async def _announcements(self) -> None:
        have = {
            a["title"]
            for a in await self.api.pages(
                "service-desk", "/announcements", user="admin", params={"drafts": "true"}
            )
        }
        for index, item in enumerate(self.plan.announcements):
            if item.title in have:
                self._had("announcements")
                continue
            body = {
                "title": item.title,
                "body": item.body,
                "publish_at": _iso(item.publish_at) if item.publish_at else None,
                "expires_at": _iso(item.expires_at) if item.expires_at else None,
            }
            await self.api.post(
                "service-desk",
                "/announcements",
                user="admin",
                key=self.key("announcement", index),
                body=body,
            )
            self._made("announcements")

    # -- customers --------------------------------------------------------------------------------

    async def _customer_index(self) -> dict[str, dict[str, Any]]:
        rows = await self.api.pages("customers", "/customers", user="admin")
        return {row["name"]: row for row in rows}

    async def load_customers(self) -> None:
        """The customer base arrives as the company's CSV import (one request per 2,000 rows:
        the import writes the same rows and `customer.created` events as single creates)."""
        have = await self._customer_index()
        missing = [c for c in self.plan.customers if c.company.name not in have]
        self._had("customers", len(self.plan.customers) - len(missing))
        before = await self._applied(CUSTOMER_CREATED)
        for start in range(0, len(missing), IMPORT_CHUNK):
            chunk = missing[start : start + IMPORT_CHUNK]
            content = _csv(chunk)
            digest = hashlib.sha256(content).hexdigest()[:16]
            response = await self.api.upload(
                "customers",
                "/imports/customers",
                user="admin",
                key=self.key("customers-import", digest),
                content=content,
                media_type="text/csv",
            )
            report = response.json()
            if response.status_code == 202:
                report = await self._follow_import(response.headers["location"])
            if report.get("failed"):
                raise SeedError(f"the customers import refused rows: {report.get('errors')}")
            self._made("customers", len(chunk))
        if missing:
            have = await self._customer_index()
        for customer in self.plan.customers:
            self.customers[customer.index] = have[customer.company.name]
        await self._until_applied(CUSTOMER_CREATED, before, len(missing))

    async def _applied(self, event_type: str) -> dict[str, float]:
        if self.watch is None:
            return {}
        return await self.watch.applied(event_type, FACT_KEEPERS)

    async def _applied_in(
        self, service: str, event_types: tuple[str, ...]
    ) -> dict[str, dict[str, float]]:
        if self.watch is None:
            return {}
        return {t: await self.watch.applied(t, (service,)) for t in event_types}

    async def _until_applied_in(
        self, service: str, before: dict[str, dict[str, float]], counts: dict[str, int]
    ) -> None:
        if self.watch is not None and before:
            for event_type, count in counts.items():
                await self.watch.until_applied(event_type, before[event_type], count)

    async def _until_applied(self, event_type: str, before: dict[str, float], count: int) -> None:
        """Let the sales service and the service desk learn what was just created, instead of
        having them refuse requests about customers or contacts they have not heard of."""
        if self.watch is not None and before:
            await self.watch.until_applied(event_type, before, count)

    async def _follow_import(self, location: str) -> dict[str, Any]:
        while True:
            job: dict[str, Any] = await self.api.get("customers", location, user="admin")
            if job["status"] in ("done", "failed"):
                return job
            await asyncio.sleep(0.5)

    async def customer_work(self) -> None:
        # Segments first: the campaign (and the sales work after it) waits for them.
        await self._segments()
        existing = await self._existing_contacts()
        before = await self._applied(CONTACT_CHANGED)
        await self._all(self._hands_and_contacts(c, existing) for c in self.plan.customers)
        self.mark("contacts made")
        await self._until_applied(CONTACT_CHANGED, before, self.outcome.created["contacts"])
        self.mark("contacts known to sales and the service desk")
        self.contacts_ready.set()
        await self._all(self._worked(c) for c in self.plan.customers)
        self.mark("interactions, lifecycle, releases")

    async def _existing_contacts(self) -> dict[str, list[dict[str, Any]]]:
        """Contacts made by an earlier run, by customer id (the export says which customers
        have any; their ids come from each customer's contact list)."""
        response = await self.api.request("GET", "customers", "/contacts/export.csv", user="admin")
        text = response.text.lstrip("\ufeff")
        with_contacts = {row["customer_id"] for row in csv.DictReader(io.StringIO(text))}
        wanted = [
            c
            for c in self.plan.customers
            if c.contacts and self.customer_id(c.index) in with_contacts
        ]
        lists = await asyncio.gather(
            *(
                self.api.get(
                    "customers", f"/customers/{self.customer_id(c.index)}/contacts", user="admin"
                )
                for c in wanted
            )
        )
        return {self.customer_id(c.index): found for c, found in zip(wanted, lists, strict=True)}

    async def _hands_and_contacts(
        self, customer: CustomerPlan, existing: dict[str, list[dict[str, Any]]]
    ) -> None:
        """Claims and assignments from the pool (ownership history), then contacts."""
        cid = self.customer_id(customer.index)
        row = self.customers[customer.index]
        if customer.ownership and customer.ownership[0] in ("claim", "assign"):
            kind, rep = customer.ownership
            if row["owner_id"] is None:
                if kind == "claim":
                    row = await self.api.post(
                        "customers", f"/pool/{cid}/claim", user=rep, key=self.key("claim", cid)
                    )
                else:
                    row = await self.api.post(
                        "customers",
                        f"/customers/{cid}/assign",
                        user=self.plan.manager_of(customer.branch),
                        key=self.key("assign", cid),
                        body={"owner_id": rep},
                    )
                self.customers[customer.index] = row
                self._made("ownership")
            else:
                self._had("ownership")
        known = {c["name"]: c["id"] for c in existing.get(cid, [])}
        for n, contact in enumerate(customer.contacts):
            person = contact.person
            if person.name in known:
                self.contacts[(customer.index, n)] = known[person.name]
                self._had("contacts")
                continue
            body = {
                "name": person.name,
                "title": person.title,
                "phone": person.phone,
                "email": person.email,
                "is_primary": contact.primary,
            }
            worker = customer.worker
            assert worker is not None
            made = await self.api.post(
                "customers",
                f"/customers/{cid}/contacts",
                user=worker,
                key=self.key("contact", cid, n),
                body=body,
            )
            self.contacts[(customer.index, n)] = made["id"]
            self._made("contacts")

    async def _worked(self, customer: CustomerPlan) -> None:
        """Interactions (closed when old), the lifecycle step, and releases to the pool."""
        worker = customer.worker
        if worker is None:
            return
        cid = self.customer_id(customer.index)
        row = self.customers[customer.index]
        logged = Existing()
        if customer.interactions and row.get("last_interaction_at"):
            timeline = await self.api.get("customers", f"/customers/{cid}/timeline", user="admin")
            for entry in reversed(timeline):  # oldest first, as the plan lists them
                if found := entry.get("interaction"):
                    logged.add((found["channel"], found["place"], found["content"]), found)
        for n, item in enumerate(customer.interactions):
            found = logged.take((item.channel, item.place, item.content))
            if found is None:
                body = {
                    "occurred_at": _iso(item.occurred_at),
                    "place": item.place,
                    "channel": item.channel,
                    "content": item.content,
                    "outcome": item.outcome,
                    "next_step": item.next_step,
                    "next_step_due": _iso(item.next_step_due),
                    "contact_id": (
                        self.contacts.get((customer.index, item.contact))
                        if item.contact is not None
                        else None
                    ),
                }
                found = await self.api.post(
                    "customers",
                    f"/customers/{cid}/interactions",
                    user=worker,
                    key=self.key("interaction", cid, n),
                    body=body,
                )
                self._made("interactions")
            else:
                self._had("interactions")
            if item.close and found.get("closed_at") is None:
                await self.api.post(
                    "customers",
                    f"/customers/{cid}/interactions/{found['id']}/close",
                    user=worker,
                    key=self.key("interaction-close", cid, n),
                )
        # The customer as this run found it (logging interactions leaves its version alone;
        # if something else changed it since, the change is retried on the version read anew).
        path = f"/customers/{cid}"
        if customer.final_stage != customer.stage:
            if row["lifecycle_stage"] != customer.final_stage:
                row = await self.api.post(
                    "customers",
                    f"{path}/lifecycle",
                    user=worker,
                    key=self.key("lifecycle", cid),
                    body={"stage": customer.final_stage, "reason": customer.reason},
                    version=row["version"],
                    refresh=path,
                )
                self._made("lifecycle")
            else:
                self._had("lifecycle")
        if customer.ownership and customer.ownership[0] == "release":
            if row["owner_id"] == customer.owner:
                await self.api.post(
                    "customers",
                    f"{path}/release",
                    user=worker,
                    key=self.key("release", cid),
                )
                self._made("ownership")
            else:
                self._had("ownership")

    async def _segments(self) -> None:
        have = {
            s["name"]: s["id"]
            for s in await self.api.get("customers", "/segments", user="marketer")
        }
        for segment in self.plan.segments:
            if segment.name in have:
                self.segments[segment.key] = have[segment.name]
                self._had("segments")
                continue
            body: dict[str, Any] = {"name": segment.name, "kind": segment.kind}
            if segment.kind == "filter":
                body["filter"] = segment.filter
            else:
                body["members"] = [self.customer_id(i) for i in segment.members]
            made = await self.api.post(
                "customers",
                "/segments",
                user="marketer",
                key=self.key("segment", segment.key),
                body=body,
            )
            self.segments[segment.key] = made["id"]
            self._made("segments")
        self.segments_ready.set()

    # -- sales ------------------------------------------------------------------------------------

    async def sales_work(self) -> None:
        opportunities, quotes, contracts, tasks, expenses = await asyncio.gather(
            self.api.pages("sales", "/opportunities", user="admin"),
            self.api.pages("sales", "/quotes", user="admin"),
            self.api.pages("sales", "/contracts", user="admin"),
            self.api.pages("sales", "/tasks", user="admin"),
            self.api.pages("sales", "/expenses", user="admin"),
        )
        await self._campaign()
        by_name = {(o["customer_id"], o["name"]): o for o in opportunities}
        quote_of = {q["opportunity_id"]: q for q in quotes if q["opportunity_id"]}
        await asyncio.gather(
            self._pipeline(by_name, quote_of),
            self._contracts(contracts),
            self._tasks(tasks),
            self._expenses(expenses),
            self._responses(),
        )

    async def _campaign(self) -> None:
        plan = self.plan.campaign
        have = {c["name"]: c for c in await self.api.pages("sales", "/campaigns", user="admin")}
        if plan.name in have:
            found = have[plan.name]
            self.campaign = found["id"]
            self._had("campaigns")
            if found["channel"] != plan.channel:  # made by an older version of the seed
                await self.api.patch(
                    "sales",
                    f"/campaigns/{found['id']}",
                    user="marketer",
                    body={"channel": plan.channel},
                    version=found["version"],
                )
            return
        await self.segments_ready.wait()
        body = {
            "name": plan.name,
            "segment_id": self.segments[plan.segment],
            "channel": plan.channel,
            "budget": _money(plan.budget),
            "currency": catalog.CURRENCY,
            "start_date": _iso(plan.start),
            "end_date": _iso(plan.end),
        }
        made = await self.api.post(
            "sales",
            "/campaigns",
            user="marketer",
            key=self.key("campaign", 0),
            body=body,
            lag=True,
        )
        self.campaign = made["id"]
        self._made("campaigns")

    async def _responses(self) -> None:
        plan = self.plan.campaign
        await self.contacts_ready.wait()
        assert self.campaign is not None
        recorded = await self.api.pages(
            "sales", f"/campaigns/{self.campaign}/responses", user="marketer"
        )
        kinds = ("opened", "replied", "interested", "unsubscribed")
        done = {(r["contact_id"], k) for r in recorded for k in kinds if r.get(f"{k}_at")}

        async def respond(n: int, contact: str, kind: str, at: datetime) -> None:
            if (contact, kind) in done:
                self._had("responses")
                return
            await self.api.post(
                "sales",
                f"/campaigns/{self.campaign}/responses",
                user="marketer",
                key=self.key("response", n),
                body={"contact_id": contact, "response": kind, "responded_at": _iso(at)},
                lag=True,
            )
            self._made("responses")

        # One contact's responses in order (opened before replied), contacts side by side.
        chains: dict[str, list[tuple[int, str, datetime]]] = {}
        for n, item in enumerate(plan.responses):
            contact = self.contacts[(item.customer, item.contact)]
            chains.setdefault(contact, []).append((n, item.kind, item.at))

        async def chain(contact: str, steps: list[tuple[int, str, datetime]]) -> None:
            for n, kind, at in steps:
                await respond(n, contact, kind, at)

        await self._all(chain(c, steps) for c, steps in chains.items())
        await self._mailing()

    async def _mailing(self) -> None:
        """The invitation mail to the visitors (to the local mail server under `crm up`)."""
        campaigns = await self.api.get("reporting", "/reports/campaigns", user="marketer")
        mine = [c for c in campaigns["items"] if c["campaign_id"] == self.campaign]
        if mine and mine[0]["mails_queued"]:
            self._had("mailings")
            return
        body = {
            "subject": "Thank you for visiting us at the trade fair",
            "text": "Dear {{ contact.name }},\n\nthank you for visiting our stand. "
            "Our warehouse automation team will be glad to show {{ customer.name }} "
            "the cloud WMS in your own warehouse.\n",
        }
        await self.api.post(
            "notifications",
            f"/campaigns/{self.campaign}/mailings",
            user="marketer",
            key=self.key("mailing", 0),
            body=body,
            lag=True,
        )
        self._made("mailings")

    async def _pipeline(
        self, by_name: dict[tuple[str, str], dict[str, Any]], quote_of: dict[str, dict[str, Any]]
    ) -> None:
        """Every deal opened, moved and quoted; a forecast snapshot of that pipeline; then the
        wins and losses, and a second snapshot the first can be judged against (002)."""
        snapshots = await self.api.get("reporting", "/snapshots", user="ceo")
        snap = not snapshots["items"]
        if snap:
            await self.api.put(
                "reporting", "/settings/forecast", user="admin", body={"min_stage": "proposal"}
            )
        before = await self._applied_in(REPORTING, (OPPORTUNITY_CREATED, STAGE_CHANGED))
        records = await asyncio.gather(
            *(self._opportunity(o, by_name, quote_of) for o in self.plan.opportunities)
        )
        self.mark("opportunities opened, moved, quoted")
        if snap:
            await self._until_applied_in(
                REPORTING,
                before,
                {
                    OPPORTUNITY_CREATED: self.outcome.created["opportunities"],
                    STAGE_CHANGED: self.outcome.created["stage moves"],
                },
            )
            await self._snapshot(0)
            self.mark("first forecast snapshot")
        before = await self._applied_in(REPORTING, (WON, LOST))
        await self._all(
            self._close(o, r) for o, r in zip(self.plan.opportunities, records, strict=True)
        )
        if snap:
            await self._until_applied_in(
                REPORTING,
                before,
                {WON: self.outcome.created["wins"], LOST: self.outcome.created["losses"]},
            )
            await self._snapshot(1)
        self.mark("opportunities closed, second snapshot")

    async def _snapshot(self, n: int) -> None:
        await self.api.post("reporting", "/snapshots", user="ceo", key=self.key("snapshot", n))
        self._made("snapshots")

    async def _opportunity(
        self,
        plan: OpportunityPlan,
        by_name: dict[tuple[str, str], dict[str, Any]],
        quote_of: dict[str, dict[str, Any]],
    ) -> dict[str, Any]:
        """Open it, move it through its stages and quote it."""
        cid = self.customer_id(plan.customer)
        record = by_name.get((cid, plan.name))
        if record is None:
            body = {
                "customer_id": cid,
                "name": plan.name,
                "amount": _money(plan.amount),
                "currency": catalog.CURRENCY,
                "expected_close_date": _iso(plan.close_date),
                "stage": plan.stages[0],
                "campaign_id": self.campaign if plan.campaign else None,
            }
            record = await self.api.post(
                "sales",
                "/opportunities",
                user=plan.owner,
                key=self.key("opportunity", plan.index),
                body=body,
                lag=True,
            )
            self._made("opportunities")
        else:
            self._had("opportunities")
        oid = record["id"]
        self.opportunities[plan.index].set_result(oid)
        if record["status"] == "open":
            at = plan.stages.index(record["stage"]) if record["stage"] in plan.stages else 0
            for n, stage in enumerate(plan.stages[at + 1 :], start=at + 1):
                record = await self.api.post(
                    "sales",
                    f"/opportunities/{oid}/stage",
                    user=plan.owner,
                    key=self.key("stage", plan.index, n),
                    body={"stage": stage},
                    version=record["version"],
                )
                self.outcome.created["stage moves"] += 1
        if plan.quote is not None:
            await self._quote(plan, oid, quote_of.get(oid))
        return record

    async def _close(self, plan: OpportunityPlan, record: dict[str, Any]) -> None:
        """Win or lose it, as the plan says."""
        oid = record["id"]
        if record["status"] == "open" and plan.outcome == "won":
            await self.api.post(
                "sales",
                f"/opportunities/{oid}/win",
                user=plan.owner,
                key=self.key("win", plan.index),
                version=record["version"],
            )
            self.outcome.created["wins"] += 1
        elif record["status"] == "open" and plan.outcome == "lost":
            await self.api.post(
                "sales",
                f"/opportunities/{oid}/lose",
                user=plan.owner,
                key=self.key("lose", plan.index),
                body={"reason": plan.lost_reason},
                version=record["version"],
            )
            self.outcome.created["losses"] += 1

    async def _quote(self, plan: OpportunityPlan, oid: str, quote: dict[str, Any] | None) -> None:
        """Draft, clear the loss alarm (a manager), send, and record the customer's answer."""
        spec = plan.quote
        assert spec is not None
        manager = self.plan.manager_of(self.plan.customers[plan.customer].branch)
        if quote is None:
            body = {
                "customer_id": self.customer_id(plan.customer),
                "opportunity_id": oid,
                "currency": catalog.CURRENCY,
                "valid_until": _iso(self.plan.today + timedelta(days=spec.valid_days)),
                "lines": [
                    {
                        "product_id": self.products[sku],
                        "quantity": qty,
                        "discount_percent": _money(discount),
                    }
                    for sku, qty, discount in spec.lines
                ],
            }
            quote = await self.api.post(
                "sales", "/quotes", user=plan.owner, key=self.key("quote", plan.index), body=body
            )
            self._made("quotes")
        else:
            self._had("quotes")
        assert quote is not None
        qid = quote["id"]
        if spec.loss == "approved" and quote["loss_alarm"] and not quote["loss_approved_by"]:
            quote = await self.api.post(
                "sales",
                f"/quotes/{qid}/approve-loss",
                user=manager,
                key=self.key("quote-approve", plan.index),
                version=quote["version"],
            )
        if spec.status != "draft" and quote["status"] == "draft":
            quote = await self.api.post(
                "sales",
                f"/quotes/{qid}/send",
                user=plan.owner,
                key=self.key("quote-send", plan.index),
                version=quote["version"],
            )
        if spec.status == "accepted" and quote["status"] == "sent":
            answer: dict[str, Any] = {"create_order": True}
            if spec.contract is not None:
                name, start, end = spec.contract
                answer["contract"] = {
                    "name": name,
                    "start_date": _iso(start),
                    "end_date": _iso(end),
                }
            await self.api.post(
                "sales",
                f"/quotes/{qid}/accept",
                user=plan.owner,
                key=self.key("quote-accept", plan.index),
                body=answer,
                version=quote["version"],
            )
        elif spec.status == "rejected" and quote["status"] == "sent":
            await self.api.post(
                "sales",
                f"/quotes/{qid}/reject",
                user=plan.owner,
                key=self.key("quote-reject", plan.index),
                body={"reason": plan.lost_reason or "Price too high"},
                version=quote["version"],
            )

    async def _contracts(self, existing: list[dict[str, Any]]) -> None:
        have = Existing()
        for c in existing:
            have.add((c["customer_id"], c["name"], Decimal(c["amount"] or 0)), c)

        async def one(plan: Any) -> None:
            cid = self.customer_id(plan.customer)
            record = have.take((cid, plan.name, plan.amount))
            if record is None:
                body = {
                    "customer_id": cid,
                    "name": plan.name,
                    "start_date": _iso(plan.start),
                    "end_date": _iso(plan.end),
                    "amount": _money(plan.amount),
                    "currency": catalog.CURRENCY,
                }
                record = await self.api.post(
                    "sales",
                    "/contracts",
                    user=plan.seller,
                    key=self.key("contract", plan.index),
                    body=body,
                    lag=True,
                )
                self._made("contracts")
            else:
                self._had("contracts")
            if plan.renew and record["status"] in ("active", "expiring") and not record["next_id"]:
                await self.api.post(
                    "sales",
                    f"/contracts/{record['id']}/renew",
                    user=plan.seller,
                    key=self.key("renew", plan.index),
                    body={},
                    version=record["version"],
                )

        await self._all(one(c) for c in self.plan.contracts)

    async def _tasks(self, existing: list[dict[str, Any]]) -> None:
        await self.contacts_ready.wait()
        have = Existing()
        for t in existing:
            have.add((t["customer_id"], t["subject"], t["method"], t["duration_minutes"]), t)

        async def one(plan: Any) -> None:
            cid = self.customer_id(plan.customer)
            record = have.take((cid, plan.subject, plan.method, plan.duration_minutes))
            if record is None:
                opportunity = None
                if plan.opportunity is not None:
                    opportunity = await self.opportunities[plan.opportunity]
                body = {
                    "customer_id": cid,
                    "subject": plan.subject,
                    "method": plan.method,
                    "start_at": _iso(plan.start_at),
                    "duration_minutes": plan.duration_minutes,
                    "reminder_at": _iso(plan.reminder_at) if plan.reminder_at else None,
                    "contact_id": (
                        self.contacts[(plan.customer, plan.contact)]
                        if plan.contact is not None
                        else None
                    ),
                    "opportunity_id": opportunity,
                }
                record = await self.api.post(
                    "sales",
                    "/tasks",
                    user=plan.assignee,
                    key=self.key("task", plan.index),
                    body=body,
                    lag=True,
                )
                self._made("tasks")
            else:
                self._had("tasks")
            if plan.outcome is not None and record["status"] == "open":
                await self.api.post(
                    "sales",
                    f"/tasks/{record['id']}/complete",
                    user=plan.assignee,
                    key=self.key("task-complete", plan.index),
                    body={"outcome": plan.outcome},
                    version=record["version"],
                    refresh=f"/tasks/{record['id']}",
                )

        await self._all(one(t) for t in self.plan.tasks)

    async def _expenses(self, existing: list[dict[str, Any]]) -> None:
        await self.contacts_ready.wait()
        have = Existing()
        for e in existing:
            key = (e["customer_id"], e["category"], Decimal(e["amount"]), e["description"])
            have.add(key, e)

        async def one(plan: Any) -> None:
            cid = self.customer_id(plan.customer)
            record = have.take((cid, plan.category, plan.amount, plan.description))
            if record is None:
                body = {
                    "customer_id": cid,
                    "contact_id": self.contacts[(plan.customer, plan.contact)],
                    "amount": _money(plan.amount),
                    "currency": catalog.CURRENCY,
                    "category": plan.category,
                    "incurred_on": _iso(plan.incurred_on),
                    "description": plan.description,
                }
                record = await self.api.post(
                    "sales",
                    "/expenses",
                    user=plan.recorder,
                    key=self.key("expense", plan.index),
                    body=body,
                    lag=True,
                )
                self._made("expenses")
            else:
                self._had("expenses")
            if plan.decision is not None and record["status"] == "pending_approval":
                eid = record["id"]
                await self.api.post(
                    "sales",
                    f"/expenses/{eid}/{plan.decision}",
                    user=plan.decider,
                    key=self.key("expense-decision", plan.index),
                    body={"reason": "Private, not for a customer"}
                    if plan.decision == "reject"
                    else None,
                    version=record["version"],
                )

        await self._all(one(e) for e in self.plan.expenses)

    # -- the service desk -------------------------------------------------------------------------

    async def desk_work(self) -> None:
        assets, tickets = await asyncio.gather(
            self.api.pages("service-desk", "/assets", user="admin"),
            self.api.pages("service-desk", "/tickets", user="admin"),
        )
        await self._assets(assets)
        have = {(t["customer_id"], t["subject"]): t for t in tickets}
        await self._all(self._ticket(t, have) for t in self.plan.tickets)
        self.mark("tickets")

    async def _assets(self, existing: list[dict[str, Any]]) -> None:
        have = {(a["customer_id"], a["serial"]): a["id"] for a in existing}

        async def one(plan: Any) -> None:
            mine = (self.customer_id(plan.customer), plan.serial)
            if mine in have:
                self.assets[plan.index] = have[mine]
                self._had("assets")
                return
            customer = self.plan.customers[plan.customer]
            body = {
                "customer_id": self.customer_id(plan.customer),
                "product": plan.product,
                "serial": plan.serial,
                "purchase_date": _iso(plan.purchase_date),
                "warranty_end": _iso(plan.warranty_end),
            }
            made = await self.api.post(
                "service-desk",
                "/assets",
                user=self.plan.agent_of(customer.branch),
                key=self.key("asset", plan.index),
                body=body,
                lag=True,
            )
            self.assets[plan.index] = made["id"]
            self._made("assets")

        await self._all(one(a) for a in self.plan.assets)

    def portal_user(self, customer: int, contact: int) -> str:
        return f"portal:{self.customer_id(customer)}:{self.contacts[(customer, contact)]}"

    async def _ticket(self, plan: TicketPlan, have: dict[tuple[str, str], dict[str, Any]]) -> None:
        """Open it (by phone, e-mail or the portal), answer it, move it along, get it rated."""
        cid = self.customer_id(plan.customer)
        agent = plan.agent
        record = have.get((cid, plan.subject))
        contact = None
        if plan.contact is not None:
            await self.contacts_ready.wait()
            contact = self.contacts[(plan.customer, plan.contact)]
        if record is None:
            asset = self.assets.get(plan.asset) if plan.asset is not None else None
            if plan.channel == "portal":
                assert plan.contact is not None
                body: dict[str, Any] = {
                    "subject": plan.subject,
                    "description": plan.description,
                    "contact_id": contact,
                    "asset_id": asset,
                    "category": plan.category,
                }
                record = await self.api.post(
                    "service-desk",
                    "/portal/tickets",
                    user=self.portal_user(plan.customer, plan.contact),
                    key=self.key("ticket", plan.index),
                    body=body,
                    lag=True,
                )
            else:
                body = {
                    "customer_id": cid,
                    "subject": plan.subject,
                    "description": plan.description,
                    "channel": plan.channel,
                    "priority": plan.priority,
                    "contact_id": contact,
                    "asset_id": asset,
                    "category": plan.category,
                    "assignee_id": agent if plan.status != "new" else None,
                }
                record = await self.api.post(
                    "service-desk",
                    "/tickets",
                    user=agent,
                    key=self.key("ticket", plan.index),
                    body=body,
                    lag=True,
                )
            self._made("tickets")
        else:
            self._had("tickets")
        tid, status = record["id"], record["status"]
        version = int(record["version"])
        if status == "new" and plan.reply is not None:
            await self.api.post(
                "service-desk",
                f"/tickets/{tid}/comments",
                user=agent,
                key=self.key("ticket-reply", plan.index),
                body={"body": plan.reply},
            )
            # The reply is recorded and, as the first response, opens the ticket: two versions
            # on (read anew if something else changed it meanwhile).
            status, version = "open", version + 2
        path = STATUS_PATH[plan.status]
        if STATUS_ORDER.index(status) >= STATUS_ORDER.index(plan.status):
            path = []  # there already (or beyond: somebody worked on it since)
        done = path.index(status) + 1 if status in path else 0
        for n, step in enumerate(path[done:], start=done):
            changed = await self.api.post(
                "service-desk",
                f"/tickets/{tid}/status",
                user=agent,
                key=self.key("ticket-status", plan.index, n),
                body={"status": step},
                version=version,
                refresh=f"/tickets/{tid}",
            )
            version = int(changed["version"])
        if plan.survey is not None and plan.contact is not None:
            score, comment = plan.survey
            await self.api.post(
                "service-desk",
                f"/portal/tickets/{tid}/survey",
                user=self.portal_user(plan.customer, plan.contact),
                key=self.key("survey", plan.index),
                body={"score": score, "comment": comment, "category": "service"},
                ok=(201, 409),
            )
            self._tick("surveys", 1)


def _csv(customers: list[CustomerPlan]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CUSTOMER_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for customer in customers:
        writer.writerow(customer.row())
    return buffer.getvalue().encode()
