"""What the checks need to know about each policy, computed once, and an index to find the
policies that can interact with a given one without comparing every pair of the set.

A `View` holds a policy's evaluation facts (active, bypassable, skipped for mandatory
offers, priority, scopes) as the engine computes them (SPEC §2.1), and its caps normalised
to (window, limit) pairs. The `Index` files active policies under (ruleType, scope); the
global scope has a bucket of its own that every lookup includes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, NamedTuple

from cpol.plan import Policy
from cpol.plan.base import Loc
from cpol.plan.models import DEFAULT_PRIORITY
from cpol.policyset import Located
from cpol.runtime.engine import MANDATORY_RULES

DAY = Fraction(86400)

ScopeKey = tuple[str, str | None]
"""`("global", None)` or `(kind, scopeId)`."""
GLOBAL: ScopeKey = ("global", None)

CAP_RULES = frozenset({"frequency_cap", "cross_channel_cap", "customer_total_cap", "offer_category_cap"})
PERIODS: dict[str, tuple[Fraction | None, str]] = {
    "daily": (DAY, "per day"),
    "weekly": (7 * DAY, "per week"),
    "monthly": (30 * DAY, "per month"),
    "alltime": (None, "in total"),
}
DEFAULT_PERIOD = {"cross_channel_cap": "weekly", "customer_total_cap": "weekly", "offer_category_cap": "monthly"}
FREQUENCY_KEYS: tuple[tuple[str, str], ...] = (
    ("maxPerDay", "daily"),
    ("maxPerWeek", "weekly"),
    ("maxPerMonth", "monthly"),
    ("maxTotal", "alltime"),
)


def number(value: float) -> str:
    """`3`, `2.5`: numbers as a user wrote them."""
    return f"{value:g}"


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
    window: Fraction | None
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
    `("category", offerCategory)`.
    """

    base: tuple[Any, ...]
    filter: CampaignFilter | None = None


def _frequency_caps(config: Any) -> list[Cap]:
    caps = []
    for key, period in FREQUENCY_KEYS:
        value = getattr(config, key)
        if value is not None:
            window, per = PERIODS[period]
            caps.append(Cap(key, value, math.ceil(value), window, f"{number(value)} {per}"))
    if config.maxContacts is not None and config.windowDays is not None:
        days = config.windowDays
        value = config.maxContacts
        label = f"{number(value)} per {number(days)} days"
        caps.append(Cap("maxContacts", value, math.ceil(value), Fraction(days) * DAY, label))
    return caps


def caps_of(policy: Policy) -> tuple[Cap, ...]:
    """The caps of a cap rule, in the order the engine reports them; () for other rules."""
    config: Any = policy.config
    if policy.ruleType == "frequency_cap":
        return tuple(_frequency_caps(config))
    if policy.ruleType in DEFAULT_PERIOD:
        period = config.periodType or DEFAULT_PERIOD[policy.ruleType]
        window, per = PERIODS[period]
        value = config.maxTotal
        return (Cap("maxTotal", value, math.ceil(value), window, f"{number(value)} {per}"),)
    return ()


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
    contradictory: bool = False
    """Set by the contradiction checks: such a policy takes no part in pairwise checks."""

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
    def is_global(self) -> bool:
        return GLOBAL in self.scopes

    @property
    def scope_set(self) -> frozenset[ScopeKey]:
        """The scopes as a set; a global scope makes the others irrelevant."""
        return frozenset({GLOBAL}) if self.is_global else frozenset(self.scopes)

    @property
    def usable(self) -> bool:
        """Takes part in pairwise checks: active and not already reported as contradictory."""
        return self.active and not self.contradictory

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
    ta, tb = a.policy.tenantId, b.policy.tenantId
    return ta is None or tb is None or ta == tb


def covers_scope(outer: View, key: ScopeKey) -> bool:
    """Every candidate of scope `key` is in one of `outer`'s scopes."""
    return outer.is_global or (key != GLOBAL and key in outer.scopes)


def covers_scopes(outer: View, inner: View) -> bool:
    return all(covers_scope(outer, key) for key in inner.scopes)


def surely_meet(a: View, b: View) -> bool:
    """Some candidate is certainly in scope of both: a shared scope, or one of them global."""
    return a.is_global or b.is_global or not a.scope_set.isdisjoint(b.scope_set)


def may_meet(a: View, b: View) -> bool:
    """Some candidate may be in scope of both (two ids of the same kind never meet)."""
    for x in a.scopes:
        for y in b.scopes:
            if x == GLOBAL or y == GLOBAL or x[0] != y[0] or x == y:
                return True
    return False


def lifts_no_more(a: View, b: View) -> bool:
    """Whatever skips `a` (an override, a mandatory offer) also skips `b` (SPEC §1)."""
    return (b.bypassable or not a.bypassable) and (b.mandatory_skips or not a.mandatory_skips)


def own_counter(view: View, key: ScopeKey) -> Counter:
    """What `view`'s caps count for a candidate matched through its scope `key`."""
    config = view.config
    if view.rule == "frequency_cap":
        base: tuple[Any, ...] = ("all",) if key == GLOBAL else ("scope", *key)
        return Counter(base, view.campaign_filter())
    if view.rule == "cross_channel_cap":
        across = frozenset(config.appliesAcross) if config.appliesAcross is not None else None
        return Counter(("offer", across))
    if view.rule == "offer_category_cap":
        return Counter(("category", config.targetCategory))
    return Counter(("all",))


def counters(view: View, key: ScopeKey) -> list[Counter]:
    """What `view`'s caps count for every candidate of scope `key` (empty: not all of them)."""
    if view.rule == "frequency_cap":
        return [own_counter(view, own) for own in view.scopes if own == GLOBAL or own == key]
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
    if not filter_contains(outer.filter, inner.filter):
        return False
    if outer.base == ("all",) or outer.base == inner.base:
        return True
    if outer.base[0] == "offer" and inner.base[0] == "offer":
        wide, narrow = outer.base[1], inner.base[1]
        return wide is None or (narrow is not None and narrow <= wide)
    return False


def window_covers(outer: Fraction | None, inner: Fraction | None) -> bool:
    return outer is None or (inner is not None and outer >= inner)


class Index:
    """Active, usable policies by (ruleType, scope), to find the ones a policy can meet."""

    def __init__(self, views: Iterable[View]) -> None:
        self.buckets: dict[tuple[str, ScopeKey], list[View]] = {}
        self.by_rule: dict[str, list[View]] = {}
        for view in views:
            if not view.usable:
                continue
            self.by_rule.setdefault(view.rule, []).append(view)
            for key in view.scope_set:
                self.buckets.setdefault((view.rule, key), []).append(view)

    def rule(self, rule: str) -> list[View]:
        return self.by_rule.get(rule, [])

    def around(self, view: View, rules: Sequence[str]) -> Iterator[View]:
        """Usable policies of `rules` sharing a scope with `view` or global, in set order."""
        keys = {GLOBAL} if view.is_global else {GLOBAL, *view.scopes}
        found: dict[int, View] = {}
        for rule in rules:
            for key in keys:
                for other in self.buckets.get((rule, key), ()):
                    if other is not view and compatible(view, other):
                        found[other.index] = other
        return iter(sorted(found.values(), key=lambda other: other.index))

    def covering(self, view: View, rules: Sequence[str]) -> Iterator[View]:
        """Usable policies of `rules` whose scopes contain all of `view`'s (candidates only).

        A global `view` is covered only by global policies, so it looks in the global bucket.
        """
        for other in self.around(view, rules):
            if covers_scopes(other, view):
                yield other
