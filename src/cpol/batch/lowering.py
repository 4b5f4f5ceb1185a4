"""A policy set lowered to one SQL plan over a whole population (SPEC §6.1).

Each candidate row meets every active policy in evaluation order, as `cpol eval` does; the
plan computes for each policy whether it blocks the row (`b<n>`) and when that block lifts
(`e<n>`; past the last instant a calendar can write: never by time), then `allowed`, the
first blocking policy and `eligibleAt`.

What the policies count comes from per-customer aggregates shared between policies: one
GROUP BY over the interactions per *key* (the fields a count is narrowed to: none for
customer-wide caps, the channel for a channel-scoped cap, offer and channel for a channel
cap counted per offer…), each with every measure the policies need (`FILTER` aggregates).
Candidates join each aggregate once on (customerId, key).

Time windows depend only on `now` and a zone, so they are decided here, in Python, once
per time zone of the population, by the online engine's own functions, and joined to the
customers as a small table. Mutual exclusion depends on the final decisions of the earlier
candidates of the same customer, which no set-based query expresses: the plan marks the
rows it may touch (`m<n>`) and `mutual.py` settles them in a second pass.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from cpol.batch.dialects import IsoInstant, ListHasAny, ListSize, MapValue, NonNullList, NthLatest, double
from cpol.batch.inputs import (
    CONSENT_PREFIX,
    Inputs,
    Table,
    budgets_query,
    candidates_query,
    customers_query,
    interactions_query,
    suppressions_query,
)
from cpol.plan import Policy, ScopeRef
from cpol.runtime.clock import DAY, HOUR, LAST_INSTANT, UTC_ZONE, zone
from cpol.runtime.engine import MANDATORY_RULES, evaluation_order
from cpol.runtime.history import IMPRESSION, SCOPE_FIELDS
from cpol.runtime.rules import (
    FREQUENCY_PERIODS,
    PERIODS,
    RECENCY_MARGIN,
    configured_outcomes,
    is_open,
    local_clock,
    next_opening,
    outcome_days,
    outcomes_read,
)

FALSE = exp.false()
TRUE = exp.true()


def _quoted(name: str, table: str | None = None) -> exp.Column:
    return exp.column(name, table=table, quoted=True)


def candidate(name: str) -> exp.Column:
    return _quoted(name, "k")


def customer(name: str) -> exp.Column:
    return _quoted(name, "c")


def _text(value: str) -> exp.Literal:
    return exp.Literal.string(value)


def _is(value: exp.Expr) -> exp.Expr:
    """A condition that is FALSE where SQL would say NULL (a missing value never blocks)."""
    return exp.func("COALESCE", value, FALSE)


def negate(condition: exp.Expr) -> exp.Expr:
    """NOT, around the whole condition (a built tree has no precedence of its own)."""
    return exp.Not(this=exp.Paren(this=condition))


def _any(conditions: Sequence[exp.Expr]) -> exp.Expr:
    return exp.or_(*conditions) if conditions else FALSE


def _all(conditions: Sequence[exp.Expr]) -> exp.Expr:
    return exp.and_(*conditions) if conditions else TRUE


def _one_of(column: exp.Expr, values: Sequence[str]) -> exp.Expr:
    if not values:
        return FALSE
    if len(values) == 1:
        return exp.EQ(this=column, expression=_text(values[0]))
    return exp.In(this=column, expressions=[_text(v) for v in values])


def _greatest(values: Sequence[exp.Expr]) -> exp.Expr:
    return values[0] if len(values) == 1 else exp.func("GREATEST", *values)


def policy_key(policy: Policy) -> str:
    """What a row names a policy by: its id, or its name when it has none (a `.cpol` file's)."""
    return policy.id if policy.id is not None else policy.name


@dataclass
class Test:
    """One way a policy can block a row: a matched scope, or one cap of several."""

    applies: exp.Expr
    blocks: exp.Expr
    #: Epoch seconds at which the block lifts; None: time alone never lifts it.
    lifts: exp.Expr | None


@dataclass
class Aggregates:
    """The per-customer aggregates, one GROUP BY per key, each measure computed once.

    Every measure counts the rows passing its condition (`FILTER`); a group reads only the
    rows some of its measures count (`WHERE` their union), so a two-day category rest does
    not group thirty days of history."""

    groups: dict[tuple[str, ...], dict[str, tuple[str, exp.Expr]]] = field(default_factory=dict)
    conditions: dict[tuple[str, ...], dict[str, exp.Expr]] = field(default_factory=dict)

    def measure(self, key: tuple[str, ...], expression: exp.Expr, condition: exp.Expr) -> exp.Expr:
        group = self.groups.setdefault(key, {})
        text = expression.sql()
        if text not in group:
            group[text] = (f"m{len(group)}", expression)
        self.conditions.setdefault(key, {}).setdefault(condition.sql(), condition)
        alias = group[text][0]
        return _quoted(alias, self.table(key))

    def table(self, key: tuple[str, ...]) -> str:
        return f"a{list(self.groups).index(key)}"

    def ctes(self, source: str) -> list[tuple[str, exp.Select]]:
        """(name, query) of each aggregate over the interactions view `source`."""
        queries = []
        for key, measures in self.groups.items():
            keys = [_quoted("customerId"), *(_quoted(name) for name in key)]
            selected = [exp.alias_(e, alias, quoted=True) for alias, e in measures.values()]
            counted = _any([c.copy() for c in self.conditions[key].values()])
            query = (
                exp.select(*keys, *selected).from_(source).where(counted).group_by(*(k.copy() for k in keys))
            )
            queries.append((self.table(key), query))
        return queries

    def joins(self) -> list[tuple[str, exp.Expr]]:
        """(table, ON condition) joining each aggregate to the candidate rows."""
        found: list[tuple[str, exp.Expr]] = []
        for key in self.groups:
            table = self.table(key)
            on = [
                exp.EQ(this=_quoted(name, table), expression=candidate(name)) for name in ("customerId", *key)
            ]
            found.append((table, exp.and_(*on)))
        return found


#: A policy's scopes of one kind counted as filters on the customer's pass, at most; past
#: this many, one GROUP BY on the field is cheaper than a measure per scope.
FILTERED_SCOPES = 2


def _interaction(name: str) -> exp.Column:
    return _quoted(name)


def _nth_latest(condition: exp.Expr, n: int) -> exp.Expr:
    """The n-th latest instant passing `condition` (the latest: a plain MAX, cheaper)."""
    if n == 1:
        return exp.Filter(this=exp.Max(this=_interaction("at")), expression=exp.Where(this=condition))
    return NthLatest(this=_interaction("at"), n=exp.Literal.number(n), condition=condition)


def _since(now: float, seconds: float | None) -> list[exp.Expr]:
    """The window condition `now - W < t` (the view holds nothing after now)."""
    if seconds is None:
        return []
    return [exp.GT(this=_interaction("at"), expression=double(now - seconds))]


@dataclass
class Lowering:
    """What lowering one policy set needs and builds up."""

    now: float
    inputs: Inputs
    aggregates: Aggregates = field(default_factory=Aggregates)
    #: Time-window policies that read the customer's zone: column name -> policy.
    zoned: dict[str, Policy] = field(default_factory=dict)
    #: The candidate fields whose budgets some policy reads (offerId, creativeId).
    budgeted: set[str] = field(default_factory=set)
    #: How far back each measure looks (None: all time), so the scan keeps only that much.
    reach: list[float | None] = field(default_factory=list)

    def horizon(self) -> float | None:
        """The earliest instant any measure can see (None: the whole history)."""
        if not self.reach or None in self.reach:
            return None
        return self.now - max(r for r in self.reach if r is not None)

    # -- counting ----------------------------------------------------------------------
    def narrowing(
        self, policy: Policy, scope: ScopeRef, per: str | None
    ) -> tuple[tuple[str, ...], exp.Expr, list[exp.Expr]]:
        """For a matched scope (and a `per` field): the key a count is grouped by, the
        condition under which the scope matches (a candidate without the `per` value
        passes), and the filters on what is counted.

        A matched scope fixes the candidate's value (`channel "ch_email"`: its channel is
        ch_email), so a policy with few scopes of a kind counts each as a filter on the
        customer's pass rather than a GROUP BY of its own; with more, one measure grouped
        by the field serves them all."""
        field, each = SCOPE_FIELDS[scope.scope], SCOPE_FIELDS[per] if per is not None else None
        applies = [scope_matches(scope)]
        if each is not None:
            applies.append(negate(exp.Is(this=candidate(each), expression=exp.Null())))
        kin = sum(s.scope == scope.scope for s in policy.effective_scopes)
        if field is None or kin > FILTERED_SCOPES:
            grouped = {field, each} - {None}
            return tuple(sorted(name for name in grouped if name is not None)), _all(applies), []
        key: tuple[str, ...] = () if each is None or each == field else (each,)
        return key, _all(applies), [exp.EQ(this=_interaction(field), expression=_text(scope.scopeId or ""))]

    def count(self, key: tuple[str, ...], condition: exp.Expr) -> exp.Expr:
        counted = exp.Filter(this=exp.Count(this=exp.Star()), expression=exp.Where(this=condition))
        return exp.func("COALESCE", self.aggregates.measure(key, counted, condition), exp.Literal.number(0))

    def last(self, key: tuple[str, ...], condition: exp.Expr) -> exp.Expr:
        latest = exp.Filter(this=exp.Max(this=_interaction("at")), expression=exp.Where(this=condition))
        return self.aggregates.measure(key, latest, condition)

    def cap(
        self,
        key: tuple[str, ...],
        applies: exp.Expr,
        filters: list[exp.Expr],
        cap: tuple[float | None, float],
    ) -> Test:
        """A window cap: blocks at `count >= max`; lifts when the max-th latest leaves the window.

        With a window and a maximum, the max-th latest instant in the window says both: it
        exists exactly when the count reached the maximum (one measure, not two)."""
        seconds, maximum = cap
        self.reach.append(seconds)
        condition = _all([*filters, *_since(self.now, seconds)])
        if seconds is None or maximum <= 0:  # all time, or a cap of 0: never lifts by time
            return Test(applies, exp.GTE(this=self.count(key, condition), expression=double(maximum)), None)
        nth = self.aggregates.measure(key, _nth_latest(condition, int(maximum)), condition)
        blocks = negate(exp.Is(this=nth, expression=exp.Null()))
        return Test(applies, blocks, exp.Add(this=nth.copy(), expression=double(seconds)))

    def rest(self, key: tuple[str, ...], applies: exp.Expr, condition: exp.Expr, period: float) -> Test:
        """A recency rule: blocks while `now - last < period`; lifts at `last + period`."""
        reach = period + RECENCY_MARGIN  # `now - t < p` and `t > now - p` may round apart
        self.reach.append(reach)
        last = self.last(key, _all([condition, *_since(self.now, reach)]))  # older never block
        blocks = exp.LT(this=exp.Sub(this=double(self.now), expression=last), expression=double(period))
        return Test(applies, blocks, exp.Add(this=last, expression=double(period)))

    # -- the customer -------------------------------------------------------------------
    def customer_has(self, name: str) -> bool:
        return self.inputs.customers.has(name)

    def time_window(self, policy: Policy) -> list[Test]:
        """Decided in Python: constant for a policy with its own zone, else per customer zone."""
        config: Any = policy.config
        own = zone(config.timezone)
        if own is not None:
            blocked, lifts = window_verdict(config, self.now, own)
            return [Test(TRUE, exp.Boolean(this=blocked), None if lifts is None else double(lifts))]
        name = f"tw{len(self.zoned)}"
        self.zoned[name] = policy
        return [Test(TRUE, customer(f"{name}_blocks"), customer(f"{name}_lifts"))]


def scope_matches(scope: ScopeRef) -> exp.Expr:
    name = SCOPE_FIELDS[scope.scope]
    if name is None:
        return TRUE
    return _is(exp.EQ(this=candidate(name), expression=_text(scope.scopeId or "")))


def window_verdict(config: Any, now: float, tz: Any) -> tuple[bool, float | None]:
    """The online engine's time-window verdict at `now` in a zone: (blocked, lifts)."""
    if is_open(local_clock(now, tz), config):
        return False, None
    return True, next_opening(now, tz, config)


def _campaign_filters(config: Any) -> list[exp.Expr]:
    filters: list[exp.Expr] = []
    campaign = _interaction("campaignId")
    if config.withinCampaignId is not None:
        filters.append(exp.EQ(this=campaign, expression=_text(config.withinCampaignId)))
    if config.excludeCampaignIds is not None:
        kept = negate(_one_of(campaign, config.excludeCampaignIds))
        filters.append(exp.or_(exp.Is(this=campaign, expression=exp.Null()), kept))
    return filters


def _impressions(*filters: exp.Expr) -> list[exp.Expr]:
    return [exp.EQ(this=_interaction("outcome"), expression=_text(IMPRESSION)), *filters]


def _days_cap(config: Any) -> list[tuple[float | None, float]]:
    """The older `{maxContacts, windowDays}` cap, when the config has it."""
    if config.maxContacts is None or config.windowDays is None:
        return []
    return [(config.windowDays * DAY, config.maxContacts)]


def _period_cap(period: str, maximum: float) -> tuple[float | None, float]:
    return PERIODS[period][0], maximum


# -- one function per rule type: the policy's tests --------------------------------------
def _frequency_cap(lw: Lowering, policy: Policy) -> list[Test]:
    config: Any = policy.config
    caps = [
        _period_cap(period, getattr(config, k))
        for k, period in FREQUENCY_PERIODS
        if getattr(config, k) is not None
    ]
    caps += _days_cap(config)
    filters = _impressions(*_campaign_filters(config))
    tests = []
    for scope in policy.effective_scopes:
        key, applies, counted = lw.narrowing(policy, scope, config.per)
        tests += [lw.cap(key, applies, [*filters, *counted], cap) for cap in caps]
    return tests


def _cooldown(lw: Lowering, policy: Policy) -> list[Test]:
    config: Any = policy.config
    period = config.cooldownHours * HOUR
    tests = []
    for scope in policy.effective_scopes:
        key, applies, counted = lw.narrowing(policy, scope, config.per)
        tests.append(lw.rest(key, applies, _all(_impressions(*counted)), period))
    return tests


def _outcome_based(lw: Lowering, policy: Policy) -> list[Test]:
    config: Any = policy.config
    configured = configured_outcomes(config)
    outcomes = [configured] if isinstance(configured, str) else list(configured)
    period = outcome_days(config) * DAY
    condition = _one_of(_interaction("outcome"), outcomes)
    tests = []
    for scope in policy.effective_scopes:
        key, applies, counted = lw.narrowing(policy, scope, config.per)
        tests.append(lw.rest(key, applies, _all([condition.copy(), *counted]), period))
    return tests


def _category_suppression(lw: Lowering, policy: Policy) -> list[Test]:
    config: Any = policy.config
    period = config.suppressionDays * DAY
    category, sub = config.categoryId, config.subCategoryId
    if category is None and sub is None:  # the candidate's own category
        applies = negate(exp.Is(this=candidate("categoryId"), expression=exp.Null()))
        return [lw.rest(("categoryId",), applies, _all(_impressions()), period)]
    own: list[exp.Expr] = []
    counted: list[exp.Expr] = []
    for name, value in (("categoryId", category), ("subCategoryId", sub)):
        if value is not None:
            own.append(_is(exp.EQ(this=candidate(name), expression=_text(value))))
            counted.append(exp.EQ(this=_interaction(name), expression=_text(value)))
    return [lw.rest((), _all(own), _all(_impressions(*counted)), period)]


def _cross_channel_cap(lw: Lowering, policy: Policy) -> list[Test]:
    config: Any = policy.config
    across = [_one_of(_interaction("channelId"), config.appliesAcross)] if config.appliesAcross else []
    caps = (
        [_period_cap(config.periodType or "weekly", config.maxTotal)] if config.maxTotal is not None else []
    )
    caps += _days_cap(config)
    return [lw.cap(("offerId",), TRUE, _impressions(*across), cap) for cap in caps]


def _customer_total_cap(lw: Lowering, policy: Policy) -> list[Test]:
    config: Any = policy.config
    return [lw.cap((), TRUE, _impressions(), _period_cap(config.periodType or "weekly", config.maxTotal))]


def _offer_category_cap(lw: Lowering, policy: Policy) -> list[Test]:
    config: Any = policy.config
    target = _text(config.targetCategory)
    applies = _is(exp.EQ(this=candidate("offerCategory"), expression=target))
    counted = _impressions(exp.EQ(this=_interaction("offerCategory"), expression=target))
    return [lw.cap((), applies, counted, _period_cap(config.periodType or "monthly", config.maxTotal))]


def _budget_exhausted(lw: Lowering, policy: Policy) -> list[Test]:
    """Per matched scope, the candidate's offer's budget (its creative's for creative scope);
    without a budgets input, or a figure, nothing blocks (§2.1: a missing figure does not)."""
    config: Any = policy.config
    if lw.inputs.budgets is None:
        return []
    tests = []
    for scope in policy.effective_scopes:
        key = "creativeId" if scope.scope == "creative" else "offerId"
        lw.budgeted.add(key)
        figure = _quoted(config.budgetField, f"b_{key}")
        tests.append(
            Test(scope_matches(scope), exp.GTE(this=figure, expression=double(config.threshold)), None)
        )
    return tests


def _segment_exclusion(lw: Lowering, policy: Policy) -> list[Test]:
    config: Any = policy.config
    excluded = config.excludeSegments if config.excludeSegments is not None else [config.segmentId]
    if not lw.customer_has("segments"):
        return []
    listed = exp.Array(expressions=[_text(s) for s in excluded])
    return [Test(TRUE, ListHasAny(this=customer("segments"), expression=listed), None)]


def _do_not_contact(lw: Lowering, policy: Policy) -> list[Test]:
    source = policy.config.dncSource  # type: ignore[union-attr]
    if not lw.customer_has("dnc"):
        return []
    lists = customer("dnc")
    if source is None:
        return [Test(TRUE, exp.GT(this=ListSize(this=lists), expression=exp.Literal.number(0)), None)]
    return [Test(TRUE, _is(exp.ArrayContains(this=lists, expression=_text(source))), None)]


COMPARISONS: dict[str, type[exp.Binary]] = {
    "gt": exp.GT,
    "gte": exp.GTE,
    "lt": exp.LT,
    "lte": exp.LTE,
    "eq": exp.EQ,
}


def _metric_condition(lw: Lowering, policy: Policy) -> list[Test]:
    config: Any = policy.config
    if not lw.customer_has("metrics"):
        return []
    found = MapValue(this=customer("metrics"), expression=_text(config.metricId))
    value = exp.TryCast(this=found, to=exp.DataType.build("DOUBLE"), safe=True)  # Spark: TRY_CAST too
    threshold = config.threshold if config.threshold is not None else 0
    compare = COMPARISONS[config.operator or "gte"]
    return [Test(TRUE, compare(this=value, expression=double(threshold)), None)]


def _time_window(lw: Lowering, policy: Policy) -> list[Test]:
    return lw.time_window(policy)


RULES: dict[str, Callable[[Lowering, Policy], list[Test]]] = {
    "frequency_cap": _frequency_cap,
    "cooldown": _cooldown,
    "outcome_based": _outcome_based,
    "category_suppression": _category_suppression,
    "cross_channel_cap": _cross_channel_cap,
    "customer_total_cap": _customer_total_cap,
    "offer_category_cap": _offer_category_cap,
    "budget_exhausted": _budget_exhausted,
    "segment_exclusion": _segment_exclusion,
    "do_not_contact": _do_not_contact,
    "metric_condition": _metric_condition,
    "time_window": _time_window,
}


# -- the plan ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    """A policy in evaluation order, as the plan's columns name it."""

    position: int
    policy: Policy

    @property
    def blocks(self) -> str:
        return f"b{self.position}"

    @property
    def lifts(self) -> str:
        return f"e{self.position}"

    @property
    def exclusive(self) -> str:
        return f"m{self.position}"

    @property
    def group(self) -> list[str]:
        config: Any = self.policy.config
        return list(config.excludeOfferIds)


def _active(policy: Policy) -> bool:
    return (policy.status or "active") == "active" and policy.deletedAt is None


def _in_scope(policy: Policy) -> exp.Expr:
    return _any([scope_matches(scope) for scope in policy.effective_scopes])


def _skipped(policy: Policy, overridden: exp.Expr) -> exp.Expr:
    """Bypassed by an in-scope override, or skipped for a mandatory offer (§2.1)."""
    bypassable = policy.ruleType != "do_not_contact" and policy.config.bypassable is not False
    reasons = []
    if bypassable and policy.ruleType not in MANDATORY_RULES:
        reasons.append(_is(candidate("isMandatory")))
    if bypassable:
        reasons.append(overridden)
    return _any(reasons)


def _lifts(tests: Sequence[Test]) -> exp.Expr:
    """When the blocking tests have all lifted, read only where the policy blocks: the
    latest lift, `_never()` if one never lifts by time (§2.1). A lift past 9999-12-31T23:59:59Z,
    the last instant a calendar can write, is never too: `eligibleAt` sorts both out at once
    (`Plan.decisions`), with no guard in each column."""
    lifts = [_never() if t.lifts is None else exp.func("COALESCE", t.lifts, _never()) for t in tests]
    if len(tests) <= 1:  # none: the policy never blocks, nothing reads its lift
        return lifts[0] if lifts else _never()
    return _greatest(
        [
            exp.Case(ifs=[exp.If(this=exp.and_(t.applies, _is(t.blocks)), true=lift)])
            for t, lift in zip(tests, lifts, strict=True)
        ]
    )


def _never() -> exp.Expr:
    """A lift that never comes: the first second past the last writable instant."""
    return double(LAST_INSTANT + 1)


def _consent(inputs: Inputs) -> exp.Expr:
    """The consent gate: the customer opted out of the candidate's channel type."""
    kind = candidate("channelType")
    if inputs.customers.has("consent"):
        answer: exp.Expr = MapValue(this=customer("consent"), expression=kind)
    elif inputs.consent_columns:
        answer = exp.Case(
            this=kind,
            ifs=[
                exp.If(this=_text(k), true=customer(f"{CONSENT_PREFIX}{k}")) for k in inputs.consent_columns
            ],
        )
    else:
        return FALSE
    opted_out = _is(exp.EQ(this=answer, expression=_text("opted_out")))
    return exp.Case(
        ifs=[exp.If(this=exp.Is(this=kind, expression=exp.Null()), true=FALSE)], default=opted_out
    )


@dataclass
class Plan:
    """The lowered policy set: the rows query, and what the output and the hybrid pass need."""

    steps: list[Step]
    exclusive: list[Step]
    #: One row per candidate: its §2 fields, `g_consent`, `b<n>`/`e<n>` per policy, `m<n>` per
    #: mutual exclusion and `affected` (whether the pass must look at the customer).
    rows: exp.Select

    def decisions(self, source: exp.Expr, explain: bool) -> exp.Select:
        """The output rows (SPEC §6.1) from the rows query, ME left aside: customerId, rank,
        offerId, channelId, allowed, blockedBy, blockedByName, eligibleAt, and with
        `explain` blockedByAll; plus the internal `_positions` when mutual exclusion needs a pass."""
        blocks = [*GATES, *(Block.of(s) for s in self.steps if s.policy.ruleType not in UNCOUNTED)]
        blocked = _any([b.flag for b in blocks])
        first = exp.Case(ifs=[exp.If(this=b.flag, true=b.key) for b in blocks])
        first_name = exp.Case(ifs=[exp.If(this=b.flag, true=b.name) for b in blocks])
        # NULL where nothing blocks; past the last writable instant where a block never lifts
        latest = _greatest([exp.Case(ifs=[exp.If(this=b.flag, true=b.lifts)]) for b in blocks])
        rounded = exp.Ceil(this=exp.Round(this=latest, decimals=exp.Literal.number(6)))
        writable = exp.LTE(this=latest.copy(), expression=double(LAST_INSTANT))
        eligible = exp.Case(ifs=[exp.If(this=writable, true=IsoInstant(this=rounded))])
        columns: list[exp.Expr] = [
            *(_quoted(name) for name in ("customerId", "rank", "offerId", "channelId")),
            exp.alias_(negate(blocked), "allowed", quoted=True),
            exp.alias_(first, "blockedBy", quoted=True),
            exp.alias_(first_name, "blockedByName", quoted=True),
            exp.alias_(exp.cast(eligible, exp.DataType.build("VARCHAR")), "eligibleAt", quoted=True),
        ]
        if explain:
            ids = [exp.Case(ifs=[exp.If(this=b.flag, true=b.key)]) for b in blocks]
            columns.append(exp.alias_(NonNullList(expressions=ids), "blockedByAll", quoted=True))
        if self.exclusive:
            positions = [
                exp.Case(ifs=[exp.If(this=b.flag, true=exp.Literal.number(b.position))]) for b in blocks
            ]
            columns += [
                exp.alias_(NonNullList(expressions=positions), "_positions", quoted=True),
                *(_quoted(s.exclusive) for s in self.exclusive),
                _quoted("affected"),
            ]
        return exp.select(*columns).from_(source)


#: The rule types with no `b<n>` column: overrides never block, mutual exclusion is the pass's.
UNCOUNTED = ("allow_override", "mutual_exclusion")


@dataclass(frozen=True)
class Block:
    """One way a row can be blocked, as the output names it: a gate or a policy."""

    position: int
    key: exp.Expr
    name: exp.Expr
    flag: exp.Expr
    #: When it lifts, read where it blocks (past the last writable instant: never by time).
    lifts: exp.Expr

    @classmethod
    def of(cls, step: Step) -> Block:
        name = _text(step.policy.name)
        return cls(
            step.position, _text(policy_key(step.policy)), name, _quoted(step.blocks), _quoted(step.lifts)
        )


#: The gates, before every policy: consent (never lifts), then suppression records.
GATES = (
    Block(-2, _text("consent"), _text("consent"), _quoted("g_consent"), _never()),
    Block(
        -1,
        _text("suppression"),
        _quoted("g_suppression_name"),
        _quoted("g_suppression"),
        _quoted("g_suppression_lifts"),
    ),
)


def _outcomes(steps: Sequence[Step]) -> frozenset[str]:
    return frozenset().union(*(outcomes_read(s.policy) for s in steps))


def _zone_table(zoned: Mapping[str, Policy], now: float, zones: Sequence[str | None]) -> exp.Expr:
    """The time windows' verdicts per customer time zone (unknown or missing: UTC)."""
    rows = []
    for name in {*zones, None}:
        tz = zone(name) or UTC_ZONE
        row: list[exp.Expr] = [
            exp.cast(exp.Null(), exp.DataType.build("VARCHAR")) if name is None else _text(name)
        ]
        for policy in zoned.values():
            blocked, lifts = window_verdict(policy.config, now, tz)
            row += [
                exp.Boolean(this=blocked),
                double(lifts) if lifts is not None else exp.cast(exp.Null(), exp.DataType.build("DOUBLE")),
            ]
        rows.append(exp.Tuple(expressions=row))
    columns = ["tz", *(f"{n}_{part}" for n in zoned for part in ("blocks", "lifts"))]
    values = exp.Values(
        expressions=rows,
        alias=exp.TableAlias(
            this=exp.to_identifier("v"), columns=[exp.to_identifier(c, quoted=True) for c in columns]
        ),
    )
    return exp.select("*").from_(values)


def _suppression_groups(lw: Lowering) -> exp.Select:
    """The active suppression records per customer and (scope, scopeId): whether one never
    lifts, the latest expiry, and one record's name (the smallest)."""
    assert lw.inputs.suppressions is not None
    records = suppressions_query(lw.inputs.suppressions, lw.now, tuple(SCOPE_FIELDS)).subquery("sr")
    expires = _quoted("expires")
    never = exp.or_(
        exp.Is(this=expires, expression=exp.Null()),
        exp.GT(this=expires.copy(), expression=double(LAST_INSTANT)),
    )
    keys = [_quoted(n) for n in ("customerId", "scope", "scopeId")]
    return (
        exp.select(
            *keys,
            exp.alias_(exp.LogicalOr(this=never), "never", quoted=True),
            exp.alias_(exp.Max(this=expires.copy()), "lifts", quoted=True),
            exp.alias_(exp.Min(this=_quoted("name")), "name", quoted=True),
        )
        .from_(records)
        .group_by(*(k.copy() for k in keys))
    )


def _suppression_join(kind: str) -> exp.Expr:
    """The records of the candidate's customer whose scope is `kind` and matches it."""
    table = f"s_{kind}"
    name = SCOPE_FIELDS[kind]
    target = _text("") if name is None else candidate(name)
    return exp.and_(
        exp.EQ(this=_quoted("customerId", table), expression=candidate("customerId")),
        exp.EQ(this=_quoted("scope", table), expression=_text(kind)),
        exp.EQ(this=_quoted("scopeId", table), expression=target),
    )


def _suppressed(inputs: Inputs) -> list[exp.Expr]:
    """The suppression gate's columns: whether a record blocks, when the last lifts
    (`_never()` if one never does), and the name the output gives it."""
    if inputs.suppressions is None:
        return [
            exp.alias_(FALSE, "g_suppression", quoted=True),
            exp.alias_(
                exp.cast(exp.Null(), exp.DataType.build("DOUBLE")), "g_suppression_lifts", quoted=True
            ),
            exp.alias_(
                exp.cast(exp.Null(), exp.DataType.build("VARCHAR")), "g_suppression_name", quoted=True
            ),
        ]
    tables = [f"s_{kind}" for kind in SCOPE_FIELDS]
    found = _any([negate(exp.Is(this=_quoted("customerId", t), expression=exp.Null())) for t in tables])
    never = _any([_is(_quoted("never", t)) for t in tables])
    lifts = exp.Case(
        ifs=[exp.If(this=never, true=_never())], default=_greatest([_quoted("lifts", t) for t in tables])
    )
    name = exp.func("COALESCE", *(_quoted("name", t) for t in tables))
    return [
        exp.alias_(found, "g_suppression", quoted=True),
        exp.alias_(lifts, "g_suppression_lifts", quoted=True),
        exp.alias_(name, "g_suppression_name", quoted=True),
    ]


def _budget_join(budgets: Table, key: str) -> exp.Expr:
    """The budget of the candidate's offer (or creative), the customer's own when the
    budgets have a customerId column."""
    table = f"b_{key}"
    on = [exp.EQ(this=_quoted("id", table), expression=candidate(key))]
    if budgets.has("customerId"):
        on.append(exp.EQ(this=_quoted("customerId", table), expression=candidate("customerId")))
    return exp.and_(*on)


def _affected(exclusive: Sequence[Step]) -> exp.Select:
    """The customers with two different offers of one exclusive group among their candidates:
    the only ones mutual exclusion can block without a served session (batch has none)."""
    offer = _quoted("offerId")
    counts = [
        exp.GTE(
            this=exp.Count(
                this=exp.Distinct(
                    expressions=[exp.Case(ifs=[exp.If(this=_one_of(offer, s.group), true=offer)])]
                )
            ),
            expression=exp.Literal.number(2),
        )
        for s in exclusive
    ]
    return (
        exp.select(_quoted("customerId"), exp.alias_(_any(counts), "affected", quoted=True))
        .from_("k")
        .group_by(_quoted("customerId"))
    )


def lower(policies: Sequence[Policy], now: float, inputs: Inputs, zones: Sequence[str | None]) -> Plan:
    """Lower a policy set, in evaluation order, for a population decided at `now`; `zones`
    are the population's customer time zones."""
    steps = [Step(n, p) for n, p in enumerate(evaluation_order(policies)) if _active(p)]
    exclusive = [s for s in steps if s.policy.ruleType == "mutual_exclusion"]
    lw = Lowering(now, inputs)
    overridden = _any([_in_scope(s.policy) for s in steps if s.policy.ruleType == "allow_override"])
    columns: list[exp.Expr] = [exp.alias_(_consent(inputs), "g_consent", quoted=True), *_suppressed(inputs)]
    for step in steps:
        if step.policy.ruleType not in ("allow_override", "mutual_exclusion"):
            columns += _policy_columns(lw, step, overridden)
    for step in exclusive:
        live = exp.and_(_live(step.policy, overridden), _one_of(candidate("offerId"), step.group))
        columns.append(exp.alias_(live, step.exclusive, quoted=True))
    if exclusive:
        columns.append(exp.alias_(_quoted("affected", "x"), "affected", quoted=True))
    return Plan(steps, exclusive, _joined(lw, steps, exclusive, columns, zones))


def _live(policy: Policy, overridden: exp.Expr) -> exp.Expr:
    """In scope and neither bypassed nor skipped."""
    return exp.and_(_in_scope(policy), negate(_skipped(policy, overridden)))


def _policy_columns(lw: Lowering, step: Step, overridden: exp.Expr) -> list[exp.Expr]:
    tests = RULES[step.policy.ruleType](lw, step.policy)
    blocks = _any([exp.and_(t.applies, _is(t.blocks)) for t in tests])
    live = exp.and_(_live(step.policy, overridden), exp.paren(blocks))
    return [exp.alias_(live, step.blocks, quoted=True), exp.alias_(_lifts(tests), step.lifts, quoted=True)]


def _joined(
    lw: Lowering,
    steps: Sequence[Step],
    exclusive: Sequence[Step],
    columns: list[exp.Expr],
    zones: Sequence[str | None],
) -> exp.Select:
    """The candidates joined to their customer (with the zone's verdicts), each aggregate
    and the customers the pass must look at, with `columns` computed over them."""
    people = customers_query(lw.inputs.customers, lw.inputs.consent_columns)
    zoned = _zone_table(lw.zoned, lw.now, zones) if lw.zoned else None
    known, nobody = _with_customer_terms(people, zoned is not None, columns)
    ctes: list[tuple[str, exp.Expr]] = [
        ("i", interactions_query(lw.inputs.interactions, lw.now, _outcomes(steps), lw.horizon())),
        *([] if zoned is None else [("tw", zoned)]),
        ("c", known),
        ("k", candidates_query(lw.inputs.candidates)),
        *lw.aggregates.ctes("i"),
    ]
    select = exp.select(exp.Column(this=exp.Star(), table=exp.to_identifier("k")), *columns).from_(
        exp.alias_(exp.to_table("k"), "k")
    )
    # (table, alias, ON): each is joined LEFT, at most one row per candidate
    joins: list[tuple[str, str, exp.Expr | None]] = [
        ("c", "c", exp.EQ(this=customer("id"), expression=candidate("customerId"))),
        *((table, table, on) for table, on in lw.aggregates.joins()),
    ]
    if nobody is not None:
        ctes.append(("n", nobody))
        joins.append(("n", "n", None))
    if lw.inputs.suppressions is not None:
        ctes.append(("sg", _suppression_groups(lw)))
        joins += [("sg", f"s_{kind}", _suppression_join(kind)) for kind in SCOPE_FIELDS]
    if lw.inputs.budgets is not None and lw.budgeted:
        ctes.append(("bd", budgets_query(lw.inputs.budgets)))
        joins += [("bd", f"b_{key}", _budget_join(lw.inputs.budgets, key)) for key in sorted(lw.budgeted)]
    if exclusive:
        ctes.append(("x", _affected(exclusive)))
        joins.append(("x", "x", exp.EQ(this=_quoted("customerId", "x"), expression=candidate("customerId"))))
    for table, alias, on in joins:
        kind = "left" if on is not None else "cross"
        select = select.join(exp.alias_(exp.to_table(table), alias), on=on, join_type=kind, copy=False)
    for name, cte in ctes:
        select = select.with_(name, as_=cte, copy=False)
    return select


def _customer_rows(people: exp.Select, zoned: bool, nobody: bool = False) -> exp.Select:
    """The customers as the policies read them, each with its zone's time-window verdicts
    (`tw`); with `nobody`, the one row of a customer the input lacks: every field NULL (and
    typed as the input's), the verdicts of the unknown zone."""
    if nobody:
        one = exp.select(exp.alias_(exp.Literal.number(1), "one")).subquery("o")
        rows = exp.select("p.*").from_(one).join(people.where(FALSE).subquery("p"), on=TRUE, join_type="left")
    else:
        rows = exp.select("p.*").from_(people.subquery("p"))
    if not zoned:
        return rows
    same_zone = exp.NullSafeEQ(this=_quoted("timezone", "p"), expression=_quoted("tz", "tw"))
    return rows.select("tw.*", copy=False).join(
        exp.alias_(exp.to_table("tw"), "tw"), on=same_zone, join_type="left", copy=False
    )


def _with_customer_terms(
    people: exp.Select, zoned: bool, columns: list[exp.Expr]
) -> tuple[exp.Select, exp.Select | None]:
    """The customers (`people`, with their zone's verdicts when `zoned`) with every term
    of `columns` that reads only the customer (a dnc list, a segment, a metric, a zone's
    verdict) computed once per customer instead of once per candidate row; `columns` then
    read the result (`c.h0`, …), rewritten in place. A candidate whose customer has no row
    reads the terms computed once over `nobody` (`n.h0`, …; None when there is no term),
    so the candidates' join carries no field of the customer's but those it reads itself
    (the consent map)."""
    terms: dict[str, exp.Expr] = {}
    own = set(people.named_selects)

    def hoist(node: exp.Expr) -> exp.Expr:
        if not _is_term(node, own) or not _customer_only(node):
            return node
        key = node.sql()
        if key not in terms:
            terms[key] = node.copy()
        name = f"h{list(terms).index(key)}"
        unknown = exp.Is(this=customer("id"), expression=exp.Null())
        return exp.Case(ifs=[exp.If(this=unknown, true=_quoted(name, "n"))], default=customer(name))

    for column in columns:
        column.transform(hoist, copy=False)
    computed = [exp.alias_(term, f"h{n}", quoted=True) for n, term in enumerate(terms.values())]
    with_terms = exp.select("*", *computed).from_(_customer_rows(people, zoned).subquery("c"))
    if not computed:
        return with_terms, None
    nobody = _customer_rows(people, zoned, nobody=True).subquery("c")
    return with_terms, exp.select(*(c.copy() for c in computed)).from_(nobody)


#: The kinds of expression a customer-only term can be (a value standing on its own), and
#: those that are parts of another (a CASE's WHEN is a Func to sqlglot).
_TERMS = (exp.Func, exp.Binary, exp.Unary, exp.Case, exp.Column)
_NOT_TERMS = (exp.If,)


def _is_term(node: exp.Expr, own: set[str]) -> bool:
    """A value of its own. A field of the customer's `own` row stays where it is: for a
    customer without a row it is NULL, as over no data (a zone's verdict is not)."""
    if isinstance(node, exp.Column) and node.name in own:
        return False
    return isinstance(node, _TERMS) and not isinstance(node, _NOT_TERMS)


def _customer_only(node: exp.Expr) -> bool:
    tables = {column.table for column in node.find_all(exp.Column)}
    return tables == {"c"}
