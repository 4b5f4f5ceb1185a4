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

The cases, the `CPOL_UPDATE_GOLDEN=1` switch and the known-bad list work as `tests/golden.py`
says:

    CPOL_UPDATE_GOLDEN=1 .venv/bin/pytest tests/plan/test_json_diagnostics_golden.py
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

import cpol
from tests.golden import GoldenCases, header_blocks

GOLDEN = Path(__file__).with_name("golden")
#: Cases whose actual output is wrong today: {case name: what is wrong}.
CASES = GoldenCases(GOLDEN, ".json", known_bad={})
HEADER = re.compile(
    r"^(?P<file>[^:\s]+)(?::(?P<where>\S+?))?: "
    r"(?P<severity>error|warning|info): (?P<message>.*)$"
)
LINE_COLUMN = re.compile(r"^(\d+):(\d+)$")


def _diagnostics(name: str, *, as_bytes: bool = False) -> cpol.Diagnostics:
    """Load the case; it must raise `Diagnostics` (any other exception fails the test)."""
    file = f"{name}.json"
    data = (GOLDEN / file).read_bytes()
    with pytest.raises(cpol.Diagnostics) as caught:
        cpol.load_json(data if as_bytes else data.decode("utf-8"), file)
    return caught.value


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
    headers = []
    for match, hint in header_blocks(text, HEADER):
        where = match["where"]
        position = LINE_COLUMN.match(where) if where else None
        headers.append(
            Header(
                match["file"],
                where if where and not position else None,
                int(position[1]) if position else None,
                int(position[2]) if position else None,
                match["severity"],
                match["message"],
                hint,
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
    CASES.check_inventory(minimum=10)


@pytest.mark.parametrize("name", CASES.params())
def test_rendered_diagnostics(name: str) -> None:
    CASES.check_rendered(name, str(_diagnostics(name)) + "\n")


@pytest.mark.parametrize("name", CASES.params())
def test_structured_diagnostics(name: str) -> None:
    error = _diagnostics(name)
    assert error.errors, "loading failed without an error-severity diagnostic"
    for item in error.items:
        assert item.span is None or item.path is None, "located twice"
        if item.span is not None:
            assert item.source_line is not None
    assert _structured(error) == _headers(CASES.expected(name))


@pytest.mark.parametrize("name", [n for n in CASES.names() if n not in CASES.known_bad])
def test_bytes_input_gives_the_same_diagnostics(name: str) -> None:
    assert str(_diagnostics(name, as_bytes=True)) == str(_diagnostics(name))
