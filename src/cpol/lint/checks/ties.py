"""priority_tie: equal priorities where the order between the policies is left to chance.

Evaluation order is priority, then createdAt, then id, then file order (SPEC §2.1). When
two policies that can block the same candidate share a priority, which one a decision
reports first (`blockedBy[0]`, the reason a marketer reads) is decided by those
tie-breakers rather than by intent. Ties at the default priority 50 are not reported: a
policy left at the default has not asked for an order.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable, Iterator

from cpol.lint.checks.dominance import RELATED, Pairs
from cpol.lint.codes import TIED_BLOCKERS, TIED_OVERRIDE
from cpol.lint.context import Context
from cpol.lint.finding import Finding, Place
from cpol.lint.model import GLOBAL, ScopeKey, View, compatible
from cpol.plan.models import DEFAULT_PRIORITY

Bucket = dict[tuple[int, str, ScopeKey], list[View]]


def _both_can_block(a: View, b: View) -> bool:
    """Some candidate can be blocked by both (rules tied to one category or group aside)."""
    ca, cb = a.config, b.config
    if a.rule == "mutual_exclusion":
        return not set(ca.excludeOfferIds).isdisjoint(cb.excludeOfferIds)
    if a.rule == "offer_category_cap":
        return bool(ca.targetCategory == cb.targetCategory)
    if a.rule == "category_suppression":
        return all(
            x is None or y is None or x == y
            for x, y in ((ca.categoryId, cb.categoryId), (ca.subCategoryId, cb.subCategoryId))
        )
    return True


def _buckets(views: Iterable[View]) -> tuple[Bucket, dict[tuple[int, str], list[View]]]:
    by_scope: Bucket = defaultdict(list)
    by_rule: dict[tuple[int, str], list[View]] = defaultdict(list)
    for view in views:
        by_rule[(view.priority, view.rule)].append(view)
        for key in view.scope_set:
            by_scope[(view.priority, view.rule, key)].append(view)
    return by_scope, by_rule


def _tied(
    view: View, rule: str, by_scope: Bucket, by_rule: dict[tuple[int, str], list[View]]
) -> Iterator[View]:
    """Policies of `rule` at `view`'s priority that surely meet it (a shared scope, or global),
    in set order, lazily: the buckets are already in set order and are merged."""
    if view.is_global:
        pool: Iterable[View] = by_rule.get((view.priority, rule), ())
    else:
        buckets = [by_scope.get((view.priority, rule, key), []) for key in (GLOBAL, *view.scopes)]
        pool = heapq.merge(*buckets, key=lambda other: other.index)
    last = -1
    for other in pool:
        if other.index == last or other is view or not compatible(other, view):
            continue
        last = other.index
        yield other


def _related(a: int, b: int, related: Pairs) -> bool:
    """Copies of one policy, or one already reported as making the other redundant."""
    return a == b or (a, b) in related or (b, a) in related


def check(context: Context, related: Pairs) -> list[Finding]:
    """`related` holds the pairs already reported as dominance: their tie is moot."""
    views = [view for view in context.usable if view.priority != DEFAULT_PRIORITY]
    by_scope, by_rule = _buckets(views)
    blocking = sorted({view.rule for view in views if view.rule != "allow_override"})
    findings = []
    for view in views:
        if view.rule == "allow_override":
            findings.extend(_override_ties(view, blocking, by_scope, by_rule))
            continue
        mine = context.original(view)
        earlier: list[View] = []
        for other in _tied(view, view.rule, by_scope, by_rule):
            if other.index >= view.index or len(earlier) == RELATED:
                break
            if _both_can_block(view, other) and not _related(mine, context.original(other), related):
                earlier.append(other)
        if not earlier:
            continue
        names = ", ".join(other.name for other in earlier)
        message = (
            f"{view.name} and {names} are {view.rule} policies at the same priority {view.priority} that "
            "can block the same candidates: which one a decision reports first is left to createdAt, "
            "id and file order"
        )
        fix = f"give {view.name} a priority above or below {view.priority} to say which comes first"
        places = tuple(Place(o.located, ("priority",), f"also priority {o.priority}") for o in earlier)
        findings.append(Finding(TIED_BLOCKERS, message, fix, Place(view.located, ("priority",)), places))
    return findings


def _override_ties(
    override: View, rules: list[str], by_scope: Bucket, by_rule: dict[tuple[int, str], list[View]]
) -> list[Finding]:
    tied = [other for rule in rules for other in _tied(override, rule, by_scope, by_rule) if other.bypassable]
    if not tied:
        return []
    tied.sort(key=lambda other: other.index)
    names = ", ".join(o.name for o in tied[:RELATED]) + (" and others" if len(tied) > RELATED else "")
    message = (
        f"override {override.name} shares priority {override.priority} with {names}, which it lifts: "
        "an override lifts bypassable blocks whatever its priority, so the tie only blurs which is "
        "meant to come first"
    )
    fix = f"give {override.name} a priority of its own (above {override.priority} to read as coming first)"
    places = tuple(
        Place(o.located, ("priority",), f"bypassable {o.rule}, priority {o.priority}") for o in tied[:RELATED]
    )
    return [Finding(TIED_OVERRIDE, message, fix, Place(override.located, ("priority",)), places)]
