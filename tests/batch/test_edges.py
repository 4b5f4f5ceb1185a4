"""Instants exactly on the edges of §2.1, where random populations rarely land: a window
sees `now - W < t`, a rest blocks while `now - last < N`, the future is ignored, a record
expiring at `now` is inactive, and eligibleAt rounds a fraction of a second up."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import cpol
from cpol.batch import decide
from tests.batch.population import write_population
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


#: Policies that read the customer's own data (their terms are computed once per customer).
READS_THE_CUSTOMER = [
    {"name": "dnc", "ruleType": "do_not_contact", "config": {"dncSource": "internal_dnc"}},
    {"name": "segments", "ruleType": "segment_exclusion", "config": {"excludeSegments": ["seg_vip"]}},
    {"name": "metric", "ruleType": "metric_condition", "config": {"metricId": "churn", "operator": "lt"}},
    {
        "name": "metric gte",
        "ruleType": "metric_condition",
        "config": {"metricId": "churn", "operator": "gte"},
    },
    {
        "name": "hours",
        "ruleType": "time_window",
        "config": {"startHour": 15, "endHour": 16},
        "scope": "channel",
        "scopeId": "ch_sms",
    },
]


def test_a_customer_without_a_row_is_decided_with_no_data() -> None:
    """docs/batch.md: a customer with candidates but no customers row is decided as a
    customer with no data, as online."""
    policies = cpol.load_json([{"scope": "global"} | p for p in READS_THE_CUSTOMER])
    known = {"id": "known", "dnc": ["internal_dnc"], "segments": ["seg_vip"], "metrics": {"churn": 3}}
    population = [
        {
            "now": NOW,
            "customer": customer,
            "candidates": [{"offerId": "off_a", "channelId": c} for c in ("ch_email", "ch_sms")],
        }
        for customer in (known, {"id": "stranger"})
    ]
    with tempfile.TemporaryDirectory() as folder:
        paths = write_population(population, Path(folder))
        people = pq.read_table(paths["customers"])
        pq.write_table(people.filter(pc.equal(people["id"], "known")), paths["customers"])
        table = decide(policies, now=NOW, **paths)  # type: ignore[call-overload]
    decided = [
        {k: row[k] for k in ("customerId", "rank", "allowed", "blockedBy", "eligibleAt")}
        for row in table.to_pylist()
    ]
    assert decided == online(policies, population)
    assert [row["blockedBy"] for row in decided] == ["dnc", "dnc", None, "hours"]


def test_a_lift_past_the_last_writable_instant_never_comes() -> None:
    """§2.1: a block lifting after 9999-12-31T23:59:59Z gives eligibleAt null; one lifting
    at that very second gives it, as online (the plan writes "never" as a lift past it)."""
    policies = cpol.load_json(
        [{"name": "cooldown", "scope": "global", "ruleType": "cooldown", "config": {"cooldownHours": 72}}]
    )
    now = "9999-12-29T12:00:00Z"
    seen = {
        "1 at the last second": "9999-12-28T23:59:59Z",
        "2 half a second later": "9999-12-28T23:59:59.5Z",
        "3 an hour later": "9999-12-29T00:59:59Z",
    }
    population = [
        {"now": now, "customer": {"id": who}, "interactions": [_seen(at)], "candidates": [{"offerId": "o"}]}
        for who, at in seen.items()
    ]
    decided = batch(policies, population)
    assert decided == online(policies, population)
    assert [row["eligibleAt"] for row in decided] == ["9999-12-31T23:59:59Z", None, None]
