"""Every operation of `/openapi.json` × no key and every role (SPEC §5.1): 401 without a
key, 403 below the operation's minimum role, and a refused request changes nothing in the
tenant's data; at or above the minimum, the request succeeds."""

from __future__ import annotations

import uuid

import pytest

from .client import POLICIES, KeyMaker, Server
from .operations import DOCUMENT, DOCUMENTED, Operation, World, prepare, snapshot

ROLE_ORDER = ("viewer", "editor", "admin")

#: The lowest role that may call each operation (SPEC §5.3–§5.6); None: no key needed.
MINIMUM_ROLE: dict[str, str | None] = {
    "GET /healthz": None,
    f"GET {POLICIES}": "viewer",
    f"POST {POLICIES}": "admin",
    f"PUT {POLICIES}": "admin",
    f"DELETE {POLICIES}": "admin",
    f"GET {POLICIES}/export": "viewer",
    f"POST {POLICIES}/import": "admin",
    f"POST {POLICIES}/impact-preview": "viewer",
    f"GET {POLICIES}/{{policy_id}}": "viewer",
    f"PUT {POLICIES}/{{policy_id}}": "admin",
    f"GET {POLICIES}/{{policy_id}}/history": "viewer",
    "GET /api/v1/decision-flows": "viewer",
    "POST /api/v1/decision-flows": "admin",
    "GET /api/v1/decision-flows/{flow_id}": "viewer",
    "PUT /api/v1/decision-flows/{flow_id}": "admin",
    "DELETE /api/v1/decision-flows/{flow_id}": "admin",
    "GET /api/v1/offers": "viewer",
    "GET /api/v1/offers/{item_id}": "viewer",
    "PUT /api/v1/offers/{item_id}": "editor",
    "DELETE /api/v1/offers/{item_id}": "editor",
    "GET /api/v1/channels": "viewer",
    "GET /api/v1/channels/{item_id}": "viewer",
    "PUT /api/v1/channels/{item_id}": "editor",
    "DELETE /api/v1/channels/{item_id}": "editor",
    "POST /api/v1/decide": "viewer",
    "GET /api/v1/decisions/{decision_id}": "viewer",
    "GET /api/v1/customers/{customerId}/decisions": "viewer",
    "POST /api/v1/respond": "editor",
    "GET /api/v1/customers/{customerId}/suppressions": "viewer",
    "POST /api/v1/customers/{customerId}/suppressions": "editor",
    "DELETE /api/v1/customers/{customerId}/suppressions/{recordId}": "editor",
    "POST /api/v1/contacts": "editor",
    "GET /api/v1/contacts": "viewer",
    "GET /api/v1/contacts/optouts": "viewer",
    "GET /api/v1/contacts/{contact_id}": "viewer",
    "PUT /api/v1/contacts/{contact_id}": "editor",
    "DELETE /api/v1/contacts/{contact_id}": "editor",
    "POST /api/v1/contacts/{contact_id}/tags": "editor",
    "DELETE /api/v1/contacts/{contact_id}/tags/{tag}": "editor",
    "PUT /api/v1/contacts/{contact_id}/preferences": "editor",
    "GET /api/v1/contacts/{contact_id}/activity": "viewer",
    "GET /api/v1/contacts/lists": "viewer",
    "POST /api/v1/contacts/lists": "editor",
    "GET /api/v1/contacts/lists/{list_id}": "viewer",
    "PUT /api/v1/contacts/lists/{list_id}": "editor",
    "DELETE /api/v1/contacts/lists/{list_id}": "editor",
    "GET /api/v1/contacts/lists/{list_id}/members": "viewer",
    "POST /api/v1/contacts/lists/{list_id}/members": "editor",
    "DELETE /api/v1/contacts/lists/{list_id}/members/{contact_id}": "editor",
    "GET /api/v1/metrics": "viewer",
    "GET /api/v1/metrics/{metric_id}": "viewer",
    "PUT /api/v1/metrics/{metric_id}": "admin",
    "DELETE /api/v1/metrics/{metric_id}": "admin",
    "GET /api/v1/customers/{customerId}/metrics": "viewer",
    "GET /api/v1/contacts/segments": "viewer",
    "POST /api/v1/contacts/segments": "editor",
    "GET /api/v1/contacts/segments/{segment_id}": "viewer",
    "DELETE /api/v1/contacts/segments/{segment_id}": "editor",
    "GET /api/v1/contacts/segments/{segment_id}/members": "viewer",
}


def minimum_role(operation: Operation) -> str | None:
    if str(operation) not in MINIMUM_ROLE:
        pytest.fail(f"{operation} has no minimum role in test_roles.py MINIMUM_ROLE: add it (SPEC §5)")
    return MINIMUM_ROLE[str(operation)]


def _cases(refused: bool) -> list[pytest.ParameterSet]:
    """(operation, role) pairs: no key or a role below the minimum (`refused`), or the
    others. An operation missing from the table is one case, failing in `minimum_role`."""
    cases = []
    for operation in DOCUMENTED:
        if str(operation) not in MINIMUM_ROLE:
            cases.append(pytest.param(operation, None, id=f"{operation}-unlisted"))
            continue
        for role in (None, *ROLE_ORDER):
            if _refused(MINIMUM_ROLE[str(operation)], role) == refused:
                cases.append(pytest.param(operation, role, id=f"{operation}-{role or 'no key'}"))
    return cases


def _refused(minimum: str | None, role: str | None) -> bool:
    if minimum is None:
        return False
    return role is None or ROLE_ORDER.index(role) < ROLE_ORDER.index(minimum)


def test_the_table_names_only_documented_operations() -> None:
    assert set(MINIMUM_ROLE) <= {str(o) for o in DOCUMENTED}, "MINIMUM_ROLE names operations no longer served"


def test_the_operations_documented_as_needing_a_key_are_those_the_table_says() -> None:
    """`/openapi.json` names the key's two headers on every operation that needs one."""
    for operation in DOCUMENTED:
        documented = DOCUMENT["paths"][operation.path][operation.method.lower()].get("security")
        assert bool(documented) == (minimum_role(operation) is not None), operation


@pytest.mark.parametrize(("operation", "role"), _cases(refused=True))
def test_no_key_or_a_role_below_the_minimum_is_refused_and_changes_nothing(
    server: Server, make_key: KeyMaker, operation: Operation, role: str | None
) -> None:
    """The refused request is one the operation serves to a key that may call it (see the
    next test), aimed at real objects: only the key refuses it."""
    assert _refused(minimum_role(operation), role)
    tenant = f"t_{uuid.uuid4().hex[:12]}"
    request = prepare(operation, World(server, make_key(tenant)))
    key = make_key(tenant, role) if role else None
    before = snapshot(server, tenant)
    reply = request.send(server, key)
    assert reply.status == (403 if role else 401), reply.body
    assert reply.error["code"] == ("forbidden" if role else "unauthorized")
    assert snapshot(server, tenant) == before, "a refused request changed the data"


@pytest.mark.parametrize(("operation", "role"), _cases(refused=False))
def test_no_key_needed_or_a_role_at_or_above_the_minimum_is_served(
    server: Server, make_key: KeyMaker, operation: Operation, role: str | None
) -> None:
    assert not _refused(minimum_role(operation), role)
    tenant = f"t_{uuid.uuid4().hex[:12]}"
    request = prepare(operation, World(server, make_key(tenant)))
    reply = request.send(server, make_key(tenant, role) if role else None)
    assert 200 <= reply.status < 300, reply.body
