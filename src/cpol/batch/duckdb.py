"""The embedded engine (the default): DuckDB, in-process, spilling to disk past its memory."""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb
import pyarrow as pa
from sqlglot import exp

from cpol.batch.backend import BatchError, BatchInputError, ColumnKind
from cpol.batch.dialects import render

_NUMBERS = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
    "FLOAT",
    "DOUBLE",
    "DECIMAL",
)
OUT_OF_MEMORY = "decide with --memory-limit SIZE (e.g. 4GB): stage by stage, spilling to disk within it"
FORMATS = {".parquet": "PARQUET", ".csv": "CSV", ".jsonl": "JSON", ".json": "JSON", ".ndjson": "JSON"}


def column_kind(type_name: str) -> ColumnKind:
    """DuckDB's type name as one of the kinds the lowering tells apart."""
    name = type_name.upper()
    if name.endswith("]"):
        return "list"
    if name.startswith("MAP("):
        return "map"
    if name.startswith("STRUCT("):
        return "struct"
    if name.startswith(("TIMESTAMP", "DATE")):
        return "timestamp"
    if name.startswith(_NUMBERS):
        return "number"
    if name == "BOOLEAN":
        return "boolean"
    if name == "VARCHAR":
        return "string"
    return "other"


def _reader(source: Path) -> exp.Expr:
    """DuckDB's table function for a file or a directory of Parquet files."""
    if source.is_dir():
        return exp.func("read_parquet", exp.Literal.string(str(source / "**" / "*.parquet")))
    if source.suffix.lower() == ".csv":
        return exp.func(
            "read_csv", exp.Literal.string(str(source)), exp.EQ(this=exp.var("header"), expression=exp.true())
        )
    return exp.func("read_parquet", exp.Literal.string(str(source)))


class DuckDBBackend:
    """An in-memory DuckDB database, with a temporary directory to spill to."""

    dialect = "duckdb"

    def __init__(
        self, threads: int | None = None, progress: bool = False, memory_limit: str | None = None
    ) -> None:
        self._spill = tempfile.TemporaryDirectory(prefix="cpol-batch-")
        self.connection = duckdb.connect()
        self.connection.execute(f"SET temp_directory = '{self._spill.name}'")
        if memory_limit is not None:
            self._limit(memory_limit)
        if threads is not None:
            self.connection.execute(f"SET threads = {int(threads)}")
        self.connection.execute(f"SET enable_progress_bar = {'true' if progress else 'false'}")
        # Every aggregate reads the plan's interactions (`i`) through its own filter. DuckDB
        # would also filter `i` by the OR of them all before keeping it, which costs more than
        # the rows it drops (3% of a campaign run, docs/performance.md).
        self.connection.execute("SET disabled_optimizers = 'cte_filter_pusher'")

    def _limit(self, memory_limit: str) -> None:
        try:
            self.connection.execute("SET memory_limit = ?", [memory_limit])
            self.connection.execute("SET preserve_insertion_order = false")  # less to hold
        except duckdb.Error:
            raise BatchError(f"--memory-limit {memory_limit!r} is not a size (e.g. 4GB, 500MB)") from None

    def register(self, view: str, source: Path) -> dict[str, ColumnKind]:
        if not source.exists():
            raise BatchInputError(f"{source}: no such file or directory")
        query = exp.select("*").from_(_reader(source))
        try:
            self.connection.execute(f'CREATE OR REPLACE VIEW "{view}" AS {render(query, self.dialect)}')
            described = self.connection.execute(f'DESCRIBE "{view}"').fetchall()
        except duckdb.Error as error:
            raise BatchInputError(
                f"{source}: cannot be read as Parquet or CSV ({_first_line(error)})"
            ) from None
        return {str(row[0]): column_kind(str(row[1])) for row in described}

    def register_arrow(self, view: str, table: pa.Table) -> None:
        self.connection.register(view, table)

    def materialize(self, view: str, query: exp.Expr) -> None:
        self._run(f'CREATE OR REPLACE TEMP TABLE "{view}" AS {render(query, self.dialect)}')

    def fetch(self, query: exp.Expr) -> pa.Table:
        try:
            return self.connection.sql(render(query, self.dialect)).to_arrow_table()
        except (duckdb.ConversionException, duckdb.InvalidInputException) as error:
            raise BatchInputError(f"an input value cannot be read: {_first_line(error)}") from None
        except duckdb.OutOfMemoryException as error:
            raise BatchError(f"{_first_line(error)}; {OUT_OF_MEMORY}") from None

    def write(self, query: exp.Expr, output: Path) -> None:
        kind = FORMATS.get(output.suffix.lower())
        if kind is None:
            raise BatchInputError(f"{output}: write .parquet, .csv or .jsonl (one JSON object per line)")
        target = str(output).replace("'", "''")
        # the decisions are ordered by their query: the file need not keep the inputs' order
        # too, and COPY writes in parallel without it
        self.connection.execute("SET preserve_insertion_order = false")
        self._run(f"COPY ({render(query, self.dialect)}) TO '{target}' (FORMAT {kind})")

    def close(self) -> None:
        self.connection.close()
        self._spill.cleanup()

    def _run(self, sql: str) -> duckdb.DuckDBPyConnection:
        try:
            return self.connection.execute(sql)
        except (duckdb.ConversionException, duckdb.InvalidInputException) as error:
            raise BatchInputError(f"an input value cannot be read: {_first_line(error)}") from None
        except duckdb.OutOfMemoryException as error:
            raise BatchError(f"{_first_line(error)}; {OUT_OF_MEMORY}") from None


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
