"""frequency_cap (SPEC §1 table, §2.1 Time / Scopes and counting / Older shapes).

"in-scope impressions in the last 1 / 7 / 30 days / ever ≥ the matching max (any one)";
a rolling window of length W counts an interaction when `now − W < timestamp ≤ now`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from .helpers import (
    DAY,
    SECOND,
    ago,
    assert_blocks,
    assert_passes,
    candidate,
    decide,
    decide_one,
    entry,
    impression,
    interaction,
    later,
    policy,
    request,
)

# (config key, window length, details.window per the SPEC example's "weekly")
WINDOWS = [
    ("maxPerDay", DAY, "daily"),
    ("maxPerWeek", 7 * DAY, "weekly"),
    ("maxPerMonth", 30 * DAY, "monthly"),
]


def cap(config: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return policy("frequency_cap", config, name="cap", **kw)


@pytest.mark.parametrize(("key", "window", "label"), WINDOWS)
@pytest.mark.parametrize("maximum", [1, 3])
def test_count_at_max_blocks_and_one_below_passes(
    key: str, window: timedelta, label: str, maximum: int
) -> None:
    # impressions spread inside the window, the oldest 1 second short of W ago
    stamps = [ago(window - SECOND)] + [ago(hours=i + 1) for i in range(maximum - 1)]
    at_max = decide_one([cap({key: maximum})], interactions=[impression(s) for s in stamps])
    block = assert_blocks(at_max, "cap")
    assert block["details"]["count"] == maximum
    assert block["details"]["max"] == maximum
    # Ambiguity: the SPEC names details.window only by example ("weekly"); the period
    # names of the other caps (daily/weekly/monthly) are the natural spelling.
    assert block["details"]["window"] == label

    below = decide_one([cap({key: maximum})], interactions=[impression(s) for s in stamps[1:]])
    assert below["allowed"] is True
    assert entry(below, "cap")["result"] == "pass"


@pytest.mark.parametrize(("key", "window", "_label"), WINDOWS)
def test_impression_exactly_w_ago_does_not_count(key: str, window: timedelta, _label: str) -> None:
    decision = decide_one([cap({key: 1})], interactions=[impression(ago(window))])
    assert decision["allowed"] is True


@pytest.mark.parametrize(("key", "window", "_label"), WINDOWS)
def test_impression_one_second_less_than_w_ago_counts(key: str, window: timedelta, _label: str) -> None:
    decision = decide_one([cap({key: 1})], interactions=[impression(ago(window - SECOND))])
    # it slides out of the window exactly W after it happened: 1 second from now
    assert_blocks(decision, "cap", later(seconds=1))


@pytest.mark.parametrize(("key", "_window", "_label"), [*WINDOWS, ("maxTotal", None, None)])
def test_impression_after_now_is_ignored(key: str, _window: timedelta | None, _label: str | None) -> None:
    decision = decide_one([cap({key: 1})], interactions=[impression(later(seconds=1))])
    assert decision["allowed"] is True


@pytest.mark.parametrize(("key", "_window", "_label"), [*WINDOWS, ("maxTotal", None, None)])
def test_impression_exactly_now_counts(key: str, _window: timedelta | None, _label: str | None) -> None:
    decision = decide_one([cap({key: 1})], interactions=[impression(ago())])
    assert_blocks(decision, "cap")


def test_max_total_counts_every_impression_ever() -> None:
    old = [impression(ago(days=400)), impression(ago(days=3000))]
    assert decide_one([cap({"maxTotal": 3})], interactions=old)["allowed"] is True
    decision = decide_one([cap({"maxTotal": 3})], interactions=[*old, impression(ago(days=1))])
    block = assert_blocks(decision, "cap", None)  # alltime caps never lift by time
    assert block["details"]["count"] == 3
    assert block["details"]["max"] == 3


def test_only_impressions_count() -> None:
    others = [interaction(ago(hours=1), outcome) for outcome in ("click", "complaint", "rejected")]
    assert decide_one([cap({"maxPerDay": 1})], interactions=others)["allowed"] is True


@pytest.mark.parametrize("key", ["maxPerDay", "maxPerWeek", "maxPerMonth", "maxTotal"])
def test_max_zero_always_blocks_and_never_lifts(key: str) -> None:
    decision = decide_one([cap({key: 0})])
    block = assert_blocks(decision, "cap", None)
    assert block["details"]["count"] == 0
    assert decision["eligibleAt"] is None


def test_a_whole_float_max_counts_like_an_int() -> None:
    # a fractional max is refused by the plan (docs/decisions.md); 2.0 is two
    two = decide_one(
        [cap({"maxPerDay": 2.0})], interactions=[impression(ago(hours=3)), impression(ago(hours=2))]
    )
    assert_blocks(two, "cap", later(hours=21))


# -- several caps in one policy --------------------------------------------------------------
def test_any_one_cap_blocks() -> None:
    config = {"maxPerDay": 5, "maxPerWeek": 2, "maxPerMonth": 10}
    decision = decide_one([cap(config)], interactions=[impression(ago(days=5)), impression(ago(days=4))])
    block = assert_blocks(decision, "cap", later(days=2))
    assert block["details"] == {"window": "weekly", "count": 2, "max": 2}


def test_several_blocking_caps_first_details_latest_eligible_at() -> None:
    # day cap: 1 impression 1 h ago, lifts in 23 h; week cap: 3 impressions, the oldest
    # 3 days ago, lifts in 4 days. Details come from the day cap (SPEC order day, week…),
    # eligibleAt is the latest of the two.
    stamps = [ago(days=3), ago(days=2), ago(hours=1)]
    decision = decide_one(
        [cap({"maxPerDay": 1, "maxPerWeek": 3})], interactions=[impression(s) for s in stamps]
    )
    block = assert_blocks(decision, "cap", later(days=4))
    assert block["details"] == {"window": "daily", "count": 1, "max": 1}
    assert decision["eligibleAt"] == later(days=4)


def test_alltime_cap_among_blocking_caps_makes_eligible_at_null() -> None:
    decision = decide_one([cap({"maxPerDay": 1, "maxTotal": 1})], interactions=[impression(ago(hours=1))])
    block = assert_blocks(decision, "cap", None)
    assert block["details"]["window"] == "daily"


def test_non_blocking_alltime_cap_does_not_null_eligible_at() -> None:
    decision = decide_one([cap({"maxPerDay": 1, "maxTotal": 10})], interactions=[impression(ago(hours=1))])
    assert_blocks(decision, "cap", later(hours=23))


# -- the older shape {maxContacts, windowDays} -------------------------------------------------
def test_older_window_counts_over_window_days() -> None:
    config = {"maxContacts": 2, "windowDays": 10}
    stamps = [ago(10 * DAY - SECOND), ago(days=1)]
    decision = decide_one([cap(config)], interactions=[impression(s) for s in stamps])
    block = assert_blocks(decision, "cap", later(seconds=1))
    assert block["details"]["count"] == 2
    assert block["details"]["max"] == 2


def test_older_window_edge_exactly_window_days_ago_does_not_count() -> None:
    config = {"maxContacts": 2, "windowDays": 10}
    decision = decide_one([cap(config)], interactions=[impression(ago(days=10)), impression(ago(days=1))])
    assert decision["allowed"] is True


def test_older_window_fractional_days() -> None:
    config = {"maxContacts": 1, "windowDays": 1.5}
    assert decide_one([cap(config)], interactions=[impression(ago(hours=36))])["allowed"] is True
    decision = decide_one([cap(config)], interactions=[impression(ago(timedelta(hours=36) - SECOND))])
    assert_blocks(decision, "cap", later(seconds=1))


def test_older_window_combined_with_newer_keys() -> None:
    config = {"maxPerDay": 5, "maxContacts": 2, "windowDays": 10}
    stamps = [ago(days=9), ago(days=8)]
    decision = decide_one([cap(config)], interactions=[impression(s) for s in stamps])
    block = assert_blocks(decision, "cap", later(days=1))  # 9 days ago + 10 days
    assert block["details"]["count"] == 2
    assert block["details"]["max"] == 2


def test_newer_cap_reported_before_older_window() -> None:
    config = {"maxPerDay": 1, "maxContacts": 2, "windowDays": 10}
    decision = decide_one([cap(config)], interactions=[impression(ago(days=5)), impression(ago(hours=1))])
    block = assert_blocks(decision, "cap", later(days=5))  # latest: the 10-day window
    assert block["details"] == {"window": "daily", "count": 1, "max": 1}


# -- campaign filters ------------------------------------------------------------------------
def test_within_campaign_counts_only_that_campaign() -> None:
    config = {"maxPerWeek": 2, "withinCampaignId": "camp_1"}
    others = [impression(ago(days=1), campaign="camp_2"), impression(ago(days=1))]
    one = [impression(ago(days=2), campaign="camp_1")]
    assert decide_one([cap(config)], interactions=[*others, *one])["allowed"] is True
    two = [*one, impression(ago(days=3), campaign="camp_1")]
    block = assert_blocks(decide_one([cap(config)], interactions=[*others, *two]), "cap", later(days=4))
    assert block["details"]["count"] == 2


def test_exclude_campaigns_drops_them_and_keeps_no_campaign() -> None:
    config = {"maxPerWeek": 2, "excludeCampaignIds": ["camp_x", "camp_y"]}
    dropped = [impression(ago(days=1), campaign="camp_x"), impression(ago(days=1), campaign="camp_y")]
    kept = [impression(ago(days=2)), impression(ago(days=3), campaign="camp_1")]
    assert decide_one([cap(config)], interactions=[*dropped, kept[0]])["allowed"] is True
    block = assert_blocks(decide_one([cap(config)], interactions=[*dropped, *kept]), "cap", later(days=4))
    assert block["details"]["count"] == 2


def test_within_and_exclude_campaign_both_apply() -> None:
    # SPEC: "withinCampaignId keeps only interactions of that campaign; excludeCampaignIds
    # drops those campaigns" - both filters apply, so excluding the kept campaign leaves
    # nothing to count.
    config = {"maxPerDay": 1, "withinCampaignId": "camp_1", "excludeCampaignIds": ["camp_1"]}
    decision = decide_one([cap(config)], interactions=[impression(ago(hours=1), campaign="camp_1")])
    assert decision["allowed"] is True


def test_within_and_exclude_campaign_other_campaigns() -> None:
    config = {"maxPerDay": 1, "withinCampaignId": "camp_1", "excludeCampaignIds": ["camp_2"]}
    assert (
        decide_one([cap(config)], interactions=[impression(ago(hours=1), campaign="camp_2")])["allowed"]
        is True
    )
    assert_blocks(
        decide_one([cap(config)], interactions=[impression(ago(hours=1), campaign="camp_1")]), "cap"
    )


# -- scope narrowing ---------------------------------------------------------------------------
def test_channel_scope_counts_only_that_channel() -> None:
    p = cap({"maxPerWeek": 2}, scope="channel", scope_id="ch_email")
    sms = [impression(ago(days=1), channel="ch_sms", offer=f"off_{i}") for i in range(5)]
    email = [impression(ago(days=2), channel="ch_email", offer="off_7")]
    assert decide_one([p], interactions=[*sms, *email])["allowed"] is True
    more = [*email, impression(ago(days=3), channel="ch_email", offer="off_8")]
    assert_blocks(decide_one([p], interactions=[*sms, *more]), "cap", later(days=4))


def test_channel_scope_other_channel_is_not_in_scope() -> None:
    p = cap({"maxPerWeek": 0}, scope="channel", scope_id="ch_email")
    decision = decide_one([p], candidates=[candidate(channel="ch_sms", channel_type="sms")])
    assert decision["allowed"] is True
    assert entry(decision, "cap")["result"] == "not_in_scope"


def test_offer_scope_counts_only_that_offer() -> None:
    p = cap({"maxPerDay": 1}, scope="offer", scope_id="off_1")
    others = [impression(ago(hours=1), offer="off_2"), impression(ago(hours=2), offer="off_3")]
    assert decide_one([p], interactions=others)["allowed"] is True
    own = impression(ago(hours=3), offer="off_1", channel="ch_sms")
    assert_blocks(decide_one([p], interactions=[*others, own]), "cap", later(hours=21))


def test_offer_is_the_default_scope() -> None:
    p = {"name": "cap", "ruleType": "frequency_cap", "scopeId": "off_1", "config": {"maxPerDay": 1}}
    assert decide_one([p], interactions=[impression(ago(hours=1), offer="off_2")])["allowed"] is True
    not_in_scope = decide_one([p], candidates=[candidate("off_2")])
    assert entry(not_in_scope, "cap")["result"] == "not_in_scope"


def test_global_scope_counts_everything() -> None:
    p = cap({"maxPerDay": 3})
    mixed = [
        impression(ago(hours=1), offer="off_2", channel="ch_sms"),
        impression(ago(hours=2), offer="off_3", channel="ch_push", creative="cr_x", category="cat_x"),
        impression(ago(hours=3), offer="off_4", channel=None, creative=None, category=None, sub=None),
    ]
    assert_blocks(decide_one([p], interactions=mixed), "cap", later(hours=21))


@pytest.mark.parametrize(
    ("scope", "scope_id", "same", "other"),
    [
        ("creative", "cr_1", {"creative": "cr_1", "offer": "off_9"}, {"creative": "cr_2"}),
        ("category", "cat_cards", {"category": "cat_cards", "offer": "off_9"}, {"category": "cat_loans"}),
        ("subcategory", "sub_gold", {"sub": "sub_gold", "offer": "off_9"}, {"sub": "sub_silver"}),
    ],
)
def test_other_scope_kinds_count_their_field(
    scope: str, scope_id: str, same: dict[str, Any], other: dict[str, Any]
) -> None:
    p = cap({"maxPerDay": 1}, scope=scope, scope_id=scope_id)
    assert decide_one([p], interactions=[impression(ago(hours=1), **other)])["allowed"] is True
    assert_blocks(decide_one([p], interactions=[impression(ago(hours=1), **same)]), "cap", later(hours=23))


def test_empty_scopes_list_counts_as_absent() -> None:
    p = cap({"maxPerDay": 1}, scope="channel", scope_id="ch_sms")
    p["scopes"] = []
    decision = decide_one([p])  # candidate on ch_email
    assert entry(decision, "cap")["result"] == "not_in_scope"


# -- several scopes --------------------------------------------------------------------------
MULTI = [("channel", "ch_email"), ("offer", "off_1")]


def test_multi_scope_applies_where_any_scope_matches() -> None:
    p = cap({"maxPerDay": 1}, scopes=MULTI)
    on_email = decide_one([p], candidates=[candidate("off_2", channel="ch_email")])
    assert entry(on_email, "cap")["result"] == "pass"
    offer_on_sms = decide_one([p], candidates=[candidate("off_1", channel="ch_sms", channel_type="sms")])
    assert entry(offer_on_sms, "cap")["result"] == "pass"
    neither = decide_one([p], candidates=[candidate("off_2", channel="ch_sms", channel_type="sms")])
    assert entry(neither, "cap")["result"] == "not_in_scope"


def test_multi_scope_counts_each_matched_scope_separately() -> None:
    p = cap({"maxPerDay": 2}, scopes=MULTI)
    # one impression on ch_email of another offer, one of off_1 on ch_sms: each scope
    # counts 1, below the cap of 2 (they are never added up)
    history = [impression(ago(hours=1), offer="off_2"), impression(ago(hours=2), channel="ch_sms")]
    assert decide_one([p], interactions=history)["allowed"] is True


def test_multi_scope_blocks_if_any_matched_scope_blocks() -> None:
    p = cap({"maxPerDay": 2}, scopes=MULTI)
    history = [impression(ago(hours=3), channel="ch_sms"), impression(ago(hours=2), channel="ch_sms")]
    decision = decide_one([p], interactions=history)  # off_1 on ch_email: offer scope counts 2
    assert_blocks(decision, "cap", later(hours=21))
    # an email candidate of another offer only matches the channel scope, which counts 0
    assert decide_one([p], interactions=history, candidates=[candidate("off_2")])["allowed"] is True


def test_multi_scope_eligible_at_latest_details_first_listed() -> None:
    p = cap({"maxPerDay": 2}, scopes=MULTI)
    history = [
        # channel ch_email: 3 impressions (of other offers), the 2nd oldest 20 h ago
        impression(ago(hours=22), offer="off_2"),
        impression(ago(hours=20), offer="off_3"),
        impression(ago(hours=1), offer="off_4"),
        # offer off_1 on sms: 2 impressions, the oldest 10 h ago
        impression(ago(hours=10), channel="ch_sms"),
        impression(ago(hours=9), channel="ch_sms"),
    ]
    decision = decide_one([p], interactions=history)
    block = assert_blocks(decision, "cap", later(hours=14))  # offer scope lifts last
    assert block["details"] == {"window": "daily", "count": 3, "max": 2}  # channel listed first


def test_multi_scope_with_global_counts_everything_too() -> None:
    p = cap({"maxPerDay": 1}, scopes=[("offer", "off_1"), ("global", None)])
    decision = decide_one([p], interactions=[impression(ago(hours=1), offer="off_5")])
    assert_blocks(decision, "cap", later(hours=23))


def test_unmatched_scope_does_not_count() -> None:
    # the policy also names ch_sms, but for an email candidate only the offer scope matches
    p = cap({"maxPerDay": 1}, scopes=[("channel", "ch_sms"), ("offer", "off_1")])
    decision = decide_one(
        [p],
        interactions=[impression(ago(hours=1), offer="off_2", channel="ch_sms")],
    )
    assert decision["allowed"] is True


def test_candidates_are_decided_independently_in_one_request() -> None:
    p = cap({"maxPerDay": 1}, scope="offer", scope_id="off_1")
    q = cap({"maxPerDay": 1}, scope="offer", scope_id="off_2")
    q["name"] = "cap2"
    decisions = decide(
        [p, q],
        request([candidate("off_1"), candidate("off_2")], [impression(ago(hours=1), offer="off_1")]),
    )
    assert [d["allowed"] for d in decisions] == [False, True]
    assert_passes(decisions[1], "cap2")
