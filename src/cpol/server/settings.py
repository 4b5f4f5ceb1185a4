"""Where the service's data lives and how much a request may send (SPEC §5.1, §5.2)."""

from __future__ import annotations

import os
from dataclasses import dataclass

DATABASE_ENV = "CPOL_DATABASE_URL"
MAX_BODY_ENV = "CPOL_MAX_BODY_BYTES"
DEFAULT_DATABASE_URL = "sqlite:///./cpol.db"
DEFAULT_MAX_BODY_BYTES = 1024 * 1024


def database_url(given: str | None = None) -> str:
    """`--db`, else `$CPOL_DATABASE_URL`, else a SQLite file in the working directory."""
    return given or os.environ.get(DATABASE_ENV) or DEFAULT_DATABASE_URL


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES

    @classmethod
    def from_env(cls) -> Settings:
        """The settings a worker process starts with (`cpol serve` passes them by env)."""
        limit = os.environ.get(MAX_BODY_ENV, "")
        return cls(database_url(), int(limit) if limit.isdigit() else DEFAULT_MAX_BODY_BYTES)
