"""Diagnostics as you type, and the quick fixes on them, through a real session."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.lsp.client import Client, position, text_range
from tests.lsp.edits import apply

DOCS = Path(__file__).parents[2] / "docs"

BROKEN = """policy "Weekly" {
  status actve
  cap 3 per week
}

policy "Quiet" {
  only between 8 and 21 on mnd in "Europe/Pari"
}
"""


def _actions(client: Client, uri: str, diagnostic: dict[str, Any]) -> list[dict[str, Any]]:
    params = {
        "textDocument": {"uri": uri},
        "range": diagnostic["range"],
        "context": {"diagnostics": [diagnostic]},
    }
    return list(client.request("textDocument/codeAction", params))


def _fixed(client: Client, uri: str, text: str, diagnostic: dict[str, Any], title: str) -> str:
    action = next(a for a in _actions(client, uri, diagnostic) if a["title"] == title)
    return apply(text, action["edit"]["changes"][uri])


def test_compiler_diagnostics_carry_their_hints_and_positions(session: Client, tmp_path: Path) -> None:
    uri = session.open(tmp_path / "a.cpol", BROKEN)
    found = session.diagnostics(uri)
    assert [(d["range"], d["severity"], d["source"]) for d in found] == [
        (text_range(1, 9, 1, 14), 1, "cpol"),
        (text_range(6, 27, 6, 30), 1, "cpol"),
        (text_range(6, 34, 6, 47), 1, "cpol"),
    ]
    assert (
        found[0]["message"]
        == "status must be one of draft, active, paused, archived\nhint: did you mean `active`?"
    )
    assert found[1]["message"] == "unknown day `mnd`\nhint: did you mean `mon`?"


def test_every_did_you_mean_has_a_quick_fix(session: Client, tmp_path: Path) -> None:
    uri = session.open(tmp_path / "a.cpol", BROKEN)
    status, day, zone = session.diagnostics(uri)
    text = _fixed(session, uri, BROKEN, status, "Change to active")
    text = _fixed(session, uri, text, day, "Change to mon")
    text = _fixed(session, uri, text, zone, 'Change to "Europe/Paris"')
    assert "status active" in text and 'on mon in "Europe/Paris"' in text
    session.change(uri, [{"text": text}])
    assert session.diagnostics(uri) == []


def test_a_syntax_error_names_the_keyword_and_fixes_it(session: Client, tmp_path: Path) -> None:
    text = 'use "complience/global_do_not_contact"\n\npolicy "b" { cpa 3 per week }\n'
    uri = session.open(tmp_path / "a.cpol", text)
    module, word = session.diagnostics(uri)
    assert word["message"].startswith("unknown word `cpa`")
    fixed = _fixed(session, uri, text, module, 'Change to "compliance/global_do_not_contact"')
    fixed = _fixed(session, uri, fixed, word, "Change to cap")
    assert fixed == 'use "compliance/global_do_not_contact"\n\npolicy "b" { cap 3 per week }\n'


def test_keystrokes_recheck_only_what_they_touch_and_positions_follow(
    session: Client, tmp_path: Path
) -> None:
    policies = "".join(f'policy "P{i}" {{\n  cap {i + 1} per week\n}}\n\n' for i in range(50))
    uri = session.open(tmp_path / "big.cpol", policies)
    assert session.diagnostics(uri) == []
    session.change(uri, [{"range": text_range(41, 13, 41, 17), "text": "weak"}])  # P10: "cap 11 per week"
    (typo,) = session.diagnostics(uri)
    assert typo["range"] == text_range(41, 13, 41, 17)
    assert "did you mean `week`?" in typo["message"]
    session.change(uri, [{"range": text_range(0, 0, 0, 0), "text": "# a new comment\n\n"}])
    (moved,) = session.diagnostics(uri)
    assert moved["range"] == text_range(43, 13, 43, 17)
    session.change(uri, [{"range": text_range(43, 13, 43, 17), "text": "week"}])
    assert session.diagnostics(uri) == []


def test_a_missing_brace_reads_as_in_the_whole_file(session: Client, tmp_path: Path) -> None:
    text = 'policy "a" {\n  cap 1 per day\n\npolicy "b" {\n  cooldown 4 hours\n}\n'
    uri = session.open(tmp_path / "a.cpol", text)
    (missing,) = session.diagnostics(uri)
    assert missing["message"] == "missing `}` before the next policy\nhint: close the block with `}`"
    assert missing["range"] == text_range(3, 0, 3, 6)


def test_duplicate_names_across_blocks_point_at_the_first(session: Client, tmp_path: Path) -> None:
    path = tmp_path / "a.cpol"
    uri = session.open(path, 'policy "a" { cap 1 per day }\npolicy "a" { cooldown 2 hours }\n')
    (duplicate,) = session.diagnostics(uri)
    assert duplicate["message"] == (
        f"duplicate policy name `a`\nhint: first defined at {path}:1:8; policy names are unique per tenant"
    )
    assert duplicate["range"] == text_range(1, 7, 1, 10)


LINTED = """policy "Weekly" {
  cap 3 per week
}

policy "Weekly again" {
  cap 3 per week
}

policy "Paused" {
  status paused
  cooldown 4 hours
}

policy "Caps" {
  cap 2 per day, 1 per week
}

policy "Bounces" {
  suppress for 9 days after "unsubscibe", "complaint"
}
"""


def _by_code(diagnostics: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {d["code"]: d for d in diagnostics if d["source"] == "cpol lint"}


def test_lint_findings_are_warnings_linking_to_their_docs(linting: Client, tmp_path: Path) -> None:
    uri = linting.open(tmp_path / "a.cpol", LINTED)
    found = _by_code(linting.diagnostics(uri, publishes=2))
    assert set(found) == {"CPL301", "CPL302", "CPL103", "CPL102", "CPL504"}
    headings = {m.lower() for m in re.findall(r"^### (CPL\d{3})$", (DOCS / "lint.md").read_text(), re.M)}
    for code, diagnostic in found.items():
        href = diagnostic["codeDescription"]["href"]
        assert href == f"{DOCS.as_uri()}/lint.md#{code.lower()}" and code.lower() in headings
        assert diagnostic["severity"] == (3 if code == "CPL103" else 2)
        assert "\nfix: " in diagnostic["message"]


def test_mechanical_lint_fixes(linting: Client, tmp_path: Path) -> None:
    uri = linting.open(tmp_path / "a.cpol", LINTED)
    found = _by_code(linting.diagnostics(uri, publishes=2))
    deleted = _fixed(linting, uri, LINTED, found["CPL302"], 'Delete policy "Weekly again"')
    assert deleted == LINTED.replace('policy "Weekly again" {\n  cap 3 per week\n}\n\n', "")
    active = _fixed(linting, uri, LINTED, found["CPL103"], "Set status to active")
    assert "status active\n  cooldown 4 hours" in active
    cap = _fixed(linting, uri, LINTED, found["CPL102"], "Remove the cap maxPerDay")
    assert "  cap 1 per week\n" in cap
    outcome = _fixed(linting, uri, LINTED, found["CPL504"], 'Change to "unsubscribe"')
    assert 'after "unsubscribe", "complaint"' in outcome
    linting.change(uri, [{"text": outcome}])
    assert "CPL504" not in _by_code(linting.diagnostics(uri, publishes=2))


def test_lint_directive_fixes(linting: Client, tmp_path: Path) -> None:
    text = '# lint: ignore CPL31, CPL503 legacy\npolicy "a" {\n  cap 3 per week\n}\n'
    uri = linting.open(tmp_path / "a.cpol", text)
    found = _by_code(linting.diagnostics(uri, publishes=2))
    assert _fixed(linting, uri, text, found["CPL901"], "Change to CPL301").startswith(
        "# lint: ignore CPL301, CPL503"
    )
    assert _fixed(linting, uri, text, found["CPL902"], "Delete the directive") == text.split("\n", 1)[1]


def test_unused_codes_are_removed_from_a_directive(linting: Client, tmp_path: Path) -> None:
    text = (
        '# lint: ignore CPL103, CPL503 kept for later\npolicy "a" {\n  status paused\n  cap 3 per week\n}\n'
    )
    uri = linting.open(tmp_path / "a.cpol", text)
    unused = _by_code(linting.diagnostics(uri, publishes=2))["CPL902"]
    removed = _fixed(linting, uri, text, unused, "Remove CPL503 from the directive")
    assert removed == text.replace("CPL103, CPL503", "CPL103")


def test_no_quick_fix_where_the_fix_needs_judgement(linting: Client, tmp_path: Path) -> None:
    text = 'policy "z" {\n  cap 0 per week\n}\n'
    uri = linting.open(tmp_path / "a.cpol", text)
    zero = _by_code(linting.diagnostics(uri, publishes=2))["CPL201"]
    assert _actions(linting, uri, zero) == []
    assert position(0, 0) == {"line": 0, "character": 0}


def test_shutdown_then_exit_ends_the_server_cleanly(tmp_path: Path) -> None:
    """The editor's `shutdown` then `exit`: exit code 0 and nothing on stderr (the server
    closed its stdout, which must not turn into a traceback)."""
    client = Client(tmp_path)
    client.request("shutdown", None)
    client.notify("exit", None)
    assert client.process.wait(timeout=30) == 0
    assert client.process.stderr is not None
    assert client.process.stderr.read() == b""
    for stream in (client.process.stdin, client.process.stdout, client.process.stderr):
        if stream is not None:
            stream.close()
