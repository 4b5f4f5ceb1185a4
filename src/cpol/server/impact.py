"""`POST /contact-policies/impact-preview` (SPEC §6.3): what a proposed policy would change.

Both forms replay a sample of the tenant's customers through the real engine twice,
without and with the proposal, and count what flips:

- the seed's form (`policyType: "frequency_cap"`) is a cap of `maxFrequency` interactions
  with outcome `outcomeType` in `periodDays`, on its own, over the customers active in
  that window, asked about the offer/channel pairs they were contacted with in it;
- the policy form (`{"policy": …}`) is any policy, among the tenant's live ones, over the
  most recently active customers, asked about the candidates of their latest logged
  decision (else about the offer/channel pairs of their last 30 days).

Everything is read in one read transaction; then both policy sets decide the replays
through the batch plan (`cpol batch`'s lowering, on embedded DuckDB), so a preview and a
campaign run decide alike.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy import BindParameter, Engine, Select, bindparam, func, select, union_all
from sqlalchemy.orm import Session

import cpol
from cpol.batch.lowering import policy_key
from cpol.batch.tables import decide_requests
from cpol.runtime.clock import parse_instant
from cpol.server import catalogue, clock, policies
from cpol.server.database import in_chunks, transaction
from cpol.server.decide import Service, manual_suppressions
from cpol.server.errors import ApiError, ErrorDetail
from cpol.server.fields import parsed
from cpol.server.models import DecisionLog, Interaction, SuppressionRecord
from cpol.server.schemas import CapPreview, PolicyPreview

Json = dict[str, Any]
#: How far back a customer without a logged decision is asked about their contacts.
RECENT_DAYS = 30
TOP_SEGMENTS = 10
#: The fields of an interaction that a candidate has too.
CANDIDATE_FIELDS = ("offerId", "channelId", "creativeId", "categoryId", "subCategoryId", "offerCategory")
_CUSTOMERS: BindParameter[str] = bindparam("customers", expanding=True)
_LAST_CONTACT = func.max(Interaction.timestamp)

#: The customers with an interaction in the window, the most recently contacted first.
ACTIVE_IN_WINDOW = (
    select(Interaction.customer_id)
    .where(
        Interaction.tenant_id == bindparam("tenant"),
        Interaction.timestamp > bindparam("start"),
        Interaction.timestamp <= bindparam("now"),
    )
    .group_by(Interaction.customer_id)
    .order_by(_LAST_CONTACT.desc(), Interaction.customer_id)
)


def _recently_active() -> Select[str]:
    """The customers with an interaction or a logged decision by `now`, the latest first."""
    contacted = (
        select(Interaction.customer_id.label("customer"), _LAST_CONTACT.label("last"))
        .where(Interaction.tenant_id == bindparam("tenant"), Interaction.timestamp <= bindparam("now"))
        .group_by(Interaction.customer_id)
    )
    decided = (
        select(DecisionLog.customer_id, func.max(DecisionLog.at))
        .where(DecisionLog.tenant_id == bindparam("tenant"), DecisionLog.at <= bindparam("now"))
        .group_by(DecisionLog.customer_id)
    )
    both = union_all(contacted, decided).subquery()
    last = func.max(both.c.last)
    return select(both.c.customer).group_by(both.c.customer).order_by(last.desc(), both.c.customer)


def _latest_decisions() -> Select[str, str]:
    """Per customer, the request of their latest logged decision by `now`."""
    newest_first = (DecisionLog.at.desc(), DecisionLog.id.desc())
    ranked = (
        select(
            DecisionLog.customer_id,
            DecisionLog.request,
            func.row_number().over(partition_by=DecisionLog.customer_id, order_by=newest_first).label("rank"),
        )
        .where(
            DecisionLog.tenant_id == bindparam("tenant"),
            DecisionLog.customer_id.in_(_CUSTOMERS),
            DecisionLog.at <= bindparam("now"),
        )
        .subquery()
    )
    return select(ranked.c.customer_id, ranked.c.request).where(ranked.c.rank == 1)


RECENTLY_ACTIVE = _recently_active()
LATEST_DECISIONS = _latest_decisions()
#: The customers' stored interactions with `start < timestamp ≤ now` (stamps compare as text).
CONTACTS = (
    select(Interaction.customer_id, Interaction.document)
    .where(
        Interaction.tenant_id == bindparam("tenant"),
        Interaction.customer_id.in_(_CUSTOMERS),
        Interaction.timestamp > bindparam("start"),
        Interaction.timestamp <= bindparam("now"),
    )
    .order_by(Interaction.timestamp, Interaction.seq)
)
#: Which of the customers have manual suppression records (few do).
MANUALLY_SUPPRESSED = (
    select(SuppressionRecord.customer_id)
    .distinct()
    .where(
        SuppressionRecord.tenant_id == bindparam("tenant"),
        SuppressionRecord.customer_id.in_(_CUSTOMERS),
        SuppressionRecord.policy_id.is_(None),
    )
)


@dataclass(frozen=True)
class Replay:
    """One sampled customer's §2 request, and the segments the answer counts them in."""

    request: Json
    segments: frozenset[str] = frozenset()


def _days_before(now: str, days: int) -> str:
    """The stamp `days` before `now`; "" (before every stamp) when that is before year 1."""
    try:
        return clock.stamp(parse_instant(now) - timedelta(days=days))
    except OverflowError:
        return ""


def _contacts(
    session: Session, tenant: str, customers: Sequence[str], start: str, now: str
) -> dict[str, list[Json]]:
    """Each customer's stored interactions with `start < timestamp ≤ now`, oldest first."""
    found: dict[str, list[Json]] = {customer: [] for customer in customers}
    for chunk in in_chunks(customers):
        rows = session.execute(CONTACTS, {"tenant": tenant, "customers": chunk, "start": start, "now": now})
        for customer, document in rows:
            found[customer].append(json.loads(document))
    return found


def _pairs(contacts: Sequence[Json]) -> list[Json]:
    """One candidate per offer/channel pair, the most recent first, with the fields of that
    pair's most recent interaction."""
    pairs: dict[tuple[str, str], Json] = {}
    for item in reversed(contacts):
        candidate = {key: item[key] for key in CANDIDATE_FIELDS if key in item}
        pairs.setdefault((item["offerId"], item["channelId"]), candidate)
    return list(pairs.values())


# -- the seed's form ----------------------------------------------------------------------------
def _seed_cap(asked: CapPreview) -> cpol.Policy:
    """The seed's cap as a policy: `{maxContacts, windowDays}` is a cap over any number of days."""
    if asked.scope != "global" and asked.scopeId is None:
        detail = ErrorDetail(path="scopeId", message=f"required for scope {asked.scope}")
        raise ApiError(400, "the impact preview is invalid", [detail])
    scope = {"scope": asked.scope, **({"scopeId": asked.scopeId} if asked.scope != "global" else {})}
    config = {"maxContacts": asked.config.maxFrequency, "windowDays": asked.config.periodDays}
    return policies.validated(
        {"name": "impact preview", "ruleType": "frequency_cap", **scope, "config": config}
    )


def _seed_replay(customer: str, contacts: list[Json], outcome: str, now: str) -> Replay:
    """The customer's contacts of the window as candidates; the cap counts the interactions
    with `outcome`, handed to the engine as the impressions a frequency cap counts."""
    counted = [{**item, "outcome": "impression"} for item in contacts if item["outcome"] == outcome]
    request = {
        "now": now,
        "customer": {"id": customer},
        "interactions": counted,
        "candidates": _pairs(contacts),
    }
    return Replay(request)


def _cap_preview(engine: Engine, tenant: str, asked: CapPreview) -> Json:
    cap = _seed_cap(asked)
    now = asked.now or clock.now()
    start = _days_before(now, asked.config.periodDays)
    with transaction(engine) as session:
        query = ACTIVE_IN_WINDOW.limit(asked.sampleSize)
        sampled = session.scalars(query, {"tenant": tenant, "start": start, "now": now}).all()
        contacts = _contacts(session, tenant, sampled, start, now)
        outcome = asked.config.outcomeType
        replays = [_seed_replay(customer, contacts[customer], outcome, now) for customer in sampled]
        names = _names(session, tenant, replays)
    return _compared(replays, [], [cap], names).answer(now)


# -- the policy form ----------------------------------------------------------------------------
def _under(path: str | None) -> str:
    if path is None:
        return "policy"
    return "policy" + path if path.startswith("[") else f"policy.{path}"


def _proposed(given: Json | str) -> cpol.Policy:
    """The proposed policy (JSON, or the `.cpol` text of one block, which may `use` only the
    standard library), or a 400 listing every problem at its path under `policy`."""
    try:
        if not isinstance(given, str):
            return policies.validated(given)
        found = policies.compiled(given)
        if len(found) != 1:
            detail = ErrorDetail(path=None, message=f"must hold exactly one policy block, not {len(found)}")
            raise ApiError(400, "the policy source is invalid", [detail])
        return found[0]
    except ApiError as error:
        details = [ErrorDetail(path=_under(d.path), message=d.message) for d in error.details]
        raise ApiError(error.status, error.message, details) from None


def _with(live: cpol.Engine, proposed: cpol.Policy) -> list[cpol.Policy]:
    """The live policies with the proposed one, which replaces a live one of its name or id."""
    kept = [
        p.policy
        for p in live.policies
        if p.policy.name != proposed.name and (proposed.id is None or p.policy.id != proposed.id)
    ]
    return [*kept, proposed]


@dataclass(frozen=True)
class Stored:
    """What the policy form reads about its sampled customers: their history up to `now`,
    their latest logged request, their manual records active at `now`, and what they are
    asked about."""

    contacts: dict[str, list[Json]]
    logged: dict[str, Json]
    manual: dict[str, list[Json]]
    candidates: dict[str, list[Json]]

    @classmethod
    def read(cls, session: Session, tenant: str, customers: Sequence[str], now: str) -> Stored:
        contacts = _contacts(session, tenant, customers, "", now)
        logged: dict[str, Json] = {}
        having_manual: set[str] = set()
        for chunk in in_chunks(customers):
            parameters = {"tenant": tenant, "customers": chunk, "now": now}
            rows = session.execute(LATEST_DECISIONS, parameters)
            logged.update((customer, json.loads(request)) for customer, request in rows)
            having_manual.update(session.scalars(MANUALLY_SUPPRESSED, parameters))
        manual = {c: manual_suppressions(session, tenant, c, now) for c in having_manual}
        return cls(contacts, logged, manual, _asked_about(session, tenant, contacts, logged, now))

    def replay(self, customer: str, now: str) -> Replay:
        """The request decide would be sent again: the logged customer and budgets, now."""
        logged = self.logged.get(customer, {})
        fields = logged.get("customer", {"id": customer})
        request = {
            "now": now,
            "customer": fields,
            "interactions": self.contacts[customer],
            "budgets": logged.get("budgets", {}),
            "suppressions": self.manual.get(customer, []),
            "candidates": self.candidates[customer],
        }
        return Replay(request, frozenset(fields.get("segments") or ()))


def _asked_about(
    session: Session, tenant: str, contacts: dict[str, list[Json]], logged: dict[str, Json], now: str
) -> dict[str, list[Json]]:
    """Per customer, the candidates of their latest logged decision, else the offer/channel
    pairs of their last 30 days completed from the catalogue as decide completes candidates
    (logged ones were completed when decided), in one lookup."""
    since = _days_before(now, RECENT_DAYS)
    paired = {
        customer: _pairs([item for item in items if item["timestamp"] > since])
        for customer, items in contacts.items()
        if customer not in logged
    }
    flat = [candidate for each in paired.values() for candidate in each]
    completed = iter(catalogue.complete(session, tenant, flat, channel_type=True))
    fresh = {customer: [next(completed) for _ in each] for customer, each in paired.items()}
    return {c: logged[c]["candidates"] if c in logged else fresh[c] for c in contacts}


def _policy_preview(service: Service, tenant: str, asked: PolicyPreview) -> Json:
    proposed = _proposed(asked.policy)
    now = asked.now or clock.now()
    with transaction(service.engine) as session:
        live = service.sets.current(session, tenant).engine
        size = asked.sampleSize
        query = RECENTLY_ACTIVE.limit(size) if isinstance(size, int) else RECENTLY_ACTIVE  # or "all"
        sampled = session.scalars(query, {"tenant": tenant, "now": now}).all()
        stored = Stored.read(session, tenant, sampled, now)
        replays = [stored.replay(customer, now) for customer in sampled]
        names = _names(session, tenant, replays)
    current = [compiled.policy for compiled in live.policies]
    return _compared(replays, current, _with(live, proposed), names).answer(now, replay=True)


# -- counting -----------------------------------------------------------------------------------
def _names(session: Session, tenant: str, replays: Sequence[Replay]) -> dict[str, str]:
    """The catalogue's names of the offers the replays ask about."""
    ids = {c["offerId"] for replay in replays for c in replay.request["candidates"]}
    return catalogue.offer_names(session, tenant, ids)


def _tenth(numerator: int, denominator: int) -> float:
    """numerator / denominator to one decimal, halves rounded up (0 when there is nothing)."""
    if not denominator:
        return 0.0
    return math.floor(Fraction(numerator * 10, denominator) + Fraction(1, 2)) / 10


def _by_count(counts: Counter[str]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _allowed_offers(rows: Sequence[Row]) -> set[str]:
    return {row["offerId"] for row in rows if row["allowed"]}


#: A decided candidate row of the batch plan (cpol.batch.tables.decide_requests).
Row = dict[str, Any]
#: How the answer names a blocker: (policyId, policyName, ruleType).
Blocker = tuple[str | None, str, str]


def blockers(policy_set: Sequence[cpol.Policy]) -> dict[str, Blocker]:
    """What a row's `blockedBy` (a policy's id, else its name, or a gate) stands for."""
    named: dict[str, Blocker] = {gate: (None, gate, gate) for gate in ("consent", "suppression")}
    named.update((policy_key(p), (p.id, p.name, p.ruleType)) for p in policy_set)
    return named


@dataclass
class Tally:
    """What flips between two policy sets, added up customer by customer. An offer is
    available to a customer while one of its candidates is allowed."""

    names: dict[str, str]
    customers: int = 0
    affected: int = 0
    unblocked_customers: int = 0
    candidates: int = 0
    blocked: int = 0
    unblocked: int = 0
    offers_before: int = 0
    offers_after: int = 0
    lost: Counter[str] = field(default_factory=Counter)
    regained: Counter[str] = field(default_factory=Counter)
    in_segment: Counter[str] = field(default_factory=Counter)
    affected_in_segment: Counter[str] = field(default_factory=Counter)
    #: Per (policyId, policyName, ruleType): [candidates it newly blocks, candidates it no longer blocks].
    by_policy: dict[Blocker, list[int]] = field(default_factory=dict)

    def add(
        self, replay: Replay, before: Sequence[Row], after: Sequence[Row], named: dict[str, Blocker]
    ) -> None:
        pairs = list(zip(before, after, strict=True))
        blocked = [_blocker(a, named) for b, a in pairs if b["allowed"] and not a["allowed"]]
        unblocked = [_blocker(b, named) for b, a in pairs if a["allowed"] and not b["allowed"]]
        offers_before, offers_after = _allowed_offers(before), _allowed_offers(after)
        self.customers += 1
        self.affected += bool(blocked)
        self.unblocked_customers += bool(unblocked)
        self.candidates += len(pairs)
        self.blocked += len(blocked)
        self.unblocked += len(unblocked)
        self.offers_before += len(offers_before)
        self.offers_after += len(offers_after)
        self.lost.update({self.names.get(o, o) for o in offers_before - offers_after})
        self.regained.update({self.names.get(o, o) for o in offers_after - offers_before})
        self.in_segment.update(replay.segments)
        self.affected_in_segment.update(replay.segments if blocked else ())
        for column, found in ((0, blocked), (1, unblocked)):
            for blocker in found:
                self.by_policy.setdefault(blocker, [0, 0])[column] += 1

    def answer(self, now: str, *, replay: bool = False) -> Json:
        segments = sorted(self.affected_in_segment.items(), key=lambda item: (-item[1], item[0]))
        answer: Json = {
            "totalCustomersAnalyzed": self.customers,
            "customersAffected": self.affected,
            "affectedPercent": _tenth(100 * self.affected, self.customers),
            "offersSuppressed": _by_count(self.lost),
            "avgOffersBeforePolicy": _tenth(self.offers_before, self.customers),
            "avgOffersAfterPolicy": _tenth(self.offers_after, self.customers),
            "topAffectedSegments": [
                {"segment": name, "affected": n, "total": self.in_segment[name]}
                for name, n in segments[:TOP_SEGMENTS]
            ],
            "now": now,
        }
        return {**answer, **self._replayed()} if replay else answer

    def _replayed(self) -> Json:
        policies_flipped = sorted(self.by_policy.items(), key=lambda item: (-sum(item[1]), item[0][1]))
        return {
            "candidatesAnalyzed": self.candidates,
            "candidatesBlocked": self.blocked,
            "candidatesUnblocked": self.unblocked,
            "customersUnblocked": self.unblocked_customers,
            "offersUnblocked": _by_count(self.regained),
            "byPolicy": [
                {"policyId": pid, "policyName": name, "ruleType": rule, "blocked": n[0], "unblocked": n[1]}
                for (pid, name, rule), n in policies_flipped
            ],
        }


def _blocker(row: Row, named: dict[str, Blocker]) -> Blocker:
    """The blocker of a blocked row; a suppression gate keeps its record's name."""
    found = named[row["blockedBy"]]
    return (None, row["blockedByName"], found[2]) if found[0] is None else found


def _compared(
    replays: Sequence[Replay],
    before: Sequence[cpol.Policy],
    after: Sequence[cpol.Policy],
    names: dict[str, str],
) -> Tally:
    """Both sets over the replays, each decided by the batch plan (`cpol batch`'s lowering)
    on embedded DuckDB."""
    tally = Tally(names)
    requests = [replay.request for replay in replays]
    named = blockers([*before, *after])
    pairs = zip(replays, decide_requests(before, requests), decide_requests(after, requests), strict=True)
    for replay, rows_before, rows_after in pairs:
        tally.add(replay, rows_before, rows_after, named)
    return tally


def preview(service: Service, tenant: str, body: Json) -> Json:
    """The answer of the form the body is in: `policy` names the replay form."""
    if "policy" in body:
        return _policy_preview(service, tenant, parsed(PolicyPreview, body, "impact preview"))
    return _cap_preview(service.engine, tenant, parsed(CapPreview, body, "impact preview"))
