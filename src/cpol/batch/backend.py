"""What the lowering needs from a SQL engine: read the inputs, run one plan, write or return it.

The plan is a sqlglot expression tree; each backend renders it in its own dialect
(`dialect` is sqlglot's name for it), so DuckDB and Spark run the same tree.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Protocol

import pyarrow as pa
from sqlglot import exp

#: The kinds of input column the lowering tells apart (it adapts names and shapes, not types).
ColumnKind = Literal["string", "number", "boolean", "timestamp", "list", "map", "struct", "other"]


class Backend(Protocol):
    """A SQL engine the batch plan runs on (embedded DuckDB, or Apache Spark)."""

    #: sqlglot's dialect name: "duckdb" or "spark".
    dialect: str

    def register(self, view: str, source: Path) -> dict[str, ColumnKind]:
        """Make a Parquet file, a CSV file or a directory of Parquet files queryable as `view`.

        Returns its columns (file order) and their kinds. Raises `BatchInputError` naming
        the file when it cannot be read.
        """
        ...

    def register_arrow(self, view: str, table: pa.Table) -> None:
        """Make a small in-memory table queryable as `view` (the hybrid pass's corrections)."""
        ...

    def materialize(self, view: str, query: exp.Expr) -> None:
        """Compute `query` once and keep it as `view` for the queries that follow."""
        ...

    def fetch(self, query: exp.Expr) -> pa.Table:
        """Run `query` and return its rows."""
        ...

    def write(self, query: exp.Expr, output: Path) -> None:
        """Run `query` into `output`: Parquet, CSV or JSON lines by its extension."""
        ...

    def close(self) -> None:
        """Release the engine (temporary files, the Spark session's resources)."""
        ...


class BatchError(Exception):
    """A batch run that cannot complete, said in one line for the command line (exit 1)."""


class BatchInputError(BatchError):
    """An input file that cannot be read or lacks a column: the message names the file and column."""
