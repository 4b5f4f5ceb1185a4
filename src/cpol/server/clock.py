"""Timestamps as the seeds write them: UTC, milliseconds, `Z` (SPEC §5.2)."""

from __future__ import annotations

from datetime import UTC, datetime


def stamp(instant: datetime) -> str:
    """`instant` as `2026-03-10T12:00:00.000Z` (an aware datetime, any zone); such text
    sorts in time order, so stored stamps are compared as text."""
    # not strftime: glibc's `%Y` does not pad a year before 1000 to four digits
    return instant.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def now() -> str:
    """The current instant, stamped."""
    return stamp(datetime.now(UTC))
