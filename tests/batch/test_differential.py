"""The differential guarantee (SPEC §6.1): every batch row equals the online engine's
decision for that customer's §2 request: allowed, the first blocking policy, eligibleAt.

Random policy sets of every rule type (scopes, multi-scope, `per`, overrides, mandatory
offers, older shapes, inactive policies) over random populations sharing one `now`."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import cpol
from cpol.batch import customer_requests, decide
from cpol.batch.backend import Backend
from cpol.batch.tables import decide_requests
from tests.batch.population import populations, write_population
from tests.runtime.test_properties import TIME_BOUND, policy_sets


def online(policies: list[cpol.Policy], population: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The online engine's rows, in the batch output's order (customer, then rank)."""
    engine = cpol.Engine(policies)
    rows = []
    for request in sorted(population, key=lambda r: r["customer"]["id"]):
        for rank, decision in enumerate(engine.decide_json(request)):
            found = decision.to_json()
            first = found["blockedBy"][0] if found["blockedBy"] else None
            rows.append(
                {
                    "customerId": request["customer"]["id"],
                    "rank": rank,
                    "allowed": found["allowed"],
                    "blockedBy": _named(first),
                    "eligibleAt": found["eligibleAt"],
                }
            )
    return rows


def _named(entry: dict[str, Any] | None) -> str | None:
    """How a batch row names a block: the gates by their kind, a policy by id, else name."""
    if entry is None:
        return None
    if entry["policyId"] is None and entry["ruleType"] in ("consent", "suppression"):
        return str(entry["ruleType"])
    return str(entry["policyId"] or entry["policyName"])


def batch(
    policies: list[cpol.Policy], population: list[dict[str, Any]], engine: str | Backend = "duckdb"
) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as folder:
        paths = write_population(population, Path(folder))
        table = decide(policies, now=population[0]["now"], engine=engine, **paths)  # type: ignore[call-overload]
    keep = ("customerId", "rank", "allowed", "blockedBy", "eligibleAt")
    return [{k: row[k] for k in keep} for row in table.to_pylist()]


@settings(max_examples=150, deadline=None)
@given(policy_sets(max_size=8), populations())
def test_batch_rows_equal_online_decisions(
    policy_dicts: list[dict[str, Any]], population: list[dict[str, Any]]
) -> None:
    policies = cpol.load_json(policy_dicts)
    assert batch(policies, population) == online(policies, population)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_mutual_exclusion_chains(data: st.DataObject) -> None:
    """Exclusive groups over customers with several offers of a group: the hybrid pass."""
    rules = st.sampled_from(["mutual_exclusion"] * 3 + ["frequency_cap", "allow_override", "cooldown"])
    policy_dicts = data.draw(policy_sets(min_size=1, max_size=5, rules=rules))
    population = data.draw(populations())
    policies = cpol.load_json(policy_dicts)
    assert batch(policies, population) == online(policies, population)


@settings(max_examples=100, deadline=None)
@given(policy_sets(min_size=1, max_size=4, rules=TIME_BOUND), populations())
def test_when_blocks_lift(policy_dicts: list[dict[str, Any]], population: list[dict[str, Any]]) -> None:
    """Rules that lift by time, customers who consent to everything: eligibleAt is compared
    on most blocked rows (window edges, cooldowns, time windows in the customers' zones)."""
    for request in population:
        request["customer"]["consent"] = {}
    policies = cpol.load_json(policy_dicts)
    assert batch(policies, population) == online(policies, population)


@settings(max_examples=40, deadline=None)
@given(policy_sets(max_size=6), populations())
def test_requests_rebuilt_from_the_inputs_decide_the_same(
    policy_dicts: list[dict[str, Any]], population: list[dict[str, Any]]
) -> None:
    """`customer_requests` (what `cpol plan` explains samples with) gives back requests the
    online engine decides exactly as the originals."""
    policies = cpol.load_json(policy_dicts)
    with tempfile.TemporaryDirectory() as folder:
        paths = write_population(population, Path(folder))
        ids = [r["customer"]["id"] for r in population]
        rebuilt = customer_requests(now=population[0]["now"], customer_ids=ids, **paths)
    assert online(policies, list(rebuilt.values())) == online(policies, population)


@settings(max_examples=60, deadline=None)
@given(policy_sets(max_size=8), populations())
def test_requests_decided_in_memory_equal_online_decisions(
    policy_dicts: list[dict[str, Any]], population: list[dict[str, Any]]
) -> None:
    """The service's impact preview path: requests laid out as Arrow tables, no file."""
    policies = cpol.load_json(policy_dicts)
    rows = [row for found in decide_requests(policies, population) for row in found]
    keep = ("customerId", "rank", "allowed", "blockedBy", "eligibleAt")
    decided = sorted(({k: row[k] for k in keep} for row in rows), key=lambda r: (r["customerId"], r["rank"]))
    assert decided == online(policies, population)
