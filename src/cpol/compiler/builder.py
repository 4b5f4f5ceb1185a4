"""Builds the syntax tree inside the LALR parse: one callback per grammar rule.

The parser keeps every token, so each node's span runs from its first keyword to its last
value. Callbacks only shape what was written; meaning is given in `lower.py`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from lark import Token, Transformer

from cpol.compiler.ast import (
    Clause,
    DayRange,
    FieldStmt,
    Hour,
    Literal,
    MetaField,
    MetaStmt,
    PolicyNode,
    RuleStmt,
    ScopeRef,
    ScopeStmt,
    StringList,
)
from cpol.diagnostics import Span
from cpol.grammar.parser import token_span

Child = Any


def span_of(item: Child) -> Span:
    if isinstance(item, Token):
        return token_span(item)
    return item.span  # type: ignore[no-any-return]


def cover(children: Sequence[Child]) -> Span:
    present = [c for c in children if c is not None]
    return span_of(present[0]).cover(span_of(present[-1]))


def literal(token: Token) -> Literal:
    """A token's value: strings decoded as JSON, numbers kept int or float, null as None."""
    text = str(token)
    value: str | int | float | None
    if token.type == "STRING":
        value = json.loads(text)
    elif token.type == "NUMBER":
        value = float(text) if any(c in text for c in ".eE") else int(text)
    elif token.type == "NULL":
        value = None
    else:
        value = text
    return Literal(value, token_span(token))


def _values(children: Sequence[Child]) -> list[Child]:
    """Children that carry a value: everything but keywords and punctuation."""
    out: list[Child] = []
    for child in children:
        if child is None:
            continue
        if isinstance(child, Token):
            if child.type in ("STRING", "NUMBER", "NULL", "WORD", "OPERATOR", "CLOCK"):
                out.append(literal(child))
            continue
        out.append(child)
    return out


def _keyed(children: Sequence[Child]) -> list[Clause]:
    """Pair each value with the keyword before it: `on list "x"` -> Clause("list", "x")."""
    clauses: list[Clause] = []
    keyword: Token | None = None
    for child in children:
        if child is None:
            continue
        if isinstance(child, Token) and child.type not in ("STRING", "NUMBER", "OPERATOR"):
            keyword = child
            continue
        if isinstance(child, Clause):
            clauses.append(child)
            continue
        value = literal(child) if isinstance(child, Token) else child
        kind = "operator" if isinstance(child, Token) and child.type == "OPERATOR" else (
            str(keyword) if keyword is not None else "value"
        )
        start = keyword if keyword is not None else child
        clauses.append(Clause(kind, (value,), cover([start, child])))
        keyword = None
    return clauses


def _clause(kind: str, children: Sequence[Child]) -> Clause:
    return Clause(kind, tuple(_values(children)), cover(children))


def _rule(rule_type: str, children: Sequence[Child], clauses: Sequence[Clause]) -> RuleStmt:
    return RuleStmt(rule_type, tuple(clauses), cover(children))


class AstBuilder(Transformer[Token, Any]):
    """Lark callbacks, named after the grammar's rules and aliases."""

    # -- file and policy ---------------------------------------------------------------
    def start(self, children: list[Child]) -> tuple[PolicyNode, ...]:
        return tuple(c for c in children if isinstance(c, PolicyNode))

    def policy(self, children: list[Child]) -> PolicyNode:
        keyword, name = children[0], children[1]
        statements = tuple(c for c in children[2:] if not isinstance(c, Token))
        return PolicyNode(literal(name), statements, cover([keyword, name]), cover(children))

    def description(self, c: list[Child]) -> FieldStmt:
        return FieldStmt("description", literal(c[1]), cover(c))

    def status(self, c: list[Child]) -> FieldStmt:
        return FieldStmt("status", literal(c[1]), cover(c))

    def priority(self, c: list[Child]) -> FieldStmt:
        return FieldStmt("priority", literal(c[1]), cover(c))

    def bypass(self, c: list[Child]) -> FieldStmt:
        return FieldStmt("bypassable", Literal(str(c[0]) == "can", token_span(c[0])), cover(c))

    # -- scopes ------------------------------------------------------------------------
    def applies(self, c: list[Child]) -> ScopeStmt:
        return ScopeStmt("applies", tuple(x for x in c if isinstance(x, ScopeRef)), cover(c))

    def scope(self, c: list[Child]) -> ScopeStmt:
        return ScopeStmt("scope", (c[1],), cover(c))

    def scopes(self, c: list[Child]) -> ScopeStmt:
        refs = tuple(x for x in c if isinstance(x, ScopeRef))
        if not refs and isinstance(c[1], Token) and c[1].type == "NULL":
            return ScopeStmt("scopes", None, cover(c))
        return ScopeStmt("scopes", refs, cover(c))

    def scope_ref(self, c: list[Child]) -> ScopeRef:
        scope_id = literal(c[1]) if c[1] is not None else None
        return ScopeRef(c[0], scope_id, cover(c))

    def bare_scope_id(self, c: list[Child]) -> ScopeRef:
        return ScopeRef(None, literal(c[0]), cover(c))

    def scope_kind(self, c: list[Child]) -> Literal:
        return Literal(str(c[0]), token_span(c[0]))

    def meta(self, c: list[Child]) -> MetaStmt:
        return MetaStmt(tuple(x for x in c if isinstance(x, MetaField)), cover(c))

    def meta_field(self, c: list[Child]) -> MetaField:
        return MetaField(literal(c[0]), literal(c[1]), cover(c))

    # -- shared pieces -----------------------------------------------------------------
    def bare_strings(self, c: list[Child]) -> StringList:
        return StringList(tuple(literal(t) for t in c if t.type == "STRING"), False, cover(c))

    def bracket_strings(self, c: list[Child]) -> StringList:
        items = tuple(literal(t) for t in c if isinstance(t, Token) and t.type == "STRING")
        return StringList(items, True, cover(c))

    def period(self, c: list[Child]) -> Clause:
        unit = c[1] if isinstance(c[1], Literal) else Literal("total", token_span(c[1]))
        return Clause("period", (unit,), cover(c))

    def period_unit(self, c: list[Child]) -> Literal:
        return Literal(str(c[0]), token_span(c[0]))

    def hour(self, c: list[Child]) -> Hour:
        return Hour(str(c[0]), token_span(c[0]))

    def day_item(self, c: list[Child]) -> DayRange:
        last = literal(c[2]) if len(c) > 2 and c[2] is not None else None
        return DayRange(literal(c[0]), last, cover(c))

    # -- frequency_cap -----------------------------------------------------------------
    def frequency_cap(self, c: list[Child]) -> RuleStmt:
        return _rule("frequency_cap", c, [x for x in c if isinstance(x, Clause)])

    def cap_per_period(self, c: list[Child]) -> Clause:
        return Clause(f"per_{c[2].value}", (literal(c[0]),), cover(c))

    def cap_per_days(self, c: list[Child]) -> Clause:
        return _clause("per_days", c)

    def cap_in_total(self, c: list[Child]) -> Clause:
        return _clause("total", c)

    def within_campaign(self, c: list[Child]) -> Clause:
        return _clause("within_campaign", c)

    def excluding_campaigns(self, c: list[Child]) -> Clause:
        return _clause("excluding_campaigns", c)

    # -- single-sentence rules ---------------------------------------------------------
    def cooldown(self, c: list[Child]) -> RuleStmt:
        return _rule("cooldown", c, [_clause("hours", c)])

    def budget_exhausted(self, c: list[Child]) -> RuleStmt:
        return _rule("budget_exhausted", c, [_clause("budget", c)])

    def mutual_exclusion(self, c: list[Child]) -> RuleStmt:
        return _rule("mutual_exclusion", c, [_clause("exclusive", c)])

    def cross_channel_cap(self, c: list[Child]) -> RuleStmt:
        return _rule("cross_channel_cap", c, _keyed(c))

    def customer_total_cap(self, c: list[Child]) -> RuleStmt:
        return _rule("customer_total_cap", c, _keyed(c))

    def offer_category_cap(self, c: list[Child]) -> RuleStmt:
        return _rule("offer_category_cap", c, _keyed(c))

    def allow_override(self, c: list[Child]) -> RuleStmt:
        return _rule("allow_override", c, _keyed(c))

    def do_not_contact(self, c: list[Child]) -> RuleStmt:
        return _rule("do_not_contact", c, _keyed(c))

    def metric_condition(self, c: list[Child]) -> RuleStmt:
        return _rule("metric_condition", c, _keyed(c))

    def category_suppression(self, c: list[Child]) -> RuleStmt:
        return _rule("category_suppression", c, _keyed(c))

    def subcategory_suppression(self, c: list[Child]) -> RuleStmt:
        return _rule("category_suppression", c, _keyed(c))

    # -- clause-based rules ------------------------------------------------------------
    def outcome_based(self, c: list[Child]) -> RuleStmt:
        return _rule("outcome_based", c, [x for x in c if isinstance(x, Clause)])

    def suppress_for(self, c: list[Child]) -> Clause:
        return _clause("for", c)

    def after_outcome(self, c: list[Child]) -> Clause:
        return _clause("after", c)

    def within_days(self, c: list[Child]) -> Clause:
        return _clause("within", c)

    def of_outcome(self, c: list[Child]) -> Clause:
        return _clause("of", c)

    def segment_exclusion(self, c: list[Child]) -> RuleStmt:
        return _rule("segment_exclusion", c, [x for x in c if isinstance(x, Clause)])

    def exclude_segments(self, c: list[Child]) -> Clause:
        return _clause("segments", c)

    def segment_id(self, c: list[Child]) -> Clause:
        return _clause("segment", c)

    def time_window(self, c: list[Child]) -> RuleStmt:
        return _rule("time_window", c, [x for x in c if isinstance(x, Clause)])

    def between(self, c: list[Child]) -> Clause:
        return _clause("between", c)

    def from_hour(self, c: list[Child]) -> Clause:
        return _clause("from", c)

    def until_hour(self, c: list[Child]) -> Clause:
        return _clause("until", c)

    def on_days(self, c: list[Child]) -> Clause:
        return _clause("on", c)

    def on_no_days(self, c: list[Child]) -> Clause:
        return Clause("on", (), cover(c))

    def in_timezone(self, c: list[Child]) -> Clause:
        return _clause("in", c)
