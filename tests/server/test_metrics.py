"""Behavioral metrics (SPEC §7) through a real server: definitions created, replaced, read,
listed and deleted, bad ones refused with their exact 400s; and their values for a
customer, checked against a plain computation over random recorded interactions."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cpol.plan.fields import MAX_DAYS
from cpol.server import metrics
from cpol.server.database import make_engine, transaction

from .client import KeyMaker, Reply, Server
from .interactions import interaction, respond
from .paging import walk
from .test_no_5xx import JSON, TEXT

METRICS = "/api/v1/metrics"
Json = dict[str, Any]
COMPLAINT_RATE = {
    "name": "Complaint rate",
    "outcome": "complaint",
    "windowDays": 30,
    "aggregate": "rate",
    "per": "impression",
}
IMPRESSIONS = {"name": "Impressions, 7 days", "outcome": "impression", "windowDays": 7, "aggregate": "count"}
NOW = "2026-03-20T14:00:00Z"
JSON_TYPE = {"Content-Type": "application/json"}


def _put(server: Server, key: str, metric_id: str, body: Json) -> Json:
    reply = server.call("PUT", f"{METRICS}/{quote(metric_id, safe='')}", key=key, json_body=body)
    assert reply.status in (200, 201), reply.body
    made: Json = reply.json()
    return made


def _values(server: Server, key: str, customer: str, now: str = NOW) -> Json:
    reply = server.call("GET", f"/api/v1/customers/{customer}/metrics?now={quote(now)}", key=key)
    assert reply.status == 200, reply.body
    answer: Json = reply.json()
    return answer


def _details(reply: Reply) -> list[tuple[str | None, str]]:
    assert reply.status == 400, reply.body
    return [(d["path"], d["message"]) for d in reply.error["details"]]


def test_put_creates_then_replaces_whole(server: Server, admin: str) -> None:
    one = f"{METRICS}/met_complaints"
    created = server.call("PUT", one, key=admin, json_body=COMPLAINT_RATE)
    assert created.status == 201
    metric = created.json()
    assert metric == {"id": "met_complaints", **COMPLAINT_RATE, "createdAt": metric["createdAt"],
                      "updatedAt": metric["createdAt"]}  # fmt: skip
    assert list(metric) == ["id", *COMPLAINT_RATE, "createdAt", "updatedAt"]
    assert server.call("GET", one, key=admin).json() == metric

    replaced = server.call("PUT", one, key=admin, json_body={**IMPRESSIONS, "id": "met_complaints"})
    assert replaced.status == 200
    assert replaced.json() == {"id": "met_complaints", **IMPRESSIONS, "createdAt": metric["createdAt"],
                               "updatedAt": replaced.json()["updatedAt"]}  # fmt: skip
    assert replaced.json()["updatedAt"] >= metric["updatedAt"]
    assert "per" not in server.call("GET", one, key=admin).json()

    deleted = server.call("DELETE", one, key=admin)
    assert deleted.status == 204 and deleted.body == b""
    assert server.call("GET", one, key=admin).error["code"] == "not_found"
    assert server.call("DELETE", one, key=admin).status == 404
    assert server.call("PUT", one, key=admin, json_body=IMPRESSIONS).status == 201


def test_a_rate_without_per_and_a_null_per(server: Server, admin: str) -> None:
    share = {**COMPLAINT_RATE, "per": None}
    assert "per" not in _put(server, admin, "met_share", share)
    assert "per" not in _put(server, admin, "met_count", {**IMPRESSIONS, "per": None})


SHAPE = "must be 1–255 characters, not only spaces, none of them a control character"
DAYS = f"must be a whole number of days from 1 to {MAX_DAYS:,}"
FIELDS = "name, outcome, windowDays, aggregate, per"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, [(field, "required") for field in ("name", "outcome", "windowDays", "aggregate")]),
        ({**IMPRESSIONS, "windowDays": 0}, [("windowDays", DAYS)]),
        ({**IMPRESSIONS, "windowDays": -7}, [("windowDays", DAYS)]),
        ({**IMPRESSIONS, "windowDays": 7.0}, [("windowDays", DAYS)]),
        ({**IMPRESSIONS, "windowDays": 1.5}, [("windowDays", DAYS)]),
        ({**IMPRESSIONS, "windowDays": True}, [("windowDays", DAYS)]),
        ({**IMPRESSIONS, "windowDays": "7"}, [("windowDays", DAYS)]),
        ({**IMPRESSIONS, "windowDays": MAX_DAYS + 1}, [("windowDays", DAYS)]),
        ({**IMPRESSIONS, "windowDays": 10**400}, [("windowDays", DAYS)]),
        ({**IMPRESSIONS, "aggregate": "sum"}, [("aggregate", "must be one of 'count' or 'rate'")]),
        ({**IMPRESSIONS, "per": "click"}, [("per", 'is only for aggregate "rate" (a count is per nothing)')]),
        ({**COMPLAINT_RATE, "per": ""}, [("per", "must not be empty")]),
        ({**IMPRESSIONS, "outcome": ""}, [("outcome", "must not be empty")]),
        ({**IMPRESSIONS, "outcome": 3}, [("outcome", "must be a string")]),
        ({**IMPRESSIONS, "outcome": "x" * 256}, [("outcome", "must be at most 255 characters")]),
        ({**IMPRESSIONS, "name": "a\x00b"}, [("name", "cannot contain the NUL character (\\u0000)")]),
        ({**IMPRESSIONS, "unit": "days"}, [("unit", f"unknown field (the fields are {FIELDS})")]),
        ({**IMPRESSIONS, "createdAt": NOW}, [("createdAt", "this field is set by the server")]),
        ({**IMPRESSIONS, "id": "met_other"}, [("id", "is not the path's id")]),
        (
            {"name": "", "outcome": "", "windowDays": 0, "aggregate": "count", "per": "x"},
            [("name", "must not be empty"), ("outcome", "must not be empty"), ("windowDays", DAYS),
             ("per", 'is only for aggregate "rate" (a count is per nothing)')],
        ),
    ],
)  # fmt: skip
def test_bad_metrics_are_400s_at_their_paths(
    server: Server, admin: str, body: Json, expected: list[tuple[str, str]]
) -> None:
    reply = server.call("PUT", f"{METRICS}/met_1", key=admin, json_body=body)
    assert reply.error["message"] == "the metric is invalid"
    assert _details(reply) == expected
    assert server.call("GET", f"{METRICS}/met_1", key=admin).status == 404


@pytest.mark.parametrize("metric_id", ["%20%20", "x" * 256, "a%01b", "%C2%85"])
def test_ids_a_policy_cannot_name_are_refused(server: Server, admin: str, metric_id: str) -> None:
    """A blank id (metricId must not be), too long, or with a control character: a 400 on
    PUT, and a plain 404 on GET and DELETE (no such metric can exist)."""
    one = f"{METRICS}/{metric_id}"
    assert _details(server.call("PUT", one, key=admin, json_body=IMPRESSIONS)) == [("id", SHAPE)]
    for method in ("GET", "DELETE"):
        assert server.call(method, one, key=admin).error["message"] == "metric not found"


def test_any_id_a_policy_can_name_is_kept_as_given(server: Server, admin: str) -> None:
    for metric_id in ("met_1", " spaced id ", "ünïcode ✓", "x" * 255, "a.b:c@d"):
        assert _put(server, admin, metric_id, IMPRESSIONS)["id"] == metric_id
        reply = server.call("GET", f"{METRICS}/{quote(metric_id, safe='')}", key=admin)
        assert reply.json()["id"] == metric_id


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    ids=st.lists(st.text("abcZ019_ ", min_size=1, max_size=6).filter(str.strip), max_size=12, unique=True),
    deleted=st.sets(st.integers(0, 11), max_size=4),
    data=st.data(),
)
def test_the_list_walks_every_metric_once_by_id(
    server: Server, make_key: KeyMaker, ids: list[str], deleted: set[int], data: st.DataObject
) -> None:
    key = make_key(f"t_metrics_{uuid.uuid4().hex[:12]}", "admin")
    for metric_id in ids:
        _put(server, key, metric_id, IMPRESSIONS)
    for index in deleted & set(range(len(ids))):
        assert server.call("DELETE", f"{METRICS}/{quote(ids[index], safe='')}", key=key).status == 204
    expected = sorted(metric_id for i, metric_id in enumerate(ids) if i not in deleted)
    seen = walk(server, key, METRICS, lambda: data.draw(st.integers(1, 5), label="limit"), len(expected))
    assert [metric["id"] for metric in seen] == expected


def test_concurrent_creates_of_one_id(server: Server, admin: str) -> None:
    """The database's key decides: exactly one 201, the others replace it (200)."""
    names = [f"n{i}" for i in range(8)]
    with ThreadPoolExecutor(len(names)) as pool:
        replies = list(pool.map(lambda n: server.call(
            "PUT", f"{METRICS}/raced", key=admin, json_body={**IMPRESSIONS, "name": n}
        ), names))  # fmt: skip
    assert sorted(r.status for r in replies) == [200] * 7 + [201]
    assert len({r.json()["createdAt"] for r in replies}) == 1
    assert server.call("GET", f"{METRICS}/raced", key=admin).json()["name"] in names


FIELD_NAMES = st.sampled_from(["id", "name", "outcome", "windowDays", "aggregate", "per", "createdAt", "x"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    metric_id=TEXT,
    body=JSON | st.dictionaries(FIELD_NAMES, JSON, max_size=6),
    query=st.dictionaries(st.sampled_from(["limit", "cursor", "now"]), TEXT),
)
def test_random_ids_bodies_and_queries_are_never_5xx(
    server: Server, admin: str, metric_id: str, body: object, query: dict[str, str]
) -> None:
    one = quote(metric_id, safe="") or "x"
    for reply in (
        server.call("PUT", f"{METRICS}/{one}", key=admin, data=json.dumps(body).encode(), headers=JSON_TYPE),
        server.call("GET", f"{METRICS}/{one}", key=admin),
        server.call("DELETE", f"{METRICS}/{one}", key=admin),
        server.call("GET", f"{METRICS}?{urlencode(query)}", key=admin),
        server.call("GET", f"/api/v1/customers/{one}/metrics?{urlencode(query)}", key=admin),
    ):
        assert reply.status < 500, reply.body
        assert reply.status < 400 or reply.error["code"]


def test_the_list_refuses_bad_limits_and_cursors(server: Server, admin: str) -> None:
    for query, path in (("limit=0", "limit"), ("limit=101", "limit"), ("cursor=WzFd", "cursor")):
        assert [p for p, _ in _details(server.call("GET", f"{METRICS}?{query}", key=admin))] == [path]


# -- values ---------------------------------------------------------------------------------
def _interactions(customer: str, *items: tuple[str, str]) -> Json:
    """A batch of `(outcome, timestamp)` interactions of the customer."""
    return {"interactions": [interaction(customerId=customer, outcome=o, timestamp=t) for o, t in items]}


def test_values_count_and_rate_in_the_window_ending_at_now(server: Server, admin: str) -> None:
    """The window is (now − windowDays, now]: exactly windowDays ago is out, `now` is in,
    later is out; a rate over no interactions is absent, a count of none is 0."""
    _put(server, admin, "impressions", IMPRESSIONS)
    _put(server, admin, "complaints", COMPLAINT_RATE)
    _put(server, admin, "complaint_share", {**COMPLAINT_RATE, "per": None})
    respond(server, admin, _interactions(
        "cust_1",
        ("impression", "2026-03-13T14:00:00.000Z"),  # exactly 7 days before: out of 7 days, in 30
        ("impression", "2026-03-13T14:00:00.001Z"),
        ("impression", "2026-03-20T14:00:00.000Z"),  # at now: in
        ("impression", "2026-03-20T14:00:00.001Z"),  # after now: never
        ("complaint", "2026-03-01T00:00:00.000Z"),
        ("click", "2026-03-19T00:00:00.000Z"),
    ))  # fmt: skip
    answer = _values(server, admin, "cust_1")
    assert answer == {
        "customerId": "cust_1",
        "now": "2026-03-20T14:00:00.000Z",
        "data": {"impressions": 2, "complaints": 1 / 3, "complaint_share": 1 / 5},
    }
    assert _values(server, admin, "cust_2")["data"] == {"impressions": 0}
    assert _values(server, admin, "cust_1", "2026-03-13T14:00:00.000Z")["data"] == {
        "impressions": 1, "complaints": 1.0, "complaint_share": 0.5
    }  # fmt: skip


def test_another_tenants_interactions_do_not_count(server: Server, make_key: KeyMaker, admin: str) -> None:
    other = make_key(f"t_{uuid.uuid4().hex[:12]}", "admin")
    for key in (admin, other):
        _put(server, key, "impressions", IMPRESSIONS)
    respond(server, other, _interactions("cust_1", ("impression", "2026-03-20T13:00:00Z")))
    assert _values(server, admin, "cust_1")["data"] == {"impressions": 0}
    assert _values(server, other, "cust_1")["data"] == {"impressions": 1}


def test_a_window_reaching_before_year_one_counts_everything(server: Server, admin: str) -> None:
    _put(server, admin, "ever", {**IMPRESSIONS, "windowDays": MAX_DAYS})
    respond(server, admin, _interactions("cust_1", ("impression", "0001-01-01T00:00:00Z")))
    assert _values(server, admin, "cust_1", "0001-01-02T00:00:00Z")["data"] == {"ever": 1}
    assert _values(server, admin, "cust_1", "9999-12-31T23:59:59Z")["data"] == {"ever": 1}


def test_bad_queries_are_400s(server: Server, admin: str) -> None:
    bad_now = server.call("GET", "/api/v1/customers/cust_1/metrics?now=yesterday", key=admin)
    assert _details(bad_now) == [
        ("now", "`yesterday` is not an ISO 8601 timestamp (for example 2026-03-20T14:00:00Z)")
    ]
    long_id = server.call("GET", f"/api/v1/customers/{'c' * 256}/metrics", key=admin)
    assert _details(long_id) == [("customerId", "must be at most 255 characters")]


def test_without_now_the_servers_clock_is_now(server: Server, admin: str) -> None:
    _put(server, admin, "impressions", IMPRESSIONS)
    respond(server, admin, interaction())
    reply = server.call("GET", "/api/v1/customers/cust_1/metrics", key=admin)
    assert reply.json()["data"] == {"impressions": 1}
    assert reply.json()["now"] >= server.call("GET", f"{METRICS}/impressions", key=admin).json()["createdAt"]


def test_values_for_decide_without_a_readable_now_are_none(server: Server, admin: str, tenant: str) -> None:
    """Decide passes its request's `now` as given; the engine reports an unreadable one."""
    _put(server, admin, "impressions", IMPRESSIONS)
    engine = make_engine(server.db_url)
    with transaction(engine) as session:
        assert metrics.values(session, tenant, "cust_1", "not a time") == {}
        assert metrics.values(session, tenant, "cust_1", NOW) == {"impressions": 0}
        assert metrics.values(session, "t_none", "cust_1", NOW) == {}
    engine.dispose()


# -- the property: values equal a plain computation --------------------------------------------
OUTCOMES = ("impression", "click", "complaint")
WINDOWS = (1, 2, 7, 30)
BASE = datetime(2026, 3, 20, 14, tzinfo=UTC)


@dataclass(frozen=True)
class Spec:
    outcome: str
    days: int
    aggregate: str
    per: str | None

    def body(self) -> Json:
        body = {"name": "m", "outcome": self.outcome, "windowDays": self.days, "aggregate": self.aggregate}
        return body if self.per is None else {**body, "per": self.per}

    def expected(self, now: datetime, history: list[tuple[str, datetime]]) -> float | None:
        """Counted plainly: the interactions with `now − days < timestamp ≤ now`."""
        window = [outcome for outcome, at in history if now - timedelta(days=self.days) < at <= now]
        found = window.count(self.outcome)
        if self.aggregate == "count":
            return found
        base = len(window) if self.per is None else window.count(self.per)
        return found / base if base else None


SPECS = st.builds(
    Spec,
    st.sampled_from(OUTCOMES),
    st.sampled_from(WINDOWS),
    st.sampled_from(["count", "rate"]),
    st.none() | st.sampled_from(OUTCOMES),
).map(lambda s: s if s.aggregate == "rate" else Spec(s.outcome, s.days, s.aggregate, None))


@st.composite
def histories(draw: st.DrawFn, now: datetime) -> list[tuple[str, datetime]]:
    """Interactions near the windows' edges (a few milliseconds either side of `now` and of
    `now − days`), and anywhere in the last 40 days or the next one."""
    edges = [now, *(now - timedelta(days=d) for d in WINDOWS)]
    near = st.builds(lambda e, ms: e + timedelta(milliseconds=ms), st.sampled_from(edges), st.integers(-2, 2))
    days = 86_400_000
    anywhere = st.builds(lambda ms: now + timedelta(milliseconds=ms), st.integers(-40 * days, days))
    instants = (near | anywhere).map(lambda at: at.replace(microsecond=at.microsecond // 1000 * 1000))
    return draw(st.lists(st.tuples(st.sampled_from(OUTCOMES), instants), max_size=30))


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    specs=st.lists(SPECS, min_size=1, max_size=5),
    micros=st.integers(0, 2 * 86_400_000_000),
    data=st.data(),
)
def test_values_equal_a_plain_computation(
    server: Server, make_key: KeyMaker, specs: list[Spec], micros: int, data: st.DataObject
) -> None:
    """For random metrics and interactions recorded through `/respond` around the windows'
    edges, at a `now` with microseconds (stored stamps have milliseconds)."""
    key = make_key(f"t_values_{uuid.uuid4().hex[:12]}", "admin")
    now = BASE + timedelta(microseconds=micros)
    history = data.draw(histories(now), label="history")
    for index, spec in enumerate(specs):
        _put(server, key, f"m{index}", spec.body())
    if history:
        respond(server, key, _interactions("cust_1", *((o, _iso(at)) for o, at in history)))
    expected = {
        f"m{index}": value
        for index, spec in enumerate(specs)
        if (value := spec.expected(now, history)) is not None
    }
    assert _values(server, key, "cust_1", _iso(now))["data"] == expected
