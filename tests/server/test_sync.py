"""Policies as code (SPEC §5.4): export, and import matched by name, all or nothing."""

from __future__ import annotations

import functools
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import cpol
from cpol.server.sync import comparable
from tests.strategies import policy_sets

from .client import POLICIES, KeyMaker, Reply, Server, email_cap

EXPORT = f"{POLICIES}/export"
IMPORT = f"{POLICIES}/import"
CPOL_TYPE = {"Content-Type": "text/x-cpol"}
Policies = list[dict[str, Any]]


def storable_sets() -> st.SearchStrategy[Policies]:
    """Small valid policy sets the store accepts (a stored name cannot hold a NUL)."""
    return policy_sets(max_size=4).filter(lambda policies: all("\x00" not in p["name"] for p in policies))


def _import(server: Server, key: str, body: object, query: str = "") -> Reply:
    return server.call("POST", f"{IMPORT}?{query}", key=key, json_body=body)


def _export(server: Server, key: str) -> Policies:
    reply = server.call("GET", EXPORT, key=key)
    assert reply.status == 200, reply.body
    exported: Policies = reply.json()
    return exported


def _live(server: Server, key: str) -> dict[str, dict[str, Any]]:
    """The live policies by name, as an import compares them."""
    return {p["name"]: comparable(p) for p in _export(server, key)}


def _state(server: Server, key: str) -> tuple[Policies, list[Any]]:
    """Every policy (deleted ones too) and each one's history: all that a write changes."""
    listed: Policies = server.call("GET", f"{POLICIES}?limit=100&includeDeleted=true", key=key).json()["data"]
    return listed, [server.call("GET", f"{POLICIES}/{p['id']}/history", key=key).json() for p in listed]


def _answer(reply: Reply) -> dict[str, Any]:
    assert reply.status == 200, reply.body
    answer: dict[str, Any] = reply.json()
    assert set(answer) == {"created", "updated", "deleted", "unchanged", "changes"}
    return answer


def _lists(answer: dict[str, Any]) -> tuple[set[str], set[str], set[str], int]:
    return set(answer["created"]), set(answer["updated"]), set(answer["deleted"]), answer["unchanged"]


def test_export_answers_the_live_policies_as_json_or_cpol(
    server: Server, make_key: KeyMaker, tenant: str
) -> None:
    admin = make_key(tenant)
    for name, priority in (("Low", 10), ("High", 90), ("Gone", 50)):
        assert (
            server.call("POST", POLICIES, key=admin, json_body=email_cap(name, priority=priority)).status
            == 201
        )
    gone = next(p for p in server.call("GET", POLICIES, key=admin).json()["data"] if p["name"] == "Gone")
    server.call("DELETE", f"{POLICIES}?id={gone['id']}", key=admin)
    viewer = make_key(tenant, "viewer")

    exported = _export(server, viewer)  # a viewer may, and `export` is not taken for an id
    assert exported == server.call("GET", POLICIES, key=viewer).json()["data"]
    assert [p["name"] for p in exported] == ["High", "Low"]
    text = server.call("GET", EXPORT, key=viewer, headers={"Accept": "text/x-cpol"})
    assert text.status == 200 and text.headers["content-type"].startswith("text/x-cpol")
    assert [p.to_json() for p in cpol.compile_source(text.body.decode())] == exported


def test_an_empty_tenant_exports_nothing(server: Server, admin: str) -> None:
    assert _export(server, admin) == []
    assert server.call("GET", EXPORT, key=admin, headers={"Accept": "text/x-cpol"}).status == 200


def test_import_creates_updates_leaves_alone_and_prunes(server: Server, admin: str) -> None:
    first = [email_cap("A"), email_cap("B"), email_cap("C")]
    assert _lists(_answer(_import(server, admin, first))) == ({"A", "B", "C"}, set(), set(), 0)
    before = {p["name"]: p for p in _export(server, admin)}

    changed = email_cap("A", priority=20, config={"maxPerWeek": 2})
    answer = _answer(_import(server, admin, [changed, email_cap("B"), email_cap("D")], "prune=true"))
    assert _lists(answer) == ({"D"}, {"A"}, {"C"}, 1)
    assert answer["changes"] == [
        {"name": "A", "field": "config", "from": {"maxPerDay": 1, "maxPerWeek": 3}, "to": {"maxPerWeek": 2}},
        {"name": "A", "field": "priority", "from": 80, "to": 20},
    ]
    after = {p["name"]: p for p in _export(server, admin)}
    assert set(after) == {"A", "B", "D"}
    assert after["B"] == before["B"]  # unchanged: not even a new version
    assert (after["A"]["id"], after["A"]["version"]) == (before["A"]["id"], 2)
    history = server.call("GET", f"{POLICIES}/{before['A']['id']}/history", key=admin).json()["data"]
    assert [e["action"] for e in history] == ["create", "update"] and history[1]["actor"]
    deleted = server.call("GET", f"{POLICIES}/{before['C']['id']}", key=admin).json()
    assert deleted["deletedAt"] is not None and deleted["version"] == 2


def test_without_prune_absent_policies_stay(server: Server, admin: str) -> None:
    _answer(_import(server, admin, [email_cap("A"), email_cap("B")]))
    assert _lists(_answer(_import(server, admin, [email_cap("B")]))) == (set(), set(), set(), 1)
    assert set(_live(server, admin)) == {"A", "B"}


def test_an_import_replaces_a_policy_whole(server: Server, admin: str) -> None:
    """A field the body leaves out is removed, not kept from the stored policy."""
    _answer(_import(server, admin, [email_cap("A")]))
    bare = {k: v for k, v in email_cap("A").items() if k != "description"}
    answer = _answer(_import(server, admin, [bare]))
    assert answer["changes"] == [
        {"name": "A", "field": "description", "from": email_cap()["description"], "to": None}
    ]
    assert "description" not in _export(server, admin)[0]


def test_a_dry_run_answers_the_plan_and_changes_nothing(server: Server, admin: str) -> None:
    _answer(_import(server, admin, [email_cap("A"), email_cap("B")]))
    body = [email_cap("A", priority=1), email_cap("New")]
    before = _state(server, admin)
    planned = _answer(_import(server, admin, body, "dryRun=true&prune=true"))
    assert _state(server, admin) == before
    assert _answer(_import(server, admin, body, "prune=true")) == planned
    assert _lists(planned) == ({"New"}, {"A"}, {"B"}, 0)


def test_one_bad_policy_rejects_the_whole_body(server: Server, admin: str) -> None:
    _answer(_import(server, admin, [email_cap("A")]))
    before = _state(server, admin)
    bad = email_cap("Bad", config={"maxPerWeek": -1})
    worse = email_cap("Worse", ruleType="no_such_rule")
    reply = _import(server, admin, [email_cap("A", priority=1), bad, email_cap("Good"), worse], "prune=true")
    assert reply.status == 400 and reply.error["code"] == "validation_error"
    paths = {d["path"] for d in reply.error["details"]}
    assert "[1].config.maxPerWeek" in paths and any(p and p.startswith("[3].") for p in paths)
    assert _state(server, admin) == before


def test_a_name_the_store_refuses_is_listed_at_its_index(server: Server, admin: str) -> None:
    reply = _import(server, admin, [email_cap("Good"), email_cap("Bad\x00"), email_cap("\x00")])
    assert reply.status == 400
    assert [d["path"] for d in reply.error["details"]] == ["[1].name", "[2].name"]
    assert _export(server, admin) == []


def test_a_bad_cpol_file_is_rejected_with_lines(server: Server, admin: str) -> None:
    text = 'policy "Good" {\n  cooldown 48 hours\n}\npolicy "Bad" {\n  cap -1 per week\n}\n'
    reply = server.call("POST", IMPORT, key=admin, data=text.encode(), headers=CPOL_TYPE)
    assert reply.status == 400
    assert all(d["path"] is None and d["message"].startswith("line ") for d in reply.error["details"])
    assert _export(server, admin) == []


def test_the_body_must_be_a_list_of_policies(server: Server, admin: str) -> None:
    assert _import(server, admin, email_cap()).status == 400
    assert (
        server.call("POST", IMPORT, key=admin, data=b"x", headers={"Content-Type": "text/plain"}).status
        == 415
    )


def test_only_an_admin_imports(server: Server, make_key: KeyMaker, tenant: str) -> None:
    assert _import(server, make_key(tenant, "editor"), [email_cap()]).status == 403


def test_an_export_imports_back_as_all_unchanged(server: Server, admin: str) -> None:
    """Server fields in the body (an export carries them) are ignored, not refused."""
    _answer(
        _import(
            server, admin, [email_cap("A"), email_cap("B", scopes=[{"scope": "channel", "scopeId": "x"}])]
        )
    )
    before = _state(server, admin)
    unchanged: tuple[set[str], set[str], set[str], int] = (set(), set(), set(), 2)
    assert _lists(_answer(_import(server, admin, _export(server, admin), "prune=true"))) == unchanged
    listed = server.call("GET", POLICIES, key=admin).json()
    assert _lists(_answer(_import(server, admin, listed, "prune=true"))) == unchanged
    text = server.call("GET", EXPORT, key=admin, headers={"Accept": "text/x-cpol"}).body
    reply = server.call("POST", f"{IMPORT}?prune=true", key=admin, data=text, headers=CPOL_TYPE)
    assert _lists(_answer(reply)) == unchanged
    assert _state(server, admin) == before


@settings(max_examples=15, deadline=None)  # each example is a tenant and two imports over HTTP
@given(first=storable_sets(), second=storable_sets())
def test_importing_with_prune_makes_the_live_set_the_body(
    server: Server, make_key: KeyMaker, first: Policies, second: Policies
) -> None:
    key = make_key(f"t_sync_{uuid.uuid4().hex[:12]}")
    _answer(_import(server, key, first))
    old = {p["name"]: comparable(p) for p in first}
    new = {p["name"]: comparable(p) for p in second}
    answer = _answer(_import(server, key, second, "prune=true"))
    assert _live(server, key) == new
    kept = set(old) & set(new)
    changed = {name for name in kept if old[name] != new[name]}
    assert _lists(answer) == (set(new) - set(old), changed, set(old) - set(new), len(kept - changed))
    assert {c["name"] for c in answer["changes"]} == changed


def test_concurrent_imports_end_in_one_of_the_two_states(server: Server, admin: str) -> None:
    bodies = (
        [email_cap("A", priority=1), email_cap("B"), email_cap("C")],
        [email_cap("A", priority=2), email_cap("D"), email_cap("E", priority=3)],
    )
    states = [{p["name"]: comparable(p) for p in body} for body in bodies]
    calls = [functools.partial(_import, server, admin, bodies[i % 2], "prune=true") for i in range(8)]
    for _ in range(3):
        with ThreadPoolExecutor(8) as pool:
            replies = list(pool.map(lambda call: call(), calls))
        assert all(r.status == 200 for r in replies), [r.body for r in replies]
        assert _live(server, admin) in states
