"""Random populations for the batch engine, written both ways: as the three input files of
SPEC §6.1, and as each customer's §2 request for the online engine."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from hypothesis import strategies as st

from cpol.batch.tables import from_requests
from tests.runtime.helpers import iso
from tests.runtime.test_properties import a_candidate, an_interaction, nows, requests


@st.composite
def customers(draw: st.DrawFn, index: int, now: datetime, max_candidates: int = 5) -> dict[str, Any]:
    """One customer's §2 request at `now`, without what batch inputs do not carry (a session);
    its metrics may hold text or null, which both engines read as missing."""
    request = draw(requests(max_candidates=max_candidates))
    request["now"] = iso(now)
    request["customer"]["id"] = f"cust_{index}"
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
    """The population as the five Parquet inputs (suppressions and budgets too, as the
    service's impact preview lays them out); returns their paths by argument name."""
    paths = {}
    for name, table in from_requests(population).items():
        paths[name] = folder / f"{name}.parquet"
        pq.write_table(table, paths[name])
    return paths
