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
        try:
            return now + sign * duration
        except OverflowError:
            raise _off_calendar(text, sign) from None
    return _absolute(text.strip())


CALENDAR_HINT = "a time in a test file lies within the years 1 to 9999 (0001-01-01 to 9999-12-31), UTC"


def _off_calendar(text: str, direction: int) -> TimeError:
    """`text` names an instant before year 1 (direction < 0) or after year 9999."""
    edge = "before 0001-01-01T00:00:00Z" if direction < 0 else "after 9999-12-31T23:59:59Z"
    return TimeError(f"`{text.strip()}` is {edge}", CALENDAR_HINT)


def _normal(text: str) -> str:
    return " ".join(text.strip().lower().split())


def _relative(lowered: str) -> tuple[int, timedelta | None]:
    if lowered == "now":
        return 1, timedelta(0)
    for pattern, sign in ((_AGO, -1), (_IN, 1), (_FROM_NOW, 1)):
        match = pattern.match(lowered)
        if match:
            return sign, _bounded_duration(match.group("d"), lowered, sign)
    match = _NOW_PLUS.match(lowered)
    if match:
        sign = 1 if match.group("sign") == "+" else -1
        return sign, _bounded_duration(match.group("d"), lowered, sign)
    return 1, None


def _bounded_duration(text: str, written: str, sign: int) -> timedelta:
    """A duration that a timedelta can hold (about 2.7 million years): any longer one takes
    the time off the calendar whatever `now` is."""
    try:
        return _duration(text)
    except (OverflowError, ValueError) as error:
        if isinstance(error, TimeError):
            raise
        raise _off_calendar(written, sign) from None


def parse_duration(text: str) -> timedelta:
    """`3 days`, `1 day 6 hours`, `90 minutes`: a length of time."""
    lowered = _normal(text)
    if not re.fullmatch(_DURATION, lowered):
        raise TimeError(f"`{text}` is not a length of time", "e.g. `3 days`, `90 minutes`, `1 day 6 hours`")
    try:
        return _duration(lowered)
    except (OverflowError, ValueError) as error:
        if isinstance(error, TimeError):
            raise
        raise TimeError(f"`{text}` is longer than the calendar", CALENDAR_HINT) from None


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
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise _off_calendar(text, -1 if value.year == 1 else 1) from None


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
    try:
        back = aware.astimezone(UTC).astimezone(zone)
    except OverflowError:
        raise _off_calendar(text, -1 if wall.year == 1 else 1) from None
    if back.replace(tzinfo=None) != wall:
        raise TimeError(
            f"{_minutes(wall)} does not exist in {name} (the clocks skip it for daylight saving)",
            f"the first time after the gap is {_minutes(back)}",
        )
    return aware.astimezone(UTC)


def _minutes(moment: datetime) -> str:
    """`2026-03-29 02:30`, the year always four digits."""
    return f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d} {moment.hour:02d}:{moment.minute:02d}"


def iso(moment: datetime) -> str:
    """`2026-03-19T10:00:00Z`, with microseconds only when there are some; the year always
    has four digits (`0001-01-01T00:00:00Z`), which strftime's `%Y` does not promise."""
    moment = moment.astimezone(UTC)
    text = moment.replace(tzinfo=None).isoformat(timespec="microseconds" if moment.microsecond else "seconds")
    return f"{text}Z"
