"""The three inputs of SPEC §6.1 read into one canonical shape, whatever their spelling.

Files name their columns in camelCase or snake_case (`offerId`, `offer_id`), `customers.id`
may be `customerId`, consent is a map or one `consent_<channelType>` column per channel.
`Inputs.resolve` matches the columns once; the `*_query` functions are the canonical views
(§2 field names, instants as epoch seconds) that the lowering reads, for either engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlglot import exp

from cpol.batch.backend import BatchInputError, ColumnKind
from cpol.batch.dialects import EpochSeconds, JsonText, NumbersByName, double

#: The §2 interaction fields besides customerId, timestamp and outcome.
INTERACTION_FIELDS = (
    "id",
    "offerId",
    "channelId",
    "creativeId",
    "categoryId",
    "subCategoryId",
    "offerCategory",
    "campaignId",
)
#: The §2 candidate fields besides customerId, rank and isMandatory.
CANDIDATE_FIELDS = (
    "offerId",
    "channelId",
    "channelType",
    "creativeId",
    "categoryId",
    "subCategoryId",
    "offerCategory",
)
CUSTOMER_FIELDS = ("timezone", "segments", "dnc", "consent", "metrics")
#: The optional inputs: suppression records (a customer's, SPEC §2 `suppressions`) and
#: budgets (by offer or creative id; per customer when they have a customerId column).
SUPPRESSION_FIELDS = ("scopeId", "expiresAt", "isActive", "id")
BUDGET_FIELDS = ("customerId", "impressions", "spend", "daily_spend")
CONSENT_PREFIX = "consent_"
#: What each canonical column must be, when the file has it.
EXPECTED: dict[str, tuple[ColumnKind, ...]] = {
    "timestamp": ("timestamp", "string", "number"),
    "expiresAt": ("timestamp", "string", "number"),
    "isActive": ("boolean",),
    "impressions": ("number",),
    "spend": ("number",),
    "daily_spend": ("number",),
    "rank": ("number",),
    "isMandatory": ("boolean",),
    # text: JSON in a CSV cell (`["vip"]`, `{"sms": "opted_out"}`, `{"risk": 0.2}`)
    "segments": ("list", "string"),
    "dnc": ("list", "string"),
    "consent": ("map", "string"),
    "metrics": ("map", "struct", "string"),
}


def _spelling(name: str) -> str:
    """What camelCase and snake_case spellings of one name have in common."""
    return name.replace("_", "").lower()


@dataclass(frozen=True)
class Table:
    """One input file and its columns: canonical name -> (column in the file, kind)."""

    view: str
    source: Path
    columns: Mapping[str, tuple[str, ColumnKind]]

    def column(self, name: str) -> exp.Expr:
        """The file's column for a canonical name, or NULL when the file has none."""
        found = self.columns.get(name)
        return exp.column(found[0], quoted=True) if found else exp.Null()

    def has(self, name: str) -> bool:
        return name in self.columns


def resolve(
    view: str,
    source: Path,
    found: Mapping[str, ColumnKind],
    required: tuple[str, ...],
    optional: tuple[str, ...],
    aliases: Mapping[str, str] | None = None,
) -> Table:
    """Match a file's columns to the canonical names; a missing required column, two
    spellings of one name or a column of the wrong kind is a `BatchInputError`."""
    by_spelling: dict[str, str] = {_spelling(name): name for name in (*required, *optional)}
    for alias, meaning in (aliases or {}).items():
        by_spelling[_spelling(alias)] = meaning
    columns: dict[str, tuple[str, ColumnKind]] = {}
    for actual, kind in found.items():
        matched = by_spelling.get(_spelling(actual))
        if matched is None:
            continue
        name = matched
        if name in columns:
            raise BatchInputError(f"{source}: columns {columns[name][0]!r} and {actual!r} both mean {name}")
        expected = EXPECTED.get(name)
        if expected is not None and kind not in expected:
            raise BatchInputError(
                f"{source}: column {actual!r} ({name}) is a {kind}; expected a {' or '.join(expected)}"
            )
        columns[name] = (actual, kind)
    missing = [name for name in required if name not in columns]
    if missing:
        raise BatchInputError(
            f"{source}: no column {' / '.join(missing)} (have: {', '.join(found) or 'none'})"
        )
    return Table(view, source, columns)


Found = tuple[Path, Mapping[str, ColumnKind]]


@dataclass(frozen=True)
class Inputs:
    """The resolved inputs, and the consent columns (`consent_<channelType>`)."""

    interactions: Table
    customers: Table
    candidates: Table
    consent_columns: Mapping[str, str]
    suppressions: Table | None = None
    budgets: Table | None = None

    @classmethod
    def resolve(
        cls,
        interactions: Found,
        customers: Found,
        candidates: Found,
        suppressions: Found | None = None,
        budgets: Found | None = None,
    ) -> Inputs:
        customer_table = resolve(
            "raw_customers", customers[0], customers[1], ("id",), CUSTOMER_FIELDS, {"customerId": "id"}
        )
        consent = {
            name[len(CONSENT_PREFIX) :]: name
            for name in customers[1]
            if name.lower().startswith(CONSENT_PREFIX) and len(name) > len(CONSENT_PREFIX)
        }
        if consent and customer_table.has("consent"):
            raise BatchInputError(f"{customers[0]}: give consent as a map or as consent_* columns, not both")
        return cls(
            resolve(
                "raw_interactions",
                interactions[0],
                interactions[1],
                ("customerId", "timestamp", "outcome"),
                INTERACTION_FIELDS,
            ),
            customer_table,
            resolve(
                "raw_candidates",
                candidates[0],
                candidates[1],
                ("customerId", "rank", "offerId"),
                (*CANDIDATE_FIELDS, "isMandatory"),
            ),
            consent,
            None
            if suppressions is None
            else resolve("raw_suppressions", *suppressions, ("customerId", "scope"), SUPPRESSION_FIELDS),
            None if budgets is None else resolve("raw_budgets", *budgets, ("id",), BUDGET_FIELDS),
        )


def _text(table: Table, name: str) -> exp.Expr:
    """A column as text (ids may be numbers in a CSV file), named canonically."""
    return exp.alias_(exp.cast(table.column(name), exp.DataType.build("VARCHAR")), name, quoted=True)


def instant(table: Table, name: str = "timestamp") -> exp.Expr:
    """An instant column in epoch seconds (a number column already is one; none: NULL)."""
    column = table.column(name)
    if name not in table.columns or table.columns[name][1] == "number":
        return exp.cast(column, exp.DataType.build("DOUBLE"))
    return EpochSeconds(this=column)


def interactions_query(
    table: Table, now: float, outcomes: frozenset[str], since: float | None = None
) -> exp.Select:
    """The interactions some policy reads, up to `now` (the future is ignored everywhere),
    and after `since` when no policy looks further back."""
    at = instant(table)
    outcome = exp.cast(table.column("outcome"), exp.DataType.build("VARCHAR"))
    wanted: exp.Expr = exp.In(this=outcome, expressions=[exp.Literal.string(o) for o in sorted(outcomes)])
    if not outcomes:  # no policy counts anything (`IN ()` is no SQL)
        wanted = exp.false()
    fields = [_text(table, name) for name in ("customerId", "outcome", *INTERACTION_FIELDS[1:])]
    window = [] if since is None else [exp.GT(this=at.copy(), expression=double(since))]
    bounds = [*_scan_bounds(table, now, since), exp.LTE(this=at.copy(), expression=double(now)), *window]
    selected = exp.select(*fields, exp.alias_(at, "at", quoted=True)).from_(table.view)
    return selected.where(exp.and_(*bounds, wanted))


def _scan_bounds(table: Table, now: float, since: float | None) -> list[exp.Expr]:
    """The same bounds on a timestamp column as it is stored, a second wider each side: the
    reader can skip what they exclude while scanning (no engine looks through the
    conversion to epoch seconds); the exact bounds on `at` still decide."""
    if table.columns.get("timestamp", ("", "other"))[1] != "timestamp":
        return []
    stored = exp.cast(table.column("timestamp"), exp.DataType.build("TIMESTAMPTZ"))
    bounds = [(exp.LTE, now + 1), (exp.GT, None if since is None else since - 1)]
    return [
        kind(this=stored.copy(), expression=exp.cast(exp.Literal.string(text), stored.to.copy()))
        for kind, seconds in bounds
        if (text := _iso(seconds)) is not None
    ]


def _iso(seconds: float | None) -> str | None:
    """An instant as ISO text, None when there is none or a calendar cannot write it."""
    if seconds is None:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        return None


def _shaped(table: Table, name: str, json: str) -> exp.Expr:
    """A list or map column as one: JSON text read as `json` (list, map, numbers); the
    metrics as a map, whether the file has a map or a struct (a struct's fields are its
    metrics; a metric it lacks is missing, as in a map)."""
    column = table.column(name)
    kind = table.columns[name][1] if table.has(name) else None
    if kind == "string":
        return JsonText(this=column, kind=exp.Literal.string(json))
    if kind == "struct":
        return NumbersByName(this=column)
    return column


def customers_query(table: Table, consent_columns: Mapping[str, str]) -> exp.Select:
    """One row per customer: id, timezone, segments, dnc, consent (a map, or the consent_*
    columns as they are) and metrics."""
    columns = [
        _text(table, "id"),
        _text(table, "timezone"),
        *(exp.alias_(_shaped(table, name, "list"), name, quoted=True) for name in ("segments", "dnc")),
        exp.alias_(_shaped(table, "metrics", "numbers"), "metrics", quoted=True),
    ]
    if table.has("consent"):
        columns.append(exp.alias_(_shaped(table, "consent", "map"), "consent", quoted=True))
    columns += [
        exp.alias_(exp.column(column, quoted=True), f"{CONSENT_PREFIX}{kind}", quoted=True)
        for kind, column in consent_columns.items()
    ]
    return exp.select(*columns).from_(table.view)


def candidates_query(table: Table) -> exp.Select:
    """The candidate rows with §2 names; isMandatory defaults to false."""
    mandatory = exp.func("COALESCE", table.column("isMandatory"), exp.false())
    return exp.select(
        _text(table, "customerId"),
        exp.alias_(table.column("rank"), "rank", quoted=True),
        *(_text(table, name) for name in CANDIDATE_FIELDS),
        exp.alias_(mandatory, "isMandatory", quoted=True),
    ).from_(table.view)


def suppressions_query(table: Table, now: float, known_scopes: tuple[str, ...]) -> exp.Select:
    """The suppression records active at `now` (SPEC §2.1: `isActive` not false, no
    `expiresAt` or one after now, a scope the engine knows; a null scope is global), with
    `scopeId` '' for global ones, `expires` in epoch seconds and `name` as a trace says it."""
    scope = exp.func(
        "COALESCE",
        exp.cast(table.column("scope"), exp.DataType.build("VARCHAR")),
        exp.Literal.string("global"),
    )
    expires = instant(table, "expiresAt")
    record = exp.cast(table.column("id"), exp.DataType.build("VARCHAR"))
    name = exp.Case(
        ifs=[exp.If(this=exp.Is(this=record, expression=exp.Null()), true=exp.Literal.string("suppression"))],
        default=exp.func("CONCAT", exp.Literal.string("suppression "), record.copy()),
    )
    global_scope = exp.EQ(this=scope.copy(), expression=exp.Literal.string("global"))
    scope_id = exp.Case(
        ifs=[exp.If(this=global_scope, true=exp.Literal.string(""))],
        default=exp.cast(table.column("scopeId"), exp.DataType.build("VARCHAR")),
    )
    active = [
        exp.func("COALESCE", table.column("isActive"), exp.true()),
        exp.In(this=scope.copy(), expressions=[exp.Literal.string(k) for k in known_scopes]),
        exp.or_(
            exp.Is(this=expires, expression=exp.Null()), exp.GT(this=expires.copy(), expression=double(now))
        ),
    ]
    return (
        exp.select(
            _text(table, "customerId"),
            exp.alias_(scope, "scope", quoted=True),
            exp.alias_(scope_id, "scopeId", quoted=True),
            exp.alias_(expires.copy(), "expires", quoted=True),
            exp.alias_(name, "name", quoted=True),
        )
        .from_(table.view)
        .where(exp.and_(*active))
    )


def budgets_query(table: Table) -> exp.Select:
    """The budgets by id (and customerId when given), figures as DOUBLE."""
    figures = [
        exp.alias_(exp.cast(table.column(n), exp.DataType.build("DOUBLE")), n, quoted=True)
        for n in ("impressions", "spend", "daily_spend")
    ]
    return exp.select(_text(table, "id"), _text(table, "customerId"), *figures).from_(table.view)
