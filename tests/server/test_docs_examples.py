"""The curl examples of docs/service.md work as written, in the page's order, against a
real server (the placeholder id `cp_0123456789abcdef` stands for the first policy made)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from .client import POLICIES, Server

PAGE = Path(__file__).parents[2] / "docs" / "service.md"
PLACEHOLDER = "cp_0123456789abcdef"


def _curl_commands() -> list[str]:
    blocks = re.findall(r"^```sh\n(.*?)^```", PAGE.read_text(encoding="utf-8"), re.MULTILINE | re.DOTALL)
    commands = [
        c
        for block in blocks
        for c in re.split(r"\n(?=\S)", block.replace("\\\n", ""))
        if c.startswith("curl ")
    ]
    assert len(commands) >= 8
    return commands


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_curl_examples_work(server: Server, admin: str) -> None:
    env = {**os.environ, "CPOL": server.base + "/api/v1", "KEY": admin}
    first_id = None
    for command in _curl_commands():
        if first_id:
            command = command.replace(PLACEHOLDER, first_id)
        run = subprocess.run(
            ["bash", "-c", command.replace("curl ", "curl --fail-with-body ", 1)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert run.returncode == 0, (command, run.stdout, run.stderr)
        if first_id is None and "POST" in command:
            first_id = json.loads(run.stdout)["id"]
    assert first_id is not None
    history = server.call("GET", f"{POLICIES}/{first_id}/history", key=admin).json()["data"]
    assert [e["action"] for e in history] == ["create", "update", "delete"]
