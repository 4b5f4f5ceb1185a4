"""Customers' suppression records (SPEC §5.6): made by policies as interactions are
recorded, or by hand; listed with whether each is active.

A record made by a policy is what that policy already decides from the history, made
visible: which interactions trigger it and which scope it covers are asked of the runtime's
own compiled policy (`CompiledPolicy.matched_scopes`, `outcomes_read`), with the interaction
standing in for a candidate, so a record never names a scope the engine would not block.
Every trigger is recorded, even one whose record has already expired when it arrives late:
the records of a history are then the same whatever order it arrived in.

Records are keyed (customer, policy, scope, scopeId). A batch reads the records it touches
for update, in key order, changes them in memory and inserts the new ones in key order; a
concurrent batch that inserts the same key first makes this one fail on the unique
constraint and run again (see `respond`).
"""

from __future__ import annotations

import json
import math
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from cpol.runtime.clock import DAY, HOUR, LAST_INSTANT, parse_instant
from cpol.runtime.engine import CompiledPolicy
from cpol.runtime.history import SCOPE_FIELDS
from cpol.runtime.request import Candidate
from cpol.runtime.rules import outcome_days, outcomes_read
from cpol.runtime.verdict import number_words
from cpol.server.clock import now, stamp
from cpol.server.database import transaction
from cpol.server.errors import ApiError, ErrorDetail, not_found
from cpol.server.fields import parsed
from cpol.server.models import ContactPolicy, Offer, SuppressionRecord
from cpol.server.policy_sets import PolicySets
from cpol.server.schemas import Id, SuppressionFields, Written

SUPPRESSION_ID = re.compile(r"supp_[0-9a-f]{16}\Z", re.ASCII)
#: The rule types whose blocks a record can stand for: a period after one interaction.
RECORDING_RULES = ("cooldown", "outcome_based")
GLOBAL_ID = "all"
MANUAL = "manual"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MILLISECOND = timedelta(milliseconds=1)
#: (customer, policy, scope, scopeId): one record of a policy.
Key = tuple[str, str, str, str]
Json = dict[str, Any]


def new_id() -> str:
    return f"supp_{secrets.token_hex(8)}"  # matches SUPPRESSION_ID


# -- the suppression engine -------------------------------------------------------------
@dataclass(frozen=True)
class Trigger:
    """What one interaction asks of one record: its policy and scope, and until when."""

    policy_id: str
    rule_type: str
    scope: str
    scope_id: str
    expires_at: str | None  # None: beyond the calendar, so never
    reason: str


def expiry(timestamp: str, seconds: float) -> str | None:
    """`seconds` after a stored timestamp, rounded up to the millisecond (a record is active
    exactly while the engine's `now - timestamp < seconds` holds at any millisecond `now`);
    None when that instant is beyond the last one the engine can write (it never lifts)."""
    if not seconds < LAST_INSTANT * 2:  # longer than the calendar (or infinite)
        return None
    millis = (parse_instant(timestamp) - EPOCH) // MILLISECOND + math.ceil(Fraction(seconds) * 1000)
    if millis > LAST_INSTANT * 1000:
        return None
    return stamp(EPOCH + millis * MILLISECOND)


@dataclass(frozen=True)
class _Maker:
    """A live, active policy that makes records: what triggers it and for how long."""

    compiled: CompiledPolicy
    outcomes: frozenset[str]
    seconds: float
    words: str  # "Cooldown 48h", "Suppressed 90d"

    @classmethod
    def of(cls, compiled: CompiledPolicy) -> _Maker:
        policy = compiled.policy
        config: Any = policy.config
        if policy.ruleType == "cooldown":
            hours = config.cooldownHours
            seconds, words = hours * HOUR, f"Cooldown {number_words(hours)}h"
        else:
            days = outcome_days(config)
            seconds, words = days * DAY, f"Suppressed {number_words(days)}d"
        return cls(compiled, frozenset(outcomes_read(policy)), seconds, words)

    def scopes(self, interaction: Json) -> list[tuple[str, str]]:
        """The (scope, scopeId) of each record the interaction triggers: with `per`, its value
        of that dimension (none without one: nothing to count by); else each policy scope
        it is in, as the engine matches a candidate (global: scopeId "all")."""
        matched = self.compiled.matched_scopes(_as_candidate(interaction))
        if not matched:
            return []
        config: Any = self.compiled.policy.config
        per = config.per
        if per is not None:
            value = interaction.get(SCOPE_FIELDS[per] or "")
            return [(per, value)] if isinstance(value, str) else []
        found = ((s.scope, GLOBAL_ID if SCOPE_FIELDS[s.scope] is None else str(s.scopeId)) for s in matched)
        return list(dict.fromkeys(found))

    def triggers(self, interaction: Json) -> list[Trigger]:
        outcome = interaction["outcome"]
        if outcome not in self.outcomes:
            return []
        targets = self.scopes(interaction)
        if not targets:
            return []
        policy = self.compiled.policy
        expires = expiry(interaction["timestamp"], self.seconds)
        reason = f"{self.words} after {outcome}"
        return [Trigger(str(policy.id), policy.ruleType, s, i, expires, reason) for s, i in targets]


def _as_candidate(interaction: Json) -> Candidate:
    """The interaction as a candidate with its fields: the policy scopes it is in are those
    whose candidates' counting it is part of."""
    get = interaction.get
    return Candidate(
        offerId=interaction["offerId"],
        channelId=get("channelId"),
        creativeId=get("creativeId"),
        categoryId=get("categoryId"),
        subCategoryId=get("subCategoryId"),
        offerCategory=get("offerCategory"),
    )


def makers(session: Session, tenant: str, sets: PolicySets) -> list[_Maker]:
    """The tenant's live, active policies that make records, in evaluation order (from the
    engine decide caches for the live set, read again only when a policy changed)."""
    engine = sets.current(session, tenant).engine
    return [_Maker.of(c) for c in engine.active if c.policy.ruleType in RECORDING_RULES]


def _later(expires: str | None, than: str | None) -> bool:
    """Whether one expiry is later than another (None: never expires, the latest)."""
    return than is not None and (expires is None or expires > than)


def _snapshot(row: SuppressionRecord) -> SuppressionRecord:
    """A detached copy of the row as it is now (a batch answers each record as each
    interaction left it)."""
    return SuppressionRecord(**{c.key: getattr(row, c.key) for c in SuppressionRecord.__table__.columns})


class _Ledger:
    """The policy records a batch touches: read for update once, changed in memory."""

    def __init__(self, session: Session, tenant: str, keys: set[Key]) -> None:
        self.tenant = tenant
        self.rows: dict[Key, SuppressionRecord] = {}
        self.new: dict[Key, SuppressionRecord] = {}
        if not keys:
            return
        columns = SuppressionRecord
        query = (
            select(SuppressionRecord)
            .where(
                columns.tenant_id == tenant,
                columns.customer_id.in_({k[0] for k in keys}),
                columns.policy_id.in_({k[1] for k in keys}),
            )
            .order_by(columns.customer_id, columns.policy_id, columns.scope, columns.scope_id)
            .with_for_update()
        )
        for row in session.scalars(query):
            self.rows[(row.customer_id, str(row.policy_id), row.scope, str(row.scope_id))] = row

    def apply(self, customer: str, trigger: Trigger, at: str) -> SuppressionRecord:
        """Create the record, or count one more trigger and keep the later expiry."""
        key = (customer, trigger.policy_id, trigger.scope, trigger.scope_id)
        row = self.rows.get(key)
        if row is None:
            row = self.rows[key] = self.new[key] = SuppressionRecord(
                id=new_id(),
                tenant_id=self.tenant,
                customer_id=customer,
                policy_id=trigger.policy_id,
                policy_type=trigger.rule_type,
                scope=trigger.scope,
                scope_id=trigger.scope_id,
                reason=trigger.reason,
                trigger_count=1,
                expires_at=trigger.expires_at,
                created_at=at,
                updated_at=at,
            )
        else:
            row.trigger_count += 1
            row.policy_type = trigger.rule_type
            row.updated_at = at
            if _later(trigger.expires_at, row.expires_at):
                row.expires_at, row.reason = trigger.expires_at, trigger.reason
        return _snapshot(row)

    def save(self, session: Session) -> None:
        """Insert the new records in key order (two batches never wait on each other's
        inserts crosswise)."""
        session.add_all(self.new[key] for key in sorted(self.new))


def record(
    session: Session, tenant: str, sets: PolicySets, interactions: Sequence[tuple[str, Json]], at: str
) -> list[list[Json]]:
    """Run the suppression engine over new (customer, §2 interaction) pairs, in order:
    per interaction, the records it created or extended as it left them."""
    found = makers(session, tenant, sets)
    asked = [
        [(customer, t) for maker in found for t in maker.triggers(interaction)]
        for customer, interaction in interactions
    ]
    keys = {(c, t.policy_id, t.scope, t.scope_id) for each in asked for c, t in each}
    ledger = _Ledger(session, tenant, keys)
    snapshots = [[ledger.apply(customer, t, at) for customer, t in each] for each in asked]
    ledger.save(session)
    described = iter(describe(session, tenant, [s for each in snapshots for s in each], at))
    return [[next(described) for _ in each] for each in snapshots]


# -- reading records -----------------------------------------------------------------------
def _offer_names(session: Session, tenant: str, ids: set[str]) -> dict[str, Any]:
    if not ids:
        return {}
    query = select(Offer.id, Offer.document).where(Offer.tenant_id == tenant, Offer.id.in_(ids))
    rows = session.execute(query)
    return {row_id: json.loads(document).get("name") for row_id, document in rows}


def _live_and_active(session: Session, tenant: str, ids: set[str]) -> dict[str, tuple[str, bool]]:
    """Per policy id: its name, and whether it is live and active (its records can be)."""
    if not ids:
        return {}
    query = select(ContactPolicy.id, ContactPolicy.name, ContactPolicy.status, ContactPolicy.deleted_at)
    rows = session.execute(query.where(ContactPolicy.tenant_id == tenant, ContactPolicy.id.in_(ids)))
    return {pid: (name, status == "active" and deleted is None) for pid, name, status, deleted in rows}


def describe(session: Session, tenant: str, rows: Sequence[SuppressionRecord], at: str) -> list[Json]:
    """The records as the API shows them at `at`: offer names from the catalogue, policy
    names as the policies are now, `isActive` (not expired; a policy's record also needs
    its policy live and active)."""
    offers = _offer_names(session, tenant, {str(r.scope_id) for r in rows if r.scope == "offer"})
    policies = _live_and_active(session, tenant, {r.policy_id for r in rows if r.policy_id is not None})
    described = []
    for row in rows:
        name, switched_on = policies.get(row.policy_id or "", (None, row.policy_id is None))
        unexpired = row.expires_at is None or row.expires_at > at
        described.append(
            {
                "id": row.id,
                "scope": row.scope,
                "scopeId": row.scope_id,
                "offerName": offers.get(str(row.scope_id)) if row.scope == "offer" else None,
                "policyType": row.policy_type,
                "reason": row.reason,
                "triggerCount": row.trigger_count,
                "expiresAt": row.expires_at,
                "createdAt": row.created_at,
                "isActive": unexpired and switched_on,
                "policyId": row.policy_id,
                "policyName": name,
            }
        )
    return described


def ordered(items: Iterable[Json]) -> list[Json]:
    """Active first, then expiresAt latest first (never expiring before any), then the
    newest, then by id: stable sorts from the least significant key."""
    result = sorted(items, key=lambda i: i["id"])
    result.sort(key=lambda i: i["createdAt"], reverse=True)
    result.sort(key=lambda i: (i["expiresAt"] is None, i["expiresAt"] or ""), reverse=True)
    result.sort(key=lambda i: i["isActive"], reverse=True)
    return result


class _CustomerPath(Written):
    customerId: Id


def customer_id(value: str) -> str:
    """A customer id from a path, held to the rule of a recorded one (else a 400)."""
    return parsed(_CustomerPath, {"customerId": value}, "customer id").customerId


def listed(engine: Engine, tenant: str, customer: str, active: bool | None) -> list[Json]:
    """The customer's records in the list's order (`active`: only those that are, or not)."""
    at = now()
    with transaction(engine) as session:
        rows = session.scalars(
            select(SuppressionRecord).where(
                SuppressionRecord.tenant_id == tenant, SuppressionRecord.customer_id == customer
            )
        )
        items = describe(session, tenant, list(rows), at)
    return ordered(i for i in items if active is None or i["isActive"] is active)


# -- manual records ------------------------------------------------------------------------
def _manual_fields(body: Json, at: str) -> SuppressionFields:
    """A manual record's fields, or a 400 listing every problem. Its scopes are those the
    engine's suppression gate knows; a global record's scopeId is "all"."""
    fields = parsed(SuppressionFields, body, "suppression record")
    problems = []
    if fields.scope == "global" and fields.scopeId not in (None, GLOBAL_ID):
        problems.append(
            ErrorDetail(path="scopeId", message=f'a global record has scopeId "{GLOBAL_ID}" (or none)')
        )
    if fields.scope != "global" and fields.scopeId is None:
        problems.append(ErrorDetail(path="scopeId", message=f"required for scope {fields.scope}"))
    if fields.expiresAt is not None and fields.expiresAt <= at:
        problems.append(ErrorDetail(path="expiresAt", message=f"must be later than now ({at})"))
    if problems:
        raise ApiError(400, "the suppression record is invalid", problems)
    return fields


def create_manual(engine: Engine, tenant: str, customer: str, body: Json) -> Json:
    at = now()
    fields = _manual_fields(body, at)
    row = SuppressionRecord(
        id=new_id(),
        tenant_id=tenant,
        customer_id=customer,
        policy_id=None,
        policy_type=MANUAL,
        scope=fields.scope,
        scope_id=fields.scopeId or GLOBAL_ID,
        reason=fields.reason,
        trigger_count=1,
        expires_at=fields.expiresAt,
        created_at=at,
        updated_at=at,
    )
    with transaction(engine, write=True) as session:
        session.add(row)
        return describe(session, tenant, [row], at)[0]


def delete_manual(engine: Engine, tenant: str, customer: str, record_id: str) -> None:
    """Lift a manual record: its row is deleted. A policy's record ends with its policy."""
    if not SUPPRESSION_ID.match(record_id):  # never stored; and PostgreSQL cannot compare a NUL
        raise not_found("suppression record")
    with transaction(engine, write=True) as session:
        query = select(SuppressionRecord).where(
            SuppressionRecord.id == record_id,
            SuppressionRecord.tenant_id == tenant,
            SuppressionRecord.customer_id == customer,
        )
        row = session.scalars(query.with_for_update()).one_or_none()
        if row is None:
            raise not_found("suppression record")
        if row.policy_id is not None:
            raise ApiError(
                409,
                f"the record was made by policy {row.policy_id}; it ends when it expires, "
                "or when that policy is paused or deleted",
            )
        session.delete(row)
