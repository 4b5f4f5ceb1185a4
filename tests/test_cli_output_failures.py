"""Issue 10, class 6: output that cannot be written is an input-side failure, not a bug.

Every command is run in a real process with its standard output (or error) on `/dev/full`
or on a pipe closed early, as a shell would: a full device is told in one line, `cpol:
cannot write standard output: …`, like `-o /dev/full`, with exit 1; a closed pipe ends
quietly; never a traceback, never exit 3.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FULL = Path("/dev/full")
POLICY = 'policy "Cap" {\n  cap 1 per day\n}\n'
REQUEST = json.dumps(
    {
        "now": "2026-03-20T14:00:00Z",
        "customer": {"id": "c"},
        "candidates": [{"offerId": "o", "channelId": "ch"}],
    }
)
TEST_FILE = """\
policies: [p.cpol]
now: 2026-03-20T14:00:00Z
tests:
  - name: allowed
    candidates:
      - offer: o
        channel: ch
    expect: allowed
"""

#: Every command that writes to standard output, as a user would run it.
COMMANDS = [
    ["schema"],
    ["compile", "p.cpol"],
    ["decompile", "p.cpol"],
    ["check", "p.cpol"],
    ["check", "--format", "json", "p.cpol"],
    ["fmt", "-"],
    ["fmt", "--diff", "messy.cpol"],
    ["fmt", "--check", "messy.cpol"],
    ["eval", "p.cpol", "-c", "r.json"],
    ["explain", "p.cpol", "-c", "r.json"],
    ["explain", "p.cpol", "-c", "r.json", "--format", "json"],
    ["explain", "p.cpol", "-c", "r.json", "--format", "html"],
    ["lint", "p.cpol"],
    ["lint", "--format", "sarif", "p.cpol"],
    ["test", "p.test.yaml"],
    ["--help"],
    ["--version"],
    ["compile", "--help"],
]

pytestmark = pytest.mark.skipif(not FULL.exists(), reason="needs /dev/full")


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("out")
    (folder / "p.cpol").write_text(POLICY, encoding="utf-8")
    (folder / "messy.cpol").write_text(POLICY.replace("  cap", "      cap"), encoding="utf-8")
    (folder / "r.json").write_text(REQUEST, encoding="utf-8")
    (folder / "p.test.yaml").write_text(TEST_FILE, encoding="utf-8")
    return folder


def run(
    args: list[str], cwd: Path, *, stdout: str = "/dev/full", stderr: str | None = None
) -> tuple[int, str]:
    """The exit code and standard error of `cpol ARGS` with its output on a device."""
    with open(stdout, "w") as out, open(stderr or "/dev/null", "w") as err_device:
        done = subprocess.run(
            [sys.executable, "-m", "cpol.cli", *args],
            cwd=cwd,
            input=POLICY,
            stdout=out,
            stderr=err_device if stderr else subprocess.PIPE,
            text=True,
            encoding="utf-8",
            check=False,
        )
    return done.returncode, done.stderr or ""


@settings(max_examples=len(COMMANDS), suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(COMMANDS))
def test_a_full_standard_output_is_one_line_and_exit_1(work: Path, args: list[str]) -> None:
    code, stderr = run(args, work)
    assert code == 1, (args, stderr)
    assert stderr.strip().splitlines()[-1] == "cpol: cannot write standard output: No space left on device"
    assert "Traceback" not in stderr and "internal error" not in stderr


def test_the_message_is_the_one_of_o_dev_full(work: Path) -> None:
    code, stderr = run(["compile", "p.cpol", "-o", "/dev/full"], work, stdout="/dev/null")
    assert (code, stderr) == (1, "cpol: cannot write /dev/full: No space left on device\n")


@pytest.mark.parametrize("args", [["check", "bad.cpol"], ["compile", "missing.cpol"], ["--version"]])
def test_a_full_standard_error_still_exits_1_quietly(work: Path, args: list[str]) -> None:
    """Nothing can be said when stderr is full, but it is still no internal error (3)."""
    (work / "bad.cpol").write_text("policy {", encoding="utf-8")
    code, _ = run(args, work, stdout="/dev/full", stderr="/dev/full")
    assert code == 1


@pytest.mark.parametrize(
    "args", [["compile", "many.cpol"], ["decompile", "many.cpol"], ["lint", "many.cpol"]]
)
def test_a_closed_pipe_ends_quietly(work: Path, args: list[str]) -> None:
    """`cpol compile big.cpol | head -c1`: no message, no traceback (the reader went away on
    purpose). The output is larger than a pipe's buffer, so a write fails after the close."""
    many = "".join(POLICY.replace('"Cap"', f'"Cap {n}"') for n in range(2000))
    (work / "many.cpol").write_text(many, encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "cpol.cli", *args],
        cwd=work,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.read(1)
    process.stdout.close()  # before cpol has written everything: the next write fails
    stderr = process.stderr.read().decode("utf-8")
    assert process.wait() == 1
    assert stderr == ""
