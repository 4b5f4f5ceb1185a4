"""What evaluating one policy for one candidate yields, and the shared window arithmetic."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cpol.runtime.history import Series


@dataclass(slots=True)
class Verdict:
    """`eligible_at` is epoch seconds, or None when time alone never lifts a block."""

    blocked: bool
    reason: str
    details: dict[str, Any] = field(default_factory=dict)
    eligible_at: float | None = None


def latest(instants: Iterable[float | None]) -> float | None:
    """The latest instant, or None if any is None (SPEC: one null makes the whole null)."""
    out = -math.inf
    for instant in instants:
        if instant is None:
            return None
        out = max(out, instant)
    return out


@dataclass(slots=True)
class WindowCount:
    """Events in a rolling window ending at now, against a maximum."""

    count: int
    maximum: float
    eligible_at: float | None

    @property
    def blocked(self) -> bool:
        return self.count >= self.maximum


def count_window(series: Series, now: float, seconds: float | None, maximum: float) -> WindowCount:
    """Count events with `now - seconds < t <= now` (all of them when seconds is None).

    When the count reaches the maximum, the block lifts once enough of the oldest events
    in the window have slid out of it: the k-th oldest leaves at `t_k + seconds`. A cap of
    zero, or one without a window, never lifts by time.
    """
    first = 0 if seconds is None else series.since(now - seconds)
    count = len(series.times) - first
    eligible: float | None = None
    if count >= maximum and seconds is not None and maximum > 0:
        must_leave = math.floor(count - maximum) + 1
        eligible = series.times[first + must_leave - 1] + seconds
    return WindowCount(count, maximum, eligible)


def plural(count: float, word: str) -> str:
    number = f"{count:g}" if isinstance(count, float) else str(count)
    return f"{number} {word}" if count == 1 else f"{number} {word}s"
