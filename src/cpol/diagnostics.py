"""Structured diagnostics shared by every stage.

A diagnostic knows where it points (a source span in a `.cpol` file, or a JSON path in a
`.json` file), what went wrong and, when we can guess, what the user meant. Stages collect
them and raise one `Diagnostics` exception so a user sees every problem in a file at once.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from cpol.textsafe import excerpt, one_line

Severity = Literal["error", "warning", "info"]


class Span(NamedTuple):
    """A region of source text: 1-based line/column of its start and end, 0-based offsets.

    A named tuple, not a dataclass: the parser makes one per token, so it must be cheap.
    """

    start: int
    end: int
    line: int
    column: int
    end_line: int
    end_column: int

    def cover(self, other: Span) -> Span:
        """The smallest span containing both."""
        first, last = (self, other) if self.start <= other.start else (other, self)
        tail = last if last.end >= first.end else first
        return Span(first.start, tail.end, first.line, first.column, tail.end_line, tail.end_column)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    message: str
    file: str = "<input>"
    span: Span | None = None
    path: str | None = None
    hint: str | None = None
    severity: Severity = "error"
    source_line: str | None = None

    @property
    def location(self) -> str:
        if self.span is not None:
            return f"{self.file}:{self.span.line}:{self.span.column}"
        if self.path:
            return f"{self.file}:{self.path}"
        return self.file

    def render(self) -> str:
        """`file:line:col: error: message`, the source line, a caret and the hint.

        Everything shown is escaped (names, comments and file names are anyone's text, and
        must not drive the terminal) and bounded: a message quoting a huge word is cut in
        its middle, and the source line to a window around the problem, with the caret
        under its character in the escaped text.
        """
        lines = [f"{one_line(self.location)}: {self.severity}: {one_line(self.message)}"]
        if self.span is not None and self.source_line is not None:
            lines.extend(self._quote(self.span, self.source_line.rstrip("\n")))
        if self.hint:
            lines.append(f"  hint: {one_line(self.hint)}")
        return "\n".join(lines)

    @staticmethod
    def _quote(span: Span, text: str) -> list[str]:
        """The source line (escaped, cut to a window) and the caret line under the span."""
        start = span.column - 1
        end = span.end_column - 1 if span.end_line == span.line else start + 1
        shown = excerpt(text, start, end)
        return [f"  {shown.text}", "  " + " " * shown.caret_at + "^" + "~" * (shown.caret_width - 1)]

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "severity": self.severity,
            "message": self.message,
            "file": self.file,
        }
        if self.span is not None:
            data["line"] = self.span.line
            data["column"] = self.span.column
            data["endLine"] = self.span.end_line
            data["endColumn"] = self.span.end_column
        if self.path is not None:
            data["path"] = self.path
        if self.hint is not None:
            data["hint"] = self.hint
        return data


@dataclass
class Diagnostics(Exception):
    """Raised by any stage when the input has errors; carries every diagnostic found."""

    items: list[Diagnostic] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.render())

    def __str__(self) -> str:
        return self.render()

    def render(self) -> str:
        return "\n".join(item.render() for item in self.items)

    @property
    def errors(self) -> list[Diagnostic]:
        return [item for item in self.items if item.severity == "error"]


def did_you_mean(word: str, choices: Iterable[str], *, quote: str = "`") -> str | None:
    """A hint naming the closest choice, or None when nothing is close enough."""
    options = list(choices)
    lowered = {option.lower(): option for option in options}
    if word.lower() in lowered and lowered[word.lower()] != word:
        return f"did you mean {quote}{lowered[word.lower()]}{quote}?"
    match = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    if not match:
        return None
    return f"did you mean {quote}{lowered[match[0]]}{quote}?"


def json_path(loc: Sequence[str | int]) -> str:
    """Render a pydantic/JSON location as `[3].config.maxPerWeek`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
