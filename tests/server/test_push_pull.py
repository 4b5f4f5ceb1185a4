"""`cpol push` and `cpol pull` (SPEC §5.4) as a user runs them, against a real `cpol serve`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import cpol
from cpol.cli.sync import Rejected, call, report_rejection
from cpol.server.sync import comparable

from .client import POLICIES, KeyMaker, Server
from .process import _free_port

SOURCE = """\
policy "Email Weekly Cap" {
  priority 80
  applies to channel "ch_email"
  cap 1 per day, 3 per week
}

policy "Rest" {
  cooldown 48 hours
}
"""


def _cpol(*args: str, cwd: Path, key: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CPOL_API_KEY"}
    if key is not None:
        env["CPOL_API_KEY"] = key
    return subprocess.run(
        [sys.executable, "-m", "cpol.cli", *args], cwd=cwd, env=env, capture_output=True, text=True
    )


def _live(server: Server, key: str) -> dict[str, dict[str, object]]:
    exported = server.call("GET", f"{POLICIES}/export", key=key).json()
    return {p["name"]: comparable(p) for p in exported}


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "policies.cpol").write_text(SOURCE, encoding="utf-8")
    return tmp_path


def test_a_dry_run_prints_the_plan_and_changes_nothing(server: Server, admin: str, files: Path) -> None:
    pushed = _cpol("push", "policies.cpol", "--server", server.base, "--dry-run", cwd=files, key=admin)
    assert pushed.returncode == 0, pushed.stderr
    assert pushed.stdout == "+ created Email Weekly Cap\n+ created Rest\n= 0 unchanged\n"
    assert _live(server, admin) == {}


def test_push_applies_the_files_and_pull_returns_them(server: Server, admin: str, files: Path) -> None:
    first = _cpol("push", "policies.cpol", "--server", server.base, "--key", admin, cwd=files)
    assert first.returncode == 0, first.stderr
    local = {p.name: comparable(p.to_json()) for p in cpol.compile_source(SOURCE)}
    assert _live(server, admin) == local

    pulled = _cpol("pull", "--server", server.base, "-o", "pulled.cpol", cwd=files, key=admin)
    assert pulled.returncode == 0, pulled.stderr
    text = (files / "pulled.cpol").read_text(encoding="utf-8")
    assert {p.name: comparable(p.to_json()) for p in cpol.compile_source(text)} == local
    assert _cpol("pull", "--server", server.base, cwd=files, key=admin).stdout == text

    again = _cpol("push", "pulled.cpol", "--server", server.base, cwd=files, key=admin)
    assert again.stdout == "= 2 unchanged\n"


def test_push_prints_changes_and_deletions_like_a_diff(server: Server, admin: str, files: Path) -> None:
    assert _cpol("push", "policies.cpol", "--server", server.base, cwd=files, key=admin).returncode == 0
    (files / "next.cpol").write_text(SOURCE.replace("priority 80", "priority 20").split('policy "Rest"')[0])
    pushed = _cpol("push", "next.cpol", "--server", server.base, "--prune", cwd=files, key=admin)
    assert pushed.returncode == 0, pushed.stderr
    assert pushed.stdout == "~ Email Weekly Cap: priority 80 → 20\n- deleted Rest\n= 0 unchanged\n"
    assert set(_live(server, admin)) == {"Email Weekly Cap"}


def test_a_file_with_errors_is_reported_locally_and_nothing_is_sent(
    server: Server, admin: str, files: Path
) -> None:
    (files / "bad.cpol").write_text('policy "Bad" {\n  cap -1 per week\n}\n', encoding="utf-8")
    pushed = _cpol("push", "policies.cpol", "bad.cpol", "--server", server.base, cwd=files, key=admin)
    assert pushed.returncode == 1 and pushed.stdout == ""
    assert "bad.cpol:2:" in pushed.stderr and "1 error in 1 file" in pushed.stderr
    assert _live(server, admin) == {}


def test_the_servers_problems_are_shown_as_diagnostics(
    server: Server, admin: str, capsys: pytest.CaptureFixture[str]
) -> None:
    body = json.dumps(
        [
            {"name": "Good", "ruleType": "cooldown", "scope": "global", "config": {"cooldownHours": 4}},
            {"name": "Bad", "ruleType": "cooldown", "scope": "global", "config": {}},
        ]
    ).encode()
    with pytest.raises(Rejected) as caught:
        call(
            f"{server.base}{POLICIES}/import", admin, body=body, headers={"Content-Type": "application/json"}
        )
    with pytest.raises(SystemExit) as exited:
        report_rejection(server.base, caught.value, ["Good", "Bad"])
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert f"{server.base}:[1].config: error: cooldown requires cooldownHours" in err
    assert "hint: in policy 'Bad'" in err and err.endswith("1 error in 1 file\n")


def test_a_refused_push_exits_1_in_one_line(
    server: Server, make_key: KeyMaker, tenant: str, files: Path
) -> None:
    viewer = make_key(tenant, "viewer")
    pushed = _cpol("push", "policies.cpol", "--server", server.base, cwd=files, key=viewer)
    assert pushed.returncode == 1
    assert pushed.stderr.startswith(f"cpol: {server.base} refused: 403 ") and pushed.stderr.count("\n") == 1


def test_without_a_key_push_and_pull_exit_1(server: Server, files: Path) -> None:
    for args in (("push", "policies.cpol"), ("pull",)):
        done = _cpol(*args, "--server", server.base, cwd=files)
        assert (done.returncode, done.stderr) == (1, "cpol: no API key: give --key KEY or set CPOL_API_KEY\n")


def test_a_server_that_cannot_be_reached_is_one_line(files: Path) -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    for args in (("push", "policies.cpol"), ("pull",)):
        done = _cpol(*args, "--server", url, "--key", "k", cwd=files)
        assert done.returncode == 1 and done.stdout == ""
        assert done.stderr.startswith(f"cpol: cannot reach {url}/api/v1/") and done.stderr.count("\n") == 1
