"""Subscription periods: expiring ahead (once), not renewed after the end, renewal."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest
from crm_contracts.sales import ContractStatus
from crm_sales.domain import events
from crm_sales.domain.errors import DomainError, StateConflict
from crm_sales.domain.subscriptions import Contract


def a_contract(start: date = date(2026, 1, 1), end: date = date(2026, 12, 31)) -> Contract:
    return Contract.start(
        tenant_id="acme",
        customer_id=uuid4(),
        branch_id="north",
        name="Forklift rental",
        start_date=start,
        end_date=end,
        created_by="north-rep",
    )


def test_a_contract_becomes_expiring_when_its_end_is_within_the_notice_and_only_once() -> None:
    contract = a_contract()

    assert not contract.review(today=date(2026, 11, 30), days_ahead=30)  # 31 days left
    assert contract.review(today=date(2026, 12, 1), days_ahead=30)
    assert not contract.review(today=date(2026, 12, 2), days_ahead=30)

    assert contract.status is ContractStatus.EXPIRING
    assert [r.event for r in contract.events[1:]] == [events.Expiring(days_left=30)]


@pytest.mark.parametrize("flagged_first", [True, False])
def test_a_contract_past_its_end_without_renewal_is_not_renewed(flagged_first: bool) -> None:
    contract = a_contract()
    if flagged_first:
        contract.review(today=date(2026, 12, 20), days_ahead=30)

    assert not contract.review(today=date(2026, 12, 31), days_ahead=30) or not flagged_first
    assert contract.review(today=date(2027, 1, 1), days_ahead=30)

    assert contract.status is ContractStatus.NOT_RENEWED
    assert isinstance(contract.events[-1].event, events.NotRenewed)
    assert not contract.review(today=date(2027, 1, 2), days_ahead=30)


def test_renewal_creates_the_next_period_of_the_same_length_from_the_next_day() -> None:
    contract = a_contract(date(2026, 1, 1), date(2026, 6, 30))

    following = contract.renew(by="north-rep")

    assert (following.start_date, following.end_date) == (date(2026, 7, 1), date(2026, 12, 31))
    assert following.previous_id == contract.id
    assert (contract.status, contract.next_id) == (ContractStatus.RENEWED, following.id)
    assert contract.events[-1].event == events.Renewed(
        next_contract_id=following.id,
        next_start_date=date(2026, 7, 1),
        next_end_date=date(2026, 12, 31),
        renewed_by="north-rep",
    )
    # A renewed period is done: the expiry job leaves it alone.
    assert not contract.review(today=date(2026, 7, 2), days_ahead=30)


@pytest.mark.parametrize(
    ("start", "end", "next_end"),
    [
        (date(2027, 3, 1), date(2028, 2, 29), date(2029, 2, 28)),  # a year stays a year
        (date(2026, 1, 15), date(2026, 2, 14), date(2026, 3, 14)),  # a month from the 15th
        (date(2026, 1, 1), date(2026, 1, 10), date(2026, 1, 20)),  # ten days are ten days
    ],
)
def test_a_period_of_whole_months_renews_for_as_many_months(
    start: date, end: date, next_end: date
) -> None:
    assert a_contract(start, end).renew(by="x").end_date == next_end


def test_a_renewal_may_choose_the_next_end_but_not_before_the_next_start() -> None:
    contract = a_contract()
    with pytest.raises(DomainError) as refused:
        contract.renew(by="x", end_date=date(2026, 12, 31))
    assert refused.value.field == "end_date"

    assert contract.renew(by="x", end_date=date(2027, 3, 31)).end_date == date(2027, 3, 31)


@pytest.mark.parametrize("status", [ContractStatus.NOT_RENEWED, ContractStatus.RENEWED])
def test_a_finished_period_cannot_be_renewed(status: ContractStatus) -> None:
    contract = a_contract()
    contract.status = status

    with pytest.raises(StateConflict, match="cannot be renewed"):
        contract.renew(by="x")


def test_a_contract_covers_the_days_from_its_start_to_its_end() -> None:
    contract = a_contract(date(2026, 1, 1), date(2026, 1, 31))

    assert [contract.covers(date(2026, m, d)) for m, d in [(1, 1), (1, 31), (2, 1)]] == [
        True,
        True,
        False,
    ]


def test_a_contract_cannot_end_before_it_starts() -> None:
    with pytest.raises(DomainError):
        a_contract(date(2026, 2, 1), date(2026, 1, 31))
