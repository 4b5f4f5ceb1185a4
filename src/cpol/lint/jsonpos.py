"""Line and column of a JSON path in JSON text, for SARIF regions of `.json` findings.

JSON files have no spans (the loader works on decoded values), but a code host needs a line
to show a finding inline. One pass over the text records where every value starts; the
scalars are skipped by the standard library's scanner.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import re
from collections.abc import Callable

from cpol.plan.base import Loc

_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
scanstring: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]


class JsonPositions:
    """Offsets of every value of a JSON document, by path; lines and columns 1-based."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.offsets: dict[Loc, int] = {}
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        # a document the loader accepted parses; anything else keeps what was found
        with contextlib.suppress(ValueError, IndexError, RecursionError):
            self._value(self._skip(0), ())

    def _skip(self, at: int) -> int:
        match = _SPACE.match(self.text, at)
        return match.end() if match is not None else at

    def _value(self, at: int, path: Loc) -> int:
        """Record the value starting at `at`; return the offset just after it."""
        self.offsets[path] = at
        text = self.text
        opener = text[at]
        if opener not in "[{":
            return _DECODER.raw_decode(text, at)[1]
        closer = "]" if opener == "[" else "}"
        at = self._skip(at + 1)
        position = 0
        while text[at] != closer:
            if opener == "{":
                key, at = scanstring(text, at + 1)
                at = self._skip(at)
                at = self._skip(at + 1)  # the colon
                at = self._value(at, (*path, key))
            else:
                at = self._value(at, (*path, position))
                position += 1
            at = self._skip(at)
            if text[at] == ",":
                at = self._skip(at + 1)
        return at + 1

    def position(self, path: Loc) -> tuple[int, int] | None:
        """(line, column) of the value at `path`, or of its nearest recorded parent."""
        for end in range(len(path), -1, -1):
            offset = self.offsets.get(path[:end])
            if offset is not None:
                line = bisect.bisect_right(self.line_starts, offset)
                return line, offset - self.line_starts[line - 1] + 1
        return None
