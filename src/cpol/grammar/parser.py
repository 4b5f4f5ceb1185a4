"""The parser facade: one cached LALR parser per tree builder, with error recovery.

The compiler hands in a Lark transformer so the syntax tree is built inside the LALR parse
(no second walk over a parse tree). On a syntax error we record a diagnostic, unwind the
parser to the nearest statement boundary and skip to the next line that starts a
statement, so one parse reports every syntax error of a file.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from cpol.diagnostics import Diagnostic, Span, did_you_mean
from cpol.textsafe import UNSAFE, control_name, string_escape

GRAMMAR_PATH = Path(__file__).with_name("cpol.lark")

#: Tokens that begin a statement inside a policy block (they are where recovery resumes).
STATEMENT_HEADS = frozenset(
    {
        "DESCRIPTION", "STATUS", "PRIORITY", "APPLIES", "SCOPE", "SCOPES", "META", "CAN",
        "CANNOT", "CAP", "COOLDOWN", "STOP", "SUPPRESS", "EXCLUDE", "ONLY", "MUTUALLY",
        "CROSS", "CUSTOMER", "CATEGORY", "OVERRIDE", "DO", "BLOCK",
    }
)  # fmt: skip

_LOOSE_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')

_TERMINAL_NAMES = {
    "STRING": "a string",
    "NUMBER": "a number",
    "WORD": "a name",
    "CLOCK": "a time such as 8:00",
    "OPERATOR": "a comparison (>, >=, <, <=, =)",
    "NULL": "`null`",
    "$END": "the end of the file",
}


@functools.cache
def grammar_text() -> str:
    return GRAMMAR_PATH.read_text(encoding="utf-8")


@functools.cache
def get_parser(builder: type[Transformer[Any, Any]] | None = None) -> Lark:
    """The LALR parser, built once per builder class (None: a bare parse-tree parser)."""
    return Lark(
        grammar_text(),
        parser="lalr",
        lexer="basic",
        keep_all_tokens=True,
        maybe_placeholders=True,
        propagate_positions=False,
        transformer=builder() if builder is not None else None,
        cache=False,
    )


def token_span(token: Token) -> Span:
    return Span(
        token.start_pos or 0,
        token.end_pos or 0,
        token.line or 1,
        token.column or 1,
        token.end_line or token.line or 1,
        token.end_column or token.column or 1,
    )


@dataclass
class ParseOutcome:
    """What a parse produced: the builder's result (possibly partial) and syntax errors."""

    value: Any
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def error_offsets(self) -> list[int]:
        return [d.span.start for d in self.diagnostics if d.span is not None]


def parse(
    text: str, filename: str = "<input>", builder: type[Transformer[Any, Any]] | None = None
) -> ParseOutcome:
    """Parse `.cpol` text, recovering from syntax errors to report all of them."""
    recovery = _Recovery(text, filename, get_parser(builder))
    try:
        value = recovery.parser.parse(text, on_error=recovery.on_error)
    except UnexpectedInput as error:  # recovery gave up: keep what was built
        recovery.record(error)
        value = None
    return ParseOutcome(value, recovery.diagnostics)


class _Recovery:
    """The on_error handler: report, unwind to a statement boundary, skip ahead."""

    def __init__(self, text: str, filename: str, parser: Lark) -> None:
        self.text = text
        self.filename = filename
        self.parser = parser
        self.lines = text.split("\n")
        self.diagnostics: list[Diagnostic] = []
        self.literals = {t.name: t.pattern.value for t in parser.terminals if t.pattern.type == "str"}

    # -- reporting ---------------------------------------------------------------------
    def record(self, error: UnexpectedInput) -> None:
        if isinstance(error, UnexpectedToken):
            self.diagnostics.append(self._token_diagnostic(error))
        elif isinstance(error, UnexpectedCharacters):
            self.diagnostics.append(self._character_diagnostic(error))

    def _diagnostic(self, message: str, span: Span, hint: str | None = None) -> Diagnostic:
        source_line = self.lines[span.line - 1] if 0 < span.line <= len(self.lines) else ""
        return Diagnostic(message, self.filename, span, hint=hint, source_line=source_line)

    def _describe(self, names: set[str]) -> list[str]:
        out = {self._describe_one(name) for name in names}
        return sorted(out)

    def _describe_one(self, name: str) -> str:
        if name in _TERMINAL_NAMES:
            return _TERMINAL_NAMES[name]
        return f"`{self.literals.get(name, name.lower())}`"

    def _token_diagnostic(self, error: UnexpectedToken) -> Diagnostic:
        token: Token = error.token
        expected = set(error.expected)
        span = self._end_span() if token.type == "$END" else token_span(token)
        keywords = [self.literals[n] for n in expected if n in self.literals]
        hint = None
        if token.type == "WORD":
            hint = did_you_mean(str(token), keywords)
        elif token.type == "NUMBER" and "CLOCK" in expected:
            hint = "write the hour as a number or a time such as 8:00"
        shown = self._describe(expected)
        if STATEMENT_HEADS & expected and len(expected) > 8:
            shown = ["a statement (description, status, priority, applies to, a rule, meta)"]
            if "RBRACE" in expected:
                shown.append("`}`")
        if token.type == "OPERATOR" and (mistyped := self._mistyped_operator(token)) is not None:
            return mistyped
        if token.type in ("POLICY", "$END") and "RBRACE" in expected:
            where = "before the next policy" if token.type == "POLICY" else "at the end of the file"
            return self._diagnostic(f"missing `}}` {where}", span, "close the block with `}`")
        what = "the end of the file" if token.type == "$END" else f"`{token}`"
        word = "unknown word" if token.type == "WORD" and hint else "unexpected"
        message = f"{word} {what}; expected {_join(shown)}"
        return self._diagnostic(message, span, hint)

    def _mistyped_operator(self, token: Token) -> Diagnostic | None:
        """`=>` lexes as `=` then `>`: report the pair as one unknown comparison."""
        start = token.start_pos or 0
        if start == 0 or self.text[start - 1] not in "<>=!":
            return None
        written = self.text[start - 1 : token.end_pos]
        line, column = token.line or 1, (token.column or 2) - 1
        span = Span(start - 1, token.end_pos or start, line, column, line, column + len(written))
        flipped = written[::-1]
        hint = f"did you mean `{flipped}`?" if flipped in (">=", "<=") else "comparisons are > >= < <= ="
        return self._diagnostic(f"unknown comparison `{written}`", span, hint)

    def _character_diagnostic(self, error: UnexpectedCharacters) -> Diagnostic:
        pos = error.pos_in_stream or 0
        char = self.text[pos] if pos < len(self.text) else ""
        line, column = error.line, error.column
        end = self._bad_string_end(pos)
        if char == '"':
            message, hint = self._string_problem(pos, end)
            span = Span(pos, end, line, column, line, column + (end - pos))
            return self._diagnostic(message, span, hint)
        span = Span(pos, pos + 1, line, column, line, column + 1)
        hint = None
        if char in "'‘’“”":
            hint = 'strings use double quotes: "…"'
        elif char == "/":
            hint = "comments start with `#`"
        elif char == "-":
            hint = "a range of days is written with two dots: mon..fri"
        shown = control_name(char) if UNSAFE.match(char) else f"`{char}`"  # NUL, ESC… named
        return self._diagnostic(f"unexpected character {shown}", span, hint)

    def _bad_string_end(self, pos: int) -> int:
        """Where a string the lexer rejected ends: its closing quote, else the line's end."""
        match = _LOOSE_STRING.match(self.text, pos)
        return match.end() if match else self._line_end(pos)

    def _string_problem(self, pos: int, end: int) -> tuple[str, str | None]:
        body = self.text[pos + 1 : end]
        match = re.match(r'(?:[^"\\]|\\.)*"', body)
        if match is None:
            return "unterminated string", 'close it with `"` on the same line (write \\n for a line break)'
        inner = match.group(0)
        bad_escape = re.search(r'\\(?![\\"/bfnrt]|u[0-9a-fA-F]{4})', inner)
        if bad_escape is not None:
            return (
                f"invalid escape `{inner[bad_escape.start() : bad_escape.start() + 2]}` in string",
                'escapes are \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX',
            )
        char = next((c for c in inner if c < " "), None)
        if char is None:
            return "control character in string", None
        return f"control character {control_name(char)} in string", f"write it as {string_escape(char)}"

    def _end_span(self) -> Span:
        line = len(self.lines)
        column = len(self.lines[-1]) + 1
        return Span(len(self.text), len(self.text), line, column, line, column)

    def _line_end(self, pos: int) -> int:
        end = self.text.find("\n", pos)
        return len(self.text) if end < 0 else end

    # -- recovery ----------------------------------------------------------------------
    def on_error(self, error: UnexpectedInput) -> bool:
        self.record(error)
        interactive = error.interactive_parser
        if isinstance(error, UnexpectedCharacters):
            self._skip_characters(error)
        elif not isinstance(error, UnexpectedToken):
            return False
        elif error.token.type == "POLICY" and "RBRACE" in error.expected:
            interactive.feed_token(_closing_brace(error.token))
            interactive.feed_token(error.token)
            return True
        elif error.token.type == "$END":
            return self._close_open_blocks(interactive)
        self._unwind(interactive)
        return self._resume_at_boundary(interactive)

    def _skip_characters(self, error: UnexpectedCharacters) -> None:
        state = error.interactive_parser.lexer_thread.state
        assert state is not None  # the parser is lexing text, so its lexer has a state
        pos = state.line_ctr.char_pos
        stop = self._bad_string_end(pos) if self.text[pos : pos + 1] == '"' else pos + 1
        state.line_ctr.feed(self.text[pos:stop])

    def _accepts(self, interactive: Any, token_type: str) -> bool:
        state = interactive.parser_state
        return token_type in state.parse_conf.parse_table.states[state.position]

    def _unwind(self, interactive: Any) -> None:
        """Pop parser states until one where a statement or a policy may begin."""
        state = interactive.parser_state
        while len(state.state_stack) > 1 and not (
            self._accepts(interactive, "PRIORITY") or self._accepts(interactive, "POLICY")
        ):
            state.state_stack.pop()
            state.value_stack.pop()

    def _resume_at_boundary(self, interactive: Any) -> bool:
        for token in self._tokens(interactive):
            if not self._is_boundary(token):
                self._report_stray_statement(interactive, token)
                continue
            if self._accepts(interactive, token.type):
                interactive.feed_token(token)
                return True
            if token.type == "POLICY" and self._accepts(interactive, "RBRACE"):
                interactive.feed_token(_closing_brace(token))
                interactive.feed_token(token)
                return True
        return self._close_open_blocks(interactive)

    def _close_open_blocks(self, interactive: Any) -> bool:
        """At the end of the file, close what is open so the policies built so far survive."""
        for _ in range(4):
            if self._accepts(interactive, "$END"):
                return True
            if not self._accepts(interactive, "RBRACE"):
                self._unwind_once(interactive)
                continue
            interactive.feed_token(_closing_brace(self._last_token(interactive)))
        return self._accepts(interactive, "$END")

    def _last_token(self, interactive: Any) -> Token:
        last = interactive.lexer_thread.state.last_token
        return last if last is not None else Token("$END", "", 0, 1, 1, 1, 1, 0)

    def _unwind_once(self, interactive: Any) -> None:
        state = interactive.parser_state
        if len(state.state_stack) > 1:
            state.state_stack.pop()
            state.value_stack.pop()
        self._unwind(interactive)

    def _tokens(self, interactive: Any) -> Iterator[Token]:
        """The remaining tokens, skipping characters the lexer cannot read."""
        lexer_state = interactive.lexer_thread.state
        while True:
            try:
                yield from interactive.lexer_thread.lex(interactive.parser_state)
                return
            except UnexpectedCharacters:
                pos = lexer_state.line_ctr.char_pos
                lexer_state.line_ctr.feed(self.text[pos : pos + 1])

    def _report_stray_statement(self, interactive: Any, token: Token) -> None:
        """A line starting with an unknown word is a new mistake, not fallout of the last."""
        if token.type != "WORD" or not self._first_on_line(token):
            return
        if not self._accepts(interactive, "PRIORITY"):
            return
        heads = [self.literals[name] for name in STATEMENT_HEADS]
        self.diagnostics.append(
            self._diagnostic(
                f"unknown word `{token}`; expected a statement",
                token_span(token),
                did_you_mean(str(token), heads),
            )
        )

    def _first_on_line(self, token: Token) -> bool:
        start = token.start_pos or 0
        line_start = self.text.rfind("\n", 0, start) + 1
        return not self.text[line_start:start].strip()

    def _is_boundary(self, token: Token) -> bool:
        if token.type in ("RBRACE", "POLICY"):
            return True
        return token.type in STATEMENT_HEADS and self._first_on_line(token)


def _closing_brace(near: Token) -> Token:
    """A `}` the user forgot, placed where the parser noticed (keeps spans meaningful)."""
    return Token.new_borrow_pos("RBRACE", "}", near)


def _join(items: list[str]) -> str:
    if len(items) > 6:
        items = [*items[:6], "…"]
    if len(items) <= 2:
        return " or ".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]
