"""The customers' segments, for the what-if report's by-segment counts.

Read through the same input layer as `decide` (`inputs.customers_query`), so the column
spellings, file kinds and errors are the batch's own; only the id and the `segments` list
are fetched, as one (customerId, segment) pair per membership. A customers input without
a `segments` column puts every customer in no segment.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from cpol.batch.backend import Backend
from cpol.batch.inputs import customers_query
from cpol.batch.run import read_inputs

SCHEMA = pa.schema([("customerId", pa.string()), ("segment", pa.string())])


def customer_segments(backend: Backend, interactions: Path, customers: Path, candidates: Path) -> pa.Table:
    """(customerId, segment) pairs of the customers input."""
    inputs = read_inputs(backend, interactions, customers, candidates)
    if not inputs.customers.has("segments"):
        return SCHEMA.empty_table()
    query = customers_query(inputs.customers, inputs.consent_columns).subquery("q")
    columns = [exp.column(name, quoted=True) for name in ("id", "segments")]
    table = backend.fetch(exp.select(*columns).from_(query))
    lists = table["segments"].combine_chunks()
    owners = pc.take(table["id"].combine_chunks().cast(pa.string()), pc.list_parent_indices(lists))
    pairs = pa.table([owners, pc.list_flatten(lists).cast(pa.string())], schema=SCHEMA)
    return pairs.filter(pc.is_valid(pairs["segment"]))
