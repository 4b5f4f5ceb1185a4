"""Instants as the engine sees them: UTC epoch seconds in, `…Z` whole seconds out.

Requests may carry any offset; everything is normalised to UTC on the way in. Instants
are floats internally (cheap to compare and bisect) and rendered at whole seconds, a
sub-second instant rounding up (SPEC §2.1), because "eligible at" must not be early.
"""

from __future__ import annotations

import functools
import math
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

HOUR = 3600.0
DAY = 86400.0


_FRACTION = re.compile(r"(\.\d{6})(\d+)")


def parse_instant(text: str) -> datetime:
    """An ISO 8601 timestamp as an aware UTC datetime; no offset means UTC.

    Python keeps microseconds; finer digits (.NET writes seven) round the instant up to
    the next microsecond, so "strictly after" comparisons and rounded-up instants stay
    right. Raises ValueError for anything unreadable or outside years 1 to 9999.
    """
    match = _FRACTION.search(text)
    extra = bool(match and match.group(2).strip("0"))
    if match:
        text = text[: match.start()] + match.group(1) + text[match.end() :]
    value = datetime.fromisoformat(text)
    try:
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value + timedelta(microseconds=1) if extra else value
    except OverflowError:
        raise ValueError("the instant is outside the years 1 to 9999 once in UTC") from None


#: The last instant a timestamp can name (9999-12-31T23:59:59Z).
LAST_INSTANT = 253402300799.0
#: The first instant a timestamp can name (0001-01-01T00:00:00Z).
FIRST_INSTANT = -62135596800.0
#: Said of a block that would lift after LAST_INSTANT (its eligibleAt is then null).
BEYOND_CALENDAR = "the block lasts beyond 9999-12-31T23:59:59Z, the last instant cpol can write"


def format_instant(epoch: float) -> str:
    """`2026-03-23T09:12:00Z`: whole seconds, rounded up, the year always four digits
    (`0001-…`; strftime's `%Y` does not pad on glibc). Instants outside the calendar are
    clamped to its ends (the engine never passes one: a block that lifts after
    `LAST_INSTANT` never lifts by time)."""
    return _second_text(min(max(math.ceil(round(epoch, 6)), FIRST_INSTANT), LAST_INSTANT))


@functools.lru_cache(maxsize=4096)
def _second_text(whole: int) -> str:
    """A whole second as text, remembered: a decision repeats the same lifts (a customer's
    cap lifts alike for every candidate it blocks), and a server the same seconds."""
    t = datetime.fromtimestamp(whole, UTC)
    return f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}Z"


def utc_offset_at_edge(epoch: float, zone: ZoneInfo) -> float:
    """The zone's UTC offset in seconds at an instant near either end of the calendar, where
    the local date may fall outside years 1 to 9999 and `datetime` cannot hold it. Within a
    day of 0001-01-01 or 9999-12-31 every zone keeps one offset (local mean time at the
    start; no daylight-saving change falls at New Year), so the offset of the UTC wall time
    is the offset of the instant."""
    clamped = min(max(epoch, FIRST_INSTANT), LAST_INSTANT)
    offset = zone.utcoffset(datetime.fromtimestamp(clamped, UTC).replace(tzinfo=None))
    return offset.total_seconds() if offset is not None else 0.0


@functools.lru_cache(maxsize=512)
def zone(name: str | None) -> ZoneInfo | None:
    """The IANA zone, or None when the name is missing or unknown (the caller uses UTC)."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "America" is a folder, not a zone
        return None


UTC_ZONE = ZoneInfo("UTC")
