"""Fuzzing the front ends (hypothesis): bad input gets diagnostics, never a traceback.

`cpol.compile_source`, `cpol.format_source` and `cpol.load_json` either return or raise
`cpol.Diagnostics`; any other exception (`FormatError` and `DecompileError` included) is a
bug. Every diagnostic has a message, and a span that points inside the text it describes.
Inputs: random text, random JSON, and valid files damaged a little (a token deleted,
duplicated or swapped, a keyword or random characters inserted, the text cut short, a quote
or brace flipped; a policy key deleted or renamed, a value replaced by random JSON).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

import cpol
from cpol.diagnostics import Diagnostic
from tests.strategies import (
    CpolSource,
    canonical_sources,
    fuzz_texts,
    json_values,
    perturbed_sources,
    valid_policies,
)

# --- checking diagnostics -------------------------------------------------------------


def check_diagnostics(error: cpol.Diagnostics, text: str | None) -> None:
    """Each diagnostic has a message; a span lies inside `text` (1-based lines/columns)."""
    assert error.items, "Diagnostics raised without any diagnostic"
    lines = text.split("\n") if text is not None else None
    for item in error.items:
        assert isinstance(item, Diagnostic)
        assert isinstance(item.message, str) and item.message.strip(), item
        item.render()
        json.dumps(item.to_json())
        span = item.span
        if span is None:
            continue
        assert lines is not None, f"a span on input that is not text: {item}"
        assert 1 <= span.line <= len(lines) + 1, (span, len(lines))
        assert span.line <= span.end_line <= len(lines) + 1, (span, len(lines))
        assert span.column >= 1 and span.end_column >= 1, span
        if span.line <= len(lines):
            assert span.column <= len(lines[span.line - 1]) + 1, (span, lines[span.line - 1])
        # a one-character caret may sit just past the end (at "the end of the input")
        assert 0 <= span.start <= len(text or ""), (span, len(text or ""))
        assert span.start <= span.end <= len(text or "") + 1, (span, len(text or ""))


def outcome(call: Callable[[], Any], text: str | None) -> Any:
    """The result of `call`, or None after checking the Diagnostics it raised."""
    try:
        return call()
    except cpol.Diagnostics as error:
        check_diagnostics(error, text)
        return None


def same_json(a: object, b: object) -> bool:
    return a == b and json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


# --- .cpol text: random and mutated ----------------------------------------------------

KEYWORDS = (
    "policy", "description", "status", "priority", "applies", "to", "scope", "scopes", "meta",
    "can", "cannot", "be", "overridden", "cap", "per", "day", "days", "week", "month", "in",
    "total", "within", "campaign", "excluding", "campaigns", "cooldown", "hours", "hour", "stop",
    "when", "reach", "reaches", "suppress", "for", "after", "of", "exclude", "segments",
    "segment", "only", "between", "and", "from", "until", "on", "no", "mutually", "exclusive",
    "cross", "channel", "customer", "category", "subcategory", "across", "override", "because",
    "do", "not", "contact", "list", "block", "metric", "none", "null", "true", "false", "use",
    "with", "global", "offer", "creative", "active", "draft", "impressions", "spend", "mon",
    "sun..sat", "fri..mon", "{", "}", "[", "]", ",", "..", ">", ">=", "<", "<=", "=", "==",
    "8:30", "24:00", "25", "-1", "1e999", "1.5", "0", '""', '" "', '"x"', '"\\q"', '"\\u12"',
    '"\\ud800"', '"a\\udfffb"', '"\\ud83d\\ude00"', '"UTC"',
    '"Mars/Olympus"', "#", "# note\n", "\n", "\t", "\\", "'x'", "“x”", "//", "\x00",
    "\u2028", "\ufeff",
)  # fmt: skip

_PIECES = re.compile(
    r'"(?:[^"\\\n]|\\.)*"|#[^\n]*|[A-Za-z_][A-Za-z0-9_]*|-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?'
    r"(?::[0-9]+)?|\.\.|[<>=]=?|\S"
)


def pieces(text: str) -> list[tuple[int, int]]:
    """(start, end) of each token-ish piece of any text (no lexer: the text may be broken)."""
    return [match.span() for match in _PIECES.finditer(text)]


@st.composite
def restring(draw: st.DrawFn, text: str) -> str:
    """New contents for one string literal (any string, lone surrogates included), escaped
    the JSON way or written raw."""
    strings = [span for span in pieces(text) if text[span[0]] == '"']
    start, end = draw(st.sampled_from(strings)) if strings else (len(text), len(text))
    literal = json.dumps(draw(fuzz_texts(max_size=12)), ensure_ascii=draw(st.booleans()))
    return text[:start] + literal + text[end:]


@st.composite
def mutate_text(draw: st.DrawFn, text: str) -> str:
    """One random damage to `text`."""
    spans = pieces(text)
    kind = draw(
        st.sampled_from(
            ["delete", "duplicate", "swap", "insert text", "insert keyword", "replace",
             "truncate", "quote", "brace", "restring"]
        )
    )  # fmt: skip
    offset = draw(st.integers(0, len(text)))
    if kind == "truncate":
        return text[:offset]
    if kind == "insert text":
        return text[:offset] + draw(fuzz_texts(min_size=1, max_size=8)) + text[offset:]
    if kind == "quote":
        quotes = [i for i, ch in enumerate(text) if ch == '"'] or [offset]
        at = draw(st.sampled_from(quotes))
        new = draw(st.sampled_from(["", "'", '""', "\\", '\\"', "“"]))
        return text[:at] + new + text[at + 1 :] if at < len(text) else text + new
    if kind == "brace":
        braces = [i for i, ch in enumerate(text) if ch in "{}"] or [offset]
        at = draw(st.sampled_from(braces))
        new = draw(st.sampled_from(["", "{", "}", "{}", "}}", "{{"]))
        return text[:at] + new + text[at + 1 :] if at < len(text) else text + new
    if kind == "restring":
        return draw(restring(text))
    if not spans:
        return draw(st.sampled_from(KEYWORDS)) + text
    start, end = draw(st.sampled_from(spans))
    piece = text[start:end]
    if kind == "delete":
        return text[:start] + text[end:]
    if kind == "duplicate":
        return text[:end] + " " + piece + text[end:]
    if kind == "swap":
        other_start, other_end = draw(st.sampled_from(spans))
        if other_start < start:
            start, end, other_start, other_end = other_start, other_end, start, end
        if other_start < end:
            return text
        other = text[other_start:other_end]
        return text[:start] + other + text[end:other_start] + piece + text[other_end:]
    keyword = draw(st.sampled_from(KEYWORDS))
    if kind == "replace":
        return text[:start] + keyword + text[end:]
    at = draw(st.sampled_from([start, end]))  # insert keyword at a token boundary
    return text[:at] + " " + keyword + " " + text[at:]


@st.composite
def mutated_sources(draw: st.DrawFn) -> str:
    """A valid `.cpol` file (canonical or hand-laid-out) with one to three damages."""
    source: CpolSource = draw(st.one_of(canonical_sources(), perturbed_sources()))
    text = source.text
    for _ in range(draw(st.integers(1, 3))):
        text = draw(mutate_text(text))
    return text


cpol_texts = st.one_of(
    st.text(),
    fuzz_texts(max_size=200),
    st.lists(st.sampled_from(KEYWORDS), max_size=40).map(" ".join),
)


@given(cpol_texts)
def test_compile_random_text_gives_only_diagnostics(text: str) -> None:
    outcome(lambda: cpol.compile_source(text), text)


@given(mutated_sources())
def test_compile_mutated_source_gives_only_diagnostics(text: str) -> None:
    outcome(lambda: cpol.compile_source(text), text)


@given(cpol_texts)
def test_format_random_text_gives_only_diagnostics(text: str) -> None:
    outcome(lambda: cpol.format_source(text), text)


@given(mutated_sources())
def test_format_mutated_source_gives_only_diagnostics(text: str) -> None:
    outcome(lambda: cpol.format_source(text), text)


@st.composite
def restrung_sources(draw: st.DrawFn) -> str:
    """A valid `.cpol` file with one string literal given random contents."""
    return draw(restring(draw(canonical_sources()).text))


@given(st.one_of(mutated_sources(), restrung_sources()))
def test_whatever_compiles_formats_and_decompiles(text: str) -> None:
    """A damaged file that still compiles is a valid file: fmt, decompile and the JSON
    file it compiles to must all hold."""
    policies = outcome(lambda: cpol.compile_source(text), text)
    if policies is None:
        return
    plan = cpol.to_json(policies)
    formatted = cpol.format_source(text)
    assert same_json(cpol.to_json(cpol.compile_source(formatted)), plan)
    decompiled = cpol.to_cpol(policies)
    assert same_json(cpol.to_json(cpol.compile_source(decompiled)), plan)
    # what `cpol compile` writes, `cpol decompile` and every JSON consumer must read back
    as_file = json.dumps(plan, ensure_ascii=False)
    assert same_json(cpol.to_json(cpol.load_json(as_file)), plan)


# --- JSON: random and mutated -----------------------------------------------------------


def _json_text(value: object) -> str:
    return json.dumps(value, allow_nan=True)


@given(json_values())
def test_load_json_random_value_gives_only_diagnostics(value: object) -> None:
    """A decoded value; a str is read as JSON text, as load_json documents."""
    outcome(lambda: cpol.load_json(value), value if isinstance(value, str) else None)


@given(json_values())
def test_load_json_random_json_text_gives_only_diagnostics(value: object) -> None:
    text = _json_text(value)
    outcome(lambda: cpol.load_json(text), text)


@given(st.one_of(st.text(), fuzz_texts(max_size=200)))
def test_load_json_random_text_gives_only_diagnostics(text: str) -> None:
    outcome(lambda: cpol.load_json(text), text)


@given(st.binary())
def test_load_json_random_bytes_gives_only_diagnostics(data: bytes) -> None:
    try:
        text: str | None = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = None
    outcome(lambda: cpol.load_json(data), text)


KNOWN_KEYS = (
    "id", "tenantId", "name", "description", "status", "scope", "scopeId", "scopes",
    "ruleType", "config", "priority", "version", "deletedAt", "createdAt", "updatedAt",
    "maxPerDay", "maxPerWeek", "maxPerMonth", "maxTotal", "withinCampaignId",
    "excludeCampaignIds", "maxContacts", "windowDays", "cooldownHours", "budgetField",
    "threshold", "afterOutcome", "suppressForDays", "outcome", "withinDays", "excludeSegments",
    "segmentId", "startHour", "endHour", "daysOfWeek", "timezone", "excludeOfferIds",
    "periodType", "appliesAcross", "targetCategory", "reason", "categoryId", "subCategoryId",
    "dncSource", "metricId", "operator", "bypassable", "data", "pagination",
)  # fmt: skip


def _places(node: object, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths of every value inside a JSON value (the root excluded)."""
    found: list[tuple[Any, ...]] = []
    children: list[tuple[Any, object]] = []
    if isinstance(node, dict):
        children = list(node.items())
    elif isinstance(node, list):
        children = list(enumerate(node))
    for key, child in children:
        found.append((*path, key))
        found.extend(_places(child, (*path, key)))
    return found


def _parent(root: Any, path: tuple[Any, ...]) -> Any:
    for key in path[:-1]:
        root = root[key]
    return root


@st.composite
def mutate_policy(draw: st.DrawFn, policy: dict[str, Any]) -> None:
    """One random change, in place: delete, rename, replace a value, or add a key."""
    path = draw(st.sampled_from(_places(policy)))
    parent, key = _parent(policy, path), path[-1]
    kind = draw(st.sampled_from(["delete", "rename", "replace", "add"]))
    if kind == "delete":
        del parent[key]
    elif kind == "replace":
        parent[key] = draw(json_values(max_leaves=8))
    elif kind == "add":
        target = parent[key] if isinstance(parent[key], dict) else parent
        if isinstance(target, dict):
            new_key = draw(st.one_of(st.sampled_from(KNOWN_KEYS), fuzz_texts(max_size=10)))
            target[new_key] = draw(json_values(max_leaves=8))
        else:
            target.append(draw(json_values(max_leaves=8)))
    elif isinstance(parent, dict):
        new_key = draw(
            st.one_of(
                st.sampled_from(KNOWN_KEYS),
                st.sampled_from([key.lower(), key.upper(), key + "s", key[:-1], f" {key}"]),
                fuzz_texts(max_size=10),
            )
        )
        parent[new_key] = parent.pop(key)
    else:
        parent.insert(0, parent.pop(key))


@st.composite
def mutated_policy_files(draw: st.DrawFn) -> object:
    """One to three valid policies, damaged one to three times, in one of the file shapes."""
    policies = draw(st.lists(valid_policies(), min_size=1, max_size=3))
    policies = copy.deepcopy(policies)
    for _ in range(draw(st.integers(1, 3))):
        mutate_policy_in = draw(st.sampled_from(policies))
        draw(mutate_policy(mutate_policy_in))
    shape = draw(st.sampled_from(["array", "single", "envelope"]))
    if shape == "single":
        return policies[0]
    if shape == "envelope":
        return {"data": policies, "pagination": {"nextCursor": None}}
    return policies


@given(mutated_policy_files())
def test_load_json_mutated_policies_gives_only_diagnostics(data: object) -> None:
    outcome(lambda: cpol.load_json(data), None)


@given(mutated_policy_files())
def test_load_json_mutated_policy_text_gives_only_diagnostics(data: object) -> None:
    text = _json_text(data)
    outcome(lambda: cpol.load_json(text), text)


@given(mutated_policy_files(), st.data())
def test_load_json_damaged_json_text_gives_only_diagnostics(data: object, more: st.DataObject) -> None:
    text = json.dumps(data, indent=more.draw(st.sampled_from([None, 2])))
    for _ in range(more.draw(st.integers(1, 3))):
        text = more.draw(mutate_text(text))
    outcome(lambda: cpol.load_json(text), text)


@given(mutated_policy_files())
def test_whatever_loads_decompiles(data: object) -> None:
    """A damaged policy that still loads is valid: it prints and compiles back unchanged."""
    policies = outcome(lambda: cpol.load_json(data), None)
    if policies is None:
        return
    plan = cpol.to_json(policies)
    text = cpol.to_cpol(policies)
    assert same_json(cpol.to_json(cpol.compile_source(text)), plan)
    assert cpol.format_source(text) == text
