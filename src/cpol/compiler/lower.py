"""Lowering: syntax tree -> plan dictionaries (exactly the JSON of SPEC §1), with spans.

Each clause of a rule sentence sets one or two config keys; `CLAUSE_KEYS` is the whole
mapping, so the decompiler and the documentation can rely on it. Problems that only the
syntax can see (a key set twice, `8:30`, an unknown weekday, a missing rule) are reported
here; everything the JSON could also get wrong is left to the plan's validation, so the
two front ends share one set of messages.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cpol.compiler.ast import (
    Clause,
    DayRange,
    FieldStmt,
    Hour,
    Literal,
    MetaStmt,
    PolicyNode,
    RuleStmt,
    ScopeRef,
    ScopeStmt,
    StringList,
)
from cpol.compiler.builder import number_value
from cpol.compiler.source import Source
from cpol.diagnostics import Span, did_you_mean
from cpol.plan import RULE_TYPES, SCOPE_ROW_FIELDS

Loc = tuple[str | int, ...]
Raw = dict[str, Any]

WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
PERIOD_TYPES = {"day": "daily", "week": "weekly", "month": "monthly", "total": "alltime"}
OPERATORS = {">": "gt", ">=": "gte", "<": "lt", "<=": "lte", "=": "eq", "==": "eq"}
META_KEYS = ("id", "tenantId", "version", "createdAt", "updatedAt", "deletedAt")
FIELD_KEYS = {"description": "description", "status": "status", "priority": "priority"}


@dataclass
class Problem:
    """A lowering problem before it is given a file name and a source line."""

    message: str
    span: Span
    hint: str | None = None


@dataclass(frozen=True)
class Written:
    """The text a policy was written in, and its block there.

    For an imported policy that is the module's file, not the `use` line its spans point at:
    the comments written above the policy in its module (lint directives) travel with it.
    """

    source: Source
    node: PolicyNode


@dataclass
class Lowered:
    """One policy as a plan dictionary, with the source span of every JSON path in it."""

    node: PolicyNode
    raw: Raw
    spans: dict[Loc, Span] = field(default_factory=dict)
    imported_from: str | None = None  # the module of a `use`, whose line the spans point at
    written: Written | None = None  # set for every policy of a file that was lowered

    def span_for(self, loc: Loc) -> Span:
        """The most precise span known for a JSON path (falls back to its parents)."""
        for end in range(len(loc), -1, -1):
            span = self.spans.get(loc[:end])
            if span is not None:
                return span
        return self.node.header


class _Sink:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def error(self, message: str, span: Span, hint: str | None = None) -> None:
        self.problems.append(Problem(message, span, hint))


# -- clause values ---------------------------------------------------------------------
Converter = Callable[[Any, _Sink], Any]


def _scalar(value: Literal, sink: _Sink) -> Any:
    return value.value


def _array(value: StringList, sink: _Sink) -> list[str]:
    return [str(item.value) for item in value.items]


def _string_or_array(value: StringList, sink: _Sink) -> str | list[str]:
    """A bare single string stays a string; a bracketed or longer list is an array."""
    if not value.bracketed and len(value.items) == 1:
        return str(value.items[0].value)
    return _array(value, sink)


def _hour(value: Hour, sink: _Sink) -> int | float:
    """The hour of `8`, `8:00`, or of a number in any form (`8.0`, `1e400`): a fraction, an
    hour out of range or infinity is left to the plan and `_check_values`, which word it as
    they word the JSON's. (Digits are never read with `int()` here: 5,000 of them would fail.)"""
    hours, _, minutes = value.text.partition(":")
    hour = number_value(hours)
    if minutes.strip("0"):
        hint = f"use {hour}:00 or {hour + 1}:00" if isinstance(hour, int) and hour < 24 else None
        sink.error(f"`{value.text}` has minutes, but time windows hold whole hours", value.span, hint)
    return hour


def _weekday(word: Literal, sink: _Sink) -> int | None:
    name = str(word.value)
    if name.lower() in WEEKDAYS:
        return WEEKDAYS.index(name.lower())
    sink.error(
        f"unknown day `{name}`",
        word.span,
        did_you_mean(name[:3], WEEKDAYS) or "days are sun, mon, tue, wed, thu, fri, sat",
    )
    return None


def _days(ranges: tuple[DayRange, ...], sink: _Sink) -> list[int]:
    days: list[int] = []
    for item in ranges:
        first = _weekday(item.first, sink)
        last = _weekday(item.last, sink) if item.last is not None else first
        if first is None or last is None:
            continue
        span = (last - first) % 7
        days.extend((first + step) % 7 for step in range(span + 1))
    return days


def _period(value: Literal, sink: _Sink) -> str:
    return PERIOD_TYPES[str(value.value)]


def _operator(value: Literal, sink: _Sink) -> str:
    return OPERATORS[str(value.value)]


#: (ruleType, clause kind) -> the config keys it sets, each with how to read its value.
CLAUSE_KEYS: dict[tuple[str, str], tuple[tuple[str, Converter], ...]] = {
    ("frequency_cap", "per_day"): (("maxPerDay", _scalar),),
    ("frequency_cap", "per_week"): (("maxPerWeek", _scalar),),
    ("frequency_cap", "per_month"): (("maxPerMonth", _scalar),),
    ("frequency_cap", "total"): (("maxTotal", _scalar),),
    ("frequency_cap", "per_days"): (("maxContacts", _scalar), ("windowDays", _scalar)),
    ("frequency_cap", "within_campaign"): (("withinCampaignId", _scalar),),
    ("frequency_cap", "excluding_campaigns"): (("excludeCampaignIds", _array),),
    ("cooldown", "hours"): (("cooldownHours", _scalar),),
    ("budget_exhausted", "budget"): (("budgetField", _scalar), ("threshold", _scalar)),
    ("outcome_based", "for"): (("suppressForDays", _scalar),),
    ("outcome_based", "after"): (("afterOutcome", _string_or_array),),
    ("outcome_based", "within"): (("withinDays", _scalar),),
    ("outcome_based", "of"): (("outcome", _string_or_array),),
    ("segment_exclusion", "segments"): (("excludeSegments", _array),),
    ("segment_exclusion", "segment"): (("segmentId", _scalar),),
    ("time_window", "between"): (("startHour", _hour), ("endHour", _hour)),
    ("time_window", "from"): (("startHour", _hour),),
    ("time_window", "until"): (("endHour", _hour),),
    ("time_window", "on"): (("daysOfWeek", _days),),
    ("time_window", "in"): (("timezone", _scalar),),
    ("mutual_exclusion", "exclusive"): (("excludeOfferIds", _array),),
    ("cross_channel_cap", "cap"): (("maxTotal", _scalar),),
    ("cross_channel_cap", "period"): (("periodType", _period),),
    ("cross_channel_cap", "across"): (("appliesAcross", _array),),
    ("customer_total_cap", "cap"): (("maxTotal", _scalar),),
    ("customer_total_cap", "period"): (("periodType", _period),),
    ("offer_category_cap", "cap"): (("maxTotal", _scalar),),
    ("offer_category_cap", "period"): (("periodType", _period),),
    ("offer_category_cap", "for"): (("targetCategory", _scalar),),
    ("allow_override", "because"): (("reason", _scalar),),
    ("category_suppression", "category"): (("categoryId", _scalar),),
    ("category_suppression", "subcategory"): (("subCategoryId", _scalar),),
    ("category_suppression", "for"): (("suppressionDays", _scalar),),
    ("do_not_contact", "list"): (("dncSource", _scalar),),
    ("do_not_contact", "because"): (("reason", _scalar),),
    ("metric_condition", "metric"): (("metricId", _scalar),),
    ("metric_condition", "operator"): (("operator", _operator),),
    ("metric_condition", "value"): (("threshold", _scalar),),
    ("cross_channel_cap", "per_days"): (("maxContacts", _scalar), ("windowDays", _scalar)),
    # `for each offer` ends any rule sentence; the plan says which rule types accept `per`
    **{(rule_type, "each"): (("per", _scalar),) for rule_type in RULE_TYPES},
}


def _item_spans(value: object) -> list[Span]:
    return [item.span for item in value.items] if isinstance(value, StringList) else []


def _lower_rule(rule: RuleStmt, out: Lowered, sink: _Sink) -> None:
    out.raw["ruleType"] = rule.rule_type
    out.spans[("ruleType",)] = rule.span
    out.spans[("config",)] = rule.span
    config = out.raw.setdefault("config", {})
    for clause in rule.clauses:
        _lower_clause(rule.rule_type, clause, config, out, sink)


def _lower_clause(rule_type: str, clause: Clause, config: Raw, out: Lowered, sink: _Sink) -> None:
    keys = CLAUSE_KEYS[(rule_type, clause.kind)]
    values: tuple[Any, ...] = clause.values
    if clause.kind == "on":  # the day list is the whole clause
        values = (clause.values,)
    for (key, convert), value in zip(keys, values, strict=True):
        span = getattr(value, "span", clause.span)
        if key in config:
            sink.error(f"`{key}` is set twice in this rule", span, "remove one of them")
            continue
        config[key] = convert(value, sink)
        out.spans[("config", key)] = span
        for index, item_span in enumerate(_item_spans(value)):
            out.spans[("config", key, index)] = item_span


# -- scopes ------------------------------------------------------------------------------
def _scope_dict(ref: ScopeRef) -> Raw:
    out: Raw = {}
    if ref.kind is not None:
        out["scope"] = ref.kind.value
    if ref.scope_id is not None:
        out["scopeId"] = ref.scope_id.value
    return out


def _scope_row(ref: ScopeRef, sink: _Sink) -> Raw:
    """An entry of `scopes`: the scope, and the server fields of its stored row."""
    out = _scope_dict(ref)
    for item in ref.row_fields:
        key = str(item.key.value)
        if key in out:
            sink.error(f"`{key}` is set twice in this scope", item.key.span, "remove one of them")
        elif key not in SCOPE_ROW_FIELDS:
            hint = did_you_mean(key, SCOPE_ROW_FIELDS) or "scope row fields: " + ", ".join(SCOPE_ROW_FIELDS)
            sink.error(f"unknown scope row field `{key}`", item.key.span, hint)
        else:
            out[key] = item.value.value
    return out


def _record_ref(ref: ScopeRef, prefix: Loc, out: Lowered) -> None:
    out.spans[prefix] = ref.span
    out.spans[(*prefix, "scope")] = ref.kind.span if ref.kind is not None else ref.span
    out.spans[(*prefix, "scopeId")] = ref.scope_id.span if ref.scope_id is not None else ref.span
    for item in ref.row_fields:
        out.spans[(*prefix, str(item.key.value))] = item.value.span


def _set_single_scope(ref: ScopeRef, out: Lowered) -> None:
    """scope/scopeId: row fields belong to the entries of `scopes` (checked by the caller)."""
    out.raw.update(_scope_dict(ref))
    out.spans[("scope",)] = ref.kind.span if ref.kind is not None else ref.span
    out.spans[("scopeId",)] = ref.scope_id.span if ref.scope_id is not None else ref.span


def _set_scope_list(refs: tuple[ScopeRef, ...] | None, stmt: ScopeStmt, out: Lowered, sink: _Sink) -> None:
    out.spans[("scopes",)] = stmt.span
    if refs is None:
        out.raw["scopes"] = None
        return
    out.raw["scopes"] = [_scope_row(ref, sink) for ref in refs]
    for index, ref in enumerate(refs):
        _record_ref(ref, ("scopes", index), out)


def _lower_scopes(statements: list[ScopeStmt], node: PolicyNode, out: Lowered, sink: _Sink) -> None:
    """`applies to` sets scope/scopeId and scopes; `scope`/`scopes` set one side each.

    Without any of them a policy is global: that is what a policy with no audience means.
    """
    if not statements:
        out.raw["scope"] = "global"
        out.spans[("scope",)] = node.header
        return
    applies = [s for s in statements if s.keyword == "applies"]
    if applies and len(statements) > 1:
        extra = next(s for s in statements if s is not applies[0])
        sink.error(
            "`applies to` cannot be combined with `scope`/`scopes` or repeated",
            extra.span,
            "list every scope in one `applies to`, or use `scope` and `scopes` alone",
        )
        statements = applies[:1]
    for stmt in statements:
        if stmt.keyword == "applies" and stmt.refs:
            _set_single_scope(stmt.refs[0], out)
            _set_scope_list(stmt.refs, stmt, out, sink)
        elif stmt.keyword == "scope" and stmt.refs:
            _set_single_scope(stmt.refs[0], out)
            if stmt.refs[0].row_fields:
                sink.error(
                    "`scope` has no row fields; they belong to the entries of `scopes`",
                    stmt.refs[0].row_fields[0].key.span,
                    "write them after a scope of `scopes` or `applies to`",
                )
        else:
            _set_scope_list(stmt.refs, stmt, out, sink)


# -- the policy ----------------------------------------------------------------------------
def _lower_meta(meta: MetaStmt, out: Lowered, sink: _Sink) -> None:
    for item in meta.fields:
        key = str(item.key.value)
        if key not in META_KEYS:
            hint = did_you_mean(key, META_KEYS) or "meta fields: " + ", ".join(META_KEYS)
            sink.error(f"unknown meta field `{key}`", item.key.span, hint)
        elif key in out.raw:
            sink.error(f"`{key}` is set twice in meta", item.key.span, "remove one of them")
        else:
            out.raw[key] = item.value.value
            out.spans[(key,)] = item.value.span


def _check_once(statements: list[Any], what: str, sink: _Sink) -> None:
    for extra in statements[1:]:
        sink.error(f"`{what}` is given more than once in this policy", extra.span, "keep one")


def lower_policy(node: PolicyNode, *, partial: bool = False) -> tuple[Lowered, list[Problem]]:
    """Lower one policy block; `partial` (after a syntax error) skips 'missing' checks."""
    sink = _Sink()
    out = Lowered(node, {"name": node.name.value})
    out.spans[()] = node.header
    out.spans[("name",)] = node.name.span
    fields = [s for s in node.statements if isinstance(s, FieldStmt)]
    for keyword in ("description", "status", "priority", "bypassable"):
        same = [s for s in fields if s.keyword == keyword]
        _check_once(same, keyword if keyword != "bypassable" else "can/cannot be overridden", sink)
        if same and keyword in FIELD_KEYS:
            out.raw[FIELD_KEYS[keyword]] = same[0].value.value
            out.spans[(FIELD_KEYS[keyword],)] = same[0].value.span
    scope_statements = [s for s in node.statements if isinstance(s, ScopeStmt)]
    for keyword in ("scope", "scopes"):
        _check_once([s for s in scope_statements if s.keyword == keyword], keyword, sink)
    _lower_scopes(scope_statements, node, out, sink)
    rules = [s for s in node.statements if isinstance(s, RuleStmt)]
    for extra in rules[1:]:
        sink.error(
            f"a policy has one rule, but this one has another ({extra.rule_type})",
            extra.span,
            "split it into two policies",
        )
    if rules:
        _lower_rule(rules[0], out, sink)
    elif not partial:
        sink.error(
            f"policy `{node.name.value}` has no rule",
            node.header,
            "add a rule sentence such as `cap 3 per week` or `cooldown 48 hours`",
        )
    bypass = [s for s in fields if s.keyword == "bypassable"]
    if bypass and rules:
        out.raw["config"]["bypassable"] = bypass[0].value.value
        out.spans[("config", "bypassable")] = bypass[0].span
    metas = [s for s in node.statements if isinstance(s, MetaStmt)]
    _check_once(metas, "meta", sink)
    for meta in metas[:1]:
        _lower_meta(meta, out, sink)
    _check_values(out.raw, (), out, sink)
    return out, sink.problems


def _check_values(value: object, loc: Loc, out: Lowered, sink: _Sink) -> None:
    """What JSON cannot hold: infinity (a number too large for a float), and strings with
    a lone surrogate (`"\\ud800"` decodes to one, but it is not Unicode text)."""
    if isinstance(value, float) and not math.isfinite(value):
        sink.error("this number is too large", out.span_for(loc), "JSON numbers must be finite")
    elif isinstance(value, str) and any("\ud800" <= ch <= "\udfff" for ch in value):
        char = next(ch for ch in value if "\ud800" <= ch <= "\udfff")
        sink.error(f"contains \\u{ord(char):04x}, which is not valid Unicode text", out.span_for(loc))
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_values(item, (*loc, key), out, sink)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_values(item, (*loc, index), out, sink)
