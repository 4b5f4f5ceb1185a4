"""The batch plan on Apache Spark (`cpol batch --engine spark`): PySpark, local mode by default.

Spark is a JVM behind a Py4J gateway, and both sides talk too much for a command line:
the JVM's log4j output and the Python side's JSON error logs go to a log file in the
backend's scratch directory, and failures become one-line `SparkError`s (or
`BatchInputError`s naming the file) instead of Java stack traces. PySpark is imported
only when a backend starts, so this module loads without the `cpol[spark]` extra.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import re
import shutil
import tempfile
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Final

import pyarrow as pa
import pyarrow.parquet as pq
from sqlglot import exp

from cpol.batch.backend import BatchInputError, ColumnKind
from cpol.batch.dialects import render
from cpol.textsafe import escape

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, DataFrameWriter, SparkSession
    from pyspark.sql.types import DataType

#: What to install when Spark cannot start for want of Java (Spark 4 needs Java 17+).
JAVA_HINT: Final = (
    "Spark needs a Java 17+ runtime: apt-get install openjdk-17-jre-headless (or set JAVA_HOME)"
)
#: Driver memory: in local mode the driver is the whole engine; Spark spills beyond it.
DRIVER_MEMORY: Final = "2g"
#: PySpark's Python-side loggers that print JSON error records on standard error.
_PYSPARK_LOGGERS: Final = ("SQLQueryContextLogger", "DataFrameQueryContextLogger")
#: CSV as DuckDB and RFC 4180 write it: a quote inside a field is doubled, not backslashed.
_CSV: Final = {"escape": '"', "quote": '"'}
#: Instants in CSV and JSON output keep their microseconds (Spark's default keeps milliseconds).
_TIMESTAMP_FORMAT: Final = "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX"
#: What a one-line error keeps out: Py4J's ": ", a Java exception class, the SQLSTATE tail.
_JAVA_NOISE: Final = re.compile(
    r"^(?:Exception in thread \"[^\"]*\"|Caused by:)?:?\s*(?:[\w$]+\.)+[\w$]+(?:Exception|Error):\s*"
    r"|\s*SQLSTATE: \w+.*$"
)


class SparkError(BatchInputError):
    """Spark could not start, run the plan or write its output: one line, no stack trace.

    A `BatchInputError` so that the command line reports it as it reports a bad input (one
    line, exit 1): Java, the master URL and the output path are the user's to fix too.
    """


class SparkBackend:
    """The `Backend` protocol on a SparkSession (see `cpol.batch.backend`).

    `master` is a Spark master URL; `threads` caps local mode's cores (`local[N]`) or, on a
    cluster, each executor's. One backend per process: Spark allows one active context.
    """

    dialect = "spark"

    def __init__(self, master: str = "local[*]", threads: int | None = None) -> None:
        scratch = Path(tempfile.mkdtemp(prefix="cpol-spark-"))
        self._log = (scratch / "spark.log").open("w+b")
        # Removed by `close`, or at exit when a caller forgets to close.
        self._release = weakref.finalize(self, _remove, scratch, self._log)
        try:
            self._session = _start(master, threads, scratch, self._log)
        except BaseException:
            self._release()
            raise

    def register(self, view: str, source: Path) -> dict[str, ColumnKind]:
        """Read Parquet (a file or a directory of files) or CSV (by its `.csv` extension)."""
        reader = self._session.read
        with _translated(lambda message: BatchInputError(f"{escape(str(source))}: {message}")):
            if source.is_file() and source.suffix.lower() == ".csv":
                frame = reader.options(
                    header=True, inferSchema=True, multiLine=True, mode="FAILFAST", **_CSV
                ).csv(str(source))
            elif source.is_dir():  # as DuckDB's `read_parquet('DIR/**/*.parquet')`
                frame = reader.options(pathGlobFilter="*.parquet", recursiveFileLookup=True).parquet(
                    str(source)
                )
            else:
                frame = reader.parquet(str(source))
        frame.createOrReplaceTempView(view)
        return {field.name: column_kind(field.dataType) for field in frame.schema.fields}

    def register_arrow(self, view: str, table: pa.Table) -> None:
        """Hand a small Arrow table to Spark (it is shipped whole to the JVM)."""
        with _translated(SparkError):
            self._session.createDataFrame(table).createOrReplaceTempView(view)

    def materialize(self, view: str, query: exp.Expr) -> None:
        """Compute `query` now (errors surface here) and keep it, its lineage cut, as `view`."""
        with _translated(SparkError):
            self._frame(query).localCheckpoint(eager=True).createOrReplaceTempView(view)

    def fetch(self, query: exp.Expr) -> pa.Table:
        """Run `query` and collect its rows on the driver as Arrow."""
        with _translated(SparkError):
            return self._frame(query).toArrow()

    def write(self, query: exp.Expr, output: Path) -> None:
        """Run `query` into the single file `output`, as `cpol batch -o` promises on any engine.

        Spark writes a directory of part files in parallel; they are written next to
        `output` and joined into it in partition order (so an `ORDER BY` holds), and the
        file only appears once complete.
        """
        kind = _output_kind(output)
        frame = self._frame(query)
        parts = Path(tempfile.mkdtemp(prefix=f".{output.name}.", dir=_existing_parent(output)))
        try:
            with _translated(lambda message: SparkError(f"{escape(str(output))}: {message}")):
                _WRITERS[kind](frame.write.mode("overwrite"), str(parts / "out"))
            joined = parts / "joined"
            _JOINERS[kind](sorted((parts / "out").glob("part-*")), joined, frame.columns)
            joined.replace(output)
        finally:
            shutil.rmtree(parts, ignore_errors=True)

    def close(self) -> None:
        """Stop the session and remove the scratch directory (logs, checkpoints)."""
        self._session.stop()
        self._release()

    def _frame(self, query: exp.Expr) -> DataFrame:
        with _translated(SparkError):
            return self._session.sql(render(query, self.dialect))


def _remove(scratch: Path, log: IO[bytes]) -> None:
    log.close()
    shutil.rmtree(scratch, ignore_errors=True)


def column_kind(data_type: DataType) -> ColumnKind:
    """The lowering's kind of a Spark column type (a CSV column is never a list or map)."""
    from pyspark.sql import types

    kinds: tuple[tuple[tuple[type[DataType], ...], ColumnKind], ...] = (
        ((types.StringType, types.VarcharType, types.CharType), "string"),
        ((types.NumericType,), "number"),
        ((types.BooleanType,), "boolean"),
        ((types.TimestampType, types.TimestampNTZType, types.DateType), "timestamp"),
        ((types.ArrayType,), "list"),
        ((types.MapType,), "map"),
        ((types.StructType,), "struct"),
    )
    return next((kind for classes, kind in kinds if isinstance(data_type, classes)), "other")


def _start(master: str, threads: int | None, scratch: Path, log: IO[bytes]) -> SparkSession:
    """A session tuned for one small machine, its JVM's output sent to `log`."""
    try:
        from pyspark import SparkConf, SparkContext
        from pyspark.java_gateway import launch_gateway
        from pyspark.logger import PySparkLogger
        from pyspark.sql import SparkSession
    except ImportError as error:
        raise SparkError(f"--engine spark needs PySpark: pip install 'cpol[spark]' ({error})") from None
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        raise SparkError(JAVA_HINT)
    for name in _PYSPARK_LOGGERS:
        PySparkLogger.getLogger(name).setLevel(logging.CRITICAL + 1)
    conf = SparkConf().setAll(list(_settings(master, threads, scratch).items()))
    try:
        if SparkContext._gateway is None:
            # PySpark's own start, with the JVM's output sent to our log (it is untyped).
            SparkContext._gateway = launch_gateway(  # type: ignore[no-untyped-call]
                conf, popen_kwargs={"stdout": log, "stderr": log}
            )
            SparkContext._jvm = SparkContext._gateway.jvm
        return SparkSession(SparkContext(conf=conf))
    except Exception as error:
        raise SparkError(f"Spark could not start: {_startup_reason(error, log)}") from None


def _settings(master: str, threads: int | None, scratch: Path) -> dict[str, str]:
    """Spark settings: local mode sized to its cores and bound to loopback; UTC everywhere."""
    settings = {
        "spark.app.name": "cpol batch",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.driver.memory": DRIVER_MEMORY,
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
        "spark.sql.warehouse.dir": str(scratch / "warehouse"),
        "spark.local.dir": str(scratch),
    }
    if not master.startswith("local"):
        return (
            settings | {"spark.master": master} | ({"spark.executor.cores": str(threads)} if threads else {})
        )
    cores = threads or os.cpu_count() or 1
    return settings | {
        "spark.master": f"local[{cores}]" if threads else master,
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.sql.shuffle.partitions": str(min(max(2 * cores, 2), 8)),
    }


def _startup_reason(error: Exception, log: IO[bytes]) -> str:
    """Why the JVM or the context failed: the log's telling line, else the error's first."""
    log.flush()
    log.seek(0)
    lines = log.read().decode("utf-8", "replace").splitlines()
    if any("UnsupportedClassVersionError" in line or "JAVA_HOME" in line for line in lines):
        return JAVA_HINT
    telling = [line for line in lines if "Exception" in line or "Error" in line]
    return escape(_JAVA_NOISE.sub("", telling[0]) if telling else _first_line(error))


@contextmanager
def _translated(wrap: Callable[[str], Exception]) -> Iterator[None]:
    """Turn Spark's and Py4J's errors into `wrap(one line)`: the user sees no Java."""
    from py4j.protocol import Py4JError
    from pyspark.errors import PySparkException

    try:
        yield
    except (PySparkException, Py4JError) as error:
        raise wrap(escape(_first_line(error))) from None


def _first_line(error: Exception) -> str:
    """An error's message without Py4J's preamble, Java class names, SQLSTATE or stack trace.

    A Java error arrives wrapped ("Exception thrown in awaitResult", "Caused by: …"): the
    outermost and innermost of Spark's classed messages (`[ERROR_CLASS] …`) say where and why.
    """
    heads = [
        _JAVA_NOISE.sub("", line).strip()
        for number, line in enumerate(str(error).splitlines())
        if line.strip() and (number == 0 or line.startswith((": ", "Caused by: ")))
    ]
    classed = [head for head in heads if head.startswith("[")]
    if not classed:
        return next((head for head in heads if not head.startswith("An error occurred")), str(error))
    return classed[0] if len(classed) == 1 else f"{classed[0]} {classed[-1]}"


def _output_kind(output: Path) -> str:
    kind = output.suffix.lower().removeprefix(".")
    if kind not in _WRITERS:
        formats = ".parquet, .csv or JSON lines (.jsonl, .ndjson, .json)"
        raise SparkError(f"{escape(str(output))}: write {formats}")
    return kind


def _existing_parent(output: Path) -> Path:
    if not output.parent.is_dir():
        raise SparkError(f"{escape(str(output))}: its directory does not exist")
    return output.parent


def _join_parquet(parts: list[Path], joined: Path, columns: list[str]) -> None:
    """One Parquet file from Spark's parts, a row group at a time (memory stays bounded)."""
    del columns  # Parquet parts carry their schema
    files = [pq.ParquetFile(part) for part in parts]
    with pq.ParquetWriter(joined, files[0].schema_arrow) as writer:
        for file in files:
            for group in range(file.num_row_groups):
                writer.write_table(file.read_row_group(group))


def _join_text(parts: list[Path], joined: Path, header: str) -> None:
    with joined.open("wb") as out:
        out.write(header.encode())
        for part in parts:
            with part.open("rb") as source:
                shutil.copyfileobj(source, out)


def _join_csv(parts: list[Path], joined: Path, columns: list[str]) -> None:
    """Parts are written without headers: one header line, quoted the way Spark quotes fields."""
    line = io.StringIO()
    csv.writer(line, lineterminator="\n").writerow(columns)
    _join_text(parts, joined, line.getvalue())


def _join_jsonl(parts: list[Path], joined: Path, columns: list[str]) -> None:
    del columns  # every JSON line names its fields
    _join_text(parts, joined, "")


def _json(writer: DataFrameWriter, path: str) -> None:
    """JSON lines with every field, nulls included (Spark drops null fields by default)."""
    writer.options(ignoreNullFields=False, timestampFormat=_TIMESTAMP_FORMAT).json(path)


_WRITERS: Final[dict[str, Callable[[DataFrameWriter, str], None]]] = {
    "parquet": lambda writer, path: writer.parquet(path),
    "csv": lambda writer, path: writer.options(header=False, timestampFormat=_TIMESTAMP_FORMAT, **_CSV).csv(
        path
    ),
    "jsonl": _json,
    "json": _json,
    "ndjson": _json,
}
_JOINERS: Final[dict[str, Callable[[list[Path], Path, list[str]], None]]] = {
    "parquet": _join_parquet,
    "csv": _join_csv,
    "jsonl": _join_jsonl,
    "json": _join_jsonl,
    "ndjson": _join_jsonl,
}
