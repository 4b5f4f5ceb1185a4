"""What the online engine would refuse, refused before deciding, on both engines: a key
given twice (found by the hash scan, then named by the exact search) and a required value
left empty."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cpol.batch import decide
from cpol.batch.backend import Backend, BatchInputError
from cpol.batch.duckdb import DuckDBBackend
from cpol.batch.spark import SparkBackend
from tests.batch.population import write_population

NOW = "2026-03-20T14:00:00Z"
POPULATION = [
    {"now": NOW, "customer": {"id": f"c{n}"}, "candidates": [{"offerId": "off_a"}, {"offerId": "off_b"}]}
    for n in range(3)
]


@pytest.fixture(scope="module", params=["duckdb", "spark"])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    """Each engine once for the module (if Spark cannot start, the tests fail with why)."""
    opened: Backend = DuckDBBackend() if request.param == "duckdb" else SparkBackend(master="local[2]")
    yield opened
    opened.close()


def _decide_with(backend: Backend, change: str, rows: list[dict[str, Any]]) -> None:
    """Decide the population with `rows` appended to the input named `change`."""
    with tempfile.TemporaryDirectory() as folder:
        paths = write_population(POPULATION, Path(folder))
        table = pq.read_table(paths[change])
        added = pa.Table.from_pylist(rows, schema=table.schema)
        pq.write_table(pa.concat_tables([table, added]), paths[change])
        decide([], now=NOW, engine=backend, **paths)  # type: ignore[call-overload]


@pytest.mark.parametrize(
    ("change", "rows", "message"),
    [
        (
            "candidates",
            [{"customerId": "c1", "rank": 1, "offerId": "off_c"}],
            "customer c1 has two candidates at rank 1",
        ),
        ("candidates", [{"customerId": "c1", "rank": 7, "offerId": None}], "1 row(s) without offerId"),
        ("candidates", [{"customerId": None, "rank": 7, "offerId": "off_c"}], "1 row(s) without customerId"),
        ("customers", [{"id": "c2"}], "customer c2 appears twice"),
    ],
)
def test_refused_before_deciding(
    backend: Backend, change: str, rows: list[dict[str, Any]], message: str
) -> None:
    with pytest.raises(BatchInputError, match=re.escape(message)):
        _decide_with(backend, change, rows)


def test_a_budget_given_twice_is_refused(backend: Backend) -> None:
    with tempfile.TemporaryDirectory() as folder:
        paths = write_population(POPULATION, Path(folder))
        budgets = pa.table({"id": ["off_a", "off_a"], "impressions": [1.0, 2.0]})
        pq.write_table(budgets, Path(folder) / "budgets.parquet")
        paths["budgets"] = Path(folder) / "budgets.parquet"
        with pytest.raises(BatchInputError, match="budget off_a appears twice"):
            decide([], now=NOW, engine=backend, **paths)  # type: ignore[call-overload]


def test_distinct_keys_pass(backend: Backend) -> None:
    _decide_with(backend, "candidates", [{"customerId": "c1", "rank": 9, "offerId": "off_c"}])
