"""Decide knows the stored customer (SPEC §7, last paragraph): for each source — dynamic
segments, standard lists, dnc lists, metrics — changing the stored data changes the
decision, the request's `customer` fields still win, the logged request replays to the same
decisions, and an explained answer says where each field came from."""

from __future__ import annotations

from typing import Any

import cpol
from cpol.runtime.render import decisions_json

from .client import POLICIES, Server

CONTACTS = "/api/v1/contacts"
NOW = "2026-03-20T14:00:00Z"
CANDIDATE = {"offerId": "off_1", "channelId": "ch_sms", "channelType": "sms"}
Json = dict[str, Any]


def _made(server: Server, key: str, method: str, path: str, body: Json) -> Json:
    reply = server.call(method, path, key=key, json_body=body)
    assert reply.status in (200, 201), reply.body
    made: Json = reply.json()
    return made


def _policy(server: Server, key: str, name: str, rule_type: str, config: Json) -> None:
    body = {"name": name, "scope": "global", "ruleType": rule_type, "config": config}
    _made(server, key, "POST", POLICIES, body)


def _contact(server: Server, key: str, **fields: Any) -> str:
    contact_id: str = _made(server, key, "POST", CONTACTS, fields)["id"]
    return contact_id


def _decided(server: Server, key: str, customer_id: str, **body: Any) -> Json:
    """The explained answer, after checking that its logged request replays to it."""
    asked = {"customerId": customer_id, "now": NOW, "candidates": [CANDIDATE], "explain": True, **body}
    answer = _made(server, key, "POST", "/api/v1/decide", asked)
    entry = server.call("GET", f"/api/v1/decisions/{answer['decisionId']}", key=key).json()
    engine = cpol.Engine(cpol.load_json(entry["policies"]))
    assert decisions_json(engine.decide_json(entry["request"], explain=True)) == answer["decisions"]
    return answer


def _blocked_by(server: Server, key: str, customer_id: str, **body: Any) -> list[str]:
    blocked: list[str] = _decided(server, key, customer_id, **body)["decisions"][0]["blockedBy"]
    return blocked


def test_dynamic_segments_the_contact_matches_are_its_segments(server: Server, admin: str) -> None:
    segment = _made(
        server, admin, "POST", f"{CONTACTS}/segments",
        {"name": "VIP", "rules": {"all": [{"field": "tags", "op": "contains", "value": "vip"}]}},
    )["id"]  # fmt: skip
    _policy(server, admin, "No VIPs", "segment_exclusion", {"excludeSegments": [segment]})
    contact = _contact(server, admin, email="vip@example.com")
    assert _blocked_by(server, admin, contact) == []
    _made(server, admin, "POST", f"{CONTACTS}/{contact}/tags", {"tags": ["vip"]})
    answer = _decided(server, admin, contact)
    assert answer["decisions"][0]["blockedBy"] != []
    assert answer["customer"]["segments"] == {"value": [segment], "from": {segment: "dynamic segment"}}
    assert _blocked_by(server, admin, contact, customer={"segments": []}) == []  # the request's wins


def test_standard_lists_the_contact_is_in_are_segments_too(server: Server, admin: str) -> None:
    listed = _made(server, admin, "POST", f"{CONTACTS}/lists", {"name": "Hold-outs"})["id"]
    _policy(server, admin, "No hold-outs", "segment_exclusion", {"excludeSegments": [listed]})
    contact = _contact(server, admin, email="held@example.com")
    assert _blocked_by(server, admin, contact) == []
    _made(server, admin, "POST", f"{CONTACTS}/lists/{listed}/members", {"contactIds": [contact]})
    answer = _decided(server, admin, contact)
    assert answer["decisions"][0]["blockedBy"] != []
    assert answer["customer"]["segments"] == {"value": [listed], "from": {listed: "list"}}
    assert server.call("DELETE", f"{CONTACTS}/lists/{listed}/members/{contact}", key=admin).status == 204
    assert _blocked_by(server, admin, contact) == []


def test_dnc_lists_the_contact_is_in_are_its_dnc(server: Server, admin: str) -> None:
    dnc = _made(server, admin, "POST", f"{CONTACTS}/lists", {"name": "Complained", "kind": "dnc"})["id"]
    _policy(server, admin, "Do not call", "do_not_contact", {"dncSource": "Complained"})
    contact = _contact(server, admin, phone="+14155552671")
    assert _blocked_by(server, admin, contact) == []
    _made(server, admin, "POST", f"{CONTACTS}/lists/{dnc}/members", {"contactIds": [contact]})
    answer = _decided(server, admin, contact)
    assert answer["decisions"][0]["blockedBy"] != []
    assert answer["customer"]["dnc"] == {"value": ["Complained"], "from": {"Complained": "dnc list"}}
    assert _blocked_by(server, admin, contact, customer={"dnc": []}) == []


def _respond(server: Server, key: str, customer_id: str, outcome: str, at: str) -> None:
    body = {"customerId": customer_id, "offerId": "off_9", "channelId": "ch_email", "outcome": outcome}
    _made(server, key, "POST", "/api/v1/respond", {**body, "timestamp": at})


def test_metrics_are_computed_from_the_stored_history_for_any_customer(server: Server, admin: str) -> None:
    metric = {"name": "Complaints", "outcome": "complaint", "windowDays": 30, "aggregate": "count"}
    _made(server, admin, "PUT", "/api/v1/metrics/met_complaints", metric)
    config = {"metricId": "met_complaints", "operator": "gte", "threshold": 2}
    _policy(server, admin, "Complainers rest", "metric_condition", config)
    for customer in (_contact(server, admin, email="loud@example.com"), "cust_not_a_contact"):
        _respond(server, admin, customer, "complaint", "2026-03-01T10:00:00Z")
        answer = _decided(server, admin, customer)
        assert answer["decisions"][0]["blockedBy"] == []
        assert answer["customer"]["metrics"]["value"] == {"met_complaints": 1}
        _respond(server, admin, customer, "complaint", "2026-03-02T10:00:00Z")
        assert _blocked_by(server, admin, customer) != []
        assert _blocked_by(server, admin, customer, customer={"metrics": {"met_complaints": 0}}) == []
        assert _blocked_by(server, admin, customer, now="2026-04-10T14:00:00Z") == []  # out of the window


def test_an_explained_answer_names_each_fields_source(server: Server, admin: str) -> None:
    contact = _contact(server, admin, email="src@example.com", country="JP")
    _made(server, admin, "PUT", f"{CONTACTS}/{contact}/preferences", {"sms": "opted_in"})
    answer = _decided(server, admin, contact, customer={"segments": ["given"]})
    assert answer["customer"] == {
        "timezone": {"value": "Asia/Tokyo", "from": "the zone of the contact's country JP"},
        "consent": {"value": {"sms": "opted_in"}, "from": "contact preferences"},
        "segments": {"value": ["given"], "from": "request"},
    }
    _made(server, admin, "PUT", f"{CONTACTS}/{contact}", {"timezone": "Europe/Paris"})
    assert _decided(server, admin, contact)["customer"]["timezone"] == {
        "value": "Europe/Paris",
        "from": "contact",
    }
    quiet = {"customerId": contact, "now": NOW, "candidates": [CANDIDATE]}
    assert "customer" not in _made(server, admin, "POST", "/api/v1/decide", quiet)  # only with explain
