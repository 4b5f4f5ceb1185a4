"""The customer's interaction history, indexed once per request.

Every check is then a dictionary lookup plus a binary search over timestamps sorted
ascending, instead of a scan of the whole history per policy and candidate.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

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
INDEXED_FIELDS = ("offerId", "creativeId", "channelId", "categoryId", "subCategoryId", "offerCategory")
IMPRESSION = "impression"


@dataclass(frozen=True, slots=True)
class Event:
    """An interaction reduced to what the rules read, with its instant in epoch seconds."""

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

    def count_after(self, start: float) -> int:
        return len(self.times) - self.since(start)

    def last(self) -> Event | None:
        return self.events[-1] if self.events else None

    def where(self, keep: Callable[[Interaction], bool]) -> Series:
        return Series([e for e in self.events if keep(e.interaction)])


EMPTY = Series(())


class History:
    """Impressions and other outcomes up to `now`, indexed by field value and by outcome."""

    def __init__(self, interactions: Sequence[Interaction], now: float) -> None:
        events = sorted((Event(i.timestamp.timestamp(), i) for i in interactions), key=lambda e: e.at)
        events = [e for e in events if e.at <= now]  # the future is ignored everywhere
        by_outcome: dict[str, list[Event]] = defaultdict(list)
        by_key: dict[tuple[str, str, str], list[Event]] = defaultdict(list)
        for event in events:
            outcome = event.interaction.outcome
            by_outcome[outcome].append(event)
            for field in INDEXED_FIELDS:
                value = getattr(event.interaction, field)
                if value is not None:
                    by_key[(outcome, field, value)].append(event)
        self.now = now
        self._by_outcome = {k: Series(v) for k, v in by_outcome.items()}
        self._by_key = {k: Series(v) for k, v in by_key.items()}

    def series(self, outcome: str, field: str | None = None, value: str | None = None) -> Series:
        """Events with this outcome, narrowed to `field == value` when a field is given."""
        if field is None:
            return self._by_outcome.get(outcome, EMPTY)
        if value is None:
            return EMPTY
        return self._by_key.get((outcome, field, value), EMPTY)

    def impressions(self, field: str | None = None, value: str | None = None) -> Series:
        return self.series(IMPRESSION, field, value)

    def outcomes(self) -> list[str]:
        return list(self._by_outcome)
