"""cross_channel_cap in the older documents' shape `{maxContacts, windowDays}` (a cap over a
rolling windowDays-day window, alone or beside maxTotal/periodType) compares like any cap, and
an empty `appliesAcross` means every channel, as an absent one does."""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import above_info, codes, lint_json, only, rule

OFFER = "offer:o"


def cross(name: str, **config: Any) -> dict[str, Any]:
    return rule(name, "cross_channel_cap", config, OFFER)


def test_a_weekly_cap_makes_a_looser_older_shape_redundant() -> None:
    found = only(
        lint_json([cross("Weekly", maxTotal=3), cross("Older", maxContacts=5, windowDays=7)]), "CPL301"
    )
    assert found.primary.policy_name == "Older"
    assert found.message.startswith('"Older" (cross-channel cap 5 per 7 days) is redundant')
    # a longer older window binds where the week does not
    assert (
        above_info(lint_json([cross("Weekly", maxTotal=3), cross("Older", maxContacts=5, windowDays=14)]))
        == []
    )


def test_an_older_shape_makes_a_looser_weekly_cap_redundant() -> None:
    found = only(
        lint_json([cross("Older", maxContacts=3, windowDays=7), cross("Weekly", maxTotal=5)]), "CPL301"
    )
    assert found.primary.policy_name == "Weekly"


def test_the_same_cap_in_both_shapes() -> None:
    assert codes(lint_json([cross("Weekly", maxTotal=3), cross("Older", maxContacts=3, windowDays=7)])) == [
        "CPL302"
    ]


def test_both_shapes_in_one_policy() -> None:
    found = only(lint_json([cross("Both", maxTotal=3, maxContacts=5, windowDays=7)]), "CPL102")
    assert found.primary.loc == ("config", "maxContacts")
    assert above_info(lint_json([cross("Both", maxTotal=3, maxContacts=5, windowDays=14)])) == []


def test_a_customer_cap_dominates_an_older_cross_channel_cap() -> None:
    final = {"bypassable": False}
    policies = [
        rule("Customer", "customer_total_cap", {"maxTotal": 2, "periodType": "weekly", **final}),
        cross("Older", maxContacts=4, windowDays=3, **final),
    ]
    assert only(lint_json(policies), "CPL101").primary.policy_name == "Older"
    policies[1] = cross("Older", maxContacts=4, windowDays=14, **final)
    assert above_info(lint_json(policies)) == []


@pytest.mark.parametrize(
    ("config", "code", "key"),
    [
        ({"maxContacts": 0, "windowDays": 7}, "CPL201", "maxContacts"),
        ({"maxTotal": 3, "maxContacts": 2, "windowDays": 0}, "CPL106", "windowDays"),
    ],
)
def test_zero_in_the_older_shape(config: dict[str, Any], code: str, key: str) -> None:
    assert only(lint_json([cross("Zero", **config)]), code).primary.loc == ("config", key)


@pytest.mark.parametrize("empty", [{"appliesAcross": []}, {}])
def test_an_empty_appliesacross_is_every_channel(empty: dict[str, Any]) -> None:
    email = cross("Email", maxTotal=5, appliesAcross=["ch_email"])
    found = only(lint_json([cross("All", maxTotal=3, **empty), email]), "CPL301")
    assert found.primary.policy_name == "Email"
    assert (
        above_info(
            lint_json(
                [cross("All", maxTotal=5, **empty), cross("Email", maxTotal=3, appliesAcross=["ch_email"])]
            )
        )
        == []
    )


def test_an_empty_appliesacross_says_the_same_as_none() -> None:
    found = only(
        lint_json([cross("None", maxTotal=3), cross("Empty", maxTotal=3, appliesAcross=[])]), "CPL302"
    )
    assert found.message == '"Empty" says the same as "None": cross-channel cap 3 per week on offer o'
