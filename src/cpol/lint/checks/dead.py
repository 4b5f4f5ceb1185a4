"""dead_rule without a second policy: inactive policies (CPL103), scope ids nobody knows
(CPL104), scopes that exclude what the rule is about (CPL105), durations of 0 (CPL106).

Dominance by another policy (CPL101) and unreachable caps (CPL102) are in `dominance.py`.
"""

from __future__ import annotations

from collections import defaultdict

from cpol.diagnostics import did_you_mean
from cpol.lint.codes import INACTIVE, SCOPE_MISSES_RULE, UNKNOWN_SCOPE, ZERO_DURATION
from cpol.lint.context import Context
from cpol.lint.finding import Finding, Place
from cpol.lint.model import GLOBAL, ScopeKey, View, describe_scope, outcome_days


def _inactive(view: View) -> Finding:
    policy = view.policy
    if policy.deletedAt is not None:
        message = f"{view.name} was deleted at {policy.deletedAt}: it is never evaluated"
        return Finding(INACTIVE, message, "remove it from the set", Place(view.located, ("deletedAt",)))
    message = f"{view.name} is {policy.status}: it is never evaluated"
    fix = "set its status to active to enforce it, or remove it from the set"
    return Finding(INACTIVE, message, fix, Place(view.located, ("status",)))


def _mentions(views: list[View]) -> dict[ScopeKey, set[int]]:
    """Every (kind, id) a policy names, in a scope or in its config, with who names it."""
    named: dict[ScopeKey, set[int]] = defaultdict(set)
    for view in views:
        config = view.config
        keys = set(view.scopes)
        if view.rule == "mutual_exclusion":
            keys.update(("offer", offer) for offer in config.excludeOfferIds)
        elif view.rule == "cross_channel_cap" and config.appliesAcross:
            keys.update(("channel", channel) for channel in config.appliesAcross)
        elif view.rule == "category_suppression":
            if config.categoryId is not None:
                keys.add(("category", config.categoryId))
            if config.subCategoryId is not None:
                keys.add(("subcategory", config.subCategoryId))
        for key in keys:
            named[key].add(view.index)
    return named


def _unknown_scopes(context: Context) -> list[Finding]:
    catalog = context.catalog
    if catalog is None:
        return []
    named = _mentions(list(context.views))
    findings = []
    for view in context.active:
        for key in view.scopes:
            kind, scope_id = key
            known = catalog.ids.get(kind)
            if key == GLOBAL or known is None or scope_id is None or scope_id in known:
                continue
            if named[key] - {view.index}:
                continue
            hint = did_you_mean(scope_id, sorted(known))
            only = len(view.scopes) == 1
            outcome = "the policy never applies" if only else "that scope matches nothing"
            message = (
                f"{view.name} applies to {describe_scope(key)}, which the catalogue does not list and no "
                f"other policy mentions: {outcome}"
            )
            fix = f"correct the {kind} id" + (f" ({hint})" if hint else "") + ", or add it to the catalogue"
            findings.append(Finding(UNKNOWN_SCOPE, message, fix, Place(view.located, view.scope_loc(key))))
    return findings


def _scope_misses_rule(view: View) -> Finding | None:
    config = view.config
    kinds = {kind for kind, _ in view.scopes}
    ids = {scope_id for _, scope_id in view.scopes}
    if view.rule == "mutual_exclusion" and kinds == {"offer"} and ids.isdisjoint(config.excludeOfferIds):
        message = (
            f"{view.name} applies only to offers outside its group ({', '.join(config.excludeOfferIds)}): "
            "mutual exclusion only blocks offers of the group, so it never blocks"
        )
        fix = "scope it to the offers of the group (or globally)"
        return Finding(SCOPE_MISSES_RULE, message, fix, Place(view.located, ("config", "excludeOfferIds")))
    if view.rule != "category_suppression":
        return None
    for kind, key in (("category", "categoryId"), ("subcategory", "subCategoryId")):
        target = getattr(config, key)
        if target is not None and kinds == {kind} and target not in ids:
            message = (
                f"{view.name} rests {kind} {target} but applies only to {view.where[3:]}: no candidate "
                f"in scope is in {kind} {target}, so it never blocks"
            )
            fix = f"scope it to {kind} {target}, or set {key} to the {kind} it should rest"
            return Finding(SCOPE_MISSES_RULE, message, fix, Place(view.located, ("config", key)))
    return None


def _zero_durations(view: View) -> list[Finding]:
    config = view.config
    found: list[tuple[str, str]] = []
    if view.rule == "cooldown" and config.cooldownHours == 0:
        found.append(("cooldownHours", "a cooldown of 0 hours"))
    elif view.rule == "outcome_based" and outcome_days(config) == 0:
        key = "suppressForDays" if config.suppressForDays is not None else "withinDays"
        found.append((key, "a suppression of 0 days"))
    elif view.rule == "category_suppression" and config.suppressionDays == 0:
        found.append(("suppressionDays", "a rest of 0 days"))
    elif any(cap.window == 0 and cap.limit > 0 for cap in view.caps):
        found.append(("windowDays", "a cap over a window of 0 days (it counts nothing)"))
    return [
        Finding(
            ZERO_DURATION,
            f"{view.name} has {what}, which never blocks",
            f"set {key} to the length intended, or remove it",
            Place(view.located, ("config", key)),
        )
        for key, what in found
    ]


def check(context: Context) -> list[Finding]:
    findings = [_inactive(view) for view in context.views if not view.active]
    for view in context.usable:
        found = _zero_durations(view)
        missed = _scope_misses_rule(view)
        if missed is not None:
            found.append(missed)
        if found and (missed is not None or not view.caps):
            # it never blocks (a cap over 0 days is one cap of several): comparing it with
            # others would only repeat that
            view.broken = True
        findings.extend(found)
    findings.extend(_unknown_scopes(context))
    context.reindex()
    return findings
