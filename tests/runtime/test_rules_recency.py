"""cooldown, outcome_based and category_suppression (SPEC §1 table, §2.1).

"Cooldown, outcome_based and category_suppression block while `now − last < N`: exactly N
ago no longer blocks. Interactions stamped after `now` are ignored everywhere."
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from .helpers import (
    DAY,
    HOUR,
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
)


# -- cooldown ----------------------------------------------------------------------------------
def cooldown(hours: float, **kw: Any) -> dict[str, Any]:
    return policy("cooldown", {"cooldownHours": hours}, name="cool", **kw)


def test_cooldown_exactly_cooldown_hours_ago_no_longer_blocks() -> None:
    decision = decide_one([cooldown(24)], interactions=[impression(ago(hours=24))])
    assert_passes(decision, "cool")


def test_cooldown_one_second_before_the_end_blocks() -> None:
    decision = decide_one([cooldown(24)], interactions=[impression(ago(24 * HOUR - SECOND))])
    block = assert_blocks(decision, "cool", later(seconds=1))
    assert block["details"]["cooldownHours"] == 24
    assert block["details"]["hoursSinceLast"] == pytest.approx(24 - 1 / 3600, abs=1e-3)


def test_cooldown_uses_the_last_impression() -> None:
    history = [impression(ago(hours=30)), impression(ago(hours=5)), impression(ago(hours=20))]
    block = assert_blocks(decide_one([cooldown(24)], interactions=history), "cool", later(hours=19))
    assert block["details"]["hoursSinceLast"] == pytest.approx(5)


def test_cooldown_impression_at_now_blocks_for_the_whole_cooldown() -> None:
    assert_blocks(decide_one([cooldown(6)], interactions=[impression(ago())]), "cool", later(hours=6))


def test_cooldown_ignores_impressions_after_now() -> None:
    decision = decide_one([cooldown(24)], interactions=[impression(later(seconds=1))])
    assert_passes(decision, "cool")


def test_cooldown_counts_only_impressions() -> None:
    history = [interaction(ago(hours=1), outcome) for outcome in ("click", "rejected", "complaint")]
    assert_passes(decide_one([cooldown(24)], interactions=history), "cool")


def test_cooldown_without_history_passes() -> None:
    assert_passes(decide_one([cooldown(24)]), "cool")


def test_cooldown_fractional_hours() -> None:
    assert_passes(decide_one([cooldown(1.5)], interactions=[impression(ago(minutes=90))]), "cool")
    decision = decide_one([cooldown(1.5)], interactions=[impression(ago(minutes=89))])
    assert_blocks(decision, "cool", later(minutes=1))


def test_cooldown_zero_never_blocks() -> None:
    assert_passes(decide_one([cooldown(0)], interactions=[impression(ago())]), "cool")


def test_cooldown_channel_scope_counts_only_that_channel() -> None:
    p = cooldown(24, scope="channel", scope_id="ch_email")
    sms = impression(ago(hours=1), channel="ch_sms")
    assert_passes(decide_one([p], interactions=[sms]), "cool")
    other_offer_on_email = impression(ago(hours=2), offer="off_2")
    assert_blocks(decide_one([p], interactions=[sms, other_offer_on_email]), "cool", later(hours=22))


def test_cooldown_offer_scope_counts_only_that_offer() -> None:
    p = cooldown(24, scope="offer", scope_id="off_1")
    other = impression(ago(hours=1), offer="off_2")
    assert_passes(decide_one([p], interactions=[other]), "cool")
    own_on_sms = impression(ago(hours=3), channel="ch_sms")
    assert_blocks(decide_one([p], interactions=[other, own_on_sms]), "cool", later(hours=21))


def test_cooldown_global_scope_counts_every_impression() -> None:
    decision = decide_one(
        [cooldown(24)], interactions=[impression(ago(hours=4), offer="off_x", channel="ch_x")]
    )
    assert_blocks(decision, "cool", later(hours=20))


def test_cooldown_multi_scope_latest_eligible_at() -> None:
    p = cooldown(24, scopes=[("channel", "ch_email"), ("offer", "off_1")])
    history = [impression(ago(hours=10), offer="off_2"), impression(ago(hours=2), channel="ch_sms")]
    # channel scope: last 10 h ago (lifts in 14 h); offer scope: last 2 h ago (lifts in 22 h)
    block = assert_blocks(decide_one([p], interactions=history), "cool", later(hours=22))
    assert block["details"]["hoursSinceLast"] == pytest.approx(10)  # first listed scope


# -- outcome_based -----------------------------------------------------------------------------
def quarantine(config: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return policy("outcome_based", config, name="quarantine", **kw)


NEWER = {"afterOutcome": "complaint", "suppressForDays": 90}


def test_outcome_exactly_n_days_ago_no_longer_blocks() -> None:
    decision = decide_one([quarantine(NEWER)], interactions=[interaction(ago(days=90), "complaint")])
    assert_passes(decision, "quarantine")


def test_outcome_one_second_before_n_days_blocks() -> None:
    decision = decide_one(
        [quarantine(NEWER)], interactions=[interaction(ago(90 * DAY - SECOND), "complaint")]
    )
    block = assert_blocks(decision, "quarantine", later(seconds=1))
    details = block["details"]
    assert details["afterOutcome"] == "complaint"
    assert details["suppressForDays"] == 90
    assert details["lastOutcome"] == "complaint"
    assert details["daysSince"] == pytest.approx(90, abs=1e-3)


def test_outcome_after_now_is_ignored() -> None:
    decision = decide_one([quarantine(NEWER)], interactions=[interaction(later(seconds=1), "complaint")])
    assert_passes(decision, "quarantine")


def test_other_outcomes_do_not_trigger() -> None:
    history = [interaction(ago(days=1), outcome) for outcome in ("impression", "click", "unsubscribe")]
    assert_passes(decide_one([quarantine(NEWER)], interactions=history), "quarantine")


def test_outcome_array_any_listed_outcome_triggers() -> None:
    config = {"afterOutcome": ["complaint", "unsubscribe", "hard_bounce"], "suppressForDays": 30}
    history = [interaction(ago(days=10), "hard_bounce"), interaction(ago(days=5), "click")]
    block = assert_blocks(
        decide_one([quarantine(config)], interactions=history), "quarantine", later(days=20)
    )
    assert block["details"]["lastOutcome"] == "hard_bounce"
    assert block["details"]["afterOutcome"] == ["complaint", "unsubscribe", "hard_bounce"]


def test_outcome_latest_matching_interaction_sets_eligible_at() -> None:
    config = {"afterOutcome": ["complaint", "unsubscribe"], "suppressForDays": 30}
    history = [
        interaction(ago(days=20), "unsubscribe"),
        interaction(ago(days=3), "complaint"),
        interaction(ago(days=12), "complaint"),
    ]
    block = assert_blocks(
        decide_one([quarantine(config)], interactions=history), "quarantine", later(days=27)
    )
    assert block["details"]["lastOutcome"] == "complaint"


@pytest.mark.parametrize("outcome", ["complaint", ["complaint"], ["spam_report", "complaint"]])
def test_older_shape_outcome_within_days(outcome: str | list[str]) -> None:
    config = {"outcome": outcome, "withinDays": 14}
    assert_passes(
        decide_one([quarantine(config)], interactions=[interaction(ago(days=14), "complaint")]), "quarantine"
    )
    decision = decide_one([quarantine(config)], interactions=[interaction(ago(days=13), "complaint")])
    assert_blocks(decision, "quarantine", later(days=1))


def test_newer_outcome_key_wins_over_older() -> None:
    config = {"afterOutcome": "complaint", "outcome": "click", "suppressForDays": 30}
    assert_passes(
        decide_one([quarantine(config)], interactions=[interaction(ago(days=1), "click")]), "quarantine"
    )
    assert_blocks(
        decide_one([quarantine(config)], interactions=[interaction(ago(days=1), "complaint")]),
        "quarantine",
        later(days=29),
    )


def test_newer_days_key_wins_over_older() -> None:
    config = {"afterOutcome": "complaint", "suppressForDays": 5, "withinDays": 50}
    assert_passes(
        decide_one([quarantine(config)], interactions=[interaction(ago(days=10), "complaint")]), "quarantine"
    )
    assert_blocks(
        decide_one([quarantine(config)], interactions=[interaction(ago(days=3), "complaint")]),
        "quarantine",
        later(days=2),
    )


def test_newer_wins_in_a_fully_mixed_config() -> None:
    config = {"afterOutcome": "complaint", "outcome": "click", "suppressForDays": 5, "withinDays": 50}
    history = [interaction(ago(days=1), "click"), interaction(ago(days=10), "complaint")]
    assert_passes(decide_one([quarantine(config)], interactions=history), "quarantine")


def test_older_outcome_with_newer_days() -> None:
    config = {"outcome": ["complaint"], "suppressForDays": 7}
    assert_blocks(
        decide_one([quarantine(config)], interactions=[interaction(ago(days=6), "complaint")]),
        "quarantine",
        later(days=1),
    )


def test_outcome_suppress_zero_days_never_blocks() -> None:
    config = {"afterOutcome": "complaint", "suppressForDays": 0}
    assert_passes(
        decide_one([quarantine(config)], interactions=[interaction(ago(), "complaint")]), "quarantine"
    )


def test_outcome_scope_narrows_counting_to_the_offer() -> None:
    p = quarantine(NEWER, scope="offer", scope_id="off_1")
    other = interaction(ago(days=1), "complaint", offer="off_2")
    assert_passes(decide_one([p], interactions=[other]), "quarantine")
    own = interaction(ago(days=2), "complaint", channel="ch_sms")
    assert_blocks(decide_one([p], interactions=[other, own]), "quarantine", later(days=88))


def test_outcome_channel_scope_counts_only_that_channel() -> None:
    p = quarantine(NEWER, scope="channel", scope_id="ch_email")
    sms = interaction(ago(days=1), "complaint", channel="ch_sms")
    assert_passes(decide_one([p], interactions=[sms]), "quarantine")
    email = interaction(ago(days=4), "complaint", offer="off_5")
    assert_blocks(decide_one([p], interactions=[sms, email]), "quarantine", later(days=86))


def test_outcome_global_scope_counts_everything() -> None:
    history = [interaction(ago(days=1), "complaint", offer="off_9", channel="ch_push", category="cat_x")]
    assert_blocks(decide_one([quarantine(NEWER)], interactions=history), "quarantine", later(days=89))


# -- category_suppression ----------------------------------------------------------------------
def rest(config: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return policy("category_suppression", config, name="rest", **kw)


def test_category_suppression_exactly_n_days_ago_no_longer_blocks() -> None:
    history = [impression(ago(days=7), offer="off_2")]
    assert_passes(decide_one([rest({"suppressionDays": 7})], interactions=history), "rest")


def test_category_suppression_one_second_before_n_days_blocks() -> None:
    history = [impression(ago(7 * DAY - SECOND), offer="off_2")]
    block = assert_blocks(
        decide_one([rest({"suppressionDays": 7})], interactions=history), "rest", later(seconds=1)
    )
    details = block["details"]
    assert details["triggeringOfferId"] == "off_2"
    assert details["suppressionDays"] == 7
    assert details["daysSince"] == pytest.approx(7, abs=1e-3)
    assert details["categoryId"] is None
    assert details["subCategoryId"] is None


def test_category_suppression_uses_the_last_impression_of_the_category() -> None:
    history = [
        impression(ago(days=6), offer="off_2"),
        impression(ago(days=2), offer="off_3"),
        impression(ago(days=1), offer="off_4", category="cat_loans"),
    ]
    block = assert_blocks(
        decide_one([rest({"suppressionDays": 7})], interactions=history), "rest", later(days=5)
    )
    assert block["details"]["triggeringOfferId"] == "off_3"


def test_neither_id_matches_the_candidates_category() -> None:
    history = [impression(ago(days=1), offer="off_2", category="cat_loans")]
    assert_passes(decide_one([rest({"suppressionDays": 7})], interactions=history), "rest")
    loans = candidate("off_5", category="cat_loans")
    assert_blocks(
        decide_one([rest({"suppressionDays": 7})], interactions=history, candidates=[loans]),
        "rest",
        later(days=6),
    )


def test_neither_id_candidate_without_category_passes() -> None:
    history = [impression(ago(hours=1), offer="off_2")]
    decision = decide_one(
        [rest({"suppressionDays": 7})], interactions=history, candidates=[candidate(category=None)]
    )
    assert decision["allowed"] is True
    assert entry(decision, "rest")["result"] in ("pass", "not_in_scope")


def test_the_candidates_own_offer_counts() -> None:
    history = [impression(ago(days=1), offer="off_1")]
    assert_blocks(decide_one([rest({"suppressionDays": 7})], interactions=history), "rest", later(days=6))


def test_category_suppression_counts_only_impressions() -> None:
    history = [interaction(ago(days=1), "click", offer="off_2"), interaction(ago(days=1), "complaint")]
    assert_passes(decide_one([rest({"suppressionDays": 7})], interactions=history), "rest")


def test_category_suppression_ignores_impressions_after_now() -> None:
    history = [impression(later(seconds=1), offer="off_2")]
    assert_passes(decide_one([rest({"suppressionDays": 7})], interactions=history), "rest")


def test_with_category_id_only_that_category() -> None:
    config = {"categoryId": "cat_cards", "suppressionDays": 7}
    cards = [impression(ago(days=1), offer="off_2")]
    assert_blocks(decide_one([rest(config)], interactions=cards), "rest", later(days=6))
    travel = [impression(ago(days=1), offer="off_2", category="cat_travel")]
    other = candidate("off_5", category="cat_travel")
    decision = decide_one([rest(config)], interactions=travel, candidates=[other])
    assert decision["allowed"] is True


def test_with_category_id_other_category_impressions_do_not_count() -> None:
    config = {"categoryId": "cat_cards", "suppressionDays": 7}
    travel = [impression(ago(days=1), offer="off_2", category="cat_travel")]
    assert_passes(decide_one([rest(config)], interactions=travel), "rest")


def test_with_sub_category_id_only_that_sub_category() -> None:
    config = {"subCategoryId": "sub_gold", "suppressionDays": 7}
    gold = [impression(ago(days=2), offer="off_2", sub="sub_gold")]
    silver = [impression(ago(days=1), offer="off_3", sub="sub_silver")]
    # a gold candidate: only the gold impression counts
    assert_blocks(decide_one([rest(config)], interactions=[*gold, *silver]), "rest", later(days=5))
    assert_passes(decide_one([rest(config)], interactions=silver), "rest")
    # a silver candidate of the same category is outside the policy
    silver_candidate = candidate("off_4", sub="sub_silver")
    decision = decide_one([rest(config)], interactions=[*gold, *silver], candidates=[silver_candidate])
    assert decision["allowed"] is True


def test_category_suppression_scope_only_decides_whether_it_applies() -> None:
    # scoped to the email channel, it still counts impressions of the category on any channel
    p = rest({"suppressionDays": 7}, scope="channel", scope_id="ch_email")
    history = [impression(ago(days=3), offer="off_2", channel="ch_sms")]
    assert_blocks(decide_one([p], interactions=history), "rest", later(days=4))
    sms = candidate(channel="ch_sms", channel_type="sms")
    decision = decide_one([p], interactions=history, candidates=[sms])
    assert entry(decision, "rest")["result"] == "not_in_scope"


def test_category_suppression_fractional_days() -> None:
    history = [impression(ago(hours=12), offer="off_2")]
    assert_passes(decide_one([rest({"suppressionDays": 0.5})], interactions=history), "rest")
    history = [impression(ago(timedelta(hours=12) - SECOND), offer="off_2")]
    assert_blocks(
        decide_one([rest({"suppressionDays": 0.5})], interactions=history), "rest", later(seconds=1)
    )


def test_with_category_and_sub_category_both_must_match_the_candidate() -> None:
    config = {"categoryId": "cat_cards", "subCategoryId": "sub_gold", "suppressionDays": 7}
    history = [impression(ago(days=1), offer="off_2")]  # cat_cards / sub_gold
    assert_blocks(decide_one([rest(config)], interactions=history), "rest", later(days=6))
    silver = candidate("off_3", sub="sub_silver")
    assert decide_one([rest(config)], interactions=history, candidates=[silver])["allowed"] is True
    other_category = candidate("off_4", category="cat_loans")
    assert decide_one([rest(config)], interactions=history, candidates=[other_category])["allowed"] is True
