"""budget_exhausted, segment_exclusion, do_not_contact and metric_condition.

None of them lifts by time: "`null` where it never lifts by time alone (segment, DNC,
metric, budget, consent)".
"""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import (
    assert_blocks,
    assert_passes,
    candidate,
    decide_one,
    entry,
    policy,
    request,
)


# -- budget_exhausted --------------------------------------------------------------------------
def budget(field: str, threshold: float, **kw: Any) -> dict[str, Any]:
    return policy("budget_exhausted", {"budgetField": field, "threshold": threshold}, name="budget", **kw)


@pytest.mark.parametrize(("field", "threshold"), [("impressions", 1000), ("spend", 250.5)])
def test_budget_at_threshold_blocks(field: str, threshold: float) -> None:
    decision = decide_one([budget(field, threshold)], budgets={"off_1": {field: threshold}})
    block = assert_blocks(decision, "budget", None)
    assert block["details"] == {"budgetField": field, "threshold": threshold, "actual": threshold}


@pytest.mark.parametrize(
    ("field", "threshold", "below"), [("impressions", 1000, 999), ("spend", 250.5, 250.49)]
)
def test_budget_below_threshold_passes(field: str, threshold: float, below: float) -> None:
    assert_passes(decide_one([budget(field, threshold)], budgets={"off_1": {field: below}}), "budget")


def test_budget_above_threshold_blocks() -> None:
    assert_blocks(
        decide_one([budget("impressions", 10)], budgets={"off_1": {"impressions": 11}}), "budget", None
    )


def test_budget_reads_the_candidates_offer_for_every_non_creative_scope() -> None:
    budgets = {"off_1": {"impressions": 5}, "off_2": {"impressions": 500}, "cr_1": {"impressions": 500}}
    for scope, scope_id in (
        ("global", None),
        ("offer", "off_1"),
        ("channel", "ch_email"),
        ("category", "cat_cards"),
    ):
        p = budget("impressions", 100, scope=scope, scope_id=scope_id)
        assert_passes(decide_one([p], budgets=budgets), "budget")
        p = budget("impressions", 5, scope=scope, scope_id=scope_id)
        assert_blocks(decide_one([p], budgets=budgets), "budget", None)


def test_budget_creative_scope_reads_the_creative() -> None:
    p = budget("impressions", 100, scope="creative", scope_id="cr_1")
    assert_blocks(
        decide_one([p], budgets={"cr_1": {"impressions": 100}, "off_1": {"impressions": 0}}), "budget"
    )
    assert_passes(
        decide_one([p], budgets={"cr_1": {"impressions": 99}, "off_1": {"impressions": 10**6}}), "budget"
    )


def test_budget_missing_entry_passes() -> None:
    decision = decide_one([budget("impressions", 0)], budgets={"off_2": {"impressions": 10**6}})
    assert_passes(decision, "budget")
    assert_passes(decide_one([budget("impressions", 0)]), "budget")  # no budgets at all


def test_budget_missing_field_passes() -> None:
    assert_passes(decide_one([budget("impressions", 0)], budgets={"off_1": {"spend": 10**6}}), "budget")
    assert_passes(decide_one([budget("spend", 0)], budgets={"off_1": {"impressions": 10**6}}), "budget")


def test_budget_null_field_passes() -> None:
    assert_passes(decide_one([budget("spend", 0)], budgets={"off_1": {"spend": None}}), "budget")


def test_budget_daily_spend_reads_daily_spend() -> None:
    p = budget("daily_spend", 100)
    assert_blocks(decide_one([p], budgets={"off_1": {"daily_spend": 100}}), "budget", None)
    assert_passes(decide_one([p], budgets={"off_1": {"daily_spend": 99.99}}), "budget")


def test_budget_daily_spend_prefers_its_own_field_over_spend() -> None:
    p = budget("daily_spend", 100)
    assert_passes(decide_one([p], budgets={"off_1": {"daily_spend": 20, "spend": 5000}}), "budget")


def test_budget_daily_spend_missing_field_passes() -> None:
    # SPEC §2.1: "a missing entry or field does not block"; the field is budgetField.
    p = budget("daily_spend", 100)
    assert_passes(decide_one([p], budgets={"off_1": {"spend": 5000}}), "budget")


def test_budget_multi_scope_blocks_if_any_matched_scope_blocks() -> None:
    p = budget("impressions", 100, scopes=[("offer", "off_1"), ("creative", "cr_1")])
    assert_blocks(
        decide_one([p], budgets={"off_1": {"impressions": 1}, "cr_1": {"impressions": 100}}), "budget"
    )
    assert_blocks(
        decide_one([p], budgets={"off_1": {"impressions": 100}, "cr_1": {"impressions": 1}}), "budget"
    )
    assert_passes(
        decide_one([p], budgets={"off_1": {"impressions": 99}, "cr_1": {"impressions": 99}}), "budget"
    )


# -- segment_exclusion -------------------------------------------------------------------------
def segments(config: dict[str, Any]) -> dict[str, Any]:
    return policy("segment_exclusion", config, name="segments")


def test_segment_member_is_blocked() -> None:
    p = segments({"excludeSegments": ["vip", "staff"]})
    decision = decide_one([p], customer={"segments": ["newsletter", "staff"]})
    block = assert_blocks(decision, "segments", None)
    assert block["details"] == {"excludeSegments": ["vip", "staff"], "matchedSegment": "staff"}


def test_segment_non_member_passes() -> None:
    p = segments({"excludeSegments": ["vip", "staff"]})
    assert_passes(decide_one([p], customer={"segments": ["newsletter"]}), "segments")
    assert_passes(decide_one([p]), "segments")  # no segments at all


def test_segment_empty_exclusion_list_passes() -> None:
    assert_passes(decide_one([segments({"excludeSegments": []})], customer={"segments": ["vip"]}), "segments")


def test_segment_older_shape_segment_id() -> None:
    p = segments({"segmentId": "vip"})
    assert_blocks(decide_one([p], customer={"segments": ["vip"]}), "segments", None)
    assert_passes(decide_one([p], customer={"segments": ["vipx"]}), "segments")


def test_segment_newer_key_wins_over_segment_id() -> None:
    p = segments({"excludeSegments": ["staff"], "segmentId": "vip"})
    assert_passes(decide_one([p], customer={"segments": ["vip"]}), "segments")
    assert_blocks(decide_one([p], customer={"segments": ["staff"]}), "segments", None)


# -- do_not_contact ----------------------------------------------------------------------------
def dnc(config: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    return policy("do_not_contact", config or {}, name="dnc", **kw)


def test_dnc_any_list_without_source() -> None:
    assert_passes(decide_one([dnc()], customer={"dnc": []}), "dnc")
    assert_passes(decide_one([dnc()]), "dnc")
    assert_blocks(decide_one([dnc()], customer={"dnc": ["marketing"]}), "dnc", None)


def test_dnc_named_list() -> None:
    p = dnc({"dncSource": "legal"})
    assert_passes(decide_one([p], customer={"dnc": ["marketing"]}), "dnc")
    assert_blocks(decide_one([p], customer={"dnc": ["marketing", "legal"]}), "dnc", None)


def test_dnc_named_list_is_an_exact_name() -> None:
    p = dnc({"dncSource": "legal"})
    assert_passes(decide_one([p], customer={"dnc": ["legal_hold", "Legal"]}), "dnc")


@pytest.mark.parametrize("bypassable", [None, True, False])
def test_dnc_is_never_lifted_by_an_override(bypassable: bool | None) -> None:
    config = {} if bypassable is None else {"bypassable": bypassable}
    override = policy("allow_override", {"reason": "vip"}, name="override", priority=100)
    decision = decide_one([override, dnc(config)], customer={"dnc": ["marketing"]})
    assert_blocks(decision, "dnc", None)
    assert decision["overriddenBy"] is None


@pytest.mark.parametrize("bypassable", [None, True])
def test_dnc_is_never_lifted_for_a_mandatory_offer(bypassable: bool | None) -> None:
    config = {} if bypassable is None else {"bypassable": bypassable}
    req = request([candidate(mandatory=True)], customer={"dnc": ["marketing"]})
    assert_blocks(decide_one([dnc(config)], req), "dnc", None)


# -- metric_condition --------------------------------------------------------------------------
def metric(config: dict[str, Any]) -> dict[str, Any]:
    return policy("metric_condition", {"metricId": "m_score", **config}, name="metric")


CASES = [
    # operator, threshold, value, blocks
    ("gt", 5, 5, False),
    ("gt", 5, 5.01, True),
    ("gt", 5, 4, False),
    ("gte", 5, 5, True),
    ("gte", 5, 4.99, False),
    ("gte", 5, 6, True),
    ("lt", 5, 5, False),
    ("lt", 5, 4.99, True),
    ("lt", 5, 6, False),
    ("lte", 5, 5, True),
    ("lte", 5, 5.01, False),
    ("lte", 5, -1, True),
    ("eq", 5, 5, True),
    ("eq", 5, 5.0, True),
    ("eq", 5, 5.01, False),
    ("eq", 0.1, 0.1, True),
    ("eq", 0, 0, True),
]


@pytest.mark.parametrize(("operator", "threshold", "value", "blocks"), CASES)
def test_metric_operators(operator: str, threshold: float, value: float, blocks: bool) -> None:
    p = metric({"operator": operator, "threshold": threshold})
    decision = decide_one([p], customer={"metrics": {"m_score": value}})
    if blocks:
        block = assert_blocks(decision, "metric", None)
        details = block["details"]
        assert (details["metricId"], details["operator"], details["threshold"]) == (
            "m_score",
            operator,
            threshold,
        )
        assert details["value"] == value
    else:
        found = assert_passes(decision, "metric")
        assert found["details"]["value"] == value


def test_metric_defaults_gte_zero() -> None:
    p = metric({})
    block = assert_blocks(decide_one([p], customer={"metrics": {"m_score": 0}}), "metric", None)
    assert block["details"]["operator"] == "gte"
    assert block["details"]["threshold"] == 0
    assert_passes(decide_one([p], customer={"metrics": {"m_score": -0.5}}), "metric")


def test_metric_default_threshold_with_operator() -> None:
    p = metric({"operator": "gt"})
    assert_passes(decide_one([p], customer={"metrics": {"m_score": 0}}), "metric")
    assert_blocks(decide_one([p], customer={"metrics": {"m_score": 0.001}}), "metric", None)


def test_metric_default_operator_with_threshold() -> None:
    p = metric({"threshold": 3})
    assert_blocks(decide_one([p], customer={"metrics": {"m_score": 3}}), "metric", None)
    assert_passes(decide_one([p], customer={"metrics": {"m_score": 2.999}}), "metric")


@pytest.mark.parametrize(
    "metrics",
    [
        {},
        {"other": 10},
        {"m_score": None},
        {"m_score": "high"},
        {"m_score": "10"},
        {"m_score": [10]},
        {"m_score": {"value": 10}},
        # JSON true is not a number (even though Python's bool is an int)
        {"m_score": True},
    ],
)
@pytest.mark.parametrize("operator", ["gte", "lt", "eq"])
def test_metric_missing_or_non_numeric_passes_and_says_so(metrics: dict[str, Any], operator: str) -> None:
    p = metric({"operator": operator, "threshold": 0})
    decision = decide_one([p], customer={"metrics": metrics})
    found = assert_passes(decision, "metric")
    assert found["details"]["missing"] is True
    assert found["details"]["value"] is None
    assert decision["allowed"] is True


def test_metric_reads_only_its_own_metric() -> None:
    p = metric({"operator": "gte", "threshold": 1})
    decision = decide_one([p], customer={"metrics": {"m_other": 100, "m_score": 0}})
    assert_passes(decision, "metric")
    assert entry(decision, "metric")["details"]["value"] == 0


def test_budget_threshold_zero_blocks_at_zero() -> None:
    assert_blocks(
        decide_one([budget("impressions", 0)], budgets={"off_1": {"impressions": 0}}), "budget", None
    )


def test_budget_subcategory_scope_reads_the_offer() -> None:
    p = budget("spend", 10, scope="subcategory", scope_id="sub_gold")
    assert_blocks(decide_one([p], budgets={"off_1": {"spend": 10}, "sub_gold": {"spend": 0}}), "budget", None)
