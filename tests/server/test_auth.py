"""Keys, roles and tenants (SPEC §5.1): 401, 403 per endpoint × role, another tenant's ids 404."""

from __future__ import annotations

import pytest

from cpol.server.database import make_engine
from cpol.server.keys import revoke_key

from .client import POLICIES, KeyMaker, Server, email_cap

ROLE_ORDER = ("viewer", "editor", "admin")

# Every endpoint built, with the lowest role that may call it.
ENDPOINTS: list[tuple[str, str, str]] = [
    ("GET", POLICIES, "viewer"),
    ("GET", POLICIES + "/{id}", "viewer"),
    ("GET", POLICIES + "/{id}/history", "viewer"),
    ("POST", POLICIES, "admin"),
    ("PUT", POLICIES, "admin"),
    ("PUT", POLICIES + "/{id}", "admin"),
    ("DELETE", POLICIES + "?id={id}", "admin"),
]


def _request(server: Server, method: str, path: str, policy_id: str, key: str) -> int:
    """The endpoint called with a body it accepts, so only the key decides the answer."""
    body = None
    if method == "POST":
        body = email_cap(f"n-{policy_id}")
    elif method == "PUT":
        body = {"id": policy_id, "description": "changed"}
    return server.call(method, path.format(id=policy_id), key=key, json_body=body).status


def test_health_and_docs_need_no_key(server: Server) -> None:
    assert server.call("GET", "/healthz").json() == {"status": "ok"}
    schema = server.call("GET", "/openapi.json").json()
    assert "/api/v1/contact-policies" in schema["paths"]
    assert "/api/v1/contact-policies/{policy_id}/history" in schema["paths"]
    assert server.call("GET", "/docs").status == 200


@pytest.mark.parametrize(("method", "path", "minimum"), ENDPOINTS)
def test_no_key_or_a_wrong_one_is_401(server: Server, method: str, path: str, minimum: str) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer nope"},
        {"X-API-Key": "nope"},
        {"Authorization": "Basic x"},
    ):
        reply = server.call(method, path.format(id="cp_x"), headers=headers)
        assert reply.status == 401
        assert reply.error["code"] == "unauthorized"


@pytest.mark.parametrize(("method", "path", "minimum"), ENDPOINTS)
def test_roles(
    server: Server, make_key: KeyMaker, tenant: str, admin: str, method: str, path: str, minimum: str
) -> None:
    """Below the minimum: 403 and nothing changes; at or above it: not 401/403."""
    for role in ROLE_ORDER:
        policy_id = server.call("POST", POLICIES, key=admin, json_body=email_cap(f"{role}-p")).json()["id"]
        status = _request(server, method, path, policy_id, make_key(tenant, role))
        if ROLE_ORDER.index(role) < ROLE_ORDER.index(minimum):
            assert status == 403, (role, method, path)
            assert server.call("GET", f"{POLICIES}/{policy_id}", key=admin).json()["version"] == 1
        else:
            assert status in (200, 201), (role, method, path, status)


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


@pytest.mark.parametrize(("method", "path", "minimum"), ENDPOINTS)
def test_another_tenants_ids_are_404(
    server: Server, make_key: KeyMaker, admin: str, method: str, path: str, minimum: str
) -> None:
    policy_id = server.call("POST", POLICIES, key=admin, json_body=email_cap("theirs")).json()["id"]
    stranger = make_key("t_other_" + policy_id, "admin")
    if method in ("POST",) or (path == POLICIES and method == "GET"):
        listed = server.call("GET", POLICIES, key=stranger).json()
        assert policy_id not in {p["id"] for p in listed["data"]}
        return
    reply = server.call(
        method,
        path.format(id=policy_id),
        key=stranger,
        json_body={"id": policy_id, "description": "x"} if method == "PUT" else None,
    )
    assert reply.status == 404
    assert reply.error["code"] == "not_found"
    assert server.call("GET", f"{POLICIES}/{policy_id}", key=admin).json()["version"] == 1
