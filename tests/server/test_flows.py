"""Decision flows (SPEC §5.5) and the contact-policy delete warnings they cause (§5.3)."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cpol.server import flows
from cpol.server.database import make_engine, transaction
from cpol.server.errors import ApiError

from .client import POLICIES, KeyMaker, Server, email_cap
from .paging import newest_first, walk
from .test_no_5xx import JSON, TEXT

FLOWS = "/api/v1/decision-flows"
JSON_TYPE = {"Content-Type": "application/json"}
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
ROLES = ("viewer", "editor", "admin")


def _config(*policy_ids: str) -> dict[str, Any]:
    return {"stages": {"filter": {"contactPolicyIds": list(policy_ids)}, "rank": {"model": "nba"}}}


def _flow(server: Server, key: str, name: str = "Credit Card NBA", **fields: Any) -> dict[str, Any]:
    reply = server.call("POST", FLOWS, key=key, json_body={"name": name, **fields})
    assert reply.status == 201, reply.body
    flow: dict[str, Any] = reply.json()
    return flow


def _policy_id(server: Server, key: str, name: str) -> str:
    policy_id: str = server.call("POST", POLICIES, key=key, json_body=email_cap(name)).json()["id"]
    return policy_id


def test_create_get_update_delete(server: Server, admin: str) -> None:
    flow = _flow(server, admin, draftConfig=_config("cp_1"))
    assert list(flow) == ["id", "name", "draftConfig", "createdAt", "updatedAt"]
    assert re.fullmatch(r"df_[0-9a-f]{16}", flow["id"])
    assert flow["draftConfig"] == _config("cp_1")
    assert TIMESTAMP.match(flow["createdAt"]) and flow["updatedAt"] == flow["createdAt"]
    one = f"{FLOWS}/{flow['id']}"
    assert server.call("GET", one, key=admin).json() == flow

    renamed = server.call("PUT", one, key=admin, json_body={"name": "Renamed"}).json()
    assert renamed["name"] == "Renamed" and renamed["draftConfig"] == flow["draftConfig"]
    assert renamed["createdAt"] == flow["createdAt"] and renamed["updatedAt"] >= flow["updatedAt"]
    replaced = server.call("PUT", one, key=admin, json_body={"draftConfig": {"x": [1, None]}}).json()
    assert replaced["draftConfig"] == {"x": [1, None]} and replaced["name"] == "Renamed"
    assert server.call("GET", one, key=admin).json() == replaced

    deleted = server.call("DELETE", one, key=admin)
    assert deleted.status == 204 and deleted.body == b""
    for method in ("GET", "PUT", "DELETE"):
        reply = server.call(method, one, key=admin, json_body={"name": "x"} if method == "PUT" else None)
        assert reply.status == 404 and reply.error["code"] == "not_found"


def test_draft_config_is_stored_as_sent(server: Server, admin: str) -> None:
    assert _flow(server, admin)["draftConfig"] == {}
    config = {"z": 1, "a": {"deep": [{"é": "\u0000"}]}, "stages": None, "n": 1.5}
    assert _flow(server, admin, draftConfig=config)["draftConfig"] == config
    assert list(_flow(server, admin, draftConfig=config)["draftConfig"]) == ["z", "a", "stages", "n"]


@pytest.mark.parametrize(
    ("body", "paths"),
    [
        ({}, ["name"]),
        ({"name": ""}, ["name"]),
        ({"name": 5}, ["name"]),
        ({"name": "n" * 256}, ["name"]),
        ({"name": "a\u0000b"}, ["name"]),
        ({"name": "x", "draftConfig": []}, ["draftConfig"]),
        ({"name": "x", "draftConfig": None}, ["draftConfig"]),
        ({"name": "x", "draftConfig": {"stages": 3}}, ["draftConfig.stages"]),
        ({"name": "x", "draftConfig": {"stages": {"filter": ["cp_1"]}}}, ["draftConfig.stages.filter"]),
        (
            {"name": "x", "draftConfig": {"stages": {"filter": {"contactPolicyIds": "cp_1"}}}},
            ["draftConfig.stages.filter.contactPolicyIds"],
        ),
        (
            {"name": "x", "draftConfig": _config("cp_1", 2, None)},  # type: ignore[arg-type]
            [
                "draftConfig.stages.filter.contactPolicyIds[1]",
                "draftConfig.stages.filter.contactPolicyIds[2]",
            ],
        ),
        ({"name": "x", "owner": "me"}, ["owner"]),
        ({"name": "x", "id": "df_0123456789abcdef", "createdAt": "now"}, ["id", "createdAt"]),
        ({"name": "", "draftConfig": 1, "extra": True}, ["name", "draftConfig", "extra"]),
    ],
)
def test_invalid_bodies_are_400_at_their_paths(
    server: Server, admin: str, body: dict[str, Any], paths: list[str]
) -> None:
    reply = server.call("POST", FLOWS, key=admin, json_body=body)
    assert reply.status == 400, reply.body
    assert reply.error["code"] == "validation_error"
    assert sorted(d["path"] for d in reply.error["details"]) == sorted(paths)
    assert server.call("GET", FLOWS, key=admin).json()["data"] == []


def test_messages(server: Server, admin: str) -> None:
    def message(body: object) -> str:
        reply = server.call("POST", FLOWS, key=admin, json_body=body)
        return str(reply.error["details"][0]["message"])

    assert message({}) == "required"
    assert message({"name": "x", "draftConfig": []}) == "must be a JSON object"
    assert message({"name": "x", "owner": 1}) == "unknown field (the fields are name, draftConfig)"
    assert message({"name": "x", "createdAt": "t"}) == "this field is set by the server"
    assert message({"name": "x", "draftConfig": {"stages": {"filter": {"contactPolicyIds": [1]}}}}) == (
        "must be a string"
    )


@pytest.mark.parametrize("number", [b"1e999", b"-1" + b"0" * 5000, b"NaN", b"Infinity"])
def test_a_number_json_cannot_carry_is_400(server: Server, admin: str, number: bytes) -> None:
    """Python's decoder takes them (as infinity or NaN); they could not be answered back."""
    body = b'{"name": "x", "draftConfig": {"a": [0, ' + number + b"]}}"
    reply = server.call("POST", FLOWS, key=admin, data=body, headers={"Content-Type": "application/json"})
    assert reply.status == 400
    assert [d["path"] for d in reply.error["details"]] == ["draftConfig.a[1]"]


def test_a_body_that_is_not_an_object_is_400(server: Server, admin: str) -> None:
    assert server.call("POST", FLOWS, key=admin, json_body=["name"]).status == 400


def test_put_checks_the_whole_result_and_the_id(server: Server, admin: str) -> None:
    flow = _flow(server, admin, draftConfig=_config("cp_1"))
    one = f"{FLOWS}/{flow['id']}"
    for body, path in (
        ({"name": ""}, "name"),
        ({"draftConfig": {"stages": []}}, "draftConfig.stages"),
        ({"id": "df_0123456789abcdef"}, "id"),
        ({"updatedAt": flow["updatedAt"]}, "updatedAt"),
        ({"version": 2}, "version"),
    ):
        reply = server.call("PUT", one, key=admin, json_body=body)
        assert reply.status == 400 and [d["path"] for d in reply.error["details"]] == [path], body
    assert server.call("GET", one, key=admin).json() == flow
    same_id = server.call("PUT", one, key=admin, json_body={"id": flow["id"], "name": "New"})
    assert same_id.status == 200 and same_id.json()["name"] == "New"


@pytest.mark.parametrize(
    "flow_id", ["df_nope", "df_0123456789abcdef", "a%00b", "df_" + "0" * 5000, "%E2%80%94"]
)
def test_ids_that_name_no_flow_are_404(server: Server, admin: str, flow_id: str) -> None:
    for method in ("GET", "PUT", "DELETE"):
        body = {"name": "x"} if method == "PUT" else None
        reply = server.call(method, f"{FLOWS}/{flow_id}", key=admin, json_body=body)
        assert reply.status == 404, (method, reply.body)


def test_another_tenants_flows_are_404_and_unlisted(server: Server, make_key: KeyMaker, admin: str) -> None:
    flow = _flow(server, admin)
    stranger = make_key(f"t_{uuid.uuid4().hex[:12]}", "admin")
    one = f"{FLOWS}/{flow['id']}"
    for method, body in (("GET", None), ("PUT", {"name": "mine"}), ("DELETE", None)):
        reply = server.call(method, one, key=stranger, json_body=body)
        assert reply.status == 404 and reply.error["code"] == "not_found"
    assert server.call("GET", FLOWS, key=stranger).json()["data"] == []
    assert server.call("GET", one, key=admin).json() == flow


@pytest.mark.parametrize("role", ROLES)
def test_roles(server: Server, make_key: KeyMaker, tenant: str, admin: str, role: str) -> None:
    """Viewers read; only admins write (403 below, and nothing changes)."""
    key = make_key(tenant, role)
    flow = _flow(server, admin)
    one = f"{FLOWS}/{flow['id']}"
    assert server.call("GET", FLOWS, key=key).status == 200
    assert server.call("GET", one, key=key).status == 200
    writes = [
        server.call("POST", FLOWS, key=key, json_body={"name": "new"}).status,
        server.call("PUT", one, key=key, json_body={"name": "changed"}).status,
        server.call("DELETE", one, key=key).status,
    ]
    if role == "admin":
        assert writes == [201, 200, 204]
    else:
        assert writes == [403, 403, 403]
        assert server.call("GET", one, key=admin).json() == flow
        assert server.call("GET", FLOWS, key=admin).json()["pagination"]["total"] == 1


def test_without_a_key_every_endpoint_is_401(server: Server) -> None:
    for method, path in (
        ("GET", FLOWS),
        ("POST", FLOWS),
        ("GET", FLOWS + "/df_x"),
        ("DELETE", FLOWS + "/df_x"),
    ):
        assert server.call(method, path).status == 401


def _warnings(server: Server, key: str, policy_id: str) -> list[str]:
    reply = server.call("DELETE", f"{POLICIES}?id={policy_id}", key=key)
    assert reply.status == 200, reply.body
    assert reply.json()["deleted"] is True
    warnings: list[str] = reply.json()["warnings"]
    return warnings


def _warning(name: str) -> str:
    return f'Referenced by decision flow "{name}" — it will skip this policy.'


def test_delete_warnings_name_each_flow_that_uses_the_policy(
    server: Server, make_key: KeyMaker, admin: str
) -> None:
    first, second, unused = (_policy_id(server, admin, n) for n in ("first", "second", "unused"))
    _flow(server, admin, "Credit Card NBA", draftConfig=_config(first))
    _flow(server, admin, "Other", draftConfig=_config(second))
    gone = _flow(server, admin, "Gone", draftConfig=_config(first))
    _flow(server, admin, 'Both "quoted"', draftConfig=_config(second, first))
    _flow(server, admin, "Mentions only", draftConfig={"note": first, "stages": {"filter": {}}})
    _flow(server, admin, "Elsewhere", draftConfig={"stages": {"rank": {"contactPolicyIds": [first]}}})
    stranger = make_key(f"t_{uuid.uuid4().hex[:12]}", "admin")
    _flow(server, stranger, "Another tenant's", draftConfig=_config(first))
    assert server.call("DELETE", f"{FLOWS}/{gone['id']}", key=admin).status == 204

    assert _warnings(server, admin, first) == [_warning('Both "quoted"'), _warning("Credit Card NBA")]
    assert _warnings(server, admin, second) == [_warning('Both "quoted"'), _warning("Other")]
    assert _warnings(server, admin, unused) == []


def test_a_flow_renamed_or_changed_warns_as_it_now_is(server: Server, admin: str) -> None:
    policy_id = _policy_id(server, admin, "p")
    flow = _flow(server, admin, "Before", draftConfig=_config(policy_id))
    one = f"{FLOWS}/{flow['id']}"
    server.call("PUT", one, key=admin, json_body={"name": "After"})
    kept = _policy_id(server, admin, "kept")
    other = _flow(server, admin, "Dropped it", draftConfig=_config(kept))
    server.call("PUT", f"{FLOWS}/{other['id']}", key=admin, json_body={"draftConfig": _config()})
    assert _warnings(server, admin, policy_id) == [_warning("After")]
    assert _warnings(server, admin, kept) == []


def test_policy_ids(server: Server, make_key: KeyMaker, admin: str, tenant: str) -> None:
    """The library function decide calls: the ids as written, [] when the path is absent,
    404 for a flow the tenant does not have."""
    named = _flow(server, admin, draftConfig=_config("cp_b", "cp_a", "cp_b"))
    bare = _flow(server, admin, draftConfig={"stages": {"filter": {"contactPolicyIds": None}}})
    engine = make_engine(server.db_url)
    try:
        with transaction(engine) as session:
            assert flows.policy_ids(session, tenant, named["id"]) == ["cp_b", "cp_a", "cp_b"]
            assert flows.policy_ids(session, tenant, bare["id"]) == []
            for other_tenant, flow_id in (
                ("t_other", named["id"]),
                (tenant, "df_0123456789abcdef"),
                (tenant, "\0"),
            ):
                with pytest.raises(ApiError) as raised:
                    flows.policy_ids(session, other_tenant, flow_id)
                assert raised.value.status == 404
    finally:
        engine.dispose()


def test_list_rejects_bad_limits_and_cursors(server: Server, admin: str) -> None:
    for query, path in (("limit=0", "limit"), ("limit=101", "limit"), ("cursor=abc", "cursor")):
        reply = server.call("GET", f"{FLOWS}?{query}", key=admin)
        assert reply.status == 400 and [d["path"] for d in reply.error["details"]] == [path]


@settings(max_examples=10)  # each example makes a tenant and up to 12 flows over HTTP
@given(count=st.integers(0, 12), deleted=st.sets(st.integers(0, 11), max_size=4), data=st.data())
def test_walking_the_cursor(
    server: Server, make_key: KeyMaker, count: int, deleted: set[int], data: st.DataObject
) -> None:
    """Every live flow exactly once, newest first then by id, whatever the page sizes."""
    key = make_key(f"t_flows_{uuid.uuid4().hex[:12]}")
    created = [_flow(server, key, f"f{i}") for i in range(count)]
    for index in deleted & set(range(count)):
        server.call("DELETE", f"{FLOWS}/{created[index]['id']}", key=key)
    expected = sorted((f for i, f in enumerate(created) if i not in deleted), key=newest_first)
    seen = walk(server, key, FLOWS, lambda: data.draw(st.integers(1, 5), label="limit"), len(expected))
    assert seen == expected


@settings(max_examples=40)
@given(
    flow_id=TEXT,
    body=JSON
    | st.dictionaries(st.sampled_from(["id", "name", "draftConfig", "updatedAt", "x"]), JSON, max_size=4),
    config=JSON,
    query=st.dictionaries(st.sampled_from(["limit", "cursor"]), TEXT),
)
def test_random_ids_bodies_and_queries_are_never_5xx(
    server: Server, make_key: KeyMaker, flow_id: str, body: object, config: object, query: dict[str, str]
) -> None:
    key = make_key("t_fuzz_flows")
    flow = _flow(server, key, "fuzzed")
    nested = {"name": "n", "draftConfig": {"stages": {"filter": {"contactPolicyIds": config}, "x": config}}}
    one = quote(flow_id, safe="") or "x"
    sent = json.dumps(body).encode()
    for reply in (
        server.call("POST", FLOWS, key=key, data=sent, headers=JSON_TYPE),
        server.call("POST", FLOWS, key=key, json_body=nested),
        server.call(
            "PUT", f"{FLOWS}/{flow['id']}", key=key, data=json.dumps(body).encode(), headers=JSON_TYPE
        ),
        server.call("GET", f"{FLOWS}/{one}", key=key),
        server.call("PUT", f"{FLOWS}/{one}", key=key, json_body={"name": "x"}),
        server.call("DELETE", f"{FLOWS}/{one}", key=key),
        server.call("GET", f"{FLOWS}?{urlencode(query)}", key=key),
    ):
        assert reply.status < 500, reply.body
        assert reply.status < 400 or reply.error["code"]
