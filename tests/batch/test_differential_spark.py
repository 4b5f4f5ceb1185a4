"""The differential guarantee on Apache Spark (local mode), for a smaller sample: the same
plan, rendered in Spark SQL, decides every row as the online engine does."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

import cpol
from cpol.batch.spark import SparkBackend
from tests.batch.population import populations
from tests.batch.test_differential import batch, online
from tests.runtime.test_properties import TIME_BOUND, policy_sets


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkBackend]:
    """One Spark session for the module; if it cannot start, the tests fail with why."""
    backend = SparkBackend(master="local[2]")
    yield backend
    backend.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(policy_dicts=policy_sets(max_size=8), population=populations(max_customers=4))
def test_spark_rows_equal_online_decisions(
    spark: SparkBackend, policy_dicts: list[dict[str, Any]], population: list[dict[str, Any]]
) -> None:
    policies = cpol.load_json(policy_dicts)
    assert batch(policies, population, spark) == online(policies, population)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    policy_dicts=policy_sets(min_size=1, max_size=4, rules=TIME_BOUND),
    population=populations(max_customers=4),
)
def test_spark_eligible_at_equals_online(
    spark: SparkBackend, policy_dicts: list[dict[str, Any]], population: list[dict[str, Any]]
) -> None:
    for request in population:
        request["customer"]["consent"] = {}
    policies = cpol.load_json(policy_dicts)
    assert batch(policies, population, spark) == online(policies, population)
