"""The curl examples of docs/service.md and docs/customers.md work as written, in each
page's order, against a real server (the placeholder ids `cp_0123456789abcdef`,
`df_0123456789abcdef`, `supp_0123456789abcdef`, `dec_0123456789abcdef`,
`con_0123456789abcdef` and `lst_0123456789abcdef` stand for the first policy, decision
flow, suppression record, decision, contact and contact list made)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from .client import POLICIES, Server

DOCS = Path(__file__).parents[2] / "docs"
Placeholders = dict[str, tuple[str, str]]
#: Each placeholder id, the path whose first POST made it, and the answer's field that names it.
PLACEHOLDERS: Placeholders = {
    "cp_0123456789abcdef": ("/contact-policies", "id"),
    "df_0123456789abcdef": ("/decision-flows", "id"),
    "supp_0123456789abcdef": ("/customers/cust_001/suppressions", "id"),
    "dec_0123456789abcdef": ("/decide", "decisionId"),
}


CONTACT_PLACEHOLDERS: Placeholders = {
    "con_0123456789abcdef": ("/contacts", "id"),
    "lst_0123456789abcdef": ("/contacts/lists", "id"),
    "seg_0123456789abcdef": ("/contacts/segments", "id"),
}


def _curl_commands(page: Path) -> list[str]:
    blocks = re.findall(r"^```sh\n(.*?)^```", page.read_text(encoding="utf-8"), re.MULTILINE | re.DOTALL)
    commands = [
        c
        for block in blocks
        for c in re.split(r"\n(?=\S)", block.replace("\\\n", ""))
        if c.startswith("curl ")
    ]
    assert len(commands) >= 8
    return commands


def _run_examples(server: Server, key: str, page: Path, placeholders: Placeholders) -> dict[str, str]:
    """Run the page's curl commands in order; the ids made for its placeholders."""
    env = {**os.environ, "CPOL": server.base + "/api/v1", "KEY": key}
    made: dict[str, str] = {}
    for command in _curl_commands(page):
        for placeholder, real in made.items():
            command = command.replace(placeholder, real)
        run = subprocess.run(
            ["bash", "-c", command.replace("curl ", "curl --fail-with-body ", 1)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert run.returncode == 0, (command, run.stdout, run.stderr)
        for placeholder, (collection, field) in placeholders.items():
            if placeholder not in made and "POST" in command and f'"$CPOL{collection}"' in command:
                made[placeholder] = json.loads(run.stdout)[field]
    assert set(made) == set(placeholders)
    return made


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_curl_examples_work(server: Server, admin: str) -> None:
    made = _run_examples(server, admin, DOCS / "service.md", PLACEHOLDERS)
    first_id = made["cp_0123456789abcdef"]
    history = server.call("GET", f"{POLICIES}/{first_id}/history", key=admin).json()["data"]
    assert [e["action"] for e in history] == ["create", "update", "delete"]


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_customer_examples_work(server: Server, admin: str) -> None:
    """Ending with the erasure: the contact the page made is gone."""
    contact = _run_examples(server, admin, DOCS / "customers.md", CONTACT_PLACEHOLDERS)[
        "con_0123456789abcdef"
    ]
    assert server.call("GET", f"/api/v1/contacts/{contact}", key=admin).status == 404
