"""Issue 10, class 9 (in part): messages that said something other than the problem.

A JSON text cut short anywhere is "unexpected end of input" (it was "JSON does not allow a
trailing comma" when the cut fell after a comma); a raw control character, NUL included,
is named with its place instead of a sentence that stops at "at"; `--candidate` given
several times keeps every offer named instead of silently the last.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st

import cpol
from cpol.cli import cli
from cpol.runtime import parse_request
from cpol.textsafe import string_escape, visible

POLICIES = [
    {"name": "Cooldown 48h", "scope": "global", "ruleType": "cooldown", "config": {"cooldownHours": 48}},
    {
        "name": "Email cap",
        "scope": "channel",
        "scopeId": "ch_email",
        "ruleType": "frequency_cap",
        "config": {"maxPerDay": 1},
    },
]
REQUEST = {
    "now": "2026-03-20T14:00:00Z",
    "customer": {"id": "c1"},
    "candidates": [
        {"offerId": "off_a", "channelId": "ch_email"},
        {"offerId": "off_b", "channelId": "ch_push"},
        {"offerId": "off_c", "channelId": "ch_sms"},
    ],
}


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input)


def first_problem(source: str) -> cpol.Diagnostic:
    with pytest.raises(cpol.Diagnostics) as raised:
        cpol.load_json(source, "cut.json")
    return raised.value.items[0]


@given(st.sampled_from([json.dumps(POLICIES, indent=2), json.dumps(REQUEST)]), st.data())
def test_json_cut_anywhere_is_an_unexpected_end(text: str, data: st.DataObject) -> None:
    """Every proper prefix of a document that ends inside it (not a complete value)."""
    cut = data.draw(st.integers(1, len(text) - 1))
    prefix = text[:cut]
    if not prefix.strip():
        return
    problem = first_problem(prefix)
    message = f"{problem.message} {problem.hint}"
    if problem.message == "invalid JSON: unexpected end of input":
        assert "trailing comma" not in message
        assert problem.hint is not None and "cut short" in problem.hint
    else:  # a string cut in its middle is an unterminated string, at its opening quote
        assert problem.message == "invalid JSON: unterminated string starting at", message
    with pytest.raises(cpol.Diagnostics) as raised:
        parse_request(prefix, "cut.json")
    assert raised.value.items[0].message == problem.message


CONTROLS = st.sampled_from([chr(c) for c in range(0x20)])


@given(CONTROLS, st.sampled_from(["name", "description"]))
def test_a_raw_control_character_in_json_is_named(char: str, key: str) -> None:
    policy = json.dumps(POLICIES[0]).replace('"Cooldown 48h"', '"Cooldown __ 48h"')
    text = (
        policy.replace("__", char)
        if key == "name"
        else policy.replace('"scope"', f'"description": "a{char}b", "scope"')
    )
    problem = first_problem(text)
    assert problem.message.startswith(f"invalid JSON: control character `{visible(char)}`")
    assert problem.message.endswith("in a string")
    assert problem.hint is not None and problem.hint.startswith("write it as \\")
    assert problem.span is not None and text[problem.span.start] == char
    if char == "\x00":
        assert "(NUL)" in problem.message


@given(CONTROLS.filter(lambda c: c not in "\n"))
def test_a_raw_control_character_in_a_cpol_string_is_named(char: str) -> None:
    text = f'policy "Rest{char}" {{\n  cooldown 4 hours\n}}\n'
    with pytest.raises(cpol.Diagnostics) as raised:
        cpol.compile_source(text)
    [problem] = raised.value.items
    assert problem.message.startswith(f"control character `{visible(char)}`")
    assert problem.message.endswith(" in string")
    assert ("(NUL)" in problem.message) == (char == "\x00")
    assert problem.hint == f"write it as {string_escape(char)}"


@given(CONTROLS.filter(lambda c: c not in "\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"), st.sampled_from(["4", "hours"]))
def test_a_raw_control_character_in_cpol_code_is_named(char: str, where: str) -> None:
    """Outside a string: "unexpected character `\\x00` (NUL)", at the character."""
    text = 'policy "Rest" {\n  cooldown 4 hours\n}\n'.replace(f" {where}", f" {char}{where}", 1)
    with pytest.raises(cpol.Diagnostics) as raised:
        cpol.compile_source(text)
    problem = raised.value.items[0]
    assert problem.message.startswith(f"unexpected character `{visible(char)}`")
    assert ("(NUL)" in problem.message) == (char == "\x00")
    assert problem.span is not None and text[problem.span.start] == char


def test_a_nul_through_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "nul.json").write_bytes(b'[{"name": "x\x00y"}]')
    result = run("check", str(tmp_path / "nul.json"))
    assert result.exit_code == 1
    assert "nul.json:1:13: error: invalid JSON: control character `\\x00` (NUL) in a string" in result.stderr
    assert "\x00" not in result.stderr


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.json").write_text(json.dumps(POLICIES), encoding="utf-8")
    (tmp_path / "r.json").write_text(json.dumps(REQUEST), encoding="utf-8")
    return tmp_path


@given(st.lists(st.sampled_from(["off_a", "off_b", "off_c"]), min_size=1, max_size=4))
def test_several_candidates_are_all_explained(offers: list[str]) -> None:
    """In the request's order, each once, whatever order or repetition they were given in."""
    with tempfile.TemporaryDirectory() as folder:
        policies, request = Path(folder, "p.json"), Path(folder, "r.json")
        policies.write_text(json.dumps(POLICIES), encoding="utf-8")
        request.write_text(json.dumps(REQUEST), encoding="utf-8")
        args = [arg for offer in offers for arg in ("--candidate", offer)]
        result = run("explain", str(policies), "-c", str(request), "--format", "json", *args)
    assert result.exit_code == 0, result.output
    shown = [decision["candidate"]["offerId"] for decision in json.loads(result.stdout)]
    assert shown == [offer for offer in ("off_a", "off_b", "off_c") if offer in offers]


def test_every_unknown_candidate_is_named(files: Path) -> None:
    result = run(
        "explain", "p.json", "-c", "r.json", "--candidate", "off_a", "--candidate", "x", "--candidate", "y"
    )
    assert result.exit_code == 1
    assert result.stderr == (
        "cpol: no candidate with offerId `x`, `y` in r.json; its offers are: off_a, off_b, off_c\n"
    )
