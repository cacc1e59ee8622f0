"""The keyset cursors on (an instant, an id): the pattern the API states admits exactly what the server reads."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from delegation.core.clocks import SHANGHAI
from delegation.reading import cursors

PATTERN = cursors.pattern("np")


@settings(max_examples=300)
@given(st.from_regex(PATTERN, fullmatch=True).filter(lambda c: "\n" not in c))
def test_every_string_the_pattern_admits_is_a_cursor_the_server_reads(cursor: str) -> None:
    tag, at, ident = cursors.decode("np", cursor)
    assert tag in "np" and at.tzinfo is not None and 0 <= ident <= cursors.MAX_ID
    assert cursors.encode(tag, at, ident) == cursor


@given(
    st.sampled_from("np"),
    st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2286, 1, 1), timezones=st.just(UTC)),
    st.integers(min_value=0, max_value=cursors.MAX_ID),
)
def test_every_cursor_the_server_hands_out_matches_the_pattern_and_reads_back(
    tag: str, at: datetime, ident: int
) -> None:
    cursor = cursors.encode(tag, at, ident)
    assert re.match(PATTERN, cursor)
    assert cursors.decode("np", cursor) == (tag, at, ident)


def test_an_instant_in_another_zone_is_the_same_key() -> None:
    at = datetime(2026, 3, 10, 9, 0, tzinfo=UTC) + timedelta(microseconds=7)
    shanghai = at.astimezone(SHANGHAI)
    assert cursors.encode("n", at, 1) == cursors.encode("n", shanghai, 1) == "n1773133200000007.1"


def test_ids_beyond_a_database_integer_and_other_tags_are_refused() -> None:
    for cursor in ("n1.2147483648", "x1.1", "n.1", "n1.", "n1.1.1", "n١.1", ""):
        assert not re.match(PATTERN, cursor)
        try:
            cursors.decode("np", cursor)
        except ValueError:
            continue
        raise AssertionError(cursor)
