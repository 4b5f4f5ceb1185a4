"""Every operation of `/openapi.json`, a request each one accepts, and a tenant's objects to
aim them at: the tables the role, tenant-isolation and schema-fuzz tests walk.

The operations are read from the application's own OpenAPI document when the tests are
collected (so each is its own test), and `test_openapi_fuzz` checks that the running server
documents exactly those. A new endpoint without an entry in `REQUESTS` fails every test
that walks it, with a message naming the table.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Any, Protocol
from urllib.parse import quote, urlencode

import pytest
from sqlalchemy import Engine, select

from cpol.server.app import create_app
from cpol.server.database import make_engine, transaction
from cpol.server.models import Base
from cpol.server.settings import Settings

from .client import POLICIES, Reply, Server

Json = dict[str, Any]
FLOWS = "/api/v1/decision-flows"
CONTACTS = "/api/v1/contacts"
LISTS = f"{CONTACTS}/lists"
SEGMENTS = f"{CONTACTS}/segments"
METRICS = "/api/v1/metrics"
#: A metric's fields: the unsubscribes of the last 30 days.
UNSUBSCRIBES = {"name": "Unsubscribes", "outcome": "unsubscribe", "windowDays": 30, "aggregate": "count"}
METHODS = ("get", "put", "post", "delete", "patch")


@dataclass(frozen=True, order=True)
class Operation:
    method: str
    path: str

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def parameters(self) -> list[str]:
        """The path's `{parameters}`, in order."""
        return re.findall(r"\{(\w+)\}", self.path)


def operations(document: Json) -> list[Operation]:
    """The operations an OpenAPI document describes, sorted."""
    return sorted(
        Operation(method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in METHODS
    )


#: The service's `/openapi.json` (its app's, built without a database), and its operations.
DOCUMENT = create_app(Settings(database_url="sqlite://")).openapi()
DOCUMENTED = operations(DOCUMENT)


class Ids(Protocol):
    """What a request is aimed at: one object of each kind (a customer is the client's id)."""

    @property
    def policy(self) -> str: ...
    @property
    def flow(self) -> str: ...
    @property
    def offer(self) -> str: ...
    @property
    def channel(self) -> str: ...
    @property
    def customer(self) -> str: ...
    @property
    def decision(self) -> str: ...
    @property
    def suppression(self) -> str: ...
    @property
    def contact(self) -> str: ...
    @property
    def tag(self) -> str: ...
    @property
    def contact_list(self) -> str: ...
    @property
    def metric(self) -> str: ...
    @property
    def segment(self) -> str: ...


def _token() -> str:
    return uuid.uuid4().hex[:16]


@dataclass(frozen=True)
class Unknown:
    """Ids of the kinds and shapes the server makes, that name nothing."""

    policy: str = field(default_factory=lambda: f"cp_{_token()}")
    flow: str = field(default_factory=lambda: f"flow_{_token()}")
    offer: str = field(default_factory=lambda: f"off_{_token()}")
    channel: str = field(default_factory=lambda: f"ch_{_token()}")
    customer: str = field(default_factory=lambda: f"cust_{_token()}")
    decision: str = field(default_factory=lambda: f"dec_{_token()}")
    suppression: str = field(default_factory=lambda: f"supp_{_token()}")
    contact: str = field(default_factory=lambda: f"con_{_token()}")
    tag: str = field(default_factory=lambda: f"tag_{_token()}")
    contact_list: str = field(default_factory=lambda: f"lst_{_token()}")
    metric: str = field(default_factory=lambda: f"met_{_token()}")
    segment: str = field(default_factory=lambda: f"seg_{_token()}")


class World:
    """One set of a tenant's objects, each created over HTTP (with an admin key) the first
    time it is asked for. Every name and reason holds `secret`, so another tenant's answers
    can be searched for it; the customer has recorded an unsubscribe, which the policy
    (outcome-based, global) turns into a suppression record."""

    def __init__(self, server: Server, key: str) -> None:
        self.server = server
        self.key = key
        self.secret = _token()

    def _made(self, method: str, path: str, body: object) -> Json:
        reply = self.server.call(method, path, key=self.key, json_body=body)
        assert reply.status in (200, 201), (method, path, reply.body)
        made: Json = reply.json()
        return made

    @cached_property
    def policy(self) -> str:
        policy = {
            "name": f"Unsubscribed {self.secret}",
            "scope": "global",
            "ruleType": "outcome_based",
            "config": {"afterOutcome": "unsubscribe", "suppressForDays": 90},
        }
        return str(self._made("POST", POLICIES, policy)["id"])

    @cached_property
    def flow(self) -> str:
        uses = {"stages": {"filter": {"contactPolicyIds": [self.policy]}}}
        flow = self._made("POST", FLOWS, {"name": f"Flow {self.secret}", "draftConfig": uses})
        return str(flow["id"])

    @cached_property
    def offer(self) -> str:
        offer = f"off_{_token()}"
        self._made("PUT", f"/api/v1/offers/{offer}", {"name": f"Offer {self.secret}", "categoryId": "cat_a"})
        return offer

    @cached_property
    def channel(self) -> str:
        channel = f"ch_{_token()}"
        self._made("PUT", f"/api/v1/channels/{channel}", {"name": f"Channel {self.secret}", "type": "email"})
        return channel

    @cached_property
    def customer(self) -> str:
        customer, policy = f"cust_{_token()}", self.policy
        interaction = {"customerId": customer, "offerId": self.offer, "channelId": self.channel}
        answer = self._made("POST", "/api/v1/respond", {**interaction, "outcome": "unsubscribe"})
        assert [s["policyId"] for s in answer["suppressions"]] == [policy], answer
        return customer

    @cached_property
    def decision(self) -> str:
        return str(self._made("POST", "/api/v1/decide", decide_body(self))["decisionId"])

    @cached_property
    def suppression(self) -> str:
        record = {"scope": "offer", "scopeId": self.offer, "reason": f"asked {self.secret}"}
        return str(self._made("POST", f"/api/v1/customers/{self.customer}/suppressions", record)["id"])

    @cached_property
    def contact(self) -> str:
        contact = {"email": f"{self.secret}@example.com", "firstName": self.secret, "tags": [self.tag]}
        return str(self._made("POST", CONTACTS, contact)["id"])

    @cached_property
    def tag(self) -> str:
        return f"tag_{self.secret}"

    @cached_property
    def contact_list(self) -> str:
        """A list with the contact as its member."""
        made = self._made("POST", LISTS, {"name": f"List {self.secret}", "description": self.secret})
        self._made("POST", f"{LISTS}/{made['id']}/members", {"contactIds": [self.contact]})
        return str(made["id"])

    @cached_property
    def metric(self) -> str:
        """Its id is the client's: it holds the secret, as names do."""
        metric = f"met_{self.secret}"
        self._made("PUT", f"{METRICS}/{metric}", {**UNSUBSCRIBES, "name": f"Metric {self.secret}"})
        return metric

    @cached_property
    def segment(self) -> str:
        """A segment whose member is the contact (its tag)."""
        rules = {"all": [{"field": "tags", "op": "contains", "value": self.tag}]}
        return str(self._made("POST", SEGMENTS, {"name": f"Segment {self.secret}", "rules": rules})["id"])

    def seeded(self) -> World:
        """This world with every object made."""
        for name in KINDS:
            getattr(self, name)
        return self

    def server_ids(self) -> list[str]:
        """The ids the server made for this world's objects (another tenant never sees them)."""
        return [
            self.policy,
            self.flow,
            self.decision,
            self.suppression,
            self.contact,
            self.contact_list,
            self.segment,
        ]


#: The kinds of object an `Ids` names.
KINDS = (
    "policy", "flow", "offer", "channel", "customer", "decision", "suppression", "contact", "tag",
    "contact_list", "metric", "segment",
)  # fmt: skip
#: Which object a path parameter names (`item_id`: the catalogue collection before it).
PATH_IDS = {
    "policy_id": "policy",
    "flow_id": "flow",
    "decision_id": "decision",
    "customerId": "customer",
    "recordId": "suppression",
    "contact_id": "contact",
    "tag": "tag",
    "list_id": "contact_list",
    "metric_id": "metric",
    "segment_id": "segment",
}


def object_of(operation: Operation, parameter: str) -> str:
    """The kind of object `operation`'s path `parameter` names."""
    if parameter == "item_id":  # offers and channels share their routes' code
        return operation.path.split("/{item_id}")[0].rsplit("/", 1)[1].removesuffix("s")
    if parameter not in PATH_IDS:
        pytest.fail(f"{operation}: no kind of object for the path parameter {parameter}; add it to PATH_IDS")
    return PATH_IDS[parameter]


def decide_body(ids: Ids) -> Json:
    return {"customerId": ids.customer, "candidates": [{"offerId": ids.offer, "channelId": ids.channel}]}


def _fresh_policy(_ids: Ids) -> Json:
    return {
        "name": f"Fresh {_token()}",
        "scope": "channel",
        "scopeId": "ch_email",
        "ruleType": "frequency_cap",
        "config": {"maxPerWeek": 3},
    }


@dataclass(frozen=True)
class Request:
    """What an operation is sent, beyond its path: a JSON body, query parameters."""

    body: Callable[[Ids], object] | None = None
    query: Callable[[Ids], dict[str, str]] | None = None


#: A request every operation answers with a success when the key may call it: one entry per
#: operation of `/openapi.json` (`test_roles` and `test_tenant_isolation` fail without one).
REQUESTS: dict[str, Request] = {
    "GET /healthz": Request(),
    f"GET {POLICIES}": Request(),
    f"POST {POLICIES}": Request(body=_fresh_policy),
    f"PUT {POLICIES}": Request(body=lambda ids: {"id": ids.policy, "description": "changed"}),
    f"DELETE {POLICIES}": Request(query=lambda ids: {"id": ids.policy}),
    f"GET {POLICIES}/export": Request(),
    f"POST {POLICIES}/import": Request(body=lambda ids: [_fresh_policy(ids)]),
    f"POST {POLICIES}/impact-preview": Request(
        body=lambda ids: {
            "policyType": "frequency_cap",
            "scope": "offer",
            "scopeId": ids.offer,
            "config": {"maxFrequency": 1, "periodDays": 7, "outcomeType": "impression"},
            "sampleSize": 100,
        }
    ),
    f"GET {POLICIES}/{{policy_id}}": Request(),
    f"PUT {POLICIES}/{{policy_id}}": Request(body=lambda _: {"description": "changed"}),
    f"GET {POLICIES}/{{policy_id}}/history": Request(),
    "GET /api/v1/decision-flows": Request(),
    "POST /api/v1/decision-flows": Request(
        body=lambda ids: {
            "name": f"Fresh {_token()}",
            "draftConfig": {"stages": {"filter": {"contactPolicyIds": [ids.policy]}}},
        }
    ),
    "GET /api/v1/decision-flows/{flow_id}": Request(),
    "PUT /api/v1/decision-flows/{flow_id}": Request(body=lambda _: {"name": f"Renamed {_token()}"}),
    "DELETE /api/v1/decision-flows/{flow_id}": Request(),
    "GET /api/v1/offers": Request(),
    "GET /api/v1/offers/{item_id}": Request(),
    "PUT /api/v1/offers/{item_id}": Request(body=lambda _: {"name": "Renamed"}),
    "DELETE /api/v1/offers/{item_id}": Request(),
    "GET /api/v1/channels": Request(),
    "GET /api/v1/channels/{item_id}": Request(),
    "PUT /api/v1/channels/{item_id}": Request(body=lambda _: {"name": "Renamed", "type": "sms"}),
    "DELETE /api/v1/channels/{item_id}": Request(),
    "POST /api/v1/decide": Request(body=decide_body),
    "GET /api/v1/decisions/{decision_id}": Request(),
    "GET /api/v1/customers/{customerId}/decisions": Request(),
    "POST /api/v1/respond": Request(
        body=lambda ids: {
            "customerId": ids.customer,
            "offerId": ids.offer,
            "channelId": ids.channel,
            "outcome": "unsubscribe",
        }
    ),
    "GET /api/v1/customers/{customerId}/suppressions": Request(),
    "POST /api/v1/customers/{customerId}/suppressions": Request(
        body=lambda ids: {"scope": "offer", "scopeId": ids.offer, "reason": "asked"}
    ),
    "DELETE /api/v1/customers/{customerId}/suppressions/{recordId}": Request(),
    f"POST {CONTACTS}": Request(body=lambda _: {"email": f"{_token()}@example.com"}),
    f"GET {CONTACTS}": Request(),
    f"GET {CONTACTS}/optouts": Request(),
    f"GET {CONTACTS}/{{contact_id}}": Request(),
    f"PUT {CONTACTS}/{{contact_id}}": Request(body=lambda _: {"lifecycleStage": "customer"}),
    f"DELETE {CONTACTS}/{{contact_id}}": Request(),
    f"POST {CONTACTS}/{{contact_id}}/tags": Request(body=lambda _: {"tags": ["vip"]}),
    f"DELETE {CONTACTS}/{{contact_id}}/tags/{{tag}}": Request(),
    f"PUT {CONTACTS}/{{contact_id}}/preferences": Request(body=lambda _: {"sms": "opted_out"}),
    f"GET {CONTACTS}/{{contact_id}}/activity": Request(),
    f"GET {LISTS}": Request(),
    f"POST {LISTS}": Request(body=lambda _: {"name": f"Fresh {_token()}", "kind": "dnc"}),
    f"GET {LISTS}/{{list_id}}": Request(),
    f"PUT {LISTS}/{{list_id}}": Request(body=lambda _: {"description": "changed"}),
    f"DELETE {LISTS}/{{list_id}}": Request(),
    f"GET {LISTS}/{{list_id}}/members": Request(),
    f"POST {LISTS}/{{list_id}}/members": Request(body=lambda ids: {"contactIds": [ids.contact]}),
    f"DELETE {LISTS}/{{list_id}}/members/{{contact_id}}": Request(),
    f"GET {METRICS}": Request(),
    f"GET {METRICS}/{{metric_id}}": Request(),
    f"PUT {METRICS}/{{metric_id}}": Request(
        body=lambda _: {**UNSUBSCRIBES, "aggregate": "rate", "per": "impression"}
    ),
    f"DELETE {METRICS}/{{metric_id}}": Request(),
    "GET /api/v1/customers/{customerId}/metrics": Request(query=lambda _: {"now": "2026-03-20T14:00:00Z"}),
    f"GET {SEGMENTS}": Request(),
    f"POST {SEGMENTS}": Request(
        body=lambda _: {
            "name": f"Fresh {_token()}",
            "rules": {"any": [{"field": "tags", "op": "exists", "value": True}]},
        }
    ),
    f"GET {SEGMENTS}/{{segment_id}}": Request(),
    f"DELETE {SEGMENTS}/{{segment_id}}": Request(),
    f"GET {SEGMENTS}/{{segment_id}}/members": Request(),
}


def request_for(operation: Operation) -> Request:
    """`operation`'s entry of `REQUESTS`; a test fails, saying so, when there is none."""
    if str(operation) not in REQUESTS:
        pytest.fail(f"{operation} has no request in tests/server/operations.py REQUESTS: add one")
    return REQUESTS[str(operation)]


@dataclass(frozen=True)
class Prepared:
    """An operation's request, aimed at objects that exist by now."""

    method: str
    path: str
    body: object

    def send(self, server: Server, key: str | None) -> Reply:
        return server.call(self.method, self.path, key=key, json_body=self.body)


def prepare(operation: Operation, ids: Ids) -> Prepared:
    """`operation`'s request of `REQUESTS`, aimed at `ids`' objects (a `World` makes them now)."""
    request = request_for(operation)
    path = operation.path
    for parameter in operation.parameters:
        value = getattr(ids, object_of(operation, parameter))
        path = path.replace(f"{{{parameter}}}", quote(value, safe=""))
    if request.query:
        path += "?" + urlencode(request.query(ids))
    return Prepared(operation.method, path, request.body(ids) if request.body else None)


@cache
def _engine(url: str) -> Engine:
    return make_engine(url)


def snapshot(server: Server, tenant: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row the tenant owns, in every table (keys aside), read from the database."""
    rows = {}
    with transaction(_engine(server.db_url)) as session:
        for table in Base.metadata.sorted_tables:
            if "tenant_id" in table.c and table.name != "api_keys":
                found = session.execute(select(table).where(table.c.tenant_id == tenant))
                rows[table.name] = sorted((tuple(row) for row in found), key=repr)
    return rows
