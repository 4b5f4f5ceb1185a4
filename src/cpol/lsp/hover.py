"""Hover: what a word means (the docs' text), the JSON it lowers to, and where its policy is
evaluated among the file's policies."""

from __future__ import annotations

import json
import zoneinfo
from datetime import UTC, datetime

from cpol.compiler.ast import FieldStmt, MetaStmt, RuleStmt, ScopeStmt, Statement
from cpol.compiler.lower import Lowered
from cpol.diagnostics import Span
from cpol.lsp.document import Analysis, Block
from cpol.lsp.language import EACH, SENTENCES, STATEMENTS, UNITS, Entry
from cpol.lsp.modules import module
from cpol.lsp.tokens import Token, string_value
from cpol.plan import Policy
from cpol.runtime import evaluation_order


def contains(span: Span, line: int, column: int) -> bool:
    """Whether a document span (1-based) holds a 0-based position, its end included."""
    start, end = (span.line - 1, span.column - 1), (span.end_line - 1, span.end_column - 1)
    return start <= (line, column) <= end


def policy_at(analysis: Analysis, line: int, column: int) -> tuple[Block, Lowered] | None:
    block = analysis.block_at(line)
    if block is None:
        return None
    for lowered in block.compiled.own:
        if contains(block.shift(lowered.node.span), line, column):
            return block, lowered
    return None


def _entry(statement: Statement) -> Entry:
    if isinstance(statement, RuleStmt):
        return SENTENCES[statement.rule_type]
    if isinstance(statement, FieldStmt) and statement.keyword == "bypassable":
        return STATEMENTS["can" if statement.value.value else "cannot"]
    if isinstance(statement, MetaStmt):
        return STATEMENTS["meta"]
    assert isinstance(statement, FieldStmt | ScopeStmt)
    return STATEMENTS[statement.keyword]


def _describe(entry: Entry, docs: str) -> str:
    return f"`{entry.syntax}`\n\n{entry.summary}\n\n[docs]({docs}/language.md#{entry.anchor})"


def _json_block(value: object) -> str:
    return "```json\n" + json.dumps(value, indent=2, ensure_ascii=False) + "\n```"


def _json_at(block: Block, lowered: Lowered, line: int, column: int) -> str | None:
    """The most precise JSON path written at the position, with its value."""
    found: tuple[tuple[str | int, ...], int] | None = None
    for loc, span in lowered.spans.items():
        shifted = block.shift(span)
        if loc and contains(shifted, line, column):
            size = (shifted.end_line - shifted.line) * 10_000 + shifted.end_column - shifted.column
            if found is None or size < found[1]:
                found = (loc, size)
    if found is None:
        return None
    value: object = lowered.raw
    for part in found[0]:
        value = value[part] if isinstance(value, dict | list) else None  # type: ignore[index]
    path = ".".join(str(part) for part in found[0])
    return f"lowers to `{path}`: `{json.dumps(value, ensure_ascii=False)}`"


def _compiled(block: Block, lowered: Lowered) -> Policy | None:
    return next((i.policy for i in block.compiled.located if i.origin.lowered is lowered), None)


def _position(analysis: Analysis, policy: Policy) -> str:
    """Where the engine evaluates the policy among the file's (imported ones included)."""
    order = evaluation_order([item.policy for item in analysis.located])
    rank = next(index for index, other in enumerate(order) if other is policy) + 1
    active = (policy.status or "active") == "active" and policy.deletedAt is None
    state = "" if active else f" (status {policy.status or 'deleted'}: skipped)"
    rule = "priority desc, then newest `createdAt`, then `id`"
    return f"evaluated **{rank} of {len(order)}** in this file{state}: {rule}"


def _zone(name: str) -> str:
    try:
        zone = zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return f"`{name}` is not an IANA time zone"
    offset = datetime.now(UTC).astimezone(zone).strftime("%z %Z").split(" ")
    return f"IANA time zone `{name}`: now UTC{offset[0][:3]}:{offset[0][3:]} ({offset[1]})"


def _word(token: Token, previous: Token | None, statement: Statement) -> str | None:
    """Text about the word itself: a unit, a time zone, `for each`."""
    if token.text in UNITS and token.kind == "keyword":
        unit = UNITS[token.text]
        return f"`{unit.syntax}`: {unit.summary}"
    in_window = isinstance(statement, RuleStmt) and statement.rule_type == "time_window"
    if token.kind == "string" and previous is not None and previous.text == "in" and in_window:
        return _zone(string_value(token.text))
    if token.text == "each":
        return f"`{EACH.syntax}`: {EACH.summary}"
    return None


def hover(analysis: Analysis, tokens: list[Token], token: Token, docs: str) -> str | None:
    """Markdown for the token under the cursor, or None where there is nothing to say."""
    if token.kind in ("comment", "punct"):
        return None
    if module_text := _use_module(analysis, tokens, token):
        return module_text
    found = policy_at(analysis, token.line, token.column)
    if found is None:
        return None
    block, lowered = found
    policy = _compiled(block, lowered)
    if contains(block.shift(lowered.node.header), token.line, token.column):
        parts = [_describe(STATEMENTS["policy"], docs)]
        if policy is not None:
            parts += [_position(analysis, policy), _json_block(policy.to_json())]
        return "\n\n".join(parts)
    statement = next(
        (s for s in lowered.node.statements if contains(block.shift(s.span), token.line, token.column)), None
    )
    if statement is None:
        return None
    index = tokens.index(token)
    parts = [text for text in (_word(token, tokens[index - 1] if index else None, statement),) if text]
    parts.append(_describe(_entry(statement), docs))
    if written := _json_at(block, lowered, token.line, token.column):
        parts.append(written)
    if isinstance(statement, RuleStmt) and policy is not None:
        parts.append(_json_block({"ruleType": policy.ruleType, "config": policy.to_json().get("config", {})}))
    return "\n\n".join(parts)


def _use_module(analysis: Analysis, tokens: list[Token], token: Token) -> str | None:
    """A `use` line: the module's own comment, its parameters and its compiled policies."""
    line = [t for t in tokens if t.line == token.line]
    if not line or line[0].text != "use":
        return None
    name = use_name(line)
    if name is None:
        return _describe(STATEMENTS["use"], "")
    found = module(name)
    if found is None:
        return f"`{name}`: not a standard-library module"
    parameters = ", ".join(f"`{p}`" for p in found.parameters)
    body = f"```json\n{found.policies_json}\n```"
    return f"**{found.name}**\n\n{found.about}\n\nparameters: {parameters}\n\n{body}"


def use_name(line: list[Token]) -> str | None:
    """The module named on a `use` line (a complete string after `use`), if any."""
    if len(line) < 2 or line[1].kind != "string" or not line[1].text.endswith('"') or len(line[1].text) < 2:
        return None
    return string_value(line[1].text)
