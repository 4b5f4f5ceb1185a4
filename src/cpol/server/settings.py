"""Where the service's data lives and how much a request may send (SPEC §5.1, §5.2)."""

from __future__ import annotations

import os
from dataclasses import dataclass

DATABASE_ENV = "CPOL_DATABASE_URL"
MAX_BODY_ENV = "CPOL_MAX_BODY_BYTES"
DEFAULT_DATABASE_URL = "sqlite:///./cpol.db"
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
RETENTION_ENV = "CPOL_DECISION_RETENTION_DAYS"
DEFAULT_RETENTION_DAYS = 30


def database_url(given: str | None = None) -> str:
    """`--db`, else `$CPOL_DATABASE_URL`, else a SQLite file in the working directory."""
    return given or os.environ.get(DATABASE_ENV) or DEFAULT_DATABASE_URL


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    #: How long the decision log keeps an entry.
    decision_retention_days: int = DEFAULT_RETENTION_DAYS

    @classmethod
    def from_env(cls) -> Settings:
        """The settings a worker process starts with (`cpol serve` passes them by env)."""
        return cls(
            database_url(),
            _whole(os.environ.get(MAX_BODY_ENV, ""), DEFAULT_MAX_BODY_BYTES),
            _whole(os.environ.get(RETENTION_ENV, ""), DEFAULT_RETENTION_DAYS),
        )


def _whole(text: str, default: int) -> int:
    return int(text) if text.isdigit() else default
