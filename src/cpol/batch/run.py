"""`cpol.batch.decide`: read the inputs, check them, lower the policies, run, write.

With a mutual-exclusion policy the run takes two steps: the plan's rows are kept in the
engine (`materialize`), the pass of `mutual.py` settles the few customers it concerns, and
the output joins its corrections back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import overload

import pyarrow as pa
from sqlglot import exp

from cpol.batch.backend import Backend, BatchError, BatchInputError, ColumnKind
from cpol.batch.dialects import RowHash
from cpol.batch.inputs import Inputs, Table, budgets_query, candidates_query, customers_query
from cpol.batch.lowering import Plan, lower, negate
from cpol.batch.mutual import position_ids, settle
from cpol.plan import Policy
from cpol.runtime.clock import parse_instant

OUTPUT_COLUMNS = (
    "customerId",
    "rank",
    "offerId",
    "channelId",
    "allowed",
    "blockedBy",
    "blockedByName",
    "eligibleAt",
)
DECIDED = "cpol_decided"
CORRECTIONS = "cpol_corrections"


def open_backend(
    engine: str, threads: int | None, master: str | None, progress: bool, memory_limit: str | None = None
) -> Backend:
    """The engine by name; Spark's module loads only when asked for (`cpol[spark]`)."""
    if engine == "duckdb":
        from cpol.batch.duckdb import DuckDBBackend

        return DuckDBBackend(threads=threads, progress=progress, memory_limit=memory_limit)
    if engine == "spark":
        from cpol.batch.spark import SparkBackend

        if memory_limit is not None:  # Spark spills by itself; its memory is its own settings'
            raise BatchError("--memory-limit is DuckDB's: Spark's memory is set by its own configuration")
        return SparkBackend(master=master or "local[*]", threads=threads)
    raise BatchInputError(f"unknown engine {engine!r}: use duckdb or spark")


def instant(now: str | datetime) -> float:
    """`now` as epoch seconds, read as the online engine reads it."""
    if isinstance(now, datetime):
        return now.timestamp()
    try:
        return parse_instant(now).timestamp()
    except ValueError:
        raise BatchInputError(
            f"--now {now!r} is not an ISO 8601 instant (e.g. 2026-03-20T14:00:00Z)"
        ) from None


def read_inputs(
    backend: Backend,
    interactions: Path,
    customers: Path,
    candidates: Path,
    suppressions: Path | None = None,
    budgets: Path | None = None,
) -> Inputs:
    """Register the files and match their columns."""

    def found(view: str, path: Path | None) -> tuple[Path, dict[str, ColumnKind]] | None:
        return None if path is None else (path, backend.register(view, path))

    return Inputs.resolve(
        (interactions, backend.register("raw_interactions", interactions)),
        (customers, backend.register("raw_customers", customers)),
        (candidates, backend.register("raw_candidates", candidates)),
        found("raw_suppressions", suppressions),
        found("raw_budgets", budgets),
    )


def _column(name: str, table: str | None = None) -> exp.Column:
    return exp.column(name, table=table, quoted=True)


def _repeated(backend: Backend, query: exp.Select, keys: Sequence[str]) -> list[object] | None:
    """The first key that appears twice in `query`'s rows, if any."""
    columns = [_column(k) for k in keys]
    repeated = (
        exp.select(*columns)
        .from_(query.subquery("q"))
        .group_by(*columns)
        .having(exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1)))
        .limit(1)
    )
    rows = backend.fetch(repeated).to_pylist()
    return list(rows[0].values()) if rows else None


def _repeated_key(
    backend: Backend, table: Table, query: exp.Select, key: Sequence[str], required: Sequence[str] = ()
) -> list[object] | None:
    """A `required` value left empty is an error naming its column; returns the first `key`
    two rows share, if any. One scan answers both when no key repeats: equal keys hash
    alike, so a repeat never passes unseen, and the exact search runs only when two hashes
    meet (a repeat, or rarely two distinct keys)."""
    empty = [
        exp.alias_(
            exp.Filter(
                this=exp.Count(this=exp.Star()),
                expression=exp.Where(this=exp.Is(this=_column(name), expression=exp.Null())),
            ),
            name,
            quoted=True,
        )
        for name in required
    ]
    hashes = exp.Count(this=exp.Distinct(expressions=[RowHash(expressions=[_column(n) for n in key])]))
    repeats = exp.Sub(this=exp.Count(this=exp.Star()), expression=hashes)
    selected = exp.select(*empty, exp.alias_(repeats, "_repeats", quoted=True)).from_(query.subquery("q"))
    counts = backend.fetch(selected).to_pylist()[0]
    for name in required:
        if counts[name]:
            raise BatchInputError(f"{table.source}: {counts[name]} row(s) without {table.columns[name][0]}")
    return _repeated(backend, query, key) if counts["_repeats"] else None


def check_inputs(backend: Backend, inputs: Inputs) -> None:
    """What the online engine would refuse: a candidate without customer, rank or offer, two
    candidates of one customer at one rank, a customer given twice."""
    candidates = candidates_query(inputs.candidates)
    required = ("customerId", "rank", "offerId")
    twice = _repeated_key(backend, inputs.candidates, candidates, ("customerId", "rank"), required)
    if twice is not None:
        raise BatchInputError(
            f"{inputs.candidates.source}: customer {twice[0]} has two candidates at rank {twice[1]}"
        )
    people = customers_query(inputs.customers, inputs.consent_columns)
    twice = _repeated_key(backend, inputs.customers, people, ("id",))
    if twice is not None:
        raise BatchInputError(f"{inputs.customers.source}: customer {twice[0]} appears twice")
    if inputs.budgets is not None:
        twice = _repeated_key(backend, inputs.budgets, budgets_query(inputs.budgets), ("id", "customerId"))
        if twice is not None:
            whose = f" of customer {twice[1]}" if twice[1] is not None else ""
            raise BatchInputError(f"{inputs.budgets.source}: budget {twice[0]}{whose} appears twice")


def customer_zones(backend: Backend, inputs: Inputs) -> list[str | None]:
    """The distinct time zones of the population (the time windows are decided per zone)."""
    if not inputs.customers.has("timezone"):
        return [None]
    query = customers_query(inputs.customers, inputs.consent_columns).subquery("q")
    zones = backend.fetch(exp.select(_column("timezone")).distinct().from_(query))
    return [value.as_py() for value in zones.column(0)]


def _ordered(query: exp.Select) -> exp.Select:
    return query.order_by(_column("customerId"), _column("rank"), copy=False)


def staged(backend: Backend, rows: exp.Select) -> exp.Select:
    """The rows query with each of its stages (the canonical inputs, each aggregate) kept
    as a table first: every statement then holds one operator's data and can spill it, so a
    population larger than memory is decided within the engine's limit (about 40% slower
    than one query, which holds every join's table at once)."""
    for stage in rows.args["with_"].expressions:
        backend.materialize(stage.alias, stage.this)
    body = rows.copy()
    body.set("with_", None)
    return body


def decision_query(backend: Backend, plan: Plan, explain: bool, stages: bool = False) -> exp.Select:
    """The output rows; with mutual exclusion, after its pass has settled the rows it
    touches; with `stages`, computed stage by stage (`staged`), the decisions kept as a
    table before they are sorted."""
    rows = staged(backend, plan.rows) if stages else plan.rows
    decisions = plan.decisions(rows.subquery("r", copy=False), explain)
    if not plan.exclusive and not stages:
        return _ordered(decisions)
    backend.materialize(DECIDED, decisions)
    if not plan.exclusive:
        return _ordered(exp.select(*(_column(n) for n in _output_columns(explain))).from_(DECIDED))
    touched = exp.select(
        *(_column(n) for n in ("customerId", "rank", "offerId", "blockedBy", "blockedByName", "_positions")),
        *(_column(s.exclusive) for s in plan.exclusive),
    )
    found = backend.fetch(_ordered(touched.from_(DECIDED).where(_column("affected"))))
    backend.register_arrow(CORRECTIONS, settle(found, plan.exclusive, position_ids(plan.steps)))
    return _ordered(_corrected(explain))


def _output_columns(explain: bool) -> tuple[str, ...]:
    return (*OUTPUT_COLUMNS, "blockedByAll") if explain else OUTPUT_COLUMNS


def _corrected(explain: bool) -> exp.Select:
    """The materialized decisions with the pass's corrections joined in."""
    corrected = negate(exp.Is(this=_column("customerId", "x"), expression=exp.Null()))

    def pick(name: str, fixed: exp.Expr) -> exp.Expr:
        return exp.alias_(
            exp.Case(ifs=[exp.If(this=corrected, true=fixed)], default=_column(name, "d")), name, quoted=True
        )

    columns = [
        *(_column(n, "d") for n in ("customerId", "rank", "offerId", "channelId")),
        pick("allowed", exp.false()),
        pick("blockedBy", _column("blockedBy", "x")),
        pick("blockedByName", _column("blockedByName", "x")),
        pick("eligibleAt", exp.cast(exp.Null(), exp.DataType.build("VARCHAR"))),
    ]
    if explain:
        columns.append(pick("blockedByAll", _column("blockedByAll", "x")))
    on = exp.and_(*(exp.EQ(this=_column(n, "d"), expression=_column(n, "x")) for n in ("customerId", "rank")))
    return (
        exp.select(*columns)
        .from_(exp.alias_(exp.to_table(DECIDED), "d"))
        .join(exp.alias_(exp.to_table(CORRECTIONS), "x"), on=on, join_type="left")
    )


def _listed_as_json(query: exp.Select) -> exp.Select:
    """CSV has no lists: blockedByAll as a JSON array (`["cp_1", "consent"]`), which names
    with commas or brackets cannot make ambiguous."""
    columns = [_column(name) for name in OUTPUT_COLUMNS]
    listed = exp.alias_(exp.JSONFormat(this=_column("blockedByAll")), "blockedByAll", quoted=True)
    return _ordered(exp.select(*columns, listed).from_(query.subquery("decided")))


@overload
def decide(
    policies: Sequence[Policy],
    *,
    interactions: str | Path,
    customers: str | Path,
    candidates: str | Path,
    now: str | datetime,
    suppressions: str | Path | None = None,
    budgets: str | Path | None = None,
    output: None = None,
    engine: str | Backend = "duckdb",
    threads: int | None = None,
    explain: bool = False,
    master: str | None = None,
    progress: bool = False,
    memory_limit: str | None = None,
) -> pa.Table: ...
@overload
def decide(
    policies: Sequence[Policy],
    *,
    interactions: str | Path,
    customers: str | Path,
    candidates: str | Path,
    now: str | datetime,
    suppressions: str | Path | None = None,
    budgets: str | Path | None = None,
    output: str | Path,
    engine: str | Backend = "duckdb",
    threads: int | None = None,
    explain: bool = False,
    master: str | None = None,
    progress: bool = False,
    memory_limit: str | None = None,
) -> Path: ...
def decide(
    policies: Sequence[Policy],
    *,
    interactions: str | Path,
    customers: str | Path,
    candidates: str | Path,
    now: str | datetime,
    suppressions: str | Path | None = None,
    budgets: str | Path | None = None,
    output: str | Path | None = None,
    engine: str | Backend = "duckdb",
    threads: int | None = None,
    explain: bool = False,
    master: str | None = None,
    progress: bool = False,
    memory_limit: str | None = None,
) -> pa.Table | Path:
    """Decide every candidate row of a population (SPEC §6.1).

    `memory_limit` (DuckDB: "4GB") bounds the engine's memory and decides stage by stage,
    spilling to disk. `engine` is "duckdb", "spark", or a `Backend` already open (left open: a test or a
    service deciding many populations starts Spark once). Returns the output path, or
    without one an Arrow table: customerId, rank, offerId,
    channelId, allowed, blockedBy, blockedByName, eligibleAt (and blockedByAll with
    `explain`). Raises `BatchInputError` for an input it cannot read."""
    moment = instant(now)
    backend = (
        open_backend(engine, threads, master, progress, memory_limit) if isinstance(engine, str) else engine
    )
    try:
        inputs = read_inputs(
            backend,
            Path(interactions),
            Path(customers),
            Path(candidates),
            None if suppressions is None else Path(suppressions),
            None if budgets is None else Path(budgets),
        )
        check_inputs(backend, inputs)
        plan = lower(policies, moment, inputs, customer_zones(backend, inputs))
        query = decision_query(backend, plan, explain, stages=memory_limit is not None)
        if output is None:
            return backend.fetch(query)
        if explain and Path(output).suffix.lower() == ".csv":
            query = _listed_as_json(query)
        backend.write(query, Path(output))
        return Path(output)
    finally:
        if isinstance(engine, str):  # a backend handed in stays open for its owner
            backend.close()
