"""The engine: a policy set compiled once, then `decide(request)` many times.

Per candidate: the consent and suppression gates, then every policy in evaluation order
(SPEC §2.1 "Order, override, gates"). Fast mode builds no trace and stops at the first
block that time alone never lifts (nothing after it can change `allowed`, the first
`blockedBy` or a null `eligibleAt`); explain mode evaluates everything and keeps a trace
entry per policy. Both call the same evaluators, so they cannot disagree.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from cpol.plan import Policy, ScopeRef
from cpol.plan.models import DEFAULT_PRIORITY
from cpol.runtime.clock import BEYOND_CALENDAR, LAST_INSTANT, format_instant, parse_instant, zone
from cpol.runtime.decision import Decision, Entry
from cpol.runtime.history import SCOPE_FIELDS, History
from cpol.runtime.request import Candidate, Request, Suppression, parse_request
from cpol.runtime.rules import Context, Evaluator, evaluator_for, outcomes_read
from cpol.runtime.verdict import Verdict, latest

#: Rules a mandatory offer still obeys when they are bypassable (SPEC §1).
MANDATORY_RULES = frozenset({"frequency_cap", "cross_channel_cap"})
#: The candidate fields that decide which scopes match: a candidate's place in the scope index.
scope_signature = operator.attrgetter(*sorted({f for f in SCOPE_FIELDS.values() if f is not None}))
#: Scope signatures remembered across requests before the index starts afresh (bounds memory).
SCOPE_INDEX_LIMIT = 4096
OUTSIDE = "the candidate is outside its scopes"


def _created_key(policy: Policy) -> tuple[int, float]:
    if policy.createdAt is None:
        return (1, 0.0)
    return (0, -parse_instant(policy.createdAt).timestamp())


def evaluation_order(policies: Sequence[Policy]) -> list[Policy]:
    """Priority desc (default 50), createdAt desc (missing last), id asc (missing last),
    then the order the policies were given in."""
    indexed = list(enumerate(policies))
    indexed.sort(
        key=lambda pair: (
            -(pair[1].priority if pair[1].priority is not None else DEFAULT_PRIORITY),
            _created_key(pair[1]),
            (0, pair[1].id) if pair[1].id is not None else (1, ""),
            pair[0],
        )
    )
    return [policy for _, policy in indexed]


KeyOf = Callable[[Candidate], object]
#: What the candidates sharing a run are told: (allowed, blockedBy, overriddenBy, eligibleAt, trace)
Outcome = tuple[bool, list[Entry], str | None, float | None, list[Entry] | None]
#: Per request, per policy index: key -> [matched scopes, verdict or None, entries by result or None]
Cache = list[dict[object, list[Any]]]


def _rule_key(policy: Policy) -> tuple[set[str], KeyOf | None]:
    """The candidate fields a rule reads besides its scopes, and what of them its verdict
    depends on: a rule that only asks whether the candidate belongs to its target keys on
    that answer, so every candidate outside the target shares one evaluation."""
    config: Any = policy.config
    rule = policy.ruleType
    if rule == "cross_channel_cap":
        return {"offerId"}, operator.attrgetter("offerId")
    if rule == "offer_category_cap":
        target = config.targetCategory
        return {"offerCategory"}, lambda c: c.offerCategory == target
    if rule == "mutual_exclusion":
        group = frozenset(config.excludeOfferIds)
        return {"offerId"}, lambda c: c.offerId if c.offerId in group else None
    if rule == "category_suppression":
        category, sub = config.categoryId, config.subCategoryId
        if category is None and sub is None:  # the candidate's own category
            return {"categoryId"}, operator.attrgetter("categoryId")
        read = {"categoryId"} if sub is None else {"categoryId", "subCategoryId"}
        return (
            read,
            lambda c: (
                (category is None or c.categoryId == category) and (sub is None or c.subCategoryId == sub)
            ),
        )
    return set(), None


def _plain_fields(policy: Policy, scopes: Sequence[ScopeRef]) -> list[str]:
    """The candidate fields whose values a verdict depends on as they are: the scopes', the
    budget key's, and a `per` policy's field (SPEC §1.1: each value is counted apart)."""
    fields = {SCOPE_FIELDS[s.scope] for s in scopes}
    if policy.ruleType == "budget_exhausted":  # creative scope reads budgets[creativeId]
        fields.update("creativeId" if s.scope == "creative" else "offerId" for s in scopes)
    per = getattr(policy.config, "per", None)
    if per is not None:
        fields.add(SCOPE_FIELDS[per])
    return sorted(name for name in fields if name is not None)


def _key_of(plain_fields: list[str], rule_key: KeyOf | None) -> KeyOf | None:
    """What a verdict depends on, so candidates that agree on it share one evaluation."""
    if not plain_fields:
        return rule_key
    by_fields = operator.attrgetter(*plain_fields)
    if rule_key is None:
        return by_fields
    return lambda c: (by_fields(c), rule_key(c))


#: (policy, index, key_of, skipped for mandatory offers, volatile offers)
_Step = tuple["CompiledPolicy", int, KeyOf | None, bool, frozenset[str]]


@dataclass(frozen=True, slots=True)
class CompiledPolicy:
    """A policy with what every decision needs precomputed.

    `constant` when the verdict is the same for every candidate of a request (`key_of` is
    None); otherwise `key_of` reads the candidate fields the verdict depends on. `volatile` are
    the offers whose verdict also depends on the decisions before them (a mutual-exclusion
    group): theirs is evaluated afresh every time.
    """

    index: int
    policy: Policy
    evaluate: Evaluator
    scopes: tuple[ScopeRef, ...]
    global_scope: bool
    active: bool
    overrides: bool
    bypassable: bool
    mandatory_skips: bool
    priority: int
    constant: bool
    key_of: KeyOf | None
    key_fields: tuple[str, ...]
    volatile: frozenset[str]
    fixed: dict[tuple[str, str], Entry] = field(default_factory=dict, compare=False)

    @classmethod
    def of(cls, index: int, policy: Policy) -> CompiledPolicy:
        scopes = tuple(policy.effective_scopes)
        fields = _plain_fields(policy, scopes)
        read, rule_key = _rule_key(policy)
        key_of = _key_of(fields, rule_key)
        bypassable = policy.ruleType != "do_not_contact" and policy.config.bypassable is not False
        return cls(
            index=index,
            policy=policy,
            evaluate=evaluator_for(policy),
            scopes=scopes,
            global_scope=all(SCOPE_FIELDS[s.scope] is None for s in scopes),
            active=(policy.status or "active") == "active" and policy.deletedAt is None,
            overrides=policy.ruleType == "allow_override",
            bypassable=bypassable,
            mandatory_skips=bypassable and policy.ruleType not in MANDATORY_RULES,
            priority=policy.priority if policy.priority is not None else DEFAULT_PRIORITY,
            constant=key_of is None,
            key_of=key_of,
            key_fields=tuple(sorted(read.union(fields))),
            volatile=frozenset(policy.config.excludeOfferIds or ())
            if policy.ruleType == "mutual_exclusion"
            else frozenset(),
        )

    @property
    def step(self) -> _Step:
        """What the policy loop reads of the policy, unpacked in one go."""
        return (self, self.index, self.key_of, self.mandatory_skips, self.volatile)

    def matched_scopes(self, candidate: Candidate) -> Sequence[ScopeRef]:
        """The policy's scopes the candidate is in, in listed order (shared when all match)."""
        if self.global_scope:
            return self.scopes
        if len(self.scopes) == 1:  # the common case, without building a list
            scope = self.scopes[0]
            field = SCOPE_FIELDS[scope.scope]
            return self.scopes if field is not None and getattr(candidate, field) == scope.scopeId else ()
        return [
            s
            for s in self.scopes
            if (f := SCOPE_FIELDS[s.scope]) is None or getattr(candidate, f) == s.scopeId
        ]

    def slot(self, cache: Cache, candidate: Candidate) -> list[Any]:
        """`[matched scopes, verdict or None, entries by result or None]`, shared by
        candidates with the same key."""
        table = cache[self.index]
        key = () if self.key_of is None else self.key_of(candidate)
        found = table.get(key)
        if found is None:
            found = table[key] = [self.matched_scopes(candidate), None, None]
        return found

    def shared_entry(self, candidate: Candidate, result: str, verdict: Verdict, slot: list[Any]) -> Entry:
        """The entry of a verdict, made once for all the candidates that share it."""
        if self.volatile and candidate.offerId in self.volatile:
            return self.entry(result, verdict)
        entries = slot[2]
        if entries is None:
            entries = slot[2] = {}
        found = entries.get(result)
        if found is None:
            found = entries[result] = self.entry(result, verdict)
        return found  # type: ignore[no-any-return]

    def fixed_entry(self, result: str, reason: str) -> Entry:
        """An entry that says the same for every candidate (outside the scopes, skipped)."""
        found = self.fixed.get((result, reason))
        if found is None:
            found = self.fixed[(result, reason)] = self.entry(result, reason=reason)
        return found

    def verdict(self, ctx: Context, candidate: Candidate, slot: list[Any]) -> Verdict:
        if self.volatile and candidate.offerId in self.volatile:
            return self.evaluate(ctx, candidate, slot[0])
        if slot[1] is None:
            slot[1] = self.evaluate(ctx, candidate, slot[0])
        return slot[1]  # type: ignore[no-any-return]

    def entry(self, result: str, verdict: Verdict | None = None, reason: str = "") -> Entry:
        """The entry of a verdict (its words said when read), or with `reason` of its own."""
        who = (self.policy.id, self.policy.name, self.policy.ruleType, self.priority, result)
        if verdict is None:
            return Entry(*who, reason, {}, None)
        eligible_at = _representable(verdict.eligible_at) if result == "block" else None
        if reason:
            return Entry(*who, reason, dict(verdict.details), eligible_at)
        return Entry.of(*who, verdict, eligible_at)


@dataclass(slots=True)
class _Run:
    """The evaluation of one candidate: its blocks, its trace, what the override lifted."""

    explain: bool
    blocks: list[Entry] = field(default_factory=list)
    trace: list[Entry] = field(default_factory=list)
    lifted: bool = False
    #: Explain mode, once the gates are through: where in `trace` the current policy's entry goes.
    at: int = -1

    def note(self, entry: Entry) -> None:
        if self.explain:
            if self.at < 0:
                self.trace.append(entry)
            else:
                self.trace[self.at] = entry

    def block(self, entry: Entry) -> bool:
        """Record a block; True when fast mode may stop (time alone never lifts it)."""
        self.blocks.append(entry)
        self.note(entry)
        return not self.explain and entry.eligible_at is None


class Engine:
    """Policies compiled once into evaluation order; `decide` runs them per request."""

    def __init__(self, policies: Sequence[Policy]) -> None:
        self.policies = [CompiledPolicy.of(i, p) for i, p in enumerate(evaluation_order(policies))]
        self.active = [p for p in self.policies if p.active]
        self.overrides = [p for p in self.active if p.overrides]
        self.volatile = frozenset().union(*(p.volatile for p in self.active))
        self.outcomes = frozenset().union(*(outcomes_read(p.policy) for p in self.active))
        read = {name for p in self.active for name in p.key_fields}
        self.decision_fields = read | {"channelType", "isMandatory"}  # + what gates read
        self._signatures: dict[frozenset[str], Callable[[Candidate], object]] = {}
        self._scoped = [p for p in self.active if not p.overrides and not p.global_scope]
        #: The scope index, kept across requests: per scope signature, the scoped policies
        #: whose scopes a candidate with that signature is outside of.
        self._outside: dict[object, frozenset[int]] = {}
        #: Fast plans narrowed to a scope signature, per set of policies a request's plan left out.
        self._narrowed: dict[tuple[object, frozenset[int] | None], list[_Step]] = {}
        #: Explain mode's trace layout and steps per scope signature (see `_explain_for`).
        self._explained: dict[object, tuple[list[Entry | None], list[_Step]]] = {}

    def decide(self, request: Request, *, explain: bool = False, raw: Any = None) -> list[Decision]:
        """One decision per candidate, in order (earlier allowed offers feed mutual exclusion)."""
        now = request.now.timestamp()
        history = History(request.interactions, request.instants, now, self.outcomes)
        ctx = Context(request, now, history, zone(request.customer.timezone), {})
        cache: Cache = [{} for _ in self.policies]  # per policy; not in ctx: verdicts may hold ctx,
        # and a cycle would outlive decide()
        gates = _Gates(request, now)
        sent = _sent_candidates(request, raw)
        signature = self._signature(gates.fields)
        plan, dropped = ([], None) if explain else self._fast_plan(ctx, cache, request.candidates)
        plans: dict[object, list[_Step]] = {}  # fast mode: the plan narrowed to each scope signature
        outcomes: dict[object, Outcome] = {}  # candidates that agree on every field read share one
        decisions = []
        volatile = self.volatile
        allowed = ctx.allowed_offers
        for candidate, echo in zip(request.candidates, sent or itertools.repeat(None), strict=False):
            key = signature(candidate) if candidate.offerId not in volatile else None
            outcome = outcomes.get(key) if key is not None else None
            if outcome is None:
                run = _Run(explain)
                if not gates.check(candidate, run):
                    where = scope_signature(candidate)
                    if explain:
                        template, steps = self._explain_for(where, candidate)
                        run.at = len(run.trace)  # the gates' entries come first
                        run.trace += cast("list[Entry]", template)  # each None is written over
                        self._policies(ctx, cache, candidate, run, steps)
                    else:
                        steps = plans.get(where) or self._in_scope(plan, dropped, plans, where, candidate)
                        self._policies(ctx, cache, candidate, run, steps)
                outcome = self._outcome(cache, candidate, run)
                if key is not None:
                    outcomes[key] = outcome
            decisions.append(Decision(candidate, echo, *outcome))
            if outcome[0]:
                allowed.setdefault(candidate.offerId, len(allowed))
        return decisions

    def decide_json(
        self, source: object, *, explain: bool = False, file: str = "<request>"
    ) -> list[Decision]:
        """Parse a request (JSON text or decoded object) and decide it."""
        request, raw = parse_request(source, file)
        return self.decide(request, explain=explain, raw=raw)

    def _signature(self, gate_fields: frozenset[str]) -> Callable[[Candidate], object]:
        """Reads every candidate field a decision depends on (policies' and gates')."""
        found = self._signatures.get(gate_fields)
        if found is None:
            found = self._signatures[gate_fields] = operator.attrgetter(
                *sorted(self.decision_fields | gate_fields)
            )
        return found

    def _outcome(self, cache: Cache, cand: Candidate, run: _Run) -> Outcome:
        """What every candidate sharing the run is told (Decision's fields after `sent`)."""
        overridden = None
        if run.lifted:
            first = next(p for p in self.overrides if p.slot(cache, cand)[0])
            overridden = first.policy.id if first.policy.id is not None else first.policy.name
        eligible = latest([e.eligible_at for e in run.blocks]) if run.blocks else None
        return not run.blocks, run.blocks, overridden, eligible, run.trace if run.explain else None

    def _outside_of(self, where: object, cand: Candidate) -> frozenset[int]:
        """The scope index, kept across requests: the scoped policies a candidate with this
        scope signature is outside of."""
        outside = self._outside.get(where)
        if outside is None:
            if len(self._outside) >= SCOPE_INDEX_LIMIT:
                self._outside.clear()
            outside = self._outside[where] = frozenset(
                p.index for p in self._scoped if not p.matched_scopes(cand)
            )
        return outside

    def _explain_for(self, where: object, cand: Candidate) -> tuple[list[Entry | None], list[_Step]]:
        """Explain mode's trace laid out for a scope signature, kept across requests: the
        entries that say the same for every request (a policy switched off, or one the
        candidate is outside the scopes of) in place, None where the steps returned with it
        write theirs. A candidate then walks only its own policies, as in fast mode."""
        found = self._explained.get(where)
        if found is None:
            if len(self._explained) >= SCOPE_INDEX_LIMIT:
                self._explained.clear()
            outside = self._outside_of(where, cand)
            template: list[Entry | None] = []
            steps = []
            for compiled in self.policies:
                if not compiled.active:
                    template.append(compiled.fixed_entry("skipped", _inactive_reason(compiled.policy)))
                elif compiled.index in outside:
                    template.append(compiled.fixed_entry("not_in_scope", OUTSIDE))
                else:
                    template.append(None)
                    steps.append(compiled.step)
            found = self._explained[where] = (template, steps)
        return found

    def _in_scope(
        self,
        plan: list[_Step],
        dropped: frozenset[int] | None,
        plans: dict[object, list[_Step]],
        where: object,
        cand: Candidate,
    ) -> list[_Step]:
        """Fast mode's plan without the policies none of whose scopes the candidate is in:
        its cost follows the candidate's policies, not the whole set. Kept across requests
        whose fast plans dropped the same policies. (Explain mode's counterpart, which also
        places the other policies' entries, is `_explain_for`.)"""
        key = (where, dropped)
        found = self._narrowed.get(key)
        if found is None:
            if len(self._narrowed) >= SCOPE_INDEX_LIMIT:
                self._narrowed.clear()
            outside = self._outside_of(where, cand)
            found = [step for step in plan if step[1] not in outside] if outside else plan
            self._narrowed[key] = found
        plans[where] = found
        return found

    def _fast_plan(
        self, ctx: Context, cache: Cache, candidates: Sequence[Candidate]
    ) -> tuple[list[_Step], frozenset[int]]:
        """The active policies that may block someone in this request, and the indexes of
        those left out: one whose verdict is the same for every candidate (it reads no
        candidate field) and passes, since fast mode keeps no trace of passes."""
        if not candidates:
            return [], frozenset()
        plan, dropped = [], []
        for compiled in self.active:
            if compiled.overrides:  # fast mode only needs `self.overrides`
                continue
            if compiled.constant:
                slot = compiled.slot(cache, candidates[0])
                if not compiled.verdict(ctx, candidates[0], slot).blocked:
                    dropped.append(compiled.index)
                    continue
            plan.append(compiled.step)
        return plan, frozenset(dropped)

    def _policies(
        self,
        ctx: Context,
        cache: Cache,
        cand: Candidate,
        run: _Run,
        plan: list[_Step],
    ) -> None:
        """The policies of the plan in order (explain mode: each writes its entry at its place
        of a trace that `_explain_for` laid out)."""
        explain = run.explain
        overrides = self.overrides  # narrowed to those in scope at the first bypassable block
        narrowed = False
        mandatory = cand.isMandatory
        base = run.at
        for compiled, index, key_of, skips_mandatory, volatile in plan:
            if explain:
                run.at = base + index
            table = cache[index]
            key = () if key_of is None else key_of(cand)
            slot = table.get(key)
            if slot is None:
                slot = table[key] = [compiled.matched_scopes(cand), None, None]
            if not slot[0]:
                if explain:
                    run.note(compiled.fixed_entry("not_in_scope", OUTSIDE))
                continue
            if explain and compiled.overrides:  # fast mode's plan has none: `self.overrides` serves
                run.note(compiled.shared_entry(cand, "override", compiled.verdict(ctx, cand, slot), slot))
                continue
            if mandatory and skips_mandatory:
                if explain:
                    run.note(compiled.fixed_entry("skipped", "skipped for a mandatory offer"))
                continue
            verdict = slot[1]
            if volatile and cand.offerId in volatile:  # depends on earlier decisions: never kept
                verdict = compiled.evaluate(ctx, cand, slot[0])
            elif verdict is None:
                verdict = slot[1] = compiled.evaluate(ctx, cand, slot[0])
            if not verdict.blocked:
                if explain:
                    run.note(compiled.shared_entry(cand, "pass", verdict, slot))
                continue
            if compiled.bypassable and overrides and not narrowed:
                overrides = [p for p in overrides if p.slot(cache, cand)[0]]
                narrowed = True
            if compiled.bypassable and overrides:
                run.lifted = True
                if explain:
                    reason = f"bypassed by override {overrides[0].policy.name}: {verdict.reason}"
                    run.note(compiled.entry("skipped", verdict, reason=reason))
            elif run.block(compiled.shared_entry(cand, "block", verdict, slot)):
                return


class _Gates:
    """Consent and suppression records, checked before any policy (nothing overrides them)."""

    def __init__(self, request: Request, now: float) -> None:
        consent = request.customer.consent
        self.opted_out = frozenset(kind for kind, answer in consent.items() if answer == "opted_out")
        self.suppressions = [
            (SCOPE_FIELDS[record.scope], record.scopeId, record)
            for record in request.suppressions
            if _active(record, now)
        ]
        self.fields = frozenset(name for name, _, _ in self.suppressions if name is not None)
        self._entries: dict[object, Entry] = {}  # made on first use: most gates block no one

    def check(self, cand: Candidate, run: _Run) -> bool:
        """Record the gates' blocks; True when fast mode may stop already."""
        channel_type = cand.channelType
        if channel_type in self.opted_out and run.block(
            self._entry(channel_type, channel_type, _consent_entry)
        ):
            return True
        for field_name, scope_id, record in self.suppressions:
            in_scope = field_name is None or getattr(cand, field_name) == scope_id
            if in_scope and run.block(self._entry(id(record), record, _suppression_entry)):
                return True
        return False

    def _entry(self, key: object, what: Any, make: Callable[[Any], Entry]) -> Entry:
        """The gate's entry, made once: keyed by channel type, or by a record's identity (cheaper
        than hashing the record, which lives as long as the request)."""
        found = self._entries.get(key)
        if found is None:
            found = self._entries[key] = make(what)
        return found


def _sent_candidates(request: Request, raw: Any) -> list[dict[str, Any]] | None:
    """Each candidate as the caller sent it (unknown fields too), when we have the JSON."""
    sent = raw.get("candidates") if isinstance(raw, dict) else None
    if isinstance(sent, list) and len(sent) == len(request.candidates):
        return sent
    return None


def _consent_entry(channel_type: str) -> Entry:
    details = {"channelType": channel_type, "consent": "opted_out"}
    return _gate_entry("consent", "consent", f"the customer opted out of {channel_type}", details, None)


def _representable(instant: float | None) -> float | None:
    """A block lifting after year 9999 does not lift by time in any calendar we can write."""
    return instant if instant is not None and instant <= LAST_INSTANT else None


def _inactive_reason(policy: Policy) -> str:
    if policy.deletedAt is not None:
        return f"the policy was deleted at {policy.deletedAt}"
    return f"the policy is {policy.status}"


def _gate_entry(
    name: str, rule_type: str, reason: str, details: dict[str, Any], eligible_at: float | None
) -> Entry:
    return Entry(None, name, rule_type, None, "block", reason, details, eligible_at)


def _active(record: Suppression, now: float) -> bool:
    """Active unless switched off or expired; a scope the engine does not know never matches."""
    if record.isActive is False or record.scope not in SCOPE_FIELDS:
        return False
    return record.expiresAt is None or record.expiresAt.timestamp() > now


def _suppression_entry(record: Suppression) -> Entry:
    expires = record.expiresAt.timestamp() if record.expiresAt is not None else None
    lifts = _representable(expires)  # an expiry after the calendar's last second never comes
    target = record.scope if record.scope == "global" else f"{record.scope} {record.scopeId}"
    until = f" until {format_instant(lifts)}" if lifts is not None else ""
    why = f" ({record.reason})" if record.reason else ""
    beyond = f"; {BEYOND_CALENDAR}" if expires is not None and lifts is None else ""
    details = {
        "suppressionId": record.id,
        "scope": record.scope,
        "scopeId": record.scopeId,
        "policyType": record.policyType,
        "expiresAt": format_instant(lifts) if lifts is not None else None,
    }
    name = f"suppression {record.id}" if record.id else "suppression"
    return _gate_entry(name, "suppression", f"suppressed on {target}{until}{why}{beyond}", details, lifts)
