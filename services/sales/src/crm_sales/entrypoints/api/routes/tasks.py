"""Routes of tasks and the calendar week view."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response, status
from servicekit.auth import PrincipalDep
from servicekit.concurrency import IfMatch
from servicekit.errors import FieldError, Forbidden, InvalidInput
from servicekit.paging import Page

from crm_sales.domain.base import utcnow
from crm_sales.domain.commands import Assign, CompleteTask, PlanTask, RescheduleTask
from crm_sales.domain.tasks import TaskStatus
from crm_sales.entrypoints.api.deps import STAFF, PageDep, SessionDep, UoWDep
from crm_sales.entrypoints.api.routes.common import answer, tagged
from crm_sales.entrypoints.api.schemas.common import AssignTo
from crm_sales.entrypoints.api.schemas.tasks import (
    Calendar,
    Completion,
    Reschedule,
    TaskCreate,
    TaskRead,
)
from crm_sales.service_layer import tasks as handlers
from crm_sales.service_layer.access import is_manager
from crm_sales.views import tasks as views

router = APIRouter(prefix="/tasks", tags=["tasks"], dependencies=[STAFF])
calendar_router = APIRouter(prefix="/calendar", tags=["tasks"], dependencies=[STAFF])
LONGEST_VIEW = timedelta(days=42)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=TaskRead)
async def plan_task(
    body: TaskCreate, principal: PrincipalDep, uow: UoWDep, response: Response
) -> TaskRead:
    """Plan a call, visit, e-mail or meeting. Reps plan their own; managers assign."""
    task = await handlers.plan_task(uow=uow, cmd=PlanTask(**body.model_dump()), principal=principal)
    return answer(response, task, TaskRead, location=f"/tasks/{task.id}")


@router.get("", response_model=Page[TaskRead])
async def list_tasks(
    principal: PrincipalDep,
    session: SessionDep,
    paging: PageDep,
    assignee_id: Annotated[str | None, Query(max_length=128)] = None,
    customer_id: UUID | None = None,
    opportunity_id: UUID | None = None,
    status: TaskStatus | None = None,
    overdue: Annotated[bool, Query(description="Only open tasks past their end.")] = False,
) -> Page[TaskRead]:
    """Tasks you may see. Sort by start_at, due_at, created_at, subject."""
    return await views.tasks(
        session,
        principal,
        paging,
        views.TaskFilter(
            assignee_id=assignee_id,
            customer_id=customer_id,
            opportunity_id=opportunity_id,
            status=status,
            overdue_at=utcnow() if overdue else None,
        ),
    )


@router.get("/{task_id}", response_model=TaskRead)
async def get_task(
    task_id: UUID, principal: PrincipalDep, session: SessionDep, response: Response
) -> TaskRead:
    return tagged(response, await views.task(session, principal, task_id))


@router.post("/{task_id}/reschedule", response_model=TaskRead)
async def reschedule_task(
    task_id: UUID,
    body: Reschedule,
    expected_version: IfMatch,
    principal: PrincipalDep,
    uow: UoWDep,
    response: Response,
) -> TaskRead:
    task = await handlers.reschedule_task(
        uow=uow,
        cmd=RescheduleTask(id=task_id, expected_version=expected_version, **body.model_dump()),
        principal=principal,
    )
    return answer(response, task, TaskRead)


@router.post("/{task_id}/assign", response_model=TaskRead)
async def reassign_task(
    task_id: UUID,
    body: AssignTo,
    expected_version: IfMatch,
    principal: PrincipalDep,
    uow: UoWDep,
    response: Response,
) -> TaskRead:
    """Managers only: give the task to another rep."""
    task = await handlers.reassign_task(
        uow=uow,
        cmd=Assign(id=task_id, expected_version=expected_version, assignee_id=body.assignee_id),
        principal=principal,
    )
    return answer(response, task, TaskRead)


@router.post("/{task_id}/complete", response_model=TaskRead)
async def complete_task(
    task_id: UUID,
    body: Completion,
    expected_version: IfMatch,
    principal: PrincipalDep,
    uow: UoWDep,
    response: Response,
) -> TaskRead:
    task = await handlers.complete_task(
        uow=uow,
        cmd=CompleteTask(id=task_id, expected_version=expected_version, outcome=body.outcome),
        principal=principal,
    )
    return answer(response, task, TaskRead)


@calendar_router.get("", response_model=Calendar)
async def calendar(
    principal: PrincipalDep,
    session: SessionDep,
    start: Annotated[date, Query(alias="from", description="First day shown.")],
    end: Annotated[date, Query(alias="to", description="Last day shown (inclusive).")],
    user: Annotated[str | None, Query(max_length=128, description="You by default.")] = None,
) -> Calendar:
    """A user's tasks per day, e.g. a week. Managers see their reps' calendars."""
    user = user or principal.user_id
    if user != principal.user_id and not is_manager(principal):
        raise Forbidden("Only managers see other people's calendars.")
    if end < start or end - start >= LONGEST_VIEW:
        raise InvalidInput(
            "Show between one day and six weeks.",
            errors=[FieldError("to", f"on or after `from`, at most {LONGEST_VIEW.days} days")],
        )
    return await views.calendar(session, principal, user=user, first=start, last=end)
