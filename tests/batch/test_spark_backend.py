"""The Spark backend on a real local Spark: inputs, kinds, queries, outputs and failures.

One module, one session (Spark allows one per process and takes seconds to start), so
`pytest -n auto --dist loadfile` starts it in one worker only. Skip-free: if Spark cannot
start, every test here fails with the reason.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlglot
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlglot import exp

from cpol.batch.backend import BatchInputError
from cpol.batch.spark import JAVA_HINT, SparkBackend, SparkError

UTC = dt.UTC
#: A row of every kind the lowering tells apart, as a Parquet file would hold it.
EVERY_KIND = pa.table(
    {
        "customer_id": ["c1", "c2"],
        "rank": pa.array([1, 2], pa.int32()),
        "score": [0.5, None],
        "dnc": [True, False],
        "timestamp": pa.array(
            [dt.datetime(2026, 3, 1, 9, 30, 0, 123456, tzinfo=UTC), None], pa.timestamp("us", tz="UTC")
        ),
        "segments": [["vip"], []],
        "consent": pa.array([[("sms", True)], None], pa.map_(pa.string(), pa.bool_())),
        "metrics": [{"opens": 3}, {"opens": 0}],
        "blob": [b"\x00", b""],
    }
)


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkBackend]:
    try:
        backend = SparkBackend(master="local[2]")
    except SparkError as error:
        pytest.fail(f"Spark cannot start, so the Spark backend is untested: {error}")
    yield backend
    backend.close()


def sql(text: str) -> exp.Expression:
    """A plan as the lowering builds it: a sqlglot tree (here parsed from DuckDB's SQL)."""
    return spark_sql(text, read="duckdb")


def spark_sql(text: str, read: str = "spark") -> exp.Expression:
    tree = sqlglot.parse_one(text, read=read)
    assert isinstance(tree, exp.Expression)
    return tree


def rows(table: pa.Table) -> list[dict[str, object]]:
    listed: list[dict[str, object]] = table.to_pylist()
    return listed


# Inputs ---------------------------------------------------------------------------------


def test_parquet_file_of_any_name_columns_and_kinds_in_file_order(
    spark: SparkBackend, tmp_path: Path
) -> None:
    pq.write_table(EVERY_KIND, tmp_path / "customers.pq")
    kinds = spark.register("customers", tmp_path / "customers.pq")
    assert kinds == {
        "customer_id": "string",
        "rank": "number",
        "score": "number",
        "dnc": "boolean",
        "timestamp": "timestamp",
        "segments": "list",
        "consent": "map",
        "metrics": "struct",
        "blob": "other",
    }
    assert rows(spark.fetch(sql("SELECT * FROM customers ORDER BY customer_id"))) == rows(EVERY_KIND)


def test_csv_file_with_header_inferred_types_and_doubled_quotes(spark: SparkBackend, tmp_path: Path) -> None:
    source = tmp_path / "interactions.csv"
    source.write_text(
        "customerId,timestamp,outcome,value,converted\n"
        'c1,2026-03-01T09:30:00.123456Z,"said ""no"", twice",1.5,true\n'
        "c2,2026-03-02T00:00:00Z,,,false\n",
        encoding="utf-8",
    )
    kinds = spark.register("interactions", source)
    assert kinds == {
        "customerId": "string",
        "timestamp": "timestamp",
        "outcome": "string",
        "value": "number",
        "converted": "boolean",
    }
    assert rows(spark.fetch(sql("SELECT * FROM interactions ORDER BY customerId"))) == [
        {
            "customerId": "c1",
            "timestamp": dt.datetime(2026, 3, 1, 9, 30, 0, 123456, tzinfo=UTC),
            "outcome": 'said "no", twice',
            "value": 1.5,
            "converted": True,
        },
        {
            "customerId": "c2",
            "timestamp": dt.datetime(2026, 3, 2, tzinfo=UTC),
            "outcome": None,
            "value": None,
            "converted": False,
        },
    ]


def test_directory_of_parquet_files_at_any_depth_is_one_input(spark: SparkBackend, tmp_path: Path) -> None:
    parts = tmp_path / "candidates"
    parts.mkdir()
    pq.write_table(pa.table({"customerId": ["c1", "c2"], "rank": [1, 1]}), parts / "a.parquet")
    (parts / "more").mkdir()
    pq.write_table(pa.table({"customerId": ["c1"], "rank": [2]}), parts / "more" / "b.parquet")
    (parts / "README.txt").write_text("exported by the CRM\n", encoding="utf-8")
    assert spark.register("candidates", parts) == {"customerId": "string", "rank": "number"}
    fetched = spark.fetch(sql("SELECT customerId, rank FROM candidates ORDER BY customerId, rank"))
    assert rows(fetched) == [
        {"customerId": "c1", "rank": 1},
        {"customerId": "c1", "rank": 2},
        {"customerId": "c2", "rank": 1},
    ]


def test_missing_file_names_the_file(spark: SparkBackend, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.parquet"
    with pytest.raises(BatchInputError) as raised:
        spark.register("customers", missing)
    message = str(raised.value)
    assert message.startswith(f"{missing}: ")
    assert "does not exist" in message
    assert "\n" not in message and "\tat " not in message


def test_a_file_that_is_not_parquet_names_the_file(spark: SparkBackend, tmp_path: Path) -> None:
    impostor = tmp_path / "customers.parquet"
    impostor.write_text("id,timezone\nc1,UTC\n", encoding="utf-8")
    with pytest.raises(BatchInputError) as raised:
        spark.register("customers", impostor)
    message = str(raised.value)
    assert message.startswith(f"{impostor}: ")
    assert "Parquet" in message
    assert "\n" not in message and "org.apache" not in message and "SQLSTATE" not in message


def test_a_hostile_file_name_is_escaped(spark: SparkBackend, tmp_path: Path) -> None:
    with pytest.raises(BatchInputError) as raised:
        spark.register("customers", tmp_path / "evil\x1b[2J.parquet")
    assert "\x1b" not in str(raised.value)
    assert "evil\\x1b[2J.parquet" in str(raised.value)


def test_csv_with_a_ragged_row_fails_the_run_naming_the_file(spark: SparkBackend, tmp_path: Path) -> None:
    """Spark reads CSV rows when the plan runs: a malformed one fails it (never a silent NULL)."""
    source = tmp_path / "customers.csv"
    source.write_text("id,timezone\nc1,UTC\nc2\n", encoding="utf-8")
    spark.register("ragged", source)
    with pytest.raises(SparkError) as raised:
        spark.fetch(sql("SELECT * FROM ragged"))
    assert str(raised.value) == (
        f"[FAILED_READ_FILE.NO_HINT] Encountered error while reading file file://{source}."
        " [MALFORMED_CSV_RECORD] Malformed CSV record: c2"
    )


# Queries --------------------------------------------------------------------------------

#: CTEs, FILTER aggregates, a window, list functions and a VALUES table: the shapes the
#: lowering emits, written once (DuckDB's SQL) and rendered for each engine by sqlglot.
SHAPES = sql("""
    WITH offers(offerId, weight) AS (VALUES ('o1', 1), ('o2', 2), ('o3', 3)),
    totals AS (
        SELECT customerId,
               COUNT(*) FILTER (WHERE outcome = 'click') AS clicks,
               COUNT(*) FILTER (WHERE ts >= TIMESTAMP '2026-01-01 00:00:00') AS recent,
               MAX(ts) FILTER (WHERE outcome = 'impression') AS lastImpression
        FROM interactions GROUP BY customerId
    ),
    latest AS (
        SELECT customerId, offerId,
               ROW_NUMBER() OVER (PARTITION BY customerId ORDER BY ts DESC, offerId) AS n
        FROM interactions
    )
    SELECT c.id, t.clicks, t.recent, t.lastImpression, l.offerId, o.weight,
           ARRAY_CONTAINS(c.segments, 'vip') AS vip,
           ARRAY_LENGTH(c.segments) AS segmentCount
    FROM customers AS c
    LEFT JOIN totals AS t ON t.customerId = c.id
    LEFT JOIN latest AS l ON l.customerId = c.id AND l.n = 1
    LEFT JOIN offers AS o ON o.offerId = l.offerId
    ORDER BY c.id
""")

CUSTOMER_IDS = st.sampled_from(["c1", "c2", "c3", "c4"])
INSTANTS = st.datetimes(
    min_value=dt.datetime(2025, 12, 1), max_value=dt.datetime(2026, 2, 1), timezones=st.just(UTC)
)
INTERACTIONS = st.lists(
    st.fixed_dictionaries(
        {
            "customerId": CUSTOMER_IDS,
            "offerId": st.sampled_from(["o1", "o2", "o3", "o4"]),
            "outcome": st.sampled_from(["click", "impression"]),
            "ts": INSTANTS,
        }
    ),
    max_size=25,
)
SEGMENTS = st.none() | st.lists(st.sampled_from(["vip", "new", "churn"]), max_size=3)


def interactions_table(interactions: list[dict[str, object]]) -> pa.Table:
    schema = pa.schema(
        [
            ("customerId", pa.string()),
            ("offerId", pa.string()),
            ("outcome", pa.string()),
            ("ts", pa.timestamp("us", tz="UTC")),
        ]
    )
    return pa.Table.from_pylist(interactions, schema=schema)


def customers_table(segments: list[list[str] | None]) -> pa.Table:
    ids = [f"c{number}" for number in range(1, len(segments) + 1)]
    return pa.table({"id": ids, "segments": pa.array(segments, pa.list_(pa.string()))})


@settings(max_examples=10)
@given(interactions=INTERACTIONS, segments=st.lists(SEGMENTS, min_size=1, max_size=5))
def test_same_tree_same_rows_on_spark_and_duckdb(
    spark: SparkBackend, interactions: list[dict[str, object]], segments: list[list[str] | None]
) -> None:
    tables = {"interactions": interactions_table(interactions), "customers": customers_table(segments)}
    duck = duckdb.connect()
    duck.execute("SET TimeZone = 'UTC'")
    for view, table in tables.items():
        duck.register(view, table)
        spark.register_arrow(view, table)
    expected = duck.sql(SHAPES.sql(dialect="duckdb")).to_arrow_table()
    assert rows(spark.fetch(SHAPES)) == rows(expected)


def test_materialize_computes_now_and_serves_later_queries(spark: SparkBackend) -> None:
    spark.register_arrow("numbers", pa.table({"n": [1, 2, 3]}))
    spark.materialize("doubled", sql("SELECT n * 2 AS twice FROM numbers"))
    spark.register_arrow("numbers", pa.table({"n": [10]}))
    assert rows(spark.fetch(sql("SELECT SUM(twice) AS total FROM doubled"))) == [{"total": 12}]
    with pytest.raises(SparkError, match="DIVIDE_BY_ZERO"):
        spark.materialize("broken", sql("SELECT n / (n - 10) AS ratio FROM numbers"))


def test_query_errors_are_one_line(spark: SparkBackend) -> None:
    spark.register_arrow("numbers", pa.table({"n": [1]}))
    with pytest.raises(SparkError) as raised:
        spark.fetch(sql("SELECT missing_column FROM numbers"))
    assert "missing_column" in str(raised.value)
    assert "\n" not in str(raised.value) and "SQLSTATE" not in str(raised.value)


# Outputs --------------------------------------------------------------------------------

DECISIONS = pa.table(
    {
        "customerId": ["c1", "c2", "c3"],
        "rank": [1, 1, 2],
        "blockedBy": [None, 'cap "daily", sms', "consent"],
        "allowed": [True, False, False],
        "eligibleAt": pa.array(
            [None, dt.datetime(2026, 3, 1, 9, 30, 0, 123456, tzinfo=UTC), None], pa.timestamp("us", tz="UTC")
        ),
    }
)
DECISIONS_QUERY = sql("SELECT * FROM decisions ORDER BY customerId")


def test_write_parquet_is_one_file(spark: SparkBackend, tmp_path: Path) -> None:
    spark.register_arrow("decisions", DECISIONS)
    output = tmp_path / "out.parquet"
    spark.write(DECISIONS_QUERY, output)
    assert output.is_file()
    assert rows(pq.read_table(output)) == rows(DECISIONS)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out.parquet"]


def test_write_csv_has_one_header_and_rfc4180_quotes(spark: SparkBackend, tmp_path: Path) -> None:
    spark.register_arrow("decisions", DECISIONS)
    output = tmp_path / "out.csv"
    spark.write(DECISIONS_QUERY, output)
    with output.open(encoding="utf-8", newline="") as file:
        assert list(csv.reader(file)) == [
            ["customerId", "rank", "blockedBy", "allowed", "eligibleAt"],
            ["c1", "1", "", "true", ""],
            ["c2", "1", 'cap "daily", sms', "false", "2026-03-01T09:30:00.123456Z"],
            ["c3", "2", "consent", "false", ""],
        ]


@pytest.mark.parametrize("suffix", [".jsonl", ".ndjson", ".json"])
def test_write_json_lines_keeps_nulls(spark: SparkBackend, tmp_path: Path, suffix: str) -> None:
    spark.register_arrow("decisions", DECISIONS)
    output = tmp_path / f"out{suffix}"
    spark.write(DECISIONS_QUERY, output)
    lines = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert lines == [
        {"customerId": "c1", "rank": 1, "blockedBy": None, "allowed": True, "eligibleAt": None},
        {
            "customerId": "c2",
            "rank": 1,
            "blockedBy": 'cap "daily", sms',
            "allowed": False,
            "eligibleAt": "2026-03-01T09:30:00.123456Z",
        },
        {"customerId": "c3", "rank": 2, "blockedBy": "consent", "allowed": False, "eligibleAt": None},
    ]


def descending_runs(numbers: list[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    for number in numbers:
        if runs and number < runs[-1][-1]:
            runs[-1].append(number)
        else:
            runs.append([number])
    return runs


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".jsonl"])
def test_write_joins_many_parts_in_partition_order(spark: SparkBackend, tmp_path: Path, suffix: str) -> None:
    """Three range partitions, each sorted descending: three parts, joined in partition order."""
    spark.register_arrow("numbers", pa.table({"n": list(range(3000))}))
    spread = spark_sql("SELECT /*+ REPARTITION_BY_RANGE(3, n) */ n FROM numbers SORT BY n DESC")
    output = tmp_path / f"numbers{suffix}"
    spark.write(spread, output)
    runs = descending_runs([n for (n,) in duckdb.connect().execute(f"SELECT n FROM '{output}'").fetchall()])
    assert len(runs) == 3
    assert [(min(run), max(run)) for run in runs] == sorted((min(run), max(run)) for run in runs)
    assert sorted(n for run in runs for n in run) == list(range(3000))


def test_write_with_no_rows_still_writes_the_columns(spark: SparkBackend, tmp_path: Path) -> None:
    spark.register_arrow("decisions", DECISIONS)
    empty = sql("SELECT * FROM decisions WHERE rank > 5")
    spark.write(empty, tmp_path / "none.parquet")
    spark.write(empty, tmp_path / "none.csv")
    assert pq.read_table(tmp_path / "none.parquet").column_names == DECISIONS.column_names
    assert (tmp_path / "none.csv").read_text(
        encoding="utf-8"
    ) == "customerId,rank,blockedBy,allowed,eligibleAt\n"


def test_write_refuses_an_unknown_extension_and_a_missing_directory(
    spark: SparkBackend, tmp_path: Path
) -> None:
    spark.register_arrow("decisions", DECISIONS)
    with pytest.raises(SparkError, match=r"out\.xlsx: write \.parquet, \.csv or JSON lines"):
        spark.write(DECISIONS_QUERY, tmp_path / "out.xlsx")
    with pytest.raises(SparkError, match="its directory does not exist"):
        spark.write(DECISIONS_QUERY, tmp_path / "missing" / "out.csv")
    assert list(tmp_path.iterdir()) == []


# Starting Spark -------------------------------------------------------------------------


def test_without_java_the_error_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BatchInputError) as raised:  # what the command line reports, exit 1
        SparkBackend()
    assert isinstance(raised.value, SparkError)
    assert str(raised.value) == JAVA_HINT
    assert "apt-get install openjdk-17-jre-headless" in JAVA_HINT


def test_spark_says_nothing_on_the_terminal_and_fails_in_one_line(tmp_path: Path) -> None:
    """A real process: a bad master, then a failing query; only our one-line messages appear.

    Then `close` leaves nothing behind in the temporary directory (logs, checkpoints).
    """
    script = textwrap.dedent("""
        import os
        import sqlglot
        from cpol.batch.spark import SparkBackend, SparkError
        try:
            SparkBackend(master="nonsense://nowhere")
        except SparkError as error:
            print(error)
        backend = SparkBackend(master="local[1]")
        try:
            backend.fetch(sqlglot.parse_one("SELECT 1 / 0"))
        except SparkError as error:
            print(error)
        print(backend.fetch(sqlglot.parse_one("SELECT 41 + 1 AS answer")).to_pylist())
        print(os.listdir(os.environ["TMPDIR"]))
        backend.close()
        print(os.listdir(os.environ["TMPDIR"]))
    """)
    work, temporary = tmp_path / "work", tmp_path / "tmp"
    work.mkdir()
    temporary.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=work,
        env=os.environ | {"TMPDIR": str(temporary)},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert (done.returncode, done.stderr) == (0, "")
    bad_master, division, answer, while_open, after_close = done.stdout.splitlines()
    assert bad_master.startswith("Spark could not start: ")
    assert "nonsense://nowhere" in bad_master or "Master must" in bad_master
    assert "Exception" not in bad_master
    assert division.startswith("[DIVIDE_BY_ZERO] Division by zero.")
    assert answer == "[{'answer': 42}]"
    assert while_open.startswith("['cpol-spark-")
    assert after_close == "[]"
    assert list(work.iterdir()) == []
