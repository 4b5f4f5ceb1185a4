"""The what-if replay (SPEC §6.2): one population decided under two policy sets, compared.

`replay` decides the candidates twice with `cpol.batch.decide` (the same engine, the same
inputs), compares the two tables (`whatif`), reads the customers' segments for the
by-segment counts, and explains sample customers with the online engine (`samples`). It
writes nothing: the report is returned, for the caller to render.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from cpol.batch import customer_requests, decide
from cpol.batch.backend import Backend
from cpol.batch.run import open_backend
from cpol.batch.samples import explain, pick
from cpol.batch.segments import customer_segments
from cpol.batch.whatif import PlanReport, PolicySet, align, build
from cpol.plan import Policy
from cpol.runtime.clock import format_instant

#: Sample customers per kind of flip and policy, by default.
DEFAULT_SAMPLES = 3


@dataclass(frozen=True)
class Inputs:
    """The population: the three input files (or Parquet directories) and the instant."""

    interactions: Path
    customers: Path
    candidates: Path
    now: datetime


def replay(
    old: Sequence[Policy],
    new: Sequence[Policy],
    inputs: Inputs,
    *,
    engine: str = "duckdb",
    threads: int | None = None,
    master: str | None = None,
    samples: int = DEFAULT_SAMPLES,
    sources: tuple[Sequence[str], Sequence[str]] = ((), ()),
) -> PlanReport:
    """Decide the population under `old` and `new` and report what changes.

    One engine serves both decisions and the segments (Spark starts once). `sources` name
    where each set came from, for the report's header.
    """
    backend = open_backend(engine, threads, master, progress=False)
    try:
        tables = [_decide(policies, inputs, backend) for policies in (old, new)]
        segments = customer_segments(backend, inputs.interactions, inputs.customers, inputs.candidates)
    finally:
        backend.close()
    aligned = align(*tables)

    def requests_of(customers: Sequence[str]) -> Mapping[str, Mapping[str, Any]]:
        return customer_requests(
            interactions=inputs.interactions,
            customers=inputs.customers,
            candidates=inputs.candidates,
            now=inputs.now,
            customer_ids=list(customers),
        )

    return build(
        aligned,
        segments,
        explain(aligned, pick(aligned, samples), requests_of, old, new),
        now=format_instant(inputs.now.timestamp()),
        engine=engine,
        old=PolicySet(sources=list(sources[0]), policies=len(old)),
        new=PolicySet(sources=list(sources[1]), policies=len(new)),
    )


def _decide(policies: Sequence[Policy], inputs: Inputs, backend: Backend) -> pa.Table:
    return decide(
        list(policies),
        interactions=inputs.interactions,
        customers=inputs.customers,
        candidates=inputs.candidates,
        now=inputs.now,
        engine=backend,
    )
