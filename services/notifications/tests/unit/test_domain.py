"""Domain rules without a database: retry schedule, signatures, patterns, cursors, SSRF."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from crm_contracts import all_specs
from crm_notifications.domain import retry, signing
from crm_notifications.domain.cursor import FeedPosition, InvalidCursor
from crm_notifications.domain.patterns import InvalidPattern, check_pattern, matches, to_like
from crm_notifications.domain.rules import (
    RULES,
    Channel,
    Rule,
    RuleSetting,
    UserField,
    applies,
    effective_channels,
    without_actor,
)
from crm_notifications.domain.ssrf import UnsafeUrl, address_problem, check_addresses, split_url
from standardwebhooks import Webhook

T0 = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)


def test_webhook_retries_follow_the_standard_webhooks_schedule() -> None:
    now, waits = T0, []
    for attempts in range(1, 20):
        later = retry.next_webhook_attempt(attempts, now)
        if later is None:
            break
        waits.append(later - now)
        now = later

    assert waits == [
        timedelta(seconds=5),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=5),
        timedelta(hours=10),
        timedelta(hours=14),
        timedelta(hours=20),
        timedelta(hours=24),
    ]
    assert retry.next_webhook_attempt(10, now) is None  # ten attempts in all


def test_retry_after_is_honoured_but_never_shortens_the_schedule() -> None:
    assert retry.next_webhook_attempt(1, T0, timedelta(minutes=10)) == T0 + timedelta(minutes=10)
    assert retry.next_webhook_attempt(3, T0, timedelta(seconds=1)) == T0 + timedelta(minutes=30)
    assert retry.next_webhook_attempt(1, T0, timedelta(days=9)) == T0 + timedelta(hours=24)


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert retry.parse_retry_after("120", T0) == timedelta(seconds=120)
    assert retry.parse_retry_after("Mon, 16 Mar 2026 09:05:00 GMT", T0) == timedelta(minutes=5)
    assert retry.parse_retry_after("soon", T0) is None
    assert retry.parse_retry_after(None, T0) is None


def test_an_endpoint_failing_for_five_days_is_due_for_disabling() -> None:
    five = timedelta(days=5)
    assert not retry.failing_too_long(None, T0, five)
    assert not retry.failing_too_long(T0, T0 + five - timedelta(seconds=1), five)
    assert retry.failing_too_long(T0, T0 + five, five)


def test_signatures_verify_with_the_public_standardwebhooks_library() -> None:
    secret = signing.new_secret()
    body = b'{"type":"crm.sales.opportunity.won.v1"}'
    timestamp = int(datetime.now(UTC).timestamp())
    headers = signing.headers(secret, "msg-1", timestamp, body)

    assert secret.startswith("whsec_")
    assert Webhook(secret).verify(body, headers) == {"type": "crm.sales.opportunity.won.v1"}
    with pytest.raises(Exception, match="signature"):
        Webhook(signing.new_secret()).verify(body, headers)


def test_type_patterns_match_with_stars_and_escape_for_sql() -> None:
    assert matches("crm.sales.*", "crm.sales.opportunity.won.v1")
    assert matches("*", "crm.customers.customer.created.v1")
    assert matches("crm.*.loss_alarm_raised.v1", "crm.sales.quote.loss_alarm_raised.v1")
    assert not matches("crm.sales.*", "crm.customers.customer.created.v1")
    assert not matches("crm.sales.quote.created.v1", "crm.sales.quote.created.v10")
    assert to_like("crm.sales.quote_*") == "crm.sales.quote\\_%"
    with pytest.raises(InvalidPattern):
        check_pattern("crm.sales.%")


def test_feed_cursors_are_opaque_ordered_and_checked() -> None:
    first, second = FeedPosition(10, 7), FeedPosition(11, 3)

    assert FeedPosition.decode(first.encode()) == first
    assert first < second
    with pytest.raises(InvalidCursor):
        FeedPosition.decode("not-a-cursor")


def test_webhook_urls_must_not_reach_private_addresses() -> None:
    assert split_url("https://erp.example.com/hooks") == ("erp.example.com", 443)
    for bad in ("ftp://x.example", "https://user:pw@x.example/", "https:///nohost"):
        with pytest.raises(UnsafeUrl):
            split_url(bad)
    for private in ("127.0.0.1", "10.1.2.3", "192.168.0.5", "169.254.169.254", "::1", "fd00::1"):
        assert address_problem(private) is not None, private
    assert address_problem("::ffff:127.0.0.1") is not None
    assert address_problem("93.184.216.34") is None
    with pytest.raises(UnsafeUrl, match="private"):
        check_addresses("intranet.example", ["10.0.0.8"], [])
    check_addresses("127.0.0.1", ["127.0.0.1"], ["127.0.0.1"])  # allowed by setting


def test_tenants_switch_rules_off_or_choose_channels() -> None:
    rule = Rule("r", "R", on=("t",), to=(UserField("u"),))

    assert effective_channels(rule, None) == {Channel.INBOX, Channel.EMAIL}
    assert effective_channels(rule, RuleSetting(enabled=False)) == frozenset()
    only_inbox = RuleSetting(channels=frozenset({Channel.INBOX}))
    assert effective_channels(rule, only_inbox) == {Channel.INBOX}


def test_a_customer_moved_by_a_merge_is_no_news_to_its_owner() -> None:
    rule = RULES.get("customer.assigned")
    assert rule is not None

    assert applies(rule, {"new_owner_id": "rep", "reason": "assigned"})
    assert not applies(rule, {"new_owner_id": "rep", "reason": "merged"})
    assert not applies(rule, {"new_owner_id": None, "reason": "returned_to_pool"})


def test_nobody_is_told_about_their_own_act() -> None:
    rule = Rule("r", "R", on=("t",), to=(UserField("u"),), actor="by")

    assert without_actor(rule, {"by": "mgr"}, ["rep", "mgr", "rep"]) == ["rep"]


def test_every_rule_reacts_to_published_event_types() -> None:
    published = {spec.type for spec in all_specs()}

    assert RULES.event_types() - published == set()
    for needed in (
        "crm.customers.customer.owner_changed.v1",
        "crm.sales.task.created.v1",
        "crm.sales.contract.expiring.v1",
        "crm.sales.quote.loss_alarm_raised.v1",
        "crm.service-desk.ticket.sla_breached.v1",
        "crm.customers.customer.pool_return_warning.v1",
    ):
        assert RULES.for_type(needed), needed
