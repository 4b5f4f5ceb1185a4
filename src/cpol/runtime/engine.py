"""The engine: a policy set compiled once, then `decide(request)` many times.

Per candidate: the consent and suppression gates, then every policy in evaluation order
(SPEC §2.1 "Order, override, gates"). Fast mode builds no trace and stops at the first
block that time alone never lifts (nothing after it can change `allowed`, the first
`blockedBy` or a null `eligibleAt`); explain mode evaluates everything and keeps a trace
entry per policy. Both call the same evaluators, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cpol.plan import Policy, ScopeRef
from cpol.plan.models import DEFAULT_PRIORITY
from cpol.runtime.clock import format_instant, parse_instant, zone
from cpol.runtime.decision import Decision, Entry
from cpol.runtime.history import SCOPE_FIELDS, History
from cpol.runtime.request import Candidate, Request, Suppression, parse_request
from cpol.runtime.rules import Context, Evaluator, evaluator_for
from cpol.runtime.verdict import Verdict, latest

#: Rules a mandatory offer still obeys when they are bypassable (SPEC §1).
MANDATORY_RULES = frozenset({"frequency_cap", "cross_channel_cap"})


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


@dataclass(frozen=True, slots=True)
class CompiledPolicy:
    """A policy with what every decision needs precomputed."""

    policy: Policy
    evaluate: Evaluator
    scopes: tuple[ScopeRef, ...]
    active: bool
    bypassable: bool
    priority: int

    @classmethod
    def of(cls, policy: Policy) -> CompiledPolicy:
        return cls(
            policy=policy,
            evaluate=evaluator_for(policy),
            scopes=tuple(policy.effective_scopes),
            active=(policy.status or "active") == "active" and policy.deletedAt is None,
            bypassable=policy.ruleType != "do_not_contact" and policy.config.bypassable is not False,
            priority=policy.priority if policy.priority is not None else DEFAULT_PRIORITY,
        )

    def matched_scopes(self, candidate: Candidate) -> list[ScopeRef]:
        out = []
        for scope in self.scopes:
            field_name = SCOPE_FIELDS[scope.scope]
            if field_name is None or getattr(candidate, field_name) == scope.scopeId:
                out.append(scope)
        return out

    def entry(self, result: str, verdict: Verdict | None = None, reason: str = "") -> Entry:
        return Entry(
            policy_id=self.policy.id,
            policy_name=self.policy.name,
            rule_type=self.policy.ruleType,
            priority=self.priority,
            result=result,
            reason=verdict.reason if verdict is not None and not reason else reason,
            details=dict(verdict.details) if verdict is not None else {},
            eligible_at=verdict.eligible_at if verdict is not None and result == "block" else None,
        )


@dataclass
class _Run:
    """The evaluation of one candidate: its blocks, its trace, what the override lifted."""

    explain: bool
    blocks: list[Entry] = field(default_factory=list)
    trace: list[Entry] = field(default_factory=list)
    lifted: bool = False

    def note(self, entry: Entry) -> None:
        if self.explain:
            self.trace.append(entry)

    def block(self, entry: Entry) -> bool:
        """Record a block; True when fast mode may stop (time alone never lifts it)."""
        self.blocks.append(entry)
        self.note(entry)
        return not self.explain and entry.eligible_at is None


class Engine:
    """Policies compiled once into evaluation order; `decide` runs them per request."""

    def __init__(self, policies: Sequence[Policy]) -> None:
        self.policies = [CompiledPolicy.of(p) for p in evaluation_order(policies)]
        self.overrides = [p for p in self.policies if p.policy.ruleType == "allow_override" and p.active]

    def decide(self, request: Request, *, explain: bool = False, raw: Any = None) -> list[Decision]:
        """One decision per candidate, in order (earlier allowed offers feed mutual exclusion)."""
        now = request.now.timestamp()
        ctx = Context(request, now, History(request.interactions, now), zone(request.customer.timezone), [])
        echoes = _candidate_echoes(request, raw)
        decisions = []
        for candidate, echo in zip(request.candidates, echoes, strict=True):
            decision = self._decide_one(ctx, candidate, echo, explain)
            if decision.allowed:
                ctx.allowed_offers.append(candidate.offerId)
            decisions.append(decision)
        return decisions

    def decide_json(
        self, source: object, *, explain: bool = False, file: str = "<request>"
    ) -> list[Decision]:
        """Parse a request (JSON text or decoded object) and decide it."""
        request, raw = parse_request(source, file)
        return self.decide(request, explain=explain, raw=raw)

    def _decide_one(self, ctx: Context, cand: Candidate, echo: dict[str, Any], explain: bool) -> Decision:
        run = _Run(explain)
        if not self._gates(ctx, cand, run):
            self._policies(ctx, cand, run)
        overridden = None
        if run.lifted:
            first = next(p for p in self.overrides if p.matched_scopes(cand))
            overridden = first.policy.id if first.policy.id is not None else first.policy.name
        eligible = latest(e.eligible_at for e in run.blocks) if run.blocks else None
        return Decision(
            echo, not run.blocks, run.blocks, overridden, eligible, run.trace if explain else None
        )

    # -- gates ------------------------------------------------------------------------
    def _gates(self, ctx: Context, cand: Candidate, run: _Run) -> bool:
        """Consent, then suppressions; True when fast mode may stop already."""
        consent = ctx.request.customer.consent.get(cand.channelType or "")
        if cand.channelType is not None and consent == "opted_out":
            details = {"channelType": cand.channelType, "consent": consent}
            reason = f"the customer opted out of {cand.channelType}"
            if run.block(_gate_entry("consent", "consent", reason, details, None)):
                return True
        for record in ctx.request.suppressions:
            if _suppression_applies(record, cand, ctx.now) and run.block(_suppression_entry(record)):
                return True
        return False

    # -- policies ---------------------------------------------------------------------
    def _policies(self, ctx: Context, cand: Candidate, run: _Run) -> None:
        overrides = [p for p in self.overrides if p.matched_scopes(cand)]
        for compiled in self.policies:
            if not compiled.active:
                run.note(compiled.entry("skipped", reason=_inactive_reason(compiled.policy)))
                continue
            matched = compiled.matched_scopes(cand)
            if not matched:
                run.note(compiled.entry("not_in_scope", reason="the candidate is outside its scopes"))
                continue
            rule = compiled.policy.ruleType
            if rule == "allow_override":
                run.note(compiled.entry("override", compiled.evaluate(compiled.policy, ctx, cand, matched)))
                continue
            if cand.isMandatory and compiled.bypassable and rule not in MANDATORY_RULES:
                run.note(compiled.entry("skipped", reason="skipped for a mandatory offer"))
                continue
            verdict = compiled.evaluate(compiled.policy, ctx, cand, matched)
            if not verdict.blocked:
                run.note(compiled.entry("pass", verdict))
            elif compiled.bypassable and overrides:
                run.lifted = True
                by = overrides[0].policy.name
                run.note(
                    compiled.entry("skipped", verdict, reason=f"bypassed by override {by}: {verdict.reason}")
                )
            elif run.block(compiled.entry("block", verdict)):
                return


def _candidate_echoes(request: Request, raw: Any) -> list[dict[str, Any]]:
    """Each candidate as the caller sent it (unknown fields too), else as parsed."""
    sent = raw.get("candidates") if isinstance(raw, dict) else None
    if isinstance(sent, list) and len(sent) == len(request.candidates):
        return [dict(item) for item in sent]
    return [c.model_dump(exclude_unset=True) for c in request.candidates]


def _inactive_reason(policy: Policy) -> str:
    if policy.deletedAt is not None:
        return f"the policy was deleted at {policy.deletedAt}"
    return f"the policy is {policy.status}"


def _gate_entry(
    name: str, rule_type: str, reason: str, details: dict[str, Any], eligible_at: float | None
) -> Entry:
    return Entry(None, name, rule_type, None, "block", reason, details, eligible_at)


def _suppression_applies(record: Suppression, cand: Candidate, now: float) -> bool:
    if record.isActive is False:
        return False
    if record.expiresAt is not None and record.expiresAt.timestamp() <= now:
        return False
    if record.scope not in SCOPE_FIELDS:
        return False  # a scope this engine does not know cannot be matched
    field_name = SCOPE_FIELDS[record.scope]
    return field_name is None or getattr(cand, field_name) == record.scopeId


def _suppression_entry(record: Suppression) -> Entry:
    expires = record.expiresAt.timestamp() if record.expiresAt is not None else None
    target = record.scope if record.scope == "global" else f"{record.scope} {record.scopeId}"
    until = f" until {format_instant(expires)}" if expires is not None else ""
    why = f" ({record.reason})" if record.reason else ""
    details = {
        "suppressionId": record.id,
        "scope": record.scope,
        "scopeId": record.scopeId,
        "policyType": record.policyType,
        "expiresAt": format_instant(expires) if expires is not None else None,
    }
    name = f"suppression {record.id}" if record.id else "suppression"
    return _gate_entry(name, "suppression", f"suppressed on {target}{until}{why}", details, expires)
