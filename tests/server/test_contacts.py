"""Contacts (SPEC §7) through a real server: validation with its exact 400s, duplicates
(also concurrent ones), lists and their filters, updates, tags, preferences, opt-outs,
the activity timeline, erasure, and what decide learns from a stored contact."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

import phonenumbers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import String, Text, cast, or_, select

import cpol
from cpol.runtime.render import decisions_json
from cpol.server.database import make_engine, transaction
from cpol.server.models import Base

from .client import POLICIES, KeyMaker, Reply, Server
from .paging import walk

CONTACTS = "/api/v1/contacts"
Json = dict[str, Any]


def _create(server: Server, key: str, **fields: Any) -> Json:
    reply = server.call("POST", CONTACTS, key=key, json_body=fields)
    assert reply.status == 201, reply.body
    made: Json = reply.json()
    return made


def _details(reply: Reply, status: int = 400) -> list[tuple[str | None, str]]:
    assert reply.status == status, reply.body
    return [(d["path"], d["message"]) for d in reply.error["details"]]


def test_a_contact_is_stored_normalised_with_every_field(server: Server, admin: str) -> None:
    made = _create(
        server, admin, phone="+90 532 123 45 67", email="Ann.Lee@Example.COM", firstName="Ann",
        country="TR", tags=["vip", "vip", "new"], customFields={"plan": "gold"},
        preferences={"email": "opted_in"},
    )  # fmt: skip
    assert made["id"].startswith("con_")
    assert made["phone"] == "+905321234567"
    assert made["email"] == "ann.lee@example.com"
    assert made["tags"] == ["vip", "new"]
    assert (made["lastName"], made["timezone"], made["lifecycleStage"]) == (None, None, None)
    assert made["preferences"] == {"email": "opted_in"}
    assert made["createdAt"] == made["updatedAt"]
    assert server.call("GET", f"{CONTACTS}/{made['id']}", key=admin).json() == made


E164 = "(E.164, e.g. +14155552671)"
NO_NUMBER = "is not a valid phone number (no such number in its country's numbering plan)"
NO_AT = "is not an email address: An email address must have an @-sign."
NO_ZONE = "is not an IANA time zone (e.g. Europe/Istanbul)"
NO_PREFERENCE = "must be one of 'opted_in' or 'opted_out'"
COUNTRY = "is not an ISO 3166-1 alpha-2 country code (two capital letters, e.g. US)"
NEEDED = "a contact needs a phone or an email"
FIELDS = (
    "phone, email, firstName, lastName, country, lifecycleStage, timezone, tags, customFields, preferences"
)
EMAIL = {"email": "a@b.c"}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"phone": "14155552671"}, [("phone", f"must start with + and a country code {E164}")]),
        ({"phone": "+1415555267"}, [("phone", NO_NUMBER)]),
        ({"phone": 14155552671}, [("phone", "must be a string")]),
        ({"email": "a.example.com"}, [("email", NO_AT)]),
        ({**EMAIL, "country": "us"}, [("country", COUNTRY)]),
        ({**EMAIL, "country": "XX"}, [("country", COUNTRY)]),
        ({**EMAIL, "timezone": "Mars/Olympus"}, [("timezone", NO_ZONE)]),
        (
            {**EMAIL, "preferences": {"fax": "opted_in", "sms": "yes"}},
            [("preferences.sms", NO_PREFERENCE), ("preferences.fax", "unknown field")],
        ),
        ({**EMAIL, "tags": ["ok", ""]}, [("tags[1]", "must not be empty")]),
        ({**EMAIL, "id": "con_0123456789abcdef"}, [("id", "this field is set by the server")]),
        ({"firstName": "Ann"}, [("phone", NEEDED), ("email", NEEDED)]),
        ({**EMAIL, "nickname": "A"}, [("nickname", f"unknown field (the fields are {FIELDS})")]),
    ],
)  # fmt: skip
def test_an_invalid_contact_is_a_400_naming_each_field(
    server: Server, admin: str, body: Json, expected: list[tuple[str, str]]
) -> None:
    reply = server.call("POST", CONTACTS, key=admin, json_body=body)
    assert _details(reply) == expected
    assert server.call("GET", CONTACTS, key=admin).json()["data"] == []


def test_a_phone_or_email_of_another_contact_is_a_409_on_create_and_update(
    server: Server, admin: str
) -> None:
    first = _create(server, admin, phone="+14155552671", email="ann@example.com")
    second = _create(server, admin, email="bob@example.com")
    same_phone = server.call("POST", CONTACTS, key=admin, json_body={"phone": "+1 415 555 2671"})
    assert _details(same_phone, 409) == [("phone", f"is already the phone of contact {first['id']}")]
    same_email = server.call("POST", CONTACTS, key=admin, json_body={"email": "ANN@example.com"})
    assert _details(same_email, 409) == [("email", f"is already the email of contact {first['id']}")]
    taken = server.call(
        "PUT", f"{CONTACTS}/{second['id']}", key=admin, json_body={"email": "ann@example.com"}
    )
    assert _details(taken, 409) == [("email", f"is already the email of contact {first['id']}")]
    assert server.call("GET", f"{CONTACTS}/{second['id']}", key=admin).json() == second
    assert server.call("GET", CONTACTS, key=admin).json()["pagination"]["total"] == 2


REGIONS = sorted(r for r in phonenumbers.SUPPORTED_REGIONS if phonenumbers.example_number(r) is not None)
LAYOUTS = (phonenumbers.PhoneNumberFormat.INTERNATIONAL, phonenumbers.PhoneNumberFormat.E164)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(region=st.sampled_from(REGIONS), layout=st.sampled_from(LAYOUTS))
def test_a_number_in_any_layout_is_stored_in_e164_and_is_one_number(
    server: Server, make_key: KeyMaker, region: str, layout: int
) -> None:
    """A country's example number, written with spaces and dashes or not: stored as E.164,
    and the same number written otherwise is a duplicate."""
    key = make_key(f"t_{uuid.uuid4().hex[:12]}")
    number = phonenumbers.example_number(region)
    assert number is not None, region
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    made = _create(server, key, phone=phonenumbers.format_number(number, layout))
    assert made["phone"] == e164
    again = server.call("POST", CONTACTS, key=key, json_body={"phone": e164})
    assert _details(again, 409) == [("phone", f"is already the phone of contact {made['id']}")]


def test_concurrent_creates_of_one_email_make_one_contact(server: Server, admin: str) -> None:
    def create(_: int) -> int:
        return server.call("POST", CONTACTS, key=admin, json_body={"email": "race@example.com"}).status

    with ThreadPoolExecutor(8) as pool:
        statuses = sorted(pool.map(create, range(16)))
    assert statuses == [201] + [409] * 15
    assert server.call("GET", CONTACTS, key=admin).json()["pagination"]["total"] == 1


def test_the_list_pages_newest_first_and_filters_and_searches(server: Server, admin: str) -> None:
    made = [
        _create(
            server, admin, email=f"person{i}@example.com", firstName=f"Name{i % 3}",
            lifecycleStage="lead" if i % 2 else "customer", country="US" if i < 4 else "TR",
        )
        for i in range(7)
    ]  # fmt: skip
    newest_first = [m["id"] for m in reversed(made)]
    assert [c["id"] for c in walk(server, admin, CONTACTS, lambda: 2, 7)] == newest_first
    leads = walk(server, admin, f"{CONTACTS}?lifecycleStage=lead", lambda: 1, 3)
    assert [c["id"] for c in leads] == [m["id"] for m in reversed(made) if m["lifecycleStage"] == "lead"]
    turkish_leads = walk(server, admin, f"{CONTACTS}?lifecycleStage=lead&country=TR", lambda: 5, 1)
    assert [c["id"] for c in turkish_leads] == [made[5]["id"]]
    by_name = walk(server, admin, f"{CONTACTS}?search=NAME1", lambda: 10, 2)
    _create(server, admin, phone="+14155552671", firstName="Ann", lastName="Lee")
    full_name = walk(server, admin, f"{CONTACTS}?search=ann%20lee", lambda: 10, 1)
    assert walk(server, admin, f"{CONTACTS}?search=5552671", lambda: 10, 1) == full_name
    assert {c["id"] for c in by_name} == {made[1]["id"], made[4]["id"]}
    assert walk(server, admin, f"{CONTACTS}?search=person6%40", lambda: 10, 1)[0]["id"] == made[6]["id"]
    assert walk(server, admin, f"{CONTACTS}?search=%25", lambda: 10, 0) == []  # a % is a percent sign
    too_many = server.call("GET", f"{CONTACTS}?limit=101", key=admin)
    assert _details(too_many) == [("limit", "Input should be less than or equal to 100")]


NAMES = st.text(alphabet="aAbB %_İ", min_size=1, max_size=4)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    people=st.lists(st.tuples(NAMES, st.none() | NAMES), min_size=1, max_size=4),
    query=st.text(alphabet="aAbB %_İ@u1", min_size=1, max_size=3),
)
def test_search_finds_exactly_the_contacts_whose_name_phone_or_email_hold_the_text(
    server: Server, make_key: KeyMaker, people: list[tuple[str, str | None]], query: str
) -> None:
    """Any case; `%` and `_` are themselves; a full name is first and last with a space."""
    key = make_key(f"t_{uuid.uuid4().hex[:12]}")
    expected = set()
    for i, (first, last) in enumerate(people):
        made = _create(server, key, email=f"u{i}@example.com", firstName=first, lastName=last)
        fields = (" ".join(n for n in (first, last) if n), made["email"])
        if any(query.lower() in field.lower() for field in fields):
            expected.add(made["id"])
    found = walk(server, key, f"{CONTACTS}?search={quote(query)}", lambda: 100, len(expected))
    assert {c["id"] for c in found} == expected


def test_an_update_changes_the_fields_given_and_merges_custom_fields(server: Server, admin: str) -> None:
    made = _create(server, admin, email="ann@example.com", firstName="Ann", customFields={"a": 1, "b": 2})
    path = f"{CONTACTS}/{made['id']}"
    changes = {"lastName": "Lee", "firstName": None, "customFields": {"b": None, "c": {"d": 3}}}
    changed = server.call("PUT", path, key=admin, json_body=changes).json()
    assert changed == {
        **made, "lastName": "Lee", "firstName": None, "customFields": {"a": 1, "c": {"d": 3}},
        "updatedAt": changed["updatedAt"],
    }  # fmt: skip
    assert changed["updatedAt"] >= made["updatedAt"]
    assert _details(server.call("PUT", path, key=admin, json_body={"email": None})) == [
        ("phone", NEEDED),
        ("email", NEEDED),
    ]
    assert _details(server.call("PUT", path, key=admin, json_body={"id": "con_0123456789abcdef"})) == [
        ("id", "is not the path's id")
    ]
    assert server.call("PUT", f"{CONTACTS}/con_0123456789abcdef", key=admin, json_body={}).status == 404


def test_tags_are_added_once_and_removed(server: Server, admin: str) -> None:
    path = f"{CONTACTS}/{_create(server, admin, email='t@example.com', tags=['a'])['id']}"
    assert server.call("POST", f"{path}/tags", key=admin, json_body={"tags": ["b", "a", "b"]}).json()[
        "tags"
    ] == ["a", "b"]
    assert server.call("DELETE", f"{path}/tags/a", key=admin).json()["tags"] == ["b"]
    assert server.call("DELETE", f"{path}/tags/zzz", key=admin).json()["tags"] == ["b"]
    assert _details(server.call("POST", f"{path}/tags", key=admin, json_body={"tags": "b"})) == [
        ("tags", "Input should be a valid list")
    ]


def test_preferences_merge_and_opt_outs_list_by_channel(server: Server, admin: str) -> None:
    ann = _create(server, admin, email="ann@example.com", firstName="Ann", preferences={"sms": "opted_in"})
    bob = _create(server, admin, email="bob@example.com", firstName="Bob")
    _create(server, admin, email="cem@example.com", preferences={"email": "opted_in"})
    prefs = f"{CONTACTS}/{ann['id']}/preferences"
    merged = server.call("PUT", prefs, key=admin, json_body={"email": "opted_out", "push": "opted_out"})
    assert merged.json()["preferences"] == {"sms": "opted_in", "email": "opted_out", "push": "opted_out"}
    forgotten = server.call("PUT", prefs, key=admin, json_body={"push": None}).json()["preferences"]
    assert forgotten == {"sms": "opted_in", "email": "opted_out"}
    server.call("PUT", f"{CONTACTS}/{bob['id']}/preferences", key=admin, json_body={"sms": "opted_out"})
    optouts = f"{CONTACTS}/optouts"
    assert [c["id"] for c in walk(server, admin, optouts, lambda: 1, 2)] == [bob["id"], ann["id"]]
    assert [c["id"] for c in walk(server, admin, f"{optouts}?channel=email", lambda: 5, 1)] == [ann["id"]]
    assert [c["id"] for c in walk(server, admin, f"{optouts}?channel=sms&search=bo", lambda: 5, 1)] == [
        bob["id"]
    ]
    assert walk(server, admin, f"{optouts}?channel=voice", lambda: 5, 0) == []
    assert _details(server.call("PUT", prefs, key=admin, json_body={"fax": "opted_out"}))[0][0] == "fax"
    assert server.call("GET", f"{optouts}?channel=fax", key=admin).status == 400


def _respond(server: Server, key: str, customer: str, at: str, outcome: str = "impression") -> Json:
    body = {
        "customerId": customer,
        "offerId": "off_1",
        "channelId": "ch_sms",
        "outcome": outcome,
        "timestamp": at,
    }
    reply = server.call("POST", "/api/v1/respond", key=key, json_body=body)
    assert reply.status == 201, reply.body
    answer: Json = reply.json()
    return answer


def _decide(server: Server, key: str, body: Json) -> Json:
    reply = server.call("POST", "/api/v1/decide", key=key, json_body=body)
    assert reply.status == 200, reply.body
    answer: Json = reply.json()
    return answer


def test_activity_lists_interactions_and_decisions_newest_first(server: Server, admin: str) -> None:
    contact = _create(server, admin, email="act@example.com")["id"]
    first = _respond(server, admin, contact, "2026-01-01T10:00:00.000Z")["interactions"][0]
    second = _respond(server, admin, contact, "2026-01-02T10:00:00.000Z")["interactions"][0]
    _respond(server, admin, "someone_else", "2026-01-03T10:00:00.000Z")
    decided = _decide(
        server, admin, {"customerId": contact, "candidates": [{"offerId": "o", "channelId": "c"}]}
    )
    timeline = walk(server, admin, f"{CONTACTS}/{contact}/activity", lambda: 1, 3)
    assert [(a["type"], a["id"]) for a in timeline] == [
        ("decision", decided["decisionId"]),
        ("interaction", second["id"]),
        ("interaction", first["id"]),
    ]
    assert timeline[1]["data"]["id"] == second["id"] and timeline[1]["at"] == second["timestamp"]
    assert timeline[0]["data"]["decisions"] == decided["decisions"]
    unknown = server.call("GET", f"{CONTACTS}/con_0123456789abcdef/activity", key=admin)
    assert unknown.status == 404


def _rows_naming(server: Server, value: str) -> dict[str, int]:
    """How many rows of each table of the schema hold `value` in any text column."""
    found = {}
    engine = make_engine(server.db_url)
    with transaction(engine) as session:
        for table in Base.metadata.sorted_tables:
            texts = [c for c in table.c if isinstance(c.type, String | Text)]
            hits = session.execute(
                select(table).where(or_(*(cast(c, Text).contains(value, autoescape=True) for c in texts)))
            ).all()
            if hits:
                found[table.name] = len(hits)
    engine.dispose()
    return found


def test_deleting_a_contact_erases_everything_recorded_under_it(server: Server, admin: str) -> None:
    policy = {
        "name": "Unsubscribed", "scope": "global", "ruleType": "outcome_based",
        "config": {"afterOutcome": "unsubscribe", "suppressForDays": 90},
    }  # fmt: skip
    assert server.call("POST", POLICIES, key=admin, json_body=policy).status == 201
    kept = _create(server, admin, email="kept@example.com")["id"]
    erased = _create(server, admin, email="erased@example.com", phone="+14155552671")["id"]
    for kind in ("standard", "dnc"):  # memberships: rows of list_members naming the contact
        made = server.call("POST", f"{CONTACTS}/lists", key=admin, json_body={"name": kind, "kind": kind})
        members = f"{CONTACTS}/lists/{made.json()['id']}/members"
        added = server.call("POST", members, key=admin, json_body={"contactIds": [kept, erased]})
        assert added.status == 200, added.body
    for customer in (kept, erased):
        answer = _respond(server, admin, customer, "2026-01-01T10:00:00.000Z", "unsubscribe")
        assert answer["suppressions"], answer
        record = {"scope": "offer", "scopeId": "off_1", "reason": "asked"}
        manual = server.call(
            "POST", f"/api/v1/customers/{customer}/suppressions", key=admin, json_body=record
        )
        assert manual.status == 201, manual.body
        _decide(server, admin, {"customerId": customer, "candidates": [{"offerId": "o", "channelId": "c"}]})
    before = _rows_naming(server, erased)
    assert set(before) >= {"contacts", "list_members", "interactions", "suppressions", "decision_log"}, before
    assert server.call("DELETE", f"{CONTACTS}/{erased}", key=admin).status == 204
    assert _rows_naming(server, erased) == {}
    assert _rows_naming(server, "erased@example.com") == {}
    assert _rows_naming(server, kept) == before  # the other contact keeps as many rows
    assert server.call("GET", f"{CONTACTS}/{erased}", key=admin).status == 404
    assert server.call("DELETE", f"{CONTACTS}/{erased}", key=admin).status == 404


WORKING_HOURS = {
    "name": "Working hours", "scope": "global", "ruleType": "time_window",
    "config": {"startHour": 9, "endHour": 17},
}  # fmt: skip
#: 14:00 UTC: 23:00 in Tokyo (outside the window), 14:00 where the zone is unknown (UTC).
NOW = "2026-03-20T14:00:00Z"


def _allowed(server: Server, key: str, customer_id: str, **body: Any) -> bool:
    candidate = {"offerId": "off_1", "channelId": "ch_sms", "channelType": "sms"}
    answer = _decide(server, key, {"customerId": customer_id, "now": NOW, "candidates": [candidate], **body})
    entry = server.call("GET", f"/api/v1/decisions/{answer['decisionId']}", key=key).json()
    engine = cpol.Engine(cpol.load_json(entry["policies"]))
    assert decisions_json(engine.decide_json(entry["request"], explain=False)) == answer["decisions"]
    allowed: bool = answer["decisions"][0]["allowed"]
    return allowed


def test_decide_uses_the_contacts_zone_else_its_countrys_single_zone(server: Server, admin: str) -> None:
    assert server.call("POST", POLICIES, key=admin, json_body=WORKING_HOURS).status == 201
    contact = _create(server, admin, email="zone@example.com", country="US")["id"]
    path = f"{CONTACTS}/{contact}"
    assert _allowed(server, admin, contact)  # the US has many zones: none known, UTC
    server.call("PUT", path, key=admin, json_body={"country": "JP"})  # one zone: Asia/Tokyo
    assert not _allowed(server, admin, contact)
    assert _allowed(server, admin, contact, customer={"timezone": "UTC"})  # the request's wins
    server.call("PUT", path, key=admin, json_body={"timezone": "Europe/London", "country": None})
    assert _allowed(server, admin, contact)
    server.call("PUT", path, key=admin, json_body={"timezone": "Asia/Tokyo"})
    assert not _allowed(server, admin, contact)
    assert _allowed(server, admin, "cust_not_a_contact")


def test_decide_uses_the_contacts_preferences_as_consent(server: Server, admin: str) -> None:
    contact = _create(server, admin, email="consent@example.com")["id"]
    prefs = f"{CONTACTS}/{contact}/preferences"
    assert _allowed(server, admin, contact)
    server.call("PUT", prefs, key=admin, json_body={"sms": "opted_out"})
    assert not _allowed(server, admin, contact)
    assert _allowed(server, admin, contact, customer={"consent": {"sms": "opted_in"}})
    server.call("PUT", prefs, key=admin, json_body={"sms": "opted_in"})
    assert _allowed(server, admin, contact)


def test_a_contact_id_is_read_only_in_its_tenant_and_route_order_holds(server: Server, admin: str) -> None:
    """`/contacts/optouts` is the opt-out list, not a contact named `optouts`."""
    reply = server.call("GET", f"{CONTACTS}/optouts", key=admin)
    assert reply.status == 200 and json.loads(reply.body)["data"] == []
    assert server.call("GET", f"{CONTACTS}/con_%00", key=admin).status == 404
