"""`cpol lint` on the command line: formats, exit codes, -o, --catalog, --ignore, stdin."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cpol.cli import cli
from cpol.lint.files import policy_files

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


# -- suppressed findings ----------------------------------------------------------------------

SUPPRESSED_ERROR = "# lint: ignore CPL201 the fax channel is closed for good\n" + ERROR_SET


def test_suppressed_findings_are_counted_and_never_fail(work: Path) -> None:
    (work / "closed.cpol").write_text(SUPPRESSED_ERROR, encoding="utf-8")
    result = run("closed.cpol")
    assert (result.exit_code, result.stdout) == (
        0,
        "no findings in 1 file (1 policy)\n"
        "1 finding suppressed by lint directives; --show-suppressed lists them\n",
    )
    shown = run("closed.cpol", "--show-suppressed")
    assert shown.exit_code == 0
    assert shown.output.startswith("closed.cpol:4:7: suppressed error[CPL201] contradiction: ")
    assert "  suppressed: closed.cpol:1:1: the fax channel is closed for good\n" in shown.output
    assert shown.output.endswith("\n1 finding suppressed by lint directives\n")
    sarif = run("closed.cpol", "--format", "sarif")
    assert sarif.exit_code == 0
    assert json.loads(sarif.output)["runs"][0]["results"][0]["suppressions"][0]["kind"] == "inSource"


def test_ignore_leaves_out_suppressed_findings_too(work: Path) -> None:
    (work / "closed.cpol").write_text(SUPPRESSED_ERROR, encoding="utf-8")
    result = run("closed.cpol", "--ignore", "CPL201")
    assert result.output == "no findings in 1 file (1 policy)\n"  # and the directive is not "unused"


# -- directories --------------------------------------------------------------------------------

REQUEST = {"now": "2026-03-20T14:00:00Z", "customer": {"id": "c1"}, "candidates": []}


@pytest.fixture
def tree(work: Path) -> Path:
    """policies/: nested folders, a request, a hidden folder and file, a compiled twin."""
    root = work / "policies"
    (root / "email").mkdir(parents=True)
    (root / "email" / "cap.cpol").write_text(policy("Email", EMAIL, "cap 5 per week"), encoding="utf-8")
    (root / "global.cpol").write_text(policy("Global", "cap 3 per week"), encoding="utf-8")
    (root / "request.json").write_text(json.dumps(REQUEST), encoding="utf-8")
    (root / ".drafts").mkdir()
    (root / ".drafts" / "zero.cpol").write_text(ERROR_SET, encoding="utf-8")
    (root / ".zero.cpol").write_text(ERROR_SET, encoding="utf-8")
    (root / "README.md").write_text("not a policy file\n", encoding="utf-8")
    return root


def test_a_directory_is_every_policy_file_under_it(tree: Path) -> None:
    result = run("policies/", "--format", "json")
    assert result.exit_code == 0, result.output  # the zero caps are hidden: an error if read
    data = json.loads(result.stdout)
    assert data["summary"]["files"] == 2
    [finding] = data["findings"]
    assert (finding["code"], finding["location"]["file"]) == ("CPL101", "policies/email/cap.cpol")
    assert finding["related"][0]["location"]["file"] == "policies/global.cpol"
    assert result.stderr == "skipped policies/request.json: not a policy file\n"


def test_the_walk_is_sorted_and_skips_hidden_entries_and_linked_folders(tree: Path) -> None:
    (tree / "a.JSON").write_text("[]", encoding="utf-8")
    (tree / "linked").symlink_to(tree / "email", target_is_directory=True)
    found = [path.relative_to(tree).as_posix() for path in policy_files(tree)]
    assert found == ["a.JSON", "email/cap.cpol", "global.cpol", "request.json"]


def test_a_directory_is_read_with_the_other_arguments(tree: Path) -> None:
    (tree / "global.cpol").unlink()
    alone = run("policies")
    assert alone.stdout == "no findings in 1 file (1 policy)\n"
    (tree.parent / "global.json").write_text(
        json.dumps(
            [{"name": "Global", "scope": "global", "ruleType": "frequency_cap", "config": {"maxPerWeek": 3}}]
        ),
        encoding="utf-8",
    )
    together = run("policies", "global.json")
    assert together.stdout.startswith("policies/email/cap.cpol:1:1: warning[CPL101]")


def test_a_json_file_beside_its_cpol_file_is_taken_as_compiled(tree: Path) -> None:
    compiled = CliRunner().invoke(cli, ["compile", "policies/global.cpol", "-o", "policies/global.json"])
    assert compiled.exit_code == 0
    result = run("policies")
    assert result.exit_code == 0
    assert (
        "skipped policies/global.json: taken as the compiled form of policies/global.cpol\n" in result.stderr
    )
    assert result.stdout.startswith("policies/email/cap.cpol:1:1: warning[CPL101]")
    assert "duplicate" not in result.output


def test_a_named_request_is_still_an_error(tree: Path) -> None:
    result = run("policies/request.json")
    assert result.exit_code == 1
    assert "policies/request.json:candidates: error: unknown policy field `candidates`" in result.stderr
    assert "skipped" not in result.stderr


def test_a_directory_without_policy_files(work: Path) -> None:
    (work / "empty").mkdir()
    result = run("empty", "clean.cpol")
    assert result.exit_code == 1
    assert result.stderr == "cpol: cannot read empty: no policy file in it (.cpol or .json)\n"


def test_problems_in_a_directory_are_reported_like_files(tree: Path) -> None:
    (tree / "email" / "bad.cpol").write_text(policy("Bad", "cap 3 per fortnight"), encoding="utf-8")
    result = run("policies")
    assert result.exit_code == 1
    assert "policies/email/bad.cpol:2:" in result.stderr
