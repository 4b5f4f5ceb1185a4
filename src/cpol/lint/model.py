"""What the checks need to know about each policy, computed once, and an index to find the
policies that can interact with a given one without comparing every pair of the set.

A `View` holds a policy's evaluation facts (active, bypassable, skipped for mandatory
offers, priority, scopes) as the engine computes them (SPEC §2.1), and its caps normalised
to (window, limit) pairs. The `Index` files active policies under (ruleType, scope); the
global scope has a bucket of its own that every lookup includes.
"""

from __future__ import annotations

import heapq
import json
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, NamedTuple

from cpol.plan import FrequencyWindow, Policy
from cpol.plan.base import Loc
from cpol.plan.models import DEFAULT_PRIORITY
from cpol.policyset import Located
from cpol.runtime.engine import MANDATORY_RULES
from cpol.runtime.rules import FREQUENCY_PERIODS
from cpol.runtime.verdict import number_words

DAY = 86400.0

ScopeKey = tuple[str, str | None]
"""`("global", None)` or `(kind, scopeId)`."""
GLOBAL: ScopeKey = ("global", None)

PERIODS: dict[str, tuple[float | None, str]] = {
    "daily": (DAY, "per day"),
    "weekly": (7 * DAY, "per week"),
    "monthly": (30 * DAY, "per month"),
    "alltime": (None, "in total"),
}
DEFAULT_PERIOD = {
    "cross_channel_cap": "weekly",
    "customer_total_cap": "weekly",
    "offer_category_cap": "monthly",
}


def number(value: float) -> str:
    """`3`, `2.5`, `87660000`: numbers as a user wrote them, never rounded to six digits
    (`:g` wrote a 10,000-year cooldown as "8.766e+07 hours"); a figure computed from one
    (a window in days) is rounded to nine decimals first, so float noise does not show."""
    return number_words(round(value, 9) if isinstance(value, float) else value)


def quoted(name: str) -> str:
    return f'"{name}"'


class Cap(NamedTuple):
    """One limit of a cap rule: blocks when the count over `window` reaches `limit`.

    `limit` is the configured maximum rounded up (a count is a whole number, so `count ≥ 2.5`
    is `count ≥ 3`); `window` is in seconds, None for all time.
    """

    key: str
    value: float
    limit: int
    window: float | None
    label: str

    @property
    def loc(self) -> Loc:
        return ("config", self.key)


class CampaignFilter(NamedTuple):
    """frequency_cap's withinCampaignId / excludeCampaignIds."""

    within: str | None
    exclude: frozenset[str] | None


class Counter(NamedTuple):
    """Which impressions a cap counts, for a candidate of a given scope.

    `base` is `("all",)` (every impression), `("scope", kind, id)` (the impressions of that
    scope), `("offer", channels | None)` (the candidate's offer, on those channels) or
    `("category", offerCategory)`. `per` (SPEC §1.1) keeps only the impressions sharing that
    field's value with the candidate; None when the scope already fixes that value.
    """

    base: tuple[Any, ...]
    filter: CampaignFilter | None = None
    per: str | None = None


def _cap(key: str, value: float, window: float | None, unit: str) -> Cap:
    """`unit` ends the label: `per week`, `in total`, `per 14 days`."""
    return Cap(key, value, math.ceil(value), window, f"{number(value)} {unit}")


def _period_cap(key: str, value: float, period: str) -> Cap:
    window, unit = PERIODS[period]
    return _cap(key, value, window, unit)


def _window_cap(config: Any) -> list[Cap]:
    """The older documents' `{maxContacts, windowDays}`: maxContacts over windowDays × 24 h
    (frequency_cap and cross_channel_cap, beside their newer keys)."""
    if not isinstance(config, FrequencyWindow) or config.maxContacts is None or config.windowDays is None:
        return []
    days = config.windowDays
    unit = f"per {number(days)} day{'' if days == 1 else 's'}"
    return [_cap("maxContacts", config.maxContacts, days * DAY, unit)]


def caps_of(policy: Policy) -> tuple[Cap, ...]:
    """The caps of a cap rule, in the order the engine reports them; () for other rules."""
    config: Any = policy.config
    if policy.ruleType == "frequency_cap":
        keyed = [(key, getattr(config, key), period) for key, period in FREQUENCY_PERIODS]
    elif policy.ruleType in DEFAULT_PERIOD:
        keyed = [("maxTotal", config.maxTotal, config.periodType or DEFAULT_PERIOD[policy.ruleType])]
    else:
        return ()
    periods = [_period_cap(key, value, period) for key, value, period in keyed if value is not None]
    return (*periods, *_window_cap(config))


def outcomes_of(config: Any) -> list[str]:
    """outcome_based's outcomes: afterOutcome, else the older `outcome` (SPEC §2.1)."""
    value = config.afterOutcome if config.afterOutcome is not None else config.outcome
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def outcome_days(config: Any) -> float:
    days = config.suppressForDays if config.suppressForDays is not None else config.withinDays
    return float(days)


def segments_of(config: Any) -> list[str]:
    if config.excludeSegments is not None:
        return list(config.excludeSegments)
    return [config.segmentId] if config.segmentId is not None else []


def scope_key(scope: str, scope_id: str | None) -> ScopeKey:
    return GLOBAL if scope == "global" else (scope, scope_id)


def describe_scope(key: ScopeKey) -> str:
    return "global" if key == GLOBAL else f"{key[0]} {key[1]}"


@dataclass(eq=False)
class View:
    """A policy of the set with the facts every check reads."""

    index: int
    located: Located
    active: bool
    bypassable: bool
    mandatory_skips: bool
    priority: int
    scopes: tuple[ScopeKey, ...]
    caps: tuple[Cap, ...]
    tenant: str | None
    broken: bool = False
    """Already reported as blocking everything (a contradiction) or nothing (a duration of 0,
    a scope that misses its rule): such a policy takes no part in the pairwise checks."""

    @classmethod
    def of(cls, index: int, located: Located) -> View:
        policy = located.policy
        bypassable = policy.ruleType != "do_not_contact" and policy.config.bypassable is not False
        scopes = tuple(dict.fromkeys(scope_key(s.scope, s.scopeId) for s in policy.effective_scopes))
        return cls(
            index=index,
            located=located,
            active=(policy.status or "active") == "active" and policy.deletedAt is None,
            bypassable=bypassable,
            mandatory_skips=bypassable and policy.ruleType not in MANDATORY_RULES,
            priority=policy.priority if policy.priority is not None else DEFAULT_PRIORITY,
            scopes=scopes,
            caps=caps_of(policy),
            tenant=policy.tenantId,
        )

    @property
    def policy(self) -> Policy:
        return self.located.policy

    @property
    def rule(self) -> str:
        return self.policy.ruleType

    @property
    def config(self) -> Any:
        return self.policy.config

    @property
    def name(self) -> str:
        return quoted(self.policy.name)

    @property
    def per(self) -> str | None:
        """The dimension this policy counts by (SPEC §1.1), on the rules that accept one."""
        per: str | None = getattr(self.config, "per", None)
        return per

    @property
    def is_global(self) -> bool:
        return GLOBAL in self.scopes

    @property
    def scope_set(self) -> frozenset[ScopeKey]:
        """The scopes as a set; a global scope makes the others irrelevant."""
        return frozenset({GLOBAL}) if self.is_global else frozenset(self.scopes)

    @property
    def usable(self) -> bool:
        """Takes part in pairwise checks: active and not already reported as broken."""
        return self.active and not self.broken

    @property
    def where(self) -> str:
        """`on channel ch_email`, `on offer a, offer b`, `globally`."""
        if self.is_global:
            return "globally"
        return "on " + ", ".join(describe_scope(key) for key in self.scopes)

    def scope_loc(self, key: ScopeKey) -> Loc:
        """Where a scope is written: its `scopes` entry, else scope/scopeId."""
        policy = self.policy
        if policy.scopes:
            for position, ref in enumerate(policy.scopes):
                if scope_key(ref.scope, ref.scopeId) == key:
                    return ("scopes", position)
            return ("scopes",)
        return ("scope",) if key == GLOBAL else ("scopeId",)

    @cached_property
    def members(self) -> frozenset[str]:
        """The names a rule lists: outcomes, segments, or the offers of an exclusion group."""
        if self.rule == "outcome_based":
            return frozenset(outcomes_of(self.config))
        if self.rule == "segment_exclusion":
            return frozenset(segments_of(self.config))
        if self.rule == "mutual_exclusion":
            return frozenset(self.config.excludeOfferIds)
        return frozenset()

    def counters(self, key: ScopeKey) -> list[Counter]:
        """What this policy's caps count for every candidate of scope `key` (memoised)."""
        found = self._counters.get(key)
        if found is None:
            found = self._counters[key] = counters(self, key)
        return found

    @cached_property
    def _counters(self) -> dict[ScopeKey, list[Counter]]:
        return {}

    @cached_property
    def signature(self) -> str:
        """Equal for policies that behave the same everywhere: same rule, config, scopes,
        tenant and lifting (names, priorities, descriptions and ids aside)."""
        config = self.config.model_dump()
        config.pop("bypassable", None)
        facts = [self.rule, sorted(self.scope_set, key=str), self.bypassable, self.policy.tenantId, config]
        return json.dumps(facts, sort_keys=True, default=str)

    def campaign_filter(self) -> CampaignFilter | None:
        if self.rule != "frequency_cap":
            return None
        within = self.config.withinCampaignId
        excluded = self.config.excludeCampaignIds
        if within is None and excluded is None:
            return None
        return CampaignFilter(within, frozenset(excluded) if excluded is not None else None)


def compatible(a: View, b: View) -> bool:
    """Policies of different tenants never meet the same customer."""
    ta, tb = a.tenant, b.tenant
    return ta is None or tb is None or ta == tb


def covers_scope(outer: View, key: ScopeKey) -> bool:
    """Every candidate of scope `key` is in one of `outer`'s scopes."""
    return outer.is_global or (key != GLOBAL and key in outer.scopes)


def covers_scopes(outer: View, inner: View) -> bool:
    return all(covers_scope(outer, key) for key in inner.scopes)


def may_meet(a: View, b: View) -> bool:
    """Some candidate may be in scope of both (two ids of the same kind never meet)."""
    for x in a.scopes:
        for y in b.scopes:
            if GLOBAL in (x, y) or x[0] != y[0] or x == y:
                return True
    return False


def lifts_no_more(a: View, b: View) -> bool:
    """Whatever skips `a` (an override, a mandatory offer) also skips `b` (SPEC §1)."""
    return (b.bypassable or not a.bypassable) and (b.mandatory_skips or not a.mandatory_skips)


def counted_per(view: View, key: ScopeKey) -> str | None:
    """`view`'s `per` for the candidates of scope `key`, None when that scope already fixes
    the value counted by (per offer, for the candidates of offer o, counts offer o)."""
    per = view.per
    return None if per == key[0] else per


def per_keeps(outer: str | None, inner: str | None) -> bool:
    """Counting per `outer` keeps every interaction counting per `inner` keeps: the same
    dimension or none (one candidate's offer is among all offers, not the converse)."""
    return outer is None or outer == inner


def _counter(view: View, own: ScopeKey, key: ScopeKey) -> Counter:
    """What `view`'s caps count for a candidate of scope `key` matched through its scope `own`."""
    config = view.config
    if view.rule == "frequency_cap":
        counted = key if view.per == key[0] else own
        base: tuple[Any, ...] = ("all",) if counted == GLOBAL else ("scope", *counted)
        return Counter(base, view.campaign_filter(), counted_per(view, key))
    if view.rule == "cross_channel_cap":
        # no appliesAcross, or an empty one, means every channel
        across = frozenset(config.appliesAcross) if config.appliesAcross else None
        return Counter(("offer", across))
    if view.rule == "offer_category_cap":
        return Counter(("category", config.targetCategory))
    return Counter(("all",))


def own_counter(view: View, key: ScopeKey) -> Counter:
    """What `view`'s caps count for a candidate matched through its scope `key`."""
    return _counter(view, key, key)


def counters(view: View, key: ScopeKey) -> list[Counter]:
    """What `view`'s caps count for every candidate of scope `key` (empty: not all of them)."""
    if view.rule == "frequency_cap":
        return [_counter(view, own, key) for own in view.scopes if own in (GLOBAL, key)]
    return [own_counter(view, key)] if covers_scope(view, key) else []


def filter_contains(outer: CampaignFilter | None, inner: CampaignFilter | None) -> bool:
    """Every interaction `inner` keeps, `outer` keeps too."""
    if outer is None:
        return True
    if inner is None:
        return False
    if outer.within is not None and outer.within != inner.within:
        return False
    return outer.exclude is None or (inner.exclude is not None and outer.exclude <= inner.exclude)


def counter_contains(outer: Counter, inner: Counter) -> bool:
    """`outer` counts every impression `inner` counts, for any candidate both apply to."""
    if not filter_contains(outer.filter, inner.filter) or not per_keeps(outer.per, inner.per):
        return False
    if outer.base == ("all",) or outer.base == inner.base:
        return True
    if outer.base[0] == "offer" and inner.base[0] == "offer":
        wide, narrow = outer.base[1], inner.base[1]
        return wide is None or (narrow is not None and narrow <= wide)
    return False


def window_covers(outer: float | None, inner: float | None) -> bool:
    return outer is None or (inner is not None and outer >= inner)


class Index:
    """Active, usable policies by (ruleType, scope), to find the ones a policy can meet."""

    def __init__(self, views: Iterable[View]) -> None:
        self.buckets: dict[tuple[str, ScopeKey], list[View]] = {}
        self.by_rule: dict[str, list[View]] = {}
        self.by_member: dict[tuple[str, str], list[View]] = {}
        for view in views:
            if not view.usable:
                continue
            self.by_rule.setdefault(view.rule, []).append(view)
            for key in view.scope_set:
                self.buckets.setdefault((view.rule, key), []).append(view)
            for member in view.members:
                self.by_member.setdefault((view.rule, member), []).append(view)

    def listing_all(self, view: View) -> list[View]:
        """Usable policies of `view`'s rule whose members (outcomes, segments, offers of a
        group) include all of `view`'s, found from its rarest member."""
        pools = [self.by_member.get((view.rule, member), []) for member in view.members]
        if not pools:
            return []
        rarest = min(pools, key=len)
        return [
            other
            for other in rarest
            if other is not view and other.members >= view.members and compatible(view, other)
        ]

    def rule(self, rule: str) -> list[View]:
        return self.by_rule.get(rule, [])

    def around(self, view: View, rules: Sequence[str]) -> Iterator[View]:
        """Usable policies of `rules` that can apply to some candidate of `view`'s scopes:
        those sharing one of its scopes, or global (all of them when `view` is global)."""
        if view.is_global:
            return self._merged(view, [self.by_rule.get(rule, []) for rule in rules])
        keys = (GLOBAL, *view.scopes)
        return self._merged(view, [self.buckets.get((rule, key), []) for rule in rules for key in keys])

    def covering(self, view: View, rules: Sequence[str]) -> Iterator[View]:
        """Usable policies of `rules` that may contain every scope of `view`: those sharing
        one of its scopes, or global (only global ones when `view` is global)."""
        keys = (GLOBAL,) if view.is_global else (GLOBAL, *view.scopes)
        return self._merged(view, [self.buckets.get((rule, key), []) for rule in rules for key in keys])

    @staticmethod
    def _merged(view: View, buckets: list[list[View]]) -> Iterator[View]:
        """The policies of the buckets (each in set order) in set order, once each, lazily,
        without `view` and without other tenants' policies."""
        pools = [bucket for bucket in buckets if bucket]
        merged: Iterable[View] = pools[0] if len(pools) == 1 else heapq.merge(*pools, key=_position)
        tenant = view.tenant
        last = -1
        for other in merged:
            if other.index == last or other is view:
                continue
            last = other.index
            if tenant is None or other.tenant is None or other.tenant == tenant:
                yield other


def _position(view: View) -> int:
    return view.index
