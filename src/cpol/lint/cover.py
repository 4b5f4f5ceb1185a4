"""When one policy blocks whenever another does: the relation behind dead_rule and overlap.

`dominates(a, b, key)` holds when, for every candidate matched through `b`'s scope `key`,
`a` applies too and blocks whenever `b` blocks, for at least as long (its `eligibleAt` is
never earlier), and nothing lifts `a` that does not lift `b` as well. It never guesses: a
case it cannot prove (different time zones, another `per` dimension) is False.
Caps are compared cap by cap in `checks/dominance.py` with the counters of `model.py`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from cpol.lint.model import (
    ScopeKey,
    View,
    counted_per,
    covers_scope,
    lifts_no_more,
    outcome_days,
    per_keeps,
)

HOURS = range(24)


def open_hours(start: int | None, end: int | None) -> frozenset[int]:
    """The local hours a time window is open (SPEC §2.1 "Time windows")."""
    low = 0 if start is None else start
    high = 24 if end is None else end
    if low == high:
        return frozenset()
    if low < high:
        return frozenset(range(low, high))
    return frozenset(hour for hour in HOURS if hour >= low or hour < high)


def open_cells(config: Any) -> frozenset[tuple[int, int]]:
    """(day of week, hour) pairs when the window is open; days are tested independently."""
    days = None if config.daysOfWeek is None else tuple(sorted(set(config.daysOfWeek)))
    return _cells(config.startHour, config.endHour, days)


@functools.lru_cache(maxsize=1024)
def _cells(start: int | None, end: int | None, days: tuple[int, ...] | None) -> frozenset[tuple[int, int]]:
    hours = open_hours(start, end)
    return frozenset((day, hour) for day in (range(7) if days is None else days) for hour in hours)


Interval = tuple[float, bool, float, bool]
"""(low, low included, high, high included) on the real line."""

INF = float("inf")


def metric_region(config: Any) -> Interval:
    """The metric values for which metric_condition blocks."""
    threshold = float(config.threshold if config.threshold is not None else 0)
    operator = config.operator or "gte"
    return {
        "gt": (threshold, False, INF, False),
        "gte": (threshold, True, INF, False),
        "lt": (-INF, False, threshold, False),
        "lte": (-INF, False, threshold, True),
        "eq": (threshold, True, threshold, True),
    }[operator]


def interval_contains(outer: Interval, inner: Interval) -> bool:
    lo, lo_in, hi, hi_in = outer
    ilo, ilo_in, ihi, ihi_in = inner
    low_ok = lo < ilo or (lo == ilo and (lo_in or not ilo_in))
    high_ok = hi > ihi or (hi == ihi and (hi_in or not ihi_in))
    return low_ok and high_ok


def _category_contains(a: Any, b: Any) -> bool:
    """`a` rests every candidate `b` rests, counting a superset of its impressions."""
    if a.categoryId is not None and a.categoryId != b.categoryId:
        return False
    if a.subCategoryId is not None and a.subCategoryId != b.subCategoryId:
        return False
    # neither set: the candidate's own category, which contains b's impressions only when b
    # is tied to a category (b with only a sub-category counts it across categories)
    return not (a.categoryId is None and a.subCategoryId is None and b.categoryId is None and b.subCategoryId)


def _budget(a: View, b: View, key: ScopeKey) -> bool:
    """Same figure, lower threshold, read from the same budget entry (creative vs offer)."""
    ca, cb = a.config, b.config
    if ca.budgetField != cb.budgetField or ca.threshold > cb.threshold:
        return False
    return key in a.scopes or (a.is_global and key[0] != "creative")


ViewCheck = Callable[[View, View], bool]

CONFIG_DOMINANCE: dict[str, ViewCheck] = {
    "cooldown": lambda a, b: a.config.cooldownHours >= b.config.cooldownHours,
    "outcome_based": lambda a, b: a.members >= b.members and outcome_days(a.config) >= outcome_days(b.config),
    "segment_exclusion": lambda a, b: a.members >= b.members,
    "do_not_contact": lambda a, b: a.config.dncSource is None or a.config.dncSource == b.config.dncSource,
    "metric_condition": lambda a, b: (
        a.config.metricId == b.config.metricId
        and interval_contains(metric_region(a.config), metric_region(b.config))
    ),
    "time_window": lambda a, b: (
        a.config.timezone == b.config.timezone and open_cells(a.config) <= open_cells(b.config)
    ),
    "mutual_exclusion": lambda a, b: a.members >= b.members,
    "category_suppression": lambda a, b: (
        _category_contains(a.config, b.config) and a.config.suppressionDays >= b.config.suppressionDays
    ),
    "allow_override": lambda a, b: True,
}
"""Per rule type (caps aside): `a`'s config blocks whenever `b`'s does, at least as long."""


def dominates(a: View, b: View, key: ScopeKey) -> bool:
    """`a` makes `b` redundant for the candidates of `b`'s scope `key` (same rule type)."""
    if a.rule != b.rule or not lifts_no_more(a, b):
        return False
    if a.rule == "budget_exhausted":
        return _budget(a, b, key)
    check = CONFIG_DOMINANCE.get(a.rule)
    if check is None or not covers_scope(a, key):
        return False
    # a cooldown or outcome rule `for each` dimension looks at fewer interactions than one without
    return per_keeps(counted_per(a, key), counted_per(b, key)) and check(a, b)


def equivalent(a: View, b: View) -> bool:
    """Each makes the other redundant everywhere: the same thing said twice."""
    return all(dominates(a, b, key) for key in b.scopes) and all(dominates(b, a, key) for key in a.scopes)
