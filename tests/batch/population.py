"""Random populations for the batch engine, written both ways: as the three input files of
SPEC §6.1, and as each customer's §2 request for the online engine."""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import strategies as st

from tests.runtime.helpers import iso
from tests.runtime.test_properties import a_candidate, an_interaction, nows, requests

INTERACTION_SCHEMA = pa.schema(
    [
        ("customerId", pa.string()),
        ("timestamp", pa.string()),
        ("outcome", pa.string()),
        *((name, pa.string()) for name in ("offerId", "channelId", "creativeId", "categoryId")),
        *((name, pa.string()) for name in ("subCategoryId", "offerCategory", "campaignId")),
    ]
)
CUSTOMER_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("timezone", pa.string()),
        ("segments", pa.list_(pa.string())),
        ("dnc", pa.list_(pa.string())),
        ("consent", pa.map_(pa.string(), pa.string())),
        ("metrics", pa.map_(pa.string(), pa.float64())),
    ]
)
SUPPRESSION_SCHEMA = pa.schema(
    [
        ("customerId", pa.string()),
        ("id", pa.string()),
        ("scope", pa.string()),
        ("scopeId", pa.string()),
        ("expiresAt", pa.string()),
        ("isActive", pa.bool_()),
    ]
)
BUDGET_SCHEMA = pa.schema(
    [
        ("customerId", pa.string()),
        ("id", pa.string()),
        *((name, pa.float64()) for name in ("impressions", "spend", "daily_spend")),
    ]
)
CANDIDATE_SCHEMA = pa.schema(
    [
        ("customerId", pa.string()),
        ("rank", pa.int64()),
        *((name, pa.string()) for name in ("offerId", "channelId", "channelType", "creativeId")),
        *((name, pa.string()) for name in ("categoryId", "subCategoryId", "offerCategory")),
        ("isMandatory", pa.bool_()),
    ]
)


def _number(value: Any) -> float | None:
    """A metric as a Parquet double: what is not a finite number is missing (it passes
    online as well)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


@st.composite
def customers(draw: st.DrawFn, index: int, now: datetime, max_candidates: int = 5) -> dict[str, Any]:
    """One customer's §2 request at `now`, without what batch inputs do not carry (a session)."""
    request = draw(requests(max_candidates=max_candidates))
    request["now"] = iso(now)
    request["customer"]["id"] = f"cust_{index}"
    request["customer"]["metrics"] = {
        k: number for k, v in request["customer"]["metrics"].items() if (number := _number(v)) is not None
    }
    request["interactions"] = draw(st.lists(an_interaction(now), max_size=25))
    request["candidates"] = draw(st.lists(a_candidate(), min_size=1, max_size=max_candidates))
    request.pop("session")
    return request


@st.composite
def populations(draw: st.DrawFn, max_customers: int = 6) -> list[dict[str, Any]]:
    """Several customers' requests sharing one `now` (a batch decides at one instant)."""
    now = draw(nows())
    size = draw(st.integers(1, max_customers))
    return [draw(customers(index, now)) for index in range(size)]


def write_population(population: list[dict[str, Any]], folder: Path) -> dict[str, Path]:
    """The population as the Parquet inputs (suppressions and budgets too); returns their
    paths by argument name."""
    interactions: list[dict[str, Any]] = []
    customer_rows: list[dict[str, Any]] = []
    candidates: list[dict[str, Any]] = []
    suppressions: list[dict[str, Any]] = []
    budgets: list[dict[str, Any]] = []
    for request in population:
        customer = request["customer"]
        cid = customer["id"]
        interactions += [{"customerId": cid, **i} for i in request["interactions"]]
        customer_rows.append({**customer, "consent": list(customer.get("consent", {}).items())})
        candidates += [
            {"customerId": cid, "rank": rank, **candidate}
            for rank, candidate in enumerate(request["candidates"])
        ]
        suppressions += [{"customerId": cid, **record} for record in request.get("suppressions", [])]
        budgets += [
            {"customerId": cid, "id": key, **{k: _number(v) for k, v in figures.items()}}
            for key, figures in request.get("budgets", {}).items()
        ]
    paths = {
        "interactions": folder / "interactions.parquet",
        "customers": folder / "customers.parquet",
        "candidates": folder / "candidates.parquet",
        "suppressions": folder / "suppressions.parquet",
        "budgets": folder / "budgets.parquet",
    }
    pq.write_table(pa.Table.from_pylist(interactions, schema=INTERACTION_SCHEMA), paths["interactions"])
    pq.write_table(pa.Table.from_pylist(customer_rows, schema=CUSTOMER_SCHEMA), paths["customers"])
    pq.write_table(pa.Table.from_pylist(candidates, schema=CANDIDATE_SCHEMA), paths["candidates"])
    pq.write_table(pa.Table.from_pylist(suppressions, schema=SUPPRESSION_SCHEMA), paths["suppressions"])
    pq.write_table(pa.Table.from_pylist(budgets, schema=BUDGET_SCHEMA), paths["budgets"])
    return paths
