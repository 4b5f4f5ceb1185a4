"""Instants as the engine sees them: UTC epoch seconds in, `…Z` whole seconds out.

Requests may carry any offset; everything is normalised to UTC on the way in. Instants
are floats internally (cheap to compare and bisect) and rendered at whole seconds, a
sub-second instant rounding up (SPEC §2.1), because "eligible at" must not be early.
"""

from __future__ import annotations

import functools
import math
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

HOUR = 3600.0
DAY = 86400.0


def parse_instant(text: str) -> datetime:
    """An ISO 8601 timestamp as an aware UTC datetime; no offset means UTC."""
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def to_epoch(value: datetime) -> float:
    return value.timestamp()


def format_instant(epoch: float) -> str:
    """`2026-03-23T09:12:00Z`: whole seconds, rounded up."""
    whole = math.ceil(round(epoch, 6))
    return datetime.fromtimestamp(whole, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_epoch(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


@functools.lru_cache(maxsize=512)
def zone(name: str | None) -> ZoneInfo | None:
    """The IANA zone, or None when the name is missing or unknown (the caller uses UTC)."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


UTC_ZONE = ZoneInfo("UTC")
