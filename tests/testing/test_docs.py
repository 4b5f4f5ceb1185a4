"""docs/testing.md cannot drift: its files are written as shown, its `cpol test` runs compared.

In each `## ` section of the page, a fenced block with `title="PATH"` is a file (a later
block with the same title replaces it), and a `console` block whose first line is
`$ cpol test …` is run at that point in a folder holding the section's files; its other
lines are exactly what the command prints on standard output. `cpol lint` blocks are
another command's output and are checked by that command's own tests (docs/lint.md).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from cpol.cli import cli

DOC = Path(__file__).resolve().parents[2] / "docs" / "testing.md"
FENCE = re.compile(r"^```(?P<info>[^\n]*)\n(?P<body>.*?)^```\n", re.MULTILINE | re.DOTALL)
TITLE = re.compile(r'title="(?P<path>[^"]+)"')


@dataclass
class Step:
    files: dict[str, str] = field(default_factory=dict)
    command: list[str] = field(default_factory=list)
    output: str = ""


def steps() -> list[tuple[str, list[Step]]]:
    """Per section: the runs, each with every file written before it."""
    text = DOC.read_text(encoding="utf-8")
    sections = re.split(r"^## ", text, flags=re.MULTILINE)
    out = []
    for section in sections[1:]:
        title = section.split("\n", 1)[0]
        files: dict[str, str] = {}
        runs = []
        for block in FENCE.finditer(section):
            info, body = block.group("info"), block.group("body")
            named = TITLE.search(info)
            if named:
                files[named.group("path")] = body
            elif info.strip() == "console" and body.startswith("$ cpol test"):
                first, _, rest = body.partition("\n")
                if rest:
                    runs.append(Step(dict(files), shlex.split(first[2:])[1:], rest))
        if runs:
            out.append((title, runs))
    return out


def test_the_page_has_checked_examples() -> None:
    found = steps()
    assert [title for title, _ in found] == ["A first test", "Worked example: a team adds a policy"]
    assert sum(len(runs) for _, runs in found) == 4


@pytest.mark.parametrize(("title", "runs"), steps(), ids=[title for title, _ in steps()])
def test_console_blocks_are_what_cpol_test_prints(
    title: str, runs: list[Step], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for step in runs:
        for path, body in step.files.items():
            (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / path).write_text(body, encoding="utf-8")
        result = CliRunner().invoke(cli, step.command)
        assert result.stdout == step.output, f"{title}: cpol {' '.join(step.command)}"
        assert result.exit_code == (1 if " failed\n" in step.output and "0 failed" not in step.output else 0)
