"""The three output formats: text like a compiler, JSON, and SARIF 2.1.0 for code hosts."""

from __future__ import annotations

import json

from cpol.lint import CODES, Finding, lint
from cpol.lint.jsonpos import JsonPositions
from cpol.lint.output import render_json, render_sarif, render_text, summary_line
from cpol.policyset import load_policy_set

from .helpers import policy

EMAIL = 'applies to channel "ch_email"'
CPOL = "\n".join(
    [
        policy("Global", "cap 3 per week"),
        policy("Email", EMAIL, "cap 5 per week"),
        policy("Zero", 'applies to channel "ch_fax"', "cap 0 per day"),
        policy("Old", "status paused", "cooldown 4 hours"),
    ]
)
JSON_POLICIES = [
    {"name": "Global", "scope": "global", "ruleType": "frequency_cap", "config": {"maxPerWeek": 3}},
    {
        "name": "Email",
        "scope": "channel",
        "scopeId": "ch_email",
        "ruleType": "frequency_cap",
        "config": {"maxPerDay": 1, "maxPerWeek": 5},
    },
]
JSON_TEXT = json.dumps(JSON_POLICIES, indent=2)


def cpol_findings() -> tuple[list[Finding], int]:
    located = load_policy_set([(CPOL, "set.cpol")])
    return lint(located), len(located)


def test_text_is_compiler_style() -> None:
    findings, count = cpol_findings()
    text = render_text(findings, count, 1)
    blocks = text.split("\n\n")
    assert blocks[0].splitlines() == [
        'set.cpol:5:1: warning[CPL101] dead_rule: "Email" (cap 5 per week on channel ch_email) never blocks '
        'a candidate that "Global" does not already block, for at least as long',
        '  policy "Email" {',
        "  ^~~~~~~~~~~~~~",
        '  note: set.cpol:2:3: "Global" (cap 3 per week globally)',
        '  fix: delete "Email", or make it stricter than "Global" so that it adds a limit',
    ]
    assert blocks[1].startswith("set.cpol:12:7: error[CPL201] contradiction: ")
    assert blocks[2].startswith("set.cpol:16:10: info[CPL103] dead_rule: ")
    assert blocks[-1] == "1 error, 1 warning and 1 info in 1 file (4 policies)\n"


def test_text_locates_json_by_path() -> None:
    located = load_policy_set([(JSON_TEXT, "set.json")])
    text = render_text(lint(located), len(located), 1)
    assert text.startswith("set.json:[1].config.maxPerWeek: warning[CPL101] dead_rule: ")
    assert "  note: set.json:[0].config.maxPerWeek: maxPerWeek: 3 per week globally\n" in text


def test_summary_line() -> None:
    assert summary_line([], 1, 1) == "no findings in 1 file (1 policy)"
    assert summary_line([], 3, 2) == "no findings in 2 files (3 policies)"


def test_json_format() -> None:
    findings, count = cpol_findings()
    data = json.loads(render_json(findings, count, 1, {"set.cpol": CPOL}))
    assert data["summary"] == {
        "files": 1,
        "policies": 4,
        "error": 1,
        "warning": 1,
        "info": 1,
        "suppressed": 0,
    }
    first = data["findings"][0]
    keys = {"code", "kind", "severity", "message", "fix", "policy", "location", "related", "suppressed"}
    assert set(first) == keys and first["suppressed"] is False
    assert (first["code"], first["kind"], first["severity"], first["policy"]) == (
        "CPL101",
        "dead_rule",
        "warning",
        "Email",
    )
    assert first["location"] == {"file": "set.cpol", "line": 5, "column": 1, "endLine": 5, "endColumn": 15}
    assert first["related"][0]["policy"] == "Global"
    assert first["related"][0]["location"]["line"] == 2


def test_json_format_gives_json_files_a_path_and_a_line() -> None:
    located = load_policy_set([(JSON_TEXT, "set.json")])
    data = json.loads(render_json(lint(located), len(located), 1, {"set.json": JSON_TEXT}))
    location = data["findings"][0]["location"]
    assert location["path"] == "[1].config.maxPerWeek"
    line = JSON_TEXT.splitlines()[location["line"] - 1]
    assert line[location["column"] - 1 :].startswith("5")


def test_sarif() -> None:
    findings, _ = cpol_findings()
    log = json.loads(render_sarif(findings, {"set.cpol": CPOL}))
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == [code.code for code in CODES]
    assert all(rule["defaultConfiguration"]["level"] in ("error", "warning", "note") for rule in rules)
    results = run["results"]
    assert [r["ruleId"] for r in results] == ["CPL101", "CPL201", "CPL103"]
    assert [r["level"] for r in results] == ["warning", "error", "note"]
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert "Fix: " in result["message"]["text"]
    first = results[0]
    physical = first["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "set.cpol"
    assert physical["region"] == {"startLine": 5, "startColumn": 1, "endLine": 5, "endColumn": 15}
    related = first["relatedLocations"][0]
    assert related["id"] == 1 and related["physicalLocation"]["region"]["startLine"] == 2
    assert first["partialFingerprints"]["cpolFinding/v1"].startswith("CPL101|set.cpol:Email:")


def test_sarif_regions_for_json_files() -> None:
    located = load_policy_set([(JSON_TEXT, "dir/set file.json")])
    log = json.loads(render_sarif(lint(located), {"dir/set file.json": JSON_TEXT}))
    location = log["runs"][0]["results"][0]["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == "dir/set%20file.json"
    region = location["physicalLocation"]["region"]
    assert JSON_TEXT.splitlines()[region["startLine"] - 1][region["startColumn"] - 1] == "5"
    assert location["logicalLocations"][0]["fullyQualifiedName"] == "[1].config.maxPerWeek"


def test_json_positions() -> None:
    text = '{"data": [ {"a": "x\\"y", "b": [1, {"c": null}]},\n  {"a": 2.5e3} ], "n": true}'
    positions = JsonPositions(text)
    assert positions.position(("data", 0, "b", 1, "c")) == (1, 41)
    assert positions.position(("data", 1, "a")) == (2, 9)
    assert positions.position(("data", 1, "missing")) == (2, 3)
    assert positions.position(("n",)) == (2, 24)
    assert JsonPositions("[1, 2").position((1,)) == (1, 5)  # broken text: what was found


# -- suppressed findings -----------------------------------------------------------------------

SUPPRESSED = CPOL.replace(
    'policy "Email"', '# lint: ignore CPL101 the email team owns this cap\npolicy "Email"'
).replace('policy "Zero"', '# lint: ignore CPL201 the fax channel is closed\npolicy "Zero"')


def suppressed_findings() -> tuple[list[Finding], int]:
    located = load_policy_set([(SUPPRESSED, "set.cpol")])
    return lint(located), len(located)


def test_text_counts_suppressed_findings_and_leaves_them_out() -> None:
    findings, count = suppressed_findings()
    assert [f.code.code for f in findings] == ["CPL101", "CPL201", "CPL103"]
    text = render_text(findings, count, 1)
    assert text.startswith("set.cpol:18:10: info[CPL103] dead_rule: ")
    assert "CPL101" not in text and "CPL201" not in text
    assert text.splitlines()[-2:] == [
        "1 info in 1 file (4 policies)",
        "2 findings suppressed by lint directives; --show-suppressed lists them",
    ]


def test_text_shows_suppressed_findings_on_request() -> None:
    findings, count = suppressed_findings()
    blocks = render_text(findings, count, 1, show_suppressed=True).split("\n\n")
    assert blocks[0].splitlines()[0].startswith("set.cpol:6:1: suppressed warning[CPL101] dead_rule: ")
    assert blocks[0].splitlines()[-1] == "  suppressed: set.cpol:5:1: the email team owns this cap"
    assert blocks[1].startswith("set.cpol:14:7: suppressed error[CPL201] contradiction: ")
    assert blocks[-1] == "1 info in 1 file (4 policies)\n2 findings suppressed by lint directives\n"


def test_json_lists_suppressed_findings_with_their_justification() -> None:
    findings, count = suppressed_findings()
    data = json.loads(render_json(findings, count, 1, {"set.cpol": SUPPRESSED}))
    assert data["summary"] == {
        "files": 1,
        "policies": 4,
        "error": 0,
        "warning": 0,
        "info": 1,
        "suppressed": 2,
    }
    first = data["findings"][0]
    assert (first["code"], first["suppressed"], first["justification"]) == (
        "CPL101",
        True,
        "the email team owns this cap",
    )
    assert first["directive"] == {"file": "set.cpol", "line": 5, "column": 1, "endLine": 5, "endColumn": 51}
    assert [f["suppressed"] for f in data["findings"]] == [True, True, False]
    assert "justification" not in data["findings"][2]


def test_sarif_marks_suppressed_results_in_source() -> None:
    findings, _ = suppressed_findings()
    results = json.loads(render_sarif(findings, {"set.cpol": SUPPRESSED}))["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == ["CPL101", "CPL201", "CPL103"]
    [suppression] = results[0]["suppressions"]
    assert (suppression["kind"], suppression["justification"]) == ("inSource", "the email team owns this cap")
    assert suppression["location"]["physicalLocation"]["region"]["startLine"] == 5
    assert "suppressions" not in results[2]
