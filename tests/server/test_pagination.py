"""Keyset pagination (SPEC §5.3): walking the cursor with any limits meets every matching
policy exactly once, in the order priority desc, createdAt desc, id; `total` is right."""

from __future__ import annotations

import uuid
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from .client import POLICIES, KeyMaker, Server
from .paging import newest_first, walk


def _policy(name: str, priority: int) -> dict[str, Any]:
    return {
        "name": name,
        "scope": "global",
        "ruleType": "cooldown",
        "config": {"cooldownHours": 1},
        "priority": priority,
    }


def _order(policy: dict[str, Any]) -> tuple[int, str, str]:
    """Priority desc, createdAt desc, id."""
    return -policy["priority"], *newest_first(policy)


@settings(max_examples=12)  # each example makes a tenant and up to 30 policies over HTTP
@given(
    priorities=st.lists(st.sampled_from([0, 10, 50, 50, 90, 100]), max_size=30),
    deleted=st.sets(st.integers(0, 29), max_size=5),
    data=st.data(),
)
def test_walking_the_cursor(
    server: Server, make_key: KeyMaker, priorities: list[int], deleted: set[int], data: st.DataObject
) -> None:
    key = make_key(f"t_page_{uuid.uuid4().hex[:12]}")
    created = [
        server.call("POST", POLICIES, key=key, json_body=_policy(f"p{i}", p)).json()
        for i, p in enumerate(priorities)
    ]
    for index in sorted(deleted):
        if index < len(created):
            server.call("DELETE", f"{POLICIES}?id={created[index]['id']}", key=key)
    include_deleted = data.draw(st.booleans(), label="includeDeleted")
    expected = sorted((p for i, p in enumerate(created) if include_deleted or i not in deleted), key=_order)

    query = f"{POLICIES}?includeDeleted={str(include_deleted).lower()}"
    seen = walk(server, key, query, lambda: data.draw(st.integers(1, 8), label="limit"), len(expected))
    assert [p["id"] for p in seen] == [p["id"] for p in expected]
