"""cross_channel_cap, customer_total_cap and offer_category_cap (SPEC §1 table, §2.1).

"periodType defaults to weekly for cross_channel_cap and customer_total_cap, monthly for
offer_category_cap"; "For these the scope only decides whether the policy applies."
"""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import (
    DAY,
    SECOND,
    ago,
    assert_blocks,
    assert_passes,
    candidate,
    decide_one,
    entry,
    impression,
    interaction,
    later,
    policy,
    request,
)

PERIODS = {"daily": DAY, "weekly": 7 * DAY, "monthly": 30 * DAY}


# -- cross_channel_cap -------------------------------------------------------------------------
def cross(config: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return policy("cross_channel_cap", config, name="cross", **kw)


@pytest.mark.parametrize("period", ["daily", "weekly", "monthly"])
def test_cross_channel_at_max_blocks_one_below_passes(period: str) -> None:
    window = PERIODS[period]
    history = [
        impression(ago(window - SECOND), channel="ch_email"),
        impression(ago(hours=1), channel="ch_sms"),
    ]
    config = {"maxTotal": 2, "periodType": period}
    block = assert_blocks(decide_one([cross(config)], interactions=history), "cross", later(seconds=1))
    assert block["details"] == {"periodType": period, "count": 2, "max": 2}
    assert_passes(decide_one([cross(config)], interactions=history[1:]), "cross")


@pytest.mark.parametrize("period", ["daily", "weekly", "monthly"])
def test_cross_channel_window_edge(period: str) -> None:
    window = PERIODS[period]
    history = [impression(ago(window), channel="ch_sms"), impression(ago(hours=1), channel="ch_email")]
    assert_passes(decide_one([cross({"maxTotal": 2, "periodType": period})], interactions=history), "cross")


def test_cross_channel_defaults_to_weekly() -> None:
    history = [impression(ago(7 * DAY - SECOND), channel="ch_sms"), impression(ago(hours=1))]
    block = assert_blocks(
        decide_one([cross({"maxTotal": 2})], interactions=history), "cross", later(seconds=1)
    )
    assert block["details"]["periodType"] == "weekly"
    history = [impression(ago(days=7), channel="ch_sms"), impression(ago(hours=1))]
    assert_passes(decide_one([cross({"maxTotal": 2})], interactions=history), "cross")


def test_cross_channel_counts_only_the_candidates_offer() -> None:
    history = [
        impression(ago(hours=1), offer="off_2"),
        impression(ago(hours=2), offer="off_3", channel="ch_sms"),
    ]
    assert_passes(decide_one([cross({"maxTotal": 1})], interactions=history), "cross")


def test_cross_channel_counts_every_channel_without_applies_across() -> None:
    history = [
        impression(ago(days=1), channel="ch_email"),
        impression(ago(days=2), channel="ch_sms"),
        impression(ago(days=3), channel="ch_push"),
    ]
    assert_blocks(decide_one([cross({"maxTotal": 3})], interactions=history), "cross", later(days=4))


def test_cross_channel_applies_across_counts_only_listed_channels() -> None:
    config = {"maxTotal": 2, "appliesAcross": ["ch_email", "ch_sms"]}
    history = [
        impression(ago(days=1), channel="ch_push"),
        impression(ago(days=1), channel="ch_web"),
        impression(ago(days=2), channel="ch_sms"),
    ]
    assert_passes(decide_one([cross(config)], interactions=history), "cross")
    history.append(impression(ago(days=3), channel="ch_email"))
    assert_blocks(decide_one([cross(config)], interactions=history), "cross", later(days=4))


def test_cross_channel_applies_across_counts_channels_other_than_the_candidates() -> None:
    # the candidate is on email; the listed channels count even when it is not one of them
    config = {"maxTotal": 1, "appliesAcross": ["ch_sms"]}
    assert_blocks(
        decide_one([cross(config)], interactions=[impression(ago(days=1), channel="ch_sms")]),
        "cross",
        later(days=6),
    )


def test_cross_channel_scope_only_decides_whether_it_applies() -> None:
    p = cross({"maxTotal": 2}, scope="channel", scope_id="ch_email")
    history = [impression(ago(days=1), channel="ch_sms"), impression(ago(days=2), channel="ch_push")]
    assert_blocks(decide_one([p], interactions=history), "cross", later(days=5))
    decision = decide_one(
        [p], interactions=history, candidates=[candidate(channel="ch_sms", channel_type="sms")]
    )
    assert entry(decision, "cross")["result"] == "not_in_scope"


def test_cross_channel_only_impressions_count() -> None:
    history = [interaction(ago(days=1), "click"), interaction(ago(days=1), "complaint")]
    assert_passes(decide_one([cross({"maxTotal": 1})], interactions=history), "cross")


def test_cross_channel_ignores_impressions_after_now() -> None:
    assert_passes(decide_one([cross({"maxTotal": 1})], interactions=[impression(later(seconds=1))]), "cross")


def test_cross_channel_max_zero_blocks_with_null_eligible_at() -> None:
    assert_blocks(decide_one([cross({"maxTotal": 0})]), "cross", None)


# -- customer_total_cap ------------------------------------------------------------------------
def total(config: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return policy("customer_total_cap", config, name="total", **kw)


EVERYWHERE = [
    impression(ago(days=1), offer="off_2", channel="ch_sms", creative="cr_2"),
    impression(ago(days=2), offer="off_3", channel="ch_push", category="cat_travel"),
    impression(ago(days=3), offer="off_4", channel=None, creative=None, category=None, sub=None),
]


def test_customer_total_counts_every_offer_channel_and_creative() -> None:
    block = assert_blocks(
        decide_one([total({"maxTotal": 3})], interactions=EVERYWHERE), "total", later(days=4)
    )
    assert block["details"] == {"periodType": "weekly", "count": 3, "max": 3}
    assert_passes(decide_one([total({"maxTotal": 4})], interactions=EVERYWHERE), "total")


@pytest.mark.parametrize("period", ["daily", "weekly", "monthly"])
def test_customer_total_window_edges(period: str) -> None:
    window = PERIODS[period]
    config = {"maxTotal": 1, "periodType": period}
    assert_passes(decide_one([total(config)], interactions=[impression(ago(window), offer="off_9")]), "total")
    decision = decide_one([total(config)], interactions=[impression(ago(window - SECOND), offer="off_9")])
    assert_blocks(decision, "total", later(seconds=1))


def test_customer_total_alltime_counts_everything_and_never_lifts() -> None:
    history = [impression(ago(days=1000), offer="off_2"), impression(ago(days=1), offer="off_3")]
    config = {"maxTotal": 2, "periodType": "alltime"}
    block = assert_blocks(decide_one([total(config)], interactions=history), "total", None)
    assert block["details"] == {"periodType": "alltime", "count": 2, "max": 2}
    assert_passes(decide_one([total(config)], interactions=history[:1]), "total")


def test_customer_total_only_impressions() -> None:
    history = [interaction(ago(days=1), "click", offer=f"off_{i}") for i in range(5)]
    assert_passes(decide_one([total({"maxTotal": 1})], interactions=history), "total")


def test_customer_total_scope_only_decides_whether_it_applies() -> None:
    p = total({"maxTotal": 3}, scope="offer", scope_id="off_1")
    assert_blocks(decide_one([p], interactions=EVERYWHERE), "total", later(days=4))
    decision = decide_one([p], interactions=EVERYWHERE, candidates=[candidate("off_2")])
    assert entry(decision, "total")["result"] == "not_in_scope"


# -- offer_category_cap ------------------------------------------------------------------------
def category_cap(config: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return policy("offer_category_cap", config, name="catcap", **kw)


CARDS = {"targetCategory": "credit cards", "maxTotal": 2}


def test_category_cap_counts_impressions_in_the_category() -> None:
    history = [
        impression(ago(days=20), offer="off_2"),
        impression(ago(days=10), offer="off_3", channel="ch_sms"),
        impression(ago(days=1), offer="off_4", offer_category="travel"),
    ]
    block = assert_blocks(decide_one([category_cap(CARDS)], interactions=history), "catcap", later(days=10))
    assert block["details"] == {"periodType": "monthly", "count": 2, "max": 2}
    assert_passes(decide_one([category_cap(CARDS)], interactions=history[1:]), "catcap")


def test_category_cap_defaults_to_monthly() -> None:
    edge = [impression(ago(days=30), offer="off_2"), impression(ago(days=1), offer="off_3")]
    assert_passes(decide_one([category_cap(CARDS)], interactions=edge), "catcap")
    inside = [impression(ago(30 * DAY - SECOND), offer="off_2"), impression(ago(days=1), offer="off_3")]
    assert_blocks(decide_one([category_cap(CARDS)], interactions=inside), "catcap", later(seconds=1))


@pytest.mark.parametrize("period", ["daily", "weekly", "monthly"])
def test_category_cap_periods(period: str) -> None:
    window = PERIODS[period]
    config = {**CARDS, "periodType": period}
    edge = [impression(ago(window), offer="off_2"), impression(ago(hours=1), offer="off_3")]
    assert_passes(decide_one([category_cap(config)], interactions=edge), "catcap")
    inside = [impression(ago(window - SECOND), offer="off_2"), impression(ago(hours=1), offer="off_3")]
    assert_blocks(decide_one([category_cap(config)], interactions=inside), "catcap", later(seconds=1))


def test_category_cap_alltime() -> None:
    config = {**CARDS, "periodType": "alltime"}
    history = [impression(ago(days=900), offer="off_2"), impression(ago(days=400), offer="off_3")]
    assert_blocks(decide_one([category_cap(config)], interactions=history), "catcap", None)


def test_category_cap_candidate_of_another_category_passes() -> None:
    history = [impression(ago(days=1), offer=f"off_{i}") for i in range(5)]
    travel = candidate("off_9", offer_category="travel")
    decision = decide_one([category_cap(CARDS)], interactions=history, candidates=[travel])
    assert decision["allowed"] is True
    assert entry(decision, "catcap")["result"] in ("pass", "not_in_scope")


def test_category_cap_candidate_without_offer_category_passes() -> None:
    history = [impression(ago(days=1), offer=f"off_{i}") for i in range(5)]
    decision = decide_one(
        [category_cap(CARDS)], interactions=history, candidates=[candidate(offer_category=None)]
    )
    assert decision["allowed"] is True


def test_category_cap_other_categories_do_not_count_for_its_candidates() -> None:
    history = [impression(ago(days=1), offer=f"off_{i}", offer_category="travel") for i in range(5)]
    assert_passes(decide_one([category_cap(CARDS)], interactions=history), "catcap")


def test_category_cap_only_impressions() -> None:
    history = [interaction(ago(days=1), "click", offer=f"off_{i}") for i in range(5)]
    assert_passes(decide_one([category_cap(CARDS)], interactions=history), "catcap")


def test_category_cap_scope_only_decides_whether_it_applies() -> None:
    p = category_cap(CARDS, scope="channel", scope_id="ch_email")
    history = [
        impression(ago(days=2), offer="off_2", channel="ch_sms"),
        impression(ago(days=1), offer="off_3"),
    ]
    assert_blocks(decide_one([p], interactions=history), "catcap", later(days=28))
    decision = decide_one(
        [p], interactions=history, candidates=[candidate(channel="ch_sms", channel_type="sms")]
    )
    assert entry(decision, "catcap")["result"] == "not_in_scope"


def test_customer_total_counts_impressions_without_any_ids() -> None:
    bare = {"timestamp": ago(hours=2), "outcome": "impression"}
    assert_blocks(decide_one([total({"maxTotal": 1})], interactions=[bare]), "total", later(days=7, hours=-2))


# -- cross_channel_cap: the older documents' {maxContacts, windowDays}, empty appliesAcross ----
def test_cross_channel_older_shape_caps_a_rolling_window_of_days() -> None:
    config = {"maxContacts": 2, "windowDays": 10}
    history = [
        impression(ago(days=10)),  # exactly 10 days ago: out
        impression(ago(days=9, hours=12), channel="ch_sms"),
        impression(ago(days=3), channel="ch_push"),
        impression(ago(days=1), offer="off_2"),  # another offer
    ]
    block = assert_blocks(decide_one([cross(config)], interactions=history), "cross", later(hours=12))
    assert block["reason"] == (
        "2 impressions of offer off_1 on all channels in the last 10 days; cap is 2 per 10 days"
    )
    assert block["details"] == {"periodType": "10 days", "count": 2, "max": 2}
    passed = assert_passes(decide_one([cross(config)], interactions=history[2:]), "cross")
    assert passed["details"] == {"periodType": "10 days", "count": 1, "max": 2}


def test_cross_channel_older_shape_lifts_exactly_at_eligible_at() -> None:
    config = {"maxContacts": 1, "windowDays": 3.5}
    history = [impression(ago(days=1, seconds=0.5))]
    # it leaves the window 3.5 days after it was shown: in 2 d 11:59:59.5, rounded up
    eligible = later(days=2, hours=12)
    assert_blocks(decide_one([cross(config)], interactions=history), "cross", eligible)
    before = decide_one(
        [cross(config)], request(interactions=history, now=later(days=2, hours=12, seconds=-1))
    )
    assert_blocks(before, "cross")
    assert_passes(decide_one([cross(config)], request(interactions=history, now=eligible)), "cross")


def test_cross_channel_older_shape_on_the_applies_across_channels() -> None:
    config = {"maxContacts": 1, "windowDays": 7, "appliesAcross": ["ch_sms"]}
    email_only = [impression(ago(days=1)), impression(ago(days=2))]
    assert_passes(decide_one([cross(config)], interactions=email_only), "cross")
    block = assert_blocks(
        decide_one([cross(config)], interactions=[*email_only, impression(ago(days=3), channel="ch_sms")]),
        "cross",
        later(days=4),
    )
    assert block["reason"] == "1 impression of offer off_1 on ch_sms in the last 7 days; cap is 1 per 7 days"


BOTH = {"maxTotal": 3, "periodType": "weekly", "maxContacts": 1, "windowDays": 2}


def test_cross_channel_with_both_shapes_the_window_of_days_may_block_alone() -> None:
    history = [impression(ago(days=1)), impression(ago(days=5))]
    block = assert_blocks(decide_one([cross(BOTH)], interactions=history), "cross", later(days=1))
    assert block["details"] == {"periodType": "2 days", "count": 1, "max": 1}
    passed = assert_passes(decide_one([cross(BOTH)], interactions=history[1:]), "cross")
    # nothing blocks: the words of the first cap, maxTotal's
    assert passed["details"] == {"periodType": "weekly", "count": 1, "max": 3}


def test_cross_channel_with_both_shapes_blocking_the_period_speaks_first_the_latest_lifts() -> None:
    history = [impression(ago(days=1)), impression(ago(days=4)), impression(ago(days=6, hours=12))]
    block = assert_blocks(decide_one([cross(BOTH)], interactions=history), "cross")
    assert block["details"] == {"periodType": "weekly", "count": 3, "max": 3}
    assert (
        block["reason"]
        == "3 impressions of offer off_1 on all channels in the last 7 days; cap is 3 per week"
    )
    # the week lifts in 12 hours (6.5 days ago + 7), the 2-day window in 1 day (1 day ago + 2)
    assert block["eligibleAt"] == later(days=1)


def test_cross_channel_older_shape_still_binds_a_mandatory_offer() -> None:
    decision = decide_one(
        [cross({"maxContacts": 1, "windowDays": 7})],
        interactions=[impression(ago(days=1))],
        candidates=[candidate(mandatory=True)],
    )
    assert_blocks(decision, "cross", later(days=6))


@pytest.mark.parametrize("config", [{"maxTotal": 2}, {"maxContacts": 2, "windowDays": 7}])
def test_cross_channel_empty_applies_across_counts_every_channel(config: dict[str, Any]) -> None:
    # the seed documents: "omit / empty = all channels, legacy behaviour"
    history = [impression(ago(days=1), channel="ch_sms"), impression(ago(days=2), channel="ch_push")]
    empty = assert_blocks(
        decide_one([cross({**config, "appliesAcross": []})], interactions=history), "cross", later(days=5)
    )
    absent = assert_blocks(decide_one([cross(config)], interactions=history), "cross", later(days=5))
    assert empty["details"] == absent["details"]
    assert empty["reason"] == absent["reason"]
    assert "of offer off_1 on all channels in the last 7 days" in empty["reason"]
