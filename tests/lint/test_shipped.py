"""The shipped policies lint clean: nothing above info in the examples and the standard library.

The seed data is the exception, on purpose: it is the seed platform's own data, which keeps
two policies in their older shape next to the newer policy that supersedes them. Those two
are real redundancies, and lint must keep saying so.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cpol.lint import lint
from cpol.policyset import load_policy_set

from .helpers import above_info

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "examples"
STDLIB = ROOT / "src" / "cpol" / "stdlib_rules"
POLICY_FILES = ["all_rule_types.cpol", "all_rule_types.json", "seed.cpol", "seed.json", "seed-policies.json"]
STDLIB_MODULES = sorted(STDLIB.rglob("*.cpol"))
SEED_OLDER_SHAPES = {
    ("CPL301", "Email Weekly Cap (older shape)", "Email Weekly Cap"),
    ("CPL301", "DNC segment (older shape)", "Do not contact segment"),
}


def lint_files(*paths: Path) -> list[tuple[str, str, str]]:
    located = load_policy_set([(path.read_text(encoding="utf-8"), str(path)) for path in paths])
    return [
        (f.code.code, f.primary.policy_name, f.related[0].policy_name if f.related else "")
        for f in lint(located)
        if f.severity != "info"
    ]


def test_every_example_policy_file_is_covered() -> None:
    found = {p.name for p in EXAMPLES.iterdir() if p.suffix in (".cpol", ".json")}
    requests = {"request.json", "demo-request.json"}
    assert found - requests == set(POLICY_FILES)


@pytest.mark.parametrize("name", [n for n in POLICY_FILES if n.startswith("all_rule_types")])
def test_examples_report_nothing_above_info(name: str) -> None:
    assert lint_files(EXAMPLES / name) == []


@pytest.mark.parametrize("name", [n for n in POLICY_FILES if n.startswith("seed")])
def test_seed_reports_only_its_older_shape_twins(name: str) -> None:
    assert set(lint_files(EXAMPLES / name)) == SEED_OLDER_SHAPES


@pytest.mark.parametrize("module", STDLIB_MODULES, ids=lambda path: str(path.relative_to(STDLIB)))
def test_stdlib_module_reports_nothing_above_info(module: Path) -> None:
    assert lint_files(module) == []


def test_stdlib_modules_together() -> None:
    """Imported all at once, only the one real overlap shows: the quarantine already covers
    `unsubscribe` for as long, and cannot be overridden."""
    assert lint_files(*STDLIB_MODULES) == [
        ("CPL301", "Suppress after unsubscribe", "Adverse outcomes quarantine"),
    ]


def test_examples_and_stdlib_have_no_false_info_either() -> None:
    """Infos on the shipped files are exactly their inactive policies."""
    located = load_policy_set([((EXAMPLES / "all_rule_types.cpol").read_text(encoding="utf-8"), "a.cpol")])
    infos = [(f.code.code, f.primary.policy_name) for f in lint(located) if f.severity == "info"]
    assert infos == [
        ("CPL103", "Legacy DNC segment"),
        ("CPL103", "Spring campaign pacing"),
        ("CPL103", "Business-as-usual email"),
    ]
    assert [
        above_info(lint(load_policy_set([(m.read_text(encoding="utf-8"), str(m))]))) for m in STDLIB_MODULES
    ] == [[] for _ in STDLIB_MODULES]
