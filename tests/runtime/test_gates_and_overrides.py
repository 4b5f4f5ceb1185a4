"""Overrides, bypassable, mandatory offers, the consent and suppression gates, status and
evaluation order (SPEC §1 "Override and mandatory offers", "Consent"; §2.1 "Order,
override, gates")."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cpol.runtime.clock import BEYOND_CALENDAR

from .helpers import (
    ago,
    assert_blocks,
    assert_passes,
    blocked_by,
    candidate,
    decide_one,
    entry,
    impression,
    interaction,
    later,
    policy,
    request,
)

HISTORY = [impression(ago(hours=1))]  # one impression of off_1 on email, an hour ago


def cap(**kw: Any) -> dict[str, Any]:
    return policy("frequency_cap", {"maxPerDay": 1, **kw.pop("config", {})}, name="cap", id="cp_cap", **kw)


def override(name: str = "override", **kw: Any) -> dict[str, Any]:
    return policy("allow_override", {"reason": "VIP"}, name=name, id=kw.pop("id", f"cp_{name}"), **kw)


# -- allow_override ----------------------------------------------------------------------------
@pytest.mark.parametrize(("override_priority", "cap_priority"), [(0, 100), (50, 50), (100, 0), (10, 90)])
def test_override_lifts_a_bypassable_block_whatever_its_priority(
    override_priority: int, cap_priority: int
) -> None:
    decision = decide_one(
        [cap(priority=cap_priority), override(priority=override_priority)], interactions=HISTORY
    )
    assert decision["allowed"] is True
    assert decision["blockedBy"] == []
    assert decision["overriddenBy"] == "cp_override"
    assert decision["eligibleAt"] is None
    assert result_of(decision, "cap") == "skipped"
    assert result_of(decision, "override") == "override"


def result_of(decision: dict[str, Any], name: str) -> str:
    outcome: str = entry(decision, name)["result"]
    return outcome


RULES_THAT_BLOCK = [
    ("frequency_cap", {"maxPerDay": 1}, {}),
    ("cooldown", {"cooldownHours": 24}, {}),
    ("outcome_based", {"afterOutcome": "complaint", "suppressForDays": 30}, {}),
    ("category_suppression", {"suppressionDays": 7}, {}),
    ("cross_channel_cap", {"maxTotal": 1}, {}),
    ("customer_total_cap", {"maxTotal": 1}, {}),
    ("offer_category_cap", {"targetCategory": "credit cards", "maxTotal": 1}, {}),
    (
        "budget_exhausted",
        {"budgetField": "impressions", "threshold": 10},
        {"budgets": {"off_1": {"impressions": 10}}},
    ),
    ("segment_exclusion", {"excludeSegments": ["vip"]}, {"customer": {"segments": ["vip"]}}),
    ("time_window", {"startHour": 2, "endHour": 3}, {}),
    ("mutual_exclusion", {"excludeOfferIds": ["off_1", "off_2"]}, {"session": {"servedOfferIds": ["off_2"]}}),
    ("metric_condition", {"metricId": "m", "threshold": 1}, {"customer": {"metrics": {"m": 2}}}),
]
RULE_IDS = [rule for rule, _, _ in RULES_THAT_BLOCK]


def blocking_request(extra: dict[str, Any]) -> dict[str, Any]:
    history = [impression(ago(hours=1)), interaction(ago(days=1), "complaint")]
    return request(interactions=history, **extra)


@pytest.mark.parametrize(("rule", "config", "extra"), RULES_THAT_BLOCK, ids=RULE_IDS)
def test_every_rule_type_blocks_in_these_fixtures(
    rule: str, config: dict[str, Any], extra: dict[str, Any]
) -> None:
    decision = decide_one([policy(rule, config, name="rule")], blocking_request(extra))
    assert_blocks(decision, "rule")


@pytest.mark.parametrize(("rule", "config", "extra"), RULES_THAT_BLOCK, ids=RULE_IDS)
def test_override_lifts_every_bypassable_rule_type(
    rule: str, config: dict[str, Any], extra: dict[str, Any]
) -> None:
    decision = decide_one([policy(rule, config, name="rule"), override()], blocking_request(extra))
    assert decision["allowed"] is True
    assert result_of(decision, "rule") == "skipped"
    assert decision["overriddenBy"] == "cp_override"


@pytest.mark.parametrize(("rule", "config", "extra"), RULES_THAT_BLOCK, ids=RULE_IDS)
def test_bypassable_false_is_not_lifted_by_an_override(
    rule: str, config: dict[str, Any], extra: dict[str, Any]
) -> None:
    p = policy(rule, {**config, "bypassable": False}, name="rule")
    decision = decide_one([p, override(priority=100)], blocking_request(extra))
    assert_blocks(decision, "rule")
    assert decision["overriddenBy"] is None


def test_bypassable_true_is_lifted() -> None:
    decision = decide_one([cap(config={"bypassable": True}), override()], interactions=HISTORY)
    assert decision["allowed"] is True


def test_override_out_of_scope_does_not_lift() -> None:
    decision = decide_one([cap(), override(scope="offer", scope_id="off_2")], interactions=HISTORY)
    assert_blocks(decision, "cap", later(hours=23))
    assert decision["overriddenBy"] is None
    assert result_of(decision, "override") == "not_in_scope"


def test_override_in_scope_by_channel() -> None:
    decision = decide_one([cap(), override(scope="channel", scope_id="ch_email")], interactions=HISTORY)
    assert decision["allowed"] is True
    assert decision["overriddenBy"] == "cp_override"


def test_overridden_by_is_null_when_nothing_was_lifted() -> None:
    decision = decide_one([cap(), override()])  # no history: the cap passes
    assert decision["allowed"] is True
    assert decision["overriddenBy"] is None
    assert result_of(decision, "override") == "override"
    assert result_of(decision, "cap") == "pass"


def test_overridden_by_is_the_first_override_in_evaluation_order() -> None:
    low = override("low", id="cp_0_low", priority=10)
    high = override("high", id="cp_9_high", priority=90)
    decision = decide_one([low, cap(priority=50), high], interactions=HISTORY)
    assert decision["overriddenBy"] == "cp_9_high"


def test_overridden_by_ties_follow_created_at_then_id() -> None:
    older = override("older", id="cp_a", createdAt="2026-01-01T00:00:00Z")
    newer = override("newer", id="cp_b", createdAt="2026-02-01T00:00:00Z")
    assert decide_one([older, cap(), newer], interactions=HISTORY)["overriddenBy"] == "cp_b"
    first = override("first", id="cp_a")
    second = override("second", id="cp_b")
    assert decide_one([second, cap(), first], interactions=HISTORY)["overriddenBy"] == "cp_a"


def test_overridden_by_skips_overrides_out_of_scope() -> None:
    # Reading: "the first override in evaluation order" among those that apply to the
    # candidate - an override out of scope lifted nothing for it.
    other = override("other", id="cp_other", priority=100, scope="offer", scope_id="off_2")
    mine = override("mine", id="cp_mine", priority=0)
    assert decide_one([other, cap(), mine], interactions=HISTORY)["overriddenBy"] == "cp_mine"


def test_override_lifts_some_blocks_while_a_non_bypassable_one_remains() -> None:
    strict = policy("cooldown", {"cooldownHours": 24, "bypassable": False}, name="strict", id="cp_strict")
    decision = decide_one([cap(), strict, override()], interactions=HISTORY)
    assert decision["allowed"] is False
    assert [b["policyName"] for b in decision["blockedBy"]] == ["strict"]
    assert decision["overriddenBy"] == "cp_override"  # it lifted the cap
    assert decision["eligibleAt"] == later(hours=23)
    assert result_of(decision, "cap") == "skipped"


@pytest.mark.parametrize("inactive", [{"status": "paused"}, {"status": "draft"}, {"status": "archived"}])
def test_inactive_override_does_nothing(inactive: dict[str, Any]) -> None:
    decision = decide_one([cap(), override(**inactive)], interactions=HISTORY)
    assert_blocks(decision, "cap", later(hours=23))
    assert decision["overriddenBy"] is None
    assert result_of(decision, "override") == "skipped"


def test_deleted_override_does_nothing() -> None:
    decision = decide_one([cap(), override(deletedAt="2026-03-01T00:00:00Z")], interactions=HISTORY)
    assert_blocks(decision, "cap")
    assert decision["overriddenBy"] is None
    assert result_of(decision, "override") == "skipped"


def test_inactive_override_next_to_an_active_one() -> None:
    decision = decide_one(
        [cap(), override("paused", status="paused", priority=100), override("live", priority=1)],
        interactions=HISTORY,
    )
    assert decision["allowed"] is True
    assert decision["overriddenBy"] == "cp_live"


# -- mandatory offers ----------------------------------------------------------------------------
MANDATORY_SKIPS = [r for r in RULES_THAT_BLOCK if r[0] not in ("frequency_cap", "cross_channel_cap")]


@pytest.mark.parametrize(("rule", "config", "extra"), MANDATORY_SKIPS, ids=[r[0] for r in MANDATORY_SKIPS])
def test_mandatory_candidate_skips_bypassable_rules(
    rule: str, config: dict[str, Any], extra: dict[str, Any]
) -> None:
    req = blocking_request(extra)
    req["candidates"] = [candidate(mandatory=True)]
    decision = decide_one([policy(rule, config, name="rule")], req)
    assert decision["allowed"] is True
    assert result_of(decision, "rule") == "skipped"
    assert decision["overriddenBy"] is None


@pytest.mark.parametrize(
    ("rule", "config"),
    [("frequency_cap", {"maxPerDay": 1}), ("cross_channel_cap", {"maxTotal": 1, "periodType": "daily"})],
)
def test_mandatory_candidate_still_obeys_frequency_and_cross_channel_caps(
    rule: str, config: dict[str, Any]
) -> None:
    req = request([candidate(mandatory=True)], HISTORY)
    assert_blocks(decide_one([policy(rule, config, name="rule")], req), "rule", later(hours=23))


@pytest.mark.parametrize(("rule", "config", "extra"), MANDATORY_SKIPS, ids=[r[0] for r in MANDATORY_SKIPS])
def test_mandatory_candidate_obeys_non_bypassable_rules(
    rule: str, config: dict[str, Any], extra: dict[str, Any]
) -> None:
    req = blocking_request(extra)
    req["candidates"] = [candidate(mandatory=True)]
    decision = decide_one([policy(rule, {**config, "bypassable": False}, name="rule")], req)
    assert_blocks(decision, "rule")


def test_not_mandatory_is_evaluated_normally() -> None:
    req = request([candidate(mandatory=False)], HISTORY)
    assert_blocks(decide_one([policy("cooldown", {"cooldownHours": 24}, name="cool")], req), "cool")


def test_override_lifts_a_frequency_cap_for_a_mandatory_offer() -> None:
    req = request([candidate(mandatory=True)], HISTORY)
    decision = decide_one([cap(), override()], req)
    assert decision["allowed"] is True
    assert decision["overriddenBy"] == "cp_override"


def test_override_lifts_nothing_when_the_mandatory_offer_already_skipped_the_rule() -> None:
    # the cooldown is skipped for the mandatory offer, so the override lifted no block
    req = request([candidate(mandatory=True)], HISTORY)
    decision = decide_one([policy("cooldown", {"cooldownHours": 24}, name="cool"), override()], req)
    assert decision["allowed"] is True
    assert result_of(decision, "cool") == "skipped"
    assert decision["overriddenBy"] is None


# -- consent gate --------------------------------------------------------------------------------
def test_consent_opted_out_blocks_with_the_consent_gate() -> None:
    req = request(
        [candidate(channel="ch_sms", channel_type="sms")], customer={"consent": {"sms": "opted_out"}}
    )
    decision = decide_one([], req)
    assert decision["allowed"] is False
    first = decision["blockedBy"][0]
    assert first["policyId"] is None
    assert first["ruleType"] == "consent"
    assert first["eligibleAt"] is None
    assert decision["eligibleAt"] is None
    assert decision["trace"][0]["ruleType"] == "consent"
    assert decision["trace"][0]["result"] == "block"
    assert decision["trace"][0]["policyId"] is None


@pytest.mark.parametrize(
    "consent",
    [
        {},
        {"sms": "opted_in"},
        {"email": "opted_out"},
        {"sms": None},
        {"sms": "unknown"},
        {"SMS": "opted_out"},
    ],
)
def test_consent_gate_only_for_opted_out_of_the_candidates_channel_type(
    consent: dict[str, str | None],
) -> None:
    req = request([candidate(channel="ch_sms", channel_type="sms")], customer={"consent": consent})
    assert decide_one([], req)["allowed"] is True


def test_candidate_without_channel_type_meets_no_consent_gate() -> None:
    req = request([candidate(channel_type=None)], customer={"consent": {"email": "opted_out"}})
    assert decide_one([], req)["allowed"] is True


def test_consent_is_not_lifted_by_an_override_nor_by_mandatory() -> None:
    req = request([candidate(mandatory=True)], customer={"consent": {"email": "opted_out"}})
    decision = decide_one([override(priority=100)], req)
    assert decision["allowed"] is False
    assert blocked_by(decision) == ["consent"]
    assert decision["overriddenBy"] is None


# -- suppression gate ----------------------------------------------------------------------------
def suppressed(*records: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return decide_one([], request(suppressions=list(records), **kw))


def record(scope: str = "global", scope_id: str | None = None, **fields: Any) -> dict[str, Any]:
    out = {"id": "sup_1", "scope": scope, **fields}
    if scope_id is not None:
        out["scopeId"] = scope_id
    return out


def test_active_suppression_without_expiry_blocks_for_good() -> None:
    decision = suppressed(record())
    assert decision["allowed"] is False
    first = decision["blockedBy"][0]
    assert (first["policyId"], first["ruleType"], first["eligibleAt"]) == (None, "suppression", None)
    assert decision["eligibleAt"] is None
    assert decision["trace"][0]["ruleType"] == "suppression"


def test_suppression_eligible_at_is_its_expiry() -> None:
    decision = suppressed(record(expiresAt=later(days=3)))
    assert decision["blockedBy"][0]["eligibleAt"] == later(days=3)
    assert decision["eligibleAt"] == later(days=3)


def test_suppression_expiring_after_the_calendars_last_second_never_lifts() -> None:
    """9999-12-31T23:59:59.5Z cannot be written at whole seconds without being early: the
    block has no eligibleAt and says why, like a policy's block that lasts that long."""
    decision = suppressed(record(expiresAt="9999-12-31T23:59:59.5Z"))
    first = decision["blockedBy"][0]
    assert (first["eligibleAt"], decision["eligibleAt"], first["details"]["expiresAt"]) == (None, None, None)
    assert first["reason"] == f"suppressed on global; {BEYOND_CALENDAR}"
    assert suppressed(record(expiresAt="9999-12-31T23:59:59Z"))["eligibleAt"] == "9999-12-31T23:59:59Z"


def test_suppression_expiring_exactly_now_is_inactive() -> None:
    assert suppressed(record(expiresAt=ago()))["allowed"] is True
    assert suppressed(record(expiresAt=ago(seconds=1)))["allowed"] is True
    decision = suppressed(record(expiresAt=later(seconds=1)))
    assert decision["allowed"] is False
    assert decision["eligibleAt"] == later(seconds=1)


@pytest.mark.parametrize("active", [True, None])
def test_suppression_active_unless_is_active_false(active: bool | None) -> None:
    assert suppressed(record(isActive=active))["allowed"] is False
    assert suppressed(record(isActive=False))["allowed"] is True
    assert suppressed(record(isActive=False, expiresAt=later(days=1)))["allowed"] is True


@pytest.mark.parametrize(
    ("scope", "match", "miss"),
    [
        ("offer", "off_1", "off_2"),
        ("category", "cat_cards", "cat_travel"),
        ("channel", "ch_email", "ch_sms"),
        ("creative", "cr_1", "cr_2"),
        ("subcategory", "sub_gold", "sub_silver"),
    ],
)
def test_suppression_scopes(scope: str, match: str, miss: str) -> None:
    assert suppressed(record(scope, match))["allowed"] is False
    assert suppressed(record(scope, miss))["allowed"] is True


def test_suppression_of_one_offer_leaves_the_others() -> None:
    decisions = [
        d["allowed"]
        for d in [
            suppressed(record("offer", "off_2"), candidates=[candidate("off_1")]),
            suppressed(record("offer", "off_2"), candidates=[candidate("off_2")]),
        ]
    ]
    assert decisions == [True, False]


def test_suppression_is_not_lifted_by_an_override_nor_by_mandatory() -> None:
    req = request(
        [candidate(mandatory=True)], suppressions=[record("offer", "off_1", expiresAt=later(days=2))]
    )
    decision = decide_one([override(priority=100)], req)
    assert decision["allowed"] is False
    assert blocked_by(decision) == ["suppression"]
    assert decision["eligibleAt"] == later(days=2)
    assert decision["overriddenBy"] is None


# -- gates first ---------------------------------------------------------------------------------
def test_gates_come_first_and_policies_are_still_evaluated_in_explain_mode() -> None:
    cool = policy("cooldown", {"cooldownHours": 24}, name="cool", priority=100)
    req = request(
        interactions=HISTORY,
        customer={"consent": {"email": "opted_out"}},
        suppressions=[record("offer", "off_1", expiresAt=later(days=2))],
    )
    decision = decide_one([cap(priority=10), cool], req)
    assert blocked_by(decision) == ["consent", "suppression", "cooldown", "frequency_cap"]
    assert [e["ruleType"] for e in decision["trace"]] == [
        "consent",
        "suppression",
        "cooldown",
        "frequency_cap",
    ]
    assert [e["policyId"] for e in decision["blockedBy"][:2]] == [None, None]
    assert decision["eligibleAt"] is None  # consent never lifts by time


def test_suppression_gate_comes_before_policies() -> None:
    req = request(interactions=HISTORY, suppressions=[record(expiresAt=later(days=2))])
    decision = decide_one([cap(priority=100)], req)
    assert blocked_by(decision) == ["suppression", "frequency_cap"]
    assert decision["eligibleAt"] == later(days=2)  # the latest of 2 days and 23 hours


def test_override_lifts_policies_but_not_the_gate_listed_before_them() -> None:
    req = request(interactions=HISTORY, suppressions=[record(expiresAt=later(hours=1))])
    decision = decide_one([cap(), override()], req)
    assert blocked_by(decision) == ["suppression"]
    assert decision["eligibleAt"] == later(hours=1)
    assert decision["overriddenBy"] == "cp_override"


# -- status --------------------------------------------------------------------------------------
@pytest.mark.parametrize("status", ["draft", "paused", "archived"])
def test_inactive_policies_are_skipped_with_their_status(status: str) -> None:
    decision = decide_one([cap(status=status)], interactions=HISTORY)
    assert decision["allowed"] is True
    skipped = entry(decision, "cap")
    assert skipped["result"] == "skipped"
    # SPEC §1: "others appear in a full trace as skipped, with their status"
    assert status in skipped["reason"] + json.dumps(skipped["details"])


def test_active_status_explicit_or_default() -> None:
    assert_blocks(decide_one([cap(status="active")], interactions=HISTORY), "cap")
    assert_blocks(decide_one([cap()], interactions=HISTORY), "cap")


def test_deleted_policy_is_skipped_even_when_active() -> None:
    decision = decide_one([cap(status="active", deletedAt="2026-03-19T00:00:00Z")], interactions=HISTORY)
    assert decision["allowed"] is True
    assert result_of(decision, "cap") == "skipped"


def test_deleted_null_is_not_deleted() -> None:
    assert_blocks(decide_one([cap(deletedAt=None)], interactions=HISTORY), "cap")


def test_inactive_policies_out_of_scope_are_still_skipped() -> None:
    decision = decide_one([cap(status="paused", scope="offer", scope_id="off_9")], interactions=HISTORY)
    assert result_of(decision, "cap") == "skipped"


# -- evaluation order ----------------------------------------------------------------------------
def quiet(name: str, **kw: Any) -> dict[str, Any]:
    """A policy that passes (the customer is in no segment)."""
    return policy("segment_exclusion", {"excludeSegments": ["nobody"]}, name=name, **kw)


def trace_names(policies: list[dict[str, Any]]) -> list[str]:
    return [e["policyName"] for e in decide_one(policies)["trace"]]


def test_order_priority_desc_with_default_50() -> None:
    policies = [
        quiet("p10", priority=10),
        quiet("p90", priority=90),
        quiet("default"),
        quiet("p51", priority=51),
    ]
    assert trace_names(policies) == ["p90", "p51", "default", "p10"]


def test_order_created_at_desc_missing_last() -> None:
    policies = [
        quiet("none"),
        quiet("jan", createdAt="2026-01-01T00:00:00Z"),
        quiet("mar", createdAt="2026-03-01T00:00:00.000Z"),
        quiet("feb", createdAt="2026-02-01T00:00:00Z"),
    ]
    assert trace_names(policies) == ["mar", "feb", "jan", "none"]


def test_order_created_at_compares_instants_across_offsets() -> None:
    policies = [
        quiet("plus5", createdAt="2026-03-01T10:00:00+05:00"),  # 05:00Z
        quiet("utc6", createdAt="2026-03-01T06:00:00Z"),
    ]
    assert trace_names(policies) == ["utc6", "plus5"]


def test_order_id_asc_missing_last() -> None:
    policies = [quiet("none"), quiet("b", id="cp_b"), quiet("a", id="cp_a"), quiet("none2")]
    assert trace_names(policies) == ["a", "b", "none", "none2"]


def test_order_file_order_breaks_full_ties() -> None:
    assert trace_names([quiet("z"), quiet("y"), quiet("x")]) == ["z", "y", "x"]


def test_order_keys_in_precedence() -> None:
    policies = [
        quiet("low-new", priority=10, createdAt="2026-03-01T00:00:00Z", id="cp_a"),
        quiet("high-noid", priority=90),
        quiet("high-old-a", priority=90, createdAt="2026-01-01T00:00:00Z", id="cp_a"),
        quiet("high-new-b", priority=90, createdAt="2026-02-01T00:00:00Z", id="cp_b"),
        quiet("high-new-a", priority=90, createdAt="2026-02-01T00:00:00Z", id="cp_a2"),
    ]
    assert trace_names(policies) == ["high-new-a", "high-new-b", "high-old-a", "high-noid", "low-new"]


def test_trace_holds_every_policy_with_its_result() -> None:
    policies = [
        cap(priority=90),
        quiet("quiet", priority=80),
        quiet("elsewhere", priority=70, scope="offer", scope_id="off_9"),
        quiet("paused", priority=60, status="paused"),
        override(priority=50),
    ]
    decision = decide_one(policies, interactions=HISTORY)
    assert [(e["policyName"], e["result"]) for e in decision["trace"]] == [
        ("cap", "skipped"),
        ("quiet", "pass"),
        ("elsewhere", "not_in_scope"),
        ("paused", "skipped"),
        ("override", "override"),
    ]
    assert [e["priority"] for e in decision["trace"]] == [90, 80, 70, 60, 50]


def test_blocked_by_follows_evaluation_order() -> None:
    cool = policy("cooldown", {"cooldownHours": 24}, name="cool", priority=20)
    segment = policy("segment_exclusion", {"excludeSegments": ["vip"]}, name="seg", priority=80)
    decision = decide_one(
        [cool, cap(priority=50), segment], request(interactions=HISTORY, customer={"segments": ["vip"]})
    )
    assert [b["policyName"] for b in decision["blockedBy"]] == ["seg", "cap", "cool"]
    assert decision["eligibleAt"] is None  # the segment never lifts by time
    assert_passes(decide_one([cool], request()), "cool")


# -- the shape of a decision (SPEC §2) -----------------------------------------------------------
def test_decision_and_entry_shapes() -> None:
    decision = decide_one([cap(priority=80)], interactions=HISTORY)
    assert set(decision) == {"candidate", "allowed", "blockedBy", "overriddenBy", "eligibleAt", "trace"}
    assert decision["candidate"]["offerId"] == "off_1"
    (block,) = decision["blockedBy"]
    assert set(block) == {"policyId", "policyName", "ruleType", "reason", "details", "eligibleAt"}
    assert (block["policyId"], block["policyName"], block["ruleType"]) == ("cp_cap", "cap", "frequency_cap")
    assert isinstance(block["reason"], str) and block["reason"]
    assert block["details"] == {"window": "daily", "count": 1, "max": 1}
    (trace,) = decision["trace"]
    assert set(trace) == {
        "policyId",
        "policyName",
        "ruleType",
        "priority",
        "result",
        "reason",
        "details",
        "eligibleAt",
    }
    assert (trace["priority"], trace["result"], trace["eligibleAt"]) == (80, "block", later(hours=23))


def test_default_priority_in_the_trace_is_50() -> None:
    decision = decide_one([quiet("quiet")])
    assert decision["trace"][0]["priority"] == 50


def test_scopes_override_scope_and_scope_id() -> None:
    p = cap(scope="channel", scope_id="ch_sms")
    p["scopes"] = [{"scope": "offer", "scopeId": "off_1"}]
    assert_blocks(decide_one([p], interactions=HISTORY), "cap")


def test_global_scope_with_a_scope_id_still_matches_everything() -> None:
    p = cap(scope="global", scope_id="whatever")
    assert_blocks(decide_one([p], interactions=HISTORY), "cap")
