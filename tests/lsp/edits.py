"""Applying the server's text edits the way an editor does, to check what they produce."""

from __future__ import annotations

from typing import Any


def offset(text: str, position: dict[str, int]) -> int:
    """The offset of a UTF-16 position (the tests' texts are ASCII or BMP)."""
    lines = text.split("\n")
    line = min(position["line"], len(lines) - 1)
    return sum(len(item) + 1 for item in lines[:line]) + min(position["character"], len(lines[line]))


def apply(text: str, edits: list[dict[str, Any]]) -> str:
    ordered = sorted(
        edits, key=lambda e: (e["range"]["start"]["line"], e["range"]["start"]["character"]), reverse=True
    )
    for edit in ordered:
        start, end = offset(text, edit["range"]["start"]), offset(text, edit["range"]["end"])
        text = text[:start] + edit["newText"] + text[end:]
    return text
