"""Dynamic segments (SPEC §7) through a real server: the endpoints, the rule language's
exact 400s, and the property at the heart of it: the members the database selects (SQL)
are exactly the contacts the Python evaluator matches, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cpol.server import contacts, segment_rules, segments
from cpol.server.database import make_engine, transaction

from .client import KeyMaker, Reply, Server
from .paging import walk

CONTACTS = "/api/v1/contacts"
SEGMENTS = f"{CONTACTS}/segments"
Json = dict[str, Any]


def _post(server: Server, key: str, path: str, body: Json) -> Json:
    reply = server.call("POST", path, key=key, json_body=body)
    assert reply.status == 201, reply.body
    made: Json = reply.json()
    return made


def _details(reply: Reply) -> list[tuple[str | None, str]]:
    assert reply.status == 400, reply.body
    return [(d["path"], d["message"]) for d in reply.error["details"]]


def _rule(field: str, op: str, value: object) -> Json:
    return {"field": field, "op": op, "value": value}


VIP_LEADS = {"all": [_rule("tags", "contains", "vip"), {"any": [_rule("lifecycleStage", "eq", "lead")]}]}


def test_a_segment_is_made_read_listed_and_deleted_without_touching_contacts(
    server: Server, admin: str
) -> None:
    made = _post(server, admin, SEGMENTS, {"name": "VIP leads", "description": "d", "rules": VIP_LEADS})
    assert made["id"].startswith("seg_")
    assert {k: made[k] for k in ("name", "description", "rules")} == {
        "name": "VIP leads",
        "description": "d",
        "rules": VIP_LEADS,
    }
    assert set(made) == {"id", "name", "description", "rules", "createdAt"}
    assert server.call("GET", f"{SEGMENTS}/{made['id']}", key=admin).json() == made
    other = _post(server, admin, SEGMENTS, {"name": "All", "rules": {"any": [_rule("id", "exists", True)]}})
    assert other["description"] is None
    listed = walk(server, admin, SEGMENTS, lambda: 1, 2)
    assert [s["id"] for s in listed] == [other["id"], made["id"]]  # newest first
    vip = _post(
        server, admin, CONTACTS, {"email": "vip@example.com", "tags": ["vip"], "lifecycleStage": "lead"}
    )
    assert server.call("DELETE", f"{SEGMENTS}/{made['id']}", key=admin).status == 204
    assert server.call("GET", f"{SEGMENTS}/{made['id']}", key=admin).status == 404
    assert server.call("GET", f"{SEGMENTS}/{made['id']}/members", key=admin).status == 404
    assert server.call("DELETE", f"{SEGMENTS}/{made['id']}", key=admin).status == 404
    assert server.call("GET", f"{CONTACTS}/{vip['id']}", key=admin).json() == vip
    assert walk(server, admin, SEGMENTS, lambda: 10, 1)[0]["id"] == other["id"]


def test_members_are_the_contacts_the_rules_select_now_newest_first(server: Server, admin: str) -> None:
    segment = _post(server, admin, SEGMENTS, {"name": "VIP leads", "rules": VIP_LEADS})
    members = f"{SEGMENTS}/{segment['id']}/members"
    people = [
        _post(
            server, admin, CONTACTS,
            {"email": f"p{i}@example.com", "tags": ["vip"] if i % 2 else [], "lifecycleStage": "lead"},
        )
        for i in range(7)
    ]  # fmt: skip
    vips = [p["id"] for p in reversed(people) if p["tags"]]
    assert [c["id"] for c in walk(server, admin, members, lambda: 2, 3)] == vips
    changed = server.call(
        "POST", f"{CONTACTS}/{people[0]['id']}/tags", key=admin, json_body={"tags": ["vip"]}
    )
    assert changed.status == 200
    assert [c["id"] for c in walk(server, admin, members, lambda: 100, 4)] == [*vips, people[0]["id"]]
    page = server.call("GET", f"{members}?limit=1", key=admin).json()
    assert page["data"][0] == server.call("GET", f"{CONTACTS}/{vips[0]}", key=admin).json()


UNKNOWN_FIELD = (
    "unknown field 'frstName'; did you mean firstName? (the fields are id, phone, email, firstName, "
    "lastName, country, lifecycleStage, timezone, createdAt, updatedAt, tags, customFields.NAME, "
    "preferences.CHANNEL; a custom field's NAME has no \" or \\)"
)
TAG_OPS = "(the ops of tags are eq, neq, in, contains, exists)"
NAME_OPS = "(the ops of firstName are eq, neq, in, contains, exists, gt, gte, lt, lte, startsWith)"
NO_GROUP = 'must be a group: {"all": [...]} or {"any": [...]}'
LIST = "must be a list of 1 to 100 values"


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        ({"all": [_rule("frstName", "eq", "Ann")]}, [("rules.all[0].field", UNKNOWN_FIELD)]),
        (
            {"all": [_rule("email", "eq", "a"), {"any": [_rule("firstName", "startswith", "A")]}]},
            [("rules.all[1].any[0].op", f"unknown op 'startswith'; did you mean startsWith? {NAME_OPS}")],
        ),
        ({"any": [_rule("tags", "gt", "a")]}, [("rules.any[0].op", f"unknown op 'gt' {TAG_OPS}")]),
        ({"any": [_rule("country", "in", "US")]}, [("rules.any[0].value", LIST)]),
        (
            {"any": [_rule("country", "in", ["US", 3])]},
            [("rules.any[0].value[1]", "must be a string (at most 1000 characters, no NUL)")],
        ),
        ({"any": [_rule("email", "exists", "yes")]}, [("rules.any[0].value", "must be true or false")]),
        (
            {"any": [_rule("customFields.score", "gt", True)]},
            [("rules.any[0].value", "must be a string or a finite number")],
        ),
        (
            {"any": [_rule("customFields.plan", "eq", ["gold"])]},
            [("rules.any[0].value", "must be a string, a finite number or a boolean")],
        ),
        ({"all": []}, [("rules.all", "must be a non-empty list of conditions and groups")]),
        ({"none": [_rule("email", "exists", True)]}, [("rules", NO_GROUP)]),
        (
            {"all": [{"field": "email", "op": "exists", "value": True, "negate": True}, {"op": "eq"}]},
            [
                ("rules.all[0].negate", "unknown key (a condition has field, op and value)"),
                ("rules.all[1].field", "required"),
                ("rules.all[1].value", "required"),
            ],
        ),
        (
            {"all": [{"any": [{"all": [{"any": [{"all": [{"any": [_rule("email", "exists", True)]}]}]}]}]}]},
            [("rules.all[0].any[0].all[0].any[0].all[0]", "groups nest at most 5 deep")],
        ),
        (
            {"all": [_rule("email", "exists", True)] * 101},
            [("rules.all[100]", "a segment has at most 100 conditions")],
        ),
        ([_rule("email", "exists", True)], [("rules", NO_GROUP)]),
    ],
)  # fmt: skip
def test_invalid_rules_are_a_400_at_the_exact_path(
    server: Server, admin: str, rules: object, expected: list[tuple[str, str]]
) -> None:
    reply = server.call("POST", SEGMENTS, key=admin, json_body={"name": "S", "rules": rules})
    assert _details(reply) == expected
    assert reply.error["message"] == "the segment is invalid"
    assert server.call("GET", SEGMENTS, key=admin).json()["data"] == []


def test_the_segment_body_and_the_limits_are_checked(server: Server, admin: str) -> None:
    no_rules = server.call("POST", SEGMENTS, key=admin, json_body={"name": "", "colour": "red"})
    assert _details(no_rules) == [
        ("name", "must not be empty"),
        ("rules", "required"),
        ("colour", "unknown field (the fields are name, description, rules)"),
    ]
    both = server.call("POST", SEGMENTS, key=admin, json_body={"name": 3, "rules": {"all": [{}]}})
    assert _details(both) == [
        ("name", "must be a string"),
        ("rules.all[0].field", "required"),
        ("rules.all[0].op", "required"),
        ("rules.all[0].value", "required"),
    ]
    made = _post(server, admin, SEGMENTS, {"name": "S", "rules": VIP_LEADS})
    for path in (SEGMENTS, f"{SEGMENTS}/{made['id']}/members"):
        too_many = server.call("GET", f"{path}?limit=101", key=admin)
        assert _details(too_many) == [("limit", "Input should be less than or equal to 100")]


def test_a_viewer_reads_and_an_editor_writes(server: Server, make_key: KeyMaker, tenant: str) -> None:
    viewer, editor = make_key(tenant, "viewer"), make_key(tenant, "editor")
    body = {"name": "S", "rules": VIP_LEADS}
    assert server.call("POST", SEGMENTS, key=viewer, json_body=body).status == 403
    made = _post(server, editor, SEGMENTS, body)
    assert server.call("GET", f"{SEGMENTS}/{made['id']}/members", key=viewer).status == 200
    assert server.call("DELETE", f"{SEGMENTS}/{made['id']}", key=viewer).status == 403
    stranger = make_key(f"t_{uuid.uuid4().hex[:12]}", "admin")
    assert server.call("GET", f"{SEGMENTS}/{made['id']}", key=stranger).status == 404


def test_decide_sees_a_segment_made_or_deleted_at_once(server: Server, admin: str, tenant: str) -> None:
    """`segments.matching` keeps the tenant's parsed rules per worker; a new or deleted
    segment changes the ids it reads first, so the next call sees it."""
    contact = _post(server, admin, CONTACTS, {"email": "ann@example.com", "tags": ["vip"]})
    engine = make_engine(server.db_url)

    def matching() -> list[str]:
        with transaction(engine) as session:
            return segments.matching(session, tenant, contact)

    try:
        assert matching() == []
        first = _post(
            server, admin, SEGMENTS, {"name": "VIP", "rules": {"all": [_rule("tags", "eq", "vip")]}}
        )
        _post(
            server,
            admin,
            SEGMENTS,
            {"name": "Leads", "rules": {"all": [_rule("lifecycleStage", "eq", "lead")]}},
        )
        assert matching() == [first["id"]]
        second = _post(
            server, admin, SEGMENTS, {"name": "Any", "rules": {"any": [_rule("email", "exists", True)]}}
        )
        assert matching() == [second["id"], first["id"]]
        assert server.call("DELETE", f"{SEGMENTS}/{first['id']}", key=admin).status == 204
        assert matching() == [second["id"]]
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("custom", "message"),
    [
        ({"a": ["x\x00"]}, "cannot contain the NUL character (\\u0000) (at a[0])"),
        ({"big": 10**309}, "holds a number beyond a double's range (at big)"),
    ],
)
def test_a_custom_field_no_rule_could_compare_alike_everywhere_is_refused(
    server: Server, admin: str, custom: Json, message: str
) -> None:
    """PostgreSQL's jsonb holds no NUL, and rules compare numbers as doubles."""
    reply = server.call("POST", CONTACTS, key=admin, json_body={"email": "a@b.c", "customFields": custom})
    assert _details(reply) == [("customFields", message)]


# --- the property: SQL members == Python matches ----------------------------------------

TEXT = st.text(alphabet="aAé.", max_size=3)
#: Numbers that differ as integers but not as doubles, a double's edges, and any others.
EDGES = st.sampled_from([2**53, 2**53 + 1, 2**63 + 1, -(10**20), 0.1, -0.0, 1e308, 5e-324])
NUMBERS = st.integers(-3, 3) | EDGES | st.floats(allow_nan=False, allow_infinity=False)
SCALARS = TEXT | NUMBERS | st.booleans()
CUSTOM_KEYS = ("n", "x.y é")
CUSTOM_VALUES = st.none() | SCALARS | st.lists(SCALARS, max_size=3)
CONTACT = st.fixed_dictionaries(
    {},
    optional={
        "firstName": st.text(alphabet="aAé.", min_size=1, max_size=3),
        "lastName": st.sampled_from(["Lee", "lee", "Öz"]),
        "country": st.sampled_from(["US", "TR"]),
        "lifecycleStage": st.sampled_from(["lead", "customer"]),
        "tags": st.lists(st.sampled_from(["vip", "a", "A"]), max_size=3),
        "customFields": st.dictionaries(st.sampled_from(CUSTOM_KEYS), CUSTOM_VALUES, max_size=3),
        "preferences": st.fixed_dictionaries(
            {}, optional={"sms": st.sampled_from(["opted_in", "opted_out"])}
        ),
    },
)
CUSTOM = [f"customFields.{k}" for k in (*CUSTOM_KEYS, "absent")]
FIELDS = [
    "firstName", "lastName", "country", "lifecycleStage", "email", "phone", "tags", "preferences.sms",
    "createdAt", *CUSTOM * 3,
]  # fmt: skip


@st.composite
def _condition(draw: st.DrawFn) -> Json:
    field = draw(st.sampled_from(FIELDS))
    found = segment_rules.field_named(field)
    assert found is not None
    op = draw(st.sampled_from(segment_rules.OPS_OF[found.kind]))
    rule = segment_rules._value_rule(found.kind, op)
    one = {
        "boolean": st.booleans(),
        "string": TEXT | st.sampled_from(["Lee", "US", "lead", "vip", "opted_out", "2026"]),
        "scalar": SCALARS,
        "ordered": TEXT | NUMBERS,
    }[rule]
    value = draw(st.lists(one, min_size=1, max_size=3) if op == "in" else one)
    return _rule(field, op, value)


RULES = st.recursive(
    _condition(),
    lambda inner: st.builds(lambda kind, items: {kind: items}, st.sampled_from(["all", "any"]),
                            st.lists(inner, min_size=1, max_size=3)),
    max_leaves=5,
).map(lambda node: node if "all" in node or "any" in node else {"all": [node]})  # fmt: skip


@settings(
    max_examples=max(30, settings().max_examples // 2),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(people=st.lists(CONTACT, min_size=1, max_size=6), rule_sets=st.lists(RULES, min_size=1, max_size=3))
@example(  # equal as doubles, not as integers; "é" sorts after "a" by code point, before it in most locales
    people=[{"customFields": {"n": 2**53 + 1}, "firstName": "é"}, {"firstName": "b"}],
    rule_sets=[
        {"all": [_rule("customFields.n", "eq", 2**53)]},
        {"any": [_rule("firstName", "gt", "c"), _rule("lastName", "neq", "Lee")]},
    ],
)
def test_the_members_sql_selects_are_the_contacts_python_matches(
    server: Server, make_key: KeyMaker, people: list[Json], rule_sets: list[Json]
) -> None:
    """Contacts are stored with the service's own code, segments made and members read over
    HTTP (the server's SQL); `matches` and decide's `segments.matching` must say the same."""
    tenant = f"t_{uuid.uuid4().hex[:12]}"
    key = make_key(tenant, "editor")
    engine = make_engine(server.db_url)
    try:
        stored = [
            contacts.create(engine, tenant, {"email": f"p{i}@example.com", **p}) for i, p in enumerate(people)
        ]
        made = [_post(server, key, SEGMENTS, {"name": f"S{i}", "rules": r}) for i, r in enumerate(rule_sets)]
        for segment in made:
            tree = segment_rules.parse(segment["rules"])
            expected = {c["id"] for c in stored if segment_rules.matches(tree, c)}
            path = f"{SEGMENTS}/{segment['id']}/members"
            assert {c["id"] for c in walk(server, key, path, lambda: 100, len(expected))} == expected
        with transaction(engine) as session:
            for contact in stored:
                matching = segments.matching(session, tenant, contact)
                newest_first = [s["id"] for s in reversed(made)]
                trees = {s["id"]: segment_rules.parse(s["rules"]) for s in made}
                assert matching == [i for i in newest_first if segment_rules.matches(trees[i], contact)]
    finally:
        engine.dispose()
