"""Readable times in test files: relative to `now`, ISO 8601, offsets and named zones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cpol.testing.times import TimeError, is_relative, iso, parse_duration, parse_time

NOW = datetime(2026, 3, 20, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("now", timedelta(0)),
        ("3 days ago", timedelta(days=-3)),
        ("2 hours ago", timedelta(hours=-2)),
        ("90 minutes ago", timedelta(minutes=-90)),
        ("30 seconds ago", timedelta(seconds=-30)),
        ("1 week ago", timedelta(weeks=-1)),
        ("an hour ago", timedelta(hours=-1)),
        ("a day ago", timedelta(days=-1)),
        ("1.5 hours ago", timedelta(minutes=-90)),
        ("1 day 6 hours ago", timedelta(hours=-30)),
        ("1 day, 6 hours and 5 minutes ago", timedelta(hours=-30, minutes=-5)),
        ("6 days 23 hours 59 minutes 59 seconds ago", timedelta(days=-7, seconds=1)),
        ("3d ago", timedelta(days=-3)),
        ("2h ago", timedelta(hours=-2)),
        ("in 2 days", timedelta(days=2)),
        ("in 36 hours", timedelta(hours=36)),
        ("2 days from now", timedelta(days=2)),
        ("now - 3 days", timedelta(days=-3)),
        ("now + 90 minutes", timedelta(minutes=90)),
        ("  In   2   Days ", timedelta(days=2)),
    ],
)
def test_relative_times(text: str, delta: timedelta) -> None:
    assert is_relative(text)
    assert parse_time(text, NOW) == NOW + delta


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-19T10:00:00Z", "2026-03-19T10:00:00Z"),
        ("2026-03-19T10:00Z", "2026-03-19T10:00:00Z"),
        ("2026-03-19 10:00", "2026-03-19T10:00:00Z"),
        ("2026-03-19", "2026-03-19T00:00:00Z"),
        ("2026-03-19T12:00+02:00", "2026-03-19T10:00:00Z"),
        ("2026-03-19T05:00:00-05:00", "2026-03-19T10:00:00Z"),
        ("2026-03-19T10:00:00.250Z", "2026-03-19T10:00:00.250000Z"),
        ("2026-03-20 07:59 America/New_York", "2026-03-20T11:59:00Z"),
        ("2026-01-20 07:59 America/New_York", "2026-01-20T12:59:00Z"),
        ("2026-03-20 09:00 UTC", "2026-03-20T09:00:00Z"),
    ],
)
def test_absolute_times(text: str, expected: str) -> None:
    assert not is_relative(text)
    assert iso(parse_time(text, None)) == expected
    assert iso(parse_time(text, NOW)) == expected  # `now` does not matter


@pytest.mark.parametrize(
    ("text", "message", "hint"),
    [
        ("3 months ago", "`months` is not a fixed length of time", "30 days"),
        ("2 years ago", "`years` is not a fixed length of time", "days or weeks"),
        ("3 fortnights ago", "unknown unit of time `fortnights`", "seconds, minutes, hours, days, weeks"),
        ("yesterday", "`yesterday` is not a time cpol can read", "3 days ago"),
        ("", "a time cannot be empty", None),
        ("2026-13-01", "`2026-13-01` is not a time cpol can read", None),
        ("2026-03-20 08:00 Mars/Olympus", "unknown time zone `Mars/Olympus`", "America/New_York"),
        ("2026-03-20T08:00+01:00 Europe/Paris", "gives both an offset and a zone", "keep one"),
    ],
)
def test_unreadable_times(text: str, message: str, hint: str | None) -> None:
    with pytest.raises(TimeError) as caught:
        parse_time(text, NOW)
    assert message in caught.value.message
    if hint is not None:
        assert caught.value.hint is not None and hint in caught.value.hint


def test_relative_time_needs_an_absolute_now() -> None:
    with pytest.raises(TimeError, match="relative to `now`"):
        parse_time("3 days ago", None)


def test_a_local_time_skipped_by_daylight_saving_is_an_error() -> None:
    with pytest.raises(TimeError) as caught:
        parse_time("2026-03-08 02:30 America/New_York", None)
    assert "does not exist in America/New_York" in caught.value.message
    assert caught.value.hint == "the first time after the gap is 2026-03-08 03:30"


def test_an_ambiguous_local_time_is_the_first_one() -> None:
    # 01:30 happens twice on 2026-11-01 in New York: first in EDT (UTC-4)
    assert iso(parse_time("2026-11-01 01:30 America/New_York", None)) == "2026-11-01T05:30:00Z"


def test_durations() -> None:
    assert parse_duration("1 day 6 hours") == timedelta(hours=30)
    with pytest.raises(TimeError):
        parse_duration("soon")
