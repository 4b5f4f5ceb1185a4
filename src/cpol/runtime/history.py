"""The customer's interaction history, indexed once per request.

Every check is then a dictionary lookup plus a binary search over timestamps sorted
ascending, instead of a scan of the whole history per policy and candidate.
"""

from __future__ import annotations

import bisect
import operator
from collections import defaultdict
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
    """An interaction with its instant in epoch seconds (a tuple: one is made per interaction)."""

    at: float
    interaction: Interaction


class Series:
    """Events sorted by time, with their instants kept apart for bisecting."""

    __slots__ = ("events", "times")

    def __init__(self, events: Sequence[Event]) -> None:
        self.events = list(events)
        self.times = [event.at for event in self.events]

    def since(self, start: float) -> int:
        """Index of the first event strictly after `start` (a window is `start < t`)."""
        return bisect.bisect_right(self.times, start)

    def last(self) -> Event | None:
        return self.events[-1] if self.events else None

    def where(self, keep: Callable[[Interaction], bool]) -> Series:
        return Series([e for e in self.events if keep(e.interaction)])


EMPTY = Series(())
_AT = operator.itemgetter(0)  # sort by instant only: ties keep the request's order


class History:
    """Impressions and other outcomes up to `now`, indexed by outcome and field value.

    The events are sorted once; the index of one (outcome, field) pair is built the first
    time a policy asks for it, since most requests need only a few of them.
    """

    def __init__(self, interactions: Sequence[Interaction], now: float) -> None:
        by_outcome: dict[str, list[Event]] = defaultdict(list)
        for event in sorted([Event(i.timestamp.timestamp(), i) for i in interactions], key=_AT):
            if event.at <= now:  # the future is ignored everywhere
                by_outcome[event.interaction.outcome].append(event)
        self.now = now
        self._by_outcome = {outcome: Series(events) for outcome, events in by_outcome.items()}
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
        groups: dict[str, list[Event]] = defaultdict(list)
        for event in self._by_outcome.get(outcome, EMPTY).events:
            value = getattr(event.interaction, field)
            if value is not None:
                groups[value].append(event)
        return {value: Series(events) for value, events in groups.items()}

    def impressions(self, field: str | None = None, value: str | None = None) -> Series:
        return self.series(IMPRESSION, field, value)
