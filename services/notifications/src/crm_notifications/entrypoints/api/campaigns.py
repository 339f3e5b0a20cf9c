"""Campaign mail: send a sales campaign to its segment's contacts, throttled, with working
unsubscribe links; responses (unsubscribes) flow back to sales as events."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request, Response, status
from servicekit.auth import PrincipalDep, bearer_token

from crm_notifications.entrypoints.api.deps import (
    MARKETING,
    NowDep,
    ServicesDep,
    SessionDep,
    UoWDep,
)
from crm_notifications.entrypoints.api.schemas import MailingCreate, MailingRead
from crm_notifications.service_layer import campaigns

router = APIRouter(tags=["campaign mail"], dependencies=[MARKETING])


@router.post(
    "/campaigns/{campaign_id}/mailings",
    status_code=status.HTTP_201_CREATED,
    response_model=MailingRead,
)
async def start_mailing(
    campaign_id: UUID,
    body: MailingCreate,
    request: Request,
    principal: PrincipalDep,
    uow: UoWDep,
    services: ServicesDep,
    now: NowDep,
    response: Response,
) -> MailingRead:
    """Queue the e-mail to every contact of the campaign's segment who has an address and
    has not unsubscribed; it leaves at the company's rate. Send `Idempotency-Key`."""
    mailing = await campaigns.start_mailing(
        uow,
        services,
        principal,
        campaigns.MailingCommand(campaign_id, body.subject, body.text, body.html),
        token=bearer_token(request),
        now=now,
    )
    response.headers["Location"] = f"/mailings/{mailing.id}"
    return MailingRead.model_validate(mailing)


@router.get("/mailings/{mailing_id}", response_model=MailingRead)
async def get_mailing(
    mailing_id: UUID, principal: PrincipalDep, session: SessionDep
) -> MailingRead:
    """A mailing with its e-mails counted by state."""
    mailing, counts = await campaigns.mailing_status(session, principal, mailing_id)
    read = MailingRead.model_validate(mailing)
    return read.model_copy(update={"status": counts})
