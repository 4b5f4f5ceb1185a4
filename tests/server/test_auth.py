"""Keys (SPEC §5.1): a wrong or a revoked key is a 401; both headers carry a key. No key,
roles and tenants, for every operation: test_roles.py and test_tenant_isolation.py."""

from __future__ import annotations

import pytest

from cpol.server.database import make_engine
from cpol.server.keys import revoke_key

from .client import POLICIES, KeyMaker, Server
from .operations import DOCUMENT, DOCUMENTED, Operation, Unknown, prepare

#: The operations that need a key, as `/openapi.json` says (test_roles checks it says so right).
NEEDS_KEY = [o for o in DOCUMENTED if DOCUMENT["paths"][o.path][o.method.lower()].get("security")]


def test_health_and_docs_need_no_key(server: Server) -> None:
    assert server.call("GET", "/healthz").json() == {"status": "ok"}
    schema = server.call("GET", "/openapi.json").json()
    assert "/api/v1/contact-policies" in schema["paths"]
    assert "/api/v1/contact-policies/{policy_id}/history" in schema["paths"]
    assert server.call("GET", "/docs").status == 200


@pytest.mark.parametrize("operation", NEEDS_KEY, ids=str)
def test_a_wrong_key_is_401(server: Server, operation: Operation) -> None:
    request = prepare(operation, Unknown())
    for headers in (
        {"Authorization": "Bearer nope"},
        {"X-API-Key": "nope"},
        {"Authorization": "Basic x"},
        {"Authorization": "Bearer "},
    ):
        reply = server.call(request.method, request.path, json_body=request.body, headers=headers)
        assert reply.status == 401, headers
        assert reply.error["code"] == "unauthorized"


def test_x_api_key_header_is_accepted(server: Server, make_key: KeyMaker, tenant: str) -> None:
    key = make_key(tenant, "viewer")
    assert server.call("GET", POLICIES, headers={"X-API-Key": key}).status == 200


def test_a_revoked_key_is_401(server: Server, make_key: KeyMaker, tenant: str) -> None:
    key = make_key(tenant, "admin")
    assert server.call("GET", POLICIES, key=key).status == 200
    engine = make_engine(server.db_url)
    try:
        from cpol.server.keys import list_keys

        name = next(k.name for k in list_keys(engine) if k.tenant_id == tenant)
        revoke_key(engine, name)
    finally:
        engine.dispose()
    assert server.call("GET", POLICIES, key=key).status == 401
