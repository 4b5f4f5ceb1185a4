"""Untrusted text made safe for a terminal: control and bidi characters shown as escapes.

Policy names, comments, JSON keys, file names and request ids are anyone's text, and some
of it reaches a terminal: in diagnostics, lint reports and explain output. A raw `ESC`
can retitle the terminal, forge a link or recolour (and, where output is not a terminal,
click strips the sequence, so `coo<ESC>[1mldown` reads `cooldown`); a bidi override can
reorder what the reader sees. So such characters are shown as `\\x1b`-style escapes.

This module sits below every stage (it imports nothing from cpol), so the diagnostics, the
linter and the renderers can all share it. Escaping is idempotent: escaped text holds no
unsafe character, so escaping it again changes nothing.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

#: Characters shown as escapes: the C0 and C1 controls (category Cc), the bidi embeddings,
#: overrides, isolates and marks, the Unicode line and paragraph separators, and lone
#: surrogates (which no UTF-8 output can carry); all of them can move, hide or reorder the
#: text around them, or break the output.
UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_WHITESPACE = frozenset("\n\r\t")
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
#: A tab in an echoed source line: spaces, so the caret line can be aligned under it.
TAB = "    "
_ELLIPSIS = "…"


def visible(char: str) -> str:
    """The escape shown for one unsafe character: `\\n`, `\\x1b`, `\\u202e`."""
    if char in _SHORT:
        return _SHORT[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape(text: str) -> str:
    """One line of terminal-safe text: every unsafe character, newlines included, escaped.

    For messages, hints and locations, each of which is one line: a raw newline in a
    quoted name could otherwise forge a diagnostic line of its own.
    """
    return UNSAFE.sub(lambda match: visible(match[0]), text)


def escape_lines(text: str) -> str:
    """Terminal-safe text of several lines: like `escape`, but newlines and tabs stay.

    For a whole stream of messages (cpol's standard error), as a last line of defence.
    """
    return UNSAFE.sub(lambda match: match[0] if match[0] in "\n\t" else visible(match[0]), text)


#: What `json.dumps(..., ensure_ascii=False)` leaves raw that a terminal acts on: it
#: escapes C0 controls itself, and every other raw character of JSON text is structure.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def json_safe(text: str) -> str:
    """JSON text from `json.dumps(..., ensure_ascii=False)` with DEL, C1, bidi controls,
    separators and lone surrogates written as `\\uXXXX` escapes: the same JSON value
    (they can only be inside strings), safe to print on a terminal."""
    return _JSON_UNSAFE.sub(lambda match: f"\\u{ord(match[0]):04x}", text)


#: Characters of one message, hint or report line kept whole; a longer one (a 10 MB name
#: quoted in a message) is cut in its middle, so both its start and its end still read.
LINE_LIMIT = 1000


def one_line(text: str, limit: int = LINE_LIMIT) -> str:
    """`escape`, after cutting a line longer than `limit` characters in its middle."""
    if len(text) > limit:
        text = text[: limit // 2] + _ELLIPSIS + text[-(limit // 2) :]
    return escape(text)


_CONTROL_NAMES = {
    "\x00": "NUL", "\x07": "BEL", "\x08": "backspace", "\t": "tab", "\n": "newline",
    "\r": "carriage return", "\x1b": "ESC", "\x7f": "DEL",
}  # fmt: skip


def control_name(char: str) -> str:
    """A control character named in a message: "`\\x00` (NUL)", "`\\x01`"."""
    name = _CONTROL_NAMES.get(char)
    return f"`{visible(char)}` ({name})" if name else f"`{visible(char)}`"


def string_escape(char: str) -> str:
    """How a JSON or `.cpol` string writes a character it may not hold raw: `\\t`, `\\u0000`."""
    return _SHORT.get(char) or f"\\u{ord(char):04x}"


def clean(text: str) -> str:
    """One line of terminal-safe text for reports: newlines and tabs become spaces, other
    unsafe characters are shown as `\\x1b`-style escapes."""
    return UNSAFE.sub(lambda match: " " if match[0] in _WHITESPACE else visible(match[0]), text)


def cell_width(text: str) -> int:
    """Terminal columns: wide East Asian characters take 2, combining marks 0."""
    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


# Echoing a source line under a bounded width ------------------------------------------------

#: Display cells an echoed source line may take, `…` marks included.
EXCERPT_WIDTH = 120


class Excerpt(NamedTuple):
    """A source line as echoed: the text, and where (in cells) the underline goes."""

    text: str
    caret_at: int
    caret_width: int


def _piece(char: str) -> str:
    """What one source character is echoed as: a tab as spaces, an unsafe one escaped."""
    if char == "\t":
        return TAB
    return visible(char) if UNSAFE.match(char) else char


def _take(pieces: list[tuple[str, int]], budget: int) -> int:
    """How many pieces, from the front, fit in `budget` cells."""
    used = count = 0
    for _, width in pieces:
        if used + width > budget:
            break
        used += width
        count += 1
    return count


def excerpt(line: str, start: int, end: int, width: int = EXCERPT_WIDTH) -> Excerpt:
    """The part of `line` shown around characters `[start, end)` (0-based), escaped.

    A long line (a minified JSON file, a 10 MB literal) is cut to about `width` cells, with
    `…` on each cut side, keeping the underlined characters and what surrounds them; the
    caret's position is counted in cells of the escaped text, so it stays under its
    character whatever was escaped, expanded or cut before it.
    """
    start = max(0, min(start, len(line)))
    end = max(start + 1, min(end, len(line)))
    low, high = max(0, start - width), min(len(line), end + width)  # never look at more
    pieces = [(text, cell_width(text)) for text in map(_piece, line[low:high])]
    focus_start, focus_end = start - low, min(end, len(line)) - low
    if low == 0 and high == len(line) and sum(w for _, w in pieces) <= width:
        return _shown(pieces, 0, len(pieces), focus_start, focus_end, cut=(False, False))
    focus = pieces[focus_start:focus_end]
    focus_end = focus_start + max(1, _take(focus, width * 3 // 4))
    focus_cells = sum(w for _, w in pieces[focus_start:focus_end])
    room = max(0, width - focus_cells - 2 * cell_width(_ELLIPSIS))
    before, after = pieces[:focus_start][::-1], pieces[focus_end:]
    right_cells = sum(w for _, w in after[: _take(after, room)])
    left = _take(before, max(room // 2, room - right_cells))
    left_cells = sum(w for _, w in before[:left])
    right = _take(after, room - left_cells)
    first, last = focus_start - left, focus_end + right
    cut = (low + first > 0, low + last < len(line))
    return _shown(pieces, first, last, focus_start, focus_end, cut=cut)


def _shown(
    pieces: list[tuple[str, int]],
    first: int,
    last: int,
    focus_start: int,
    focus_end: int,
    *,
    cut: tuple[bool, bool],
) -> Excerpt:
    """Pieces `[first, last)` joined, with `…` where cut, and the caret's cells."""
    head = _ELLIPSIS if cut[0] else ""
    tail = _ELLIPSIS if cut[1] else ""
    text = head + "".join(piece for piece, _ in pieces[first:last]) + tail
    caret_at = cell_width(head) + sum(w for _, w in pieces[first:focus_start])
    caret_width = sum(w for _, w in pieces[focus_start:focus_end])
    return Excerpt(text, caret_at, max(1, caret_width))
