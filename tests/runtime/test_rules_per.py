"""Counting per offer, channel, creative, category or sub-category (SPEC §1.1).

"After the usual narrowing to the matched scope (and the campaign filters), counting keeps
only the interactions whose offerId / channelId / creativeId / categoryId / subCategoryId
equals the candidate's. … A candidate without that field passes the policy (nothing to
count by). eligibleAt, details (plus "per": "offer", "perValue": "off_1") and the reason
follow. Without per nothing changes."
"""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest

from .helpers import (
    DAY,
    HOUR,
    NOW_DT,
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
    iso,
    later,
    policy,
    request,
    utc,
)


class Dimension(NamedTuple):
    """A `per` dimension: the helpers' keyword for its field, and how a reason names it."""

    per: str
    field: str
    keyword: str  # candidate() / interaction() keyword
    preposition: str  # "of offer off_1", "on channel ch_email"


DIMENSIONS = [
    Dimension("offer", "offerId", "offer", "of"),
    Dimension("channel", "channelId", "channel", "on"),
    Dimension("creative", "creativeId", "creative", "of"),
    Dimension("category", "categoryId", "category", "of"),
    Dimension("subcategory", "subCategoryId", "sub", "of"),
]
BY_DIMENSION = pytest.mark.parametrize("dim", DIMENSIONS, ids=[d.per for d in DIMENSIONS])


def value(dim: Dimension, name: str) -> str:
    """A value of the dimension: `off_a`, `ch_a`, `cr_a`, `cat_a`, `sub_a`."""
    prefix = {"offer": "off", "channel": "ch", "creative": "cr", "category": "cat", "subcategory": "sub"}
    return f"{prefix[dim.per]}_{name}"


def cand(dim: Dimension, name: str | None, **fields: Any) -> dict[str, Any]:
    """A candidate whose value of the dimension is `name` (None: it has none)."""
    if dim.per == "offer":
        assert name is not None, "a candidate always has an offerId"
        return candidate(value(dim, name), **fields)
    return candidate(**{dim.keyword: None if name is None else value(dim, name), **fields})


def event(dim: Dimension, name: str, at: str, outcome: str = "impression", **fields: Any) -> dict[str, Any]:
    if dim.per == "offer":
        return interaction(at, outcome, offer=value(dim, name), **fields)
    return interaction(at, outcome, **{dim.keyword: value(dim, name), **fields})


def counted(dim: Dimension, name: str) -> str:
    return f"{dim.preposition} {dim.per} {value(dim, name)}"


def per_details(dim: Dimension, name: str | None) -> dict[str, Any]:
    return {"per": dim.per, "perValue": None if name is None else value(dim, name)}


# -- the three rule types x the five dimensions, global scope ---------------------------------
@BY_DIMENSION
def test_frequency_cap_counts_each_value_apart(dim: Dimension) -> None:
    p = policy("frequency_cap", {"maxPerWeek": 2, "per": dim.per}, name="cap")
    history = [
        event(dim, "a", ago(days=1)),
        event(dim, "a", ago(days=3)),
        event(dim, "b", ago(days=2)),
        event(dim, "a", ago(days=8)),  # outside the week
    ]
    a, b, c = decide([p], request([cand(dim, "a"), cand(dim, "b"), cand(dim, "c")], history))
    block = assert_blocks(a, "cap", later(days=4))
    assert block["reason"] == (
        f"2 impressions {counted(dim, 'a')} in the last 7 days; cap is 2 per week for each {dim.per}"
    )
    assert block["details"] == {"window": "weekly", "count": 2, "max": 2, **per_details(dim, "a")}
    passed = assert_passes(b, "cap")
    assert passed["details"] == {"window": "weekly", "count": 1, "max": 2, **per_details(dim, "b")}
    assert passed["reason"] == (
        f"1 impression {counted(dim, 'b')} in the last 7 days; cap is 2 per week for each {dim.per}"
    )
    assert assert_passes(c, "cap")["details"]["count"] == 0


@BY_DIMENSION
def test_cooldown_counts_each_value_apart(dim: Dimension) -> None:
    p = policy("cooldown", {"cooldownHours": 48, "per": dim.per}, name="cool")
    history = [event(dim, "a", ago(hours=30)), event(dim, "b", ago(hours=60)), event(dim, "a", ago(hours=70))]
    a, b, c = decide([p], request([cand(dim, "a"), cand(dim, "b"), cand(dim, "c")], history))
    block = assert_blocks(a, "cool", later(hours=18))
    assert block["reason"] == (
        f"last impression {counted(dim, 'a')} was 30.0 hours ago; cooldown is 48 hours for each {dim.per}"
    )
    assert block["details"] == {"cooldownHours": 48, "hoursSinceLast": 30.0, **per_details(dim, "a")}
    passed = assert_passes(b, "cool")
    assert passed["reason"] == (
        f"last impression {counted(dim, 'b')} was 60.0 hours ago; cooldown is 48 hours for each {dim.per}"
    )
    assert passed["details"] == {"cooldownHours": 48, "hoursSinceLast": 60.0, **per_details(dim, "b")}
    passed = assert_passes(c, "cool")
    assert passed["reason"] == f"no impression {counted(dim, 'c')} yet"
    assert passed["details"] == {"cooldownHours": 48, "hoursSinceLast": None, **per_details(dim, "c")}


@BY_DIMENSION
def test_outcome_based_counts_each_value_apart(dim: Dimension) -> None:
    p = policy(
        "outcome_based", {"afterOutcome": "dismiss", "suppressForDays": 7, "per": dim.per}, name="rest"
    )
    history = [
        event(dim, "a", ago(days=2), "dismiss"),
        event(dim, "b", ago(days=9), "dismiss"),
        event(dim, "c", ago(days=1)),  # an impression is not a dismissal
    ]
    a, b, c = decide([p], request([cand(dim, "a"), cand(dim, "b"), cand(dim, "c")], history))
    block = assert_blocks(a, "rest", later(days=5))
    assert block["reason"] == (
        f"last dismiss {counted(dim, 'a')} was 2.0 days ago; "
        f"suppressed for 7 days after it, for each {dim.per}"
    )
    assert block["details"] == {
        "afterOutcome": "dismiss",
        "suppressForDays": 7,
        "daysSince": 2.0,
        "lastOutcome": "dismiss",
        **per_details(dim, "a"),
    }
    passed = assert_passes(b, "rest")
    assert passed["reason"] == (
        f"last dismiss {counted(dim, 'b')} was 9.0 days ago; "
        f"suppressed for 7 days after it, for each {dim.per}"
    )
    passed = assert_passes(c, "rest")
    assert passed["reason"] == f"no dismiss {counted(dim, 'c')}"
    assert passed["details"] == {
        "afterOutcome": "dismiss",
        "suppressForDays": 7,
        "daysSince": None,
        "lastOutcome": None,
        **per_details(dim, "c"),
    }


# -- a candidate without the field ---------------------------------------------------------------
RULES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "frequency_cap": ({"maxPerWeek": 0}, {"window": "weekly", "count": None, "max": 0}),
    "cooldown": ({"cooldownHours": 48}, {"cooldownHours": 48, "hoursSinceLast": None}),
    "outcome_based": (
        {"afterOutcome": ["dismiss", "impression"], "suppressForDays": 7},
        {
            "afterOutcome": ["dismiss", "impression"],
            "suppressForDays": 7,
            "daysSince": None,
            "lastOutcome": None,
        },
    ),
}


@pytest.mark.parametrize("rule", list(RULES))
@pytest.mark.parametrize("dim", DIMENSIONS[1:], ids=[d.per for d in DIMENSIONS[1:]])
def test_a_candidate_without_the_field_passes(rule: str, dim: Dimension) -> None:
    config, blank = RULES[rule]
    p = policy(rule, {**config, "per": dim.per}, name="p")
    # history that would block it without `per` (a cap of 0 blocks even with none)
    history = [impression(ago(hours=1)), interaction(ago(hours=1), "dismiss"), event(dim, "a", ago(hours=2))]
    passed = assert_passes(decide_one([p], interactions=history, candidates=[cand(dim, None)]), "p")
    assert passed["reason"] == f"the candidate has no {dim.field} to count by"
    assert passed["details"] == {**blank, "per": dim.per, "perValue": None}
    assert passed["eligibleAt"] is None
    # the same policy without `per` blocks it
    unper = policy(rule, config, name="p")
    assert_blocks(decide_one([unper], interactions=history, candidates=[cand(dim, None)]), "p")


def test_interactions_without_the_field_count_for_no_value() -> None:
    p = policy("frequency_cap", {"maxPerDay": 1, "per": "creative"}, name="cap")
    history = [impression(ago(hours=1), creative=None)]
    assert assert_passes(decide_one([p], interactions=history), "cap")["details"]["count"] == 0


# -- scope narrowing with per --------------------------------------------------------------------
def test_frequency_cap_channel_scope_per_offer() -> None:
    p = policy(
        "frequency_cap",
        {"maxPerWeek": 2, "per": "offer"},
        name="cap",
        scope="channel",
        scope_id="ch_email",
    )
    history = [
        impression(ago(days=1), offer="off_1", channel="ch_email"),
        impression(ago(days=2), offer="off_1", channel="ch_email"),
        impression(ago(days=1), offer="off_1", channel="ch_sms"),  # another channel
        impression(ago(days=1), offer="off_2", channel="ch_email"),  # another offer
        impression(ago(days=3), offer="off_2", channel="ch_sms"),
    ]
    first, second, sms = decide(
        [p],
        request([candidate("off_1"), candidate("off_2"), candidate("off_1", channel="ch_sms")], history),
    )
    block = assert_blocks(first, "cap", later(days=5))
    assert block["reason"] == (
        "2 impressions of offer off_1 on channel ch_email in the last 7 days; "
        "cap is 2 per week for each offer"
    )
    assert block["details"] == {"window": "weekly", "count": 2, "max": 2, "per": "offer", "perValue": "off_1"}
    assert assert_passes(second, "cap")["details"]["count"] == 1
    assert entry(sms, "cap")["result"] == "not_in_scope"


def test_cooldown_category_scope_per_creative() -> None:
    p = policy(
        "cooldown",
        {"cooldownHours": 24, "per": "creative"},
        name="cool",
        scope="category",
        scope_id="cat_cards",
    )
    history = [
        impression(ago(hours=2), creative="cr_1", category="cat_loans"),  # outside the scope
        impression(ago(hours=5), creative="cr_2", category="cat_cards"),  # another creative
        impression(ago(hours=10), creative="cr_1", category="cat_cards"),
    ]
    (decision,) = decide([p], request([candidate(creative="cr_1")], history))
    block = assert_blocks(decision, "cool", later(hours=14))
    assert block["reason"] == (
        "last impression of creative cr_1 on category cat_cards was 10.0 hours ago; "
        "cooldown is 24 hours for each creative"
    )


def test_outcome_based_offer_scope_per_channel() -> None:
    p = policy(
        "outcome_based",
        {"afterOutcome": "complaint", "suppressForDays": 30, "per": "channel"},
        name="rest",
        scope="offer",
        scope_id="off_1",
    )
    history = [
        interaction(ago(days=1), "complaint", offer="off_2", channel="ch_email"),  # another offer
        interaction(ago(days=3), "complaint", offer="off_1", channel="ch_sms"),
        interaction(ago(days=40), "complaint", offer="off_1", channel="ch_email"),  # too old
    ]
    email, sms = decide(
        [p], request([candidate("off_1"), candidate("off_1", channel="ch_sms", channel_type="sms")], history)
    )
    passed = assert_passes(email, "rest")
    assert passed["reason"] == (
        "last complaint on channel ch_email on offer off_1 was 40.0 days ago; "
        "suppressed for 30 days after it, for each channel"
    )
    block = assert_blocks(sms, "rest", later(days=27))
    assert block["details"]["perValue"] == "ch_sms"
    assert block["details"]["daysSince"] == 3.0


@pytest.mark.parametrize("rule", ["frequency_cap", "cooldown", "outcome_based"])
def test_per_equal_to_the_scopes_own_field_counts_as_the_scope_does(rule: str) -> None:
    configs: dict[str, dict[str, Any]] = {
        "frequency_cap": {"maxContacts": 1, "windowDays": 3},
        "cooldown": {"cooldownHours": 72},
        "outcome_based": {"afterOutcome": "impression", "suppressForDays": 3},
    }
    config = configs[rule]
    history = [impression(ago(days=1), offer="off_1"), impression(ago(hours=1), offer="off_2")]
    scoped = policy(rule, config, name="p", scope="offer", scope_id="off_1")
    with_per = policy(rule, {**config, "per": "offer"}, name="p", scope="offer", scope_id="off_1")
    plain = assert_blocks(decide_one([scoped], interactions=history), "p", later(days=2))
    block = assert_blocks(decide_one([with_per], interactions=history), "p", later(days=2))
    assert block["details"] == {**plain["details"], "per": "offer", "perValue": "off_1"}
    # the scope names the value already: said once
    assert "of offer off_1" in block["reason"]
    assert "on offer off_1" not in block["reason"]


def test_campaign_filters_apply_before_per() -> None:
    p = policy(
        "frequency_cap",
        {"maxPerWeek": 2, "excludeCampaignIds": ["camp_service"], "per": "offer"},
        name="cap",
    )
    history = [
        impression(ago(days=1), offer="off_1"),
        impression(ago(days=2), offer="off_1", campaign="camp_service"),
        impression(ago(days=3), offer="off_1", campaign="camp_spring"),
        impression(ago(days=1), offer="off_2", campaign="camp_spring"),
    ]
    block = assert_blocks(decide_one([p], interactions=history), "cap", later(days=4))
    assert block["details"]["count"] == 2


def test_multi_scope_with_per_counts_each_matched_scope_apart() -> None:
    p = policy(
        "frequency_cap",
        {"maxPerDay": 1, "per": "creative"},
        name="cap",
        scopes=[("channel", "ch_email"), ("category", "cat_cards")],
    )
    history = [
        impression(ago(hours=20), creative="cr_1", channel="ch_sms", category="cat_cards"),
        impression(ago(hours=10), creative="cr_1", channel="ch_email", category="cat_loans"),
        impression(ago(hours=1), creative="cr_2", channel="ch_email", category="cat_cards"),
    ]
    (decision,) = decide([p], request([candidate(creative="cr_1")], history))
    block = assert_blocks(decision, "cap")
    # the first blocking scope in listed order speaks; eligibleAt is the latest of the two
    assert block["reason"] == (
        "1 impression of creative cr_1 on channel ch_email in the last 24 hours; "
        "cap is 1 per day for each creative"
    )
    assert block["details"] == {
        "window": "daily",
        "count": 1,
        "max": 1,
        "per": "creative",
        "perValue": "cr_1",
    }
    assert block["eligibleAt"] == later(hours=14)
    # cr_2 has its own impression on email and in cards: blocked until the later one (both 23 h)
    (other,) = decide([p], request([candidate(creative="cr_2")], history))
    assert assert_blocks(other, "cap")["eligibleAt"] == later(hours=23)


# -- eligibleAt on the window edge ------------------------------------------------------------------
def test_per_eligible_at_is_the_window_edge_exactly() -> None:
    p = policy("frequency_cap", {"maxPerWeek": 2, "per": "offer"}, name="cap")
    oldest = NOW_DT - 6 * DAY + 0.25 * SECOND  # sub-second: eligibleAt rounds up
    history = [
        impression(iso(oldest), offer="off_1"),
        impression(ago(days=2), offer="off_1"),
        impression(ago(days=5), offer="off_2"),  # another offer's leaves earlier
        impression(ago(days=1), offer="off_2"),
        impression(ago(hours=1), offer="off_2"),
    ]
    eligible = later(days=1, seconds=1)
    assert_blocks(decide_one([p], interactions=history), "cap", eligible)
    just_before = decide_one([p], request(interactions=history, now=iso(utc(eligible) - SECOND)))
    assert_blocks(just_before, "cap")
    at_eligible = decide_one([p], request(interactions=history, now=eligible))
    assert assert_passes(at_eligible, "cap")["details"]["count"] == 1


@pytest.mark.parametrize(
    ("rule", "config", "outcome", "length"),
    [
        ("cooldown", {"cooldownHours": 12}, "impression", 12 * HOUR),
        ("outcome_based", {"afterOutcome": "dismiss", "suppressForDays": 7}, "dismiss", 7 * DAY),
    ],
)
def test_recency_per_lifts_exactly_at_eligible_at(
    rule: str, config: dict[str, Any], outcome: str, length: Any
) -> None:
    p = policy(rule, {**config, "per": "offer"}, name="p")
    history = [
        interaction(ago(hours=3), outcome, offer="off_1"),
        interaction(ago(hours=1), outcome, offer="off_2"),  # later, but another offer
    ]
    eligible = iso(NOW_DT - 3 * HOUR + length)
    assert_blocks(decide_one([p], interactions=history), "p", eligible)
    assert_blocks(decide_one([p], request(interactions=history, now=iso(utc(eligible) - SECOND))), "p")
    assert_passes(decide_one([p], request(interactions=history, now=eligible)), "p")


# -- older shapes ---------------------------------------------------------------------------------
def test_frequency_cap_older_window_with_per() -> None:
    p = policy("frequency_cap", {"maxContacts": 2, "windowDays": 10, "per": "offer"}, name="cap")
    history = [
        impression(ago(days=9), offer="off_1"),
        impression(ago(days=4), offer="off_1"),
        impression(ago(days=1), offer="off_2"),
    ]
    first, second = decide([p], request([candidate("off_1"), candidate("off_2")], history))
    block = assert_blocks(first, "cap", later(days=1))
    assert (
        block["reason"]
        == "2 impressions of offer off_1 in the last 10 days; cap is 2 per 10 days for each offer"
    )
    assert block["details"] == {
        "window": "10 days",
        "count": 2,
        "max": 2,
        "per": "offer",
        "perValue": "off_1",
    }
    assert assert_passes(second, "cap")["details"]["count"] == 1


def test_outcome_based_older_shape_with_per() -> None:
    p = policy(
        "outcome_based", {"outcome": ["dismiss", "rejected"], "withinDays": 7, "per": "offer"}, name="rest"
    )
    history = [
        interaction(ago(days=6), "rejected", offer="off_1"),
        interaction(ago(days=1), "dismiss", offer="off_2"),
    ]
    first, second, third = decide(
        [p], request([candidate("off_1"), candidate("off_2"), candidate("off_3")], history)
    )
    block = assert_blocks(first, "rest", later(days=1))
    assert block["details"] == {
        "afterOutcome": ["dismiss", "rejected"],
        "suppressForDays": 7,
        "daysSince": 6.0,
        "lastOutcome": "rejected",
        "per": "offer",
        "perValue": "off_1",
    }
    assert_blocks(second, "rest", later(days=6))
    assert assert_passes(third, "rest")["reason"] == "no dismiss / rejected of offer off_3"


# -- mandatory offers and overrides ------------------------------------------------------------------
def test_a_mandatory_offer_obeys_a_frequency_cap_with_per() -> None:
    p = policy("frequency_cap", {"maxPerDay": 1, "per": "offer"}, name="cap")
    history = [impression(ago(hours=1), offer="off_1")]
    first, second = decide(
        [p], request([candidate("off_1", mandatory=True), candidate("off_2", mandatory=True)], history)
    )
    assert_blocks(first, "cap", later(hours=23))
    assert_passes(second, "cap")


@pytest.mark.parametrize(
    ("rule", "config"),
    [
        ("cooldown", {"cooldownHours": 48}),
        ("outcome_based", {"afterOutcome": "impression", "suppressForDays": 7}),
    ],
)
def test_a_mandatory_offer_skips_recency_rules_with_per(rule: str, config: dict[str, Any]) -> None:
    p = policy(rule, {**config, "per": "offer"}, name="p")
    decision = decide_one(
        [p], interactions=[impression(ago(hours=1))], candidates=[candidate(mandatory=True)]
    )
    assert decision["allowed"] is True
    found = entry(decision, "p")
    assert (found["result"], found["reason"]) == ("skipped", "skipped for a mandatory offer")


def test_an_override_lifts_a_bypassable_per_block_not_a_non_bypassable_one() -> None:
    history = [interaction(ago(days=1), "dismiss", offer="off_1")]
    rest = {"afterOutcome": "dismiss", "suppressForDays": 7, "per": "offer"}
    override = policy("allow_override", {"reason": "vip"}, name="vip", scope="offer", scope_id="off_1")
    lifted = decide_one([policy("outcome_based", rest, name="rest"), override], interactions=history)
    assert lifted["allowed"] is True
    found = entry(lifted, "rest")
    assert found["result"] == "skipped"
    assert found["reason"] == (
        "bypassed by override vip: last dismiss of offer off_1 was 1.0 days ago; "
        "suppressed for 7 days after it, for each offer"
    )
    assert found["details"]["perValue"] == "off_1"
    strict = policy("outcome_based", {**rest, "bypassable": False}, name="rest")
    kept = decide_one([strict, override], interactions=history)
    assert_blocks(kept, "rest", later(days=6))
    assert kept["overriddenBy"] is None


# -- the verdict cache keys on the per field ----------------------------------------------------------
@pytest.mark.parametrize("order", [("off_1", "off_2"), ("off_2", "off_1")])
@pytest.mark.parametrize(
    ("rule", "config"),
    [
        ("frequency_cap", {"maxPerWeek": 1}),
        ("cooldown", {"cooldownHours": 24}),
        ("outcome_based", {"afterOutcome": "impression", "suppressForDays": 1}),
    ],
)
def test_candidates_of_different_offers_in_one_request_each_get_their_own_verdict(
    rule: str, config: dict[str, Any], order: tuple[str, str]
) -> None:
    # A global policy reads no candidate field but its per field: a cache keyed without it
    # would hand the second candidate the first one's verdict (or, in fast mode, leave the
    # policy out as "the same for everyone" when the first candidate passes).
    p = policy(rule, {**config, "per": "offer"}, name="p")
    decisions = decide([p], request([candidate(offer) for offer in order], [impression(ago(hours=2))]))
    allowed = {d["candidate"]["offerId"]: d["allowed"] for d in decisions}
    assert allowed == {"off_1": False, "off_2": True}


def test_candidates_differing_only_on_the_per_field_are_decided_apart() -> None:
    p = policy("cooldown", {"cooldownHours": 24, "per": "creative"}, name="p")
    history = [impression(ago(hours=2), creative="cr_1")]
    decisions = decide([p], request([candidate(creative="cr_2"), candidate(creative="cr_1")], history))
    assert [d["allowed"] for d in decisions] == [True, False]
    assert decisions[1]["eligibleAt"] == later(hours=22)


def test_without_per_details_and_reasons_are_unchanged() -> None:
    p = policy("frequency_cap", {"maxPerWeek": 1}, name="cap", scope="channel", scope_id="ch_email")
    block = assert_blocks(decide_one([p], interactions=[impression(ago(days=1))]), "cap")
    assert block["details"] == {"window": "weekly", "count": 1, "max": 1}
    assert block["reason"] == "1 impression on channel ch_email in the last 7 days; cap is 1 per week"
