"""contradiction: policies that block every candidate of a scope at all times.

Runs first: a contradictory policy is marked, and takes no further part in the pairwise
checks (a cap of 0 "dominates" every other cap; saying so would only repeat this error).
"""

from __future__ import annotations

from cpol.lint.codes import DISJOINT_TIME_WINDOWS, EMPTY_TIME_WINDOW, ZERO_CAP
from cpol.lint.context import Context
from cpol.lint.cover import open_cells
from cpol.lint.describe import hours_text, rule_phrase, window_phrase
from cpol.lint.finding import Finding, Place
from cpol.lint.model import View, covers_scopes
from cpol.runtime.history import SCOPE_FIELDS


def _unless_override(view: View) -> str:
    return " unless an override lifts it" if view.bypassable else ""


def _zero_cap(view: View) -> Finding | None:
    cap = next((cap for cap in view.caps if cap.value == 0), None)
    if cap is None:
        return None
    who = "every candidate"
    if view.rule == "offer_category_cap":
        who = f"every candidate of category {view.config.targetCategory!r}"
    elif view.per not in (None, "offer"):
        # a candidate without the field it counts by passes (SPEC §1.1); every one has an offerId
        who = f"every candidate with a {SCOPE_FIELDS[view.per]}"
    message = (
        f"{view.name} has a cap of 0 ({cap.key}): it blocks {who} {view.where} at all times"
        f"{_unless_override(view)}"
    )
    fix = (
        f"set {cap.key} to the number of contacts actually allowed, or make the intent explicit "
        "with a paused status or a narrower scope"
    )
    return Finding(ZERO_CAP, message, fix, Place(view.located, cap.loc))


def _empty_window(view: View) -> Finding | None:
    config = view.config
    if view.rule != "time_window" or open_cells(config):
        return None
    if config.daysOfWeek is not None and not config.daysOfWeek:
        why, loc = "it allows no day (daysOfWeek is empty)", ("config", "daysOfWeek")
        fix = "list the allowed days"
    else:
        hours = hours_text(config.startHour, config.endHour)
        why, loc = f"its hours ({hours}) are empty", ("config", "startHour")
        fix = "set startHour and endHour to different hours (startHour > endHour wraps past midnight)"
    message = (
        f"{view.name} is never open: {why}, so it blocks every candidate {view.where}{_unless_override(view)}"
    )
    return Finding(EMPTY_TIME_WINDOW, message, fix, Place(view.located, loc))


def _disjoint_windows(context: Context) -> list[Finding]:
    """Pairs of time windows, one covering the other's scopes, never open together."""
    findings = []
    for view in context.usable:
        if view.rule != "time_window":
            continue
        cells = open_cells(view.config)
        earlier = [
            other
            for other in context.index.around(view, ["time_window"])
            if other.index < view.index
            and other.config.timezone == view.config.timezone
            and (covers_scopes(other, view) or covers_scopes(view, other))
            and cells.isdisjoint(open_cells(other.config))
        ]
        if not earlier:
            continue
        other = earlier[0]
        narrow = view if covers_scopes(other, view) else other
        message = (
            f"{view.name} and {other.name} are never open at the same time: together they block "
            f"every candidate {narrow.where} at all times"
        )
        also = window_phrase(other.config)
        fix = (
            f"make the windows overlap (widen {view.name} so that it is also open {also}), "
            "or scope them to different candidates"
        )
        related = tuple(Place(o.located, ("config",), rule_phrase(o)) for o in earlier)
        findings.append(
            Finding(DISJOINT_TIME_WINDOWS, message, fix, Place(view.located, ("config",)), related)
        )
    return findings


def check(context: Context) -> list[Finding]:
    findings: list[Finding] = []
    for view in context.active:
        found = _zero_cap(view) or _empty_window(view)
        if found is not None:
            view.broken = True
            findings.append(found)
    context.reindex()
    findings.extend(_disjoint_windows(context))
    return findings
