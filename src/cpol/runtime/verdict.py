"""What evaluating one policy for one candidate yields, and the shared window arithmetic."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from cpol.runtime.clock import BEYOND_CALENDAR, LAST_INSTANT
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
        """The sentence, which also says so when the block would lift after the last instant
        a timestamp can name (its eligibleAt is then null)."""
        self._words()
        if self.blocked and self.eligible_at is not None and self.eligible_at > LAST_INSTANT:
            return f"{self._reason}; {BEYOND_CALENDAR}"
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


def number_words(value: float) -> str:
    """A number from a policy or a request as written, never rounded: `24`, `2.5`, `1234567`
    (`:g` keeps six digits, so "used 1.23457e+06; the budget is 1.23457e+06" could pass)."""
    if isinstance(value, int):
        return str(value)
    if math.isfinite(value) and value == math.floor(value) and abs(value) < 1e16:
        return str(int(value))
    return repr(value)  # `inf` from a request is the request checker's to refuse, not a crash


#: The units of an exact duration, longest first.
_UNITS = ((86400.0, "day"), (3600.0, "hour"), (60.0, "minute"))


def elapsed_words(since: float, limit: float, unit: float, word: str) -> str:
    """How long ago the last event was, for a rule that blocks while `since < limit × unit`
    (seconds; `limit` in `unit`s as configured). One decimal ("3.0 hours ago") when that
    figure is on the verdict's side of the limit; otherwise the exact time, rounded to the
    microsecond towards the verdict ("23 hours 59 minutes 59.5 seconds ago"), so the words
    never say 24.0 hours of a block that a 24-hour cooldown still holds."""
    blocked = since < limit * unit
    figure = round(since / unit, 1)
    if (figure < limit) == blocked:
        return f"{figure:.1f} {word} ago"
    return f"{exact_duration(since, unit, up=not blocked)} ago"


def exact_duration(seconds: float, largest: float, *, up: bool) -> str:
    """`6 days 23 hours 59 minutes 59.5 seconds`: units from `largest` down, zero ones left
    out, seconds to the microsecond (rounded up when `up`, else down)."""
    scaled = seconds * 1_000_000
    micro = max(0, math.ceil(scaled) if up else math.floor(scaled))
    parts: list[str] = []
    for size, name in _UNITS:
        if size > largest:
            continue
        count, micro = divmod(micro, int(size) * 1_000_000)
        if count:
            parts.append(plural(count, name))
    if micro or not parts:
        whole, fraction = divmod(micro, 1_000_000)
        text = f"{whole}.{fraction:06d}".rstrip("0").rstrip(".")
        parts.append(f"{text} second" if text == "1" else f"{text} seconds")
    return " ".join(parts)


def since_figure(since: float, limit: float, unit: float) -> float:
    """`since` in `unit`s for `details` (hoursSinceLast, daysSince): three decimals, or as
    many more as it takes to stay on the verdict's side of `limit` (the full value at most)."""
    value = since / unit
    blocked = since < limit * unit
    for digits in range(3, 10):
        figure = round(value, digits)
        if (figure < limit) == blocked:
            return figure
    return value
