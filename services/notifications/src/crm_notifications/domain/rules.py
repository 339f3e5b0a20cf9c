"""Who hears what, when and how: the rule book, plain data with no I/O.

A rule names the event types it reacts to, who the recipients are (selectors resolved against
the tenant's user directory and the customer owners this service follows), the channels, and
for reminders the data field holding when to send. Adding an event type is one line below.
Tenants switch rules off or pick channels (`PUT /rules/{key}`); recipients are fixed per rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Channel(StrEnum):
    INBOX = "inbox"
    EMAIL = "email"


ALL_CHANNELS = frozenset(Channel)


# --- recipient selectors ----------------------------------------------------------------


@dataclass(frozen=True)
class UserField:
    """The user whose id is in this field of the event's data."""

    name: str


@dataclass(frozen=True)
class CustomerOwner:
    """The current owner of the customer the event is about."""


@dataclass(frozen=True)
class ManagerOf:
    """The branch managers of the branch the selected user works in."""

    of: UserField | CustomerOwner


@dataclass(frozen=True)
class BranchManagers:
    """The branch managers of the branch in this data field (default: the event's branch)."""

    field: str | None = None


Selector = UserField | CustomerOwner | ManagerOf | BranchManagers


@dataclass(frozen=True)
class Schedule:
    """A reminder kept per entity: sent at `at` (or `default_at`), moved by later events."""

    key: str  # data field identifying the entity, e.g. `task_id`
    at: str  # data field with the moment to send
    default_at: str | None = None  # used when `at` is null
    update_on: tuple[str, ...] = ()  # events whose data is merged into the reminder
    cancel_on: tuple[str, ...] = ()  # events that make the reminder moot


@dataclass(frozen=True)
class Rule:
    key: str
    summary: str
    on: tuple[str, ...]
    to: tuple[Selector, ...]
    channels: frozenset[Channel] = ALL_CHANNELS
    schedule: Schedule | None = None
    # Data field naming who caused the event: nobody is told about their own act.
    actor: str | None = None
    # Only when this data field is non-null.
    requires: str | None = None
    # Only when these data fields hold one of the listed values.
    when: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class RuleSetting:
    """A tenant's choice for one rule."""

    enabled: bool = True
    channels: frozenset[Channel] | None = None  # None: the rule's default channels


@dataclass(frozen=True)
class RuleBook:
    rules: tuple[Rule, ...]
    _by_type: dict[str, list[Rule]] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        keys = [r.key for r in self.rules]
        if len(keys) != len(set(keys)):
            raise ValueError("two rules share a key")
        for rule in self.rules:
            for event_type in rule.on:
                self._by_type.setdefault(event_type, []).append(rule)

    def for_type(self, event_type: str) -> list[Rule]:
        return self._by_type.get(event_type, [])

    def get(self, key: str) -> Rule | None:
        return next((r for r in self.rules if r.key == key), None)

    def scheduled_touching(self, event_type: str) -> list[Rule]:
        """Reminder rules that this event moves or cancels."""
        return [
            r
            for r in self.rules
            if r.schedule is not None
            and (event_type in r.schedule.update_on or event_type in r.schedule.cancel_on)
        ]

    def event_types(self) -> set[str]:
        types = {t for r in self.rules for t in r.on}
        for r in self.rules:
            if r.schedule is not None:
                types |= set(r.schedule.update_on) | set(r.schedule.cancel_on)
        return types


def effective_channels(rule: Rule, setting: RuleSetting | None) -> frozenset[Channel]:
    """The channels a tenant gets for `rule`: none when switched off."""
    if setting is None:
        return rule.channels
    if not setting.enabled:
        return frozenset()
    return setting.channels if setting.channels is not None else rule.channels


def applies(rule: Rule, data: Mapping[str, Any]) -> bool:
    if rule.requires is not None and data.get(rule.requires) is None:
        return False
    return all(data.get(name) in values for name, values in rule.when)


def without_actor(rule: Rule, data: Mapping[str, Any], recipients: Iterable[str]) -> list[str]:
    """Recipients in order, once each, leaving out whoever caused the event."""
    actor = data.get(rule.actor) if rule.actor else None
    return [r for r in dict.fromkeys(recipients) if r and r != actor]


def entity_of(event_type: str) -> str:
    """`crm.sales.quote.loss_alarm_raised.v1` -> `quote`."""
    parts = event_type.split(".")
    return parts[2] if len(parts) > 2 else event_type


def _t(service: str, name: str) -> str:
    return f"crm.{service}.{name}.v1"


TASK_CREATED = _t("sales", "task.created")
TASK_RESCHEDULED = _t("sales", "task.rescheduled")
TASK_REASSIGNED = _t("sales", "task.reassigned")
TASK_COMPLETED = _t("sales", "task.completed")
TASK_CUSTOMER_CHANGED = _t("sales", "task.customer_changed")

AGENT_AND_MANAGER: tuple[Selector, ...] = (UserField("assignee_id"), BranchManagers())

RULES = RuleBook(
    (
        Rule(
            "customer.assigned",
            "A customer was assigned to you.",
            on=(_t("customers", "customer.owner_changed"),),
            to=(UserField("new_owner_id"),),
            actor="changed_by",
            requires="new_owner_id",
            when=(("reason", ("assigned", "claimed")),),
        ),
        Rule(
            "customer.pool_return",
            "A customer of yours returns to the pool soon unless you get in touch.",
            on=(_t("customers", "customer.pool_return_warning"),),
            to=(UserField("owner_id"),),
        ),
        Rule(
            "task.reminder",
            "A task of yours is about to start (at its reminder time).",
            on=(TASK_CREATED, TASK_RESCHEDULED),
            to=(UserField("assignee_id"),),
            schedule=Schedule(
                key="task_id",
                at="reminder_at",
                default_at="start_at",
                update_on=(TASK_REASSIGNED, TASK_CUSTOMER_CHANGED),
                cancel_on=(TASK_COMPLETED,),
            ),
        ),
        Rule(
            "task.overdue",
            "A task of yours is overdue (every day until it is done).",
            on=(_t("sales", "task.overdue"),),
            to=(UserField("assignee_id"),),
        ),
        Rule(
            "task.assigned",
            "A manager gave you a task.",
            on=(TASK_REASSIGNED,),
            to=(UserField("assignee_id"),),
            actor="reassigned_by",
        ),
        Rule(
            "contract.expiring",
            "A subscription of your customer (or your rep's) expires soon.",
            on=(_t("sales", "contract.expiring"),),
            to=(CustomerOwner(), ManagerOf(CustomerOwner())),
        ),
        Rule(
            "loss_alarm",
            "A quote or order was priced below cost and waits for your approval.",
            on=(_t("sales", "quote.loss_alarm_raised"), _t("sales", "order.loss_alarm_raised")),
            to=(ManagerOf(UserField("created_by")),),
            actor="created_by",
        ),
        Rule(
            "sla.warning",
            "A ticket's SLA deadline is near.",
            on=(_t("service-desk", "ticket.sla_warning"),),
            to=AGENT_AND_MANAGER,
        ),
        Rule(
            "sla.breached",
            "A ticket's SLA deadline passed.",
            on=(_t("service-desk", "ticket.sla_breached"),),
            to=AGENT_AND_MANAGER,
        ),
        Rule(
            "sla.escalated",
            "A breached ticket was escalated to the branch managers.",
            on=(_t("service-desk", "ticket.escalated"),),
            to=(BranchManagers("branch_id"),),
        ),
        Rule(
            "ticket.assigned",
            "A ticket was assigned to you.",
            on=(_t("service-desk", "ticket.assigned"),),
            to=(UserField("new_assignee_id"),),
            actor="assigned_by",
            requires="new_assignee_id",
        ),
        Rule(
            "webhook.disabled",
            "A webhook endpoint you registered was disabled.",
            on=(_t("notifications", "webhook_endpoint.disabled"),),
            to=(UserField("owner_id"),),
        ),
    )
)
