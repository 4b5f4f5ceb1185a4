"""`cpol plan` as a user runs it: the scenario of plan_scenario.py written as Parquet inputs,
decided by the batch engine, must give exactly the report the online engine gives (the
goldens of test_plan_report.py); it writes nothing but its report; bad input is one clear
line and exit 1."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result

from cpol.cli import cli
from tests.batch import plan_scenario as scenario

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with old.json, new.json and the three inputs under in/."""
    (tmp_path / "in").mkdir()
    scenario.write_inputs(tmp_path / "in")
    for name, policies in (("old.json", scenario.OLD_POLICIES), ("new.json", scenario.NEW_POLICIES)):
        (tmp_path / name).write_text(json.dumps(policies), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


INPUTS = (
    "--interactions",
    "in/interactions.parquet",
    "--customers",
    "in/customers.parquet",
    "--candidates",
    "in/candidates.parquet",
    "--now",
    scenario.NOW,
)


def plan(*args: str) -> Result:
    return CliRunner().invoke(cli, ["plan", "old.json", "new.json", *INPUTS, "--samples", "2", *args])


def files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def test_text_report_equals_the_online_engines(work: Path) -> None:
    result = plan()
    assert result.exit_code == 0, result.output
    assert result.stdout == (GOLDEN / "plan.txt").read_text(encoding="utf-8")


def test_json_report_equals_the_online_engines_and_nothing_else_is_written(work: Path) -> None:
    """Through a real process: exit 0, no stderr, and one new file, the report."""
    before = files(work)
    args = ["plan", "old.json", "new.json", *INPUTS, "--samples", "2", "--format", "json", "-o", "out.json"]
    done = subprocess.run(
        [sys.executable, "-m", "cpol.cli", *args], cwd=work, capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert files(work) - before == {"out.json"}
    assert files(work) >= before
    expected = (GOLDEN / "plan.json").read_text(encoding="utf-8")
    assert (work / "out.json").read_text(encoding="utf-8") == expected


def test_html_report_is_one_standalone_page(work: Path) -> None:
    result = plan("--format", "html", "-o", "report.html")
    assert result.exit_code == 0, result.output
    page = (work / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "SMS quiet hours" in page
    assert "http://" not in page and "https://" not in page


def test_samples_zero_explains_no_customer(work: Path) -> None:
    result = plan("--format", "json", "--samples", "0")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["samples"] == []


def test_a_missing_input_is_one_line_and_exit_1(work: Path) -> None:
    result = CliRunner().invoke(
        cli, ["plan", "old.json", "new.json", *INPUTS[:1], "in/nowhere.parquet", *INPUTS[2:]]
    )
    assert result.exit_code == 1
    assert result.stderr == "cpol: cannot read --interactions in/nowhere.parquet: no such file or directory\n"


def test_a_bad_now_is_one_line_and_exit_1(work: Path) -> None:
    result = CliRunner().invoke(cli, ["plan", "old.json", "new.json", *INPUTS[:-1], "next friday"])
    assert result.exit_code == 1
    assert "--now 'next friday' is not an instant" in result.stderr


def test_policy_errors_of_both_sets_are_reported_with_their_place(work: Path) -> None:
    (work / "old.json").write_text('[{"name": "x", "ruleType": "cooldown", "config": {}}]', encoding="utf-8")
    (work / "new.json").write_text("policy {", encoding="utf-8")
    result = CliRunner().invoke(cli, ["plan", "old.json", "new.json", *INPUTS])
    assert result.exit_code == 1
    assert "old.json:" in result.stderr and "new.json:1:" in result.stderr
    assert "Traceback" not in result.output


def test_an_input_without_a_required_column_names_file_and_column(work: Path) -> None:
    pq.write_table(pa.table({"who": ["c1"]}), work / "in" / "customers.parquet")
    result = plan()
    assert result.exit_code == 1
    assert result.stderr.startswith("cpol: in/customers.parquet: no column id")
