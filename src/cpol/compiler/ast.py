"""Syntax tree of a `.cpol` file: what the user wrote, each piece with its source span.

Nodes are built inside the LALR parse (see `builder.py`), so they stay close to the
grammar; `lower.py` turns them into plan dictionaries and reports what does not fit.
They are plain (not frozen) slotted dataclasses because the parser creates one per value
and frozen ones cost twice as much to build; nothing mutates them after the parse.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias

from cpol.diagnostics import Span

Scalar: TypeAlias = str | int | float | bool | list[Any] | None


@dataclass(slots=True)
class Literal:
    """A string, number or null with where it was written."""

    value: Scalar
    span: Span


@dataclass(slots=True)
class StringList:
    """`"a", "b"` (bare) or `["a"]` (bracketed): the distinction decides string vs array."""

    items: tuple[Literal, ...]
    bracketed: bool
    span: Span


@dataclass(slots=True)
class Hour:
    """`8`, `8:00` or `24:00`; minutes other than 00 are a compile error."""

    text: str
    span: Span


@dataclass(slots=True)
class DayRange:
    """`mon` or `mon..fri` (a range may wrap past Saturday)."""

    first: Literal
    last: Literal | None
    span: Span


@dataclass(slots=True)
class Clause:
    """One piece of a rule sentence that sets config keys, e.g. `3 per week`."""

    kind: str
    values: tuple[Literal | StringList | Hour | DayRange | str, ...]
    span: Span


@dataclass(slots=True)
class RuleStmt:
    """The rule sentence of a policy: its rule type and its clauses."""

    rule_type: str
    clauses: tuple[Clause, ...]
    span: Span


@dataclass(slots=True)
class ScopeRef:
    """`channel "ch_email"`, `global`, `global null` or a bare `"off_1"` (scopeId only), with
    the server fields of a stored scope row in parentheses (`(id "cps_001")`), if any."""

    kind: Literal | None
    scope_id: Literal | None
    span: Span
    row_fields: tuple[MetaField, ...] = ()


@dataclass(slots=True)
class ScopeStmt:
    """`applies to …` (scope + scopes), `scope …` (scope only) or `scopes …` (list only).

    `refs` is None for `scopes null` and empty for `scopes none`.
    """

    keyword: str
    refs: tuple[ScopeRef, ...] | None
    span: Span


@dataclass(slots=True)
class FieldStmt:
    """`description`, `status`, `priority` or the `can/cannot be overridden` flag."""

    keyword: str
    value: Literal
    span: Span


@dataclass(slots=True)
class MetaField:
    key: Literal
    value: Literal
    span: Span


@dataclass(slots=True)
class MetaStmt:
    """Server-owned fields, carried so that nothing in a JSON policy is lost."""

    fields: tuple[MetaField, ...]
    span: Span


Statement: TypeAlias = RuleStmt | ScopeStmt | FieldStmt | MetaStmt


@dataclass(slots=True)
class PolicyNode:
    name: Literal
    statements: tuple[Statement, ...]
    header: Span
    span: Span


@dataclass(slots=True)
class Comment:
    """A `#` comment; `own_line` is False when code precedes it on its line."""

    text: str
    span: Span
    own_line: bool


@dataclass(slots=True)
class UseArg:
    """`suppressForDays 30` in a `use … with …`: a JSON key of the imported policies."""

    key: Literal
    value: Literal
    span: Span


@dataclass(slots=True)
class UseNode:
    """`use "compliance/quiet_hours_sms" with timezone "Europe/London"`."""

    module: Literal
    args: tuple[UseArg, ...]
    span: Span


@dataclass(slots=True)
class Module:
    uses: tuple[UseNode, ...]
    policies: tuple[PolicyNode, ...]
