"""Decoding JSON text into Python values, with diagnostics a user can act on.

Syntax errors point at a line and column with the offending line. A key repeated in one
object is reported too: `json` would silently keep only the last value.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from cpol.diagnostics import Diagnostic, Diagnostics, Span, json_path
from cpol.textsafe import UNSAFE, control_name, string_escape

Path = tuple[str | int, ...]


class _RepeatedKeys(dict[str, Any]):
    """A decoded JSON object in which some keys appeared more than once."""

    repeated: list[str]


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """`object_pairs_hook` that remembers repeated keys instead of dropping them silently."""
    result: dict[str, Any] = {}
    repeated: list[str] = []
    for key, value in pairs:
        if key in result:
            repeated.append(key)
        result[key] = value
    if not repeated:
        return result
    marked = _RepeatedKeys(result)
    marked.repeated = repeated
    return marked


def walk(root: object) -> Iterator[tuple[object, Path]]:
    """Every value of a decoded JSON value with its path, in document order, each object
    key (as a value of its own) just before the value it names. Iterative: nesting may be
    deep."""
    stack: list[tuple[object, Path]] = [(root, ())]
    while stack:
        item, path = stack.pop()
        yield item, path
        if isinstance(item, dict):
            for key, child in reversed(item.items()):
                stack.append((child, (*path, key)))
                stack.append((key, (*path, key)))
        elif isinstance(item, list):
            stack.extend((child, (*path, index)) for index, child in reversed(list(enumerate(item))))


def _repeated_key_paths(root: object) -> list[Path]:
    """Paths of every repeated key, in document order."""
    return [
        (*path, key) for node, path in walk(root) if isinstance(node, _RepeatedKeys) for key in node.repeated
    ]


def _syntax_error(exc: json.JSONDecodeError, text: str, file: str) -> Diagnostic:
    lines = text.split("\n")
    line = lines[exc.lineno - 1] if exc.lineno <= len(lines) else ""
    span = Span(exc.pos, exc.pos + 1, exc.lineno, exc.colno, exc.lineno, exc.colno + 1)
    message, hint = _explain_syntax_error(exc, text)
    return Diagnostic(f"invalid JSON: {message}", file=file, span=span, hint=hint, source_line=line)


def _explain_syntax_error(exc: json.JSONDecodeError, text: str) -> tuple[str, str | None]:
    """The decoder's message, reworded where it misleads: at the end of the text the
    problem is that the text stops (a file cut short), whatever was expected there; and
    `Invalid control character at` names no character (the decoder appends the place)."""
    if not text.strip():
        return f"{exc.msg[:1].lower()}{exc.msg[1:]}", "the input is empty"
    if not text[exc.pos :].strip():
        return (
            "unexpected end of input",
            "the text stops before the JSON is complete; was the file cut short?",
        )
    char = text[exc.pos]
    if exc.msg.startswith("Invalid control character"):
        return f"control character {control_name(char)} in a string", f"write it as {string_escape(char)}"
    if exc.msg == "Extra data" and UNSAFE.match(char):
        return f"control character {control_name(char)} after the end of the JSON value", None
    hint = "JSON does not allow a trailing comma" if text[: exc.pos].rstrip().endswith(",") else None
    return f"{exc.msg[:1].lower()}{exc.msg[1:]}", hint


def _text(source: str | bytes, file: str) -> str:
    if isinstance(source, str):
        return source.removeprefix("\ufeff")
    try:
        return source.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        message = f"the input is not UTF-8 text (invalid byte at offset {exc.start})"
        raise Diagnostics([Diagnostic(message, file=file)]) from None


def decode_json(source: str | bytes, file: str) -> tuple[object, list[Diagnostic]]:
    """The decoded value and the repeated-key diagnostics; raises Diagnostics on bad syntax."""
    text = _text(source, file)
    marked: list[_RepeatedKeys] = []

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = _object(pairs)
        if isinstance(obj, _RepeatedKeys):
            marked.append(obj)
        return obj

    try:
        value = json.loads(text, object_pairs_hook=hook)
    except json.JSONDecodeError as exc:
        raise Diagnostics([_syntax_error(exc, text, file)]) from None
    except RecursionError:
        raise Diagnostics([Diagnostic("JSON is nested too deeply", file=file)]) from None
    except ValueError:  # an integer of over 4,300 digits, which Python will not convert:
        marked.clear()  # read again with such integers as the infinity they round to, which
        value = json.loads(text, object_pairs_hook=hook, parse_int=_int_or_infinity)  # is refused
    broken = unpaired_surrogates(value, file)
    if broken:
        raise Diagnostics(broken)
    duplicates = [
        Diagnostic(
            f"duplicate key `{path[-1]}`",
            file=file,
            path=json_path(path),
            hint="JSON keeps only the last value; remove the other one",
        )
        for path in (_repeated_key_paths(value) if marked else [])
    ]
    return value, duplicates


def _int_or_infinity(digits: str) -> int | float:
    """`int`, except that too many digits give infinity (a float has no digit limit)."""
    try:
        return int(digits)
    except ValueError:
        return float(digits)


def _has_surrogate(text: str) -> bool:
    """UTF-8 cannot encode a lone surrogate, and only a lone one: a C-speed test."""
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _may_hold_surrogate(value: object) -> bool:
    """One C-speed pass over the whole value; only a value that fails it is walked for paths."""
    try:
        return _has_surrogate(json.dumps(value, ensure_ascii=False))
    except (TypeError, ValueError, RecursionError):  # not plain JSON data: let the walk decide
        return True


def _printable(part: str | int) -> str | int:
    return part.encode("utf-8", "backslashreplace").decode("utf-8") if isinstance(part, str) else part


def unpaired_surrogates(value: object, file: str) -> list[Diagnostic]:
    """JSON may spell a lone surrogate (`"\\ud800"`), which is no Unicode text: nothing could
    store or print it, so it is reported at its path before anything else reads the value."""
    found: list[Diagnostic] = []
    if not _may_hold_surrogate(value):
        return found
    for item, loc in walk(value):
        if isinstance(item, str) and _has_surrogate(item):
            char = next(c for c in item if "\ud800" <= c <= "\udfff")
            path = json_path([_printable(p) for p in loc]) or "(root)"
            message = f"contains \\u{ord(char):04x}, which is not valid Unicode text"
            found.append(Diagnostic(message, file, path=path))
    return found
