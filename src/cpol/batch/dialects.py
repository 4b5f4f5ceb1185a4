"""The few SQL functions DuckDB and Spark spell differently, as sqlglot expressions.

The plan is one sqlglot tree; most of it transpiles as it is. These nodes name what sqlglot
does not translate faithfully (an epoch in microseconds, the n-th latest value of a group,
list overlap, a map lookup that tolerates a missing key, the §2 instant format), and the
two dialects below render each the way their engine spells it.
"""

from __future__ import annotations

from typing import ClassVar

from sqlglot import exp
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.dialects.spark import Spark
from sqlglot.generator import Generator
from sqlglot.generators.duckdb import DuckDBGenerator
from sqlglot.generators.spark import SparkGenerator


class EpochSeconds(exp.Expression, exp.Func):
    """Seconds since 1970 as a DOUBLE with microseconds, from a timestamp (or ISO text)."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True}


class NthLatest(exp.Expression, exp.AggFunc):
    """The n-th latest value of a group among the rows passing `condition` (NULL if fewer)."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "n": True, "condition": True}


class ListHasAny(exp.Expression, exp.Func):
    """TRUE when two lists share an element (NULL lists share nothing)."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "expression": True}


class ListSize(exp.Expression, exp.Func):
    """The number of elements of a list, 0 for NULL."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True}


class MapValue(exp.Expression, exp.Func):
    """The value of a map at a key, NULL when the key is missing."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "expression": True}


class NumbersByName(exp.Expression, exp.Func):
    """A struct as a map of its fields to numbers (a field that is no number: NULL)."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True}


class JsonText(exp.Expression, exp.Func):
    """JSON text (a CSV cell) read as a list of text (`kind` "list"), a map of text ("map")
    or a map of numbers ("numbers"); NULL stays NULL."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "kind": True}


#: How each engine reads JSON text of each kind.
_JSON_DUCKDB = {"list": '["VARCHAR"]', "map": '"MAP(VARCHAR, VARCHAR)"', "numbers": '"MAP(VARCHAR, DOUBLE)"'}
_JSON_SPARK = {"list": "array<string>", "map": "map<string,string>", "numbers": "map<string,string>"}


def _json_text(generator: Generator, e: exp.Expr, spellings: dict[str, str], template: str) -> str:
    return template.format(generator.sql(e.this), spellings[e.text("kind")])


class IsoInstant(exp.Expression, exp.Func):
    """Whole epoch seconds as `2026-03-23T09:12:00Z` (SPEC §2's eligibleAt)."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True}


class NonNullList(exp.Expression, exp.Func):
    """The non-NULL values of `expressions`, in order, as a list."""

    arg_types: ClassVar[dict[str, bool]] = {"expressions": True}
    is_var_len_args = True


class RowHash(exp.Expression, exp.Func):
    """A 64-bit hash of some values: equal values hash alike (distinct ones rarely do)."""

    arg_types: ClassVar[dict[str, bool]] = {"expressions": True}
    is_var_len_args = True


def _sql(generator: Generator, template: str, *parts: exp.Expr | None) -> str:
    return template.format(*(generator.sql(part) for part in parts))


class CpolDuckDB(DuckDB):
    """DuckDB, with the functions above."""

    class Generator(DuckDBGenerator):
        TRANSFORMS = {  # noqa: RUF012 (sqlglot's own pattern)
            **DuckDBGenerator.TRANSFORMS,
            EpochSeconds: lambda g, e: _sql(g, "(EPOCH_US(CAST({} AS TIMESTAMPTZ)) / 1000000.0)", e.this),
            NthLatest: lambda g, e: _sql(
                g,
                "LIST_EXTRACT(MAX({}, {}) FILTER (WHERE {}), {})",
                e.this,
                e.args["n"],
                e.args["condition"],
                e.args["n"],
            ),
            ListHasAny: lambda g, e: _sql(g, "COALESCE(LIST_HAS_ANY({}, {}), FALSE)", e.this, e.expression),
            ListSize: lambda g, e: _sql(g, "COALESCE(LEN({}), 0)", e.this),
            MapValue: lambda g, e: _sql(g, "{}[{}]", e.this, e.expression),
            NumbersByName: lambda g, e: _sql(
                g, "JSON_TRANSFORM(TO_JSON({}), '\"MAP(VARCHAR, DOUBLE)\"')", e.this
            ),
            JsonText: lambda g, e: _json_text(g, e, _JSON_DUCKDB, "JSON_TRANSFORM({}, '{}')"),
            IsoInstant: lambda g, e: _sql(
                g, "STRFTIME(MAKE_TIMESTAMP(CAST({} * 1000000 AS BIGINT)), '%Y-%m-%dT%H:%M:%SZ')", e.this
            ),
            NonNullList: lambda g, e: "LIST_FILTER([{}], lambda x: x IS NOT NULL)".format(
                ", ".join(g.sql(part) for part in e.expressions)
            ),
            RowHash: lambda g, e: "HASH({})".format(", ".join(g.sql(part) for part in e.expressions)),
        }


class CpolSpark(Spark):
    """Spark SQL, with the functions above (ANSI mode: lookups must not raise)."""

    class Generator(SparkGenerator):
        TRANSFORMS = {  # noqa: RUF012 (sqlglot's own pattern)
            **SparkGenerator.TRANSFORMS,
            EpochSeconds: lambda g, e: _sql(g, "(UNIX_MICROS(CAST({} AS TIMESTAMP)) / 1000000.0D)", e.this),
            NthLatest: lambda g, e: _sql(
                g,
                "TRY_ELEMENT_AT(SORT_ARRAY(COLLECT_LIST({}) FILTER (WHERE {}), FALSE), {})",
                e.this,
                e.args["condition"],
                e.args["n"],
            ),
            ListHasAny: lambda g, e: _sql(g, "COALESCE(ARRAYS_OVERLAP({}, {}), FALSE)", e.this, e.expression),
            ListSize: lambda g, e: _sql(g, "COALESCE(SIZE({}), 0)", e.this),
            MapValue: lambda g, e: _sql(g, "TRY_ELEMENT_AT({}, {})", e.this, e.expression),
            # a field that fails to parse as a double would null the whole map: read text,
            # which the metric's TRY_CAST turns into a number or NULL
            NumbersByName: lambda g, e: _sql(g, "FROM_JSON(TO_JSON({}), 'map<string,string>')", e.this),
            JsonText: lambda g, e: _json_text(g, e, _JSON_SPARK, "FROM_JSON({}, '{}')"),
            IsoInstant: lambda g, e: _sql(
                g, "DATE_FORMAT(TIMESTAMP_SECONDS(CAST({} AS BIGINT)), \"yyyy-MM-dd'T'HH:mm:ss'Z'\")", e.this
            ),
            NonNullList: lambda g, e: "FILTER(ARRAY({}), x -> x IS NOT NULL)".format(
                ", ".join(g.sql(part) for part in e.expressions)
            ),
            RowHash: lambda g, e: "XXHASH64({})".format(", ".join(g.sql(part) for part in e.expressions)),
        }


#: The sqlglot dialect each backend renders the plan in.
DIALECTS: dict[str, type[DuckDB] | type[Spark]] = {"duckdb": CpolDuckDB, "spark": CpolSpark}


def render(tree: exp.Expr, dialect: str) -> str:
    """The plan as SQL text for one engine."""
    return tree.sql(dialect=DIALECTS[dialect])


def double(value: float) -> exp.Expr:
    """A DOUBLE constant, exact: both engines parse the shortest round-trip text correctly
    rounded, where a bare decimal literal would be a DECIMAL in DuckDB."""
    return exp.cast(exp.Literal.string(repr(float(value))), exp.DataType.build("DOUBLE"))
