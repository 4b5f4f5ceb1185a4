"""What evaluating one policy for one candidate yields, and the shared window arithmetic."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from cpol.runtime.history import Series

Words = Callable[..., tuple[str, dict[str, Any]]]


class Verdict:
    """`eligible_at` is epoch seconds, or None when time alone never lifts a block.

    The reason and details are either given, or computed on first use by `say(*args)`:
    fast mode never reads them for a pass, and a sentence costs more than the check."""

    __slots__ = ("_args", "_details", "_reason", "_say", "blocked", "eligible_at")

    def __init__(
        self,
        blocked: bool,
        reason: str = "",
        details: dict[str, Any] | None = None,
        eligible_at: float | None = None,
    ) -> None:
        self.blocked = blocked
        self._reason = reason
        self._details = details if details is not None else {}
        self.eligible_at = eligible_at
        self._say: Words | None = None
        self._args: tuple[Any, ...] = ()

    @classmethod
    def said(cls, blocked: bool, eligible_at: float | None, say: Words, *args: Any) -> Verdict:
        verdict = cls.__new__(cls)
        verdict.blocked, verdict.eligible_at = blocked, eligible_at
        verdict._say, verdict._args = say, args
        return verdict

    def _words(self) -> None:
        if self._say is not None:
            self._reason, self._details = self._say(*self._args)
            self._say = None

    @property
    def reason(self) -> str:
        self._words()
        return self._reason

    @property
    def details(self) -> dict[str, Any]:
        self._words()
        return self._details


def latest(instants: Sequence[float | None]) -> float | None:
    """The latest of some instants (at least one), or None if any is None (SPEC: one null
    makes the whole null)."""
    known = [instant for instant in instants if instant is not None]
    return max(known) if len(known) == len(instants) else None


def count_window(
    series: Series, now: float, seconds: float | None, maximum: float
) -> tuple[int, float | None]:
    """(count, eligibleAt): events with `now - seconds < t <= now` (all of them when seconds
    is None), and when the count reaches the maximum, the instant the block lifts.

    The block lifts once enough of the oldest events in the window have slid out of it: the
    k-th oldest leaves at `t_k + seconds`. A cap of zero, or one without a window, never
    lifts by time.
    """
    start = -math.inf if seconds is None else now - seconds
    count = series.count_since(start)
    eligible: float | None = None
    if count >= maximum and seconds is not None and maximum > 0:
        # maxima are whole numbers (the plan refuses fractions); `min` keeps even a fraction
        # so small that `count - maximum == count` inside the window
        must_leave = min(math.floor(count - maximum) + 1, count)
        eligible = series.times_since(start)[must_leave - 1] + seconds
    return count, eligible


def plural(count: float, word: str) -> str:
    number = f"{count:g}" if isinstance(count, float) else str(count)
    return f"{number} {word}" if count == 1 else f"{number} {word}s"
