"""YAML read into located values: every scalar, list and mapping knows where it was written.

PyYAML's composer gives nodes with marks; they are turned into `Node`s here so that every
problem in a test file can be reported as `file:line:col` with the line and a caret.

Only what a test file needs is kept: mappings with string keys, lists and scalars. YAML's
implicit timestamps are *not* converted (`2026-03-19T10:00:00Z` stays the text the user
wrote, read later by `cpol.testing.times`), so a time has one reading whichever way it
is quoted. Anchors, aliases and `<<` merge keys work as in any YAML file; a key written
twice in one mapping is an error rather than YAML's silent "last one wins".
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from cpol.compiler.source import Source
from cpol.diagnostics import Diagnostic, Diagnostics, Span

Scalar = str | int | float | bool | None

_TAG = "tag:yaml.org,2002:"


@dataclass(eq=False)
class Node:
    """A YAML value and its span. `value` is a scalar, a list of nodes or a dict of nodes."""

    value: Scalar | list[Node] | dict[str, Node]
    span: Span
    key_spans: dict[str, Span] = field(default_factory=dict)
    quoted: bool = False

    @property
    def is_map(self) -> bool:
        return isinstance(self.value, dict)

    @property
    def is_list(self) -> bool:
        return isinstance(self.value, list)

    @property
    def is_scalar(self) -> bool:
        return not isinstance(self.value, dict | list)

    def items(self) -> Iterator[tuple[str, Node]]:
        """The entries of a mapping (nothing for anything else), in file order."""
        if isinstance(self.value, dict):
            yield from self.value.items()

    def elements(self) -> list[Node]:
        return list(self.value) if isinstance(self.value, list) else []

    def get(self, key: str) -> Node | None:
        return self.value.get(key) if isinstance(self.value, dict) else None

    def key_span(self, key: str) -> Span:
        return self.key_spans.get(key, self.span)

    def plain(self) -> Any:
        """The value as plain Python data (lists, dicts, scalars), positions dropped."""
        if isinstance(self.value, dict):
            return {key: node.plain() for key, node in self.value.items()}
        if isinstance(self.value, list):
            return [node.plain() for node in self.value]
        return self.value

    def kind(self) -> str:
        """How a user would call this value in a message: `a list`, `a number`, …"""
        value = self.value
        if isinstance(value, dict):
            return "a mapping"
        if isinstance(value, list):
            return "a list"
        if value is None:
            return "null"
        if isinstance(value, bool):
            return "true/false"
        if isinstance(value, int | float):
            return "a number"
        return "text"


class YamlDocument:
    """A test file's text, its root node and the means to point at any of its nodes."""

    def __init__(self, text: str, filename: str) -> None:
        self.source = Source(text, filename)
        self.filename = filename
        self.root = _load(text, self.source)

    def diagnostic(self, message: str, span: Span, hint: str | None = None) -> Diagnostic:
        return self.source.diagnostic(message, span, hint)


def _span(node: yaml.Node) -> Span:
    start, end = node.start_mark, node.end_mark
    return Span(start.index, end.index, start.line + 1, start.column + 1, end.line + 1, end.column + 1)


def _mark_span(mark: Any) -> Span:
    return Span(mark.index, mark.index + 1, mark.line + 1, mark.column + 1, mark.line + 1, mark.column + 2)


MAX_DEPTH = 50
"""How deeply lists and mappings may nest in a test file. A test needs about eight levels
(tests, a test, candidates, a candidate, expect, blocked_by); PyYAML's composer and the
conversion below recurse per level, so without a bound 100,000 `[` would overflow the
stack."""

MAX_VALUES = 1_000_000
"""How many values a test file may hold once its aliases are expanded: far more than any
test file written by hand or generated (the shipped ones hold a few thousand), and few
enough to expand in about a second."""

_COLLECTION_STARTS = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
_COLLECTION_ENDS = (yaml.SequenceEndEvent, yaml.MappingEndEvent)


def _check_events(text: str, source: Source) -> None:
    """Reads the YAML as a stream of events (PyYAML's parser does not recurse) before it is
    composed into nodes: refuses nesting deeper than MAX_DEPTH and every explicit tag.

    A tag (`!!python/object:…`, `!!str`, `!custom`) asks YAML to build a value of some type;
    a test file holds plain text, numbers, lists and mappings only, so a tag is an error at
    its location, rather than silently read as text."""
    problems: list[Diagnostic] = []
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        tag = getattr(event, "tag", None)
        if tag is not None and isinstance(event, yaml.NodeEvent):
            problems.append(_tag_problem(tag, event.start_mark, text, source))
        if isinstance(event, _COLLECTION_STARTS):
            depth += 1
            if depth > MAX_DEPTH:
                problems.append(
                    source.diagnostic(
                        f"the YAML is nested more than {MAX_DEPTH} levels deep",
                        _mark_span(event.start_mark),
                        "a test file needs a few levels: tests, candidates, expect",
                    )
                )
                break
        elif isinstance(event, _COLLECTION_ENDS):
            depth -= 1
    if problems:
        raise Diagnostics(problems)


def _tag_problem(tag: str, mark: Any, text: str, source: Source) -> Diagnostic:
    """The error for an explicit tag, underlining it when it is written as shown."""
    shown = tag.replace(_TAG, "!!", 1)
    span = _mark_span(mark)
    if text.startswith(shown, mark.index):
        span = Span(
            mark.index, mark.index + len(shown), span.line, span.column, span.line, span.column + len(shown)
        )
    message = f"YAML tags such as `{shown}` are not allowed in a test file"
    return source.diagnostic(message, span, "write the plain value; quote it to keep it as text")


def _load(text: str, source: Source) -> Node:
    try:
        _check_events(text, source)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        message = f"invalid YAML: {error.problem or error.context or 'cannot read the file'}"
        if error.context and error.problem:
            message = f"invalid YAML: {error.problem} ({error.context})"
        if mark is None:
            raise Diagnostics([Diagnostic(message, source.filename)]) from None
        raise Diagnostics([source.diagnostic(message, _mark_span(mark), _yaml_hint(error))]) from None
    except yaml.YAMLError as error:
        raise Diagnostics([Diagnostic(f"invalid YAML: {error}", source.filename)]) from None
    if root is None:
        raise Diagnostics([Diagnostic("the test file is empty", source.filename, hint=_EMPTY_HINT)])
    problems: list[Diagnostic] = []
    converted = _Converter(source, problems).convert(root)
    if problems:
        raise Diagnostics(problems)
    return converted


_EMPTY_HINT = "a test file holds `policies:` or `use:`, then `tests:`; see docs/testing.md"


def _yaml_hint(error: yaml.MarkedYAMLError) -> str | None:
    problem = str(error.problem or "")
    if "mapping values are not allowed" in problem:
        return 'a value containing `: ` must be quoted, e.g. reason: "note: …"'
    if "found character '\\t'" in problem:
        return "YAML indents with spaces, not tabs"
    return None


class _Converter:
    """PyYAML nodes -> `Node`s, reporting what a test file cannot hold."""

    def __init__(self, source: Source, problems: list[Diagnostic]) -> None:
        self.source = source
        self.problems = problems
        self.constructor = SafeConstructor()
        self.stack: list[int] = []
        self.done: dict[int, Node] = {}  # an alias is the node of its anchor, converted once
        self.sizes: dict[int, int] = {}  # id of a converted node -> its values, aliases expanded

    def error(self, message: str, span: Span, hint: str | None = None) -> None:
        self.problems.append(self.source.diagnostic(message, span, hint))

    def convert(self, node: yaml.Node) -> Node:
        if id(node) in self.done:
            return self.done[id(node)]
        if id(node) in self.stack:
            self.error("this alias refers to itself", _span(node))
            return Node(None, _span(node))
        self.stack.append(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                converted = self.mapping(node)
            elif isinstance(node, yaml.SequenceNode):
                converted = Node([self.convert(item) for item in node.value], _span(node))
            else:
                assert isinstance(node, yaml.ScalarNode)
                converted = Node(self.scalar(node), _span(node), quoted=node.style in ("'", '"'))
        finally:
            self.stack.pop()
        converted = self.bounded(converted)
        self.done[id(node)] = converted
        return converted

    def bounded(self, converted: Node) -> Node:
        """The node, unless with its aliases expanded it holds more than MAX_VALUES values
        (a "billion laughs" file: nine aliases of nine aliases… of one list); then an error
        at it, and nothing in its place. Each node's expanded size is counted once, from
        its children's, so counting costs one step per node as written."""
        value = converted.value
        if not isinstance(value, dict | list):
            return converted
        children = value.values() if isinstance(value, dict) else value
        size = 1 + sum(self.sizes.get(id(child), 1) for child in children)
        if size > MAX_VALUES:
            self.error(
                f"with its aliases expanded, this value holds more than {MAX_VALUES:,} values",
                converted.span,
                "repeat a history item with `times:` rather than with nested aliases",
            )
            converted = Node(None, converted.span)
            size = 1
        self.sizes[id(converted)] = size
        return converted

    def text(self, value: str, span: Span) -> str | None:
        """`value`, or None after an error when it holds a lone surrogate (`"\\ud800"`
        in a double-quoted YAML string decodes to one, but it is not Unicode text)."""
        bad = next((ch for ch in value if "\ud800" <= ch <= "\udfff"), None)
        if bad is None:
            return value
        self.error(f"contains \\u{ord(bad):04x}, which is not valid Unicode text", span)
        return None

    def scalar(self, node: yaml.ScalarNode) -> Scalar:
        tag = node.tag
        try:
            if tag == _TAG + "null":
                return None
            if tag == _TAG + "bool":
                return bool(self.constructor.construct_yaml_bool(node))
            if tag == _TAG + "int":
                return int(self.constructor.construct_yaml_int(node))
            if tag == _TAG + "float":
                return float(self.constructor.construct_yaml_float(node))
        except (ValueError, yaml.YAMLError):
            pass
        return self.text(str(node.value), _span(node))  # strings, timestamps (read later)…

    def mapping(self, node: yaml.MappingNode) -> Node:
        explicit = [pair for pair in node.value if pair[0].tag != _TAG + "merge"]
        explicit_ids = {id(key) for key, _ in explicit}
        try:
            self.constructor.flatten_mapping(node)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            span = _mark_span(mark) if mark is not None else _span(node)
            self.error(f"invalid merge key `<<`: {getattr(error, 'problem', error)}", span)
        values: dict[str, Node] = {}
        spans: dict[str, Span] = {}
        merged: set[str] = set()
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.error("a key must be a plain word, not a list or a mapping", _span(key_node))
                continue
            key = self.text(str(key_node.value), _span(key_node))
            if key is None:
                continue
            from_merge = id(key_node) not in explicit_ids
            if key in values:
                if from_merge:
                    continue  # merged values never override (the first merged one wins)
                if key not in merged:
                    first = spans[key]
                    self.error(
                        f"`{key}` is given twice in this mapping",
                        _span(key_node),
                        f"the first one is on line {first.line}; keep one",
                    )
                    continue
                merged.discard(key)  # an explicit key overrides a merged one
            elif from_merge:
                merged.add(key)
            values[key] = self.convert(value_node)
            spans[key] = _span(key_node)
        return Node(values, _span(node), spans)
