"""Customer rules without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from crm_contracts.customers import LifecycleStage, OwnerChangeReason
from crm_customers.domain import events
from crm_customers.domain.interaction import Channel, Interaction
from crm_customers.domain.model import ConflictError, Customer, DomainError
from crm_customers.domain.normalise import normalise_email, normalise_name, normalise_phone
from crm_customers.domain.policy import (
    DEMO_REQUIRED,
    CustomFieldDefinition,
    CustomFieldType,
    TenantPolicy,
    completeness,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def customer(**kw) -> Customer:
    values = {"tenant_id": "t", "branch_id": "north", "created_by": "u", "name": "Acme"}
    values.update(kw)
    return Customer.create(now=NOW, **values)


def test_churning_needs_a_reason():
    c = customer(lifecycle_stage=LifecycleStage.CUSTOMER)
    with pytest.raises(DomainError, match="reason"):
        c.change_stage(LifecycleStage.CHURNED, reason=" ", by="m")
    c.change_stage(LifecycleStage.CHURNED, reason="price", by="m")
    assert c.lifecycle_reason == "price"
    assert isinstance(c.events[-1], events.LifecycleChanged)


def test_a_lead_cannot_churn_before_it_was_a_customer():
    with pytest.raises(ConflictError, match="cannot become churned"):
        customer().change_stage(LifecycleStage.CHURNED, reason="x", by="m")


def test_a_won_deal_makes_a_prospect_a_customer_but_leaves_a_customer_alone():
    prospect = customer(lifecycle_stage=LifecycleStage.PROSPECT)
    assert prospect.won_deal(1000.0, by="system")
    assert prospect.lifecycle_stage is LifecycleStage.CUSTOMER
    assert not prospect.won_deal(500.0, by="system")
    assert prospect.revenue == 1500.0


def test_a_claimed_customer_cannot_be_claimed_again():
    c = customer()
    c.claim("rep1", rep_branch="north", now=NOW)
    with pytest.raises(ConflictError, match="claimed"):
        c.claim("rep2", rep_branch="north", now=NOW)
    change = c.events[-1]
    assert isinstance(change, events.OwnerChanged)
    assert change.reason is OwnerChangeReason.CLAIMED


def test_a_rep_cannot_claim_from_another_branch_pool():
    with pytest.raises(ConflictError, match="branch"):
        customer().claim("rep", rep_branch="south", now=NOW)


def test_an_interaction_resets_the_idle_clock():
    c = customer(owner_id="rep")
    assert c.idle_since() == NOW
    c.touched_by_interaction(NOW + timedelta(days=10))
    assert c.idle_since() == NOW + timedelta(days=10)


def test_merging_fills_gaps_from_the_duplicate_and_retires_it():
    keep = customer(phone=None, tags=["a"])
    dup = customer(phone="+86 571 8888 6666", tags=["b"], industry="retail")
    keep.absorb(dup, by="m", now=NOW)
    assert keep.phone == "+86 571 8888 6666"
    assert keep.industry == "retail"
    assert keep.tags == ["a", "b"]
    assert dup.merged_into == keep.id
    assert dup.deleted_at == NOW
    with pytest.raises(ConflictError):
        dup.update({"name": "x"}, by="m")


def test_a_closed_interaction_can_be_neither_changed_nor_deleted():
    i = Interaction.log(
        tenant_id="t",
        customer_id=customer().id,
        author_id="rep",
        occurred_at=NOW,
        place="office",
        channel=Channel.CALL,
        content="c",
        outcome="o",
        next_step="n",
        next_step_due=date(2026, 11, 30),
    )
    i.close(by="rep", now=NOW)
    with pytest.raises(ConflictError):
        i.edit({"outcome": "changed"})
    with pytest.raises(ConflictError):
        i.delete(now=NOW)


def test_the_policy_lists_every_missing_field_including_custom_ones():
    policy = TenantPolicy(
        required_fields=DEMO_REQUIRED,
        custom_fields={
            "region": CustomFieldDefinition(
                "region", "Region", CustomFieldType.CHOICE, ("east", "west"), required=True
            )
        },
    )
    missing = policy.missing_fields({"name": "Acme", "phone": "1", "address": "  "})
    assert missing == [
        "category",
        "industry",
        "fax",
        "contact_name",
        "postal_code",
        "address",
        "custom_fields.region",
    ]


@pytest.mark.parametrize(
    ("kind", "value", "stored"),
    [
        (CustomFieldType.NUMBER, "12.5", 12.5),
        (CustomFieldType.NUMBER, 3, 3),
        (CustomFieldType.DATE, "2026-01-31", "2026-01-31"),
        (CustomFieldType.TEXT, "hi", "hi"),
    ],
)
def test_custom_field_values_are_coerced(kind, value, stored):
    assert CustomFieldDefinition("k", "K", kind).coerce(value) == stored


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (CustomFieldType.NUMBER, "many"),
        (CustomFieldType.NUMBER, True),
        (CustomFieldType.DATE, "31/01/2026"),
        (CustomFieldType.CHOICE, "north"),
    ],
)
def test_invalid_custom_field_values_are_refused(kind, value):
    with pytest.raises(ValueError, match="must"):
        CustomFieldDefinition("k", "K", kind, ("east",)).coerce(value)


def test_completeness_is_the_share_of_standard_fields_filled():
    assert completeness({"name": "A", "phone": "1"}) == 0.2


def test_the_same_company_typed_two_ways_has_one_key():
    assert normalise_name("Hangzhou Xinyuan Trading Co., Ltd.") == normalise_name(
        "hangzhou  xinyuan trading"
    )
    assert normalise_name("杭州新元贸易有限公司") == normalise_name("杭州新元贸易")
    assert normalise_phone("0571-8888 6666") == normalise_phone("+86 571 88886666")
    assert normalise_email(" Li.Wei@Example.CN ") == "li.wei@example.cn"
