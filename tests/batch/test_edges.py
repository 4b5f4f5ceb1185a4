"""Instants exactly on the edges of §2.1, where random populations rarely land: a window
sees `now - W < t`, a rest blocks while `now - last < N`, the future is ignored, a record
expiring at `now` is inactive, and eligibleAt rounds a fraction of a second up."""

from __future__ import annotations

from typing import Any

import pytest

import cpol
from tests.batch.test_differential import batch, online

NOW = "2026-03-20T14:00:00Z"


def _seen(timestamp: str, outcome: str = "impression", **fields: str) -> dict[str, Any]:
    return {"timestamp": timestamp, "outcome": outcome, "offerId": "off_a", "categoryId": "cat_1", **fields}


POLICIES = {
    "weekly cap": {"ruleType": "frequency_cap", "config": {"maxPerWeek": 1}},
    # the day's edge inside a scan that reaches back a week
    "daily and weekly cap": {"ruleType": "frequency_cap", "config": {"maxPerDay": 1, "maxPerWeek": 9}},
    "cooldown": {"ruleType": "cooldown", "config": {"cooldownHours": 24}},
    "outcome rest": {
        "ruleType": "outcome_based",
        "config": {"afterOutcome": "complaint", "suppressForDays": 7},
    },
    "category rest": {"ruleType": "category_suppression", "config": {"suppressionDays": 7}},
    "customer cap": {"ruleType": "customer_total_cap", "config": {"maxTotal": 1, "periodType": "daily"}},
}
HISTORIES = {
    "a week ago to the second": [_seen("2026-03-13T14:00:00Z")],
    "a microsecond inside the week": [_seen("2026-03-13T14:00:00.000001Z")],
    "a day ago to the second": [_seen("2026-03-19T14:00:00Z")],
    "a second inside the day": [_seen("2026-03-19T14:00:01Z")],
    "a complaint a week ago": [_seen("2026-03-13T14:00:00Z", "complaint")],
    "a complaint just inside the week": [_seen("2026-03-13T14:00:00.5Z", "complaint")],
    "in the future": [_seen("2026-03-20T14:00:00.000001Z"), _seen("2026-03-21T09:00:00Z", "complaint")],
    "at now": [_seen(NOW)],
}


@pytest.mark.parametrize("rule", list(POLICIES))
def test_every_edge_decides_as_online(rule: str) -> None:
    policies = cpol.load_json([{"name": rule, "scope": "global", **POLICIES[rule]}])
    population = [
        {
            "now": NOW,
            "customer": {"id": f"c{n}"},
            "interactions": history,
            "candidates": [{"offerId": "off_a", "categoryId": "cat_1"}],
        }
        for n, history in enumerate(HISTORIES.values())
    ]
    decided = batch(policies, population)
    assert decided == online(policies, population)
    assert {row["allowed"] for row in decided} == {True, False}  # the edges fall on both sides


def test_a_suppression_expiring_at_now_is_over() -> None:
    records = [
        [{"id": "s_now", "scope": "global", "expiresAt": NOW}],
        [{"id": "s_later", "scope": "global", "expiresAt": "2026-03-20T14:00:00.000001Z"}],
    ]
    population = [
        {"now": NOW, "customer": {"id": f"c{n}"}, "suppressions": found, "candidates": [{"offerId": "off_a"}]}
        for n, found in enumerate(records)
    ]
    decided = batch([], population)
    assert decided == online([], population)
    assert [row["eligibleAt"] for row in decided] == [None, "2026-03-20T14:00:01Z"]
