"""`cpol lint` on the command line: formats, exit codes, -o, --catalog, --ignore, stdin."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cpol.cli import cli

from .helpers import policy

EMAIL = 'applies to channel "ch_email"'
WARNING_SET = policy("Global", "cap 3 per week") + "\n" + policy("Email", EMAIL, "cap 5 per week")
ERROR_SET = policy("Zero", EMAIL, "cap 0 per week")
CLEAN_SET = policy("Email", EMAIL, "cap 1 per day, 3 per week")


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["lint", *args], input=input)


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "warn.cpol").write_text(WARNING_SET, encoding="utf-8")
    (tmp_path / "error.cpol").write_text(ERROR_SET, encoding="utf-8")
    (tmp_path / "clean.cpol").write_text(CLEAN_SET, encoding="utf-8")
    return tmp_path


def test_clean_set(work: Path) -> None:
    result = run("clean.cpol")
    assert (result.exit_code, result.output) == (0, "no findings in 1 file (1 policy)\n")


def test_warnings_exit_0_errors_exit_1(work: Path) -> None:
    warned = run("warn.cpol")
    assert warned.exit_code == 0
    assert warned.output.startswith("warn.cpol:5:1: warning[CPL101] dead_rule: ")
    failed = run("error.cpol", "warn.cpol")
    assert failed.exit_code == 1
    assert failed.output.index("error.cpol:") < failed.output.index("warn.cpol:")  # grouped by file
    assert failed.output.endswith("1 error and 1 warning in 2 files (3 policies)\n")


def test_json_and_sarif_formats(work: Path) -> None:
    data = json.loads(run("warn.cpol", "--format", "json").output)
    assert [f["code"] for f in data["findings"]] == ["CPL101"]
    log = json.loads(run("error.cpol", "--format", "sarif").output)
    assert log["runs"][0]["results"][0]["level"] == "error"
    assert run("error.cpol", "--format", "sarif").exit_code == 1


def test_output_file(work: Path) -> None:
    result = run("warn.cpol", "--format", "sarif", "-o", "lint.sarif")
    assert (result.exit_code, result.output) == (0, "")
    assert json.loads((work / "lint.sarif").read_text(encoding="utf-8"))["version"] == "2.1.0"


def test_ignore(work: Path) -> None:
    assert run("error.cpol", "--ignore", "CPL201").exit_code == 0
    assert run("warn.cpol", "--ignore", "dead_rule,cpl999").exit_code == 2
    result = run("warn.cpol", "--ignore", "cpl101")
    assert result.output == "no findings in 1 file (2 policies)\n"


def test_catalog(work: Path) -> None:
    (work / "catalog.json").write_text(json.dumps({"channels": ["ch_sms"]}), encoding="utf-8")
    result = run("clean.cpol", "--catalog", "catalog.json")
    assert result.exit_code == 0
    assert "warning[CPL104]" in result.output


def test_bad_catalog(work: Path) -> None:
    (work / "catalog.json").write_text(
        json.dumps({"chanels": ["ch_sms"], "offers": "off_a"}), encoding="utf-8"
    )
    result = run("clean.cpol", "--catalog", "catalog.json")
    assert result.exit_code == 1
    assert "catalog.json:chanels: error: unknown catalogue key `chanels`" in result.stderr
    assert "did you mean `channels`?" in result.stderr
    assert "catalog.json:offers: error: offers must be a list of strings" in result.stderr
    missing = run("clean.cpol", "--catalog", "nope.json")
    assert missing.exit_code == 1 and "cannot read nope.json" in missing.stderr


def test_policy_errors_are_reported_like_check(work: Path) -> None:
    (work / "bad.cpol").write_text(policy("Bad", "cap 3 per fortnight"), encoding="utf-8")
    result = run("bad.cpol", "clean.cpol")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "bad.cpol:2:" in result.stderr


def test_unreadable_file(work: Path) -> None:
    result = run("missing.cpol")
    assert result.exit_code == 1
    assert "cannot read missing.cpol" in result.stderr


def test_stdin(work: Path) -> None:
    result = run("-", input=WARNING_SET)
    assert result.output.startswith("<stdin>:5:1: warning[CPL101]")
    assert run("-", "--catalog", "-", input="").exit_code == 2


def test_json_policies_and_cpol_together(work: Path) -> None:
    policies = [
        {"name": "Global JSON", "scope": "global", "ruleType": "frequency_cap", "config": {"maxPerWeek": 3}}
    ]
    (work / "global.json").write_text(json.dumps(policies), encoding="utf-8")
    (work / "email.cpol").write_text(policy("Email", EMAIL, "cap 5 per week"), encoding="utf-8")
    result = run("global.json", "email.cpol")
    assert result.output.startswith("email.cpol:1:1: warning[CPL101]")
    assert "note: global.json:[0].config: " in result.output
