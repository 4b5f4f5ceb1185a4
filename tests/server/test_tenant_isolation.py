"""Tenants are walled off (SPEC §5.1), for every operation of `/openapi.json`: tenant B's
admin key, sending each operation's request aimed at tenant A's objects (its ids in the path,
query or body), gets what the same request aimed at ids that name nothing gets; B, which owns
nothing, is shown nothing (every list it reads is empty) and never A's names or ids (but
for ids it sent itself); and nothing B does changes A's data."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from .client import KeyMaker, Reply, Server
from .operations import DOCUMENTED, PATH_IDS, REQUESTS, Operation, Unknown, World, prepare, snapshot


def _shape(value: Any) -> Any:
    """A JSON value with each scalar replaced by its type: two answers about different
    objects of the same kind have the same shape."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(item) for item in value]
    return type(value).__name__


def _lists(value: Any) -> list[list[Any]]:
    """Every array in a JSON value."""
    if isinstance(value, dict):
        return [found for item in value.values() for found in _lists(item)]
    if isinstance(value, list):
        return [value, *(found for item in value for found in _lists(item))]
    return []


def _same_answer(theirs: Reply, unknown: Reply) -> None:
    """An error answer must be the very same; a success (B's own object made or listed)
    the same shape."""
    assert theirs.status == unknown.status, (theirs.body, unknown.body)
    if theirs.status >= 400:
        assert theirs.json() == unknown.json()
    elif theirs.body:
        assert _shape(theirs.json()) == _shape(unknown.json()), (theirs.body, unknown.body)


def test_the_tables_cover_every_operation_and_path_id() -> None:
    """Each operation of `/openapi.json` has its request, and each path parameter names a
    kind of object, so the test below aims every id-taking operation at another tenant."""
    unlisted = [str(o) for o in DOCUMENTED if str(o) not in REQUESTS]
    assert not unlisted, f"add these to tests/server/operations.py REQUESTS: {unlisted}"
    unknown = [f"{o}: {p}" for o in DOCUMENTED for p in o.parameters if p != "item_id" and p not in PATH_IDS]
    assert not unknown, f"add these path parameters to tests/server/operations.py PATH_IDS: {unknown}"
    assert set(REQUESTS) <= {str(o) for o in DOCUMENTED}, "REQUESTS names operations no longer served"


@pytest.mark.parametrize("operation", DOCUMENTED, ids=str)
def test_another_tenants_ids_answer_as_unknown_ones_and_change_nothing(
    server: Server, make_key: KeyMaker, operation: Operation
) -> None:
    owner = f"t_{uuid.uuid4().hex[:12]}"
    theirs = World(server, make_key(owner)).seeded()
    stranger = make_key(f"t_{uuid.uuid4().hex[:12]}", "admin")
    aimed_at_theirs, aimed_at_nothing = prepare(operation, theirs), prepare(operation, Unknown())
    before = snapshot(server, owner)
    answer = aimed_at_theirs.send(server, stranger)
    _same_answer(answer, aimed_at_nothing.send(server, stranger))
    if operation.method == "GET" and answer.status == 200:  # B owns nothing, on any page
        assert not any(_lists(answer.json())), f"a tenant that owns nothing is shown {answer.body!r}"
    sent = aimed_at_theirs.path + json.dumps(aimed_at_theirs.body)
    for secret in (s for s in (theirs.secret, *theirs.server_ids()) if s not in sent):
        assert secret.encode() not in answer.body, f"{secret} of another tenant is in {answer.body!r}"
    assert snapshot(server, owner) == before, "another tenant's request changed the data"
