"""time_window away from DST changes (SPEC §1 table, §2.1 "Time windows").

The reference `now`, 2026-03-20T14:00:00Z, is a Friday (day 5; 0 = Sunday … 6 = Saturday).
DST days are in test_time_window_dst.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import assert_blocks, assert_passes, candidate, decide_one, entry, policy, request

FRIDAY = "2026-03-20"
SATURDAY = "2026-03-21"
SUNDAY = "2026-03-22"
NEXT_FRIDAY = "2026-03-27"


def window(**config: Any) -> dict[str, Any]:
    scope = config.pop("_scope", None)
    if scope is not None:
        return policy("time_window", config, name="window", scope=scope[0], scope_id=scope[1])
    return policy("time_window", config, name="window")


def at(day: str, hhmmss: str, **kw: Any) -> dict[str, Any]:
    return decide_one([kw.pop("p")], request(now=f"{day}T{hhmmss}Z", **kw))


def assert_open(p: dict[str, Any], day: str, hhmmss: str, **kw: Any) -> None:
    assert_passes(at(day, hhmmss, p=p, **kw), "window")


def assert_closed(
    p: dict[str, Any], day: str, hhmmss: str, eligible: str | None, **kw: Any
) -> dict[str, Any]:
    return assert_blocks(at(day, hhmmss, p=p, **kw), "window", eligible)


# -- hours -------------------------------------------------------------------------------------
def test_inside_the_window_passes() -> None:
    assert_open(window(startHour=8, endHour=20), FRIDAY, "14:00:00")


def test_start_hour_is_inclusive_end_hour_exclusive() -> None:
    p = window(startHour=8, endHour=20)
    assert_open(p, FRIDAY, "08:00:00")
    assert_open(p, FRIDAY, "19:59:59")
    assert_closed(p, FRIDAY, "07:59:59", f"{FRIDAY}T08:00:00Z")
    assert_closed(p, FRIDAY, "20:00:00", f"{SATURDAY}T08:00:00Z")


def test_outside_before_start_opens_today() -> None:
    block = assert_closed(window(startHour=15, endHour=20), FRIDAY, "14:00:00", f"{FRIDAY}T15:00:00Z")
    details = block["details"]
    assert details["currentDay"] == 5
    assert details["currentHour"] == 14
    assert details["startHour"] == 15
    assert details["endHour"] == 20


def test_eligible_at_is_a_whole_minute_after_now() -> None:
    assert_closed(window(startHour=15, endHour=20), FRIDAY, "14:59:30", f"{FRIDAY}T15:00:00Z")
    assert_closed(window(startHour=15, endHour=20), FRIDAY, "14:59:59", f"{FRIDAY}T15:00:00Z")


def test_only_start_hour_means_until_midnight() -> None:
    p = window(startHour=15)
    assert_closed(p, FRIDAY, "14:00:00", f"{FRIDAY}T15:00:00Z")
    assert_open(p, FRIDAY, "15:00:00")
    assert_open(p, FRIDAY, "23:59:59")
    assert_closed(p, SATURDAY, "00:00:00", f"{SATURDAY}T15:00:00Z")


def test_only_end_hour_means_from_midnight() -> None:
    p = window(endHour=14)
    assert_open(p, FRIDAY, "00:00:00")
    assert_open(p, FRIDAY, "13:59:59")
    assert_closed(p, FRIDAY, "14:00:00", f"{SATURDAY}T00:00:00Z")


def test_end_hour_24_is_midnight() -> None:
    p = window(startHour=20, endHour=24)
    assert_open(p, FRIDAY, "23:59:59")
    assert_closed(p, FRIDAY, "14:00:00", f"{FRIDAY}T20:00:00Z")
    assert_open(window(startHour=0, endHour=24), FRIDAY, "14:00:00")


@pytest.mark.parametrize("moment", ["00:00:00", "14:00:00", "23:59:59"])
def test_neither_hour_is_the_whole_day(moment: str) -> None:
    assert_open(window(), FRIDAY, moment)
    assert_open(window(daysOfWeek=[5]), FRIDAY, moment)


@pytest.mark.parametrize("hour", [0, 9, 23])
def test_start_equal_to_end_is_never_open(hour: int) -> None:
    decision = at(FRIDAY, "14:00:00", p=window(startHour=hour, endHour=hour))
    assert_blocks(decision, "window", None)  # no opening in the next 15 days
    assert decision["eligibleAt"] is None


def test_start_hour_zero_end_hour_zero_is_never_open() -> None:
    # 0 == 0: "startHour == endHour → never open" (not a whole day)
    assert_closed(window(startHour=0, endHour=0), FRIDAY, "00:30:00", None)


# -- overnight windows -------------------------------------------------------------------------
def test_overnight_window_wraps_past_midnight() -> None:
    p = window(startHour=22, endHour=6)
    assert_open(p, FRIDAY, "22:00:00")
    assert_open(p, FRIDAY, "23:59:59")
    assert_open(p, FRIDAY, "00:00:00")
    assert_open(p, FRIDAY, "05:59:59")
    assert_closed(p, FRIDAY, "06:00:00", f"{FRIDAY}T22:00:00Z")
    assert_closed(p, FRIDAY, "14:00:00", f"{FRIDAY}T22:00:00Z")
    assert_closed(p, FRIDAY, "21:59:59", f"{FRIDAY}T22:00:00Z")


def test_overnight_window_days_are_the_local_calendar_day_friday_0200_open() -> None:
    # SPEC: "a 22→6 window on Friday is open Friday 02:00, closed Saturday 02:00"
    p = window(startHour=22, endHour=6, daysOfWeek=[5])
    assert_open(p, FRIDAY, "02:00:00")
    assert_open(p, FRIDAY, "23:00:00")


def test_overnight_window_saturday_0200_closed_when_saturday_not_allowed() -> None:
    p = window(startHour=22, endHour=6, daysOfWeek=[0, 1, 2, 3, 4, 5])
    # Saturday 02:00 is closed although Friday 22:00 was allowed; it opens Sunday 00:00
    block = assert_closed(p, SATURDAY, "02:00:00", f"{SUNDAY}T00:00:00Z")
    assert block["details"]["currentDay"] == 6
    assert block["details"]["allowedDays"] == [0, 1, 2, 3, 4, 5]


def test_overnight_window_only_friday_reopens_next_friday_midnight() -> None:
    p = window(startHour=22, endHour=6, daysOfWeek=[5])
    assert_closed(p, SATURDAY, "02:00:00", f"{NEXT_FRIDAY}T00:00:00Z")


# -- days of week ------------------------------------------------------------------------------
def test_days_of_week_only() -> None:
    assert_open(window(daysOfWeek=[5]), FRIDAY, "14:00:00")
    assert_closed(window(daysOfWeek=[1]), FRIDAY, "14:00:00", "2026-03-23T00:00:00Z")  # Monday
    assert_closed(window(daysOfWeek=[6, 0]), FRIDAY, "23:59:59", f"{SATURDAY}T00:00:00Z")


def test_days_and_hours_next_allowed_day_at_start_hour() -> None:
    p = window(startHour=9, endHour=17, daysOfWeek=[5])
    assert_open(p, FRIDAY, "09:00:00")
    assert_closed(p, FRIDAY, "17:00:00", f"{NEXT_FRIDAY}T09:00:00Z")
    p = window(startHour=9, endHour=17, daysOfWeek=[1, 2, 3, 4, 5])
    assert_closed(p, FRIDAY, "17:00:00", "2026-03-23T09:00:00Z")


def test_empty_days_of_week_blocks_with_null_eligible_at() -> None:
    for p in (window(daysOfWeek=[]), window(startHour=0, endHour=24, daysOfWeek=[])):
        assert_closed(p, FRIDAY, "14:00:00", None)


def test_repeated_days_of_week() -> None:
    assert_open(window(daysOfWeek=[5, 5, 5]), FRIDAY, "14:00:00")


# -- time zones --------------------------------------------------------------------------------
def test_policy_timezone() -> None:
    # 14:00Z is 10:00 in New York (EDT since 2026-03-08)
    p = window(startHour=11, endHour=20, timezone="America/New_York")
    block = assert_closed(p, FRIDAY, "14:00:00", f"{FRIDAY}T15:00:00Z")
    assert block["details"]["currentHour"] == 10
    assert_open(window(startHour=10, endHour=11, timezone="America/New_York"), FRIDAY, "14:00:00")


def test_customer_timezone_when_the_policy_has_none() -> None:
    # 14:00Z is Friday 23:00 in Tokyo: outside 8–20; it opens Saturday 08:00 JST = Friday 23:00Z
    p = window(startHour=8, endHour=20)
    tokyo = {"timezone": "Asia/Tokyo"}
    block = assert_closed(p, FRIDAY, "14:00:00", f"{FRIDAY}T23:00:00Z", customer=tokyo)
    assert block["details"]["currentHour"] == 23


def test_customer_timezone_decides_the_local_day() -> None:
    # 16:00Z Friday is 01:00 Saturday in Tokyo; next Friday 00:00 JST is Thursday 15:00Z
    p = window(daysOfWeek=[5])
    block = assert_closed(p, FRIDAY, "16:00:00", "2026-03-26T15:00:00Z", customer={"timezone": "Asia/Tokyo"})
    assert block["details"]["currentDay"] == 6
    assert_open(p, FRIDAY, "14:59:59", customer={"timezone": "Asia/Tokyo"})  # 23:59:59 Friday


def test_policy_timezone_wins_over_customer_timezone() -> None:
    p = window(startHour=8, endHour=20, timezone="UTC")
    assert_open(p, FRIDAY, "14:00:00", customer={"timezone": "Asia/Tokyo"})
    p = window(startHour=8, endHour=20, timezone="Asia/Tokyo")
    assert_closed(p, FRIDAY, "14:00:00", f"{FRIDAY}T23:00:00Z", customer={"timezone": "UTC"})


@pytest.mark.parametrize(
    "customer", [{}, {"timezone": None}, {"timezone": ""}, {"timezone": "Mars/Olympus_Mons"}]
)
def test_missing_or_unknown_customer_timezone_means_utc(customer: dict[str, Any]) -> None:
    p = window(startHour=13, endHour=15)
    assert_open(p, FRIDAY, "14:00:00", customer=customer)
    assert_closed(p, FRIDAY, "15:00:00", f"{SATURDAY}T13:00:00Z", customer=customer)


@pytest.mark.parametrize("name", ["America", "x" * 300])
def test_unknown_customer_timezone_that_is_not_a_zone_file_means_utc(name: str) -> None:
    # "America" is a directory of the tz database, not a zone; a 300-character name is too
    # long for a file name. Both are unknown timezones: SPEC §2.1 "A missing or unknown
    # customer timezone means UTC."
    assert_open(window(startHour=13, endHour=15), FRIDAY, "14:00:00", customer={"timezone": name})


def test_half_hour_zone_opens_on_the_local_hour() -> None:
    # 14:00Z is 19:30 in Kolkata (+05:30): 20:00 IST is 14:30Z
    p = window(startHour=20, endHour=22, timezone="Asia/Kolkata")
    block = assert_closed(p, FRIDAY, "14:00:00", f"{FRIDAY}T14:30:00Z")
    assert block["details"]["currentHour"] == 19


def test_quarter_hour_zone_opens_on_the_local_hour() -> None:
    # Pacific/Chatham is +13:45 in March (daylight time): 14:00Z is Saturday 03:45 local;
    # 04:00 local is 14:15Z
    p = window(startHour=4, endHour=5, timezone="Pacific/Chatham")
    assert_closed(p, FRIDAY, "14:00:00", f"{FRIDAY}T14:15:00Z")


# -- scope ---------------------------------------------------------------------------------------
def test_time_window_applies_only_in_scope() -> None:
    p = window(startHour=8, endHour=9, _scope=("channel", "ch_sms"))
    email = at(FRIDAY, "14:00:00", p=p)
    assert email["allowed"] is True
    assert entry(email, "window")["result"] == "not_in_scope"
    sms = at(FRIDAY, "14:00:00", p=p, candidates=[candidate(channel="ch_sms", channel_type="sms")])
    assert_blocks(sms, "window", f"{SATURDAY}T08:00:00Z")


def test_overnight_window_ending_at_midnight() -> None:
    # 23 → 0 wraps: open from 23:00 to midnight only
    p = window(startHour=23, endHour=0)
    assert_open(p, FRIDAY, "23:00:00")
    assert_closed(p, FRIDAY, "00:00:00", f"{FRIDAY}T23:00:00Z")
    assert_closed(p, FRIDAY, "14:00:00", f"{FRIDAY}T23:00:00Z")
