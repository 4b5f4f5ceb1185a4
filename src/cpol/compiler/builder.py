"""Builds the syntax tree inside the LALR parse: one callback per grammar rule.

The parser keeps every token, so each node's span runs from its first keyword to its last
value. Callbacks only shape what was written; meaning is given in `lower.py`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from lark import Token, Transformer, Tree

from cpol.compiler.ast import (
    Clause,
    DayRange,
    FieldStmt,
    Hour,
    Literal,
    MetaField,
    MetaStmt,
    Module,
    PolicyNode,
    RuleStmt,
    ScopeRef,
    ScopeStmt,
    StringList,
    UseArg,
    UseNode,
)
from cpol.diagnostics import Span
from cpol.grammar.parser import token_span

Child = Any
_USE_VALUE_TOKENS = frozenset({"STRING", "NUMBER", "NULL", "TRUE", "FALSE"})


def number_value(text: str) -> int | float:
    """Integers stay int, decimals float; a number too large to hold becomes infinity,
    which lowering reports (Python refuses to convert integers of over 4300 digits)."""
    if any(c in text for c in ".eE"):
        return float(text)
    try:
        return int(text)
    except ValueError:
        return math.inf


class AstBuilder(Transformer[Token, Any]):
    """Lark callbacks, named after the grammar's rules and aliases."""

    token_span = staticmethod(token_span)

    def __default__(self, data: Any, children: list[Child], meta: Any) -> Any:
        """Every named grammar rule has a callback: a generic tree would be skipped as no
        clause, silently dropping what the user wrote. (Inlined `_rules` only reach here
        while error recovery unwinds a broken statement.)"""
        if not str(data).startswith("_"):
            raise TypeError(f"the grammar rule `{data}` has no builder callback")
        return Tree(data, children, meta)

    def span_of(self, item: Child) -> Span:
        if isinstance(item, Token):
            return self.token_span(item)
        return item.span  # type: ignore[no-any-return]

    def cover(self, children: Sequence[Child]) -> Span:
        present = [c for c in children if c is not None]
        return self.span_of(present[0]).cover(self.span_of(present[-1]))

    def literal(self, token: Token) -> Literal:
        """A token's value: strings decoded as JSON, numbers kept int or float, null as None."""
        text = str(token)
        value: str | int | float | None
        if token.type == "STRING":
            value = json.loads(text)
        elif token.type == "NUMBER":
            value = number_value(text)
        elif token.type == "NULL":
            value = None
        else:
            value = text
        return Literal(value, self.token_span(token))

    def _values(self, children: Sequence[Child]) -> list[Child]:
        """Children that carry a value: everything but keywords and punctuation."""
        out: list[Child] = []
        for child in children:
            if child is None:
                continue
            if isinstance(child, Token):
                if child.type in ("STRING", "NUMBER", "NULL", "WORD", "OPERATOR", "CLOCK"):
                    out.append(self.literal(child))
                continue
            out.append(child)
        return out

    def _keyed(self, children: Sequence[Child]) -> list[Clause]:
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
            value = self.literal(child) if isinstance(child, Token) else child
            kind = (
                "operator"
                if isinstance(child, Token) and child.type == "OPERATOR"
                else (str(keyword) if keyword is not None else "value")
            )
            start = keyword if keyword is not None else child
            clauses.append(Clause(kind, (value,), self.cover([start, child])))
            keyword = None
        return clauses

    def _clause(self, kind: str, children: Sequence[Child]) -> Clause:
        return Clause(kind, tuple(self._values(children)), self.cover(children))

    def _rule_stmt(self, rule_type: str, children: Sequence[Child], clauses: Sequence[Clause]) -> RuleStmt:
        return RuleStmt(rule_type, tuple(clauses), self.cover(children))

    def _sentence(self, rule_type: str, kind: str, children: Sequence[Child]) -> RuleStmt:
        """A rule of one clause: every value of the sentence, and a trailing `for each` if any."""
        own = [child for child in children if not isinstance(child, Clause)]
        trailing = [child for child in children if isinstance(child, Clause)]
        return self._rule_stmt(rule_type, children, [self._clause(kind, own), *trailing])

    # -- file and policy ---------------------------------------------------------------
    def start(self, children: list[Child]) -> Module:
        uses = tuple(c for c in children if isinstance(c, UseNode))
        return Module(uses, tuple(c for c in children if isinstance(c, PolicyNode)))

    def use(self, c: list[Child]) -> UseNode:
        return UseNode(self.literal(c[1]), tuple(x for x in c if isinstance(x, UseArg)), self.cover(c))

    def use_arg(self, c: list[Child]) -> UseArg:
        value = c[1] if isinstance(c[1], Literal) else self._use_value(c[1])
        return UseArg(c[0], value, self.cover(c))

    def use_key(self, c: list[Child]) -> Literal:
        return Literal(str(c[0]), self.token_span(c[0]))

    def use_list(self, c: list[Child]) -> Literal:
        values = [
            x.value if isinstance(x, Literal) else self._use_value(x).value
            for x in c
            if isinstance(x, Literal) or (isinstance(x, Token) and x.type in _USE_VALUE_TOKENS)
        ]
        return Literal(values, self.cover(c))

    def _use_value(self, token: Token) -> Literal:
        if token.type in ("TRUE", "FALSE"):
            return Literal(token.type == "TRUE", self.token_span(token))
        return self.literal(token)

    def policy(self, children: list[Child]) -> PolicyNode:
        keyword, name = children[0], children[1]
        statements = tuple(c for c in children[2:] if not isinstance(c, Token))
        return PolicyNode(self.literal(name), statements, self.cover([keyword, name]), self.cover(children))

    def description(self, c: list[Child]) -> FieldStmt:
        return FieldStmt("description", self.literal(c[1]), self.cover(c))

    def status(self, c: list[Child]) -> FieldStmt:
        return FieldStmt("status", self.literal(c[1]), self.cover(c))

    def priority(self, c: list[Child]) -> FieldStmt:
        return FieldStmt("priority", self.literal(c[1]), self.cover(c))

    def bypass(self, c: list[Child]) -> FieldStmt:
        return FieldStmt("bypassable", Literal(str(c[0]) == "can", self.token_span(c[0])), self.cover(c))

    # -- scopes ------------------------------------------------------------------------
    def applies(self, c: list[Child]) -> ScopeStmt:
        return ScopeStmt("applies", tuple(x for x in c if isinstance(x, ScopeRef)), self.cover(c))

    def scope(self, c: list[Child]) -> ScopeStmt:
        ref = c[1]
        if isinstance(ref, Token):  # `scope null`: only a null scopeId
            ref = ScopeRef(None, self.literal(ref), self.token_span(ref))
        return ScopeStmt("scope", (ref,), self.cover(c))

    def scopes(self, c: list[Child]) -> ScopeStmt:
        refs = tuple(x for x in c if isinstance(x, ScopeRef))
        if not refs and isinstance(c[1], Token) and c[1].type == "NULL":
            return ScopeStmt("scopes", None, self.cover(c))
        return ScopeStmt("scopes", refs, self.cover(c))

    def scope_ref(self, c: list[Child]) -> ScopeRef:
        scope_id = self.literal(c[1]) if c[1] is not None else None
        return self._scope_ref(c[0], scope_id, c[:2], c[2])

    def bare_scope_id(self, c: list[Child]) -> ScopeRef:
        return self._scope_ref(None, self.literal(c[0]), c[:1], c[1])

    def _scope_ref(
        self,
        kind: Literal | None,
        scope_id: Literal | None,
        head: list[Child],
        rows: Sequence[MetaField] | None,
    ) -> ScopeRef:
        fields = tuple(rows or ())
        return ScopeRef(kind, scope_id, self.cover([*head, *fields]), fields)

    def row_fields(self, c: list[Child]) -> tuple[MetaField, ...]:
        return tuple(x for x in c if isinstance(x, MetaField))

    def scope_kind(self, c: list[Child]) -> Literal:
        return Literal(str(c[0]), self.token_span(c[0]))

    def meta(self, c: list[Child]) -> MetaStmt:
        return MetaStmt(tuple(x for x in c if isinstance(x, MetaField)), self.cover(c))

    def meta_field(self, c: list[Child]) -> MetaField:
        return MetaField(self.literal(c[0]), self.literal(c[1]), self.cover(c))

    # -- shared pieces -----------------------------------------------------------------
    def bare_strings(self, c: list[Child]) -> StringList:
        return StringList(tuple(self.literal(t) for t in c if t.type == "STRING"), False, self.cover(c))

    def bracket_strings(self, c: list[Child]) -> StringList:
        items = tuple(self.literal(t) for t in c if isinstance(t, Token) and t.type == "STRING")
        return StringList(items, True, self.cover(c))

    def period(self, c: list[Child]) -> Clause:
        unit = c[1] if isinstance(c[1], Literal) else Literal("total", self.token_span(c[1]))
        return Clause("period", (unit,), self.cover(c))

    def per_each(self, c: list[Child]) -> Clause:
        """`for each offer`: the config key `per`."""
        return Clause("each", (c[2],), self.cover(c))

    def period_unit(self, c: list[Child]) -> Literal:
        return Literal(str(c[0]), self.token_span(c[0]))

    def hour(self, c: list[Child]) -> Hour:
        return Hour(str(c[0]), self.token_span(c[0]))

    def day_item(self, c: list[Child]) -> DayRange:
        last = self.literal(c[2]) if len(c) > 2 and c[2] is not None else None
        return DayRange(self.literal(c[0]), last, self.cover(c))

    # -- frequency_cap -----------------------------------------------------------------
    def frequency_cap(self, c: list[Child]) -> RuleStmt:
        return self._rule_stmt("frequency_cap", c, [x for x in c if isinstance(x, Clause)])

    def cap_per_period(self, c: list[Child]) -> Clause:
        return Clause(f"per_{c[2].value}", (self.literal(c[0]),), self.cover(c))

    def cap_per_days(self, c: list[Child]) -> Clause:
        return self._clause("per_days", c)

    def cap_in_total(self, c: list[Child]) -> Clause:
        return self._clause("total", c)

    def within_campaign(self, c: list[Child]) -> Clause:
        return self._clause("within_campaign", c)

    def excluding_campaigns(self, c: list[Child]) -> Clause:
        return self._clause("excluding_campaigns", c)

    # -- single-sentence rules ---------------------------------------------------------
    def cooldown(self, c: list[Child]) -> RuleStmt:
        return self._sentence("cooldown", "hours", c)

    def budget_exhausted(self, c: list[Child]) -> RuleStmt:
        return self._sentence("budget_exhausted", "budget", c)

    def mutual_exclusion(self, c: list[Child]) -> RuleStmt:
        return self._sentence("mutual_exclusion", "exclusive", c)

    def cross_channel_cap(self, c: list[Child]) -> RuleStmt:
        return self._rule_stmt("cross_channel_cap", c, self._keyed(c))

    def customer_total_cap(self, c: list[Child]) -> RuleStmt:
        return self._rule_stmt("customer_total_cap", c, self._keyed(c))

    def offer_category_cap(self, c: list[Child]) -> RuleStmt:
        return self._rule_stmt("offer_category_cap", c, self._keyed(c))

    def allow_override(self, c: list[Child]) -> RuleStmt:
        return self._rule_stmt("allow_override", c, self._keyed(c))

    def do_not_contact(self, c: list[Child]) -> RuleStmt:
        return self._rule_stmt("do_not_contact", c, self._keyed(c))

    def metric_condition(self, c: list[Child]) -> RuleStmt:
        return self._rule_stmt("metric_condition", c, self._keyed(c))

    def category_suppression(self, c: list[Child]) -> RuleStmt:
        return self._rule_stmt("category_suppression", c, self._keyed(c))

    def subcategory_suppression(self, c: list[Child]) -> RuleStmt:
        return self._rule_stmt("category_suppression", c, self._keyed(c))

    # -- clause-based rules ------------------------------------------------------------
    def outcome_based(self, c: list[Child]) -> RuleStmt:
        return self._rule_stmt("outcome_based", c, [x for x in c if isinstance(x, Clause)])

    def suppress_for(self, c: list[Child]) -> Clause:
        return self._clause("for", c)

    def after_outcome(self, c: list[Child]) -> Clause:
        return self._clause("after", c)

    def within_days(self, c: list[Child]) -> Clause:
        return self._clause("within", c)

    def of_outcome(self, c: list[Child]) -> Clause:
        return self._clause("of", c)

    def segment_exclusion(self, c: list[Child]) -> RuleStmt:
        return self._rule_stmt("segment_exclusion", c, [x for x in c if isinstance(x, Clause)])

    def exclude_segments(self, c: list[Child]) -> Clause:
        return self._clause("segments", c)

    def segment_id(self, c: list[Child]) -> Clause:
        return self._clause("segment", c)

    def time_window(self, c: list[Child]) -> RuleStmt:
        return self._rule_stmt("time_window", c, [x for x in c if isinstance(x, Clause)])

    def between(self, c: list[Child]) -> Clause:
        return self._clause("between", c)

    def from_hour(self, c: list[Child]) -> Clause:
        return self._clause("from", c)

    def until_hour(self, c: list[Child]) -> Clause:
        return self._clause("until", c)

    def on_days(self, c: list[Child]) -> Clause:
        return self._clause("on", c)

    def on_no_days(self, c: list[Child]) -> Clause:
        return Clause("on", (), self.cover(c))

    def in_timezone(self, c: list[Child]) -> Clause:
        return self._clause("in", c)


NO_SPAN = Span(0, 0, 1, 1, 1, 1)


class LeanAstBuilder(AstBuilder):
    """The same tree without source positions, for re-parsing text the printer made.

    The decompiler and formatter re-read their own output to prove it means the same;
    no diagnostic ever points into that text, so positions would be wasted work.
    """

    @staticmethod
    def token_span(token: Token) -> Span:
        return NO_SPAN

    def cover(self, children: Sequence[Child]) -> Span:
        return NO_SPAN
