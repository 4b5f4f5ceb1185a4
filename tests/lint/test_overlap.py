"""overlap: CPL301 one policy makes another of the same rule type and scopes redundant, CPL302
two say the same thing. Whole configs are compared; near-identical sets that are fine must stay
quiet."""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import above_info, codes, lint_cpol, lint_json, only, policy

EMAIL = 'applies to channel "ch_email"'

REDUNDANT = {
    "a cap inside a stricter cap (the seed's older shape)": (
        [policy("Email", EMAIL, "cap 1 per day, 3 per week"), policy("Older", EMAIL, "cap 3 per 7 days")],
        [policy("Email", EMAIL, "cap 1 per day, 3 per week"), policy("Older", EMAIL, "cap 4 per 14 days")],
    ),
    "an unfiltered cap over a campaign cap": (
        [
            policy("All", EMAIL, "cap 3 per week"),
            policy("Spring", EMAIL, 'cap 3 per week within campaign "c1"'),
        ],
        [
            policy("All", EMAIL, 'cap 3 per week excluding campaigns "c1"'),
            policy("Spring", EMAIL, 'cap 3 per week within campaign "c1"'),
        ],
    ),
    "a bypassable cap under the same final cap": (
        [
            policy("Soft", EMAIL, "cap 3 per week"),
            policy("Hard", EMAIL, "cap 3 per week", "cannot be overridden"),
        ],
        [
            policy("Soft", EMAIL, "cap 3 per week"),
            policy("Hard", EMAIL, "cap 4 per week", "cannot be overridden"),
        ],
    ),
    "segments": (
        [policy("Both", 'exclude segments "seg_a", "seg_b"'), policy("One", 'exclude segment "seg_a"')],
        [policy("Both", 'exclude segments "seg_a", "seg_b"'), policy("One", 'exclude segment "seg_c"')],
    ),
    "outcomes": (
        [
            policy("Adverse", 'suppress for 90 days after "complaint", "unsubscribe"'),
            policy("Unsub", 'suppress for 30 days after "unsubscribe"'),
        ],
        [
            policy("Adverse", 'suppress for 90 days after "complaint", "unsubscribe"'),
            policy("Unsub", 'suppress for 120 days after "unsubscribe"'),
        ],
    ),
    "a wider time window under a narrower one": (
        [
            policy("Office", EMAIL, "only between 9:00 and 17:00"),
            policy("Day", EMAIL, "only between 8:00 and 18:00"),
        ],
        [
            policy("Office", EMAIL, "only between 9:00 and 17:00"),
            policy("Day", EMAIL, "only between 8:00 and 16:00"),
        ],
    ),
    "metric thresholds": (
        [policy("Low", 'block when metric "m" >= 0.02'), policy("High", 'block when metric "m" >= 0.05')],
        [policy("Low", 'block when metric "m" >= 0.02'), policy("High", 'block when metric "m" <= 0.05')],
    ),
    "do-not-contact lists": (
        [policy("Any", "do not contact"), policy("Internal", 'do not contact on list "internal"')],
        [
            policy("Internal", 'do not contact on list "internal"'),
            policy("Legal", 'do not contact on list "legal"'),
        ],
    ),
    "exclusion groups": (
        [policy("Three", 'mutually exclusive "a", "b", "c"'), policy("Two", 'mutually exclusive "a", "b"')],
        [policy("Three", 'mutually exclusive "a", "b", "c"'), policy("Two", 'mutually exclusive "a", "d"')],
    ),
    "category rests": (
        [
            policy("Own", "suppress category for 14 days"),
            policy("Cards", 'suppress category "cat_cards" for 7 days'),
        ],
        [
            policy("Own", "suppress category for 14 days"),
            policy("Gold", 'suppress subcategory "sub_gold" for 7 days'),
        ],
    ),
    "cross-channel caps": (
        [
            policy("All channels", 'scope offer "o"', "cross channel cap 3 per week"),
            policy(
                "Two channels", 'scope offer "o"', 'cross channel cap 3 per week across "ch_email", "ch_sms"'
            ),
        ],
        [
            policy("All channels", 'scope offer "o"', 'cross channel cap 3 per week across "ch_email"'),
            policy("Two channels", 'scope offer "o"', 'cross channel cap 3 per week across "ch_sms"'),
        ],
    ),
    "category caps": (
        [
            policy("Monthly", 'category cap 3 per month for "loans"'),
            policy("Weekly", 'category cap 5 per week for "loans"'),
        ],
        [
            policy("Monthly", 'category cap 3 per month for "loans"'),
            policy("Weekly", 'category cap 5 per week for "cards"'),
        ],
    ),
    "budgets": (
        [
            policy("Low", 'scope offer "o"', "stop when spend reaches 100"),
            policy("High", 'scope offer "o"', "stop when spend reaches 200"),
        ],
        [
            policy("Low", 'scope offer "o"', "stop when spend reaches 100"),
            policy("High", 'scope offer "o"', "stop when impressions reach 200"),
        ],
    ),
}


@pytest.mark.parametrize("case", list(REDUNDANT))
def test_redundant(case: str) -> None:
    fires, quiet = REDUNDANT[case]
    found = only(lint_cpol(*fires), "CPL301")
    assert (found.kind, found.severity) == ("overlap", "warning")
    assert len(found.related) == 1 and found.related[0].policy_name != found.primary.policy_name
    assert above_info(lint_cpol(*quiet)) == []


def test_redundant_names_the_weaker_policy() -> None:
    found = only(
        lint_cpol(
            policy("Email", EMAIL, "cap 1 per day, 3 per week"), policy("Older", EMAIL, "cap 3 per 7 days")
        ),
        "CPL301",
    )
    assert found.primary.policy_name == "Older"
    assert found.related[0].policy_name == "Email"
    # the weaker one is reported wherever it is in the file
    found = only(
        lint_cpol(
            policy("Older", EMAIL, "cap 3 per 7 days"), policy("Email", EMAIL, "cap 1 per day, 3 per week")
        ),
        "CPL301",
    )
    assert found.primary.policy_name == "Older"


DUPLICATES = {
    "identical caps": (
        policy("A", EMAIL, "cap 3 per week"),
        policy("B", EMAIL, "priority 90", "cap 3 per week"),
    ),
    "the same cap in two shapes": (
        policy("A", EMAIL, "cap 3 per week"),
        policy("B", EMAIL, "cap 3 per 7 days"),
    ),
    "two overrides on one offer": (
        policy("A", 'scope offer "o"', "override"),
        policy("B", 'scope offer "o"', 'override because "x"'),
    ),
    "segments in another order": (
        policy("A", 'exclude segments "x", "y"'),
        policy("B", 'exclude segments "y", "x"'),
    ),
}


@pytest.mark.parametrize("case", list(DUPLICATES))
def test_duplicate(case: str) -> None:
    first, second = DUPLICATES[case]
    found = only(lint_cpol(first, second), "CPL302")
    assert found.primary.policy_name == "B"
    assert found.related[0].policy_name == "A"
    assert codes(lint_cpol(first, second)).count("CPL302") == 1


def test_copies_are_each_reported_once_against_the_first() -> None:
    copies = [policy(f"Copy {n}", EMAIL, "cap 3 per week") for n in range(5)]
    findings = lint_cpol(*copies)
    assert codes(findings) == ["CPL302"] * 4
    assert {f.related[0].policy_name for f in findings} == {"Copy 0"}


NOT_OVERLAPPING = {
    "different scopes": (
        policy("A", EMAIL, "cap 3 per week"),
        policy("B", 'applies to channel "ch_sms"', "cap 3 per week"),
    ),
    "caps that each bind somewhere": (
        policy("A", EMAIL, "cap 1 per day"),
        policy("B", EMAIL, "cap 3 per week"),
    ),
    "different campaigns": (
        policy("A", EMAIL, 'cap 3 per week within campaign "c1"'),
        policy("B", EMAIL, 'cap 3 per week within campaign "c2"'),
    ),
    "excluded campaigns not contained": (
        policy("A", EMAIL, 'cap 3 per week excluding campaigns "c1"'),
        policy("B", EMAIL, 'cap 3 per week excluding campaigns "c2"'),
    ),
    "cooldown per offer and per channel": (
        policy("A", EMAIL, "cooldown 24 hours"),
        policy("B", 'scope offer "o"', "cooldown 48 hours"),
    ),
    "metrics": (policy("A", 'block when metric "m1" >= 1'), policy("B", 'block when metric "m2" >= 1')),
    "time windows of other zones": (
        policy("A", EMAIL, 'only between 9:00 and 17:00 in "Europe/Paris"'),
        policy("B", EMAIL, "only between 8:00 and 18:00"),
    ),
    "overrides on two offers": (
        policy("A", 'scope offer "o1"', "override"),
        policy("B", 'scope offer "o2"', "override"),
    ),
    "budget of a creative and of its offer": (
        policy("A", "stop when spend reaches 100"),
        policy("B", 'scope creative "cr"', "stop when spend reaches 200"),
    ),
}


@pytest.mark.parametrize("case", list(NOT_OVERLAPPING))
def test_not_overlapping(case: str) -> None:
    assert above_info(lint_cpol(*NOT_OVERLAPPING[case])) == []


def test_seed_older_shapes_are_redundant_in_json_too() -> None:
    policies: list[dict[str, Any]] = [
        {
            "name": "Do not contact segment",
            "scope": "global",
            "ruleType": "segment_exclusion",
            "priority": 95,
            "config": {"excludeSegments": ["seg_do_not_contact", "seg_minors"]},
        },
        {
            "name": "DNC segment (older shape)",
            "scope": "global",
            "ruleType": "segment_exclusion",
            "config": {"segmentId": "seg_do_not_contact"},
        },
    ]
    found = only(lint_json(policies), "CPL301")
    assert found.primary.location == "set.json:[1]"
