"""Times as a marketer writes them in a test file.

Relative to the test's `now`:

    now · 3 days ago · 2 hours ago · 90 minutes ago · 1 day 6 hours ago · 1.5 hours ago
    in 2 days · in 36 hours · 2 days from now · now - 3 days · now + 90 minutes

Units: seconds, minutes, hours, days and weeks (singular, plural or short: `s`, `min`,
`h`, `d`, `w`); `a`/`an` means one (`an hour ago`). Months and years are refused: their
length is ambiguous, write `30 days`.

Absolute, as ISO 8601: `2026-03-19T10:00:00Z`, `2026-03-19T10:00Z`, `2026-03-19 10:00`,
`2026-03-19T12:00+02:00`, `2026-03-19` (midnight). Without an offset the time is UTC, as
in a request. A local time may also name its IANA zone after a space:
`2026-03-20 07:59 America/New_York` (handy for quiet hours); a local time that does not
exist that day (a daylight-saving gap) is an error.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UNITS: dict[str, float] = {
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1.0),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60.0),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600.0),
    **dict.fromkeys(("d", "day", "days"), 86400.0),
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), 7 * 86400.0),
}
_AMBIGUOUS = ("month", "months", "mo", "year", "years", "y", "yr", "yrs")

_AMOUNT = r"(?:\d+(?:\.\d+)?|\.\d+|an?|one)"
_PART = re.compile(rf"({_AMOUNT})\s*([a-z]+)")
_DURATION = rf"{_AMOUNT}\s*[a-z]+(?:(?:\s*,\s*|\s+and\s+|\s+){_AMOUNT}\s*[a-z]+)*"
_AGO = re.compile(rf"^(?P<d>{_DURATION})\s+ago$")
_IN = re.compile(rf"^in\s+(?P<d>{_DURATION})$")
_FROM_NOW = re.compile(rf"^(?P<d>{_DURATION})\s+(?:from\s+now|later)$")
_NOW_PLUS = re.compile(rf"^now\s*(?P<sign>[-+])\s*(?P<d>{_DURATION})$")
_ZONED = re.compile(
    r"^(?P<local>\d{4}-\d{2}-\d{2}(?:[T ][0-9:.+-]+Z?)?)\s+(?P<zone>[A-Za-z_]+(?:/[A-Za-z0-9_+-]+)*)$"
)

EXAMPLES = "e.g. `3 days ago`, `in 2 hours`, `now`, `2026-03-19T10:00Z` or `2026-03-19T12:00+02:00`"


class TimeError(ValueError):
    """A time that cannot be read; the message says why, `hint` what would be read."""

    def __init__(self, message: str, hint: str | None = EXAMPLES) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def is_relative(text: str) -> bool:
    """True when the text is relative to `now` (and so needs one)."""
    lowered = _normal(text)
    return lowered == "now" or any(p.match(lowered) for p in (_AGO, _IN, _FROM_NOW, _NOW_PLUS))


def parse_time(text: str, now: datetime | None) -> datetime:
    """An aware UTC datetime; relative forms need `now` (else TimeError)."""
    lowered = _normal(text)
    if not lowered:
        raise TimeError("a time cannot be empty")
    sign, duration = _relative(lowered)
    if duration is not None:
        if now is None:
            raise TimeError(
                f"`{text}` is relative to `now`, and `now` itself must be an absolute time",
                "write `now` as an ISO 8601 instant, e.g. now: 2026-03-20T14:00Z",
            )
        return now + sign * duration
    return _absolute(text.strip())


def _normal(text: str) -> str:
    return " ".join(text.strip().lower().split())


def _relative(lowered: str) -> tuple[int, timedelta | None]:
    if lowered == "now":
        return 1, timedelta(0)
    for pattern, sign in ((_AGO, -1), (_IN, 1), (_FROM_NOW, 1)):
        match = pattern.match(lowered)
        if match:
            return sign, _duration(match.group("d"))
    match = _NOW_PLUS.match(lowered)
    if match:
        return (1 if match.group("sign") == "+" else -1), _duration(match.group("d"))
    return 1, None


def parse_duration(text: str) -> timedelta:
    """`3 days`, `1 day 6 hours`, `90 minutes`: a length of time."""
    lowered = _normal(text)
    if not re.fullmatch(_DURATION, lowered):
        raise TimeError(f"`{text}` is not a length of time", "e.g. `3 days`, `90 minutes`, `1 day 6 hours`")
    return _duration(lowered)


def _duration(text: str) -> timedelta:
    seconds = 0.0
    words = re.sub(r"\band\b|,", " ", text)  # or `an` + `d` would read as a day
    for amount, unit in _PART.findall(words):
        if unit in _AMBIGUOUS:
            raise TimeError(
                f"`{unit}` is not a fixed length of time",
                "write days or weeks instead: a month in a policy window is 30 days, e.g. `30 days ago`",
            )
        if unit not in UNITS:
            known = "seconds, minutes, hours, days, weeks"
            raise TimeError(f"unknown unit of time `{unit}`", f"use one of {known}")
        number = 1.0 if amount in ("a", "an", "one") else float(amount)
        seconds += number * UNITS[unit]
    return timedelta(seconds=seconds)


def _absolute(text: str) -> datetime:
    zoned = _ZONED.match(text)
    if zoned:
        return _in_zone(zoned.group("local"), zoned.group("zone"), text)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise TimeError(f"`{text}` is not a time cpol can read") from None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _in_zone(local: str, name: str, text: str) -> datetime:
    try:
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise TimeError(
            f"unknown time zone `{name}` in `{text}`", "use an IANA zone such as America/New_York"
        ) from None
    try:
        wall = datetime.fromisoformat(local)
    except ValueError:
        raise TimeError(
            f"`{local}` is not a local date and time", "e.g. `2026-03-20 07:59 America/New_York`"
        ) from None
    if wall.tzinfo is not None:
        raise TimeError(f"`{text}` gives both an offset and a zone", "keep one of them")
    aware = wall.replace(tzinfo=zone)
    back = aware.astimezone(UTC).astimezone(zone)
    if back.replace(tzinfo=None) != wall:
        raise TimeError(
            f"{wall:%Y-%m-%d %H:%M} does not exist in {name} (the clocks skip it for daylight saving)",
            f"the first time after the gap is {back:%Y-%m-%d %H:%M}",
        )
    return aware.astimezone(UTC)


def iso(moment: datetime) -> str:
    """`2026-03-19T10:00:00Z`, with microseconds only when there are some."""
    moment = moment.astimezone(UTC)
    if moment.microsecond:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
