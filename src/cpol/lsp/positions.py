"""Positions between the compiler (code points, 1-based spans) and the client (its encoding).

The compiler counts columns in characters; an LSP client counts UTF-16 code units unless it
negotiated another encoding. A line of ASCII is the same in both, which keeps this cheap.
"""

from __future__ import annotations

from collections.abc import Callable

from lsprotocol import types

from cpol.diagnostics import Span

Units = Callable[[str], int]
"""How many client code units a string takes (the negotiated position encoding)."""


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class Lines:
    """A text's lines, converting positions between code points and client units."""

    def __init__(self, text: str, units: Units = utf16_units) -> None:
        self.lines = text.split("\n")
        self.units = units

    def _line(self, line: int) -> str:
        return self.lines[line] if 0 <= line < len(self.lines) else ""

    def to_client(self, line: int, column: int) -> types.Position:
        """A 0-based (line, code point) as a client position."""
        text = self._line(line)
        character = column if text.isascii() else self.units(text[:column])
        return types.Position(line=line, character=character)

    def from_client(self, position: types.Position) -> tuple[int, int]:
        """A client position as a 0-based (line, code point)."""
        text = self._line(position.line)
        if text.isascii():
            return position.line, min(position.character, len(text))
        column = 0
        while column < len(text) and self.units(text[: column + 1]) <= position.character:
            column += 1
        return position.line, column

    def range(self, line: int, column: int, end_line: int, end_column: int) -> types.Range:
        return types.Range(start=self.to_client(line, column), end=self.to_client(end_line, end_column))

    def span(self, span: Span) -> types.Range:
        """A compiler span (1-based lines and columns) as a client range."""
        return self.range(span.line - 1, span.column - 1, span.end_line - 1, span.end_column - 1)

    def whole(self) -> types.Range:
        last = len(self.lines) - 1
        return self.range(0, 0, last, len(self.lines[last]))

    def offset(self, line: int, column: int) -> int:
        """The text offset of a 0-based (line, code point)."""
        return sum(len(text) + 1 for text in self.lines[:line]) + column
