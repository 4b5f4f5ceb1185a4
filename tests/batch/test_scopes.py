"""A policy's matched scopes are counted two ways in SQL: a few of one kind as filters on
the customer's single pass, more as one measure grouped by the field. Both must count what
the online engine counts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import cpol
from cpol.batch.inputs import Inputs, Table
from cpol.batch.lowering import FILTERED_SCOPES, Lowering
from tests.batch.test_differential import batch, online

NOW = "2026-03-20T14:00:00Z"
CHANNELS = ("ch_email", "ch_sms", "ch_push")
OFFERS = ("off_a", "off_b", "off_c")


def _scoped(kind: str, values: tuple[str, ...], rule: dict[str, Any], name: str) -> dict[str, Any]:
    scopes = [{"scope": kind, "scopeId": v} for v in values]
    return {"name": name, "priority": PRIORITIES[name], "scopes": scopes, **rule}


#: The rarest block first, so each policy is the first block of some row.
PRIORITIES = {"daily": 100, "rest": 90, "cooldown": 80, "cap": 70}


def _policies(how_many: int) -> list[dict[str, Any]]:
    """A cap, a cooldown, an outcome rest and a per-offer cap, each over `how_many` scopes."""
    channels, offers = CHANNELS[:how_many], OFFERS[:how_many]
    return [
        _scoped("channel", channels, {"ruleType": "frequency_cap", "config": {"maxPerWeek": 2}}, "cap"),
        _scoped("offer", offers, {"ruleType": "cooldown", "config": {"cooldownHours": 48}}, "cooldown"),
        _scoped(
            "channel",
            channels,
            {"ruleType": "outcome_based", "config": {"afterOutcome": "dismiss", "suppressForDays": 5}},
            "rest",
        ),
        _scoped(
            "channel",
            channels,
            {"ruleType": "frequency_cap", "config": {"maxPerDay": 1, "per": "offer"}},
            "daily",
        ),
    ]


def _history(n: int) -> list[dict[str, Any]]:
    """Customer n's interactions: a spread over channels, offers, outcomes and days."""
    seen = []
    for k in range(n % 7):
        outcome = "dismiss" if (n + k) % 5 == 0 else "impression"
        day = 1 + (n * 3 + k * 5) % 9
        seen.append(
            {
                "timestamp": f"2026-03-{20 - day:02d}T{(n + k) % 24:02d}:30:00Z",
                "outcome": outcome,
                "offerId": OFFERS[(n + k) % 3],
                "channelId": CHANNELS[(n * k) % 3],
            }
        )
    return seen


def _population() -> list[dict[str, Any]]:
    return [
        {
            "now": NOW,
            "customer": {"id": f"c{n:02d}"},
            "interactions": _history(n),
            "candidates": [
                {"offerId": offer, "channelId": channel} for offer in OFFERS for channel in CHANNELS
            ],
        }
        for n in range(40)
    ]


@pytest.mark.parametrize("how_many", [FILTERED_SCOPES, FILTERED_SCOPES + 1])
def test_scopes_decide_as_online_whether_filtered_or_grouped(how_many: int) -> None:
    policies = cpol.load_json(_policies(how_many))
    population = _population()
    decided = batch(policies, population)
    assert decided == online(policies, population)
    blocked = {row["blockedBy"] for row in decided}
    assert {"cap", "cooldown", "rest", "daily"} <= blocked  # every policy blocks somewhere


@pytest.mark.parametrize(("how_many", "key"), [(FILTERED_SCOPES, ()), (FILTERED_SCOPES + 1, ("channelId",))])
def test_few_scopes_are_filters_more_are_a_group(how_many: int, key: tuple[str, ...]) -> None:
    policy = cpol.load_json(_policies(how_many))[0]
    interactions, customers, candidates = (Table(name, Path(name), {}) for name in ("i", "c", "k"))
    lowering = Lowering(0.0, Inputs(interactions, customers, candidates, consent_columns={}))
    found, _, filters = lowering.narrowing(policy, policy.effective_scopes[0], None)
    assert found == key
    assert len(filters) == (1 if key == () else 0)
