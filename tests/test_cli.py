"""The `cpol` command line as a user meets it: exit codes, stdout, stderr, files written.

A few cases run the real interpreter (`python -m cpol.cli`) to prove there is never a
traceback and that stdin/stdout work through real pipes; the rest use click's CliRunner.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import cpol
from cpol.cli import cli

FIXTURES = Path(__file__).parent / "fixtures" / "cli"
SEED = Path(__file__).parent / "fixtures" / "seed" / "seed-policies.json"
API_LIST = Path(__file__).parent / "fixtures" / "seed" / "api-list-response.json"
EXAMPLE_REQUEST = Path(__file__).parents[1] / "examples" / "request.json"


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch directory holding copies of the fixtures, used as the working directory."""
    for fixture in [*FIXTURES.iterdir(), SEED, API_LIST, EXAMPLE_REQUEST]:
        shutil.copy(fixture, tmp_path / fixture.name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str, input: str | bytes | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input)


def run_process(*args: str, cwd: Path, input: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cpol.cli", *args],
        cwd=cwd,
        input=input,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )


def seed_data() -> list[object]:
    data = json.loads(SEED.read_text(encoding="utf-8"))["data"]
    assert isinstance(data, list)
    return data


# End to end, through a real process -----------------------------------------------------


def test_process_check_ok(work: Path) -> None:
    done = run_process("check", "good.cpol", "array.json", cwd=work)
    assert (done.returncode, done.stdout, done.stderr) == (0, "ok: 4 policies in 2 files\n", "")


def test_process_check_errors_are_rendered_without_traceback(work: Path) -> None:
    done = run_process("check", "bad.cpol", cwd=work)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "bad.cpol:3:13: error: unknown word `dya`; expected `day`, `month`, `week` or a number",
        "    cap 1 per dya",
        "              ^~~",
        "  hint: did you mean `day`?",
        "bad.cpol:7:14: error: scopeId is required unless scope is global",
        "    applies to channel",
        "               ^~~~~~~",
        "2 errors in 1 file",
    ]


def test_process_missing_file_is_one_line(work: Path) -> None:
    done = run_process("compile", "missing.cpol", cwd=work)
    assert done.returncode == 1
    assert done.stderr == "cpol: cannot read missing.cpol: No such file or directory\n"


@pytest.mark.parametrize(
    "args",
    [
        ["check", "trailing-comma.json"],
        ["compile", "bad.cpol"],
        ["decompile", "trailing-comma.json"],
        ["fmt", "bad.cpol"],
        ["fmt", "array.json"],
        ["check", "."],
        ["compile", "good.cpol", "-o", "no/such/dir/out.json"],
    ],
)
def test_process_bad_input_exits_1_without_traceback(work: Path, args: list[str]) -> None:
    done = run_process(*args, cwd=work)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.strip()


def test_process_unknown_option_is_a_usage_error(work: Path) -> None:
    done = run_process("check", "--frobnicate", "good.cpol", cwd=work)
    assert done.returncode == 2
    assert "No such option" in done.stderr


def test_process_version(work: Path) -> None:
    done = run_process("--version", cwd=work)
    assert (done.returncode, done.stdout) == (0, f"cpol {cpol.__version__}\n")


def test_process_stdin_to_stdout_through_pipes(work: Path) -> None:
    done = run_process("compile", "-", cwd=work, input=(work / "good.cpol").read_text("utf-8"))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["description"].startswith("Pas plus de 3 e-mails")


# check ------------------------------------------------------------------------------------


def test_check_reports_every_error_of_a_file(work: Path) -> None:
    result = run("check", "bad.cpol")
    assert result.exit_code == 1
    assert "bad.cpol:3:13: error:" in result.stderr
    assert "bad.cpol:7:14: error:" in result.stderr
    assert result.stderr.endswith("2 errors in 1 file\n")


def test_check_counts_files_with_errors(work: Path) -> None:
    result = run("check", "bad.cpol", "trailing-comma.json", "good.cpol")
    assert result.exit_code == 1
    assert "trailing-comma.json:2:103: error: invalid JSON" in result.stderr
    assert result.stderr.endswith("3 errors in 2 files\n")


def test_check_reports_in_argument_order(work: Path) -> None:
    result = run("check", "trailing-comma.json", "bad.cpol")
    located = [line.split(": ")[0] for line in result.stderr.splitlines() if ": error: " in line]
    assert located == ["trailing-comma.json:2:103", "bad.cpol:3:13", "bad.cpol:7:14"]


def test_check_accepts_bom_and_crlf(work: Path) -> None:
    (work / "windows.cpol").write_bytes(
        b"\xef\xbb\xbf" + (work / "good.cpol").read_bytes().replace(b"\n", b"\r\n")
    )
    (work / "windows.json").write_bytes(
        b"\xef\xbb\xbf" + (work / "array.json").read_bytes().replace(b"\n", b"\r\n")
    )
    result = run("check", "windows.cpol", "windows.json")
    assert (result.exit_code, result.stdout) == (0, "ok: 4 policies in 2 files\n")


def test_check_json_format(work: Path) -> None:
    result = run("check", "--format", "json", "bad.cpol", "missing.cpol")
    assert result.exit_code == 1
    found = json.loads(result.stdout)
    assert found[0] == {
        "severity": "error",
        "message": "cannot read file: No such file or directory",
        "file": "missing.cpol",
    }
    assert [(d["file"], d["line"], d["column"]) for d in found[1:]] == [
        ("bad.cpol", 3, 13),
        ("bad.cpol", 7, 14),
    ]
    assert found[1]["hint"] == "did you mean `day`?"


def test_check_json_format_clean_is_an_empty_array(work: Path) -> None:
    result = run("check", "--format", "json", "good.cpol")
    assert (result.exit_code, result.stdout) == (0, "[]\n")


def test_check_duplicate_name_across_cpol_files_has_a_position(work: Path) -> None:
    (work / "again.cpol").write_text('policy "Email Weekly Cap" {\n  cooldown 4 hours\n}\n')
    result = run("check", "good.cpol", "again.cpol")
    assert result.exit_code == 1
    assert "again.cpol:1:8: error: duplicate policy name `Email Weekly Cap`" in result.stderr


def test_check_duplicate_name_between_json_and_cpol(work: Path) -> None:
    (work / "clash.json").write_text(
        '[{"name": "Adverse outcomes quarantine", "scope": "global",'
        ' "ruleType": "cooldown", "config": {"cooldownHours": 1}}]'
    )
    result = run("check", "good.cpol", "clash.json")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "clash.json:[0].name: error: duplicate policy name `Adverse outcomes quarantine`",
        "  hint: first defined in good.cpol; policy names are unique per tenant",
        "1 error in 1 file",
    ]


def test_check_duplicate_name_between_two_json_files(work: Path) -> None:
    result = run("check", "one-policy.json", "array.json")
    assert result.exit_code == 1
    assert "array.json:[0].name: error: duplicate policy name `Cooldown 48h`" in result.stderr
    assert "first defined in one-policy.json:name" in result.stderr


def test_check_stdin_cpol_and_json_are_sniffed(work: Path) -> None:
    cpol_text = (work / "bad.cpol").read_text()
    result = run("check", "-", input=cpol_text)
    assert result.exit_code == 1
    assert "<stdin>:3:13: error:" in result.stderr
    result = run("check", "-", input="\n  " + (work / "array.json").read_text())
    assert (result.exit_code, result.stdout) == (0, "ok: 2 policies in 1 file\n")


def test_stdin_only_once(work: Path) -> None:
    result = run("check", "-", "-", input="")
    assert result.exit_code == 2
    assert "only once" in result.stderr


def test_bad_json_points_at_the_place(work: Path) -> None:
    result = run("compile", "-", input='[{"name": "x",}]')
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:4] == [
        "<stdin>:1:15: error: invalid JSON: expecting property name enclosed in double quotes",
        '  [{"name": "x",}]',
        "                ^",
        "  hint: JSON does not allow a trailing comma",
    ]


def test_invalid_policy_json_has_paths(work: Path) -> None:
    result = run("check", "-", input='{"data": [{"name": "x", "scope": "global"}]}')
    assert result.exit_code == 1
    assert "<stdin>:data[0].ruleType: error:" in result.stderr


def test_unreadable_inputs(work: Path) -> None:
    (work / "latin1.cpol").write_bytes(b'policy "caf\xe9" {\n  cooldown 1 hours\n}\n')
    result = run("check", "latin1.cpol", ".")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "cpol: cannot read latin1.cpol: not UTF-8 text (invalid byte at offset 11)",
        "cpol: cannot read .: Is a directory",
    ]


def test_missing_arguments_is_a_usage_error(work: Path) -> None:
    result = run("compile")
    assert result.exit_code == 2
    assert "Missing argument" in result.stderr


# compile and decompile --------------------------------------------------------------------


def test_compile_to_stdout(work: Path) -> None:
    result = run("compile", "good.cpol")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.endswith("}\n]\n")
    assert "Pas plus de 3 e-mails par semaine — per customer." in result.stdout  # not \u2014
    policies = json.loads(result.stdout)
    assert policies[0]["config"] == {"maxPerDay": 1, "maxPerWeek": 3}
    assert result.stdout == json.dumps(policies, indent=2, ensure_ascii=False) + "\n"


def test_compile_to_file(work: Path) -> None:
    result = run("compile", "good.cpol", "-o", "out.json")
    assert (result.exit_code, result.stdout) == (0, "")
    assert [p["name"] for p in json.loads((work / "out.json").read_text("utf-8"))] == [
        "Email Weekly Cap",
        "Adverse outcomes quarantine",
    ]


def test_compile_with_errors_writes_nothing(work: Path) -> None:
    result = run("compile", "good.cpol", "bad.cpol", "-o", "out.json")
    assert result.exit_code == 1
    assert not (work / "out.json").exists()


def test_compile_keeps_argument_order_across_kinds(work: Path) -> None:
    result = run("compile", "one-policy.json", "good.cpol", "--output", "-")
    assert result.exit_code == 0, result.stderr
    names = [p["name"] for p in json.loads(result.stdout)]
    assert names == ["Cooldown 48h", "Email Weekly Cap", "Adverse outcomes quarantine"]


def test_compile_normalises_json(work: Path) -> None:
    result = run("compile", "seed-policies.json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == seed_data()


def test_seed_round_trip_through_cpol(work: Path) -> None:
    decompiled = run("decompile", "seed-policies.json", "-o", "seed.cpol")
    assert decompiled.exit_code == 0, decompiled.stderr
    compiled = run("compile", "seed.cpol")
    assert compiled.exit_code == 0, compiled.stderr
    assert json.loads(compiled.stdout) == seed_data()


def test_api_list_response_round_trips_through_a_pipe(work: Path) -> None:
    """`cpol decompile api-list-response.json | cpol compile -` gives back exactly its policy,
    the scope rows' server fields (id, contactPolicyId, createdAt) included."""
    decompiled = run_process("decompile", "api-list-response.json", cwd=work)
    assert decompiled.returncode == 0, decompiled.stderr
    row = '(id "cps_001", contactPolicyId "cp_001", createdAt "2026-03-10T12:00:00.000Z")'
    assert f'applies to channel "ch_email" {row}' in decompiled.stdout
    compiled = run_process("compile", "-", cwd=work, input=decompiled.stdout)
    assert compiled.returncode == 0, compiled.stderr
    assert json.loads(compiled.stdout) == json.loads(API_LIST.read_text(encoding="utf-8"))["data"]


@pytest.mark.parametrize(
    "args",
    [
        ["check", "api-list-response.json"],
        ["lint", "api-list-response.json"],
        ["explain", "api-list-response.json", "--context", "request.json", "--format", "json"],
    ],
    ids=lambda args: args[0],
)
def test_api_list_response_is_read_by_every_command(work: Path, args: list[str]) -> None:
    done = run(*args)
    assert done.exit_code == 0, done.stderr
    if args[0] == "explain":
        decisions = json.loads(done.stdout)
        assert any(entry["policyId"] == "cp_001" for d in decisions for entry in d["trace"])


def test_decompile_accepts_every_json_shape(work: Path) -> None:
    listed = run("decompile", "-", input=json.dumps({"data": json.loads((work / "array.json").read_text())}))
    array = run("decompile", "array.json")
    assert listed.exit_code == array.exit_code == 0
    assert listed.stdout == array.stdout
    assert array.stdout.startswith('policy "Cooldown 48h" {\n  cooldown 48 hours\n}\n')
    single = run("decompile", "one-policy.json")
    assert single.stdout == 'policy "Cooldown 48h" {\n  cooldown 48 hours\n}\n'


def test_decompile_output_is_what_fmt_keeps(work: Path) -> None:
    result = run("decompile", "seed-policies.json", "-o", "seed.cpol")
    assert result.exit_code == 0
    assert run("fmt", "--check", "seed.cpol").exit_code == 0


def test_write_failure_is_one_line(work: Path) -> None:
    result = run("compile", "good.cpol", "-o", "no/such/dir/out.json")
    assert result.exit_code == 1
    assert result.stderr == "cpol: cannot write no/such/dir/out.json: No such file or directory\n"


# fmt --------------------------------------------------------------------------------------

MESSY_FORMATTED = """\
# Quiet hours for SMS.
policy "SMS quiet hours" {
  applies to channel "ch_sms"  # only texts
  only between 8:00 and 21:00 on mon..sat in "America/New_York"
}
"""


def test_fmt_rewrites_in_place_keeping_comments(work: Path) -> None:
    result = run("fmt", "messy.cpol", "good.cpol")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == "reformatted messy.cpol\n"
    assert (work / "messy.cpol").read_text() == MESSY_FORMATTED
    assert (work / "good.cpol").read_bytes() == (FIXTURES / "good.cpol").read_bytes()


def test_fmt_leaves_canonical_files_untouched(work: Path) -> None:
    before = (work / "good.cpol").stat().st_mtime_ns
    result = run("fmt", "good.cpol")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert (work / "good.cpol").stat().st_mtime_ns == before


def test_fmt_check_lists_files_and_writes_nothing(work: Path) -> None:
    result = run("fmt", "--check", "good.cpol", "messy.cpol")
    assert (result.exit_code, result.stdout) == (1, "messy.cpol\n")
    assert (work / "messy.cpol").read_text() == (FIXTURES / "messy.cpol").read_text()
    assert run("fmt", "--check", "good.cpol").exit_code == 0


def test_fmt_diff_shows_changes_and_writes_nothing(work: Path) -> None:
    result = run("fmt", "--diff", "messy.cpol")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[:3] == ["--- messy.cpol", "+++ messy.cpol", "@@ -1,5 +1,5 @@"]
    assert '-policy "SMS quiet hours"   {' in result.stdout
    assert '+policy "SMS quiet hours" {' in result.stdout
    assert (work / "messy.cpol").read_text() == (FIXTURES / "messy.cpol").read_text()


def test_fmt_diff_marks_a_missing_final_newline(work: Path) -> None:
    (work / "short.cpol").write_text('policy "A" {\n  cooldown 2 hours\n}')
    result = run("fmt", "--diff", "--check", "short.cpol")
    assert result.exit_code == 1
    assert "-}\n\\ No newline at end of file\n+}\n" in result.stdout


def test_fmt_stdin_to_stdout(work: Path) -> None:
    result = run("fmt", "-", input=(work / "messy.cpol").read_text())
    assert (result.exit_code, result.stdout) == (0, MESSY_FORMATTED)
    result = run("fmt", "--check", "-", input=(work / "messy.cpol").read_text())
    assert (result.exit_code, result.stdout) == (1, "<stdin>\n")


def test_fmt_syntax_error_leaves_the_file_and_goes_on(work: Path) -> None:
    result = run("fmt", "bad.cpol", "messy.cpol")
    assert result.exit_code == 1
    assert "bad.cpol:3:13: error:" in result.stderr
    assert (work / "bad.cpol").read_text() == (FIXTURES / "bad.cpol").read_text()
    assert (work / "messy.cpol").read_text() == MESSY_FORMATTED


def test_fmt_refuses_json(work: Path) -> None:
    result = run("fmt", "array.json")
    assert result.exit_code == 1
    assert result.stderr == "cpol: cannot format array.json: it is JSON (fmt formats .cpol source)\n"


# schema, internal errors ------------------------------------------------------------------


def test_schema_is_json(work: Path) -> None:
    result = run("schema")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert "$defs" in schema
    assert run("schema", "-o", "schema.json").stdout == ""
    assert json.loads((work / "schema.json").read_text()) == schema


def test_internal_error_is_exit_3_without_traceback(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(policies: object) -> str:
        raise cpol.DecompileError("decompiled text compiles to a different plan")

    monkeypatch.setattr(cpol, "to_cpol", broken)
    result = run("decompile", "array.json")
    assert result.exit_code == 3
    assert result.stderr == ("cpol: internal error: decompiled text compiles to a different plan\n")


def test_unexpected_exception_is_an_internal_error(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> dict[str, object]:
        raise KeyError("oops")

    monkeypatch.setattr(cpol, "plan_json_schema", broken)
    monkeypatch.delenv("CPOL_DEBUG", raising=False)
    result = run("schema")
    assert (result.exit_code, result.stderr) == (3, "cpol: internal error: KeyError: 'oops'\n")
