"""One evaluator per rule type: SPEC §1's table and §2.1's precise semantics.

Each rule type is a factory: given a policy's config it works out once what every
evaluation needs (caps, filters, outcome names) and returns the evaluator. An evaluator
sees a candidate whose scope already matched (`scopes` are the matched ones, in listed
order) and returns a `Verdict` carrying the operand values in `details` and a sentence a
marketer understands in `reason`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple, Protocol
from zoneinfo import ZoneInfo

from cpol.plan import Policy, ScopeRef
from cpol.runtime.clock import DAY, HOUR, LAST_INSTANT, UTC_ZONE, format_instant, utc_offset_at_edge, zone
from cpol.runtime.history import IMPRESSION, SCOPE_FIELDS, Event, History, Only, Series, only
from cpol.runtime.request import Candidate, Request
from cpol.runtime.verdict import (
    Verdict,
    count_window,
    elapsed_words,
    latest,
    number_words,
    plural,
    since_figure,
)

PERIODS: dict[str, tuple[float | None, str, str]] = {
    # periodType: (window seconds, "in the last …", "per …")
    "daily": (DAY, "in the last 24 hours", "per day"),
    "weekly": (7 * DAY, "in the last 7 days", "per week"),
    "monthly": (30 * DAY, "in the last 30 days", "per month"),
    "alltime": (None, "in total", "in total"),
}
WEEKDAY_NAMES = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
TIME_WINDOW_HORIZON = 15 * DAY


@dataclass
class Context:
    """What a request gives every evaluator: the clock, the indexed history, the customer."""

    request: Request
    now: float
    history: History
    customer_zone: ZoneInfo | None
    #: The offers allowed so far in this request, each with the place it was first allowed at
    #: (mutual exclusion names the earliest; a list of every allowed candidate made it quadratic).
    allowed_offers: dict[str, int]


Evaluator = Callable[[Context, Candidate, Sequence[ScopeRef]], Verdict]


def _where(scope: ScopeRef) -> str:
    return "" if scope.scope == "global" else f" on {scope.scope} {scope.scopeId}"


class Each(NamedTuple):
    """A `per` policy's dimension and the candidate's value of it (SPEC §1.1)."""

    dimension: str  # offer, channel, creative, category, subcategory
    field: str  # offerId, channelId, …
    value: str

    def what(self) -> str:
        """` of offer off_1`, ` on channel ch_email`: the value counted, for a reason."""
        return f" {'on' if self.dimension == 'channel' else 'of'} {self.dimension} {self.value}"

    def counted(
        self, reason: str, details: dict[str, Any], separator: str = ""
    ) -> tuple[str, dict[str, Any]]:
        """A verdict's words, saying that each value is counted apart."""
        return f"{reason}{separator} for each {self.dimension}", _counted(details, self)


def _what(scope: ScopeRef, each: Each | None) -> str:
    """What is counted: the value of a `per` policy, then the matched scope (unless the scope
    names that very value)."""
    if each is None:
        return _where(scope)
    return each.what() if each.field == SCOPE_FIELDS[scope.scope] else each.what() + _where(scope)


def _counted(details: dict[str, Any], each: Each | None) -> dict[str, Any]:
    """`details`, plus `per` and `perValue` for a `per` policy (none otherwise)."""
    if each is not None:
        details.update(per=each.dimension, perValue=each.value)
    return details


def _scoped(
    ctx: Context,
    cand: Candidate,
    scope: ScopeRef,
    outcome: str,
    each: Each | None,
    filters: tuple[Only, ...] = (),
    window: float | None = None,
) -> Series:
    """Interactions with an outcome, narrowed to the matched scope (global: all of them),
    then to the candidate's value of a `per` field; with a window (seconds), only those a
    window of that length ending now can see. (`each` is positional: the hot path passes
    no keywords.)"""
    since = None if window is None else ctx.now - window
    field = SCOPE_FIELDS[scope.scope]
    if field is None:
        series = ctx.history.series(outcome, filters=filters, since=since)
    else:
        series = ctx.history.series(outcome, field, getattr(cand, field), filters, since)
    if each is None or each.field == field or not series:
        return series
    return series.narrow(each.field, each.value)


class PerEvaluator(Protocol):
    """An evaluator that counts only `each`'s value when given one."""

    def __call__(
        self, ctx: Context, cand: Candidate, scopes: Sequence[ScopeRef], each: Each | None = None
    ) -> Verdict: ...


def _counted_per(config: Any, evaluate: PerEvaluator, blank: dict[str, Any]) -> Evaluator:
    """The evaluator of a rule that may count each value of a field apart (SPEC §1.1).
    Without `per`, `evaluate` itself, untouched; with it, one that finds the candidate's
    value first and passes a candidate without one (nothing to count by), `blank` details."""
    if config.per is None:
        return evaluate
    dimension: str = config.per
    field = SCOPE_FIELDS[dimension]
    assert field is not None

    def by_value(ctx: Context, cand: Candidate, scopes: Sequence[ScopeRef]) -> Verdict:
        value = getattr(cand, field)
        if value is None:
            return Verdict.said(False, None, _uncounted_words, dimension, field, blank)
        return evaluate(ctx, cand, scopes, Each(dimension, field, value))

    return by_value


def _uncounted_words(dimension: str, field: str, blank: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    details = {**blank, "per": dimension, "perValue": None}
    return f"the candidate has no {field} to count by", details


def _first_block(results: list[Verdict], fallback: str) -> Verdict:
    """One verdict for several caps or scopes: the first block's words, the latest lift."""
    if len(results) == 1:
        return results[0]
    blocks = [verdict for verdict in results if verdict.blocked]
    if not blocks:
        return results[0] if results else Verdict(False, fallback)
    first = blocks[0]
    first.eligible_at = latest([verdict.eligible_at for verdict in blocks])
    return first


# -- frequency_cap ----------------------------------------------------------------------
def _campaign_filters(config: Any) -> tuple[Only, ...]:
    """withinCampaignId keeps one campaign, excludeCampaignIds drops some (no campaign is
    kept); with both, an interaction must pass both."""
    filters = []
    if config.withinCampaignId is not None:
        filters.append(only("campaignId", (config.withinCampaignId,)))
    if config.excludeCampaignIds is not None:
        filters.append(only("campaignId", tuple(config.excludeCampaignIds), exclude=True))
    return tuple(filters)


class Cap(NamedTuple):
    """One window of a cap: its name in `details`, its length (None: all time), its maximum,
    and its words ("in the last 7 days", "per week")."""

    name: str
    seconds: float | None
    maximum: float
    in_words: str
    per_words: str


def _period(period: str, maximum: float) -> Cap:
    seconds, in_words, per_words = PERIODS[period]
    return Cap(period, seconds, maximum, in_words, per_words)


def _days_window(config: Any) -> list[Cap]:
    """The older `{maxContacts, windowDays}` cap (SPEC §2.1), when the config has it."""
    if config.maxContacts is None or config.windowDays is None:
        return []
    days = config.windowDays
    return [
        Cap(
            f"{number_words(days)} days",
            days * DAY,
            config.maxContacts,
            f"in the last {number_words(days)} days",
            f"per {number_words(days)} days",
        )
    ]


def _widest(caps: Sequence[Cap]) -> float | None:
    """The longest window of some caps, so that one slice of the history serves them all
    (None when one of them counts all time)."""
    seconds = [cap.seconds for cap in caps]
    return None if None in seconds or not seconds else max(s for s in seconds if s is not None)


#: frequency_cap's newer keys and the periods they cap, in SPEC order (the linter reads it too).
FREQUENCY_PERIODS: tuple[tuple[str, str], ...] = (
    ("maxPerDay", "daily"),
    ("maxPerWeek", "weekly"),
    ("maxPerMonth", "monthly"),
    ("maxTotal", "alltime"),
)


def frequency_cap(config: Any) -> Evaluator:
    filters = _campaign_filters(config)
    caps = [
        _period(period, getattr(config, key))
        for key, period in FREQUENCY_PERIODS
        if getattr(config, key) is not None
    ]
    caps += _days_window(config)  # SPEC order: day, week, month, total, older windowDays
    widest = _widest(caps)
    limits = [(cap, cap.seconds, cap.maximum) for cap in caps]  # the hot loop reads locals

    def evaluate(
        ctx: Context, cand: Candidate, scopes: Sequence[ScopeRef], each: Each | None = None
    ) -> Verdict:
        results: list[Verdict] = []
        for scope in scopes:
            series = _scoped(ctx, cand, scope, "impression", each, filters, widest)
            for cap, seconds, maximum in limits:
                count, eligible = count_window(series, ctx.now, seconds, maximum)
                results.append(Verdict.said(count >= maximum, eligible, _cap_words, count, scope, cap, each))
        return _first_block(results, "no cap applies")

    blank = {"window": caps[0].name, "count": None, "max": caps[0].maximum} if caps else {}
    return _counted_per(config, evaluate, blank)


def _cap_words(count: int, scope: ScopeRef, cap: Cap, each: Each | None) -> tuple[str, dict[str, Any]]:
    reason = (
        f"{plural(count, 'impression')}{_what(scope, each)} {cap.in_words}; "
        f"cap is {number_words(cap.maximum)} {cap.per_words}"
    )
    details = {"window": cap.name, "count": count, "max": cap.maximum}
    return (reason, details) if each is None else each.counted(reason, details)


# -- recency rules: cooldown, outcome_based, category_suppression ---------------------------
#: Recency rules look for the last event in the slice of the history their period can see
#: (widened by this margin, then tested exactly: `now - t < period` and `t > now - period`
#: may round apart); only the words of a pass look further back.
RECENCY_MARGIN = 1.0


def _recent(ctx: Context, series: Series, period: float) -> Event | None:
    """The last event of a series sliced to the period, if it lies inside the period."""
    last = series.last()
    return last if last is not None and ctx.now - last.at < period else None


def cooldown(config: Any) -> Evaluator:
    hours = config.cooldownHours
    period = hours * HOUR

    def evaluate(
        ctx: Context, cand: Candidate, scopes: Sequence[ScopeRef], each: Each | None = None
    ) -> Verdict:
        results: list[Verdict] = []
        for scope in scopes:
            series = _scoped(ctx, cand, scope, "impression", each, (), period + RECENCY_MARGIN)
            recent = _recent(ctx, series, period)
            lifts = recent.at + period if recent is not None else None
            results.append(
                Verdict.said(
                    recent is not None, lifts, _cooldown_words, ctx, cand, hours, scope, recent, each
                )
            )
        return _first_block(results, "no impression yet")

    return _counted_per(config, evaluate, {"cooldownHours": hours, "hoursSinceLast": None})


def _cooldown_words(
    ctx: Context, cand: Candidate, hours: float, scope: ScopeRef, recent: Event | None, each: Each | None
) -> tuple[str, dict[str, Any]]:
    """`recent` is the impression that blocks; without it, the words look further back."""
    last = recent or _scoped(ctx, cand, scope, "impression", each).last()
    what = _what(scope, each)
    if last is None:
        return f"no impression{what} yet", _counted({"cooldownHours": hours, "hoursSinceLast": None}, each)
    since = ctx.now - last.at
    details = {"cooldownHours": hours, "hoursSinceLast": since_figure(since, hours, HOUR)}
    ago = elapsed_words(since, hours, HOUR, "hours")
    reason = f"last impression{what} was {ago}; cooldown is {number_words(hours)} hours"
    return (reason, details) if each is None else each.counted(reason, details)


def configured_outcomes(config: Any) -> str | list[str]:
    """An outcome rule's outcome(s) as written: `afterOutcome`, or the older `outcome`."""
    return config.afterOutcome if config.afterOutcome is not None else config.outcome  # type: ignore[no-any-return]


def outcomes_read(policy: Policy) -> list[str]:
    """The outcomes a policy looks for in the history (every rule but outcome rules reads
    impressions only)."""
    if policy.ruleType != "outcome_based":
        return [IMPRESSION]
    configured = configured_outcomes(policy.config)
    return [configured] if isinstance(configured, str) else list(configured)


def outcome_days(config: Any) -> float:
    """An outcome rule's period in days as written: `suppressForDays`, or the older `withinDays`."""
    days: float = config.suppressForDays if config.suppressForDays is not None else config.withinDays
    return days


def outcome_based(config: Any) -> Evaluator:
    configured = configured_outcomes(config)
    outcomes = [configured] if isinstance(configured, str) else list(configured)
    days = outcome_days(config)

    def evaluate(
        ctx: Context, cand: Candidate, scopes: Sequence[ScopeRef], each: Each | None = None
    ) -> Verdict:
        return _first_block([_since_outcome(ctx, cand, scope, each) for scope in scopes], "no such outcome")

    def _since_outcome(ctx: Context, cand: Candidate, scope: ScopeRef, each: Each | None) -> Verdict:
        found = [(s.last(), name) for name in outcomes if (s := _scoped(ctx, cand, scope, name, each))]
        if not found:
            return Verdict.said(False, None, _outcome_words, configured, outcomes, days, scope, None, each)
        last, name = max(found, key=lambda pair: pair[0].at if pair[0] else 0.0)
        assert last is not None
        since = ctx.now - last.at
        lifts = last.at + days * DAY
        words = (since, name)
        return Verdict.said(
            since < days * DAY, lifts, _outcome_words, configured, outcomes, days, scope, words, each
        )

    blank = {"afterOutcome": configured, "suppressForDays": days, "daysSince": None, "lastOutcome": None}
    return _counted_per(config, evaluate, blank)


def _outcome_words(
    configured: str | list[str],
    outcomes: list[str],
    days: float,
    scope: ScopeRef,
    last: tuple[float, str] | None,
    each: Each | None,
) -> tuple[str, dict[str, Any]]:
    """`last` is (seconds since, outcome name) of the latest such outcome, if any."""
    details: dict[str, Any] = {
        "afterOutcome": configured,
        "suppressForDays": days,
        "daysSince": None,
        "lastOutcome": None,
    }
    what = _what(scope, each)
    if last is None:
        return f"no {' / '.join(outcomes)}{what}", _counted(details, each)
    since, name = last
    details.update(daysSince=since_figure(since, days, DAY), lastOutcome=name)
    ago = elapsed_words(since, days, DAY, "days")
    reason = f"last {name}{what} was {ago}; suppressed for {number_words(days)} days after it"
    return (reason, details) if each is None else each.counted(reason, details, ",")


def _category_series(
    ctx: Context, cand: Candidate, config: Any, window: float | None = None
) -> tuple[Series, str] | None:
    """The impressions of the candidate's category that count (those a window of that length
    ending now can see), or None if the rule does not apply to the candidate."""
    category, sub = config.categoryId, config.subCategoryId
    since = None if window is None else ctx.now - window
    if category is None and sub is None:
        if cand.categoryId is None:
            return None
        own = cand.categoryId
        return ctx.history.series("impression", "categoryId", own, since=since), f"category {own}"
    if category is not None and cand.categoryId != category:
        return None
    if sub is not None and cand.subCategoryId != sub:
        return None
    if sub is None:
        return ctx.history.series("impression", "categoryId", category, since=since), f"category {category}"
    filters = (only("categoryId", (category,)),) if category is not None else ()
    return ctx.history.series("impression", "subCategoryId", sub, filters, since), f"sub-category {sub}"


def category_suppression(config: Any) -> Evaluator:
    period = config.suppressionDays * DAY

    def evaluate(ctx: Context, cand: Candidate, scopes: Sequence[ScopeRef]) -> Verdict:
        found = _category_series(ctx, cand, config, period + RECENCY_MARGIN)
        recent = _recent(ctx, found[0], period) if found is not None else None
        if found is None or recent is None:
            return Verdict.said(False, None, _rest_words, ctx, cand, config, None)
        return Verdict.said(True, recent.at + period, _rest_words, ctx, cand, config, (recent, found[1]))

    return evaluate


def _rest_words(
    ctx: Context, cand: Candidate, config: Any, recent: tuple[Event, str] | None
) -> tuple[str, dict[str, Any]]:
    """`recent` is the impression that blocks and what it is of; without it, the words look
    further back."""
    last: Event | None
    what: str | None
    if recent is not None:
        last, what = recent
    else:
        found = _category_series(ctx, cand, config)
        what = found[1] if found is not None else None
        last = found[0].last() if found is not None else None
    since = None if last is None else ctx.now - last.at
    details: dict[str, Any] = {
        "categoryId": config.categoryId,
        "subCategoryId": config.subCategoryId,
        "suppressionDays": config.suppressionDays,
        "daysSince": None,
        "triggeringOfferId": None,
    }
    if what is None:
        return "the candidate is not in the suppressed category", details
    if since is None or last is None:
        return f"no offer of {what} shown yet", details
    days = config.suppressionDays
    details.update(daysSince=since_figure(since, days, DAY), triggeringOfferId=last.interaction.offerId)
    ago = elapsed_words(since, days, DAY, "days")
    reason = (
        f"an offer of {what} ({last.interaction.offerId}) was shown {ago}; "
        f"the category rests {number_words(days)} days"
    )
    return reason, details


# -- period caps: cross_channel_cap, customer_total_cap, offer_category_cap ----------------
def _period_cap(series: Series, ctx: Context, cap: Cap, *what: str) -> Verdict:
    """`what` are the words naming what is counted, joined only if a sentence is asked for."""
    count, eligible = count_window(series, ctx.now, cap.seconds, cap.maximum)
    return Verdict.said(count >= cap.maximum, eligible, _period_words, cap, count, what)


def _period_words(cap: Cap, count: int, what: tuple[str, ...]) -> tuple[str, dict[str, Any]]:
    reason = (
        f"{plural(count, 'impression')} {' '.join(what)} {cap.in_words}; "
        f"cap is {number_words(cap.maximum)} {cap.per_words}"
    )
    return reason, {"periodType": cap.name, "count": count, "max": cap.maximum}


def cross_channel_cap(config: Any) -> Evaluator:
    """`maxTotal` over `periodType`, the older `maxContacts` over `windowDays`, or both (the
    first blocking one speaks, SPEC §2.1). An empty `appliesAcross` counts every channel, as
    an absent one does: the seed documents say "omit / empty = all channels"."""
    across = config.appliesAcross
    filters = (only("channelId", tuple(across)),) if across else ()
    channels = "on " + ", ".join(across) if across else "on all channels"
    caps = [_period(config.periodType or "weekly", config.maxTotal)] if config.maxTotal is not None else []
    caps += _days_window(config)
    widest = _widest(caps)
    single = caps[0] if len(caps) == 1 else None

    def evaluate(ctx: Context, cand: Candidate, scopes: Sequence[ScopeRef]) -> Verdict:
        since = None if widest is None else ctx.now - widest
        series = ctx.history.series("impression", "offerId", cand.offerId, filters, since)
        if single is not None:  # the common case, without a list of one
            return _period_cap(series, ctx, single, "of offer", cand.offerId, channels)
        results = [_period_cap(series, ctx, cap, "of offer", cand.offerId, channels) for cap in caps]
        return _first_block(results, "no cap applies")

    return evaluate


def customer_total_cap(config: Any) -> Evaluator:
    cap = _period(config.periodType or "weekly", config.maxTotal)

    def evaluate(ctx: Context, cand: Candidate, scopes: Sequence[ScopeRef]) -> Verdict:
        series = ctx.history.series(IMPRESSION)
        return _period_cap(series, ctx, cap, "across every offer and channel")

    return evaluate


def offer_category_cap(config: Any) -> Evaluator:
    cap = _period(config.periodType or "monthly", config.maxTotal)
    target = config.targetCategory

    def evaluate(ctx: Context, cand: Candidate, scopes: Sequence[ScopeRef]) -> Verdict:
        if cand.offerCategory != target:
            return Verdict.said(False, None, _outside_category_words, cap, target)
        since = None if cap.seconds is None else ctx.now - cap.seconds
        series = ctx.history.series("impression", "offerCategory", target, since=since)
        return _period_cap(series, ctx, cap, "in category", target)

    return evaluate


def _outside_category_words(cap: Cap, target: str) -> tuple[str, dict[str, Any]]:
    details = {"periodType": cap.name, "count": None, "max": cap.maximum}
    return f"the candidate is not in category {target}", details


# -- attribute rules: budget, segments, DNC, metric, mutual exclusion --------------------
def figure(value: object) -> float | None:
    """A metric or budget figure as a number, or None (missing) for anything else: a string,
    a boolean, NaN or an infinity (which a decoded dict may hold, and no JSON can carry back)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value if isinstance(value, int) or math.isfinite(value) else None


def budget_exhausted(config: Any) -> Evaluator:
    budget_field, threshold = config.budgetField, config.threshold

    def evaluate(ctx: Context, cand: Candidate, scopes: Sequence[ScopeRef]) -> Verdict:
        results: list[Verdict] = []
        for scope in scopes:
            key = cand.creativeId if scope.scope == "creative" else cand.offerId
            entry = ctx.request.budgets.get(key or "") or {}
            actual = figure(entry.get(budget_field))  # a missing figure does not block
            blocked = actual is not None and actual >= threshold
            results.append(Verdict.said(blocked, None, _budget_words, config, key, actual))
        return _first_block(results, "no budget figure")

    return evaluate


def _budget_words(config: Any, key: str | None, actual: float | None) -> tuple[str, dict[str, Any]]:
    details = {"budgetField": config.budgetField, "threshold": config.threshold, "actual": actual}
    if actual is None:
        return f"no {config.budgetField} figure for {key}", details
    used, budget = number_words(actual), number_words(config.threshold)
    return f"{key} has used {used} {config.budgetField}; the budget is {budget}", details


def segment_exclusion(config: Any) -> Evaluator:
    excluded = config.excludeSegments if config.excludeSegments is not None else [config.segmentId]

    def evaluate(ctx: Context, cand: Candidate, scopes: Sequence[ScopeRef]) -> Verdict:
        member = set(ctx.request.customer.segments)
        matched = next((s for s in excluded if s in member), None)
        return Verdict.said(matched is not None, None, _segment_words, excluded, matched)

    return evaluate


def _segment_words(excluded: list[str], matched: str | None) -> tuple[str, dict[str, Any]]:
    details = {"excludeSegments": list(excluded), "matchedSegment": matched}
    if matched is None:
        return "the customer is in none of the excluded segments", details
    return f"the customer is in segment {matched}", details


def do_not_contact(config: Any) -> Evaluator:
    source = config.dncSource

    def evaluate(ctx: Context, cand: Candidate, scopes: Sequence[ScopeRef]) -> Verdict:
        lists = ctx.request.customer.dnc
        listed = source in lists if source is not None else bool(lists)
        return Verdict.said(listed, None, _dnc_words, source, lists, listed)

    return evaluate


def _dnc_words(source: str | None, lists: list[str], listed: bool) -> tuple[str, dict[str, Any]]:
    details = {"dncSource": source, "dnc": list(lists)}
    if listed:
        names = source if source is not None else ", ".join(lists)
        return f"the customer is on do-not-contact list {names}", details
    where = f"list {source}" if source is not None else "any do-not-contact list"
    return f"the customer is not on {where}", details


OPERATORS: dict[str, tuple[str, Callable[[float, float], bool]]] = {
    "gt": (">", lambda a, b: a > b),
    "gte": (">=", lambda a, b: a >= b),
    "lt": ("<", lambda a, b: a < b),
    "lte": ("<=", lambda a, b: a <= b),
    "eq": ("=", lambda a, b: a == b),
}


def metric_condition(config: Any) -> Evaluator:
    return functools.partial(_metric_condition, config)


def _metric_condition(config: Any, ctx: Context, cand: Candidate, scopes: Sequence[ScopeRef]) -> Verdict:
    operator = config.operator or "gte"
    threshold = config.threshold if config.threshold is not None else 0
    number = figure(ctx.request.customer.metrics.get(config.metricId))
    blocked = number is not None and OPERATORS[operator][1](number, threshold)
    return Verdict.said(blocked, None, _metric_words, config, operator, threshold, number)


def _metric_words(
    config: Any, operator: str, threshold: float, value: float | None
) -> tuple[str, dict[str, Any]]:
    """`value` is None when the metric is missing or not a number (then it does not block)."""
    details: dict[str, Any] = {
        "metricId": config.metricId,
        "operator": operator,
        "threshold": threshold,
        "value": value,
    }
    if value is None:
        details["missing"] = True
        return f"metric {config.metricId} is missing, so it does not block", details
    sign, holds = OPERATORS[operator]
    verb = "is" if holds(value, threshold) else "is not"
    return (
        f"metric {config.metricId} is {number_words(value)}, which {verb} {sign} {number_words(threshold)}",
        details,
    )


def mutual_exclusion(config: Any) -> Evaluator:
    return functools.partial(_mutual_exclusion, config.excludeOfferIds)


def _mutual_exclusion(group: list[str], ctx: Context, cand: Candidate, scopes: Sequence[ScopeRef]) -> Verdict:
    if cand.offerId not in group:
        return Verdict.said(False, None, _exclusion_words, group, cand.offerId, None, None)
    for other in ctx.request.session.servedOfferIds:
        if other != cand.offerId and other in group:
            return Verdict.said(True, None, _exclusion_words, group, cand.offerId, other, SERVED)
    allowed = ctx.allowed_offers
    earlier = [(allowed[other], other) for other in group if other != cand.offerId and other in allowed]
    if earlier:
        return Verdict.said(True, None, _exclusion_words, group, cand.offerId, min(earlier)[1], ALLOWED)
    return Verdict.said(False, None, _exclusion_words, group, cand.offerId, None, "")


SERVED = "was served in this session"
ALLOWED = "was allowed earlier in this request"


def _exclusion_words(
    group: list[str], offer: str, conflict: str | None, source: str | None
) -> tuple[str, dict[str, Any]]:
    details: dict[str, Any] = {"offerGroup": list(group), "conflictingOfferId": conflict}
    if source is None:
        return "the offer is not in the group", details
    if conflict is None:
        return "no other offer of the group was served or allowed", details
    return f"offer {conflict} of the same exclusive group {source}", details


def allow_override(config: Any) -> Evaluator:
    reason = config.reason
    said = f"override: {reason}" if reason else "override"
    return lambda ctx, cand, scopes: Verdict(False, said, {"reason": reason})


# -- time_window --------------------------------------------------------------------------
class LocalClock(NamedTuple):
    """What a time window reads of a local time: the weekday (0 is Sunday), hour and minute."""

    weekday: int
    hour: int
    minute: int


def local_clock(epoch: float, tz: ZoneInfo) -> LocalClock:
    """The local weekday and time of an instant; near either end of the calendar, where the
    local date may lie outside years 1 to 9999, from the zone's offset there."""
    try:
        local = datetime.fromtimestamp(epoch, tz)
    except (OverflowError, ValueError, OSError):
        return _clock_of(epoch + utc_offset_at_edge(epoch, tz))
    return LocalClock(local.isoweekday() % 7, local.hour, local.minute)


def _clock_of(local_seconds: float) -> LocalClock:
    """The clock of a local time given in seconds since 1970-01-01T00:00 local (a Thursday)."""
    day, rest = divmod(local_seconds, DAY)
    return LocalClock(int(day + 4) % 7, int(rest // HOUR), int(rest % HOUR // 60))


def _open_hour(hour: int, start: int | None, end: int | None) -> bool:
    low = 0 if start is None else start
    high = 24 if end is None else end
    if low == high:
        return False
    if low < high:
        return low <= hour < high
    return hour >= low or hour < high  # wraps past midnight


def is_open(local: LocalClock, config: Any) -> bool:
    day_ok = config.daysOfWeek is None or local.weekday in config.daysOfWeek
    return day_ok and _open_hour(local.hour, config.startHour, config.endHour)


def next_opening(now: float, tz: ZoneInfo, config: Any) -> float | None:
    """The first whole minute after now when the window is open, within 15 days.

    Openness only changes at the start of a local hour, so the candidates are local
    hour starts; converting a local time that a spring-forward gap skips lands on the
    first existing instant after it, which is what SPEC §2.1 asks for. Near the ends of
    the calendar, where `datetime` cannot hold every local time, the zone's offset there
    is used instead.
    """
    try:
        return _next_opening(now, tz, config)
    except (OverflowError, ValueError, OSError):
        return _next_opening_at_edge(now, utc_offset_at_edge(now, tz), config)


def _next_opening(now: float, tz: ZoneInfo, config: Any) -> float | None:
    start_day = datetime.fromtimestamp(now, tz).date()
    for offset in range(16):
        day = start_day + timedelta(days=offset)
        if config.daysOfWeek is not None and (day.isoweekday() % 7) not in config.daysOfWeek:
            continue
        for hour in range(24):
            if not _open_hour(hour, config.startHour, config.endHour):
                continue
            instant = datetime(day.year, day.month, day.day, hour, tzinfo=tz).timestamp()
            if instant <= now:
                continue
            if instant - now > TIME_WINDOW_HORIZON:
                return None
            if is_open(local_clock(instant, tz), config):
                return instant
    return None


def _next_opening_at_edge(now: float, offset: float, config: Any) -> float | None:
    """`next_opening` for a zone of one fixed offset, in plain arithmetic."""
    first_day = (now + offset) // DAY
    for step in range(16):
        day = first_day + step
        if config.daysOfWeek is not None and int(day + 4) % 7 not in config.daysOfWeek:
            continue
        for hour in range(24):
            if not _open_hour(hour, config.startHour, config.endHour):
                continue
            instant = day * DAY + hour * HOUR - offset
            if instant <= now:
                continue
            return instant if instant - now <= TIME_WINDOW_HORIZON else None
    return None


def time_window(config: Any) -> Evaluator:
    return functools.partial(_time_window, config)


def _time_window(config: Any, ctx: Context, cand: Candidate, scopes: Sequence[ScopeRef]) -> Verdict:
    tz = zone(config.timezone) or ctx.customer_zone or UTC_ZONE
    local = local_clock(ctx.now, tz)
    if is_open(local, config):
        return Verdict.said(False, None, _window_words, config, tz, local, False, None)
    opening = next_opening(ctx.now, tz, config)
    return Verdict.said(True, opening, _window_words, config, tz, local, True, opening)


def _window_words(
    config: Any, tz: ZoneInfo, local: LocalClock, blocked: bool, opening: float | None
) -> tuple[str, dict[str, Any]]:
    details = {
        "allowedDays": list(config.daysOfWeek) if config.daysOfWeek is not None else None,
        "currentDay": local.weekday,
        "startHour": config.startHour,
        "endHour": config.endHour,
        "currentHour": local.hour,
        "timezone": tz.key,
    }
    when = f"it is {WEEKDAY_NAMES[local.weekday]} {local.hour:02d}:{local.minute:02d} in {tz.key}"
    if not blocked:
        return f"{when}, inside the allowed window", details
    later = ""
    if opening is not None and opening <= LAST_INSTANT:  # later ones: the Verdict says so
        later = f"; it opens at {format_instant(opening)}"
    return f"{when}, outside the allowed window{later}", details


EVALUATORS: dict[str, Callable[[Any], Evaluator]] = {
    "frequency_cap": frequency_cap,
    "cooldown": cooldown,
    "budget_exhausted": budget_exhausted,
    "outcome_based": outcome_based,
    "segment_exclusion": segment_exclusion,
    "time_window": time_window,
    "mutual_exclusion": mutual_exclusion,
    "cross_channel_cap": cross_channel_cap,
    "customer_total_cap": customer_total_cap,
    "offer_category_cap": offer_category_cap,
    "allow_override": allow_override,
    "category_suppression": category_suppression,
    "do_not_contact": do_not_contact,
    "metric_condition": metric_condition,
}


def evaluator_for(policy: Policy) -> Evaluator:
    return EVALUATORS[policy.ruleType](policy.config)
