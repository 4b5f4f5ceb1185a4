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

Cases listed in `KNOWN_BAD` are library bugs: their `.expected` file says what the output
*should* be, and they are marked `xfail(strict=True)`, so fixing the bug makes the test
XPASS and fail until the case is taken off the list.

Maintainers: after an intended change of wording, regenerate the `.expected` files from the
actual output with

    CPOL_UPDATE_GOLDEN=1 .venv/bin/pytest tests/compiler/test_diagnostics_golden.py

and review the diff. `KNOWN_BAD` cases are never rewritten (their files hold the wanted
output, not the current one). The switch is off unless the variable is exactly `1`.
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

#: Cases whose actual output is wrong today: (case name, what is wrong). See the docstring.
KNOWN_BAD: list[tuple[str, str]] = []
_KNOWN_BAD = dict(KNOWN_BAD)

CASE_NAME = re.compile(r"^\d{2}_[a-z0-9_]+$")
HEADER = re.compile(
    r"^(?P<file>[^\s:]+):(?P<line>\d+):(?P<column>\d+): "
    r"(?P<severity>error|warning|info): (?P<message>.*)$"
)


def _case_names() -> list[str]:
    return sorted(p.stem for p in GOLDEN.glob("*.cpol") if CASE_NAME.match(p.stem))


def _params() -> list[object]:
    params: list[object] = []
    for name in _case_names():
        marks = []
        if name in _KNOWN_BAD:
            marks.append(pytest.mark.xfail(strict=True, reason=_KNOWN_BAD[name]))
        params.append(pytest.param(name, marks=marks, id=name))
    return params


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


def _expected(name: str) -> str:
    path = GOLDEN / f"{name}.expected"
    assert path.exists(), f"missing {path.name} (set CPOL_UPDATE_GOLDEN=1 to create it)"
    return path.read_text(encoding="utf-8")


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
    """Split rendered diagnostics into blocks (one per header line) and read each one."""
    blocks: list[list[str]] = []
    for line in text.rstrip("\n").split("\n"):
        if HEADER.match(line):
            blocks.append([line])
        else:
            assert blocks, f"text before the first diagnostic: {line!r}"
            blocks[-1].append(line)
    headers = []
    for block in blocks:
        match = HEADER.match(block[0])
        assert match is not None
        last = block[-1] if len(block) > 1 else ""
        hint = last.removeprefix("  hint: ") if last.startswith("  hint: ") else None
        headers.append(
            Header(
                match["file"],
                int(match["line"]),
                int(match["column"]),
                match["severity"],
                match["message"],
                hint,
            )
        )
    return headers


def test_there_are_enough_cases() -> None:
    names = _case_names()
    assert len(names) >= 35
    assert len({name[:2] for name in names}) == len(names), "case numbers must be unique"
    for known, _ in KNOWN_BAD:
        assert known in names, f"KNOWN_BAD names a case that does not exist: {known}"
    for path in GOLDEN.iterdir():
        base = path.name.split(".")[0]
        assert base in names, f"stray file in golden/: {path.name}"


@pytest.mark.parametrize("name", _params())
def test_rendered_diagnostics(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    actual = str(_diagnostics(name, monkeypatch)) + "\n"
    path = GOLDEN / f"{name}.expected"
    if UPDATE and name not in _KNOWN_BAD:
        path.write_text(actual, encoding="utf-8")
    assert actual == _expected(name)


@pytest.mark.parametrize("name", _params())
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
    assert actual == _headers(_expected(name))
