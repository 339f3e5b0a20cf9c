"""The Ticket aggregate: a service request, its status machine, comments and SLA clocks.

new → open → pending → resolved → closed. Pending stops the SLA clocks (the customer owes
an answer); the customer's reply reopens the ticket and restarts them. Resolved and closed
tickets reopen within the tenant's reopen window; the resolution clock then runs again with
the time it had already used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from uuid import UUID, uuid4

from crm_contracts.service_desk import (
    AuthorKind,
    RelocationReason,
    SlaClockKind,
    TicketChannel,
    TicketPriority,
)
from crm_contracts.service_desk import TicketStatus as S

from crm_service_desk.domain import events as ev
from crm_service_desk.domain.asset import Asset
from crm_service_desk.domain.errors import ConflictError, DomainError
from crm_service_desk.domain.sla import Alert, SlaClock, SlaContext

TRANSITIONS: dict[S, frozenset[S]] = {
    S.NEW: frozenset({S.OPEN, S.PENDING, S.RESOLVED}),
    S.OPEN: frozenset({S.PENDING, S.RESOLVED}),
    S.PENDING: frozenset({S.OPEN, S.RESOLVED}),
    S.RESOLVED: frozenset({S.CLOSED, S.OPEN}),
    S.CLOSED: frozenset({S.OPEN}),
}
FINISHED = frozenset({S.RESOLVED, S.CLOSED})
EDITABLE = ("subject", "description", "category", "contact_id", "asset_id")


@dataclass(frozen=True)
class Attachment:
    """Metadata only: the file itself lives in the company's file store."""

    filename: str
    content_type: str
    size_bytes: int
    url: str


@dataclass(frozen=True)
class Comment:
    id: UUID
    tenant_id: str
    ticket_id: UUID
    ticket_version: int  # the ticket's version it came with: orders the conversation
    author_id: str
    author_kind: AuthorKind
    internal: bool
    body: str
    created_at: datetime
    attachments: tuple[Attachment, ...] = ()


@dataclass
class Ticket:
    id: UUID
    tenant_id: str
    branch_id: str
    customer_id: UUID
    subject: str
    description: str
    priority: TicketPriority
    channel: TicketChannel
    opened_by: str
    first_response: SlaClock
    resolution: SlaClock
    created_at: datetime
    updated_at: datetime
    contact_id: UUID | None = None
    asset_id: UUID | None = None
    category: str | None = None
    status: S = S.NEW
    assignee_id: str | None = None
    out_of_warranty: bool = False
    escalated: bool = False
    attachments: tuple[Attachment, ...] = ()
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    version: int = 1
    events: list[ev.TicketEvent] = field(default_factory=list, repr=False, compare=False)
    new_comments: list[Comment] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def open(
        cls,
        *,
        tenant_id: str,
        branch_id: str,
        customer_id: UUID,
        subject: str,
        description: str,
        priority: TicketPriority,
        channel: TicketChannel,
        opened_by: str,
        sla: SlaContext,
        now: datetime,
        asset: Asset | None = None,
        **details: Any,
    ) -> Ticket:
        """A new request; its SLA clocks start now, in the branch's business hours."""
        budget = sla.policy.budget_s
        ticket = cls(
            id=uuid4(),
            tenant_id=tenant_id,
            branch_id=branch_id,
            customer_id=customer_id,
            subject=subject,
            description=description,
            priority=priority,
            channel=channel,
            opened_by=opened_by,
            first_response=SlaClock.start(budget(priority, SlaClockKind.FIRST_RESPONSE), now, sla),
            resolution=SlaClock.start(budget(priority, SlaClockKind.RESOLUTION), now, sla),
            created_at=now,
            updated_at=now,
            **details,
        )
        ticket._set_asset(asset, sla)
        ticket.events.append(ev.TicketOpened(ticket.version))
        return ticket

    # -- details, assignment, priority ------------------------------------------------------

    def update(
        self,
        changes: dict[str, Any],
        *,
        by: str,
        now: datetime,
        sla: SlaContext,
        asset: Asset | None = None,
    ) -> None:
        """Change details; a new asset is judged for warranty as of the opening day."""
        unknown = set(changes) - set(EDITABLE)
        if unknown:
            raise DomainError(f"not editable here: {', '.join(sorted(unknown))}")
        diff = {k: (getattr(self, k), v) for k, v in changes.items() if getattr(self, k) != v}
        if not diff:
            return
        for key, (_, new) in diff.items():
            setattr(self, key, new)
        if "asset_id" in diff:
            self._set_asset(asset, sla)
        self._record(now, lambda v: ev.TicketUpdated(v, diff, by))

    def assign(self, assignee: str | None, *, by: str, now: datetime) -> None:
        if assignee == self.assignee_id:
            return
        old, self.assignee_id = self.assignee_id, assignee
        self._record(now, lambda v: ev.TicketAssigned(v, old, assignee, by))

    def change_priority(
        self, priority: TicketPriority, *, by: str, now: datetime, sla: SlaContext
    ) -> None:
        """Deadlines follow the new priority's targets; time already used still counts."""
        if priority == self.priority:
            return
        old, self.priority = self.priority, priority
        budget = sla.policy.budget_s
        self.first_response = self.first_response.rebudget(
            budget(priority, SlaClockKind.FIRST_RESPONSE), sla
        )
        self.resolution = self.resolution.rebudget(budget(priority, SlaClockKind.RESOLUTION), sla)
        self._record(now, lambda v: ev.PriorityChanged(v, old, priority, by, self.deadlines()))

    # -- the status machine -------------------------------------------------------------

    def change_status(
        self,
        new: S,
        *,
        by: str,
        now: datetime,
        sla: SlaContext,
        reason: str | None = None,
    ) -> None:
        old = self.status
        if new == old:
            return
        if new not in TRANSITIONS[old]:
            allowed = ", ".join(sorted(TRANSITIONS[old]))
            raise ConflictError(f"a {old} ticket cannot become {new} (allowed: {allowed})")
        if old in FINISHED and new is S.OPEN:
            self._ensure_reopenable(now, sla)
        hours = sla.hours
        if new is S.PENDING:
            self.first_response = self.first_response.pause(now, hours)
            self.resolution = self.resolution.pause(now, hours)
        elif new is S.OPEN and old is S.PENDING:
            self.first_response = self.first_response.resume(now, sla)
            self.resolution = self.resolution.resume(now, sla)
        elif new is S.OPEN:  # reopened
            self.resolution = self.resolution.reopen(now, sla)
            self.resolved_at = self.closed_at = None
        elif new is S.RESOLVED:
            # Solving the request answers it too.
            self.first_response = self.first_response.meet(now, hours)
            self.resolution = self.resolution.meet(now, hours)
            self.resolved_at = now
        elif new is S.CLOSED:
            self.closed_at = now
        self.status = new
        self._record(now, lambda v: ev.StatusChanged(v, old, new, by, reason, self.deadlines()))

    def reopenable_until(self, sla: SlaContext) -> datetime | None:
        if self.resolved_at is None:
            return None
        return self.resolved_at + timedelta(days=sla.policy.reopen_days)

    def _ensure_reopenable(self, now: datetime, sla: SlaContext) -> None:
        until = self.reopenable_until(sla)
        if until is None or now > until:
            raise ConflictError(
                f"this ticket can no longer be reopened: the window of "
                f"{sla.policy.reopen_days} days after resolution has passed; open a new one"
            )

    # -- comments -------------------------------------------------------------------------

    def comment(
        self,
        *,
        author_id: str,
        author_kind: AuthorKind,
        body: str,
        now: datetime,
        sla: SlaContext,
        internal: bool = False,
        attachments: tuple[Attachment, ...] = (),
    ) -> Comment:
        """Add a comment. An agent's first public one is the first response; the contact's
        reply to a pending ticket puts it back to open (the clocks run again)."""
        if author_kind is AuthorKind.CONTACT:
            if internal:
                raise DomainError("a customer's contact cannot write internal notes")
            if self.status is S.CLOSED:
                raise ConflictError("this ticket is closed; reopen it or open a new one")
        responds = (
            author_kind is AuthorKind.AGENT
            and not internal
            and self.first_response.met_at is None
            and self.status not in FINISHED
        )
        if responds:
            self.first_response = self.first_response.meet(now, sla.hours)
        comment_id = uuid4()
        self._record(now, lambda v: ev.Commented(v, comment_id, responds))
        comment = Comment(
            id=comment_id,
            tenant_id=self.tenant_id,
            ticket_id=self.id,
            ticket_version=self.version,
            author_id=author_id,
            author_kind=author_kind,
            internal=internal,
            body=body,
            created_at=now,
            attachments=attachments,
        )
        self.new_comments.append(comment)
        if responds and self.status is S.NEW:
            self.change_status(S.OPEN, by=author_id, now=now, sla=sla)
        elif author_kind is AuthorKind.CONTACT and self.status is S.PENDING:
            self.change_status(S.OPEN, by=author_id, now=now, sla=sla, reason="customer replied")
        return comment

    # -- SLA supervision ------------------------------------------------------------------

    def check_sla(self, now: datetime) -> bool:
        """Warn or breach due clocks (once each); a breach escalates to the branch managers.
        True if anything was recorded."""
        recorded = False
        for kind in SlaClockKind:
            clock, alert = self.clock(kind).check(now)
            if alert is None:
                continue
            self._set_clock(kind, clock)
            assert clock.due_at is not None
            due = clock.due_at
            if alert is Alert.WARNING:
                self._record(now, partial(ev.SlaWarned, clock=kind, due_at=due))
            else:
                self.escalated = True
                self._record(now, partial(ev.SlaBreached, clock=kind, due_at=due))
                self._record(now, partial(ev.Escalated, clock=kind))
            recorded = True
        return recorded

    def clock(self, kind: SlaClockKind) -> SlaClock:
        return self.first_response if kind is SlaClockKind.FIRST_RESPONSE else self.resolution

    def deadlines(self) -> ev.Deadlines:
        return ev.Deadlines(self.first_response.due_at, self.resolution.due_at)

    # -- following the customer -------------------------------------------------------------

    def relocate(
        self, customer_id: UUID, branch_id: str, reason: RelocationReason, *, now: datetime
    ) -> None:
        if (customer_id, branch_id) == (self.customer_id, self.branch_id):
            return
        old_customer, old_branch = self.customer_id, self.branch_id
        self.customer_id, self.branch_id = customer_id, branch_id
        self._record(now, lambda v: ev.Relocated(v, old_customer, old_branch, reason))

    # -- internals -----------------------------------------------------------------------

    def _set_asset(self, asset: Asset | None, sla: SlaContext) -> None:
        if asset is None:
            self.asset_id, self.out_of_warranty = None, False
            return
        if asset.customer_id != self.customer_id or asset.tenant_id != self.tenant_id:
            raise DomainError("asset_id: the asset belongs to another customer")
        self.asset_id = asset.id
        self.out_of_warranty = asset.out_of_warranty_on(sla.hours.local_date(self.created_at))

    def _set_clock(self, kind: SlaClockKind, clock: SlaClock) -> None:
        if kind is SlaClockKind.FIRST_RESPONSE:
            self.first_response = clock
        else:
            self.resolution = clock

    def _record(self, now: datetime, make: Callable[[int], ev.TicketEvent]) -> None:
        """Every event is a new version of the ticket: its sequence on the wire."""
        self.version += 1
        self.updated_at = now
        self.events.append(make(self.version))
