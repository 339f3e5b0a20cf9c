"""Domain changes -> wire contracts, in one place.

Partition key: the customer id (tickets, assets, surveys) or the tenant id (announcements,
SLA configuration). Subject: `<entity>/<id>`. Sequence: the entity's version.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from uuid import UUID

from crm_contracts import CloudEvent, new_event
from crm_contracts import service_desk as sd
from crm_contracts.customers import FieldChange
from pydantic import BaseModel

from crm_service_desk.adapters.config import policy_json, week_json
from crm_service_desk.domain import events
from crm_service_desk.domain.announcement import Announcement
from crm_service_desk.domain.asset import Asset
from crm_service_desk.domain.calendar import BusinessHours
from crm_service_desk.domain.sla import SlaPolicy
from crm_service_desk.domain.survey import Survey
from crm_service_desk.domain.ticket import Comment, Ticket


def _text(value: object) -> str | None:
    """Changes travel as text: dates as ISO 8601, ids as strings, anything else as JSON."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return json.dumps(value, sort_keys=True, default=str)


def _changes(diff: dict[str, tuple[Any, Any]]) -> dict[str, FieldChange]:
    return {k: FieldChange(old=_text(old), new=_text(new)) for k, (old, new) in diff.items()}


def _deadlines(d: events.Deadlines) -> dict[str, Any]:
    return {"first_response_due": d.first_response_due, "resolution_due": d.resolution_due}


def _sla_facts(ticket: Ticket, event: events.SlaWarned | events.SlaBreached) -> dict[str, Any]:
    return {
        "clock": event.clock,
        "due_at": event.due_at,
        "priority": ticket.priority,
        "assignee_id": ticket.assignee_id,
    }


def _ticket_payload(
    ticket: Ticket, event: events.TicketEvent, comments: dict[Any, Comment]
) -> BaseModel:
    ref = {"ticket_id": ticket.id, "customer_id": ticket.customer_id}
    match event:
        case events.TicketOpened():
            return sd.TicketOpenedV1(
                **ref,
                **_deadlines(ticket.deadlines()),
                contact_id=ticket.contact_id,
                asset_id=ticket.asset_id,
                subject=ticket.subject,
                description=ticket.description,
                category=ticket.category,
                priority=ticket.priority,
                channel=ticket.channel,
                status=sd.TicketStatus.NEW,
                assignee_id=ticket.assignee_id,
                out_of_warranty=ticket.out_of_warranty,
                attachments=len(ticket.attachments),
                opened_by=ticket.opened_by,
            )
        case events.TicketUpdated():
            return sd.TicketUpdatedV1(
                **ref,
                changes=_changes(event.changes),
                out_of_warranty=ticket.out_of_warranty,
                updated_by=event.by,
            )
        case events.TicketAssigned():
            return sd.TicketAssignedV1(
                **ref, old_assignee_id=event.old, new_assignee_id=event.new, assigned_by=event.by
            )
        case events.PriorityChanged():
            return sd.TicketPriorityChangedV1(
                **ref,
                **_deadlines(event.deadlines),
                old_priority=event.old,
                new_priority=event.new,
                changed_by=event.by,
            )
        case events.StatusChanged():
            return sd.TicketStatusChangedV1(
                **ref,
                **_deadlines(event.deadlines),
                old_status=event.old,
                new_status=event.new,
                reason=event.reason,
                changed_by=event.by,
            )
        case events.Commented():
            comment = comments[event.comment_id]
            return sd.TicketCommentedV1(
                **ref,
                comment_id=comment.id,
                author_id=comment.author_id,
                author_kind=comment.author_kind,
                internal=comment.internal,
                body=comment.body,
                attachments=len(comment.attachments),
                first_response=event.first_response,
            )
        case events.SlaWarned():
            return sd.TicketSlaWarningV1(**ref, **_sla_facts(ticket, event))
        case events.SlaBreached():
            return sd.TicketSlaBreachedV1(**ref, **_sla_facts(ticket, event))
        case events.Escalated():
            return sd.TicketEscalatedV1(
                **ref,
                to_role="branch_manager",
                branch_id=ticket.branch_id,
                clock=event.clock,
                assignee_id=ticket.assignee_id,
            )
        case events.Relocated():
            return sd.TicketRelocatedV1(
                **ref,
                old_customer_id=event.old_customer_id,
                old_branch_id=event.old_branch_id,
                branch_id=ticket.branch_id,
                reason=event.reason,
            )


def ticket_events(ticket: Ticket) -> list[CloudEvent]:
    """Everything the ticket recorded, in order; drains its list."""
    comments = {c.id: c for c in ticket.new_comments}
    recorded, ticket.events = ticket.events, []
    return [
        new_event(
            _ticket_payload(ticket, event, comments),
            tenant=ticket.tenant_id,
            branch=ticket.branch_id,
            partition_key=str(ticket.customer_id),
            subject=f"ticket/{ticket.id}",
            sequence=event.version,
        )
        for event in recorded
    ]


def _asset_payload(asset: Asset, event: events.AssetEvent) -> BaseModel:
    ref = {"asset_id": asset.id, "customer_id": asset.customer_id}
    match event:
        case events.AssetRegistered():
            return sd.AssetRegisteredV1(
                **ref,
                product=asset.product,
                serial=asset.serial,
                purchase_date=asset.purchase_date,
                warranty_end=asset.warranty_end,
                registered_by=asset.created_by,
            )
        case events.AssetUpdated():
            return sd.AssetUpdatedV1(**ref, changes=_changes(event.changes), updated_by=event.by)
        case events.Relocated():
            return sd.AssetRelocatedV1(
                **ref,
                old_customer_id=event.old_customer_id,
                old_branch_id=event.old_branch_id,
                branch_id=asset.branch_id,
                reason=event.reason,
            )


def asset_events(asset: Asset) -> list[CloudEvent]:
    recorded, asset.events = asset.events, []
    return [
        new_event(
            _asset_payload(asset, event),
            tenant=asset.tenant_id,
            branch=asset.branch_id,
            partition_key=str(asset.customer_id),
            subject=f"asset/{asset.id}",
            sequence=event.version,
        )
        for event in recorded
    ]


def survey_events(survey: Survey, branch: str) -> list[CloudEvent]:
    recorded, survey.events = survey.events, []
    return [
        new_event(
            sd.SurveyAnsweredV1(
                survey_id=survey.id,
                ticket_id=survey.ticket_id,
                customer_id=survey.customer_id,
                score=survey.score,
                comment=survey.comment,
                category=survey.category,
                contact_id=survey.contact_id,
                answered_by=survey.answered_by,
                answered_at=survey.answered_at,
            ),
            tenant=survey.tenant_id,
            branch=branch,
            partition_key=str(survey.customer_id),
            subject=f"survey/{survey.id}",
            sequence=event.version,
        )
        for event in recorded
    ]


def announcement_events(announcement: Announcement) -> list[CloudEvent]:
    recorded, announcement.events = announcement.events, []
    return [
        new_event(
            sd.AnnouncementChangedV1(
                announcement_id=announcement.id,
                title=announcement.title,
                body=announcement.body,
                publish_at=announcement.publish_at,
                expires_at=announcement.expires_at,
                changed_by=event.by,
            ),
            tenant=announcement.tenant_id,
            branch=None,
            partition_key=announcement.tenant_id,
            subject=f"announcement/{announcement.id}",
            sequence=event.version,
        )
        for event in recorded
    ]


def policy_event(tenant_id: str, policy: SlaPolicy, by: str) -> CloudEvent:
    return new_event(
        sd.SlaPolicyChangedV1.model_validate(
            {
                "targets": policy_json(policy),
                "warning_minutes": policy.warning_minutes,
                "reopen_days": policy.reopen_days,
                "changed_by": by,
            }
        ),
        tenant=tenant_id,
        branch=None,
        partition_key=tenant_id,
        subject=f"sla_policy/{tenant_id}",
        sequence=policy.version,
    )


def hours_event(
    tenant_id: str, branch_id: str, hours: BusinessHours, version: int, by: str
) -> CloudEvent:
    return new_event(
        sd.BusinessHoursChangedV1.model_validate(
            {
                "branch_id": branch_id,
                "timezone": hours.timezone,
                "week": week_json(hours),
                "changed_by": by,
            }
        ),
        tenant=tenant_id,
        branch=branch_id,
        partition_key=tenant_id,
        subject=f"business_hours/{branch_id}",
        sequence=version,
    )
