"""Suppression records (SPEC §5.6): made by outcome_based and cooldown policies as respond
records interactions, listed per customer, and made and lifted by hand. A property ties the
records to the engine: the active ones are exactly what the policies block from the history."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cpol

from .client import POLICIES, KeyMaker, Server
from .interactions import (
    as_decided,
    create_policy,
    interaction,
    problems,
    records,
    records_path,
    respond,
)
from .test_no_5xx import JSON

Json = dict[str, Any]
UNSUBSCRIBE_90D = {"name": "Unsubscribe 90d", "scope": "global", "ruleType": "outcome_based"}
FIELD_OF = {"offer": "offerId", "channel": "channelId", "creative": "creativeId", "category": "categoryId"}
FIELD_OF |= {"subcategory": "subCategoryId"}


def _unsubscribe_policy(server: Server, key: str, **config: Any) -> Json:
    config = config or {"afterOutcome": ["unsubscribe", "complaint"], "suppressForDays": 90}
    return create_policy(server, key, **UNSUBSCRIBE_90D, config=config)


def _cooldown(server: Server, key: str, name: str = "Email rest", **fields: Any) -> Json:
    placement = fields.pop("placement", {"scope": "channel", "scopeId": "ch_email"})
    config = {"cooldownHours": 48, **fields}
    return create_policy(server, key, name=name, ruleType="cooldown", config=config, **placement)


def test_an_outcome_makes_a_global_record_until_days_after_it(server: Server, admin: str) -> None:
    policy = _unsubscribe_policy(server, admin)
    answer = respond(server, admin, interaction(outcome="unsubscribe", timestamp="2026-03-20T14:00:00Z"))
    [record] = answer["suppressions"]
    assert record["id"].startswith("supp_")
    assert {k: v for k, v in record.items() if k not in ("id", "createdAt")} == {
        "scope": "global",
        "scopeId": "all",
        "offerName": None,
        "policyType": "outcome_based",
        "reason": "Suppressed 90d after unsubscribe",
        "triggerCount": 1,
        "expiresAt": "2026-06-18T14:00:00.000Z",
        "isActive": False,  # the interaction is from March 2026: its 90 days are over
        "policyId": policy["id"],
        "policyName": "Unsubscribe 90d",
    }
    assert record["createdAt"] == answer["interactions"][0]["createdAt"]
    assert records(server, admin) == [record]


def test_the_older_shape_and_other_outcomes(server: Server, admin: str) -> None:
    _unsubscribe_policy(server, admin, outcome="complaint", withinDays=2.5)
    assert respond(server, admin, interaction(outcome="unsubscribe"))["suppressions"] == []
    [record] = respond(server, admin, interaction(outcome="complaint", timestamp="2026-03-20T00:00:00Z"))[
        "suppressions"
    ]
    assert record["reason"] == "Suppressed 2.5d after complaint"
    assert record["expiresAt"] == "2026-03-22T12:00:00.000Z"


def test_a_cooldown_is_made_by_an_impression_in_its_scope(server: Server, admin: str) -> None:
    _cooldown(server, admin)
    assert respond(server, admin, interaction(channelId="ch_sms"))["suppressions"] == []
    assert respond(server, admin, interaction(outcome="click"))["suppressions"] == []
    [record] = respond(server, admin, interaction(timestamp="2026-03-20T14:00:00.5Z"))["suppressions"]
    assert (record["scope"], record["scopeId"], record["policyType"]) == ("channel", "ch_email", "cooldown")
    assert record["reason"] == "Cooldown 48h after impression"
    assert record["expiresAt"] == "2026-03-22T14:00:00.500Z"


def test_a_record_per_matched_scope_and_the_catalogue_completes_the_interaction(
    server: Server, admin: str
) -> None:
    assert server.call(
        "PUT", "/api/v1/offers/off_1", key=admin, json_body={"name": "Gold", "categoryId": "cat_a"}
    )
    scopes = [
        {"scope": "category", "scopeId": "cat_a"},
        {"scope": "offer", "scopeId": "off_1"},
        {"scope": "offer", "scopeId": "off_2"},
    ]
    _cooldown(server, admin, placement={"scopes": scopes})
    made = respond(server, admin, interaction())["suppressions"]
    assert [(r["scope"], r["scopeId"], r["offerName"]) for r in made] == [
        ("category", "cat_a", None),
        ("offer", "off_1", "Gold"),
    ]


def test_per_makes_one_record_per_value(server: Server, admin: str) -> None:
    assert server.call("PUT", "/api/v1/offers/off_2", key=admin, json_body={"name": "Silver"}).status == 201
    _cooldown(server, admin, per="offer", placement={"scope": "global"})
    _cooldown(server, admin, "Creative rest", per="creative", placement={"scope": "global"})
    body = {"interactions": [interaction(offerId="off_1"), interaction(offerId="off_2", creativeId="cr_9")]}
    made = respond(server, admin, body)["suppressions"]
    assert [(r["policyName"], r["scope"], r["scopeId"], r["offerName"]) for r in made] == [
        ("Email rest", "offer", "off_1", None),  # it has no creative to count by
        ("Creative rest", "creative", "cr_9", None),  # per interaction, in the policies' evaluation order
        ("Email rest", "offer", "off_2", "Silver"),
    ]


def test_a_repeat_trigger_counts_and_keeps_the_later_expiry(server: Server, admin: str) -> None:
    _unsubscribe_policy(server, admin)
    stamps = ["2026-03-20T14:00:00Z", "2026-03-25T14:00:00Z", "2026-03-01T14:00:00Z"]
    answers = [respond(server, admin, interaction(outcome="complaint", timestamp=t)) for t in stamps]
    expiries = [a["suppressions"][0]["expiresAt"] for a in answers]
    assert expiries == ["2026-06-18T14:00:00.000Z", "2026-06-23T14:00:00.000Z", "2026-06-23T14:00:00.000Z"]
    assert [a["suppressions"][0]["triggerCount"] for a in answers] == [1, 2, 3]
    [record] = records(server, admin)
    assert record["triggerCount"] == 3 and record["reason"] == "Suppressed 90d after complaint"
    assert len({a["suppressions"][0]["id"] for a in answers}) == 1


def test_one_batch_answers_each_record_once_as_the_batch_left_it(server: Server, admin: str) -> None:
    _cooldown(server, admin, placement={"scope": "global"})
    body = {"interactions": [interaction(timestamp=f"2026-03-2{d}T10:00:00Z") for d in (3, 1, 2)]}
    [record] = respond(server, admin, body)["suppressions"]
    assert record["triggerCount"] == 3 and record["expiresAt"] == "2026-03-25T10:00:00.000Z"


def test_only_active_live_policies_make_records_and_keep_them_active(server: Server, admin: str) -> None:
    live = _unsubscribe_policy(server, admin)
    create_policy(
        server,
        admin,
        **{**UNSUBSCRIBE_90D, "name": "Paused", "status": "paused"},
        config={"outcome": "unsubscribe", "withinDays": 1},
    )
    deleted = _cooldown(server, admin, placement={"scope": "global"})
    assert server.call("DELETE", f"{POLICIES}?id={deleted['id']}", key=admin).status == 200
    body = {
        "interactions": [interaction(outcome="unsubscribe", timestamp="9999-01-01T00:00:00Z"), interaction()]
    }
    [record] = respond(server, admin, body)["suppressions"]
    assert record["policyId"] == live["id"] and record["isActive"] is True
    for status, active in (("paused", False), ("active", True)):
        assert (
            server.call("PUT", POLICIES, key=admin, json_body={"id": live["id"], "status": status}).status
            == 200
        )
        assert [r["isActive"] for r in records(server, admin)] == [active]
    assert server.call("DELETE", f"{POLICIES}?id={live['id']}", key=admin).status == 200
    [after] = records(server, admin)
    assert after["isActive"] is False and after["policyName"] == "Unsubscribe 90d"


def test_a_record_that_would_outlast_the_calendar_never_expires(server: Server, admin: str) -> None:
    _unsubscribe_policy(server, admin)
    [record] = respond(server, admin, interaction(outcome="unsubscribe", timestamp="9999-12-01T00:00:00Z"))[
        "suppressions"
    ]
    assert record["expiresAt"] is None and record["isActive"] is True


def _manual(server: Server, key: str, customer: str = "cust_1", **fields: Any) -> Json:
    reply = server.call("POST", records_path(customer), key=key, json_body={"reason": "asked us", **fields})
    assert reply.status == 201, reply.body
    record: Json = reply.json()
    return record


def test_the_list_is_active_first_then_latest_expiry_first(server: Server, admin: str) -> None:
    _unsubscribe_policy(server, admin)
    respond(server, admin, interaction(outcome="unsubscribe", timestamp="2026-01-01T00:00:00Z"))  # expired
    ending = _manual(server, admin, scope="offer", scopeId="off_1", expiresAt="9000-01-01T00:00:00Z")
    later = _manual(server, admin, scope="category", scopeId="cat_a", expiresAt="9500-01-01T00:00:00+05:00")
    never = _manual(server, admin, scope="global")
    listed = records(server, admin)
    assert [r["id"] for r in listed[:3]] == [never["id"], later["id"], ending["id"]]
    assert [r["isActive"] for r in listed] == [True, True, True, False]
    assert later["expiresAt"] == "9499-12-31T19:00:00.000Z"
    assert records(server, admin, query="?active=true") == listed[:3]
    assert records(server, admin, query="?active=false") == listed[3:]
    assert problems(server.call("GET", records_path("cust_1") + "?active=maybe", key=admin)).keys() == {
        "active"
    }


def test_a_manual_record_is_made_and_lifted_by_hand(server: Server, admin: str) -> None:
    assert server.call("PUT", "/api/v1/offers/off_1", key=admin, json_body={"name": "Gold"}).status == 201
    record = _manual(server, admin, scope="offer", scopeId="off_1")
    assert {k: v for k, v in record.items() if k not in ("id", "createdAt")} == {
        "scope": "offer",
        "scopeId": "off_1",
        "offerName": "Gold",
        "policyType": "manual",
        "reason": "asked us",
        "triggerCount": 1,
        "expiresAt": None,
        "isActive": True,
        "policyId": None,
        "policyName": None,
    }
    assert _manual(server, admin, scope="global", scopeId="all")["scopeId"] == "all"
    path = f"{records_path('cust_1')}/{record['id']}"
    assert server.call("DELETE", path, key=admin).status == 204
    assert record["id"] not in [r["id"] for r in records(server, admin)]
    assert server.call("DELETE", path, key=admin).status == 404


@pytest.mark.parametrize(
    ("body", "paths"),
    [
        ({"scope": "segment", "scopeId": "s"}, {"scope"}),
        ({"scope": "offer"}, {"scopeId"}),
        ({"scope": "global", "scopeId": "off_1"}, {"scopeId"}),
        ({"scope": "offer", "scopeId": "off_1", "reason": ""}, {"reason"}),
        ({"scope": "offer", "scopeId": "off_1", "expiresAt": "2020-01-01T00:00:00Z"}, {"expiresAt"}),
        ({"scope": "offer", "scopeId": "off_1", "expiresAt": "soon"}, {"expiresAt"}),
        ({"scope": "offer", "scopeId": "off_1", "policyId": "cp_1"}, {"policyId"}),
        ({"scope": "offer", "scopeId": 1, "reason": None}, {"scopeId", "reason"}),
    ],
)
def test_a_manual_record_is_checked(server: Server, admin: str, body: Json, paths: set[str]) -> None:
    reply = server.call("POST", records_path("cust_1"), key=admin, json_body={"reason": "r", **body})
    assert problems(reply).keys() == paths


def test_a_policy_record_cannot_be_lifted_by_hand(server: Server, admin: str) -> None:
    _unsubscribe_policy(server, admin)
    [record] = respond(server, admin, interaction(outcome="unsubscribe"))["suppressions"]
    reply = server.call("DELETE", f"{records_path('cust_1')}/{record['id']}", key=admin)
    assert reply.status == 409 and reply.error["code"] == "conflict"
    assert records(server, admin) == [{**record, "isActive": True}]


def test_records_belong_to_their_customer_and_tenant(server: Server, admin: str, make_key: KeyMaker) -> None:
    record = _manual(server, admin, scope="global")
    other = make_key(f"t_{uuid.uuid4().hex[:12]}", "admin")
    assert records(server, other) == []
    assert records(server, admin, "cust_2") == []
    for key, customer in ((other, "cust_1"), (admin, "cust_2")):
        reply = server.call("DELETE", f"{records_path(customer)}/{record['id']}", key=key)
        assert reply.status == 404 and reply.error["code"] == "not_found"
    for wrong in ("supp_1", "cp_0123456789abcdef", "supp_0123456789abcdeX"):
        assert server.call("DELETE", f"{records_path('cust_1')}/{wrong}", key=admin).status == 404
    assert [r["id"] for r in records(server, admin)] == [record["id"]]


def test_a_customer_id_is_held_to_the_rule_of_stored_ones(server: Server, admin: str) -> None:
    assert problems(server.call("GET", records_path("c" * 256), key=admin)).keys() == {"customerId"}
    assert problems(server.call("GET", records_path("a%00b"), key=admin)).keys() == {"customerId"}


def test_roles(server: Server, make_key: KeyMaker, tenant: str) -> None:
    viewer, editor = make_key(tenant, "viewer"), make_key(tenant, "editor")
    assert (
        server.call(
            "POST", records_path("c"), key=viewer, json_body={"scope": "global", "reason": "r"}
        ).status
        == 403
    )
    record = _manual(server, editor, "c", scope="global")
    assert server.call("GET", records_path("c"), key=viewer).status == 200
    assert server.call("DELETE", f"{records_path('c')}/{record['id']}", key=viewer).status == 403
    assert server.call("GET", records_path("c")).status == 401


# -- the property: active records = what the policies block ------------------------------
NOW = "2026-03-20T14:00:00Z"
NOW_STAMP = "2026-03-20T14:00:00.000Z"
NOW_INSTANT = datetime.fromisoformat(NOW)
POOLS = {
    "offer": ("off_1", "off_2"),
    "channel": ("ch_email", "ch_sms"),
    "creative": ("cr_1", "cr_2"),
    "category": ("cat_a", "cat_b"),
    "subcategory": ("sub_a", "sub_b"),
}
OUTCOMES = ("impression", "click", "dismiss", "unsubscribe")
scope_refs = st.sampled_from(["global", "global", *POOLS]).flatmap(
    lambda kind: (
        st.just({"scope": "global"})
        if kind == "global"
        else st.sampled_from(POOLS[kind]).map(lambda value: {"scope": kind, "scopeId": value})
    )
)


@st.composite
def recording_policies(draw: st.DrawFn, name: str) -> Json:
    config: Json
    if draw(st.booleans()):
        rule, config = "cooldown", {"cooldownHours": draw(st.sampled_from([0, 0.5, 1, 24, 48, 100]))}
    else:
        outcomes = draw(st.lists(st.sampled_from(OUTCOMES), min_size=1, max_size=2, unique=True))
        days = draw(st.sampled_from([0, 1, 2, 5]))
        older = {"outcome": outcomes[0], "withinDays": days}
        rule, config = (
            "outcome_based",
            draw(st.sampled_from([{"afterOutcome": outcomes, "suppressForDays": days}, older])),
        )
    per = draw(st.sampled_from(list(POOLS))) if draw(st.integers(0, 2)) == 0 else None
    if per is not None:
        config["per"] = per
    scopes = draw(st.lists(scope_refs, min_size=1, max_size=2))
    status = draw(st.sampled_from(["active", "active", "active", "paused"]))
    return {"name": name, "status": status, "ruleType": rule, "config": config, "scopes": scopes}


@st.composite
def places(draw: st.DrawFn) -> Json:
    """Where an interaction or candidate is: an offer and a channel, maybe more."""
    fields = {
        "offerId": draw(st.sampled_from(POOLS["offer"])),
        "channelId": draw(st.sampled_from(POOLS["channel"])),
    }
    for kind in ("creative", "category", "subcategory"):
        value = draw(st.none() | st.sampled_from(POOLS[kind]))
        if value is not None:
            fields[FIELD_OF[kind]] = value
    return fields


@st.composite
def histories(draw: st.DrawFn) -> list[Json]:
    """Interactions up to NOW, on a half-hour grid over the last eight days (half of them in
    the last two: most policies' periods are shorter than eight days)."""
    half_hours = st.integers(0, 2 * 48) | st.integers(0, 8 * 48)
    return [
        {
            "customerId": "cust_p",
            "outcome": draw(st.sampled_from(("impression", *OUTCOMES))),  # impressions twice as often
            "timestamp": (NOW_INSTANT - timedelta(minutes=30 * draw(half_hours))).isoformat(),
            **draw(places()),
        }
        for _ in range(draw(st.integers(1, 10)))
    ]


def _covers(record: Json, candidate: Json) -> bool:
    return record["scope"] == "global" or bool(candidate.get(FIELD_OF[record["scope"]]) == record["scopeId"])


def _blocks(policies: list[Json], history: list[Json], candidates: list[Json]) -> dict[tuple[int, str], str]:
    """(candidate index, policy id) -> eligibleAt, for each outcome_based or cooldown block
    that `cpol explain` finds in the history at NOW."""
    request = {"now": NOW, "customer": {"id": "cust_p"}, "interactions": history, "candidates": candidates}
    decisions = cpol.Engine(cpol.load_json(policies)).decide_json(request, explain=True)
    return {
        (index, entry["policyId"]): entry["eligibleAt"]
        for index, decision in enumerate(decisions)
        for entry in decision.to_json()["trace"]
        if entry["result"] == "block" and entry["ruleType"] in ("outcome_based", "cooldown")
    }


@settings(max_examples=max(25, settings().max_examples // 4))  # HTTP round trips; CI runs more
@given(
    policies=st.integers(1, 3).flatmap(lambda n: st.tuples(*(recording_policies(f"P{i}") for i in range(n)))),
    history=histories(),
    extra=st.lists(places(), max_size=4),
)
def test_the_active_records_are_what_the_policies_block(
    server: Server, make_key: KeyMaker, policies: tuple[Json, ...], history: list[Json], extra: list[Json]
) -> None:
    key = make_key(f"t_{uuid.uuid4().hex[:12]}", "admin")
    stored = [create_policy(server, key, **policy) for policy in policies]
    answer = respond(server, key, {"interactions": history})
    recorded = [as_decided(i) for i in answer["interactions"]]
    candidates = [{k: i[k] for k in FIELD_OF.values() if k in i} for i in recorded] + extra
    blocks = _blocks(stored, recorded, candidates)
    active = [
        r for r in records(server, key, "cust_p") if r["expiresAt"] is None or r["expiresAt"] > NOW_STAMP
    ]
    assert all(r["policyId"] is not None for r in active)
    for record in active:  # each stands for a block of its policy on a candidate in its scope
        assert any(
            (i, record["policyId"]) in blocks for i, c in enumerate(candidates) if _covers(record, c)
        ), record
    by_id = {p["id"]: p for p in stored}
    for (index, policy_id), eligible_at in blocks.items():  # each block has its active records
        covering = [r for r in active if r["policyId"] == policy_id and _covers(r, candidates[index])]
        assert covering, (candidates[index], by_id[policy_id])
        policy = by_id[policy_id]
        if "per" not in policy["config"] or len(policy["scopes"]) == 1:
            # (a `per` record counts its value in every scope; the engine, the candidate's scopes)
            assert max(r["expiresAt"] for r in covering) == eligible_at.replace("Z", ".000Z")


MANUAL_FIELDS = st.sampled_from(["scope", "scopeId", "reason", "expiresAt", "policyId", "id"])


@settings(max_examples=40)
@given(
    body=JSON
    | st.dictionaries(MANUAL_FIELDS, JSON, max_size=3).map(lambda d: {"scope": "global", "reason": "r", **d}),
    customer=st.text(max_size=300),
    record_id=st.text(max_size=30),
    active=st.text(max_size=8),
)
def test_no_input_gives_a_5xx(
    server: Server, make_key: KeyMaker, body: object, customer: str, record_id: str, active: str
) -> None:
    key = make_key("t_fuzz_suppressions")
    path = records_path(quote(customer, safe="") or "c")
    replies = [
        server.call(
            "POST",
            path,
            key=key,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        ),
        server.call("GET", f"{path}?{urlencode({'active': active})}", key=key),
        server.call("DELETE", f"{path}/{quote(record_id, safe='') or 'x'}", key=key),
    ]
    for reply in replies:
        assert reply.status < 500, reply.body
        if reply.status >= 400:
            assert reply.error["code"]
