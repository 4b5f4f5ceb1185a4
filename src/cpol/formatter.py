"""`cpol fmt`: canonical layout of `.cpol` source, keeping every comment.

The source is parsed and lowered, then printed by the decompiler's printer, so formatted
text and decompiled text are the same canonical form. Each comment is attached to the
statement it stands before (or trails); statements may move to their canonical order and
their comments move with them. Like Cedar's formatter, the result is re-parsed and must
mean the same and hold the same comments, or formatting fails instead of changing a file.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cpol.compiler.ast import Comment, FieldStmt, MetaStmt, PolicyNode, RuleStmt, Statement, UseNode
from cpol.compiler.compile import LoweredFile, lower_source
from cpol.decompiler.printer import render_policies
from cpol.diagnostics import Diagnostic, Diagnostics, Span
from cpol.plan.equality import identical

_STRING_OR_COMMENT = re.compile(r'"(?:[^"\\\n]|\\.)*"|#[^\n]*')


class FormatError(RuntimeError):
    """The formatter's output would not mean what the input meant: a bug, never shown as text."""


def scan_comments(text: str) -> list[Comment]:
    """Every `#` comment outside strings, with whether code precedes it on its line."""
    comments: list[Comment] = []
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    for match in _STRING_OR_COMMENT.finditer(text):
        if not match.group().startswith("#"):
            continue
        start = match.start()
        line = _line_of(line_starts, start)
        column = start - line_starts[line - 1] + 1
        own_line = not text[line_starts[line - 1] : start].strip()
        span = Span(start, match.end(), line, column, line, column + len(match.group()))
        comments.append(Comment(match.group().rstrip(), span, own_line))
    return comments


def _line_of(line_starts: Sequence[int], offset: int) -> int:
    low, high = 0, len(line_starts)
    while low + 1 < high:
        middle = (low + high) // 2
        if line_starts[middle] <= offset:
            low = middle
        else:
            high = middle
    return low + 1


def _kind(statement: Statement) -> str:
    if isinstance(statement, FieldStmt):
        return statement.keyword
    if isinstance(statement, RuleStmt):
        return "rule"
    if isinstance(statement, MetaStmt):
        return "meta"
    return "scope"


@dataclass
class PolicyNotes:
    """Comments of one policy, handed out once each while the template prints it."""

    leading: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    trailing: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def before(self, where: str) -> str:
        indent = "" if where == "header" else "  "
        return "".join(f"{indent}{line}\n" if line else "\n" for line in self._lines(where))

    def _lines(self, where: str) -> list[str]:
        lines = self.leading.pop(where, [])
        trailing = self.trailing.get(where, [])
        if len(trailing) > 1:  # a statement that spanned lines now fits on one
            lines.extend(trailing[:-1])
            del trailing[:-1]
        if where == "close":  # whatever was not printed (a dropped `scope global`)
            for key in [k for k in self.leading if k != "close"]:
                lines.extend(self.leading.pop(key))
            for key in [k for k in self.trailing if k != "close"]:
                lines.extend(self.trailing.pop(key))
        return lines

    def after(self, where: str) -> str:
        items = self.trailing.pop(where, [])
        return f"  {items[-1]}" if items else ""


@dataclass
class _Anchor:
    """A place a comment can attach to: a statement, a policy header or its closing brace."""

    kind: str
    start_line: int
    end_line: int


def _anchors(node: PolicyNode | UseNode) -> list[_Anchor]:
    if isinstance(node, UseNode):
        return [_Anchor("header", node.span.line, node.span.end_line)]
    anchors = [_Anchor("header", node.header.line, node.header.end_line)]
    for statement in sorted(node.statements, key=lambda s: s.span.start):
        anchors.append(_Anchor(_kind(statement), statement.span.line, statement.span.end_line))
    anchors.append(_Anchor("close", node.span.end_line, node.span.end_line))
    return anchors


def _attach(
    comments: list[Comment], nodes: Sequence[PolicyNode | UseNode]
) -> tuple[list[PolicyNotes], list[str]]:
    """Give each comment to the statement it trails, or the next one it stands before."""
    notes = [PolicyNotes() for _ in nodes]
    anchors = [_anchors(node) for node in nodes]
    starts = [node.span.line for node in nodes]
    footer: list[str] = []
    last_line: dict[tuple[int, str], int] = {}
    for comment in comments:
        line = comment.span.line
        index = bisect.bisect_right(starts, line) - 1
        inside = index >= 0 and line <= nodes[index].span.end_line
        if not inside:
            index += 1
        if index >= len(nodes):
            _append_with_gap(footer, comment.text, line, last_line, (-1, "footer"))
        elif not comment.own_line:
            anchor = _trailed(anchors[index], line)
            notes[index].trailing[anchor.kind].append(comment.text)
        else:
            anchor = next(a for a in anchors[index] if a.end_line >= line)
            key = (index, anchor.kind)
            _append_with_gap(notes[index].leading[anchor.kind], comment.text, line, last_line, key)
    for (index, kind), line in last_line.items():
        if index >= 0 and _gap_before(anchors[index], kind, line):
            notes[index].leading[kind].append("")
    return notes, footer


def _trailed(anchors: list[_Anchor], line: int) -> _Anchor:
    """The statement a same-line comment belongs to: the last one ending on that line."""
    ending = [a for a in anchors if a.end_line == line]
    if ending:
        return ending[-1]
    covering = [a for a in anchors if a.start_line <= line <= a.end_line]
    if covering:
        return covering[-1]
    before = [a for a in anchors if a.start_line <= line]  # e.g. a lone `{` line
    return before[-1] if before else anchors[0]


def _append_with_gap(
    lines: list[str], text: str, line: int, last_line: dict[tuple[int, str], int], key: tuple[int, str]
) -> None:
    """Keep one blank line where the user separated comments with blank lines."""
    previous = last_line.get(key)
    if previous is not None and line - previous > 1:
        lines.append("")
    lines.append(text)
    last_line[key] = line


def _gap_before(anchors: list[_Anchor], kind: str, comment_line: int) -> bool:
    anchor = next(a for a in anchors if a.kind == kind)
    return anchor.start_line - comment_line > 1


def use_json(use: UseNode) -> dict[str, Any]:
    """A `use` statement as data for the printer (and for comparing before and after)."""
    return {"module": use.module.value, "args": [[arg.key.value, arg.value.value] for arg in use.args]}


def _syntax_errors(lowered: LoweredFile) -> list[Diagnostic]:
    return [d for d in lowered.diagnostics if d.severity == "error"]


def format_source(text: str, filename: str = "<input>") -> str:
    """The canonical form of a `.cpol` text, or `Diagnostics` if it cannot be read."""
    lowered = lower_source(text, filename)
    errors = _syntax_errors(lowered)
    if errors:
        raise Diagnostics(errors)
    comments = scan_comments(text)
    nodes: list[PolicyNode | UseNode] = [*lowered.uses, *(policy.node for policy in lowered.policies)]
    notes, footer = _attach(comments, nodes)
    uses = [use_json(use) for use in lowered.uses]
    split = len(uses)
    output = render_policies([p.raw for p in lowered.policies], notes[split:], uses, notes[:split])
    if footer:
        output += ("\n" if output else "") + "".join(f"{line}\n" for line in footer)
    _verify(lowered, comments, output, filename)
    return output


def _verify(before: LoweredFile, comments: list[Comment], output: str, filename: str) -> None:
    after = lower_source(output, filename, positions=False)
    same = identical([p.raw for p in after.policies], [p.raw for p in before.policies]) and identical(
        [use_json(u) for u in after.uses], [use_json(u) for u in before.uses]
    )
    if _syntax_errors(after) or not same:
        raise FormatError(f"formatting {filename} would change its meaning; file left as it was")
    if Counter(c.text for c in scan_comments(output)) != Counter(c.text for c in comments):
        raise FormatError(f"formatting {filename} would lose a comment; file left as it was")
