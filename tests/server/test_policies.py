"""The contact-policy endpoints of SPEC §5.3: each one's answers, success and error."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import Any

import pytest

import cpol

from .client import POLICIES, Server, email_cap

SEED = Path(__file__).parents[1] / "fixtures" / "seed"
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
DEFAULTS = {"status": "active", "scope": "offer", "priority": 50}
SERVER_FIELDS = ("id", "tenantId", "version", "createdAt", "updatedAt", "deletedAt")


def _user_fields(policy: dict[str, Any]) -> dict[str, Any]:
    """What a client sends: the policy without the server's fields (scope rows' too)."""
    fields = {k: v for k, v in policy.items() if k not in SERVER_FIELDS}
    if isinstance(fields.get("scopes"), list):
        fields["scopes"] = [{"scope": r["scope"], "scopeId": r.get("scopeId")} for r in fields["scopes"]]
    return fields


def test_create_answers_201_with_the_stored_object(server: Server, admin: str, tenant: str) -> None:
    reply = server.call("POST", POLICIES, key=admin, json_body=email_cap())
    assert reply.status == 201
    stored = reply.json()
    assert stored["id"].startswith("cp_")
    assert stored["tenantId"] == tenant
    assert stored["version"] == 1
    assert stored["deletedAt"] is None
    assert TIMESTAMP.match(stored["createdAt"]) and stored["updatedAt"] == stored["createdAt"]
    assert _user_fields(stored) == {**email_cap(), "status": "active"}
    assert list(stored)[:3] == ["id", "tenantId", "name"]
    assert server.call("GET", f"{POLICIES}/{stored['id']}", key=admin).json() == stored


def test_scopes_get_server_rows(server: Server, admin: str) -> None:
    body = email_cap(scopes=[{"scope": "channel", "scopeId": "ch_sms"}, {"scope": "global"}])
    stored = server.call("POST", POLICIES, key=admin, json_body=body).json()
    rows = stored["scopes"]
    assert list(rows[0]) == ["id", "contactPolicyId", "scope", "scopeId", "createdAt"]
    assert all(r["id"].startswith("cps_") and r["contactPolicyId"] == stored["id"] for r in rows)
    assert [(r["scope"], r.get("scopeId")) for r in rows] == [("channel", "ch_sms"), ("global", None)]


@pytest.mark.parametrize("field", [*SERVER_FIELDS, "scopes"])
def test_server_owned_fields_are_refused(server: Server, admin: str, field: str) -> None:
    body = email_cap()
    if field == "scopes":
        body["scopes"] = [{"id": "cps_1", "scope": "global"}]
    else:
        body[field] = "cp_1" if field in ("id", "tenantId") else 1
    reply = server.call("POST", POLICIES, key=admin, json_body=body)
    assert reply.status == 400
    assert reply.error["details"] == [
        {"path": "scopes[0].id" if field == "scopes" else field, "message": "this field is set by the server"}
    ]


def test_a_live_name_clash_is_409_and_a_deleted_name_is_free(server: Server, admin: str) -> None:
    first = server.call("POST", POLICIES, key=admin, json_body=email_cap()).json()
    clash = server.call("POST", POLICIES, key=admin, json_body=email_cap())
    assert clash.status == 409 and clash.error["code"] == "conflict"
    assert server.call("DELETE", f"{POLICIES}?id={first['id']}", key=admin).status == 200
    assert server.call("POST", POLICIES, key=admin, json_body=email_cap()).status == 201


def test_create_from_cpol_text(server: Server, admin: str) -> None:
    text = 'policy "Quarantine" {\n  suppress for 90 days after "complaint"\n}\n'
    reply = server.call(
        "POST", POLICIES, key=admin, data=text.encode(), headers={"Content-Type": "text/x-cpol"}
    )
    assert reply.status == 201, reply.body
    expected = cpol.compile_source(text)[0].to_json()
    assert {k: v for k, v in _user_fields(reply.json()).items() if k in expected} == expected


def test_cpol_text_may_use_the_standard_library_only(server: Server, admin: str, tmp_path: Path) -> None:
    (tmp_path / "secret.cpol").write_text('policy "S" {\n cooldown 1 hour }\n')
    cpol_type = {"Content-Type": "text/x-cpol"}
    stdlib = 'use "compliance/adverse_outcomes_quarantine"\n'
    reply = server.call("POST", POLICIES, key=admin, data=stdlib.encode(), headers=cpol_type)
    assert reply.status == 201, reply.body
    for source in (f'use "{tmp_path / "secret.cpol"}"\n', 'use "secret.cpol"\n'):
        reply = server.call("POST", POLICIES, key=admin, data=source.encode(), headers=cpol_type)
        assert reply.status == 400, reply.body


def test_cpol_text_errors_and_counts(server: Server, admin: str) -> None:
    cpol_type = {"Content-Type": "text/x-cpol"}
    broken = server.call(
        "POST", POLICIES, key=admin, data=b'policy "x" {\n  cap 0 per fortnight\n}\n', headers=cpol_type
    )
    assert broken.status == 400
    assert broken.error["details"] and all("line " in d["message"] for d in broken.error["details"])
    two = 'policy "a" {\n cooldown 1 hour }\npolicy "b" {\n cooldown 2 hours }\n'
    reply = server.call("POST", POLICIES, key=admin, data=two.encode(), headers=cpol_type)
    assert reply.status == 400 and "exactly one" in reply.error["message"]
    assert server.call("POST", POLICIES, key=admin, data=b"\xff", headers=cpol_type).status == 400


def test_get_as_cpol_source(server: Server, admin: str) -> None:
    stored = server.call("POST", POLICIES, key=admin, json_body=email_cap()).json()
    reply = server.call("GET", f"{POLICIES}/{stored['id']}", key=admin, headers={"Accept": "text/x-cpol"})
    assert reply.status == 200
    assert reply.headers["content-type"].startswith("text/x-cpol")
    assert cpol.to_json(cpol.compile_source(reply.body.decode())) == [stored]


def test_get_unknown_is_404(server: Server, admin: str) -> None:
    reply = server.call("GET", f"{POLICIES}/cp_nope", key=admin)
    assert reply.status == 404 and reply.error["code"] == "not_found"
    assert server.call("GET", f"{POLICIES}/cp_nope/history", key=admin).status == 404


def test_put_changes_only_the_fields_given(server: Server, admin: str) -> None:
    stored = server.call("POST", POLICIES, key=admin, json_body=email_cap()).json()
    change = {"id": stored["id"], "config": {"maxPerWeek": 5}, "priority": 60}
    updated = server.call("PUT", POLICIES, key=admin, json_body=change).json()
    assert updated["version"] == 2
    assert updated["config"] == {"maxPerWeek": 5}  # replaced whole
    assert updated["priority"] == 60
    assert updated["description"] == stored["description"]
    assert updated["createdAt"] == stored["createdAt"] and updated["updatedAt"] >= stored["updatedAt"]
    by_path = server.call("PUT", f"{POLICIES}/{stored['id']}", key=admin, json_body={"status": "paused"})
    assert by_path.json()["status"] == "paused" and by_path.json()["version"] == 3
    unchanged = server.call("PUT", POLICIES, key=admin, json_body={"id": stored["id"], "priority": 60})
    assert unchanged.json() == by_path.json()  # nothing changed: no new version
    history = server.call("GET", f"{POLICIES}/{stored['id']}/history", key=admin).json()["data"]
    assert [e["version"] for e in history] == [1, 2, 3]


def test_put_errors(server: Server, admin: str) -> None:
    stored = server.call("POST", POLICIES, key=admin, json_body=email_cap()).json()
    other = server.call("POST", POLICIES, key=admin, json_body=email_cap("Other")).json()
    policy_id = stored["id"]

    def put(body: dict[str, Any]) -> Any:
        return server.call("PUT", POLICIES, key=admin, json_body={"id": policy_id, **body})

    stale = put({"version": 7, "priority": 1})
    assert stale.status == 409 and stale.error["code"] == "version_conflict"
    invalid = put({"config": {"maxPerWeek": -1}, "scope": "galaxy"})
    assert invalid.status == 400
    assert {d["path"] for d in invalid.error["details"]} == {"config.maxPerWeek", "scope"}
    assert put({"name": "Other"}).status == 409
    assert put({"createdAt": "2026-01-01T00:00:00.000Z"}).status == 400
    assert put({"version": "1"}).status == 400
    assert server.call("PUT", POLICIES, key=admin, json_body={"priority": 1}).status == 400
    mismatch = server.call("PUT", f"{POLICIES}/{other['id']}", key=admin, json_body={"id": policy_id})
    assert mismatch.status == 400
    assert server.call("PUT", POLICIES, key=admin, json_body={"id": "cp_nope"}).status == 404
    assert server.call("PUT", POLICIES, key=admin, json_body=[1]).status == 400
    assert server.call("GET", f"{POLICIES}/{policy_id}", key=admin).json() == stored  # nothing changed
    assert put({"version": 1, "priority": 1}).json()["version"] == 2


def test_delete_is_soft_and_audited(server: Server, admin: str) -> None:
    stored = server.call("POST", POLICIES, key=admin, json_body=email_cap()).json()
    policy_id = stored["id"]
    server.call("PUT", POLICIES, key=admin, json_body={"id": policy_id, "priority": 10})
    reply = server.call("DELETE", f"{POLICIES}?id={policy_id}", key=admin)
    assert reply.status == 200 and reply.json() == {"deleted": True, "warnings": []}
    kept = server.call("GET", f"{POLICIES}/{policy_id}", key=admin).json()
    assert kept["version"] == 3 and TIMESTAMP.match(kept["deletedAt"])
    assert server.call("DELETE", f"{POLICIES}?id={policy_id}", key=admin).status == 404
    assert server.call("DELETE", POLICIES, key=admin).status == 400
    assert server.call("PUT", POLICIES, key=admin, json_body={"id": policy_id, "priority": 1}).status == 404
    listed = server.call("GET", POLICIES, key=admin).json()["data"]
    assert policy_id not in {p["id"] for p in listed}
    with_deleted = server.call("GET", f"{POLICIES}?includeDeleted=true", key=admin).json()["data"]
    assert policy_id in {p["id"] for p in with_deleted}

    history = server.call("GET", f"{POLICIES}/{policy_id}/history", key=admin).json()["data"]
    assert [(e["action"], e["version"]) for e in history] == [("create", 1), ("update", 2), ("delete", 3)]
    assert history[0]["before"] is None and history[0]["after"] == stored
    assert all(e["before"] == previous["after"] for previous, e in itertools.pairwise(history))
    assert history[-1]["after"] == kept
    assert all(e["actor"].startswith("t_") and TIMESTAMP.match(e["at"]) for e in history)


def test_filters(server: Server, admin: str) -> None:
    server.call("POST", POLICIES, key=admin, json_body=email_cap("a"))
    server.call("POST", POLICIES, key=admin, json_body=email_cap("b", status="paused"))
    global_cooldown = {"name": "c", "scope": "global", "ruleType": "cooldown", "config": {"cooldownHours": 4}}
    server.call("POST", POLICIES, key=admin, json_body=global_cooldown)
    multi = email_cap(
        "d", scopes=[{"scope": "offer", "scopeId": "o1"}, {"scope": "category", "scopeId": "c"}]
    )
    server.call("POST", POLICIES, key=admin, json_body=multi)

    def names(query: str) -> set[str]:
        reply = server.call("GET", f"{POLICIES}?{query}", key=admin).json()
        assert reply["pagination"]["total"] == len(reply["data"])
        return {p["name"] for p in reply["data"]}

    assert names("status=paused") == {"b"}
    assert names("ruleType=cooldown") == {"c"}
    assert names("scope=global") == {"c"}
    assert names("scope=category") == {"d"}
    assert names("scope=channel") == {"a", "b"}
    assert names("status=active&ruleType=frequency_cap") == {"a", "d"}
    for query in ("status=sleeping", "ruleType=nope", "scope=galaxy", "limit=0", "limit=101", "limit=x"):
        reply = server.call("GET", f"{POLICIES}?{query}", key=admin)
        assert reply.status == 400, query
        assert reply.error["details"][0]["path"] == query.split("=")[0]
    bad_cursor = server.call("GET", f"{POLICIES}?cursor=bm9wZQ", key=admin)
    assert bad_cursor.status == 400 and bad_cursor.error["details"][0]["path"] == "cursor"


@pytest.mark.parametrize("fixture", ["api-list-response.json", "seed-policies.json"])
def test_the_seed_list_response_round_trips(server: Server, admin: str, fixture: str) -> None:
    """The seed's policies, created, come back with the same fields (server ones new, and
    the defaults of status, scope and priority written out)."""
    seed = json.loads((SEED / fixture).read_text())["data"]
    for policy in seed:
        reply = server.call("POST", POLICIES, key=admin, json_body=_user_fields(policy))
        assert reply.status == 201, reply.body
    listed = server.call("GET", f"{POLICIES}?limit=100", key=admin).json()
    assert listed["pagination"]["total"] == len(seed)
    by_name = {p["name"]: p for p in listed["data"]}
    for policy in seed:
        assert _user_fields(by_name[policy["name"]]) == {**DEFAULTS, **_user_fields(policy)}
    assert cpol.to_json(cpol.load_json(listed)) == listed["data"]  # the library reads it back


def test_a_name_with_a_nul_is_a_validation_error_on_every_database(server: Server, admin: str) -> None:
    """PostgreSQL cannot store a NUL in text; the service refuses such a name on every
    database alike, so the answer is a 400 at `name`, never a 500."""
    reply = server.call("POST", POLICIES, key=admin, json_body=email_cap(name="a\u0000b"))
    assert reply.status == 400, reply.body
    (detail,) = reply.error["details"]
    assert detail["path"] == "name" and "NUL" in detail["message"]
