"""Completion from the words before the cursor: what may come next in the grammar's terms.

Keywords where a statement starts, rule sentences as snippets, the enumerated words after
`status`, `per`, a scope statement or `on`, IANA time zones after `in`, standard-library
modules and their parameters on a `use` line, and the scope ids and outcome names used
anywhere in the workspace inside strings.
"""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Iterable

from lsprotocol import types

from cpol.compiler.imports import stdlib_modules
from cpol.lsp.language import SENTENCES, STATEMENTS, WORD_CHOICES, Entry
from cpol.lsp.modules import module
from cpol.lsp.tokens import Token, string_value
from cpol.plan.models import SCOPE_KINDS

Item = types.CompletionItem
Kind = types.CompletionItemKind

#: Words after which a scope kind comes (`applies to channel`, `scope offer`, `, creative`).
_SCOPE_LEADS = frozenset({"to", "scope", "scopes"})
#: The statement keywords offered inside a policy, in the canonical order.
_INSIDE = ("description", "status", "priority", "applies", "scope", "scopes", "can", "cannot", "meta")


@functools.cache
def time_zones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


def _snippet(label: str, entry: Entry, kind: Kind, detail: str) -> Item:
    return Item(
        label=label,
        kind=kind,
        detail=detail,
        documentation=entry.summary,
        insert_text=entry.snippet or label,
        insert_text_format=types.InsertTextFormat.Snippet,
    )


def _words(words: Iterable[str], kind: Kind, detail: str = "") -> list[Item]:
    return [Item(label=word, kind=kind, detail=detail or None) for word in words]


def _strings(values: Iterable[str], kind: Kind, detail: str) -> list[Item]:
    """Values completed inside a string: the text without quotes (the client keeps them)."""
    return [Item(label=value, kind=kind, detail=detail) for value in sorted(set(values))]


def statement_items() -> list[Item]:
    """Inside a policy at a statement start: statements and the fourteen rule sentences."""
    items = [_snippet(word, STATEMENTS[word], Kind.Keyword, STATEMENTS[word].syntax) for word in _INSIDE]
    items += [
        _snippet(entry.syntax.split(" ")[0] + f" ({rule})", entry, Kind.Snippet, rule)
        for rule, entry in SENTENCES.items()
    ]
    return items


def top_items(uses_allowed: bool) -> list[Item]:
    items = [_snippet("policy", STATEMENTS["policy"], Kind.Keyword, STATEMENTS["policy"].syntax)]
    if uses_allowed:
        items.append(_snippet("use", STATEMENTS["use"], Kind.Keyword, STATEMENTS["use"].syntax))
    return items


def complete(
    before: list[Token], in_string: bool, inside_policy: bool, seen: dict[str, set[str]], uses_allowed: bool
) -> list[Item]:
    """Items for the cursor after `before` (the tokens of the text up to it).

    `in_string`: the cursor is inside a string that `before[-1]` opens; `seen` maps `scope`
    and `outcome` to the values the workspace uses.
    """
    tokens = before[:-1] if in_string else before
    previous = tokens[-1].text if tokens else ""
    line = [t for t in tokens if t.line == (before[-1].line if before else 0)]
    if line and line[0].text == "use":
        return _use_items(line, in_string)
    if in_string:
        return _string_items(tokens, previous, seen)
    if not inside_policy:
        return top_items(uses_allowed)
    if previous == "status":
        return _words(WORD_CHOICES["status"], Kind.EnumMember, "status")
    if previous == "per":
        return _words(WORD_CHOICES["per"], Kind.EnumMember, "period")
    if previous in _SCOPE_LEADS or (previous == "," and _in_scope_list(tokens)):
        return _words(
            [k for k in SCOPE_KINDS if k != "global" or previous != ","], Kind.EnumMember, "scope kind"
        )
    if previous in ("on", "..") or (previous == "," and _after(tokens, "on")):
        return _words(WORD_CHOICES["day"], Kind.EnumMember, "day")
    if previous == "when" and len(tokens) > 1 and tokens[-2].text == "stop":
        return _words(WORD_CHOICES["budget"], Kind.EnumMember, "budgetField")
    if previous == "each":
        return _words([k for k in SCOPE_KINDS if k != "global"], Kind.EnumMember, "per")
    return statement_items()


def _after(tokens: list[Token], word: str) -> bool:
    """Whether the list the cursor continues was started by `word`."""
    for token in reversed(tokens):
        if token.kind in ("string", "enumMember", "number") or token.text in (",", ".."):
            continue
        return token.text == word
    return False


def _in_scope_list(tokens: list[Token]) -> bool:
    for token in reversed(tokens):
        if token.kind in ("string", "enumMember") or token.text in (
            ",",
            "channel",
            "category",
            "subcategory",
        ):
            continue
        return token.text in _SCOPE_LEADS
    return False


def _string_items(tokens: list[Token], previous: str, seen: dict[str, set[str]]) -> list[Item]:
    if previous == "in":
        return _strings(time_zones(), Kind.Value, "IANA time zone")
    if previous in SCOPE_KINDS:
        return _strings(seen.get(previous, set()), Kind.Value, f"{previous} id in the workspace")
    if previous == "after" or previous == "of" or (previous == "," and _after(tokens, "after")):
        return _strings(seen.get("outcome", set()), Kind.Value, "outcome in the workspace")
    return []


def _use_items(line: list[Token], in_string: bool) -> list[Item]:
    """A `use` line: the module names, then (after `with` or a comma) its parameters."""
    if in_string and len(line) <= 2:
        return _strings(stdlib_modules(), Kind.Module, "standard-library module")
    if len(line) < 2 or line[1].kind != "string":
        return []
    found = module(string_value(line[1].text))
    previous = line[-1].text
    if found is None or previous not in ("with", ","):
        return [] if previous != line[1].text else _words(["with"], Kind.Keyword)
    return _words(found.parameters, Kind.Property, f"parameter of {found.name}")
