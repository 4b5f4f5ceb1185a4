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


def format_instant(epoch: float) -> str:
    """`2026-03-23T09:12:00Z`: whole seconds, rounded up (the engine never passes an
    instant past `LAST_INSTANT`: a block that lifts later than that never lifts)."""
    whole = min(math.ceil(round(epoch, 6)), LAST_INSTANT)
    return datetime.fromtimestamp(whole, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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
