"""Task use cases: plan (a manager assigns to reps), reschedule, reassign, complete."""

from __future__ import annotations

from servicekit.auth import Principal
from servicekit.errors import FieldError, Forbidden, InvalidInput

from crm_sales.adapters.repository import TaskRepository
from crm_sales.domain.base import utcnow
from crm_sales.domain.commands import Assign, CompleteTask, PlanTask, RescheduleTask
from crm_sales.domain.tasks import Task
from crm_sales.service_layer.access import (
    SELLERS,
    change_record,
    contact_of,
    customer_to_work_with,
    is_manager,
    require,
    require_manager,
)
from crm_sales.service_layer.unit_of_work import SalesUnitOfWork


def _tasks(uow: SalesUnitOfWork) -> TaskRepository:
    return uow.tasks


async def plan_task(*, uow: SalesUnitOfWork, cmd: PlanTask, principal: Principal) -> Task:
    """A rep plans for themself; a manager may plan for any rep (003: managers assign)."""
    require(principal, SELLERS, "plan tasks")
    assignee = cmd.assignee_id or principal.user_id
    if assignee != principal.user_id and not is_manager(principal):
        raise Forbidden("Only a manager assigns tasks to someone else.")
    async with uow:
        customer = await customer_to_work_with(uow, principal, cmd.customer_id)
        if cmd.contact_id is not None:
            await contact_of(uow, principal, cmd.contact_id, customer.customer_id)
        if cmd.opportunity_id is not None:
            opportunity = await uow.opportunities.get(cmd.opportunity_id, visible_to=principal)
            if opportunity is None or opportunity.customer_id != customer.customer_id:
                raise InvalidInput(
                    "No such opportunity of this customer.",
                    errors=[FieldError("opportunity_id", "unknown opportunity of this customer")],
                )
        task = Task.plan(
            tenant_id=principal.tenant,
            customer_id=customer.customer_id,
            branch_id=customer.branch_id,
            subject=cmd.subject,
            method=cmd.method,
            start_at=cmd.start_at,
            duration_minutes=cmd.duration_minutes,
            assignee_id=assignee,
            reminder_at=cmd.reminder_at,
            contact_id=cmd.contact_id,
            opportunity_id=cmd.opportunity_id,
            created_by=principal.user_id,
        )
        uow.tasks.add(task)
        await uow.commit()
    return task


async def reschedule_task(
    *, uow: SalesUnitOfWork, cmd: RescheduleTask, principal: Principal
) -> Task:
    """Move a task; its reminder moves with it unless given."""
    require(principal, SELLERS, "reschedule tasks")
    return await change_record(
        uow,
        _tasks,
        cmd,
        principal,
        lambda t: t.reschedule(
            start_at=cmd.start_at,
            duration_minutes=cmd.duration_minutes,
            reminder_at=cmd.reminder_at,
            by=principal.user_id,
        ),
    )


async def reassign_task(*, uow: SalesUnitOfWork, cmd: Assign, principal: Principal) -> Task:
    """A manager gives a task to another rep."""
    require_manager(principal, "give a task to another rep")
    return await change_record(
        uow, _tasks, cmd, principal, lambda t: t.reassign(cmd.assignee_id, by=principal.user_id)
    )


async def complete_task(*, uow: SalesUnitOfWork, cmd: CompleteTask, principal: Principal) -> Task:
    """The assignee (or a manager) marks it done."""
    require(principal, SELLERS, "complete tasks")

    def complete(task: Task) -> None:
        if task.assignee_id != principal.user_id and not is_manager(principal):
            raise Forbidden("Only the assignee or a manager completes a task.")
        task.complete(by=principal.user_id, now=utcnow(), outcome=cmd.outcome)

    return await change_record(uow, _tasks, cmd, principal, complete)
