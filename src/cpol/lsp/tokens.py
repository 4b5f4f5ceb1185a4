"""The words of a `.cpol` text, classified for highlighting, hover and completion.

A tolerant scanner rather than the parser's lexer: the text being typed is often broken (an
open string, a stray character), and every word around the break must still be classified.
It reads the same tokens as the grammar's lexer on text that lexes (the tests compare them).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence
from typing import NamedTuple

from cpol.compiler.imports import TOP_LEVEL_KEYS
from cpol.compiler.lower import META_KEYS
from cpol.lsp.language import keywords
from cpol.plan import CONFIG_MODELS

#: Semantic token types, in the legend's order (the client maps them to colours).
TOKEN_TYPES = ("keyword", "string", "number", "comment", "operator", "enumMember", "property")

_SCANNER = re.compile(
    r"(?P<comment>#[^\n]*)"
    r'|(?P<string>"(?:[^"\\\n]|\\.)*"?)'
    r"|(?P<number>[0-9]+:[0-9]+|-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<operator>>=|<=|==|[<>=]|\.\.)"
    r"|(?P<punct>[{}()\[\],])"
)


class Token(NamedTuple):
    """A token on one line: 0-based line and column (code points), its text and kind."""

    line: int
    column: int
    text: str
    kind: str

    @property
    def end(self) -> int:
        return self.column + len(self.text)


@functools.cache
def _property_words() -> frozenset[str]:
    """Words that name a JSON key: `meta` fields and `use … with` parameters."""
    config = {key for model in CONFIG_MODELS.values() for key in model.model_fields}
    return frozenset({*META_KEYS, *TOP_LEVEL_KEYS, *config})


def _kind(group: str, text: str) -> str:
    if group == "word":
        if text in keywords():
            return "keyword"
        return "property" if text in _property_words() else "enumMember"
    return group


def string_value(text: str) -> str:
    """The value of a string token, as far as it can be read (it may be unfinished or hold a
    bad escape while the user types)."""
    try:
        return str(json.loads(text))
    except ValueError:
        return text.strip('"')


def scan(text: str, first_line: int = 0) -> list[Token]:
    """Every token of `text`, lines counted from `first_line`; unknown characters skipped."""
    tokens: list[Token] = []
    for number, line in enumerate(text.split("\n"), start=first_line):
        for match in _SCANNER.finditer(line):
            group = match.lastgroup or "punct"
            tokens.append(Token(number, match.start(), match.group(), _kind(group, match.group())))
    return tokens


def token_at(tokens: Sequence[Token], line: int, column: int) -> Token | None:
    """The token under a position (or ending right at it, as a cursor after a word is)."""
    found = None
    for token in tokens:
        if token.line == line and token.column <= column <= token.end:
            found = token
            if column < token.end:
                return token
    return found


def before(tokens: Sequence[Token], line: int, column: int) -> list[Token]:
    """The tokens that end at or before a position, comments left out."""
    return [t for t in tokens if (t.line, t.end) <= (line, column) and t.kind != "comment"]
