"""The customer's interaction history, indexed once per request.

Every check is then a dictionary lookup plus a binary search over timestamps sorted
ascending, instead of a scan of the whole history per policy and candidate.
"""

from __future__ import annotations

import bisect
import operator
from collections.abc import Callable, Sequence
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

    def where(self, keep: Callable[[Interaction], bool]) -> Series:
        kept = [(at, item) for at, item in zip(self.times, self.items, strict=True) if keep(item)]
        return Series([at for at, _ in kept], [item for _, item in kept])


EMPTY = Series([], [])


class History:
    """Impressions and other outcomes up to `now`, indexed by outcome and field value.

    The interactions are sorted once; the index of one (outcome, field) pair is built the
    first time a policy asks for it, since most requests need only a few of them.
    """

    def __init__(self, interactions: Sequence[Interaction], now: float) -> None:
        instants = [i.timestamp.timestamp() for i in interactions]
        by_outcome: dict[str, tuple[list[float], list[Interaction]]] = {}
        for index in sorted(range(len(instants)), key=instants.__getitem__):
            at = instants[index]
            if at > now:  # the future is ignored everywhere
                continue
            interaction = interactions[index]
            group = by_outcome.get(interaction.outcome)
            if group is None:
                group = by_outcome[interaction.outcome] = ([], [])
            group[0].append(at)
            group[1].append(interaction)
        self._by_outcome = {outcome: Series(*group) for outcome, group in by_outcome.items()}
        self._by_field: dict[tuple[str, str], dict[str, Series]] = {}

    def series(self, outcome: str, field: str | None = None, value: str | None = None) -> Series:
        """Events with this outcome, narrowed to `field == value` when a field is given."""
        if field is None:
            return self._by_outcome.get(outcome, EMPTY)
        if value is None:
            return EMPTY
        index = self._by_field.get((outcome, field))
        if index is None:
            index = self._by_field[(outcome, field)] = self._index(outcome, field)
        return index.get(value, EMPTY)

    def _index(self, outcome: str, field: str) -> dict[str, Series]:
        base = self._by_outcome.get(outcome, EMPTY)
        groups: dict[str, Series] = {}
        values = map(operator.attrgetter(field), base.items)
        for at, item, value in zip(base.times, base.items, values, strict=True):
            if value is None:
                continue
            group = groups.get(value)
            if group is None:
                group = groups[value] = Series([], [])
            group.times.append(at)
            group.items.append(item)
        return groups

    def impressions(self, field: str | None = None, value: str | None = None) -> Series:
        return self.series(IMPRESSION, field, value)
