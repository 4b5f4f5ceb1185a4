"""No client input gives a 5xx (SPEC §5.2): random bodies, fields, queries and ids, each
answered with a success or a §5.2 error."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import quote, urlencode

from hypothesis import given, settings
from hypothesis import strategies as st

from .client import POLICIES, Reply, Server, email_cap

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
FIELDS = st.sampled_from(
    [
        "id",
        "tenantId",
        "name",
        "description",
        "status",
        "scope",
        "scopeId",
        "scopes",
        "ruleType",
        "config",
        "priority",
        "version",
        "deletedAt",
        "createdAt",
        "updatedAt",
        "maxPerWeek",
    ]
)
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)


def _answered(reply: Reply) -> None:
    assert reply.status < 500, reply.body
    if reply.status >= 400:
        assert reply.error["code"]


@settings(max_examples=60)
@given(body=JSON | st.dictionaries(FIELDS, JSON, max_size=5).map(lambda d: {**email_cap(), **d}))
def test_random_bodies(server: Server, make_key: Any, body: object) -> None:
    key = make_key("t_fuzz")
    _answered(
        server.call(
            "POST",
            POLICIES,
            key=key,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
    )
    policy = server.call("POST", POLICIES, key=key, json_body=email_cap(f"f{uuid.uuid4().hex}")).json()
    change = {**body, "id": policy["id"]} if isinstance(body, dict) else body
    _answered(
        server.call(
            "PUT",
            POLICIES,
            key=key,
            data=json.dumps(change).encode(),
            headers={"Content-Type": "application/json"},
        )
    )


@settings(max_examples=60)
@given(
    params=st.dictionaries(
        st.sampled_from(["limit", "cursor", "includeDeleted", "status", "ruleType", "scope", "id"]), TEXT
    ),
    policy_id=TEXT,
    cpol_text=TEXT,
)
def test_random_queries_ids_and_sources(
    server: Server, make_key: Any, params: dict[str, str], policy_id: str, cpol_text: str
) -> None:
    key = make_key("t_fuzz")
    _answered(server.call("GET", f"{POLICIES}?{urlencode(params)}", key=key))
    _answered(server.call("DELETE", f"{POLICIES}?{urlencode(params)}", key=key))
    path_id = quote(policy_id, safe="") or "x"
    for suffix in ("", "/history"):
        _answered(server.call("GET", f"{POLICIES}/{path_id}{suffix}", key=key))
    _answered(server.call("PUT", f"{POLICIES}/{path_id}", key=key, json_body={"priority": 1}))
    _answered(
        server.call(
            "POST", POLICIES, key=key, data=cpol_text.encode(), headers={"Content-Type": "text/x-cpol"}
        )
    )
