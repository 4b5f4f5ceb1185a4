"""The customer's interaction history, indexed once per request.

Every check is then a dictionary lookup plus a binary search over timestamps sorted
ascending, instead of a scan of the whole history per policy and candidate.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import operator
from collections.abc import Sequence, Set
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


@functools.cache
def only(field: str, values: tuple[str, ...], exclude: bool = False) -> Only:
    return Only(field, frozenset(values), exclude)


class Series:
    """Interactions sorted by time, their instants kept in a list of their own for bisecting.

    Narrowing by a field's value is a lookup: the first time a field is asked for, every
    value's sub-series is built in one pass and kept for the rest of the request."""

    __slots__ = ("_indexes", "items", "times")

    def __init__(self, times: list[float], items: list[Interaction]) -> None:
        self.times = times
        self.items = items
        self._indexes: dict[str, dict[str | None, Series]] | None = None  # most are never narrowed

    def __bool__(self) -> bool:
        return bool(self.times)

    def count_since(self, start: float) -> int:
        """Events strictly after `start` (a window is `start < t`)."""
        return len(self.times) - bisect.bisect_right(self.times, start)

    def times_since(self, start: float) -> list[float]:
        return self.times[bisect.bisect_right(self.times, start) :]

    def after(self, start: float) -> Series:
        first = bisect.bisect_right(self.times, start)
        return Series(self.times[first:], self.items[first:]) if first else self

    def last(self) -> Event | None:
        return Event(self.times[-1], self.items[-1]) if self.times else None

    def narrow(self, field: str, value: str) -> Series:
        if self._indexes is None:
            self._indexes = {}
        index = self._indexes.get(field)
        if index is None:
            index = self._indexes[field] = self._index(field)
        return index.get(value, EMPTY)

    def _index(self, field: str) -> dict[str | None, Series]:
        groups: dict[str | None, Series] = {}
        values = map(operator.attrgetter(field), self.items)
        for at, item, value in zip(self.times, self.items, values):  # noqa: B905 (same length)
            group = groups.get(value)
            if group is None:
                group = groups[value] = Series([], [])
            group.times.append(at)
            group.items.append(item)
        return groups

    def where(self, filters: Sequence[Only]) -> Series:
        kept = self
        for rule in filters:
            inside = map(rule.values.__contains__, map(operator.attrgetter(rule.field), kept.items))
            kept = kept._select(list(map(operator.not_, inside)) if rule.exclude else list(inside))
        return kept

    def _select(self, mask: list[bool]) -> Series:
        """The events whose entry in `mask` is true (C-speed `compress`)."""
        return Series(list(itertools.compress(self.times, mask)), list(itertools.compress(self.items, mask)))


EMPTY = Series([], [])


class History:
    """The interactions up to `now`, sorted once; narrowed by outcome, filters and field
    value on demand, each narrowing kept for the rest of the request."""

    def __init__(
        self, interactions: Sequence[Interaction], instants: Sequence[float], now: float, outcomes: Set[str]
    ) -> None:
        """Only `outcomes` are kept: those some policy reads."""
        by_outcome = {outcome: Series([], []) for outcome in outcomes}
        get = by_outcome.get
        for index in sorted(range(len(instants)), key=instants.__getitem__):
            at = instants[index]
            if at > now:  # the future is ignored everywhere
                break
            interaction = interactions[index]
            group = get(interaction.outcome)
            if group is not None:
                group.times.append(at)
                group.items.append(interaction)
        self._by_outcome = by_outcome
        self._narrowed: dict[tuple[str, tuple[Only, ...], float | None], Series] = {}

    def series(
        self,
        outcome: str,
        field: str | None = None,
        value: str | None = None,
        filters: tuple[Only, ...] = (),
        since: float | None = None,
    ) -> Series:
        """Events with this outcome that pass the filters, narrowed to `field == value` when a
        field is given (a candidate without that value has none). With `since`, only the
        events after it: a rule that counts in a window indexes only what the window sees."""
        base = self._base(outcome, filters, since)
        if field is None:
            return base
        if value is None or not base:
            return EMPTY
        return base.narrow(field, value)

    def _base(self, outcome: str, filters: tuple[Only, ...], since: float | None) -> Series:
        selected = self._by_outcome.get(outcome, EMPTY)
        if (not filters and since is None) or not selected:
            return selected
        found = self._narrowed.get((outcome, filters, since))
        if found is None:
            if since is not None:
                selected = selected.after(since)
            found = self._narrowed[(outcome, filters, since)] = selected.where(filters)
        return found
