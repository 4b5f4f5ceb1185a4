"""Recording interactions and reading suppression records over HTTP, for the respond and
suppression tests; and the stored rows, read straight from the server's database."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from cpol.server.database import make_engine, transaction
from cpol.server.models import Interaction

from .client import POLICIES, Reply, Server

RESPOND = "/api/v1/respond"
Json = dict[str, Any]


def records_path(customer: str) -> str:
    return f"/api/v1/customers/{customer}/suppressions"


def interaction(**fields: Any) -> Json:
    """An interaction body: an email impression of off_1 by cust_1 unless `fields` say otherwise."""
    base = {"customerId": "cust_1", "offerId": "off_1", "channelId": "ch_email", "outcome": "impression"}
    return {**base, **fields}


def as_decided(answered: Json) -> Json:
    """An interaction as respond answers it, without what is not part of the §2 interaction."""
    return {k: v for k, v in answered.items() if k not in ("customerId", "idempotencyKey", "createdAt")}


def respond(server: Server, key: str, body: object) -> Json:
    """Record `body`; it must answer 201."""
    reply = server.call("POST", RESPOND, key=key, json_body=body)
    assert reply.status == 201, reply.body
    answer: Json = reply.json()
    return answer


def create_policy(server: Server, key: str, **fields: Any) -> Json:
    reply = server.call("POST", POLICIES, key=key, json_body=fields)
    assert reply.status == 201, reply.body
    policy: Json = reply.json()
    return policy


def records(server: Server, key: str, customer: str = "cust_1", query: str = "") -> list[Json]:
    reply = server.call("GET", records_path(customer) + query, key=key)
    assert reply.status == 200, reply.body
    data: list[Json] = reply.json()["data"]
    return data


def stored_documents(server: Server, tenant: str) -> list[Json]:
    """The tenant's `interactions` rows as decide reads them: (timestamp, seq) order, each
    `document` with the row's customer and key beside it."""
    engine = make_engine(server.db_url)
    try:
        with transaction(engine) as session:
            rows = session.scalars(
                select(Interaction)
                .where(Interaction.tenant_id == tenant)
                .order_by(Interaction.timestamp, Interaction.seq)
            )
            return [
                {"document": json.loads(r.document), "customer": r.customer_id, "key": r.idempotency_key}
                for r in rows
            ]
    finally:
        engine.dispose()


def problems(reply: Reply) -> dict[str | None, str]:
    """A 400's details as {path: message}."""
    assert reply.status == 400, reply.body
    return {d["path"]: d["message"] for d in reply.error["details"]}
