"""The shipped policies lint clean: nothing above info in `examples/` and the standard library.

Both are linted as a user would, through the command line on the directory. The standard
library holds one overlap on purpose (its lifecycle module works without the compliance
one), said in the module by a `# lint: ignore` directive: that finding is suppressed, not
gone. The seed platform's data (`tests/fixtures/seed/`) is no example: it keeps two policies
in their older shape next to the newer policy that supersedes them, real redundancies that
lint must keep reporting.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cpol.cli import cli
from cpol.lint import lint
from cpol.policyset import load_policy_set

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "examples"
STDLIB = ROOT / "src" / "cpol" / "stdlib_rules"
SEED = ROOT / "tests" / "fixtures" / "seed"
STDLIB_MODULES = sorted(STDLIB.rglob("*.cpol"))
SEED_OLDER_SHAPES = {
    ("CPL301", "Email Weekly Cap (older shape)", "Email Weekly Cap"),
    ("CPL301", "DNC segment (older shape)", "Do not contact segment"),
}


def lint_json(*args: str | Path) -> tuple[dict[str, Any], str]:
    """`cpol lint ARGS --format json` from the repository root: the report, and stderr."""
    result = CliRunner().invoke(cli, ["lint", *map(str, args), "--format", "json"])
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return report, result.stderr


def above_info(report: dict[str, Any]) -> list[str]:
    return [
        f"{f['code']} {f['policy']}: {f['message']}"
        for f in report["findings"]
        if f["severity"] != "info" and not f["suppressed"]
    ]


def test_examples_directory_reports_nothing_above_info(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    report, notes = lint_json("examples/")
    assert above_info(report) == []
    assert [(f["code"], f["policy"]) for f in report["findings"]] == [
        ("CPL103", "Legacy DNC segment"),
        ("CPL103", "Spring campaign pacing"),
        ("CPL103", "Business-as-usual email"),
    ]
    assert (report["summary"]["files"], report["summary"]["suppressed"]) == (1, 0)
    assert notes.splitlines() == [
        "skipped examples/all_rule_types.json: taken as the compiled form of examples/all_rule_types.cpol",
        "skipped examples/demo-request.json: not a policy file",
        "skipped examples/request.json: not a policy file",
    ]


def test_compiled_example_named_explicitly_reports_nothing_above_info() -> None:
    report, _ = lint_json(EXAMPLES / "all_rule_types.json")
    assert above_info(report) == []
    assert report["summary"]["info"] == 3


def test_stdlib_directory_reports_nothing_above_info() -> None:
    """All modules as one set: the one overlap is suppressed by its module's directive."""
    report, notes = lint_json(STDLIB)
    assert (notes, report["summary"]["files"]) == ("", len(STDLIB_MODULES))
    assert above_info(report) == []
    suppressed = [
        (f["code"], f["policy"], f["related"][0]["policy"]) for f in report["findings"] if f["suppressed"]
    ]
    assert suppressed == [("CPL301", "Suppress after unsubscribe", "Adverse outcomes quarantine")]


@pytest.mark.parametrize("module", STDLIB_MODULES, ids=lambda path: str(path.relative_to(STDLIB)))
def test_stdlib_module_alone_reports_nothing_above_info(module: Path) -> None:
    report, _ = lint_json(module)
    assert above_info(report) == []


def test_stdlib_modules_imported_together_carry_their_directive() -> None:
    source = "".join(
        f'use "{path.relative_to(STDLIB).with_suffix("").as_posix()}"\n' for path in STDLIB_MODULES
    )
    findings = lint(load_policy_set([(source, "all.cpol")]))
    assert [(f.code.code, f.primary.policy_name, f.suppressed is not None) for f in findings] == [
        ("CPL301", "Suppress after unsubscribe", True)
    ]


@pytest.mark.parametrize("name", ["seed.cpol", "seed.json", "seed-policies.json"])
def test_seed_fixture_reports_only_its_older_shape_twins(name: str) -> None:
    path = SEED / name
    findings = lint(load_policy_set([(path.read_text(encoding="utf-8"), str(path))]))
    shown = [
        (f.code.code, f.primary.policy_name, f.related[0].policy_name)
        for f in findings
        if f.severity != "info"
    ]
    assert sorted(shown) == sorted(SEED_OLDER_SHAPES)
    assert not any(f.suppressed for f in findings)
