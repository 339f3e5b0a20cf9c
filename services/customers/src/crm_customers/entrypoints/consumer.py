"""Events the customers service reacts to: a won deal makes a prospect a customer; an
unsubscribe recorded against a campaign opts the contact out of marketing mail (003); a
service survey moves the customer's satisfaction score (002)."""

from __future__ import annotations

from crm_contracts import CloudEvent
from crm_contracts.sales import CampaignResponseRecordedV1, OpportunityWonV1
from crm_contracts.service_desk import SurveyAnsweredV1
from servicekit.consumer import EventHandlers
from sqlalchemy.ext.asyncio import AsyncSession

from crm_customers.service_layer import handlers as use_cases
from crm_customers.service_layer.unit_of_work import CustomersUnitOfWork

handlers = EventHandlers()


@handlers.on(OpportunityWonV1)
async def opportunity_won(session: AsyncSession, event: CloudEvent) -> None:
    won = OpportunityWonV1.model_validate(event.data)
    await use_cases.won_deal(
        uow=CustomersUnitOfWork.joining(session),
        tenant_id=event.tenantid,
        customer_id=won.customer_id,
        amount=float(won.amount),
    )


@handlers.on(CampaignResponseRecordedV1)
async def campaign_response(session: AsyncSession, event: CloudEvent) -> None:
    response = CampaignResponseRecordedV1.model_validate(event.data)
    if response.response != "unsubscribed":
        return
    await use_cases.unsubscribe_contact(
        uow=CustomersUnitOfWork.joining(session),
        tenant_id=event.tenantid,
        customer_id=response.customer_id,
        contact_id=response.contact_id,
        at=response.responded_at,
        by=response.recorded_by,
    )


@handlers.on(SurveyAnsweredV1)
async def survey_answered(session: AsyncSession, event: CloudEvent) -> None:
    answer = SurveyAnsweredV1.model_validate(event.data)
    await use_cases.record_survey(
        uow=CustomersUnitOfWork.joining(session),
        tenant_id=event.tenantid,
        customer_id=answer.customer_id,
        survey_id=answer.survey_id,
        score=answer.score,
        category=answer.category,
        answered_at=answer.answered_at,
    )
