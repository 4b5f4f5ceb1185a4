"""Issue 10, class 4: untrusted text never drives the terminal, and never floods it.

Control and bidi characters are generated into every place a user's text can reach a
report (comments, policy names, unknown words, strings, JSON keys and values, lint
justifications, request ids, file names) and the command line is run as a user would: no
raw control character may reach stdout or stderr except a newline, each one is shown as a
visible escape where the text is echoed, and the exit code is 0 or 1, never 3. Echoed
source lines stay within a bounded window with the caret under the right character.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st

from cpol.cli import cli
from cpol.diagnostics import Diagnostic, Span
from cpol.textsafe import EXCERPT_WIDTH, UNSAFE, cell_width, excerpt, visible

#: Every character class the escaping must catch: C0, DEL, C1, bidi, separators.
UNSAFE_CHARS = [chr(c) for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)]] + list(
    "\u061c\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
SAFE = st.text(st.sampled_from("abz _-é☕"), max_size=4)
ESC_SEQUENCES = ["\x1b]0;pwned\x07", "\x1b[31m", "\x1b]8;;http://evil\x1b\\", "\x1b[2J"]


@st.composite
def hostile(draw: st.DrawFn, allowed: Callable[[str], bool] = lambda char: True) -> str:
    """Some text holding at least one unsafe character or a whole escape sequence."""
    unsafe = st.sampled_from([c for c in UNSAFE_CHARS if allowed(c)])
    core = draw(st.one_of(unsafe, st.sampled_from(ESC_SEQUENCES)))
    return draw(SAFE) + core + draw(SAFE) + draw(st.one_of(st.just(""), unsafe))


def run(*args: str, input: str | None = None) -> Result:
    """The CLI with colour forced on, so click passes escape sequences through instead of
    stripping them (as it does off a terminal): what a terminal would receive."""
    return CliRunner().invoke(cli, list(args), input=input, color=True)


def assert_safe(result: Result, echoed: str = "") -> None:
    """Exit 0 or 1, no raw unsafe character but newlines, and `echoed` shown escaped (a tab
    may be shown as spaces: echoed source lines lay tabs out so the caret lines up)."""
    assert result.exit_code in (0, 1), (result.exit_code, result.output)
    for stream in (result.stdout, result.stderr):
        raw = {char for char in UNSAFE.findall(stream) if char != "\n"}
        assert not raw, (raw, stream)
    shown = result.stdout + result.stderr
    for char in set(UNSAFE.findall(echoed)) - {"\n", "\t"}:  # a source line's tab is spaces
        assert visible(char) in shown, (char, shown)


def is_line_break(char: str) -> bool:
    """Characters that end a `.cpol` line or a comment (str.splitlines' set)."""
    return len(f"a{char}b".splitlines()) > 1


JSON_POLICY = {"scope": "global", "ruleType": "cooldown", "config": {"cooldownHours": 4}}


def json_policies(*names: str, **extra: object) -> str:
    return json.dumps([{"name": name, **JSON_POLICY, **extra} for name in names])


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


# .cpol source -------------------------------------------------------------------------------


@given(hostile(lambda c: not is_line_break(c)))
def test_a_word_with_control_characters_is_shown_escaped(text: str) -> None:
    """`coo<ESC>[1mldown` was shown as `cooldown` (click strips the sequence off a terminal),
    so the message read "unknown `cooldown`"; now the reader sees what the file holds."""
    source = f'policy "p" {{\n  coo{text}ldown 4 hours\n}}\n'
    result = run("check", "-", input=source)
    assert result.exit_code == 1
    assert_safe(result, echoed=text)


@given(hostile(lambda c: not is_line_break(c)))
def test_a_string_with_control_characters_is_shown_escaped(text: str) -> None:
    """Refused in the string (and echoed in its line), or quoted as a repeated name."""
    source = f'policy "a{text}" {{\n  cooldown 4 hours\n}}\n' * 2
    result = run("check", "-", input=source)
    assert result.exit_code == 1
    assert_safe(result, echoed=text)


@given(hostile(lambda c: not is_line_break(c)))
def test_a_comment_never_reaches_the_terminal_raw(text: str) -> None:
    """In a lint directive's justification too, which `--show-suppressed` prints."""
    source = f'# lint: ignore CPL103 {text}\npolicy "p" {{\n  status paused\n  cooldown 4 hours\n}}\n'
    for args in (["check", "-"], ["lint", "--show-suppressed", "-"], ["fmt", "-"]):
        result = run(*args, input=source)
        if args[0] == "fmt":  # stdout is the formatted source itself, not a report
            assert result.exit_code in (0, 1) and not UNSAFE.findall(result.stderr.replace("\n", ""))
        else:
            assert_safe(result)


# JSON ---------------------------------------------------------------------------------------


@given(hostile())
def test_json_names_and_keys_are_shown_escaped(text: str) -> None:
    """A repeated name is quoted in the message; an unknown key is in the JSON path."""
    text = f"n{text}"  # not blank
    Path("p.json").write_text(json_policies(text, text), encoding="utf-8")
    assert_safe(run("check", "p.json"), echoed=text)
    bad = [{"name": "x", **JSON_POLICY, "config": {"cooldownHours": 4, text: 1}}]
    Path("k.json").write_text(json.dumps(bad), encoding="utf-8")
    assert_safe(run("check", "k.json"), echoed=text)


@given(hostile())
def test_raw_control_characters_in_json_text_are_shown_escaped(text: str) -> None:
    """Malformed JSON echoes its line: the raw characters in it are escaped there."""
    Path("raw.json").write_text(f'[{{"name": "{text}" "x"}}]', encoding="utf-8")
    result = run("check", "raw.json")
    assert result.exit_code == 1
    assert_safe(result)


@given(hostile())
def test_lint_findings_quote_names_escaped(text: str) -> None:
    paused = json_policies(f"p{text}", status="paused")
    Path("l.json").write_text(paused, encoding="utf-8")
    for output_format in ("text", "json", "sarif"):
        result = run("lint", "--format", output_format, "l.json")
        assert result.exit_code in (0, 1)
        if output_format == "text":
            assert_safe(result, echoed=text)


@given(hostile())
def test_request_ids_in_a_refusal_are_shown_escaped(text: str) -> None:
    """`--candidate` for an offer not in the request lists the request's offers."""
    request = {
        "now": "2026-03-20T14:00:00Z",
        "customer": {"id": "c"},
        "candidates": [{"offerId": text, "channelId": "ch"}],
    }
    Path("r.json").write_text(json.dumps(request), encoding="utf-8")
    Path("p.json").write_text(json_policies("x"), encoding="utf-8")
    result = run("explain", "p.json", "-c", "r.json", "--candidate", "nope")
    assert result.exit_code == 1
    assert_safe(result, echoed=text)


@given(hostile(lambda c: c != "\x00"))
def test_file_names_are_shown_escaped(text: str) -> None:
    """A FILE argument is quoted when it cannot be read, in one line."""
    name = "f" + text.replace("/", "_") + ".cpol"  # not an option
    assert_safe(run("check", name), echoed=name)
    assert_safe(run("compile", name), echoed=name)


def test_a_terminal_title_sequence_is_escaped_through_a_real_process(tmp_path: Path) -> None:
    """The issue's own example, end to end: OSC 0 (retitle) in a JSON name."""
    (tmp_path / "t.json").write_text(json_policies("\x1b]0;pwned\x07", "\x1b]0;pwned\x07"), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "cpol.cli", "check", "t.json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
        env={**os.environ, "NO_COLOR": ""},
    )
    assert done.returncode == 1
    assert "\x1b" not in done.stderr and "\x07" not in done.stderr
    assert "duplicate policy name `\\x1b]0;pwned\\x07`" in done.stderr


# Echoed source lines: bounded, and the caret under its character -----------------------------

LINE_CHARS = st.sampled_from(["a", " ", "\t", "é", "☕", "🙏", "\u0301", *UNSAFE_CHARS[:3], "\x1b", "\u202e"])


def cell_offset_to_index(text: str, cells: int) -> int:
    """The index in `text` of the character that starts at display cell `cells`."""
    used = 0
    for index, char in enumerate(text):
        width = cell_width(char)
        if used >= cells and width:  # a combining mark belongs to the character before
            return index
        used += width
    return len(text)


@given(st.lists(LINE_CHARS, max_size=400).map("".join), st.data())
def test_the_caret_points_at_the_escaped_character(line: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(line)))
    end = data.draw(st.integers(start, len(line) + 1))
    shown = excerpt(line, start, end)
    assert not {c for c in UNSAFE.findall(shown.text)}
    assert cell_width(shown.text) <= EXCERPT_WIDTH
    if start < len(line) and cell_width(line[start]) > 0:
        expected = (
            "    "
            if line[start] == "\t"
            else visible(line[start])
            if UNSAFE.match(line[start])
            else line[start]
        )
        at = cell_offset_to_index(shown.text, shown.caret_at)
        assert shown.text[at:].startswith(expected), (shown, start)


@given(st.integers(0, 2_000_000), st.sampled_from(["x", "☕", "\x1b"]))
def test_a_huge_line_is_echoed_as_a_window(column: int, char: str) -> None:
    """A 2-million-character line (a minified file) is never echoed whole."""
    line = char * 2_000_000
    span = Span(column, column + 3, 1, column + 1, 1, column + 4)
    rendered = Diagnostic("bad", "f.cpol", span, source_line=line).render()
    source_line, caret_line = rendered.splitlines()[1:3]
    assert cell_width(source_line) <= EXCERPT_WIDTH + 2
    assert caret_line.strip().startswith("^")


def test_a_huge_line_through_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "big.cpol").write_text(
        'policy "a" {\n  ' + "x" * 3_000_000 + " 4 hours\n}\n", encoding="utf-8"
    )
    result = run("check", str(tmp_path / "big.cpol"))
    assert result.exit_code == 1
    assert len(result.stderr) < 3000


# Policy tests (`cpol test`) and the stream of standard error ----------------------------------

TEST_FILE = """\
policies: [p.cpol]
now: 2026-03-20T14:00:00Z
tests:
  - name: {name}
    candidates:
      - offer: {offer}
        channel: ch
    expect: {{blocked_by: Cap}}
"""


@given(hostile(), hostile())
def test_policy_test_reports_show_names_escaped(name: str, offer: str) -> None:
    """A failing test prints its name, the candidate and its trace."""
    Path("p.cpol").write_text('policy "Cap" {\n  cap 1 per day\n}\n', encoding="utf-8")
    name, offer = f"t{name}", f"o{offer}"  # not blank
    text = TEST_FILE.format(name=json.dumps(name), offer=json.dumps(offer))  # YAML reads JSON strings
    Path("t.test.yaml").write_text(text, encoding="utf-8")
    for args in (["test", "t.test.yaml"], ["test", "--coverage", "t.test.yaml"]):
        result = run(*args)
        assert_safe(result, echoed=name + offer)


def test_standard_error_is_escaped_whatever_wrote_to_it(tmp_path: Path) -> None:
    """A message written without escaping (here: lint's note on a skipped file, which names
    it) is still escaped by the standard error stream itself, in a real process."""
    folder = tmp_path / "pol"
    folder.mkdir()
    (folder / "p.cpol").write_text('policy "Cap" {\n  cap 1 per day\n}\n', encoding="utf-8")
    (folder / "r\x1b]0;pwned\x07.json").write_text('{"now": "2026-03-20T14:00:00Z"}', encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "cpol.cli", "lint", "pol"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "skipped pol/r\\x1b]0;pwned\\x07.json: not a policy file" in done.stderr
    assert not UNSAFE.findall(done.stderr.replace("\n", ""))


@given(hostile())
def test_json_outputs_escape_what_a_terminal_acts_on(text: str) -> None:
    """JSON printed to a terminal: the same value, but DEL, C1 and bidi characters written as
    `\\uXXXX` (json.dumps leaves them raw; it escapes only C0 itself)."""
    name = f"n{text}"
    Path("p.json").write_text(json_policies(name, status="paused"), encoding="utf-8")
    Path("d.json").write_text(json_policies(name, name), encoding="utf-8")
    for args in (
        ["compile", "p.json"],
        ["lint", "--format", "json", "p.json"],
        ["lint", "--format", "sarif", "p.json"],
    ):
        result = run(*args)
        assert result.exit_code == 0, result.output
        assert not UNSAFE.findall(result.stdout.replace("\n", "")), args
        assert json.dumps(name)[1:-1] in json.dumps(json.loads(result.stdout))  # the same value
    checked = run("check", "--format", "json", "d.json")
    assert checked.exit_code == 1
    assert not UNSAFE.findall(checked.stdout.replace("\n", ""))
    assert json.loads(checked.stdout)[0]["message"] == f"duplicate policy name `{name}`"


@given(hostile())
def test_decisions_as_json_escape_what_a_terminal_acts_on(text: str) -> None:
    """`eval` and `explain --format json` echo the request's candidates and name the
    policies: the same values, with DEL, C1 and bidi characters written as `\\uXXXX`."""
    name, offer = f"n{text}", f"o{text}"
    Path("p.json").write_text(json_policies(name), encoding="utf-8")
    candidate = {"offerId": offer, "note": text}
    request = {"now": "2026-03-20T14:00:00Z", "customer": {"id": "c"}, "candidates": [candidate]}
    Path("r.json").write_text(json.dumps(request), encoding="utf-8")
    for args in (
        ["eval", "p.json", "--context", "r.json"],
        ["explain", "p.json", "--context", "r.json", "--format", "json"],
    ):
        result = run(*args)
        assert result.exit_code == 0, result.output
        assert not UNSAFE.findall(result.stdout.replace("\n", "")), args
        (decision,) = json.loads(result.stdout)
        assert decision["candidate"] == candidate


@given(hostile())
def test_decompiled_and_formatted_cpol_writes_escapes(text: str) -> None:
    """A name holding a bidi override or a C1 control is written as a `\\uXXXX` escape in the
    `.cpol` that decompile and fmt print (a "Trojan Source" name cannot reorder the file), and
    reads back to the same name."""
    name = f"n{text}"
    Path("p.json").write_text(json_policies(name), encoding="utf-8")
    decompiled = run("decompile", "p.json")
    assert decompiled.exit_code == 0, decompiled.output
    assert not UNSAFE.findall(decompiled.stdout.replace("\n", ""))
    Path("p.cpol").write_text(decompiled.stdout, encoding="utf-8")
    compiled = run("compile", "p.cpol")
    assert compiled.exit_code == 0, compiled.output
    assert json.loads(compiled.stdout)[0]["name"] == name
