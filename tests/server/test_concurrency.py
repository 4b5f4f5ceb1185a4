"""Concurrent writes (SPEC §5.3): no lost update, stale versions 409, one winner per name."""

from __future__ import annotations

import functools
import itertools
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from cpol.server.database import make_engine
from cpol.server.keys import create_key

from .client import POLICIES, Reply, Server, email_cap

THREADS = 8


@pytest.fixture(params=["one process", "two workers"])
def target(request: pytest.FixtureRequest, server: Server, admin: str) -> tuple[Server, str]:
    """The server under test and an admin key of a fresh tenant on it."""
    if request.param == "one process":
        return server, admin
    other: Server = request.getfixturevalue("two_workers")
    engine = make_engine(other.db_url)
    try:
        return other, create_key(engine, f"t_{uuid.uuid4().hex[:12]}", "admin", uuid.uuid4().hex)
    finally:
        engine.dispose()


def _together(calls: list[Callable[[], Reply]]) -> list[Reply]:
    """Every call at once, from its own thread."""
    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(lambda call: call(), calls))


def _history(server: Server, key: str, policy_id: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = server.call("GET", f"{POLICIES}/{policy_id}/history", key=key).json()[
        "data"
    ]
    return entries


def _put(server: Server, key: str, body: dict[str, Any]) -> Callable[[], Reply]:
    return functools.partial(server.call, "PUT", POLICIES, key=key, json_body=body)


def test_puts_with_one_version_have_one_winner(target: tuple[Server, str]) -> None:
    server, admin = target
    policy_id = server.call("POST", POLICIES, key=admin, json_body=email_cap()).json()["id"]
    for version in (1, 2, 3):
        bodies = [
            {"id": policy_id, "version": version, "description": f"{version}.{i}"} for i in range(THREADS)
        ]
        replies = _together([_put(server, admin, body) for body in bodies])
        assert sorted(r.status for r in replies) == [200] + [409] * (THREADS - 1)
        assert all(r.error["code"] == "version_conflict" for r in replies if r.status == 409)
    stored = server.call("GET", f"{POLICIES}/{policy_id}", key=admin).json()
    assert stored["version"] == 4
    assert [e["version"] for e in _history(server, admin, policy_id)] == [1, 2, 3, 4]


def test_puts_without_a_version_apply_on_top_of_each_other(target: tuple[Server, str]) -> None:
    server, admin = target
    policy_id = server.call("POST", POLICIES, key=admin, json_body=email_cap()).json()["id"]
    bodies = [{"id": policy_id, "description": f"{i}"} for i in range(THREADS)]
    replies = _together([_put(server, admin, body) for body in bodies])
    assert all(r.status == 200 for r in replies)
    assert sorted(r.json()["version"] for r in replies) == list(range(2, THREADS + 2))
    history = _history(server, admin, policy_id)
    assert [e["version"] for e in history] == list(range(1, THREADS + 2))
    for previous, entry in itertools.pairwise(history):
        assert entry["before"] == previous["after"]  # each applied over the latest state


def test_creates_with_one_name_have_one_winner(target: tuple[Server, str]) -> None:
    server, admin = target
    create = functools.partial(server.call, "POST", POLICIES, key=admin, json_body=email_cap("Same name"))
    replies = _together([create] * THREADS)
    assert sorted(r.status for r in replies) == [201] + [409] * (THREADS - 1)
    listed = server.call("GET", POLICIES, key=admin).json()
    assert [p["name"] for p in listed["data"]] == ["Same name"]
