"""`cpol eval` and `cpol explain` as a user meets them: exit codes, stdout, stderr, files.

The expected reports are the golden files of tests/runtime/test_render.py, so the command
line is checked to print exactly what the renderers produce. A few cases run a real
process (pipes, a pseudo-terminal for colour, no traceback ever); the rest use CliRunner.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from cpol.cli import cli

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "runtime" / "golden_explain"
INPUTS = [
    ROOT / "tests" / "fixtures" / "seed" / "seed.cpol",
    ROOT / "tests" / "fixtures" / "seed" / "seed-policies.json",
    ROOT / "examples" / "all_rule_types.cpol",
    ROOT / "examples" / "request.json",
    GOLDEN / "showcase.cpol",
    GOLDEN / "showcase.request.json",
]
OFFERS = "off_welcome, off_cards_gold, off_mortgage_fix, off_a, off_b, off_vip_lounge"


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch working directory with copies of the examples and the showcase fixture."""
    for path in INPUTS:
        shutil.copy(path, tmp_path / path.name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input)


def run_process(
    *args: str, cwd: Path, input: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cpol.cli", *args],
        cwd=cwd,
        input=input,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
        env=env,
    )


def golden(name: str) -> str:
    return (GOLDEN / name).read_text(encoding="utf-8")


def decisions(result: Result) -> list[dict[str, Any]]:
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert isinstance(data, list)
    return data


# eval ---------------------------------------------------------------------------------------


def test_eval_prints_the_decisions_without_trace(work: Path) -> None:
    result = run("eval", "seed.cpol", "--context", "request.json")
    assert (result.exit_code, result.stderr) == (0, "")  # everything is blocked: still exit 0
    found = decisions(result)
    assert [d["candidate"]["offerId"] for d in found] == OFFERS.split(", ")
    assert all(set(d) == {"candidate", "allowed", "blockedBy", "overriddenBy", "eligibleAt"} for d in found)
    explained = json.loads(golden("seed.explain.json"))
    for fast, full in zip(found, explained, strict=True):  # SPEC §2: fast mode agrees
        assert fast["allowed"] == full["allowed"]
        assert fast["eligibleAt"] == full["eligibleAt"]
        assert fast["blockedBy"][:1] == full["blockedBy"][:1]


def test_eval_echoes_candidates_as_sent(work: Path) -> None:
    request = json.loads((work / "request.json").read_text(encoding="utf-8"))
    request["candidates"][0]["rank"] = 1  # unknown fields are ignored, and echoed back
    (work / "ranked.json").write_text(json.dumps(request), encoding="utf-8")
    found = decisions(run("eval", "seed.cpol", "--context", "ranked.json"))
    assert found[0]["candidate"] == request["candidates"][0]


def test_eval_same_from_cpol_and_json_policies(work: Path) -> None:
    from_cpol = run("eval", "seed.cpol", "--context", "request.json")
    from_json = run("eval", "seed-policies.json", "--context", "request.json")
    assert from_cpol.exit_code == from_json.exit_code == 0
    assert from_cpol.stdout == from_json.stdout


def test_eval_compiles_several_files_together(work: Path) -> None:
    (work / "extra.cpol").write_text(
        'policy "Premium segment freeze" {\n  exclude segments "premium"\n  cannot be overridden\n}\n',
        encoding="utf-8",
    )
    alone = decisions(run("eval", "showcase.cpol", "--context", "showcase.request.json"))
    both = decisions(run("eval", "showcase.cpol", "extra.cpol", "--context", "showcase.request.json"))
    assert any(d["allowed"] for d in alone)
    assert not any(d["allowed"] for d in both)  # mandatory and overridden offers too: not bypassable
    assert all("Premium segment freeze" in [b["policyName"] for b in d["blockedBy"]] for d in both)


def test_eval_duplicate_names_across_files_are_errors(work: Path) -> None:
    (work / "again.cpol").write_text('policy "Push cooldown" {\n  cooldown 1 hours\n}\n', encoding="utf-8")
    result = run("eval", "showcase.cpol", "again.cpol", "--context", "showcase.request.json")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "again.cpol:1:8: error: duplicate policy name `Push cooldown`" in result.stderr


def test_eval_output_file(work: Path) -> None:
    result = run("eval", "seed.cpol", "--context", "request.json", "-o", "out.json")
    assert (result.exit_code, result.stdout) == (0, "")
    assert len(json.loads((work / "out.json").read_text(encoding="utf-8"))) == 6


# explain --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policies", "request_file", "name"),
    [
        ("seed.cpol", "request.json", "seed"),
        ("all_rule_types.cpol", "request.json", "all_rule_types"),
        ("showcase.cpol", "showcase.request.json", "showcase"),
    ],
)
def test_explain_text_and_json_are_the_golden_reports(
    work: Path, policies: str, request_file: str, name: str
) -> None:
    text = run("explain", policies, "--context", request_file)
    assert (text.exit_code, text.stderr) == (0, "")
    assert text.stdout == golden(f"{name}.explain.txt")
    assert "\x1b" not in text.stdout  # not a terminal: no colour
    as_json = run("explain", policies, "--context", request_file, "--format", "json")
    assert (as_json.exit_code, as_json.stdout) == (0, golden(f"{name}.explain.json"))


def test_explain_json_policies_give_the_same_traces(work: Path) -> None:
    result = run("explain", "seed-policies.json", "--context", "request.json", "--format", "json")
    assert (result.exit_code, result.stdout) == (0, golden("seed.explain.json"))


class SummaryRows(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.offers: list[str] = []
        self.tables: list[str] = []
        self._summary = False
        self._cell = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        css = dict(attrs).get("class") or ""
        if tag == "table":
            self.tables.append(css)
            self._summary = css == "summary"
        elif tag == "tr":
            self._cell = 0
        elif tag == "td":
            self._cell += 1

    def handle_data(self, data: str) -> None:
        if self._summary and self._cell == 2 and data.strip():
            self.offers.append(data.strip())


def test_explain_html_report_to_a_file(work: Path) -> None:
    result = run("explain", "seed.cpol", "--context", "request.json", "--format", "html", "-o", "report.html")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    text = (work / "report.html").read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    parser = SummaryRows()
    parser.feed(text)
    assert parser.offers == OFFERS.split(", ")
    assert parser.tables.count("trace") == 6
    assert "policies from seed.cpol" in text


def test_explain_candidate_keeps_one_offer_but_evaluates_all(work: Path) -> None:
    """off_loan_b is blocked because off_loan_a, earlier in the request, was allowed."""
    result = run(
        "explain", "showcase.cpol", "--context", "showcase.request.json", "--candidate", "off_loan_b",
        "--format", "json",
    )  # fmt: skip
    [decision] = decisions(result)
    assert decision["candidate"]["offerId"] == "off_loan_b"
    assert decision["blockedBy"][0]["details"]["conflictingOfferId"] == "off_loan_a"
    text = run("explain", "showcase.cpol", "--context", "showcase.request.json", "--candidate", "off_loan_b")
    assert text.exit_code == 0
    assert "1 candidate shown of 7: 0 allowed, 1 blocked" in text.stdout
    assert "#2 off_loan_b on ch_inapp (inapp)  BLOCKED, not by time alone" in text.stdout
    assert "#1 " not in text.stdout


def test_explain_unknown_candidate_lists_the_offers(work: Path) -> None:
    result = run("explain", "seed.cpol", "--context", "request.json", "--candidate", "off_nope")
    assert (result.exit_code, result.stdout) == (1, "")
    message = f"cpol: no candidate with offerId `off_nope` in request.json; its offers are: {OFFERS}\n"
    assert result.stderr == message


def test_explain_bad_format_is_a_usage_error(work: Path) -> None:
    result = run("explain", "seed.cpol", "--context", "request.json", "--format", "pdf")
    assert result.exit_code == 2
    assert "Invalid value for '--format'" in result.stderr


# Standard input ---------------------------------------------------------------------------------


def test_context_from_stdin(work: Path) -> None:
    request = (work / "request.json").read_text(encoding="utf-8")
    result = run("explain", "seed.cpol", "--context", "-", input=request)
    assert (result.exit_code, result.stdout) == (0, golden("seed.explain.txt"))


@pytest.mark.parametrize("policies", ["seed.cpol", "seed-policies.json"])
def test_policies_from_stdin(work: Path, policies: str) -> None:
    source = (work / policies).read_text(encoding="utf-8")
    result = run("explain", "-", "--context", "request.json", "--format", "json", input=source)
    assert (result.exit_code, result.stdout) == (0, golden("seed.explain.json"))


def test_stdin_for_both_is_a_usage_error(work: Path) -> None:
    result = run("eval", "-", "--context", "-", input="[]")
    assert result.exit_code == 2
    assert "`-` (standard input) can be given only once" in result.stderr


def test_bad_request_on_stdin_is_named_stdin(work: Path) -> None:
    result = run("eval", "seed.cpol", "--context", "-", input='{"now": "2026-03-20T14:00:00Z"}')
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "<stdin>:customer: error: is required",
        "<stdin>:candidates: error: is required",
        "2 errors in 1 file",
    ]


# Problems ---------------------------------------------------------------------------------------


def test_missing_context_is_a_usage_error(work: Path) -> None:
    for command in ("eval", "explain"):
        result = run(command, "seed.cpol")
        assert result.exit_code == 2
        assert "Missing option '--context'" in result.stderr


def test_missing_policies_is_a_usage_error(work: Path) -> None:
    result = run("eval", "--context", "request.json")
    assert result.exit_code == 2
    assert "Missing argument 'POLICIES...'" in result.stderr


def test_malformed_request_one_line_per_problem_with_its_path(work: Path) -> None:
    request = json.loads((work / "request.json").read_text(encoding="utf-8"))
    del request["candidates"][0]["offerId"]
    request["candidates"][1]["isMandatory"] = "yes"
    request["interactions"][2]["timestamp"] = "last tuesday"
    (work / "bad.json").write_text(json.dumps(request), encoding="utf-8")
    for command in ("eval", "explain"):
        result = run(command, "seed.cpol", "--context", "bad.json")
        assert (result.exit_code, result.stdout) == (1, "")
        assert result.stderr.splitlines() == [
            "bad.json:interactions[2].timestamp: error: `last tuesday` is not an ISO 8601 timestamp"
            " (for example 2026-03-20T14:00:00Z)",
            "bad.json:candidates[0].offerId: error: is required",
            "bad.json:candidates[1].isMandatory: error: must be true or false",
            "3 errors in 1 file",
        ]


def test_request_that_is_not_json(work: Path) -> None:
    (work / "broken.json").write_text('{\n  "now": "2026-03-20T14:00:00Z",\n}\n', encoding="utf-8")
    result = run("eval", "seed.cpol", "--context", "broken.json")
    assert result.exit_code == 1
    assert result.stderr.startswith("broken.json:3:1: error: invalid JSON")


def test_lone_surrogates_in_a_request_are_input_errors(work: Path) -> None:
    """JSON can spell text that is not Unicode; it is reported, not an internal error."""
    (work / "odd.json").write_text(
        '{"now": "2026-03-20T14:00:00Z", "customer": {"id": "c\\ud800"}, "candidates": [{"offerId": "o"}]}',
        encoding="utf-8",
    )
    for command in ("eval", "explain"):
        result = run(command, "seed.cpol", "--context", "odd.json")
        assert (result.exit_code, result.stdout) == (1, "")
        assert result.stderr.splitlines() == [
            "odd.json:customer.id: error: contains \\ud800, which is not valid Unicode text",
            "1 error in 1 file",
        ]


def test_unreadable_files_are_one_line_each(work: Path) -> None:
    result = run("eval", "missing.cpol", "--context", "nowhere.json")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "cpol: cannot read missing.cpol: No such file or directory",
        "cpol: cannot read nowhere.json: No such file or directory",
    ]


def test_policy_and_request_problems_are_reported_together(work: Path) -> None:
    (work / "bad.cpol").write_text('policy "x" {\n  cap 1 per dya\n}\n', encoding="utf-8")
    (work / "empty.json").write_text("{}", encoding="utf-8")
    result = run("explain", "bad.cpol", "--context", "empty.json")
    assert result.exit_code == 1
    assert "bad.cpol:2:13: error: unknown word `dya`" in result.stderr
    assert "empty.json:now: error: is required" in result.stderr
    assert result.stderr.endswith("4 errors in 2 files\n")


def test_help_lists_the_new_commands() -> None:
    result = run("--help")
    assert "eval" in result.stdout and "explain" in result.stdout
    explain_help = run("explain", "--help").stdout
    assert "--candidate OFFER_ID" in explain_help and "[text|json|html]" in explain_help


# Real processes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["eval", "seed.cpol", "--context", "missing.json"],
        ["eval", "seed.cpol", "--context", "seed.cpol"],
        ["eval", "seed.cpol", "--context", "seed-policies.json"],
        ["explain", "request.json", "--context", "request.json"],
        ["explain", "seed.cpol", "--context", "."],
        ["explain", "seed.cpol", "--context", "request.json", "--candidate", "off_zzz"],
        ["explain", "seed.cpol", "--context", "request.json", "-o", "no/such/dir/out.txt"],
    ],
)
def test_process_bad_input_exits_1_without_traceback(work: Path, args: list[str]) -> None:
    done = run_process(*args, cwd=work)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip()
    assert done.stdout == ""


def test_process_usage_errors_exit_2_without_traceback(work: Path) -> None:
    for args in (["eval", "seed.cpol"], ["explain", "-", "--context", "-"], ["explain", "--format", "x"]):
        done = run_process(*args, cwd=work, input="")
        assert done.returncode == 2
        assert "Traceback" not in done.stderr


def test_process_pipes(work: Path) -> None:
    request = (work / "request.json").read_text(encoding="utf-8")
    done = run_process("explain", "seed.cpol", "--context", "-", cwd=work, input=request)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == golden("seed.explain.txt")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs a pseudo-terminal")
@pytest.mark.parametrize("no_color", [False, True])
def test_process_colour_only_on_a_terminal(work: Path, no_color: bool) -> None:
    import pty

    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    if no_color:
        env["NO_COLOR"] = "1"
    command = ["explain", "showcase.cpol", "--context", "showcase.request.json"]
    leader, follower = pty.openpty()
    try:
        with subprocess.Popen(
            [sys.executable, "-m", "cpol.cli", *command],
            cwd=work,
            stdout=follower,
            stderr=subprocess.PIPE,
            env=env,
        ) as process:
            os.close(follower)
            chunks = []
            while True:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:  # the terminal is closed when the process is gone
                    break
                if not chunk:
                    break
                chunks.append(chunk)
            assert process.wait() == 0
    finally:
        os.close(leader)
    output = b"".join(chunks).decode("utf-8")
    assert ("\x1b[" in output) is not no_color
    assert "ALLOWED" in output and "BLOCKED" in output
