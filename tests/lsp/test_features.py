"""Hover, completion, formatting, definition, symbols, rename and semantic tokens, each
through a real session."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cpol.formatter import format_source
from cpol.lsp.tokens import TOKEN_TYPES
from tests.lsp.client import Client, position, text_range
from tests.lsp.edits import apply

FILE = """use "compliance/quiet_hours_sms_voice" with priority 90

policy "Email cap" {
  priority 80
  applies to channel "ch_email"
  cap 1 per day, 3 per week
}

policy "Quiet" {
  only between 8 and 21 in "Europe/Paris"
}
"""


def _doc(uri: str) -> dict[str, Any]:
    return {"textDocument": {"uri": uri}}


def _hover(client: Client, uri: str, line: int, character: int) -> str:
    result = client.request("textDocument/hover", {**_doc(uri), "position": position(line, character)})
    assert result is not None, f"no hover at {line}:{character}"
    return str(result["contents"]["value"])


def _labels(client: Client, uri: str, line: int, character: int) -> list[str]:
    result = client.request("textDocument/completion", {**_doc(uri), "position": position(line, character)})
    return [item["label"] for item in result["items"]]


def test_hover_on_a_rule_sentence_shows_docs_and_json(session: Client, tmp_path: Path) -> None:
    uri = session.open(tmp_path / "a.cpol", FILE)
    text = _hover(session, uri, 5, 3)
    assert "Blocks when the in-scope impressions in a window reach its maximum" in text
    assert "language.md#frequency_cap-cap-" in text
    assert '"maxPerDay": 1' in text and '"maxPerWeek": 3' in text


def test_hover_on_a_value_shows_the_json_key_it_writes(session: Client, tmp_path: Path) -> None:
    uri = session.open(tmp_path / "a.cpol", FILE)
    assert "lowers to `config.maxPerWeek`: `3`" in _hover(session, uri, 5, 17)
    week = _hover(session, uri, 5, 24)
    assert week.startswith("`per week`: `weekly`: the last 7 days.")


def test_hover_on_a_policy_name_gives_its_evaluation_position(session: Client, tmp_path: Path) -> None:
    uri = session.open(tmp_path / "a.cpol", FILE)
    text = _hover(session, uri, 2, 10)
    assert "evaluated **2 of 3** in this file" in text  # after the imported priority 90
    assert '"name": "Email cap"' in text


def test_hover_on_a_time_zone_and_a_module(session: Client, tmp_path: Path) -> None:
    uri = session.open(tmp_path / "a.cpol", FILE)
    zone = _hover(session, uri, 9, 30)
    assert zone.startswith("IANA time zone `Europe/Paris`: now UTC+0")
    module = _hover(session, uri, 0, 10)
    assert module.startswith("**compliance/quiet_hours_sms_voice**\n\nSMS and voice quiet hours")
    assert "`startHour`" in module and '"name": "SMS and voice quiet hours"' in module


def test_completion_in_context(session: Client, tmp_path: Path) -> None:
    other = tmp_path / "other.cpol"
    other.write_text('policy "o" {\n  scope offer "off_spring"\n  suppress for 3 days after "dismissed"\n}\n')
    text = (
        'use "\npolicy "a" {\n  \n  status \n  scope offer "\n  suppress for 2 days after "\n  only in "\n}\n'
    )
    uri = session.open(tmp_path / "a.cpol", text)
    assert "compliance/quiet_hours_whatsapp" in _labels(session, uri, 0, 5)
    statements = _labels(session, uri, 2, 2)
    assert {
        "description",
        "status",
        "priority",
        "applies",
        "cap (frequency_cap)",
        "cooldown (cooldown)",
    } <= set(statements)
    assert _labels(session, uri, 3, 9) == ["draft", "active", "paused", "archived"]
    assert "off_spring" in _labels(session, uri, 4, 15)
    assert _labels(session, uri, 5, 29) == ["dismissed"]
    assert "Europe/Paris" in _labels(session, uri, 6, 11)
    assert _labels(session, uri, 7, 1) == ["policy"]


def test_completion_snippets_and_module_parameters(session: Client, tmp_path: Path) -> None:
    text = 'use "fatigue/email_weekly_cap" with \npolicy "a" {\n  \n}\n'
    uri = session.open(tmp_path / "a.cpol", text)
    parameters = _labels(session, uri, 0, 36)
    assert parameters[:2] == ["maxPerDay", "maxPerWeek"] and {"maxPerMonth", "priority"} <= set(parameters)
    result = session.request("textDocument/completion", {**_doc(uri), "position": position(2, 2)})
    cooldown = next(i for i in result["items"] if i["label"] == "cooldown (cooldown)")
    assert cooldown["insertText"] == "cooldown ${1:48} hours" and cooldown["insertTextFormat"] == 2


MESSY = 'policy   "b" { cooldown 4 hours   priority 3 }\n# tail\npolicy "a" {\ncap 1 per day\n}\n'


def test_formatting_the_whole_document(session: Client, tmp_path: Path) -> None:
    uri = session.open(tmp_path / "a.cpol", MESSY)
    edits = session.request(
        "textDocument/formatting", {**_doc(uri), "options": {"tabSize": 2, "insertSpaces": True}}
    )
    assert apply(MESSY, edits) == format_source(MESSY)


def test_formatting_a_range_touches_only_its_policies(session: Client, tmp_path: Path) -> None:
    uri = session.open(tmp_path / "a.cpol", MESSY)
    params = {**_doc(uri), "range": text_range(3, 0, 3, 3), "options": {"tabSize": 2, "insertSpaces": True}}
    edits = session.request("textDocument/rangeFormatting", params)
    assert apply(MESSY, edits) == MESSY.replace("cap 1 per day", "  cap 1 per day")


def test_formatting_a_broken_file_changes_nothing(session: Client, tmp_path: Path) -> None:
    uri = session.open(tmp_path / "a.cpol", 'policy "a" { cap }\n')
    assert (
        session.request(
            "textDocument/formatting", {**_doc(uri), "options": {"tabSize": 2, "insertSpaces": True}}
        )
        is None
    )


def test_definition_of_a_use_opens_the_module(session: Client, tmp_path: Path) -> None:
    (tmp_path / "shared.cpol").write_text('policy "s" { cooldown 1 hour }\n')
    uri = session.open(tmp_path / "a.cpol", 'use "fatigue/email_weekly_cap"\nuse "shared.cpol"\n')
    found = session.request("textDocument/definition", {**_doc(uri), "position": position(0, 8)})
    assert found["uri"].endswith("/cpol/stdlib_rules/fatigue/email_weekly_cap.cpol")
    assert Path(found["uri"].removeprefix("file://")).read_text().startswith("# Email weekly cap")
    local = session.request("textDocument/definition", {**_doc(uri), "position": position(1, 6)})
    assert local["uri"] == (tmp_path / "shared.cpol").as_uri()


def test_document_symbols_are_the_policies(session: Client, tmp_path: Path) -> None:
    uri = session.open(tmp_path / "a.cpol", FILE)
    symbols = session.request("textDocument/documentSymbol", _doc(uri))
    assert [(s["name"], s["detail"], s["kind"]) for s in symbols] == [
        ("Email cap", "frequency_cap", 19),
        ("Quiet", "time_window", 19),
    ]
    assert symbols[0]["range"] == text_range(2, 0, 6, 1)
    assert symbols[0]["selectionRange"] == text_range(2, 7, 2, 18)


def test_workspace_symbols_cover_files_not_open(session: Client, tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.cpol").write_text('policy "Email cooldown" {\n  cooldown 4 hours\n}\n')
    session.open(tmp_path / "a.cpol", FILE)
    found = session.request("workspace/symbol", {"query": "email"})
    assert sorted((s["name"], s["location"]["uri"].rsplit("/", 1)[1]) for s in found) == [
        ("Email cap", "a.cpol"),
        ("Email cooldown", "b.cpol"),
    ]


def test_rename_a_policy_across_files(session: Client, tmp_path: Path) -> None:
    other = tmp_path / "tenant2.cpol"
    other.write_text('policy "Email cap" {\n  meta { tenantId "t2" }\n  cap 2 per week\n}\n')
    uri = session.open(tmp_path / "a.cpol", FILE)
    edit = session.request(
        "textDocument/rename", {**_doc(uri), "position": position(2, 9), "newName": 'Mail "cap"'}
    )
    assert apply(FILE, edit["changes"][uri]).split("\n")[2] == 'policy "Mail \\"cap\\"" {'
    assert apply(other.read_text(), edit["changes"][other.as_uri()]).startswith('policy "Mail \\"cap\\"" {')
    refused = session.request_raw(
        "textDocument/rename", {**_doc(uri), "position": position(2, 9), "newName": "  "}
    )
    assert "1 to 255 characters" in refused["error"]["message"]


def test_semantic_tokens_classify_every_word(session: Client, tmp_path: Path) -> None:
    text = '# caps\npolicy "a" {\n  status paused\n  only between 8:00 and 21 on mon..fri\n}\n'
    uri = session.open(tmp_path / "a.cpol", text)
    data = session.request("textDocument/semanticTokens/full", _doc(uri))["data"]
    tokens, line, start = [], 0, 0
    for index in range(0, len(data), 5):
        delta_line, delta_start, length, kind, _ = data[index : index + 5]
        line, start = line + delta_line, (start + delta_start if delta_line == 0 else delta_start)
        tokens.append((text.split("\n")[line][start : start + length], TOKEN_TYPES[kind]))
    assert tokens == [
        ("# caps", "comment"), ("policy", "keyword"), ('"a"', "string"), ("status", "keyword"),
        ("paused", "enumMember"), ("only", "keyword"), ("between", "keyword"), ("8:00", "number"),
        ("and", "keyword"), ("21", "number"), ("on", "keyword"), ("mon", "enumMember"), ("..", "operator"),
        ("fri", "enumMember"),
    ]  # fmt: skip


def test_positions_count_utf16_units(session: Client, tmp_path: Path) -> None:
    text = 'policy "😀 ☎" {\n  description "😀" status actve\n  cap 1 per day\n}\n'
    uri = session.open(tmp_path / "a.cpol", text)
    (status,) = session.diagnostics(uri)
    assert status["range"] == text_range(1, 26, 1, 31)  # the emoji is two UTF-16 units
    assert json.loads('"😀"') == "😀"
