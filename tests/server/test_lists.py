"""Contact lists and their members (SPEC §7) through a real server: the lists' CRUD with
its exact 400s, members added once, paged and removed, deleting a list keeps its
contacts, erasing a contact removes its memberships (also when the two race), and what a
decision reads of a contact's lists (`contact_lists.memberships`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from cpol.server.contact_lists import MAX_MEMBERS, Memberships, memberships
from cpol.server.database import make_engine, transaction
from cpol.server.models import Contact, ListMember

from .client import KeyMaker, Reply, Server
from .paging import walk

CONTACTS = "/api/v1/contacts"
LISTS = f"{CONTACTS}/lists"
Json = dict[str, Any]


def _made(reply: Reply, status: int = 201) -> Json:
    assert reply.status == status, reply.body
    made: Json = reply.json()
    return made


def _list(server: Server, key: str, **fields: Any) -> Json:
    return _made(server.call("POST", LISTS, key=key, json_body=fields))


def _contacts(server: Server, key: str, count: int) -> list[str]:
    return [
        _made(server.call("POST", CONTACTS, key=key, json_body={"email": f"m{i}@example.com"}))["id"]
        for i in range(count)
    ]


def _add(server: Server, key: str, list_id: str, contact_ids: list[str]) -> Reply:
    return server.call("POST", f"{LISTS}/{list_id}/members", key=key, json_body={"contactIds": contact_ids})


def _details(reply: Reply, status: int = 400) -> list[tuple[str | None, str]]:
    assert reply.status == status, reply.body
    return [(d["path"], d["message"]) for d in reply.error["details"]]


@cache
def _engine(url: str) -> Engine:
    return make_engine(url)


@contextmanager
def _session(server: Server) -> Iterator[Session]:
    with transaction(_engine(server.db_url)) as session:
        yield session


def _memberships(server: Server, tenant: str, contact_id: str) -> Memberships:
    with _session(server) as session:
        return memberships(session, tenant, contact_id)


def test_a_list_is_stored_with_its_fields_and_defaults(server: Server, admin: str) -> None:
    made = _list(server, admin, name="VIP customers")
    assert made["id"].startswith("lst_") and len(made["id"]) == 20
    assert (made["name"], made["description"], made["kind"]) == ("VIP customers", None, "standard")
    assert made["createdAt"] == made["updatedAt"]
    assert set(made) == {"id", "name", "description", "kind", "createdAt", "updatedAt"}
    assert _made(server.call("GET", f"{LISTS}/{made['id']}", key=admin), 200) == made
    dnc = _list(server, admin, name="Do not call", description="Asked not to be called", kind="dnc")
    assert (dnc["kind"], dnc["description"]) == ("dnc", "Asked not to be called")


def test_lists_page_newest_first_with_limit_1_to_100(server: Server, admin: str) -> None:
    made = [_list(server, admin, name=f"List {i}")["id"] for i in range(5)]
    assert [item["id"] for item in walk(server, admin, LISTS, lambda: 2, 5)] == made[::-1]
    assert _details(server.call("GET", f"{LISTS}?limit=101", key=admin)) == [
        ("limit", "Input should be less than or equal to 100")
    ]
    assert _details(server.call("GET", f"{LISTS}?limit=0", key=admin))[0][0] == "limit"
    assert _details(server.call("GET", f"{LISTS}?cursor=nonsense", key=admin)) == [
        ("cursor", "not a cursor this API gave")
    ]


INVALID_LISTS = [
    ({}, [("name", "required")]),
    ({"name": ""}, [("name", "must not be empty")]),
    ({"name": 5, "description": ["x"]}, [("name", "must be a string"), ("description", "must be a string")]),
    ({"name": "L", "kind": "blocked"}, [("kind", "must be one of 'standard' or 'dnc'")]),
    ({"name": "L", "kind": None}, [("kind", "must be one of 'standard' or 'dnc'")]),
    ({"name": "L", "size": 3}, [("size", "unknown field (the fields are name, description, kind)")]),
    ({"name": "L", "id": "lst_0123456789abcdef"}, [("id", "this field is set by the server")]),
    ({"name": "x" * 256}, [("name", "must be at most 255 characters")]),
    ({"name": "L", "description": "x" * 1001}, [("description", "must be at most 1000 characters")]),
]


@pytest.mark.parametrize(("body", "expected"), INVALID_LISTS)
def test_an_invalid_list_is_a_400_at_each_field(
    server: Server, admin: str, body: Json, expected: list[tuple[str, str]]
) -> None:
    reply = server.call("POST", LISTS, key=admin, json_body=body)
    assert reply.error["message"] == "the contact list is invalid"
    assert _details(reply) == expected
    assert server.call("GET", LISTS, key=admin).json()["data"] == []


def test_a_body_that_is_no_object_is_a_400(server: Server, admin: str) -> None:
    reply = server.call("POST", LISTS, key=admin, json_body=["name"])
    assert reply.status == 400 and reply.error["message"] == "the body must be one JSON object"


def test_an_update_changes_the_fields_given(server: Server, admin: str) -> None:
    made = _list(server, admin, name="Newsletter", description="Weekly")
    path = f"{LISTS}/{made['id']}"
    renamed = _made(server.call("PUT", path, key=admin, json_body={"name": "Letters"}), 200)
    assert (renamed["name"], renamed["description"], renamed["kind"]) == ("Letters", "Weekly", "standard")
    assert renamed["createdAt"] == made["createdAt"] and renamed["updatedAt"] >= made["updatedAt"]
    cleared = server.call(
        "PUT", path, key=admin, json_body={"id": made["id"], "description": None, "kind": "dnc"}
    )
    assert (_made(cleared, 200)["description"], cleared.json()["kind"]) == (None, "dnc")
    assert _made(server.call("GET", path, key=admin), 200) == cleared.json()
    assert _details(server.call("PUT", path, key=admin, json_body={"name": None, "kind": "x"})) == [
        ("name", "must be a string"),
        ("kind", "must be one of 'standard' or 'dnc'"),
    ]
    other_id = {"id": "lst_0123456789abcdef"}
    assert _details(server.call("PUT", path, key=admin, json_body=other_id)) == [
        ("id", "is not the path's id")
    ]
    assert _made(server.call("GET", path, key=admin), 200) == cleared.json()


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
@pytest.mark.parametrize("list_id", ["lst_0123456789abcdef", "nonsense", "lst_%00"])
def test_an_unknown_list_is_a_404(server: Server, admin: str, method: str, list_id: str) -> None:
    body = {"name": "L"} if method == "PUT" else None
    reply = server.call(method, f"{LISTS}/{list_id}", key=admin, json_body=body)
    assert reply.status == 404 and reply.error["message"] == "contact list not found"
    for members in ("GET", "POST"):
        answer = server.call(
            members, f"{LISTS}/{list_id}/members", key=admin, json_body={"contactIds": ["x"]}
        )
        assert answer.status == 404 and answer.error["message"] == "contact list not found"


def test_members_are_added_once_and_paged_most_recent_first(server: Server, admin: str, tenant: str) -> None:
    list_id = _list(server, admin, name="Members")["id"]
    first, second, third = _contacts(server, admin, 3)
    added = _made(_add(server, admin, list_id, [second, first, second]), 200)
    assert added == {"added": [second, first], "alreadyMembers": []}
    again = _made(_add(server, admin, list_id, [third, first]), 200)
    assert again == {"added": [third], "alreadyMembers": [first]}
    members = walk(server, admin, f"{LISTS}/{list_id}/members", lambda: 2, 3)
    with _session(server) as session:  # order by when added, then id, both descending
        rows = session.execute(
            select(ListMember.added_at, ListMember.contact_id).where(ListMember.list_id == list_id)
        )
        expected = [contact for _, contact in sorted(rows, reverse=True)]
    assert [m["id"] for m in members] == expected
    assert expected[0] == third  # the later request's member first
    contact = _made(server.call("GET", f"{CONTACTS}/{first}", key=admin), 200)
    assert next(m for m in members if m["id"] == first) == contact
    assert _memberships(server, tenant, first) == Memberships(segments=(list_id,))


def test_unknown_contact_ids_are_a_400_at_their_index_and_add_nothing(
    server: Server, admin: str, make_key: KeyMaker
) -> None:
    list_id = _list(server, admin, name="Members")["id"]
    (mine,) = _contacts(server, admin, 1)
    (theirs,) = _contacts(server, make_key(f"t_{uuid.uuid4().hex[:12]}"), 1)
    reply = _add(server, admin, list_id, [mine, theirs, "con_0123456789abcdef", "nonsense"])
    assert reply.error["message"] == "the members are invalid"
    assert _details(reply) == [
        ("contactIds[1]", "is not a contact of the tenant"),
        ("contactIds[2]", "is not a contact of the tenant"),
        ("contactIds[3]", "is not a contact of the tenant"),
    ]
    assert walk(server, admin, f"{LISTS}/{list_id}/members", lambda: 10, 0) == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, [("contactIds", "required")]),
        ({"contactIds": "con_0123456789abcdef"}, [("contactIds", "Input should be a valid list")]),
        ({"contactIds": []}, [("contactIds", "List should have at least 1 item after validation, not 0")]),
        ({"contactIds": ["a", 7]}, [("contactIds[1]", "must be a string")]),
        ({"contactIds": ["a"], "listId": "x"}, [("listId", "unknown field (the fields are contactIds)")]),
        (
            {"contactIds": ["a"] * (MAX_MEMBERS + 1)},
            [
                (
                    "contactIds",
                    f"List should have at most {MAX_MEMBERS} items after validation, not {MAX_MEMBERS + 1}",
                )
            ],
        ),
    ],
)
def test_an_invalid_members_body_is_a_400(
    server: Server, admin: str, body: Json, expected: list[tuple[str, str]]
) -> None:
    list_id = _list(server, admin, name="Members")["id"]
    reply = server.call("POST", f"{LISTS}/{list_id}/members", key=admin, json_body=body)
    assert _details(reply) == expected


def test_a_member_is_removed_with_a_204_and_a_non_member_is_a_404(
    server: Server, admin: str, tenant: str
) -> None:
    list_id = _list(server, admin, name="Members")["id"]
    kept, removed = _contacts(server, admin, 2)
    _made(_add(server, admin, list_id, [kept, removed]), 200)
    member = f"{LISTS}/{list_id}/members/{removed}"
    reply = server.call("DELETE", member, key=admin)
    assert (reply.status, reply.body) == (204, b"")
    assert [m["id"] for m in walk(server, admin, f"{LISTS}/{list_id}/members", lambda: 10, 1)] == [kept]
    assert _memberships(server, tenant, removed) == Memberships()
    for again in (member, f"{LISTS}/{list_id}/members/nonsense", f"{LISTS}/{list_id}/members/con_%00"):
        answer = server.call("DELETE", again, key=admin)
        assert answer.status == 404 and answer.error["message"] == "member of the list not found"
    unknown_list = server.call("DELETE", f"{LISTS}/lst_0123456789abcdef/members/{kept}", key=admin)
    assert unknown_list.error["message"] == "contact list not found"
    assert server.call("GET", f"{CONTACTS}/{removed}", key=admin).status == 200


def test_deleting_a_list_keeps_its_contacts_and_forgets_their_memberships(
    server: Server, admin: str, tenant: str
) -> None:
    doomed, other = _list(server, admin, name="Doomed")["id"], _list(server, admin, name="Other")["id"]
    contacts = _contacts(server, admin, 2)
    for list_id in (doomed, other):
        _made(_add(server, admin, list_id, contacts), 200)
    reply = server.call("DELETE", f"{LISTS}/{doomed}", key=admin)
    assert (reply.status, reply.body) == (204, b"")
    assert server.call("GET", f"{LISTS}/{doomed}", key=admin).status == 404
    assert server.call("GET", f"{LISTS}/{doomed}/members", key=admin).status == 404
    assert server.call("DELETE", f"{LISTS}/{doomed}", key=admin).status == 404
    for contact in contacts:
        assert server.call("GET", f"{CONTACTS}/{contact}", key=admin).status == 200
        assert _memberships(server, tenant, contact) == Memberships(segments=(other,))
    with _session(server) as session:
        assert session.scalars(select(ListMember).where(ListMember.list_id == doomed)).all() == []


def test_memberships_are_standard_list_ids_and_dnc_list_names(
    server: Server, admin: str, tenant: str
) -> None:
    """Sorted, each name once (two dnc lists may share one), kind changes followed."""
    standard = sorted(_list(server, admin, name=f"S{i}")["id"] for i in range(2))
    dnc = [_list(server, admin, name=name, kind="dnc")["id"] for name in ("sms_block", "legal", "legal")]
    contact, outsider = _contacts(server, admin, 2)
    for list_id in (*standard, *dnc):
        _made(_add(server, admin, list_id, [contact]), 200)
    assert _memberships(server, tenant, contact) == Memberships(tuple(standard), ("legal", "sms_block"))
    assert _memberships(server, tenant, outsider) == Memberships()
    assert _memberships(server, f"t_{uuid.uuid4().hex[:12]}", contact) == Memberships()
    _made(server.call("PUT", f"{LISTS}/{dnc[0]}", key=admin, json_body={"kind": "standard"}), 200)
    _made(server.call("PUT", f"{LISTS}/{dnc[1]}", key=admin, json_body={"name": "renamed"}), 200)
    expected = Memberships(tuple(sorted([*standard, dnc[0]])), ("legal", "renamed"))
    assert _memberships(server, tenant, contact) == expected


def test_memberships_read_once_through_the_contact_index(server: Server, admin: str, tenant: str) -> None:
    (contact,) = _contacts(server, admin, 1)
    _made(_add(server, admin, _list(server, admin, name="L")["id"], [contact]), 200)
    engine = _engine(server.db_url)
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        with _session(server) as session:
            memberships(session, tenant, contact)
            selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
            assert len(selects) == 1, statements
            if engine.dialect.name == "sqlite":
                plan = session.connection().exec_driver_sql(
                    f"EXPLAIN QUERY PLAN {selects[0]}", (tenant, contact)
                )
                assert "ix_list_members_contact" in " ".join(str(row) for row in plan)
    finally:
        event.remove(engine, "before_cursor_execute", count)


OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.integers(0, 1), st.lists(st.integers(0, 3), min_size=1, max_size=4)),
        st.tuples(st.just("remove"), st.integers(0, 1), st.integers(0, 3)),
        st.tuples(st.just("erase"), st.just(0), st.integers(0, 3)),
    ),
    max_size=8,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=OPERATIONS)
def test_members_and_memberships_follow_any_sequence_of_changes(
    server: Server, make_key: KeyMaker, operations: list[tuple[str, int, Any]]
) -> None:
    """Adds, removals and erasures in any order: each list's members and each contact's
    memberships are what a set per list says, and every answer's status is the one due."""
    tenant = f"t_{uuid.uuid4().hex[:12]}"
    key = make_key(tenant)
    lists = [_list(server, key, name="standard")["id"], _list(server, key, name="blocked", kind="dnc")["id"]]
    contacts = _contacts(server, key, 4)
    members: list[set[str]] = [set(), set()]
    erased: set[str] = set()
    for operation, which, target in operations:
        if operation == "add":
            ids = [contacts[i] for i in target]
            reply = _add(server, key, lists[which], ids)
            assert reply.status == (400 if erased & set(ids) else 200), reply.body
            members[which] |= set(ids) if reply.status == 200 else set()
        elif operation == "remove":
            reply = server.call("DELETE", f"{LISTS}/{lists[which]}/members/{contacts[target]}", key=key)
            assert reply.status == (204 if contacts[target] in members[which] else 404)
            members[which].discard(contacts[target])
        else:
            reply = server.call("DELETE", f"{CONTACTS}/{contacts[target]}", key=key)
            assert reply.status == (404 if contacts[target] in erased else 204)
            erased.add(contacts[target])
            for group in members:
                group.discard(contacts[target])
    for list_id, expected in zip(lists, members, strict=True):
        found = walk(server, key, f"{LISTS}/{list_id}/members", lambda: 3, len(expected))
        assert {m["id"] for m in found} == expected
    for contact in contacts:
        segments = (lists[0],) if contact in members[0] else ()
        assert _memberships(server, tenant, contact) == Memberships(
            segments, ("blocked",) * (contact in members[1])
        )


def test_erasing_contacts_while_they_are_added_leaves_no_membership(server: Server, admin: str) -> None:
    """Each add either lands before the erasure (which then removes it) or finds the
    contact gone (a 400): no membership outlives its contact."""
    list_id = _list(server, admin, name="Race")["id"]
    contacts = _contacts(server, admin, 12)

    def race(job: tuple[str, str]) -> int:
        action, contact = job
        if action == "add":
            return _add(server, admin, list_id, [contact]).status
        return server.call("DELETE", f"{CONTACTS}/{contact}", key=admin).status

    jobs = [(action, c) for c in contacts for action in ("add", "erase")]
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(race, jobs))
    assert set(statuses) <= {200, 204, 400}
    with _session(server) as session:
        orphans = session.scalars(
            select(ListMember.contact_id).where(
                ListMember.list_id == list_id, ListMember.contact_id.not_in(select(Contact.id))
            )
        ).all()
    assert orphans == []


def test_lists_is_not_taken_for_a_contact_id(server: Server, admin: str) -> None:
    """`/contacts/lists` is the lists' route, declared before `/contacts/{contact_id}`."""
    reply = server.call("GET", LISTS, key=admin)
    assert reply.status == 200 and reply.json()["pagination"]["total"] == 0
