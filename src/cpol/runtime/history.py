"""The customer's interaction history, indexed once per request.

Every check is then a dictionary lookup plus a binary search over timestamps sorted
ascending, instead of a scan of the whole history per policy and candidate.
"""

from __future__ import annotations

import bisect
import functools
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from cpol.runtime.request import Interaction

#: Candidate/interaction field that a policy scope kind narrows counting to.
SCOPE_FIELDS: dict[str, str | None] = {
    "global": None,
    "offer": "offerId",
    "creative": "creativeId",
    "channel": "channelId",
    "category": "categoryId",
    "subcategory": "subCategoryId",
}
IMPRESSION = "impression"
#: Values of one field looked up by a scan each before the whole field is indexed at once:
#: a scan costs about a third of indexing, and most fields are asked for one or two values.
SCANS_BEFORE_INDEX = 2


class Event(NamedTuple):
    """An interaction with its instant in epoch seconds."""

    at: float
    interaction: Interaction


@dataclass(frozen=True, slots=True)
class Only:
    """Keeps the interactions whose `field` is one of `values` (with `exclude`: is none of
    them, a missing value included). Hashable, so a filtered history is built once."""

    field: str
    values: frozenset[str]
    exclude: bool = False

    def keeps(self, value: str | None) -> bool:
        if self.exclude:
            return value is None or value not in self.values
        return value in self.values


@functools.cache
def only(field: str, values: tuple[str, ...], exclude: bool = False) -> Only:
    return Only(field, frozenset(values), exclude)


class Series:
    """Interactions sorted by time, their instants kept in a list of their own for bisecting."""

    __slots__ = ("items", "times")

    def __init__(self, times: list[float], items: list[Interaction]) -> None:
        self.times = times
        self.items = items

    def __bool__(self) -> bool:
        return bool(self.times)

    def since(self, start: float) -> int:
        """Index of the first event strictly after `start` (a window is `start < t`)."""
        return bisect.bisect_right(self.times, start)

    def last(self) -> Event | None:
        return Event(self.times[-1], self.items[-1]) if self.times else None

    def at(self, positions: list[int]) -> Series:
        times, items = self.times, self.items
        return Series([times[p] for p in positions], [items[p] for p in positions])

    def where(self, filters: Sequence[Only]) -> Series:
        kept = self
        for rule in filters:
            values = map(operator.attrgetter(rule.field), kept.items)
            allowed = rule.values
            if rule.exclude:
                kept = kept.at([p for p, v in enumerate(values) if v is None or v not in allowed])
            else:
                kept = kept.at([p for p, v in enumerate(values) if v in allowed])
        return kept


EMPTY = Series([], [])


def group_positions(values: Iterable[str | None]) -> dict[str | None, list[int]]:
    """Positions of each value, in order."""
    groups: dict[str | None, list[int]] = {}
    for position, value in enumerate(values):
        group = groups.get(value)
        if group is None:
            groups[value] = [position]
        else:
            group.append(position)
    return groups


class _Selector:
    """The sub-series of one series by the value of one field: a value asked for is found
    by a scan, until enough have been asked for that indexing every value at once is cheaper."""

    __slots__ = ("complete", "found", "series", "values")

    def __init__(self, series: Series, field: str) -> None:
        self.series = series
        self.values: list[str | None] = list(map(operator.attrgetter(field), series.items))
        self.found: dict[str | None, Series] = {}
        self.complete = False

    def get(self, value: str) -> Series:
        found = self.found.get(value)
        if found is not None:
            return found
        if self.complete:
            return EMPTY
        if len(self.found) >= SCANS_BEFORE_INDEX:
            self.found = {v: self.series.at(group) for v, group in group_positions(self.values).items()}
            self.complete = True
            return self.found.get(value, EMPTY)
        found = self.found[value] = self.series.at([p for p, v in enumerate(self.values) if v == value])
        return found


class History:
    """The interactions up to `now`, sorted once; narrowed by outcome, filters and field
    value on demand, each narrowing kept for the rest of the request."""

    def __init__(self, interactions: Sequence[Interaction], instants: Sequence[float], now: float) -> None:
        by_outcome: dict[str, Series] = {}
        for index in sorted(range(len(instants)), key=instants.__getitem__):
            at = instants[index]
            if at > now:  # the future is ignored everywhere
                break
            interaction = interactions[index]
            group = by_outcome.get(interaction.outcome)
            if group is None:
                group = by_outcome[interaction.outcome] = Series([], [])
            group.times.append(at)
            group.items.append(interaction)
        self._by_outcome = by_outcome
        self._selectors: dict[tuple[str, tuple[Only, ...], str], _Selector] = {}
        self._filtered: dict[tuple[str, tuple[Only, ...]], Series] = {}

    def series(
        self, outcome: str, field: str | None = None, value: str | None = None, filters: tuple[Only, ...] = ()
    ) -> Series:
        """Events with this outcome that pass the filters, narrowed to `field == value` when a
        field is given (a candidate without that value has none)."""
        base = self._base(outcome, filters)
        if field is None:
            return base
        if value is None or not base:
            return EMPTY
        return self._selector(base, (outcome, filters, field)).get(value)

    def impressions(self, field: str | None = None, value: str | None = None) -> Series:
        return self.series(IMPRESSION, field, value)

    def _base(self, outcome: str, filters: tuple[Only, ...]) -> Series:
        selected = self._by_outcome.get(outcome, EMPTY)
        if not filters or not selected:
            return selected
        found = self._filtered.get((outcome, filters))
        if found is None:
            found = self._filtered[(outcome, filters)] = selected.where(filters)
        return found

    def _selector(self, series: Series, key: tuple[str, tuple[Only, ...], str]) -> _Selector:
        selector = self._selectors.get(key)
        if selector is None:
            selector = self._selectors[key] = _Selector(series, key[2])
        return selector
