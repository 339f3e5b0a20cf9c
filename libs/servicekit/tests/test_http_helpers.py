"""If-Match parsing and how validation errors name their fields."""

from __future__ import annotations

import pytest
from servicekit.concurrency import check_version, etag, parse_if_match
from servicekit.errors import PreconditionFailed, PreconditionRequired, _field_path


def test_an_etag_round_trips_through_if_match():
    assert parse_if_match(etag(7)) == 7
    assert parse_if_match('W/"7"') == 7


def test_if_match_star_accepts_any_version():
    assert parse_if_match("*") is None
    check_version(None, 42)


def test_an_update_without_if_match_is_refused_with_428():
    with pytest.raises(PreconditionRequired):
        parse_if_match(None)


def test_a_stale_version_fails_the_precondition():
    with pytest.raises(PreconditionFailed, match="version 3"):
        check_version(3, 4)


def test_garbage_in_if_match_fails_the_precondition():
    with pytest.raises(PreconditionFailed):
        parse_if_match('"abc"')


@pytest.mark.parametrize(
    ("loc", "field"),
    [
        (("body", "name"), "name"),
        (("body", "contacts", 0, "phone"), "contacts[0].phone"),
        (("query", "limit"), "limit"),
        (("body",), "body"),
    ],
)
def test_validation_errors_name_the_field_as_the_client_sent_it(loc, field):
    assert _field_path(loc) == field
