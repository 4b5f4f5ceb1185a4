"""Short phrases for what a policy does, used in finding messages."""

from __future__ import annotations

from typing import Any

from cpol.lint.model import Cap, View, number, outcome_days, outcomes_of, segments_of

DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
OPERATOR_SIGNS = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "eq": "="}


def days_text(days: list[int] | None) -> str:
    """`mon..fri`, `sat, sun`, `every day`, `no day` (runs of three or more days as ranges)."""
    if days is None:
        return "every day"
    if not days:
        return "no day"
    ordered = sorted(set(days))
    runs: list[list[int]] = []
    for day in ordered:
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{DAY_NAMES[run[0]]}..{DAY_NAMES[run[-1]]}")
        else:
            parts.extend(DAY_NAMES[day] for day in run)
    return ", ".join(parts)


def hours_text(start: int | None, end: int | None) -> str:
    if start is None and end is None:
        return "all day"
    return f"{start if start is not None else 0}:00–{end if end is not None else 24}:00"


def window_phrase(config: Any) -> str:
    """`9:00–17:00 on mon..fri`, `on sat, sun`, `8:00–21:00` (what is open, no time zone)."""
    parts = []
    if config.startHour is not None or config.endHour is not None:
        parts.append(hours_text(config.startHour, config.endHour))
    if config.daysOfWeek is not None:
        parts.append(f"on {days_text(config.daysOfWeek)}")
    return " ".join(parts) or "at any time"


def per_phrase(view: View) -> str:
    """` for each offer` (SPEC §1.1), as `.cpol` ends the rule's sentence; empty without `per`."""
    return f" for each {view.per}" if view.per is not None else ""


def cap_phrase(view: View, cap: Cap) -> str:
    """`3 per week for each offer`: one cap of `view` with what it counts by."""
    return cap.label + per_phrase(view)


def rule_phrase(view: View) -> str:
    """`cap 1 per day, 3 per week`, `cooldown 48 hours for each offer`, … (without the scope)."""
    return _rule_words(view) + per_phrase(view)


def _rule_words(view: View) -> str:
    config: Any = view.config
    rule = view.rule
    if view.caps:
        caps = ", ".join(cap.label for cap in view.caps)
        if rule == "frequency_cap":
            return f"cap {caps}"
        if rule == "cross_channel_cap":
            across = config.appliesAcross
            return f"cross-channel cap {caps}" + (f" across {', '.join(across)}" if across else "")
        if rule == "offer_category_cap":
            return f"category cap {caps} for {config.targetCategory!r}"
        return f"customer cap {caps}"
    if rule == "cooldown":
        return f"cooldown {number(config.cooldownHours)} hours"
    if rule == "outcome_based":
        return f"suppress {number(outcome_days(config))} days after {', '.join(outcomes_of(config))}"
    if rule == "segment_exclusion":
        return f"exclude segments {', '.join(segments_of(config))}"
    if rule == "time_window":
        zone = config.timezone or "the customer's time zone"
        return f"only {window_phrase(config)} in {zone}"
    if rule == "mutual_exclusion":
        return f"mutually exclusive {', '.join(config.excludeOfferIds)}"
    if rule == "budget_exhausted":
        return f"stop when {config.budgetField} reach {number(config.threshold)}"
    if rule == "category_suppression":
        target = config.subCategoryId or config.categoryId or "the candidate's category"
        return f"rest {target} for {number(config.suppressionDays)} days"
    if rule == "do_not_contact":
        source = config.dncSource
        return f"do not contact on list {source}" if source else "do not contact (any list)"
    if rule == "metric_condition":
        sign = OPERATOR_SIGNS[config.operator or "gte"]
        threshold = config.threshold if config.threshold is not None else 0
        return f"block when metric {config.metricId} {sign} {number(threshold)}"
    if rule == "allow_override":
        return "override"
    return rule


def summary(view: View) -> str:
    """`"Email Weekly Cap" (cap 1 per day, 3 per week on channel ch_email)`."""
    return f"{view.name} ({rule_phrase(view)} {view.where})"
