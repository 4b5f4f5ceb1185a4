"""`per` (SPEC §1.1): a rule counting for each offer, channel… counts a subset of what the same
rule without `per` counts. So the rule without `per` can make the one with it redundant, never
the converse; two rules with the same `per` compare like two without; rules with different
`per` dimensions never dominate each other. Each case for frequency_cap, cooldown and
outcome_based, with the finding that must appear and the one that must not.
"""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import above_info, codes, lint_cpol, lint_json, only, policy, rule

RULES = ("frequency_cap", "cooldown", "outcome_based")
STRICT: dict[str, dict[str, Any]] = {
    "frequency_cap": {"maxPerWeek": 3},
    "cooldown": {"cooldownHours": 48},
    "outcome_based": {"afterOutcome": ["dismiss", "complaint"], "suppressForDays": 14},
}
LOOSE: dict[str, dict[str, Any]] = {
    "frequency_cap": {"maxPerWeek": 5},
    "cooldown": {"cooldownHours": 24},
    "outcome_based": {"afterOutcome": "dismiss", "suppressForDays": 7},
}
EMAIL = "channel:ch_email"


def config(strength: dict[str, dict[str, Any]], rule_type: str, per: str | None = None) -> dict[str, Any]:
    return {**strength[rule_type], **({"per": per} if per is not None else {})}


def pair(
    rule_type: str, strict: str | None, loose: str | None, *scopes: str, loose_scopes: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """A strict policy and a looser one of `rule_type`, each with its `per` (None: without)."""
    return [
        rule("Strict", rule_type, config(STRICT, rule_type, strict), *scopes),
        rule("Loose", rule_type, config(LOOSE, rule_type, loose), *(loose_scopes or scopes)),
    ]


@pytest.mark.parametrize("rule_type", RULES)
def test_without_per_makes_the_per_one_redundant(rule_type: str) -> None:
    for policies in (pair(rule_type, None, "offer", EMAIL), pair(rule_type, None, "offer", EMAIL)[::-1]):
        found = only(lint_json(policies), "CPL301")
        assert (found.primary.policy_name, found.related[0].policy_name) == ("Loose", "Strict")
        assert "for each offer) is redundant" in found.message


@pytest.mark.parametrize("rule_type", RULES)
def test_a_per_one_never_makes_the_one_without_redundant(rule_type: str) -> None:
    # the one without per blocks where the per one does not: many offers, each under its limit
    assert above_info(lint_json(pair(rule_type, "offer", None, EMAIL))) == []


@pytest.mark.parametrize("rule_type", RULES)
def test_identical_but_for_per_is_redundant_not_a_duplicate(rule_type: str) -> None:
    same = [
        rule("Each", rule_type, config(STRICT, rule_type, "offer"), EMAIL),
        rule("All", rule_type, config(STRICT, rule_type), EMAIL),
    ]
    findings = lint_json(same)
    assert codes(findings) == ["CPL301"]
    assert findings[0].primary.policy_name == "Each"


@pytest.mark.parametrize("rule_type", RULES)
def test_the_same_per_compares_like_no_per(rule_type: str) -> None:
    found = only(lint_json(pair(rule_type, "offer", "offer", EMAIL)), "CPL301")
    assert found.primary.policy_name == "Loose"
    twice = [rule(name, rule_type, config(STRICT, rule_type, "channel")) for name in ("A", "B")]
    assert codes(lint_json(twice)) == ["CPL302"]


@pytest.mark.parametrize("rule_type", RULES)
@pytest.mark.parametrize(
    ("first", "second"), [("offer", "channel"), ("channel", "offer"), ("category", "creative")]
)
def test_different_per_dimensions_never_dominate(rule_type: str, first: str, second: str) -> None:
    assert above_info(lint_json(pair(rule_type, first, second))) == []
    same = [
        rule("A", rule_type, config(STRICT, rule_type, first)),
        rule("B", rule_type, config(STRICT, rule_type, second)),
    ]
    assert above_info(lint_json(same)) == []


@pytest.mark.parametrize("rule_type", RULES)
def test_per_the_scope_kind_changes_nothing(rule_type: str) -> None:
    """Per channel on channel ch_email counts ch_email, as the scope does."""
    assert codes(lint_json(pair(rule_type, "channel", "offer", EMAIL))) == ["CPL301"]
    assert codes(lint_json(pair(rule_type, "offer", "channel", EMAIL))) == []


@pytest.mark.parametrize("rule_type", RULES)
def test_a_global_one_without_per_dominates_a_narrower_per_one(rule_type: str) -> None:
    found = only(lint_json(pair(rule_type, None, "offer", loose_scopes=(EMAIL,))), "CPL101")
    assert found.primary.policy_name == "Loose"
    assert above_info(lint_json(pair(rule_type, "offer", None, loose_scopes=(EMAIL,)))) == []


@pytest.mark.parametrize("rule_type", RULES)
def test_per_offer_counts_what_an_offer_scope_counts(rule_type: str) -> None:
    """For the candidates of offer o, counting the candidate's offer is counting offer o."""
    found = only(lint_json(pair(rule_type, "offer", None, loose_scopes=("offer:o",))), "CPL101")
    assert found.primary.policy_name == "Loose"
    # on a channel scope the candidate's offer is any offer: nothing is proven
    assert above_info(lint_json(pair(rule_type, "offer", None, loose_scopes=(EMAIL,)))) == []
    # per offer on an offer scope changes nothing
    same = [
        rule("Each", rule_type, config(STRICT, rule_type, "offer"), "offer:o"),
        rule("All", rule_type, config(STRICT, rule_type), "offer:o"),
    ]
    assert codes(lint_json(same)) == ["CPL302"]


def test_messages_say_for_each() -> None:
    found = only(lint_json(pair("frequency_cap", "offer", None, loose_scopes=("offer:o",))), "CPL101")
    assert found.related[0].note == '"Strict" (cap 3 per week for each offer globally)'
    policies = [
        rule("Strict", "frequency_cap", {"maxPerWeek": 3, "per": "offer"}),
        rule("Loose", "frequency_cap", {"maxPerDay": 1, "maxPerWeek": 5, "per": "offer"}, EMAIL),
    ]
    found = only(lint_json(policies), "CPL101")
    assert found.message == (
        'maxPerWeek (5 per week for each offer) of "Loose" never blocks first: "Strict" caps the same '
        "impressions or more at 3 per week for each offer globally"
    )
    assert found.related[0].note == "maxPerWeek: 3 per week for each offer globally"
    found = only(lint_json(pair("cooldown", None, "channel", EMAIL)), "CPL301")
    assert found.message.startswith('"Loose" (cooldown 24 hours for each channel) is redundant')
    found = only(lint_json(pair("outcome_based", "subcategory", "subcategory")), "CPL301")
    assert "(suppress 7 days after dismiss for each subcategory)" in found.message


def test_a_customer_cap_counts_everything_a_per_cap_counts() -> None:
    final = {"bypassable": False}
    policies = [
        rule("Customer", "customer_total_cap", {"maxTotal": 3, **final}),
        rule("Each offer", "frequency_cap", {"maxPerWeek": 5, "per": "offer", **final}, EMAIL),
    ]
    assert only(lint_json(policies), "CPL101").primary.policy_name == "Each offer"


def test_own_caps_bound_per_dimension() -> None:
    policies = [rule("Each", "frequency_cap", {"maxPerDay": 1, "maxPerWeek": 8, "per": "offer"})]
    found = only(lint_json(policies), "CPL102")
    assert found.message == (
        'maxPerWeek (8 per week for each offer) of "Each" can never be reached: its other caps '
        "(1 per day) allow at most 7 impressions in 7 days for each offer"
    )


def test_ties_between_per_and_plain_policies() -> None:
    tied = {"priority": 80}
    # neither dominates: the tie is reported
    strict_each = [
        rule("Each", "frequency_cap", {"maxPerWeek": 3, "per": "offer"}, **tied),
        rule("All", "frequency_cap", {"maxPerWeek": 5}, **tied),
    ]
    assert codes(lint_json(strict_each)) == ["CPL401"]
    # the one without per makes the other redundant: the tie is moot
    strict_all = [
        rule("All", "frequency_cap", {"maxPerWeek": 3}, **tied),
        rule("Each", "frequency_cap", {"maxPerWeek": 5, "per": "offer"}, **tied),
    ]
    assert codes(lint_json(strict_all)) == ["CPL301"]


@pytest.mark.parametrize(
    ("per", "who"), [("offer", "every candidate on"), ("category", "every candidate with a categoryId on")]
)
def test_a_zero_cap_per_blocks_the_candidates_that_have_the_field(per: str, who: str) -> None:
    policies = [rule("Zero", "frequency_cap", {"maxPerWeek": 0, "per": per}, EMAIL)]
    assert f"it blocks {who} channel ch_email at all times" in only(lint_json(policies), "CPL201").message


def test_a_zero_duration_per_never_blocks() -> None:
    policies = [rule("Never", "cooldown", {"cooldownHours": 0, "per": "offer"})]
    assert codes(lint_json(policies)) == ["CPL106"]


IN_CPOL = {
    "frequency_cap": ("cap 3 per week", "cap 5 per week for each offer", "cap 2 per week for each offer"),
    "cooldown": ("cooldown 48 hours", "cooldown 24 hours for each offer", "cooldown 72 hours for each offer"),
    "outcome_based": (
        'suppress for 14 days after "dismiss"',
        'suppress for 7 days after "dismiss" for each offer',
        'suppress for 30 days after "dismiss" for each offer',
    ),
}
"""Per rule type: one without `for each`, a looser one with it, a stricter one with it."""


@pytest.mark.parametrize("rule_type", RULES)
def test_in_cpol(rule_type: str) -> None:
    everything, looser, stricter = IN_CPOL[rule_type]
    found = only(lint_cpol(policy("All", everything), policy("Each", looser)), "CPL301")
    assert found.primary.location == "set.cpol:5:1"
    assert found.related[0].policy_name == "All"
    assert above_info(lint_cpol(policy("All", everything), policy("Each", stricter))) == []
