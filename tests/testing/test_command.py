"""`cpol test` as a user and a CI job meet it: output, exit codes, JUnit XML, coverage."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cpol.cli import cli

ROOT = Path(__file__).resolve().parents[2]
SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed$")

POLICIES = """\
policy "Email cap" {
  priority 80
  scope channel "ch_email"
  cap 1 per day, 3 per week
}

policy "Minors" {
  priority 95
  exclude segments "seg_minors"
}
"""

GOOD = """\
policies: [bank.cpol]
now: 2026-03-20T14:00:00Z
tests:
  - name: the first email of the day is allowed
    candidates: [{offer: off_1, channel: ch_email, expect: allowed}]
  - name: a second email the same day waits a day
    history: [{at: 1 hour ago, channel: ch_email}]
    candidates:
      - {offer: off_1, channel: ch_email, expect: {blocked_by: Email cap, eligible_at: in 23 hours}}
"""

BROKEN = """\
policies: [bank.cpol]
now: 2026-03-20T14:00:00Z
tests:
  - name: minors may get email
    customer: {segments: [seg_minors]}
    candidates: [{offer: off_1, channel: ch_email, expect: allowed}]
"""


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "tests" / "policies").mkdir(parents=True)
    (tmp_path / "tests" / "policies" / "bank.cpol").write_text(POLICIES, encoding="utf-8")
    (tmp_path / "tests" / "policies" / "good.test.yaml").write_text(GOOD, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["test", *args], input=input)


def last_line(result: Result) -> str:
    return result.stdout.rstrip("\n").split("\n")[-1]


def test_passing_tests(work: Path) -> None:
    result = run()  # the default folder: tests/policies
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "PASS tests/policies/good.test.yaml:4  the first email of the day is allowed\n"
        "PASS tests/policies/good.test.yaml:6  a second email the same day waits a day\n"
        "2 passed, 0 failed\n"
    )
    assert result.stderr == ""


def test_a_broken_expectation_prints_the_trace_and_exits_1(work: Path) -> None:
    (work / "tests" / "policies" / "broken.test.yaml").write_text(BROKEN, encoding="utf-8")
    result = run("tests/policies")
    assert result.exit_code == 1
    out = result.stdout
    assert "FAIL tests/policies/broken.test.yaml:4  minors may get email\n" in out
    assert "    #1 off_1 on ch_email\n" in out
    assert "      expected: allowed\n" in out
    assert "      actual:   blocked by Minors; never by time alone\n" in out
    assert "      differs:  it is blocked\n" in out
    assert "      trace:\n" in out
    # the explain trace of that candidate, indented under it
    assert "        #1 off_1 on ch_email  BLOCKED, not by time alone\n" in out
    assert re.search(
        r"\n {12}block +95  Minors +segment_exclusion +the customer is in segment seg_minors", out
    )
    assert re.search(r"\n {12}pass +80  Email cap +frequency_cap", out)
    assert last_line(result) == "2 passed, 1 failed"


def test_quiet_prints_only_failures(work: Path) -> None:
    (work / "tests" / "policies" / "broken.test.yaml").write_text(BROKEN, encoding="utf-8")
    result = run("-q")
    assert "PASS" not in result.stdout
    assert result.stdout.startswith("FAIL tests/policies/broken.test.yaml:4  minors may get email\n")
    assert last_line(result) == "2 passed, 1 failed"


def test_filter_by_name(work: Path) -> None:
    result = run("-k", "second email")
    assert result.exit_code == 0
    assert result.stdout.endswith("  a second email the same day waits a day\n1 passed, 0 failed\n")
    result = run("-k", "nothing like this")
    assert result.exit_code == 1
    assert result.stderr == "cpol: no test name contains `nothing like this`\n"


def test_a_bad_test_file_is_reported_and_the_others_still_run(work: Path) -> None:
    (work / "tests" / "policies" / "bad.test.yaml").write_text(
        "policies: [bank.cpol]\nnow: 2026-03-20T14:00Z\ntests:\n"
        "  - {name: a, candidates: [{offer: x, expect: blocked by Email Cap}]}\n",
        encoding="utf-8",
    )
    result = run()
    assert result.exit_code == 1
    assert result.stderr == (
        "tests/policies/bad.test.yaml:4:47: error: no policy is named `Email Cap`\n"
        "    - {name: a, candidates: [{offer: x, expect: blocked by Email Cap}]}\n"
        f"  {' ' * 46}^{'~' * 19}\n"
        "  hint: did you mean `Email cap`?\n"
        "1 error in 1 test file\n"
    )
    assert result.stdout == (
        "ERROR tests/policies/bad.test.yaml  (1 problem, reported above)\n"
        "PASS tests/policies/good.test.yaml:4  the first email of the day is allowed\n"
        "PASS tests/policies/good.test.yaml:6  a second email the same day waits a day\n"
        "2 passed, 0 failed\n"
    )


def test_no_test_files(work: Path) -> None:
    (work / "empty").mkdir()
    result = run("empty", "missing.test.yaml")
    assert result.exit_code == 1
    assert result.stderr == (
        "cpol: no test files (*.test.yaml) in empty\n"
        "cpol: cannot read missing.test.yaml: No such file or directory\n"
    )


def test_stdin(work: Path) -> None:
    text = GOOD.replace("bank.cpol", "tests/policies/bank.cpol")  # relative to the working folder
    result = run("-", input=text)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("PASS <stdin>:4  the first email of the day is allowed\n")
    result = CliRunner().invoke(cli, ["test", "-", "-"], input=text)
    assert result.exit_code == 2


def test_junit_xml(work: Path) -> None:
    (work / "tests" / "policies" / "broken.test.yaml").write_text(BROKEN, encoding="utf-8")
    (work / "tests" / "policies" / "bad.test.yaml").write_text("tests: [\n", encoding="utf-8")
    result = run("--junit", "report.xml")
    assert result.exit_code == 1
    root = ET.parse(work / "report.xml").getroot()
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("4", "1", "1")
    suites = {suite.get("name"): suite for suite in root}
    assert list(suites) == [
        "tests/policies/bad.test.yaml",
        "tests/policies/broken.test.yaml",
        "tests/policies/good.test.yaml",
    ]
    bad = suites["tests/policies/bad.test.yaml"]
    (error,) = bad.iter("error")
    assert error.get("message", "").startswith("tests/policies/bad.test.yaml:2:1: invalid YAML")
    broken = suites["tests/policies/broken.test.yaml"]
    (case,) = broken.iter("testcase")
    assert case.get("classname") == "tests.policies.broken"
    assert case.get("name") == "minors may get email"
    assert case.get("line") == "4"
    (failure,) = case.iter("failure")
    assert failure.get("message") == (
        "#1 off_1 on ch_email: expected allowed; actual blocked by Minors; never by time alone"
    )
    assert "trace:" in (failure.text or "")
    good = suites["tests/policies/good.test.yaml"]
    assert [c.get("name") for c in good.iter("testcase")] == [
        "the first email of the day is allowed",
        "a second email the same day waits a day",
    ]
    assert not list(good.iter("failure"))


def test_junit_unwritable(work: Path) -> None:
    result = run("--junit", "no/such/folder/report.xml")
    assert result.exit_code == 1
    assert result.stderr.startswith("cpol: cannot write no/such/folder/report.xml: ")


def test_coverage(work: Path) -> None:
    result = run("--coverage")
    assert result.exit_code == 0
    assert result.stdout.endswith(
        "coverage: 2 policies in 1 test file\n"
        "  never blocked in any test (1):\n"
        "    Minors (segment_exclusion, tests/policies/bank.cpol:7:1)\n"
        "2 passed, 0 failed\n"
    )


def test_coverage_lists_overrides_and_inactive_policies(work: Path) -> None:
    extra = (
        'policy "VIP" {\n  scope offer "vip"\n  override\n}\n\n'
        'policy "Old" {\n  status paused\n  cooldown 2 hours\n}\n'
    )
    (work / "tests" / "policies" / "bank.cpol").write_text(POLICIES + "\n" + extra, encoding="utf-8")
    result = run("--coverage", "-q")
    assert result.stdout == (
        "coverage: 4 policies in 1 test file\n"
        "  never blocked in any test (1):\n"
        "    Minors (segment_exclusion, tests/policies/bank.cpol:7:1)\n"
        "  overrides that never lifted a block (1):\n"
        "    VIP (allow_override, tests/policies/bank.cpol:12:1)\n"
        "  not active, so never evaluated (1):\n"
        "    Old (cooldown, paused, tests/policies/bank.cpol:17:1)\n"
        "2 passed, 0 failed\n"
    )


def test_never_a_traceback(work: Path) -> None:
    """A real process: UTF-8 output, exit codes, no traceback on a broken file."""
    (work / "tests" / "policies" / "bad.test.yaml").write_text("\t- oops: [\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "cpol.cli", "test"],
        cwd=work,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "tests/policies/bad.test.yaml:1:1: error: invalid YAML" in done.stderr
    assert done.stdout.endswith("2 passed, 0 failed\n")


def test_the_shipped_policy_tests_pass() -> None:
    """`make test` runs the standard library's and the examples' policy tests."""
    done = subprocess.run(
        [sys.executable, "-m", "cpol.cli", "test", "tests/policies"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    summary = SUMMARY.match(done.stdout.rstrip("\n").split("\n")[-1])
    assert summary is not None, done.stdout + done.stderr
    assert done.returncode == 0, done.stdout + done.stderr
    passed, failed = int(summary.group(1)), int(summary.group(2))
    assert failed == 0
    assert passed >= 100
    assert done.stderr == ""


def test_every_stdlib_module_and_the_example_have_policy_tests() -> None:
    from cpol.compiler.imports import stdlib_modules

    tests = ROOT / "tests" / "policies"
    used = set()
    for path in tests.rglob("*.test.yaml"):
        text = path.read_text(encoding="utf-8")
        used |= {module for module in stdlib_modules() if module in text}
        if "examples/all_rule_types.cpol" in text:
            used.add("examples/all_rule_types.cpol")
    assert used == {*stdlib_modules(), "examples/all_rule_types.cpol"}
    for module in stdlib_modules():
        assert (tests / "stdlib" / f"{module}.test.yaml").is_file(), module


def test_help() -> None:
    result = CliRunner().invoke(cli, ["test", "--help"])
    assert result.exit_code == 0
    assert "test [OPTIONS] [PATH]..." in result.output
    assert "--junit FILE" in result.output and "--coverage" in result.output
