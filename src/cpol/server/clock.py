"""Timestamps as the seeds write them: UTC, milliseconds, `Z` (SPEC §5.2)."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> str:
    """The current instant as `2026-03-10T12:00:00.000Z`; sorts as text in time order."""
    instant = datetime.now(UTC)
    return instant.strftime("%Y-%m-%dT%H:%M:%S.") + f"{instant.microsecond // 1000:03d}Z"
