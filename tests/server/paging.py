"""Walking a paginated list endpoint page by page, checking each page's `pagination`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .client import Server


def walk(server: Server, key: str, path: str, next_limit: Callable[[], int], total: int) -> list[Any]:
    """Every item of the list at `path`, each page read with the limit `next_limit` gives;
    every page must say `total` matching items, be full unless it is the last, and have a
    cursor exactly when more follow."""
    seen: list[Any] = []
    cursor: str | None = None
    separator = "&" if "?" in path else "?"
    while True:
        limit = next_limit()
        reply = server.call(
            "GET", f"{path}{separator}limit={limit}" + (f"&cursor={cursor}" if cursor else ""), key=key
        )
        assert reply.status == 200, reply.body
        page = reply.json()
        assert page["pagination"]["total"] == total
        assert page["pagination"]["limit"] == limit
        seen += page["data"]
        cursor = page["pagination"]["cursor"]
        assert page["pagination"]["hasMore"] == (cursor is not None)
        if cursor is None:
            assert len(page["data"]) <= limit
            return seen
        assert len(page["data"]) == limit
        assert len(seen) < total


def newest_first(item: dict[str, Any]) -> tuple[str, str]:
    """A sort key: `createdAt` descending (the sortable text with inverted characters),
    then `id` ascending."""
    return "".join(chr(0x10FFFF - ord(c)) for c in item["createdAt"]), item["id"]
