"""The layout's one-way rule for the command line: it sits on top, and no stage of cpol (or
the library's public API) imports it, so every capability is usable without a terminal."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parents[1] / "src" / "cpol"


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_no_stage_imports_the_command_line() -> None:
    stages = [p for p in PACKAGE.rglob("*.py") if "cli" not in p.relative_to(PACKAGE).parts]
    assert len(stages) > 50
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(
            n for n in _imported(path) if n == "cpol.cli" or n.startswith("cpol.cli.")
        )
        for path in stages
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_each_command_family_has_its_module() -> None:
    modules = {p.stem for p in (PACKAGE / "cli").glob("*.py")}
    assert {"shared", "loading", "authoring", "deciding", "lint", "testing", "output"} <= modules
