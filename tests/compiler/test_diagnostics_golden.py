"""Golden tests for the diagnostics of the `.cpol` compiler.

Each case is a small bad input `golden/NN_short_name.cpol` next to `golden/NN_short_name.expected`,
the exact text of `str(cpol.Diagnostics)` for it (file names are shown relative, as the case's
own file name), followed by one newline. A case may have companion files
`NN_short_name.partK.cpol`: the case is then compiled with `cpol.compile_files` together with
them (names must be unique across files); otherwise with `cpol.compile_source`.

For every case the tests check:

* the whole rendered text equals the `.expected` file (message, location, source line, caret
  and hint of every diagnostic, their number and their order);
* the structured `Diagnostic` objects agree with it: file, `span.line`, `span.column`,
  severity, message and hint of each diagnostic match its header line in the `.expected` file;
* compiling raises `cpol.Diagnostics` and never any other exception.

The cases, the `CPOL_UPDATE_GOLDEN=1` switch and the known-bad list work as `tests/golden.py`
says:

    CPOL_UPDATE_GOLDEN=1 .venv/bin/pytest tests/compiler/test_diagnostics_golden.py
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
CASES = GoldenCases(GOLDEN, ".cpol", known_bad={})
HEADER = re.compile(
    r"^(?P<file>[^\s:]+):(?P<line>\d+):(?P<column>\d+): "
    r"(?P<severity>error|warning|info): (?P<message>.*)$"
)


def _companions(name: str) -> list[str]:
    return sorted(p.name for p in GOLDEN.glob(f"{name}.part*.cpol"))


def _diagnostics(name: str, monkeypatch: pytest.MonkeyPatch) -> cpol.Diagnostics:
    """Compile the case; it must raise `Diagnostics` (any other exception fails the test)."""
    main = f"{name}.cpol"
    companions = _companions(name)
    with pytest.raises(cpol.Diagnostics) as caught:
        if companions:
            monkeypatch.chdir(GOLDEN)  # so files are named relative, as a user would type them
            cpol.compile_files([main, *companions])
        else:
            cpol.compile_source((GOLDEN / main).read_text(encoding="utf-8"), main)
    return caught.value


@dataclass(frozen=True)
class Header:
    """What one diagnostic block of an `.expected` file says, in structured form."""

    file: str
    line: int
    column: int
    severity: str
    message: str
    hint: str | None


def _headers(text: str) -> list[Header]:
    return [
        Header(m["file"], int(m["line"]), int(m["column"]), m["severity"], m["message"], hint)
        for m, hint in header_blocks(text, HEADER)
    ]


def test_there_are_enough_cases() -> None:
    CASES.check_inventory(minimum=35)


@pytest.mark.parametrize("name", CASES.params())
def test_rendered_diagnostics(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    CASES.check_rendered(name, str(_diagnostics(name, monkeypatch)) + "\n")


@pytest.mark.parametrize("name", CASES.params())
def test_structured_diagnostics(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    error = _diagnostics(name, monkeypatch)
    assert error.items, "Diagnostics raised without any diagnostic"
    assert error.errors, "compilation failed without an error-severity diagnostic"
    actual = []
    for item in error.items:
        assert isinstance(item, cpol.Diagnostic)
        assert item.span is not None, f"no source position: {item.render()}"
        assert item.source_line is not None
        assert 1 <= item.span.column <= len(item.source_line) + 1
        actual.append(
            Header(
                item.file,
                item.span.line,
                item.span.column,
                item.severity,
                item.message,
                item.hint,
            )
        )
    assert actual == _headers(CASES.expected(name))
