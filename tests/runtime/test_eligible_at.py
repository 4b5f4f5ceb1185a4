"""eligibleAt: exact instants, formatting and how a decision combines its blocks (SPEC §2,
§2.1 "Time")."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from .helpers import (
    NOW_DT,
    SECOND,
    ago,
    assert_blocks,
    decide_one,
    impression,
    interaction,
    iso,
    later,
    policy,
    request,
)

Z_SECONDS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


# -- window caps -------------------------------------------------------------------------------
def test_window_slides_past_the_impression_that_makes_the_count_reach_the_cap() -> None:
    # SPEC §2 example: 3 impressions on ch_email in the last 7 days, cap 3 per week, the
    # oldest at 2026-03-16T09:12:00Z → eligible at 2026-03-23T09:12:00Z
    p = policy(
        "frequency_cap",
        {"maxPerDay": 1, "maxPerWeek": 3},
        name="Email Weekly Cap",
        scope="channel",
        scope_id="ch_email",
    )
    history = [
        impression("2026-03-16T09:12:00Z"),
        impression("2026-03-17T11:00:00Z"),
        impression("2026-03-18T08:30:00Z"),
    ]
    decision = decide_one([p], interactions=history)
    block = assert_blocks(decision, "Email Weekly Cap", "2026-03-23T09:12:00Z")
    assert block["details"] == {"window": "weekly", "count": 3, "max": 3}
    assert decision["eligibleAt"] == "2026-03-23T09:12:00Z"


def test_over_the_cap_waits_for_enough_impressions_to_leave() -> None:
    # 5 impressions with a cap of 3: the count drops below 3 when the 3rd oldest leaves
    stamps = [ago(days=6), ago(days=5), ago(days=4, hours=3), ago(days=2), ago(days=1)]
    p = policy("frequency_cap", {"maxPerWeek": 3}, name="cap")
    assert_blocks(
        decide_one([p], interactions=[impression(s) for s in stamps]), "cap", later(days=2, hours=21)
    )


def test_impressions_at_the_same_instant_leave_together() -> None:
    stamps = [ago(days=3)] * 3 + [ago(days=1)]
    p = policy("frequency_cap", {"maxPerWeek": 2}, name="cap")
    assert_blocks(decide_one([p], interactions=[impression(s) for s in stamps]), "cap", later(days=4))


def test_impressions_given_out_of_order() -> None:
    stamps = [ago(days=1), ago(days=6), ago(days=3)]
    p = policy("frequency_cap", {"maxPerWeek": 3}, name="cap")
    assert_blocks(decide_one([p], interactions=[impression(s) for s in stamps]), "cap", later(days=1))


def test_period_cap_eligible_at() -> None:
    p = policy("cross_channel_cap", {"maxTotal": 2, "periodType": "daily"}, name="cross")
    history = [impression(ago(hours=20), channel="ch_sms"), impression(ago(hours=10))]
    assert_blocks(decide_one([p], interactions=history), "cross", later(hours=4))
    p = policy("customer_total_cap", {"maxTotal": 2, "periodType": "monthly"}, name="total")
    history = [impression(ago(days=29), offer="off_8"), impression(ago(days=10), offer="off_9")]
    assert_blocks(decide_one([p], interactions=history), "total", later(days=1))
    p = policy("offer_category_cap", {"targetCategory": "credit cards", "maxTotal": 1}, name="catcap")
    assert_blocks(
        decide_one([p], interactions=[impression(ago(days=12), offer="off_3")]), "catcap", later(days=18)
    )


@pytest.mark.parametrize(
    ("rule", "config"),
    [
        ("frequency_cap", {"maxTotal": 1}),
        ("customer_total_cap", {"maxTotal": 1, "periodType": "alltime"}),
        ("offer_category_cap", {"targetCategory": "credit cards", "maxTotal": 1, "periodType": "alltime"}),
    ],
)
def test_alltime_caps_have_null_eligible_at(rule: str, config: dict[str, Any]) -> None:
    decision = decide_one([policy(rule, config, name="rule")], interactions=[impression(ago(days=1))])
    assert_blocks(decision, "rule", None)
    assert decision["eligibleAt"] is None


@pytest.mark.parametrize(
    ("rule", "config"),
    [
        ("frequency_cap", {"maxPerDay": 0}),
        ("frequency_cap", {"maxContacts": 0, "windowDays": 3}),
        ("cross_channel_cap", {"maxTotal": 0}),
        ("customer_total_cap", {"maxTotal": 0, "periodType": "daily"}),
        ("offer_category_cap", {"targetCategory": "credit cards", "maxTotal": 0}),
    ],
)
def test_max_zero_has_null_eligible_at(rule: str, config: dict[str, Any]) -> None:
    decision = decide_one([policy(rule, config, name="rule")], interactions=[impression(ago(days=1))])
    assert_blocks(decision, "rule", None)


# -- recency rules -----------------------------------------------------------------------------
def test_cooldown_end() -> None:
    p = policy("cooldown", {"cooldownHours": 48}, name="cool")
    assert_blocks(
        decide_one([p], interactions=[impression("2026-03-19T08:15:30Z")]), "cool", "2026-03-21T08:15:30Z"
    )


def test_quarantine_end() -> None:
    p = policy(
        "outcome_based", {"afterOutcome": ["complaint", "spam_report"], "suppressForDays": 90}, name="q"
    )
    history = [interaction("2026-02-01T10:00:00Z", "spam_report")]
    assert_blocks(decide_one([p], interactions=history), "q", "2026-05-02T10:00:00Z")


def test_category_rest_end() -> None:
    p = policy("category_suppression", {"suppressionDays": 14}, name="rest")
    assert_blocks(
        decide_one([p], interactions=[impression("2026-03-10T23:59:59Z")]), "rest", "2026-03-24T23:59:59Z"
    )


# -- time windows ------------------------------------------------------------------------------
def test_time_window_next_opening_is_a_whole_minute() -> None:
    p = policy("time_window", {"startHour": 18, "endHour": 20}, name="window")
    decision = decide_one([p], now="2026-03-20T14:23:45Z")
    assert_blocks(decision, "window", "2026-03-20T18:00:00Z")
    assert decision["eligibleAt"] == "2026-03-20T18:00:00Z"


def test_time_window_sub_second_now() -> None:
    p = policy("time_window", {"startHour": 15, "endHour": 20}, name="window")
    assert_blocks(decide_one([p], now="2026-03-20T14:59:59.999Z"), "window", "2026-03-20T15:00:00Z")


# -- formatting --------------------------------------------------------------------------------
def test_eligible_at_is_utc_whole_seconds_with_z() -> None:
    p = policy("cooldown", {"cooldownHours": 1}, name="cool")
    history = [impression("2026-03-20T15:30:00+02:00")]  # 13:30Z
    decision = decide_one([p], interactions=history)
    assert decision["eligibleAt"] == "2026-03-20T14:30:00Z"
    assert Z_SECONDS.match(decision["blockedBy"][0]["eligibleAt"])


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("2026-03-20T13:30:00.250Z", "2026-03-20T14:30:01Z"),
        ("2026-03-20T13:30:00.000001Z", "2026-03-20T14:30:01Z"),
        ("2026-03-20T13:30:00.999999Z", "2026-03-20T14:30:01Z"),
        ("2026-03-20T13:30:00.000Z", "2026-03-20T14:30:00Z"),
        ("2026-03-20T13:29:59.5Z", "2026-03-20T14:30:00Z"),
    ],
)
def test_sub_second_instants_round_up(stamp: str, expected: str) -> None:
    p = policy("cooldown", {"cooldownHours": 1}, name="cool")
    decision = decide_one([p], interactions=[impression(stamp)])
    assert_blocks(decision, "cool", expected)
    assert decision["eligibleAt"] == expected


def test_sub_second_window_cap_rounds_up() -> None:
    p = policy("frequency_cap", {"maxPerDay": 1}, name="cap")
    assert_blocks(
        decide_one([p], interactions=[impression("2026-03-20T01:00:00.1Z")]), "cap", "2026-03-21T01:00:01Z"
    )


def test_sub_second_suppression_expiry_rounds_up() -> None:
    decision = decide_one(
        [], request(suppressions=[{"scope": "global", "expiresAt": "2026-03-22T10:00:00.001Z"}])
    )
    assert decision["eligibleAt"] == "2026-03-22T10:00:01Z"
    assert decision["blockedBy"][0]["eligibleAt"] == "2026-03-22T10:00:01Z"


def test_suppression_expiry_with_offset_is_rendered_in_utc() -> None:
    decision = decide_one(
        [], request(suppressions=[{"scope": "global", "expiresAt": "2026-03-22T10:00:00-05:00"}])
    )
    assert decision["eligibleAt"] == "2026-03-22T15:00:00Z"


# -- a decision's eligibleAt -------------------------------------------------------------------
def test_decision_eligible_at_is_the_latest_of_its_blocks() -> None:
    policies = [
        policy("cooldown", {"cooldownHours": 2}, name="cool", priority=90),
        policy("frequency_cap", {"maxPerWeek": 1}, name="cap", priority=10),
        policy("time_window", {"startHour": 16, "endHour": 18}, name="window", priority=50),
    ]
    decision = decide_one(policies, interactions=[impression(ago(hours=1))])
    assert [b["eligibleAt"] for b in decision["blockedBy"]] == [
        later(hours=1),
        "2026-03-20T16:00:00Z",
        later(days=7, hours=-1),
    ]
    assert decision["eligibleAt"] == later(days=7, hours=-1)


def test_decision_eligible_at_is_null_if_any_block_is_null() -> None:
    policies = [
        policy("cooldown", {"cooldownHours": 2}, name="cool", priority=90),
        policy("segment_exclusion", {"excludeSegments": ["vip"]}, name="seg", priority=10),
    ]
    decision = decide_one(
        policies, request(interactions=[impression(ago(hours=1))], customer={"segments": ["vip"]})
    )
    assert [b["eligibleAt"] for b in decision["blockedBy"]] == [later(hours=1), None]
    assert decision["eligibleAt"] is None


@pytest.mark.parametrize(
    ("rule", "config", "extra"),
    [
        ("segment_exclusion", {"excludeSegments": ["vip"]}, {"customer": {"segments": ["vip"]}}),
        ("do_not_contact", {}, {"customer": {"dnc": ["legal"]}}),
        ("metric_condition", {"metricId": "m"}, {"customer": {"metrics": {"m": 1}}}),
        ("budget_exhausted", {"budgetField": "spend", "threshold": 1}, {"budgets": {"off_1": {"spend": 1}}}),
        (
            "mutual_exclusion",
            {"excludeOfferIds": ["off_1", "off_2"]},
            {"session": {"servedOfferIds": ["off_2"]}},
        ),
    ],
)
def test_rules_that_never_lift_by_time(rule: str, config: dict[str, Any], extra: dict[str, Any]) -> None:
    decision = decide_one([policy(rule, config, name="rule")], request(**extra))
    assert_blocks(decision, "rule", None)
    assert decision["eligibleAt"] is None


def test_allowed_decision_has_null_eligible_at() -> None:
    decision = decide_one([policy("cooldown", {"cooldownHours": 1}, name="cool")])
    assert decision["allowed"] is True
    assert decision["eligibleAt"] is None


def test_eligible_at_of_a_lifted_block_is_not_counted() -> None:
    policies = [
        policy("cooldown", {"cooldownHours": 100}, name="cool"),
        policy("time_window", {"startHour": 16, "endHour": 18, "bypassable": False}, name="window"),
        policy("allow_override", {}, name="override"),
    ]
    decision = decide_one(policies, interactions=[impression(ago(hours=1))])
    assert decision["eligibleAt"] == "2026-03-20T16:00:00Z"


def test_eligible_at_of_a_block_lifts_exactly_then() -> None:
    """Re-deciding at eligibleAt lifts the block; one second earlier it still holds."""
    p = policy("frequency_cap", {"maxPerDay": 2, "maxPerWeek": 3}, name="cap")
    history = [impression(ago(days=5, minutes=7)), impression(ago(hours=20)), impression(ago(hours=3))]
    eligible = decide_one([p], interactions=history)["eligibleAt"]
    assert eligible == later(days=2, minutes=-7)
    when = NOW_DT + timedelta(days=2, minutes=-7)
    assert decide_one([p], request(interactions=history, now=iso(when)))["allowed"] is True
    assert decide_one([p], request(interactions=history, now=iso(when - SECOND)))["allowed"] is False


# -- instants past the end of the calendar -------------------------------------------------------
@pytest.mark.parametrize(
    ("rule", "config", "outcome"),
    [
        ("cooldown", {"cooldownHours": 87_660_000}, "impression"),
        ("frequency_cap", {"maxContacts": 1, "windowDays": 3_652_500}, "impression"),
        ("outcome_based", {"afterOutcome": "complaint", "suppressForDays": 3_652_500}, "complaint"),
        ("category_suppression", {"suppressionDays": 3_652_500}, "impression"),
    ],
)
def test_huge_valid_durations_still_give_a_decision(rule: str, config: dict[str, Any], outcome: str) -> None:
    # The longest valid durations (10,000 years): the block lifts after year 9999, so
    # eligibleAt is null and the reason says why (docs/decisions.md).
    decision = decide_one(
        [policy(rule, config, name="rule")], interactions=[interaction(ago(hours=1), outcome)]
    )
    assert decision["allowed"] is False
    assert decision["eligibleAt"] is None
    assert decision["blockedBy"][0]["reason"].endswith(
        "the block lasts beyond 9999-12-31T23:59:59Z, the last instant cpol can write"
    )


def test_time_window_at_the_end_of_the_calendar_still_gives_a_decision() -> None:
    p = policy("time_window", {"startHour": 8, "endHour": 20}, name="window")
    decision = decide_one([p], now="9999-12-31T23:59:59Z")
    assert decision["allowed"] is False


# -- more than six fractional digits (.NET writes seven) -----------------------------------------
def test_seven_fractional_digits_round_up() -> None:
    # 13:30:00.0000001 + 1 h is after 14:30:00, so rounding up gives 14:30:01
    p = policy("cooldown", {"cooldownHours": 1}, name="cool")
    decision = decide_one([p], interactions=[impression("2026-03-20T13:30:00.0000001Z")])
    assert_blocks(decision, "cool", "2026-03-20T14:30:01Z")


def test_seven_fractional_digits_inside_the_window() -> None:
    # 0.1 µs less than a day before now: `now − W < timestamp`, so it counts
    p = policy("frequency_cap", {"maxPerDay": 1}, name="cap")
    decision = decide_one([p], interactions=[impression("2026-03-19T14:00:00.0000001Z")])
    assert_blocks(decision, "cap", "2026-03-20T14:00:01Z")


def test_nine_fractional_digits_are_accepted() -> None:
    p = policy("cooldown", {"cooldownHours": 1}, name="cool")
    decision = decide_one([p], interactions=[impression("2026-03-20T13:30:00.123456789Z")])
    assert_blocks(decision, "cool", "2026-03-20T14:30:01Z")
