"""time_window across daylight-saving changes (SPEC §2.1 "Time windows").

2026: America/New_York springs forward on 2026-03-08 at 02:00 EST (07:00Z → 03:00 EDT)
and falls back on 2026-11-01 at 02:00 EDT (06:00Z → 01:00 EST); Europe/London springs
forward on 2026-03-29 at 01:00 GMT (01:00Z → 02:00 BST) and falls back on 2026-10-25 at
02:00 BST (01:00Z → 01:00 GMT). "On a spring-forward day a start hour that does not exist
opens at the first existing local instant whose hour ≥ startHour."
"""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import assert_blocks, assert_passes, decide_one, policy, request

NY = "America/New_York"
LONDON = "Europe/London"


def window(tz: str, **config: Any) -> dict[str, Any]:
    return policy("time_window", {**config, "timezone": tz}, name="window")


def decision_at(p: dict[str, Any], now: str, **kw: Any) -> dict[str, Any]:
    return decide_one([p], request(now=now, **kw))


def assert_open(p: dict[str, Any], now: str, **kw: Any) -> None:
    assert_passes(decision_at(p, now, **kw), "window")


def assert_closed(p: dict[str, Any], now: str, eligible: str | None, **kw: Any) -> dict[str, Any]:
    decision = decision_at(p, now, **kw)
    block = assert_blocks(decision, "window", eligible)
    assert decision["eligibleAt"] == eligible
    return block


# -- New York, spring forward (2026-03-08) ---------------------------------------------------
@pytest.mark.parametrize("start", [2, 3])
def test_ny_spring_missing_start_hour_opens_at_0300_edt(start: int) -> None:
    # 06:30Z is 01:30 EST; 02:00 local does not exist, the first instant whose hour ≥ 2 is
    # 03:00 EDT = 07:00Z (a start of 3 opens at the same instant)
    block = assert_closed(
        window(NY, startHour=start, endHour=5), "2026-03-08T06:30:00Z", "2026-03-08T07:00:00Z"
    )
    assert block["details"]["currentHour"] == 1


def test_ny_spring_only_start_hour_in_the_gap() -> None:
    assert_closed(window(NY, startHour=2), "2026-03-08T06:30:00Z", "2026-03-08T07:00:00Z")


def test_ny_spring_open_right_after_the_jump() -> None:
    p = window(NY, startHour=2, endHour=5)
    assert_open(p, "2026-03-08T07:00:00Z")  # 03:00 EDT
    assert_closed(p, "2026-03-08T06:59:59Z", "2026-03-08T07:00:00Z")  # 01:59:59 EST


def test_ny_spring_daytime_window_opens_in_the_new_offset() -> None:
    p = window(NY, startHour=8, endHour=20)
    # Saturday 23:00 EST → Sunday 08:00 EDT = 12:00Z (not 13:00Z)
    assert_closed(p, "2026-03-08T04:00:00Z", "2026-03-08T12:00:00Z")
    # the day before, still in EST: Saturday 08:00 EST = 13:00Z
    assert_closed(p, "2026-03-07T04:00:00Z", "2026-03-07T13:00:00Z")
    assert_open(p, "2026-03-08T12:00:00Z")
    assert_closed(p, "2026-03-08T11:59:59Z", "2026-03-08T12:00:00Z")


def test_ny_spring_window_before_the_gap() -> None:
    p = window(NY, startHour=1, endHour=2)
    assert_closed(p, "2026-03-08T05:30:00Z", "2026-03-08T06:00:00Z")  # 00:30 EST → 01:00 EST
    assert_open(p, "2026-03-08T06:59:59Z")  # 01:59:59 EST
    # 03:00 EDT: closed until Monday 01:00 EDT = 05:00Z
    assert_closed(p, "2026-03-08T07:00:00Z", "2026-03-09T05:00:00Z")


def test_ny_spring_end_hour_in_the_gap() -> None:
    p = window(NY, endHour=3)
    assert_open(p, "2026-03-08T06:59:59Z")  # 01:59:59 EST
    assert_closed(p, "2026-03-08T07:00:00Z", "2026-03-09T04:00:00Z")  # Monday 00:00 EDT


def test_ny_spring_sunday_only_window_seen_from_the_week_before() -> None:
    # Monday 2026-03-02 (EST): the next Sunday 08:00 is already EDT, 12:00Z
    p = window(NY, startHour=8, endHour=9, daysOfWeek=[0])
    assert_closed(p, "2026-03-02T12:00:00Z", "2026-03-08T12:00:00Z")


def test_ny_spring_sunday_only_missing_start_hour() -> None:
    p = window(NY, startHour=2, endHour=4, daysOfWeek=[0])
    assert_closed(p, "2026-03-07T12:00:00Z", "2026-03-08T07:00:00Z")


def test_ny_spring_with_the_customer_timezone() -> None:
    p = policy("time_window", {"startHour": 2, "endHour": 5}, name="window")
    assert_closed(p, "2026-03-08T06:30:00Z", "2026-03-08T07:00:00Z", customer={"timezone": NY})


def test_ny_spring_to_the_minute() -> None:
    p = window(NY, startHour=2, endHour=5)
    assert_closed(p, "2026-03-08T06:59:01.5Z", "2026-03-08T07:00:00Z")


# -- New York, fall back (2026-11-01) ----------------------------------------------------------
@pytest.mark.parametrize("now", ["2026-11-01T05:30:00Z", "2026-11-01T06:30:00Z"])
def test_ny_fall_start_after_the_repeated_hour(now: str) -> None:
    # 01:30 EDT and 01:30 EST (the repeated hour) both wait for 02:00 EST = 07:00Z
    block = assert_closed(window(NY, startHour=2, endHour=5), now, "2026-11-01T07:00:00Z")
    assert block["details"]["currentHour"] == 1


def test_ny_fall_window_on_the_repeated_hour() -> None:
    p = window(NY, startHour=1, endHour=2)
    assert_closed(p, "2026-11-01T04:30:00Z", "2026-11-01T05:00:00Z")  # 00:30 EDT → 01:00 EDT
    assert_open(p, "2026-11-01T05:30:00Z")  # 01:30 EDT
    assert_open(p, "2026-11-01T06:30:00Z")  # 01:30 EST
    assert_open(p, "2026-11-01T06:59:59Z")  # 01:59:59 EST
    assert_closed(p, "2026-11-01T07:00:00Z", "2026-11-02T06:00:00Z")  # Monday 01:00 EST


def test_ny_fall_daytime_window_opens_in_the_new_offset() -> None:
    p = window(NY, startHour=8, endHour=20)
    # Saturday 21:00 EDT → Sunday 08:00 EST = 13:00Z
    assert_closed(p, "2026-11-01T01:00:00Z", "2026-11-01T13:00:00Z")
    assert_closed(p, "2026-11-01T12:59:59Z", "2026-11-01T13:00:00Z")
    assert_open(p, "2026-11-01T13:00:00Z")


def test_ny_fall_window_spanning_the_change_stays_open() -> None:
    p = window(NY, startHour=0, endHour=6)
    assert_open(p, "2026-11-01T05:59:59Z")  # 01:59:59 EDT
    assert_open(p, "2026-11-01T06:00:00Z")  # 01:00 EST
    assert_open(p, "2026-11-01T10:59:59Z")  # 05:59:59 EST
    assert_closed(p, "2026-11-01T11:00:00Z", "2026-11-02T05:00:00Z")


def test_ny_fall_end_hour_after_the_repeated_hour() -> None:
    p = window(NY, endHour=2)
    assert_open(p, "2026-11-01T06:59:59Z")  # 01:59:59 EST
    assert_closed(p, "2026-11-01T07:00:00Z", "2026-11-02T05:00:00Z")


# -- London, spring forward (2026-03-29) -----------------------------------------------------------
@pytest.mark.parametrize("start", [1, 2])
def test_london_spring_missing_start_hour_opens_at_0200_bst(start: int) -> None:
    # 00:30 GMT; 01:00 local does not exist: 02:00 BST = 01:00Z
    assert_closed(window(LONDON, startHour=start, endHour=4), "2026-03-29T00:30:00Z", "2026-03-29T01:00:00Z")


def test_london_spring_open_right_after_the_jump() -> None:
    p = window(LONDON, startHour=1, endHour=4)
    assert_open(p, "2026-03-29T01:00:00Z")  # 02:00 BST
    assert_open(p, "2026-03-29T02:59:59Z")  # 03:59:59 BST
    assert_closed(p, "2026-03-29T03:00:00Z", "2026-03-30T00:00:00Z")  # Monday 01:00 BST


def test_london_spring_daytime_window_opens_in_the_new_offset() -> None:
    p = window(LONDON, startHour=8, endHour=20)
    assert_closed(p, "2026-03-28T21:00:00Z", "2026-03-29T07:00:00Z")  # Sunday 08:00 BST
    assert_closed(p, "2026-03-27T21:00:00Z", "2026-03-28T08:00:00Z")  # Saturday 08:00 GMT


def test_london_spring_days_of_week_in_local_time() -> None:
    # Sunday-only window seen late on Saturday: opens Sunday 00:00 GMT, before the change
    p = window(LONDON, daysOfWeek=[0])
    assert_closed(p, "2026-03-28T23:30:00Z", "2026-03-29T00:00:00Z")
    # Monday-only window seen on Sunday: Monday 00:00 BST = Sunday 23:00Z
    p = window(LONDON, daysOfWeek=[1])
    assert_closed(p, "2026-03-29T12:00:00Z", "2026-03-29T23:00:00Z")


# -- London, fall back (2026-10-25) ---------------------------------------------------------------
@pytest.mark.parametrize("now", ["2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z"])
def test_london_fall_start_after_the_repeated_hour(now: str) -> None:
    # 01:30 BST and 01:30 GMT both wait for 02:00 GMT = 02:00Z
    assert_closed(window(LONDON, startHour=2, endHour=6), now, "2026-10-25T02:00:00Z")


def test_london_fall_window_on_the_repeated_hour() -> None:
    p = window(LONDON, startHour=1, endHour=2)
    assert_closed(p, "2026-10-24T23:30:00Z", "2026-10-25T00:00:00Z")  # 00:30 BST → 01:00 BST
    assert_open(p, "2026-10-25T00:30:00Z")  # 01:30 BST
    assert_open(p, "2026-10-25T01:30:00Z")  # 01:30 GMT
    assert_closed(p, "2026-10-25T02:00:00Z", "2026-10-26T01:00:00Z")  # Monday 01:00 GMT


def test_london_fall_daytime_window_opens_in_the_new_offset() -> None:
    p = window(LONDON, startHour=8, endHour=20)
    assert_closed(p, "2026-10-24T21:00:00Z", "2026-10-25T08:00:00Z")  # Sunday 08:00 GMT
    assert_open(p, "2026-10-25T19:59:59Z")
    assert_closed(p, "2026-10-25T20:00:00Z", "2026-10-26T08:00:00Z")


def test_london_fall_midnight_hour_window() -> None:
    p = window(LONDON, startHour=0, endHour=1)
    assert_open(p, "2026-10-24T23:30:00Z")  # Sunday 00:30 BST
    assert_closed(p, "2026-10-25T00:00:00Z", "2026-10-26T00:00:00Z")  # 01:00 BST → Monday 00:00 GMT
