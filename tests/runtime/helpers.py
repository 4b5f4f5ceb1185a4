"""Small builders so the runtime tests read like the SPEC examples.

Every test runs the engine in both modes through `decide`, which also checks SPEC §2's
promise that fast mode agrees with explain mode on `allowed`, the first `blockedBy`
entry and `eligibleAt`; the explain-mode decisions (JSON, SPEC §2) are returned.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import cpol
from cpol.runtime import Engine

#: The reference instant of most tests: a Friday, 14:00 UTC.
NOW_DT = datetime(2026, 3, 20, 14, 0, 0, tzinfo=UTC)
NOW = "2026-03-20T14:00:00Z"

SECOND = timedelta(seconds=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def iso(moment: datetime) -> str:
    """An instant as `…Z`, keeping microseconds when it has them."""
    moment = moment.astimezone(UTC)
    if moment.microsecond:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def ago(delta: timedelta = timedelta(0), *, base: datetime = NOW_DT, **units: float) -> str:
    """`base - delta - timedelta(**units)` as a timestamp."""
    return iso(base - delta - timedelta(**units))


def later(delta: timedelta = timedelta(0), *, base: datetime = NOW_DT, **units: float) -> str:
    """`base + delta + timedelta(**units)` as a timestamp."""
    return iso(base + delta + timedelta(**units))


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# -- policies --------------------------------------------------------------------------
def policy(
    rule_type: str,
    config: dict[str, Any] | None = None,
    *,
    name: str | None = None,
    scope: str = "global",
    scope_id: str | None = None,
    scopes: Sequence[tuple[str, str | None]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A policy JSON object; global scope unless told otherwise."""
    out: dict[str, Any] = {"name": name or rule_type, "ruleType": rule_type, "config": dict(config or {})}
    if scopes is not None:
        out["scopes"] = [_scope_ref(s, i) for s, i in scopes]
    else:
        out["scope"] = scope
        if scope_id is not None:
            out["scopeId"] = scope_id
    out.update(extra)
    return out


def _scope_ref(scope: str, scope_id: str | None) -> dict[str, Any]:
    return {"scope": scope} if scope_id is None else {"scope": scope, "scopeId": scope_id}


# -- request pieces --------------------------------------------------------------------
def interaction(
    timestamp: str,
    outcome: str = "impression",
    *,
    offer: str = "off_1",
    channel: str | None = "ch_email",
    creative: str | None = "cr_1",
    category: str | None = "cat_cards",
    sub: str | None = "sub_gold",
    offer_category: str | None = "credit cards",
    campaign: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    out: dict[str, Any] = {"timestamp": timestamp, "outcome": outcome, "offerId": offer}
    for key, value in (
        ("channelId", channel),
        ("creativeId", creative),
        ("categoryId", category),
        ("subCategoryId", sub),
        ("offerCategory", offer_category),
        ("campaignId", campaign),
    ):
        if value is not None:
            out[key] = value
    out.update(extra)
    return out


def impression(timestamp: str, **fields: Any) -> dict[str, Any]:
    return interaction(timestamp, "impression", **fields)


def candidate(
    offer: str = "off_1",
    *,
    channel: str | None = "ch_email",
    channel_type: str | None = "email",
    creative: str | None = "cr_1",
    category: str | None = "cat_cards",
    sub: str | None = "sub_gold",
    offer_category: str | None = "credit cards",
    mandatory: bool | None = None,
    **extra: Any,
) -> dict[str, Any]:
    out: dict[str, Any] = {"offerId": offer}
    for key, value in (
        ("channelId", channel),
        ("channelType", channel_type),
        ("creativeId", creative),
        ("categoryId", category),
        ("subCategoryId", sub),
        ("offerCategory", offer_category),
        ("isMandatory", mandatory),
    ):
        if value is not None:
            out[key] = value
    out.update(extra)
    return out


def request(
    candidates: Iterable[dict[str, Any]] | None = None,
    interactions: Iterable[dict[str, Any]] = (),
    *,
    now: str = NOW,
    customer: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "now": now,
        "customer": {"id": "cust_1", **(customer or {})},
        "interactions": list(interactions),
        "candidates": list(candidates) if candidates is not None else [candidate()],
    }
    out.update(extra)
    return out


# -- running the engine ----------------------------------------------------------------
def engine(policies: Sequence[dict[str, Any]]) -> Engine:
    return Engine(cpol.load_json(list(policies)))


def _head(decision: dict[str, Any]) -> tuple[Any, ...]:
    first = decision["blockedBy"][0] if decision["blockedBy"] else None
    key = (first["policyId"], first["policyName"], first["ruleType"]) if first else None
    return decision["allowed"], key, decision["eligibleAt"]


def decide(policies: Sequence[dict[str, Any]], req: dict[str, Any]) -> list[dict[str, Any]]:
    """Explain-mode decisions as JSON, after checking fast mode agrees with them."""
    eng = engine(policies)
    explained = [d.to_json() for d in eng.decide_json(req, explain=True)]
    fast = [d.to_json() for d in eng.decide_json(req, explain=False)]
    assert [_head(d) for d in fast] == [_head(d) for d in explained], "fast mode disagrees with explain"
    return explained


def decide_one(
    policies: Sequence[dict[str, Any]], req: dict[str, Any] | None = None, **kw: Any
) -> dict[str, Any]:
    """The decision on the first candidate of `req` (or of `request(**kw)`)."""
    return decide(policies, req if req is not None else request(**kw))[0]


def entry(decision: dict[str, Any], name: str) -> dict[str, Any]:
    """The trace entry of the policy (or gate) with this name."""
    found: list[dict[str, Any]] = [e for e in decision["trace"] if e["policyName"] == name]
    assert len(found) == 1, f"{name!r} appears {len(found)} times in the trace"
    return found[0]


def result(decision: dict[str, Any], name: str) -> str:
    return str(entry(decision, name)["result"])


def blocked_by(decision: dict[str, Any]) -> list[str | None]:
    """ruleType of every blockedBy entry, in order."""
    return [b["ruleType"] for b in decision["blockedBy"]]


def block_of(decision: dict[str, Any], name: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [b for b in decision["blockedBy"] if b["policyName"] == name]
    assert len(found) == 1, f"{name!r} is not in blockedBy once: {decision['blockedBy']}"
    return found[0]


UNCHECKED: Any = object()
"""Sentinel: leave eligibleAt unchecked."""


def assert_blocks(decision: dict[str, Any], name: str, eligible_at: Any = UNCHECKED) -> dict[str, Any]:
    """The named policy blocks (and the decision is not allowed); its blockedBy entry."""
    assert decision["allowed"] is False, decision
    assert result(decision, name) == "block", entry(decision, name)
    found = block_of(decision, name)
    if eligible_at is not UNCHECKED:
        assert found["eligibleAt"] == eligible_at, found
        assert entry(decision, name)["eligibleAt"] == eligible_at
    return found


def assert_passes(decision: dict[str, Any], name: str) -> dict[str, Any]:
    """The named policy was evaluated and passed; its trace entry."""
    found = entry(decision, name)
    assert found["result"] == "pass", found
    assert all(b["policyName"] != name for b in decision["blockedBy"])
    return found
