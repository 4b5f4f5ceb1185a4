"""Golden tests for the diagnostics of the JSON loader (`cpol.load_json`).

Each case is a bad policy file `golden/NN_short_name.json` next to `golden/NN_short_name.expected`,
the exact text of `str(cpol.Diagnostics)` for it (the file is named by its own file name),
followed by one newline. Diagnostics are located by a JSON path (`f.json:[3].config.maxPerWeek:
error: …`), by line and column for JSON syntax errors, or by the file alone.

For every case the tests check:

* the whole rendered text equals the `.expected` file;
* the structured `Diagnostic` objects agree with it: file, path or `span.line`/`span.column`,
  severity, message and hint of each diagnostic match its header line in the `.expected` file;
* loading raises `cpol.Diagnostics` and never any other exception, for the text as `str` and
  as UTF-8 `bytes` alike (both give the same diagnostics).

Cases listed in `KNOWN_BAD` are library bugs: their `.expected` file says what the output
*should* be, and they are marked `xfail(strict=True)`.

Maintainers: after an intended change of wording, regenerate the `.expected` files with

    CPOL_UPDATE_GOLDEN=1 .venv/bin/pytest tests/plan/test_json_diagnostics_golden.py

and review the diff. `KNOWN_BAD` cases are never rewritten. The switch is off unless the
variable is exactly `1`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

import cpol

GOLDEN = Path(__file__).with_name("golden")
UPDATE = os.environ.get("CPOL_UPDATE_GOLDEN") == "1"

#: Cases whose actual output is wrong today: (case name, what is wrong).
KNOWN_BAD: list[tuple[str, str]] = []
_KNOWN_BAD = dict(KNOWN_BAD)

CASE_NAME = re.compile(r"^\d{2}_[a-z0-9_]+$")
HEADER = re.compile(
    r"^(?P<file>[^:\s]+)(?::(?P<where>\S+?))?: "
    r"(?P<severity>error|warning|info): (?P<message>.*)$"
)
LINE_COLUMN = re.compile(r"^(\d+):(\d+)$")


def _case_names() -> list[str]:
    return sorted(p.stem for p in GOLDEN.glob("*.json") if CASE_NAME.match(p.stem))


def _params() -> list[object]:
    params: list[object] = []
    for name in _case_names():
        marks = []
        if name in _KNOWN_BAD:
            marks.append(pytest.mark.xfail(strict=True, reason=_KNOWN_BAD[name]))
        params.append(pytest.param(name, marks=marks, id=name))
    return params


def _diagnostics(name: str, *, as_bytes: bool = False) -> cpol.Diagnostics:
    """Load the case; it must raise `Diagnostics` (any other exception fails the test)."""
    file = f"{name}.json"
    data = (GOLDEN / file).read_bytes()
    with pytest.raises(cpol.Diagnostics) as caught:
        cpol.load_json(data if as_bytes else data.decode("utf-8"), file)
    return caught.value


def _expected(name: str) -> str:
    path = GOLDEN / f"{name}.expected"
    assert path.exists(), f"missing {path.name} (set CPOL_UPDATE_GOLDEN=1 to create it)"
    return path.read_text(encoding="utf-8")


@dataclass(frozen=True)
class Header:
    """What one diagnostic block says: where (a path, or line and column), what, and the hint."""

    file: str
    path: str | None
    line: int | None
    column: int | None
    severity: str
    message: str
    hint: str | None


def _headers(text: str) -> list[Header]:
    blocks: list[list[str]] = []
    for line in text.rstrip("\n").split("\n"):
        if not line.startswith("  ") and HEADER.match(line):
            blocks.append([line])
        else:
            assert blocks, f"text before the first diagnostic: {line!r}"
            blocks[-1].append(line)
    headers = []
    for block in blocks:
        match = HEADER.match(block[0])
        assert match is not None
        where = match["where"]
        position = LINE_COLUMN.match(where) if where else None
        last = block[-1] if len(block) > 1 else ""
        headers.append(
            Header(
                match["file"],
                where if where and not position else None,
                int(position[1]) if position else None,
                int(position[2]) if position else None,
                match["severity"],
                match["message"],
                last.removeprefix("  hint: ") if last.startswith("  hint: ") else None,
            )
        )
    return headers


def _structured(error: cpol.Diagnostics) -> list[Header]:
    out = []
    for item in error.items:
        assert isinstance(item, cpol.Diagnostic)
        out.append(
            Header(
                item.file,
                item.path,
                item.span.line if item.span else None,
                item.span.column if item.span else None,
                item.severity,
                item.message,
                item.hint,
            )
        )
    return out


def test_there_are_enough_cases() -> None:
    names = _case_names()
    assert len(names) >= 10
    assert len({name[:2] for name in names}) == len(names), "case numbers must be unique"
    for known, _ in KNOWN_BAD:
        assert known in names, f"KNOWN_BAD names a case that does not exist: {known}"
    for path in GOLDEN.iterdir():
        assert path.name.split(".")[0] in names, f"stray file in golden/: {path.name}"


@pytest.mark.parametrize("name", _params())
def test_rendered_diagnostics(name: str) -> None:
    actual = str(_diagnostics(name)) + "\n"
    if UPDATE and name not in _KNOWN_BAD:
        (GOLDEN / f"{name}.expected").write_text(actual, encoding="utf-8")
    assert actual == _expected(name)


@pytest.mark.parametrize("name", _params())
def test_structured_diagnostics(name: str) -> None:
    error = _diagnostics(name)
    assert error.errors, "loading failed without an error-severity diagnostic"
    for item in error.items:
        assert item.span is None or item.path is None, "located twice"
        if item.span is not None:
            assert item.source_line is not None
    assert _structured(error) == _headers(_expected(name))


@pytest.mark.parametrize("name", [n for n in _case_names() if n not in _KNOWN_BAD])
def test_bytes_input_gives_the_same_diagnostics(name: str) -> None:
    assert str(_diagnostics(name, as_bytes=True)) == str(_diagnostics(name))
