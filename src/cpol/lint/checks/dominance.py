"""dead_rule by dominance (CPL101, CPL102) and overlap (CPL301, CPL302).

One relation underlies all four codes: policy (or cap) `a` dominates `b` when, for every
candidate `b` applies to, `a` applies too, blocks whenever `b` blocks and for at least as
long, and nothing lifts `a` that does not lift `b` (an override lifts only bypassable
policies; a mandatory offer skips every bypassable rule except frequency_cap and
cross_channel_cap). Then `b` never changes `allowed` nor `eligibleAt`.

- the same rule type on the same scopes, one policy dominating the other: overlap
  (CPL302 when each dominates the other, CPL301 otherwise);
- any other dominance (a broader scope, another cap rule, several policies together): CPL101;
- a cap that another cap of its own policy always reaches first: CPL102.

A rule counting `for each` offer, channel… (SPEC §1.1) counts a subset of what the same rule
without `per` counts, so only the latter can dominate the former (`model.per_keeps`).

The candidates for `a` come from the index: policies sharing one of `b`'s scopes, or global.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from cpol.lint.codes import DOMINATED, DUPLICATE, REDUNDANT, UNREACHABLE_CAP
from cpol.lint.context import Context
from cpol.lint.cover import dominates, equivalent
from cpol.lint.describe import cap_phrase, per_phrase, rule_phrase, summary
from cpol.lint.finding import Finding, Place
from cpol.lint.model import (
    DAY,
    Cap,
    ScopeKey,
    View,
    counter_contains,
    lifts_no_more,
    may_meet,
    number,
    own_counter,
    window_covers,
)

Pairs = set[tuple[int, int]]
RELATED = 3
"""How many dominating policies a finding lists (the first ones, in set order)."""


@dataclass(frozen=True)
class Dominator:
    view: View
    cap: Cap | None = None


def _window_text(window: float) -> str:
    days = window / DAY
    if days < 1:
        hours = days * 24
        return f"{number(hours)} hour" + ("" if hours == 1 else "s")
    return f"{number(days)} day" + ("" if days == 1 else "s")


# -- caps within one policy (CPL102) ------------------------------------------------------


def _bound(length: Fraction, caps: Sequence[tuple[Fraction | None, int]]) -> float:
    """The most impressions any window of `length` can hold when every cap was respected.

    After an allowed contact a window of length w holds at most its limit m (the count was
    below m), and so does any shorter window; a longer window is cut into whole windows of w
    plus a remainder, bounded the same way.
    """
    best: float = math.inf
    for window, limit in caps:
        if window is None or window >= length:
            best = min(best, limit)
    for window, limit in caps:
        if window is not None and 0 < window < length:
            whole = math.floor(length / window)
            rest = length - whole * window
            best = min(best, whole * limit + (_bound(rest, caps) if rest > 0 else 0))
    return best


def _override_may_lift(context: Context, view: View) -> bool:
    """An active override may meet this bypassable policy: some impressions skipped its caps."""
    return view.bypassable and any(
        may_meet(override, view) for override in context.index.rule("allow_override")
    )


def _own_caps(context: Context, view: View) -> dict[str, Finding]:
    """Caps that never block first because of the policy's other caps (a frequency_cap's, or a
    cross_channel_cap's maxTotal beside the older maxContacts; the other rules have one cap)."""
    caps = [cap for cap in view.caps if cap.window != 0]
    dead: dict[str, Finding] = {}
    for position, cap in enumerate(caps):
        for other_position, other in enumerate(caps):
            if other is cap or not (window_covers(other.window, cap.window) and other.limit <= cap.limit):
                continue
            if other.window == cap.window and other.limit == cap.limit and other_position > position:
                continue  # the same cap twice: report the second only
            message = (
                f"{cap.key} ({cap_phrase(view, cap)}) of {view.name} never blocks first: its {other.key} "
                f"({other.label}) is always reached no later"
            )
            fix = f"remove {cap.key}, or lower it below {other.limit} so that it limits something"
            related: tuple[Place, ...] = (Place(view.located, other.loc, f"{other.key}: {other.label}"),)
            dead[cap.key] = Finding(UNREACHABLE_CAP, message, fix, Place(view.located, cap.loc), related)
            break
    if _override_may_lift(context, view):
        return dead
    for cap in caps:
        if cap.key in dead or cap.window is None:
            continue
        others = [other for other in caps if other is not cap]
        windows = [(Fraction(o.window) if o.window is not None else None, o.limit) for o in others]
        most = _bound(Fraction(cap.window), windows)
        if cap.limit <= most:
            continue
        shorter = [other for other in others if other.window is not None and other.window < cap.window]
        labels = ", ".join(other.label for other in shorter or others)
        message = (
            f"{cap.key} ({cap_phrase(view, cap)}) of {view.name} can never be reached: its other caps "
            f"({labels}) allow at most {number(most)} impressions in "
            f"{_window_text(cap.window)}{per_phrase(view)}"
        )
        fix = f"lower {cap.key} to {number(most)} or less, or remove it"
        related = tuple(Place(view.located, other.loc, f"{other.key}: {other.label}") for other in shorter)
        dead[cap.key] = Finding(UNREACHABLE_CAP, message, fix, Place(view.located, cap.loc), related)
    return dead


# -- caps against other policies -----------------------------------------------------------


def _cap_dominators(view: View, cap: Cap, key: ScopeKey, others: list[View], most: int) -> list[Dominator]:
    """Up to `most` caps of other policies reached no later than `cap`, for candidates of `key`."""
    mine = own_counter(view, key)
    found = []
    for other in others:
        reached_first = [
            theirs
            for theirs in other.caps
            if theirs.limit <= cap.limit and theirs.window != 0 and window_covers(theirs.window, cap.window)
        ]
        if not reached_first or not lifts_no_more(other, view):
            continue
        if not any(counter_contains(counter, mine) for counter in other.counters(key)):
            continue
        for theirs in reached_first:
            same = (
                theirs.window == cap.window
                and theirs.limit == cap.limit
                and other.bypassable == view.bypassable
                and other.mandatory_skips == view.mandatory_skips
                and other.scope_set == view.scope_set
                and mine in other.counters(key)
            )
            if same and not _weaker(view, other):
                continue  # the same cap in two policies: reported on the weaker (or later) one
            found.append(Dominator(other, theirs))
            break
        if len(found) >= most:
            break
    return found


def _weaker(view: View, other: View) -> bool:
    """Of two policies holding the same cap, is `view` the one to report it on?

    The one the other covers entirely (every cap reached no later) is the weaker; when both
    or neither cover the other, the later one in the set.
    """
    other_covers = _covers_all_caps(other, view, view.caps)
    view_covers = _covers_all_caps(view, other, other.caps)
    if other_covers != view_covers:
        return other_covers
    return other.index < view.index


def _covers_all_caps(outer: View, inner: View, caps: Sequence[Cap]) -> bool:
    """Each of `caps` of `inner` is reached no later by a cap of `outer`, on every scope."""
    for key in inner.scopes:
        mine = own_counter(inner, key)
        theirs = [
            cap
            for counter in outer.counters(key)
            if counter_contains(counter, mine)
            for cap in outer.caps
            if cap.window != 0
        ]
        for cap in caps:
            if not any(window_covers(t.window, cap.window) and t.limit <= cap.limit for t in theirs):
                return False
    return lifts_no_more(outer, inner)


def _cap_findings(context: Context, view: View, pairs: Pairs, copies: dict[int, View]) -> list[Finding]:
    own = _own_caps(context, view)
    live = [cap for cap in view.caps if cap.key not in own and cap.window != 0]
    rules = list(dict.fromkeys([view.rule, "frequency_cap", "customer_total_cap"]))
    others = [other for other in context.index.covering(view, rules) if other.index not in copies]
    dominated: dict[str, list[Dominator]] = {}
    for cap in live:
        per_scope = [_cap_dominators(view, cap, key, others, RELATED) for key in view.scopes]
        if all(per_scope):
            dominated[cap.key] = [d for found in per_scope for d in found]
    for found in dominated.values():
        pairs.update((d.view.index, view.index) for d in found)
    if live and len(dominated) == len(live):
        whole = _whole_caps(view, live, dominated, others)
        return [whole] if whole is not None else []
    findings = list(own.values())
    for cap in live:
        if cap.key not in dominated:
            continue
        first = dominated[cap.key][0]
        assert first.cap is not None
        message = (
            f"{cap.key} ({cap_phrase(view, cap)}) of {view.name} never blocks first: {first.view.name} "
            f"caps the same impressions or more at {cap_phrase(first.view, first.cap)} {first.view.where}"
        )
        fix = f"remove {cap.key}, or lower it below {first.cap.limit} so that it limits something"
        related = tuple(
            Place(d.view.located, d.cap.loc, f"{d.cap.key}: {cap_phrase(d.view, d.cap)} {d.view.where}")
            for d in _unique(dominated[cap.key])
            if d.cap is not None
        )
        findings.append(Finding(DOMINATED, message, fix, Place(view.located, cap.loc), related))
    return findings


def _unique(dominators: Sequence[Dominator]) -> list[Dominator]:
    seen: dict[int, Dominator] = {}
    for dominator in dominators:
        seen.setdefault(dominator.view.index, dominator)
    return list(seen.values())


def _whole_caps(
    view: View, live: Sequence[Cap], dominated: dict[str, list[Dominator]], others: list[View]
) -> Finding | None:
    """Every live cap is dominated: the policy as a whole never blocks first (None: the same
    thing is said again later, and reported there)."""
    for other in others:
        if other.rule != view.rule or other.scope_set != view.scope_set:
            continue
        if not _covers_all_caps(other, view, live):
            continue
        duplicate = _covers_all_caps(view, other, [c for c in other.caps if c.window != 0])
        if duplicate and other.index > view.index:
            return None
        return _overlap(view, other, duplicate)
    return _dead(view, [d.view for d in _unique([d for found in dominated.values() for d in found])])


# -- other rule types ------------------------------------------------------------------------


def _rule_findings(context: Context, view: View, pairs: Pairs, copies: dict[int, View]) -> list[Finding]:
    pool = context.index.listing_all(view) if view.members else context.index.covering(view, [view.rule])
    others = [other for other in pool if other.index not in copies]
    per_scope = []
    for key in view.scopes:
        found = [
            other
            for other in others
            if dominates(other, view, key) and not (other.index > view.index and equivalent(other, view))
        ]
        if not found:
            return []
        per_scope.append(found)
    every = _unique([Dominator(other) for found in per_scope for other in found])
    pairs.update((d.view.index, view.index) for d in every)
    for candidate in every:
        other = candidate.view
        if all(other in found for found in per_scope) and other.scope_set == view.scope_set:
            return [_overlap(view, other, equivalent(other, view))]
    return [_dead(view, [d.view for d in every])]


# -- findings -------------------------------------------------------------------------------


def _overlap(view: View, other: View, duplicate: bool) -> Finding:
    if duplicate:
        message = f"{view.name} says the same as {other.name}: {rule_phrase(other)} {other.where}"
        fix = f"delete {view.name} (or {other.name}); one of them is enough"
        code = DUPLICATE
    else:
        message = (
            f"{view.name} ({rule_phrase(view)}) is redundant: {other.name} ({rule_phrase(other)}) "
            f"blocks whenever it does, at least as long, on the same scope"
        )
        fix = f"delete {view.name}, or make it stricter than {other.name} where it should add a limit"
        code = REDUNDANT
    related = (Place(other.located, ("config",), summary(other)),)
    return Finding(code, message, fix, Place(view.located), related)


def _dead(view: View, others: Sequence[View]) -> Finding:
    names = " and ".join(o.name for o in others[:RELATED]) + (" and others" if len(others) > RELATED else "")
    verb = "does" if len(others) == 1 else "do"
    if view.rule == "allow_override":
        message = f"override {view.name} ({view.where}) lifts nothing that {names} {verb} not already lift"
        fix = f"delete {view.name}, or narrow {names}"
    else:
        message = (
            f"{view.name} ({rule_phrase(view)} {view.where}) never blocks a candidate that {names} "
            f"{verb} not already block, for at least as long"
        )
        fix = f"delete {view.name}, or make it stricter than {names} so that it adds a limit"
    related = tuple(Place(other.located, ("config",), summary(other)) for other in others[:RELATED])
    return Finding(DOMINATED, message, fix, Place(view.located), related)


def check(context: Context, pairs: Pairs) -> list[Finding]:
    """Every dominance finding; `pairs` receives (dominator, dominated) set positions.

    Policies that behave exactly like an earlier one (same `signature`) are reported as its
    duplicates straight away and left out as dominators (the earlier one stands for them),
    so a set with many copies costs no more than one with a copy of each.
    """
    first: dict[str, View] = {}
    copies = context.copies
    for view in context.usable:
        original = first.setdefault(view.signature, view)
        if original is not view:
            copies[view.index] = original
    findings: list[Finding] = []
    for view in context.usable:
        copied = copies.get(view.index)
        if copied is not None:
            pairs.add((copied.index, view.index))
            findings.append(_overlap(view, copied, duplicate=True))
        elif view.caps:
            findings.extend(_cap_findings(context, view, pairs, copies))
        else:
            findings.extend(_rule_findings(context, view, pairs, copies))
    return findings
