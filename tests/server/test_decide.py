"""`POST /decide` and the decision log (SPEC §5.6): a decision equals what `cpol explain`
gives on its logged request and policy set, also after the policies changed."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

import cpol
from cpol.runtime.render import decisions_json
from cpol.server import catalogue, decision_log
from cpol.server.database import make_engine, transaction
from tests.runtime.test_properties import policy_sets, requests

from .client import POLICIES, KeyMaker, Reply, Server

EXAMPLES = Path(__file__).parents[2] / "examples"
Json = dict[str, Any]


def _import(server: Server, key: str, policies: list[Json]) -> None:
    reply = server.call("POST", f"{POLICIES}/import", key=key, json_body=policies)
    assert reply.status == 200, reply.body


def _decide(server: Server, key: str, body: Json) -> Reply:
    return server.call("POST", "/api/v1/decide", key=key, json_body=body)


def _demo_body(explain: bool) -> Json:
    request = json.loads((EXAMPLES / "demo-request.json").read_text())
    body = {
        key: request[key] for key in ("now", "customer", "interactions", "budgets", "session", "candidates")
    }
    return {"customerId": request["customer"]["id"], "explain": explain, **body}


def _cli(command: str, policies: Path, request: Path) -> list[Json]:
    extra = ["--format", "json"] if command == "explain" else []
    done = subprocess.run(
        [sys.executable, "-m", "cpol.cli", command, str(policies), "-c", str(request), *extra],
        capture_output=True,
        check=True,
    )
    decided: list[Json] = json.loads(done.stdout)
    return decided


def _replayed_by_cli(entry: Json, folder: Path) -> list[Json]:
    """`cpol explain` (traces logged) or `cpol eval` on the entry's request and policies."""
    policies, request = (
        folder / f"{entry['decisionId']}-policies.json",
        folder / f"{entry['decisionId']}-request.json",
    )
    policies.write_text(json.dumps(entry["policies"]))
    request.write_text(json.dumps(entry["request"]))
    return _cli("explain" if "trace" in entry["decisions"][0] else "eval", policies, request)


def _entry(server: Server, key: str, decision_id: str) -> Json:
    reply = server.call("GET", f"/api/v1/decisions/{decision_id}", key=key)
    assert reply.status == 200, reply.body
    entry: Json = reply.json()
    return entry


def test_a_decision_equals_cpol_explain_on_its_logged_request_even_after_the_policies_change(
    server: Server, admin: str, tmp_path: Path
) -> None:
    _import(server, admin, json.loads((EXAMPLES / "all_rule_types.json").read_text()))
    first = _decide(server, admin, _demo_body(explain=True))
    assert first.status == 200, first.body
    answer = first.json()
    assert answer["customerId"] == "cust_042" and answer["now"] == "2026-03-20T14:00:00Z"
    assert [d["allowed"] for d in answer["decisions"]].count(True) >= 1  # a decision worth replaying
    assert all("trace" in d for d in answer["decisions"])

    # a weekly cap becomes "none at all": decide again, and the first decision still replays as it was
    cap = next(p for p in _export(server, admin) if p["ruleType"] == "frequency_cap")
    changed = server.call("PUT", POLICIES, key=admin, json_body={"id": cap["id"], "config": {"maxPerDay": 0}})
    assert changed.status == 200, changed.body
    second = _decide(server, admin, _demo_body(explain=False)).json()
    assert second["policySetVersion"] != answer["policySetVersion"]
    assert second["decisions"] != [{k: v for k, v in d.items() if k != "trace"} for d in answer["decisions"]]

    for decided in (answer, second):
        entry = _entry(server, admin, decided["decisionId"])
        assert entry["decisions"] == decided["decisions"]
        assert entry["policySetVersion"] == decided["policySetVersion"]
        assert _replayed_by_cli(entry, tmp_path) == decided["decisions"]


def _export(server: Server, key: str) -> list[Json]:
    exported: list[Json] = server.call("GET", f"{POLICIES}/export", key=key).json()
    return exported


def _library(entry: Json, *, explain: bool) -> list[Json]:
    """The decisions the library gives on a logged request and policy set."""
    engine = cpol.Engine(cpol.load_json(entry["policies"]))
    return decisions_json(engine.decide_json(entry["request"], explain=explain))


def _unique_names(policies: list[Json]) -> list[Json]:
    return [{**p, "name": f"{p['name']} #{i}"} for i, p in enumerate(policies)]


def _split_history(request: Json) -> tuple[list[Json], list[Json]]:
    """The request's interactions as recorded through /respond (those with a channel, which
    respond requires; the server gives their ids) and as given in the decide body (the rest)."""
    recorded = [
        {"customerId": request["customer"]["id"], **{k: v for k, v in i.items() if k != "id"}}
        for i in request["interactions"]
        if "channelId" in i
    ]
    return recorded, [i for i in request["interactions"] if "channelId" not in i]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(policies=policy_sets(), request=requests(), explain=st.booleans())
def test_the_service_decides_as_the_library_does_on_the_logged_request(
    server: Server, make_key: KeyMaker, policies: list[Json], request: Json, explain: bool
) -> None:
    key = make_key(f"t_{uuid.uuid4().hex[:12]}")
    _import(server, key, _unique_names(policies))
    recorded, given_ = _split_history(request)
    if recorded:
        assert (
            server.call("POST", "/api/v1/respond", key=key, json_body={"interactions": recorded}).status
            == 201
        )
    body = {k: v for k, v in request.items() if k not in ("suppressions", "interactions")}
    body = {"customerId": request["customer"]["id"], "explain": explain, "interactions": given_, **body}
    reply = _decide(server, key, body)
    assert reply.status == 200, reply.body
    answer = reply.json()
    entry = _entry(server, key, answer["decisionId"])
    logged = entry["request"]["interactions"]
    assert len(logged) == len(request["interactions"]) and logged[len(recorded) :] == given_
    assert _library(entry, explain=explain) == answer["decisions"]


DECIDE_PROBLEMS: list[tuple[Json, str, str]] = [
    ({"candidates": []}, "customerId", "is required"),
    ({"customerId": "c", "candidates": [], "colour": 1}, "colour", "is not a field of a decide request"),
    ({"customerId": 7, "candidates": []}, "customerId", "must be a string"),
    ({"customerId": "", "candidates": []}, "customerId", ""),
    ({"customerId": "a\x00", "candidates": []}, "customerId", ""),
    ({"customerId": "c" * 8000, "candidates": []}, "customerId", ""),
    ({"customerId": "c", "candidates": [], "explain": "yes"}, "explain", "must be true or false"),
    ({"customerId": "c", "candidates": ["off_1"]}, "candidates[0]", "must be an object"),
    ({"customerId": "c", "candidates": [], "customer": {"id": "d"}}, "customer.id", "must be the customerId"),
    ({"customerId": "c", "candidates": [{"channelId": "ch"}]}, "candidates[0].offerId", ""),
    ({"customerId": "c", "candidates": [], "now": "yesterday"}, "now", ""),
    (
        {"customerId": "c", "candidates": [], "interactions": [{"outcome": "click", "timestamp": "x"}]},
        "interactions[0].timestamp",
        "",
    ),
    (
        {"customerId": "c", "candidates": [], "budgets": {"off": {"spend": 1e400}}},
        "budgets.off.spend",
        "finite",
    ),
]


def test_every_problem_of_a_decide_body_is_a_400_at_its_path(server: Server, admin: str) -> None:
    for body, path, words in DECIDE_PROBLEMS:
        reply = _decide(server, admin, body)
        assert reply.status == 400, (body, reply.body)
        details = reply.error["details"]
        assert any(d["path"] == path and words in d["message"] for d in details), (body, details)


def test_a_decision_replays_with_the_stored_history_and_manual_records_it_saw(
    server: Server, admin: str, tmp_path: Path
) -> None:
    """The history is logged by reference: what is recorded after a decision is not in it,
    and a lifted manual record still is; `cpol explain` on the entry gives its decisions."""
    _policy(
        server,
        admin,
        {"name": "two a week", "scope": "global", "ruleType": "frequency_cap", "config": {"maxPerWeek": 2}},
    )
    seen = {"customerId": "h", "offerId": "o", "channelId": "ch_email", "outcome": "impression"}
    times = ["2026-03-19T10:00:00Z", "2026-03-15T10:00:00.250+02:00", "2026-03-18T09:00:00Z"]
    respond = {"interactions": [{**seen, "timestamp": t} for t in times]}
    assert server.call("POST", "/api/v1/respond", key=admin, json_body=respond).status == 201
    manual = {"scope": "offer", "scopeId": "o2", "reason": "asked", "expiresAt": "2099-01-01T00:00:00Z"}
    record = server.call("POST", "/api/v1/customers/h/suppressions", key=admin, json_body=manual)
    assert record.status == 201, record.body
    body = {
        "customerId": "h",
        "now": "2026-03-20T00:00:00Z",
        "explain": True,
        "candidates": [{"offerId": "o"}, {"offerId": "o2"}],
    }
    answer = _decide(server, admin, body).json()
    assert _blockers(answer) == [["two a week"], [f"suppression {record.json()['id']}", "two a week"]]

    more = {**seen, "timestamp": "2026-03-17T00:00:00Z"}
    assert server.call("POST", "/api/v1/respond", key=admin, json_body=more).status == 201
    lifted = server.call("DELETE", f"/api/v1/customers/h/suppressions/{record.json()['id']}", key=admin)
    assert lifted.status == 204
    entry = _entry(server, admin, answer["decisionId"])
    assert [i["timestamp"] for i in entry["request"]["interactions"]] == [
        "2026-03-15T08:00:00.250Z",
        "2026-03-18T09:00:00.000Z",
        "2026-03-19T10:00:00.000Z",
    ]
    assert [s["scopeId"] for s in entry["request"]["suppressions"]] == ["o2"]
    assert _replayed_by_cli(entry, tmp_path) == answer["decisions"]
    again = _decide(server, admin, body).json()
    assert len(_entry(server, admin, again["decisionId"])["request"]["interactions"]) == 4
    assert "suppressions" not in _entry(server, admin, again["decisionId"])["request"]


def test_a_decision_of_another_tenant_or_none_is_a_404(
    server: Server, make_key: KeyMaker, admin: str
) -> None:
    decided = _decide(server, admin, {"customerId": "c", "candidates": [{"offerId": "off_1"}]}).json()
    other = make_key(f"t_{uuid.uuid4().hex[:12]}", "viewer")
    for key, decision_id in (
        (other, decided["decisionId"]),
        (admin, "dec_0000000000000000"),
        (admin, "x%00"),
    ):
        reply = server.call("GET", f"/api/v1/decisions/{decision_id}", key=key)
        assert reply.status == 404 and reply.error["code"] == "not_found"
    listed = server.call("GET", "/api/v1/customers/c/decisions", key=other).json()
    assert listed["data"] == [] and listed["pagination"]["total"] == 0


def test_a_customers_decisions_are_listed_newest_first_in_pages(server: Server, admin: str) -> None:
    ids = [
        _decide(server, admin, {"customerId": "pager", "candidates": [{"offerId": "o"}]}).json()["decisionId"]
        for _ in range(5)
    ]
    seen, cursor = [], ""
    while True:
        page = server.call(
            "GET", f"/api/v1/customers/pager/decisions?limit=2&cursor={cursor}", key=admin
        ).json()
        assert page["pagination"]["total"] == 5
        seen += page["data"]
        cursor = page["pagination"]["cursor"]
        if cursor is None:
            break
    assert [entry["decisionId"] for entry in seen] == sorted(ids, key=ids.index, reverse=True)
    assert all(entry["decisions"][0]["allowed"] for entry in seen)


def _policy(server: Server, key: str, fields: Json) -> Json:
    reply = server.call("POST", POLICIES, key=key, json_body=fields)
    assert reply.status == 201, reply.body
    created: Json = reply.json()
    return created


def _blockers(answer: Json) -> list[list[str]]:
    return [[block["policyName"] for block in d["blockedBy"]] for d in answer["decisions"]]


def test_a_flow_decides_with_only_its_policies(server: Server, admin: str) -> None:
    mine = _policy(
        server,
        admin,
        {
            "name": "no email",
            "scope": "channel",
            "scopeId": "ch_email",
            "ruleType": "frequency_cap",
            "config": {"maxPerDay": 0},
        },
    )
    _policy(
        server,
        admin,
        {"name": "no offers", "scope": "global", "ruleType": "frequency_cap", "config": {"maxPerDay": 0}},
    )
    flow = server.call(
        "POST",
        "/api/v1/decision-flows",
        key=admin,
        json_body={
            "name": "f",
            "draftConfig": {"stages": {"filter": {"contactPolicyIds": [mine["id"], "cp_0000000000000000"]}}},
        },
    ).json()
    candidates = [{"offerId": "o", "channelId": "ch_email"}, {"offerId": "o", "channelId": "ch_sms"}]
    everything = _decide(server, admin, {"customerId": "c", "candidates": candidates, "explain": True}).json()
    assert _blockers(everything) == [["no offers", "no email"], ["no offers"]]
    only_flow = _decide(
        server, admin, {"customerId": "c", "candidates": candidates, "explain": True, "flowId": flow["id"]}
    )
    assert _blockers(only_flow.json()) == [["no email"], []]
    assert [t["policyName"] for t in only_flow.json()["decisions"][1]["trace"]] == ["no email"]
    unknown = _decide(
        server, admin, {"customerId": "c", "candidates": candidates, "flowId": "df_0000000000000000"}
    )
    assert unknown.status == 404


def test_candidates_get_their_category_and_channel_type_from_the_catalogue(
    server: Server, admin: str
) -> None:
    _policy(
        server,
        admin,
        {
            "name": "no cards",
            "scope": "category",
            "scopeId": "cat_cards",
            "ruleType": "frequency_cap",
            "config": {"maxPerDay": 0},
        },
    )
    assert (
        server.call(
            "PUT", "/api/v1/offers/off_gold", key=admin, json_body={"name": "Gold", "categoryId": "cat_cards"}
        ).status
        == 201
    )
    assert (
        server.call(
            "PUT", "/api/v1/channels/ch_text", key=admin, json_body={"name": "Text", "type": "sms"}
        ).status
        == 201
    )
    body = {
        "customerId": "c",
        "customer": {"consent": {"sms": "opted_out"}},
        "candidates": [
            {"offerId": "off_gold"},
            {"offerId": "off_gold", "categoryId": "cat_loans"},
            {"offerId": "o", "channelId": "ch_text"},
        ],
    }
    answer = _decide(server, admin, body).json()
    assert _blockers(answer) == [["no cards"], [], ["consent"]]
    assert answer["decisions"][0]["candidate"] == {"offerId": "off_gold", "categoryId": "cat_cards"}
    entry = _entry(server, admin, answer["decisionId"])
    assert entry["request"]["candidates"][2] == {"offerId": "o", "channelId": "ch_text", "channelType": "sms"}


def test_every_worker_decides_with_the_policies_as_they_are_now(
    server: Server, two_workers: Server, make_key: KeyMaker
) -> None:
    """A change made through one server process is seen at the next decide of every other
    (each keeps its own engine cache)."""
    key = make_key(f"t_{uuid.uuid4().hex[:12]}")
    policy = _policy(
        server,
        key,
        {"name": "cap", "scope": "global", "ruleType": "frequency_cap", "config": {"maxPerDay": 5}},
    )
    body = {"customerId": "c", "candidates": [{"offerId": "o"}]}
    for max_per_day, allowed in ((0, False), (1, True), (0, False)):
        before = {_decide(two_workers, key, body).json()["policySetVersion"] for _ in range(6)}
        changed = server.call(
            "PUT", POLICIES, key=key, json_body={"id": policy["id"], "config": {"maxPerDay": max_per_day}}
        )
        assert changed.status == 200
        after = [_decide(two_workers, key, body).json() for _ in range(6)]
        assert {a["decisions"][0]["allowed"] for a in after} == {allowed}
        assert not before & {a["policySetVersion"] for a in after}


def test_the_catalogue_completes_more_items_than_one_query_may_name(
    server: Server, admin: str, tenant: str
) -> None:
    """70,000 distinct offers (PostgreSQL takes at most 65,535 parameters in a query,
    SQLite 32,766 as built by default): the catalogue is read a query's worth at a time."""
    assert (
        server.call(
            "PUT", "/api/v1/offers/o69999", key=admin, json_body={"name": "Last", "categoryId": "cat_x"}
        ).status
        == 201
    )
    items = [{"offerId": f"o{i}"} for i in range(70_000)]
    engine = make_engine(server.db_url)
    try:
        with transaction(engine) as session:
            completed = catalogue.complete(session, tenant, items, channel_type=True)
    finally:
        engine.dispose()
    assert len(completed) == 70_000 and completed[-1] == {"offerId": "o69999", "categoryId": "cat_x"}


def test_the_log_stores_decisions_packed_and_reads_entries_stored_plain(server: Server, admin: str) -> None:
    """Each entry's decisions are stored compressed (a page a decide instead of four); an
    entry stored as plain JSON, as before, reads the same through every endpoint."""
    _import(server, admin, json.loads((EXAMPLES / "all_rule_types.json").read_text()))
    answer = _decide(server, admin, _demo_body(explain=False)).json()
    plain = json.dumps(answer["decisions"])
    engine = make_engine(server.db_url)
    try:
        with transaction(engine) as session:
            stored = session.execute(
                text("SELECT decisions FROM decision_log WHERE id = :id"), {"id": answer["decisionId"]}
            ).scalar_one()
            assert stored.startswith(decision_log.PACKED) and len(stored) * 2 < len(plain)
            session.execute(
                text("UPDATE decision_log SET decisions = :plain WHERE id = :id"),
                {"plain": plain, "id": answer["decisionId"]},
            )
    finally:
        engine.dispose()
    assert _entry(server, admin, answer["decisionId"])["decisions"] == answer["decisions"]
    listed = server.call("GET", f"/api/v1/customers/{answer['customerId']}/decisions", key=admin).json()
    assert (
        next(d for d in listed["data"] if d["decisionId"] == answer["decisionId"])["decisions"]
        == answer["decisions"]
    )
