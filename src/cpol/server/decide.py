"""`POST /decide` (SPEC §5.6): the §2 request assembled from what is stored, decided by the
cached engine of the tenant's policy set, and logged so it can be re-explained exactly.

Reading is one read transaction (the policy set's signature, the customer's interactions,
manual suppression records and the catalogue); the engine runs outside any transaction;
the log entry is one small write. The request is assembled as JSON text: stored
interactions are already the §2 JSON they are read as, so they are joined, never decoded
and encoded again.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import Engine, bindparam, or_, select
from sqlalchemy.orm import Session

from cpol.diagnostics import Diagnostics
from cpol.runtime import parse_request
from cpol.runtime.clock import parse_instant
from cpol.runtime.render import decisions_json
from cpol.runtime.request import with_history
from cpol.server import catalogue, clock, flows, profiles, suppressions
from cpol.server.database import fast_rows, transaction
from cpol.server.decision_log import LogWriter, packed
from cpol.server.errors import ApiError, ErrorDetail, diagnostic_details
from cpol.server.models import Interaction, SuppressionRecord
from cpol.server.policy_sets import LoadedSet, PolicySets

Json = dict[str, Any]
#: The body's fields that are parts of the §2 request, in the request's order.
REQUEST_PARTS = ("now", "customer", "interactions", "budgets", "session", "candidates")
BODY_FIELDS = frozenset({"customerId", "explain", "flowId", *REQUEST_PARTS})
BODY_KINDS: dict[str, tuple[type, str]] = {
    "customerId": (str, "a string"),
    "explain": (bool, "true or false"),
    "flowId": (str, "a string"),
    "now": (str, "a timestamp string"),
    "customer": (dict, "an object"),
    "interactions": (list, "an array of objects"),
    "budgets": (dict, "an object"),
    "session": (dict, "an object"),
    "candidates": (list, "an array of objects"),
}


@dataclass(frozen=True)
class Asked:
    """A checked decide body: whose, what, and the §2 parts it gives."""

    customer_id: str
    explain: bool
    flow_id: str | None
    parts: Json


def _shape_problems(body: Json) -> list[ErrorDetail]:
    problems = [
        ErrorDetail(path=key, message="is not a field of a decide request")
        for key in body
        if key not in BODY_FIELDS
    ]
    for key, (kind, words) in BODY_KINDS.items():
        value = body.get(key)
        if value is not None and not isinstance(value, kind):
            problems.append(ErrorDetail(path=key, message=f"must be {words}"))
        elif isinstance(value, list):
            problems += [
                ErrorDetail(path=f"{key}[{i}]", message="must be an object")
                for i, item in enumerate(value)
                if not isinstance(item, dict)
            ]
    problems += [
        ErrorDetail(path=key, message="is required")
        for key in ("customerId", "candidates")
        if body.get(key) is None
    ]
    if isinstance(customer := body.get("customerId"), str):
        try:
            suppressions.customer_id(customer)  # the rule of a recorded customer id
        except ApiError as problem:
            problems += problem.details
    return problems


def read_asked(value: object) -> Asked:
    """The body, or a 400 listing every problem of its shape at its path (the §2 parts'
    own fields are checked by the engine's reader, with the same paths)."""
    if not isinstance(value, dict):
        raise ApiError(400, "the body must be one JSON object")
    problems = _shape_problems(value)
    customer = value.get("customer") or {}
    if isinstance(customer, dict) and customer.get("id", value.get("customerId")) != value.get("customerId"):
        problems.append(ErrorDetail(path="customer.id", message="must be the customerId, or left out"))
    if problems:
        raise ApiError(400, "the decide request is invalid", problems)
    parts = {key: value[key] for key in REQUEST_PARTS if value.get(key) is not None}
    parts["customer"] = {**customer, "id": value["customerId"]}
    return Asked(value["customerId"], bool(value.get("explain", False)), value.get("flowId"), parts)


def _utc_text(given: object) -> str | None:
    """`now` as stored timestamps are written, to compare with them as text: read by the
    engine's own reader (None when it does not read: the engine then reports it)."""
    try:
        return clock.stamp(parse_instant(str(given)))
    except ValueError:
        return None


#: Built once: a statement's construction costs more than its run on SQLite.
HISTORY = (
    select(Interaction.seq, Interaction.document)
    .where(Interaction.tenant_id == bindparam("tenant"), Interaction.customer_id == bindparam("customer"))
    .order_by(Interaction.timestamp, Interaction.seq)
)
MANUAL_FIELDS = {
    "id": SuppressionRecord.id,
    "scope": SuppressionRecord.scope,
    "scopeId": SuppressionRecord.scope_id,
    "policyType": SuppressionRecord.policy_type,
    "reason": SuppressionRecord.reason,
    "expiresAt": SuppressionRecord.expires_at,
}
MANUAL = (
    select(*MANUAL_FIELDS.values())
    .where(
        SuppressionRecord.tenant_id == bindparam("tenant"),
        SuppressionRecord.customer_id == bindparam("customer"),
        SuppressionRecord.policy_id.is_(None),
        or_(SuppressionRecord.expires_at.is_(None), SuppressionRecord.expires_at > bindparam("now")),
    )
    .order_by(SuppressionRecord.created_at, SuppressionRecord.id)
)


def _history(session: Session, tenant_id: str, customer_id: str) -> tuple[list[int], list[str]]:
    """The customer's stored interactions as JSON text, in time order, with their `seq`s
    (on the driver's cursor: `fast_rows`)."""
    found = fast_rows(session, HISTORY, {"tenant": tenant_id, "customer": customer_id})
    return [seq for seq, _ in found], [document for _, document in found]


def manual_suppressions(session: Session, tenant_id: str, customer_id: str, now: str | None) -> list[Json]:
    """The customer's manual records not yet expired at `now` (all, when `now` is unread:
    every stamp sorts after "")."""
    rows = fast_rows(session, MANUAL, {"tenant": tenant_id, "customer": customer_id, "now": now or ""})
    return [dict(zip(MANUAL_FIELDS, row, strict=True)) for row in rows]


def _request_text(parts: Json) -> str:
    """The §2 request of the body's parts (the stored history is read apart)."""
    return json.dumps(
        {key: parts[key] for key in (*REQUEST_PARTS, "suppressions") if key in parts}, ensure_ascii=False
    )


@dataclass(frozen=True)
class Assembled:
    """What decide read: the request's parts as logged, the stored history, the policy set,
    and each `customer` field's value and source (for an explained answer)."""

    parts: Json
    seqs: list[int]
    history: list[str]
    policy_set: LoadedSet
    customer: Json


def assemble(service: Service, tenant_id: str, asked: Asked) -> Assembled:
    """The request's parts from what is stored: the customer's stored profile under the
    body's `customer` fields, its history and manual records, the completed candidates."""
    parts = dict(asked.parts)
    parts.setdefault("now", clock.now())
    with transaction(service.engine) as session:
        only = tuple(flows.policy_ids(session, tenant_id, asked.flow_id)) if asked.flow_id else None
        policy_set = service.sets.current(session, tenant_id, only)
        seqs, history = _history(session, tenant_id, asked.customer_id)
        known = profiles.stored(session, tenant_id, asked.customer_id, str(parts["now"]))
        parts["customer"], customer = known.under(parts["customer"])
        parts["suppressions"] = manual_suppressions(
            session, tenant_id, asked.customer_id, _utc_text(parts["now"])
        )
        parts["candidates"] = catalogue.complete(session, tenant_id, parts["candidates"], channel_type=True)
        if "interactions" in parts:
            parts["interactions"] = catalogue.complete(
                session, tenant_id, parts["interactions"], channel_type=False
            )
    if not parts["suppressions"]:
        del parts["suppressions"]
    return Assembled(parts, seqs, history, policy_set, customer)


def parsed_request(assembled: Assembled) -> tuple[Any, Any]:
    """The request read by the engine's reader, its problems at the paths of the body; the
    stored history read apart and put first (each interaction was checked when it was
    recorded)."""
    try:
        request, raw = parse_request(_request_text(assembled.parts))
    except Diagnostics as problems:
        raise ApiError(400, "the decide request is invalid", diagnostic_details(problems.items)) from None
    try:
        return with_history(request, assembled.history), raw
    except (msgspec.MsgspecError, ValueError):
        raise ApiError(400, "the stored history and the given interactions cannot be read together") from None


def _deltas(seqs: list[int]) -> str:
    return json.dumps([b - a for a, b in zip([0, *seqs], seqs, strict=False)], separators=(",", ":"))


def log_entry(tenant_id: str, asked: Asked, assembled: Assembled, decided: bytes) -> Json:
    """The decision-log row of a decision (its id is `entry["id"]`)."""
    return {
        "id": f"dec_{secrets.token_hex(8)}",
        "tenant_id": tenant_id,
        "customer_id": asked.customer_id,
        "at": clock.now(),
        "policy_set": assembled.policy_set.digest,
        "history": _deltas(assembled.seqs),
        "request": msgspec.json.encode(assembled.parts).decode(),
        "decisions": packed(decided),
    }


@dataclass(frozen=True)
class Service:
    """What decide keeps per worker: the database, the policy sets, the log's writer."""

    engine: Engine
    sets: PolicySets
    log: LogWriter


@dataclass(frozen=True)
class Decided:
    """A decision ready to answer once its log entry is committed."""

    answer: bytes
    entry: Json
    policy_set: LoadedSet


def decided(service: Service, tenant_id: str, body: object) -> Decided:
    """Everything of a decide but the log's commit. The decisions are encoded once, for the
    log and the answer (msgspec writes a non-finite number as null, as `render_json` does;
    the request reader refuses them anyway)."""
    asked = read_asked(body)
    assembled = assemble(service, tenant_id, asked)
    request, raw = parsed_request(assembled)
    decisions = msgspec.json.encode(
        decisions_json(assembled.policy_set.engine.decide(request, explain=asked.explain, raw=raw))
    )
    entry = log_entry(tenant_id, asked, assembled, decisions)
    answer = {
        "decisionId": entry["id"],
        "customerId": asked.customer_id,
        "now": assembled.parts["now"],
        "policySetVersion": assembled.policy_set.digest,
        "decisions": msgspec.Raw(decisions),
    }
    if asked.explain:
        answer["customer"] = assembled.customer
    return Decided(msgspec.json.encode(answer), entry, assembled.policy_set)


async def decide(service: Service, tenant_id: str, body: object) -> bytes:
    """The answer of `POST /decide`, once logged. Run on the event loop, not in a thread:
    the work is CPU-bound (threads would only contend for the GIL, which costs a busy
    server a third of its CPU), and the wait for the log's commit is awaited."""
    done = decided(service, tenant_id, body)
    await service.log.written(tenant_id, done.policy_set, done.entry)
    return done.answer
