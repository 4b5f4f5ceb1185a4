"""`docs/lint.md` never drifts: every code has its section, every example prints what it says.

Convention (fenced code blocks, in document order): a ```cpol block is an example's policy set,
written to `example.cpol`; a ```json catalog block before it is its `--catalog`; each ```text lint
block after it is exactly what `cpol lint example.cpol` prints, with the options written after
`text lint` (```text lint --show-suppressed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from cpol.cli import cli
from cpol.lint import CODES

DOC = Path(__file__).parents[2] / "docs" / "lint.md"
FENCE = re.compile(r"^```(?P<info>[^`]*)$")


@dataclass
class Example:
    line: int
    policies: str
    catalog: str | None
    output: str
    options: list[str]


def blocks(text: str) -> list[tuple[str, str, int]]:
    """(info, body, line) of every fenced block."""
    found = []
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        match = FENCE.match(lines[index])
        index += 1
        if match is None:
            continue
        start = index
        while not lines[index].startswith("```"):
            index += 1
        found.append((match["info"].strip(), "\n".join(lines[start:index]), start))
        index += 1
    return found


def examples() -> list[Example]:
    found: list[Example] = []
    policies: tuple[str, int, str | None] | None = None
    catalog: str | None = None
    for info, body, line in blocks(DOC.read_text(encoding="utf-8")):
        words = info.split()
        if info == "json catalog":
            catalog = body
        elif info == "cpol":
            policies, catalog = (body, line, catalog), None
        elif words[:2] == ["text", "lint"]:
            assert policies is not None, f"line {line}: a text lint block needs a cpol block above it"
            text, start, known = policies
            found.append(Example(start, text + "\n", known, body + "\n" if body else "", words[2:]))
    return found


EXAMPLES = examples()


def lint_output(example: Example, tmp_path: Path) -> str:
    (tmp_path / "example.cpol").write_text(example.policies, encoding="utf-8")
    args = ["lint", "example.cpol", *example.options]
    if example.catalog is not None:
        (tmp_path / "catalog.json").write_text(example.catalog, encoding="utf-8")
        args += ["--catalog", "catalog.json"]
    return CliRunner().invoke(cli, args).stdout


@pytest.mark.parametrize(
    "example", EXAMPLES, ids=lambda example: " ".join([f"line {example.line}", *example.options])
)
def test_example_output(example: Example, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert lint_output(example, tmp_path) == example.output


def test_every_code_has_a_section_an_example_and_a_row() -> None:
    text = DOC.read_text(encoding="utf-8")
    headings = re.findall(r"^### (CPL\d+)$", text, flags=re.MULTILINE)
    assert headings == [code.code for code in CODES]
    for code in CODES:
        assert f"| [{code.code}](#{code.code.lower()}) | {code.kind} | {code.severity} |" in text
    shown = {code for example in EXAMPLES for code in re.findall(r"\[(CPL\d+)\]", example.output)}
    assert shown == {code.code for code in CODES}
