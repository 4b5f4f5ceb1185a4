"""The renderers of explain output: text (terminal), JSON (SPEC §2) and the HTML report.

Golden files: for each case in CASES, `golden_explain/NAME.explain.txt` is the text report
and `golden_explain/NAME.explain.json` the JSON one, of explain mode on the case's
policies and request. After an intended change of the output, regenerate them with

    CPOL_UPDATE_GOLDEN=1 .venv/bin/pytest tests/runtime/test_render.py

and review the diff. The switch is off unless the variable is exactly `1`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

import cpol
from cpol.runtime import Decision, Engine, Entry, Request, parse_request
from cpol.runtime.render import FORMATS, render, render_html, render_json, render_text
from cpol.runtime.render.html import span_of, ticks
from cpol.runtime.render.text import duration, truncate
from cpol.textsafe import cell_width, clean

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).with_name("golden_explain")
UPDATE = os.environ.get("CPOL_UPDATE_GOLDEN") == "1"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
NOW = "2026-03-20T14:00:00Z"

#: name: (policy files, request file), relative to the repository root.
CASES: dict[str, tuple[tuple[str, ...], str]] = {
    "seed": (("tests/fixtures/seed/seed.cpol",), "examples/request.json"),
    "all_rule_types": (("examples/all_rule_types.cpol",), "examples/request.json"),
    "showcase": (
        ("tests/runtime/golden_explain/showcase.cpol",),
        "tests/runtime/golden_explain/showcase.request.json",
    ),
}


def load(files: Sequence[str]) -> list[cpol.Policy]:
    policies: list[cpol.Policy] = []
    for name in files:
        path = ROOT / name
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".json":
            policies += cpol.load_json(text, file=name)
        else:
            policies += cpol.compile_source(text, name)
    return policies


def run_case(name: str, *, explain: bool = True) -> tuple[Request, list[Decision]]:
    files, request_file = CASES[name]
    request, raw = parse_request((ROOT / request_file).read_text(encoding="utf-8"), request_file)
    return request, Engine(load(files)).decide(request, explain=explain, raw=raw)


def decide(
    policies: list[dict[str, Any]], request: dict[str, Any], *, explain: bool = True
) -> tuple[Request, list[Decision]]:
    parsed, raw = parse_request(request)
    return parsed, Engine(cpol.load_json(json.dumps(policies))).decide(parsed, explain=explain, raw=raw)


def cooldown(name: str, hours: int, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "scope": "global",
        "ruleType": "cooldown",
        "config": {"cooldownHours": hours},
        **extra,
    }


def request_of(*candidates: dict[str, Any], **fields: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"now": NOW, "customer": {"id": "c1"}, "candidates": list(candidates)}
    out.update(fields)
    return out


def check_golden(path: Path, actual: str) -> None:
    if UPDATE:
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"missing {path.name} (set CPOL_UPDATE_GOLDEN=1 to create it)"
    assert actual == path.read_text(encoding="utf-8")


# Golden files ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_text(name: str) -> None:
    request, decisions = run_case(name)
    check_golden(GOLDEN / f"{name}.explain.txt", render_text(decisions, request))


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_json(name: str) -> None:
    _, decisions = run_case(name)
    check_golden(GOLDEN / f"{name}.explain.json", render_json(decisions))


def test_golden_directory_has_no_stray_files() -> None:
    expected = {f"{name}.explain.{ext}" for name in CASES for ext in ("txt", "json")}
    expected |= {"showcase.cpol", "showcase.request.json"}
    assert {p.name for p in GOLDEN.iterdir()} == expected


@pytest.mark.parametrize("name", sorted(CASES))
def test_text_fits_in_100_columns(name: str) -> None:
    request, decisions = run_case(name)
    for line in render_text(decisions, request).splitlines():
        assert cell_width(line) <= 100, line


@pytest.mark.parametrize("width", [80, 132])
def test_text_follows_the_terminal_width(width: int) -> None:
    request, decisions = run_case("all_rule_types")
    text = render_text(decisions, request, width=width)
    assert max(cell_width(line) for line in text.splitlines()) == width  # the tables fill it
    assert ANSI.sub("", render_text(decisions, request, width=width, color=True)) == text


def test_showcase_covers_every_verdict_shape() -> None:
    """The fixture is worth its golden files only if it shows what a reader can meet."""
    _, decisions = run_case("showcase")
    results = {entry.result for d in decisions for entry in d.trace or []}
    assert results == {"block", "pass", "not_in_scope", "skipped", "override"}
    assert any(d.allowed for d in decisions) and not all(d.allowed for d in decisions)
    assert any(d.overridden_by and d.allowed for d in decisions)
    assert any(not d.allowed and d.eligible_at is None for d in decisions)
    assert any(d.candidate.isMandatory and d.allowed for d in decisions)
    assert any(e.priority is None for d in decisions for e in d.blocked_by), "no gate"


# JSON -------------------------------------------------------------------------------------------


def test_json_is_exactly_the_decisions_array() -> None:
    _, decisions = run_case("seed")
    text = render_json(decisions)
    assert json.loads(text) == [d.to_json() for d in decisions]
    assert text == json.dumps([d.to_json() for d in decisions], indent=2, ensure_ascii=False) + "\n"


def test_json_keeps_non_ascii_and_fast_mode_has_no_trace() -> None:
    policies = [cooldown("Pause café ☕", 4)]
    request = request_of(
        {"offerId": "o1"},
        interactions=[{"timestamp": "2026-03-20T13:00:00Z", "outcome": "impression", "offerId": "o1"}],
    )
    _, decisions = decide(policies, request, explain=False)
    text = render_json(decisions)
    assert "Pause café ☕" in text
    assert "trace" not in json.loads(text)[0]


def test_render_dispatches_on_format() -> None:
    request, decisions = run_case("showcase")
    assert render("json", decisions, request) == render_json(decisions)
    assert render("text", decisions, request) == render_text(decisions, request)
    assert render("html", decisions, request).startswith("<!DOCTYPE html>")
    assert FORMATS == ("text", "json", "html")
    with pytest.raises(ValueError, match="unknown format"):
        render("xml", decisions, request)


# Text -------------------------------------------------------------------------------------------


def test_text_without_colour_is_plain() -> None:
    request, decisions = run_case("showcase")
    assert "\x1b" not in render_text(decisions, request)


def test_text_colours_verdicts_and_dims_quiet_rows() -> None:
    request, decisions = run_case("showcase")
    text = render_text(decisions, request, color=True)
    assert "\x1b[32m\x1b[1mALLOWED" in text  # green, bold
    assert "\x1b[31m\x1b[1mBLOCKED" in text  # red, bold
    quiet = [line for line in text.splitlines() if "not_in_scope" in ANSI.sub("", line)]
    assert quiet and all("\x1b[2m" in line for line in quiet)  # dim
    assert ANSI.sub("", text) == render_text(decisions, request)  # colour changes nothing else


def test_text_header_says_verdict_and_when_it_lifts() -> None:
    request, decisions = run_case("showcase")
    headers = [line for line in render_text(decisions, request).splitlines() if line.startswith("#")]
    assert headers == [
        "#1 off_loan_a on ch_inapp (inapp)  ALLOWED",
        "#2 off_loan_b on ch_inapp (inapp)  BLOCKED, not by time alone",
        "#3 off_news on ch_email (email)  BLOCKED, eligible at 2026-03-21T15:00:00Z (in 13h)",
        "#4 off_cards on ch_sms (sms)  BLOCKED, eligible at 2026-03-21T12:00:00Z (in 10h)",
        "#5 off_premium on ch_email (email)  ALLOWED",
        "#6 off_travel_deal on ch_push (push), mandatory  ALLOWED",
        "#7 off_sup on ch_email (email)  BLOCKED, eligible at 2026-03-28T00:00:00Z (in 6d 22h)",
    ]


def test_text_lists_gates_first_and_never_cuts_reasons() -> None:
    reason = "a reason long enough to be cut in the trace table " * 3
    policy = Entry("cp_1", "Some cap", "frequency_cap", 80, "block", reason.strip(), {}, None)
    gate = Entry(None, "consent", "consent", None, "block", "the customer opted out of sms", {}, None)
    request, decisions = decide([], request_of({"offerId": "o1"}))
    decision = decisions[0]
    decision.allowed, decision.blocked_by, decision.trace = False, [policy, gate], [gate, policy]
    text = render_text([decision], request)
    assert text.index("✗ consent · gate") < text.index("✗ Some cap · frequency_cap · cp_1")
    blocking = text.split("  blocked by\n")[1].split("  trace")[0]
    assert " ".join(blocking.split()).count(reason.strip()) == 1  # whole, wrapped over lines
    table = text.split("  trace (2 entries)\n")[1].splitlines()
    assert table[2].endswith("…") and len(table[2]) <= 100


def test_text_overridden_by_names_the_override_and_what_it_lifted() -> None:
    request, decisions = run_case("showcase")
    text = render_text([d for d in decisions if d.candidate.offerId == "off_premium"], request)
    assert "overridden by Premium members exception, which lifted Email cap for newsletters" in text
    assert "1 candidate shown of 7: 1 allowed, 0 blocked" in text


def test_text_override_with_an_id_shows_name_and_id() -> None:
    policies = [
        {"id": "cp_ov", "name": "VIP", "scope": "global", "ruleType": "allow_override", "config": {}},
        cooldown("Cooldown", 4, id="cp_cd"),
    ]
    history = [{"timestamp": "2026-03-20T13:00:00Z", "outcome": "impression"}]
    request, decisions = decide(policies, request_of({"offerId": "o1"}, interactions=history))
    assert decisions[0].overridden_by == "cp_ov"
    assert "overridden by VIP (cp_ov), which lifted Cooldown" in render_text(decisions, request)


def test_text_fast_mode_decisions_have_no_trace_table() -> None:
    request, decisions = run_case("seed", explain=False)
    text = render_text(decisions, request)
    assert "trace (" not in text and "RESULT" not in text
    assert "✗ Email Weekly Cap · frequency_cap · cp_001" in text


def test_text_escapes_control_characters_of_user_strings() -> None:
    policies = [
        {
            "name": "Evil\x1b[31m name\u202e",
            "scope": "global",
            "ruleType": "segment_exclusion",
            "config": {"excludeSegments": ["s"]},
        }
    ]
    customer = {"id": "c", "segments": ["s"]}
    request, decisions = decide(policies, request_of({"offerId": "o1"}, customer=customer))
    text = render_text(decisions, request)
    assert "\x1b" not in text and "\u202e" not in text
    assert "Evil\\x1b[31m name\\u202e" in text


def test_text_aligns_wide_characters() -> None:
    policies = [cooldown("日本語のポリシー", 1), cooldown("ascii", 2)]
    request, decisions = decide(policies, request_of({"offerId": "o1"}))
    rows = [line for line in render_text(decisions, request).splitlines() if "cooldown  " in line]
    assert len(rows) == 2
    assert len({cell_width(row.split("cooldown  ")[0]) for row in rows}) == 1


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(0, "0m"), (59, "1m"), (3600, "1h"), (93600, "1d 2h"), (95400.5, "1d 2h 31m"), (-5, "0m")],
)
def test_duration(seconds: float, words: str) -> None:
    assert duration(seconds) == words


def test_truncate_and_clean() -> None:
    assert truncate("abcdef", 6) == "abcdef"
    assert truncate("abcdefg", 6) == "abcde…"
    assert truncate("日本語です", 6) == "日本…"
    assert cell_width(truncate("日本語です", 6)) <= 6
    assert clean("a\nb\tc\x07") == "a b c\\x07"


# HTML -------------------------------------------------------------------------------------------


class Report(HTMLParser):
    """What the tests look at in the report: tables by class, rows, tags, attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[tuple[str, list[list[str]]]] = []
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str, str | None]] = []
        self.classes: list[str] = []
        self.text: list[str] = []
        self._depth = 0
        self._in_body = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [(tag, key, value) for key, value in attrs]
        css = dict(attrs).get("class") or ""
        self.classes += css.split()
        if tag == "table":
            self.tables.append((css, []))
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self.tables[-1][1].append([])
        elif tag == "td" and self._in_body:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "tbody":
            self._in_body = False
        elif tag == "td" and self._cell is not None:
            self.tables[-1][1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)

    def rows(self, css: str) -> list[list[list[str]]]:
        return [rows for name, rows in self.tables if css in name.split()]


def parse_html(text: str) -> Report:
    report = Report()
    report.feed(text)
    report.close()
    return report


def test_html_has_a_summary_row_per_candidate_and_every_trace() -> None:
    request, decisions = run_case("seed")
    report = parse_html(render_html(decisions, request, sources=["tests/fixtures/seed/seed.cpol"]))
    [summary] = report.rows("summary")
    assert [row[1] for row in summary] == [c.offerId for c in request.candidates]
    assert [row[3] for row in summary] == ["blocked"] * 6
    assert summary[0][4] == "Email Weekly Cap (+2 more)"
    assert summary[0][5] == "2026-03-21T16:30:00Z"
    assert summary[5][4:] == ["consent", "not by time alone", "VIP exception"]
    traces = report.rows("trace")
    assert [len(rows) for rows in traces] == [len(d.trace or []) for d in decisions]
    assert traces[0][0][:4] == ["pass", "100", "Adverse Outcomes", "outcome_based"]
    assert "tests/fixtures/seed/seed.cpol" in "".join(report.text)


def test_html_is_standalone() -> None:
    request, decisions = run_case("showcase")
    text = render_html(decisions, request)
    report = parse_html(text)
    assert text.startswith("<!DOCTYPE html>")
    assert "script" not in report.tags and "link" not in report.tags and "img" not in report.tags
    assert [a for a in report.attrs if a[1] == "src"] == []
    assert all((value or "").startswith("#") for tag, key, value in report.attrs if key == "href")
    assert "http://" not in text and "https://" not in text and "url(" not in text


def test_html_escapes_user_strings() -> None:
    evil = "<script>alert('x')</script> & \"co\""
    policies = [cooldown(evil, 48)]
    history = [{"timestamp": "2026-03-20T13:00:00Z", "outcome": "<b>impression</b>", "offerId": "<i>o</i>"}]
    history.append({"timestamp": "2026-03-20T12:00:00Z", "outcome": "impression", "offerId": "o1"})
    request, decisions = decide(policies, request_of({"offerId": "<img src=x>"}, interactions=history))
    text = render_html(decisions, request)
    report = parse_html(text)
    assert "<script" not in text and "<img" not in text and "<b>" not in text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &#34;co&#34;" in text
    assert "script" not in report.tags and "img" not in report.tags and "b" not in report.tags
    [summary] = report.rows("summary")
    assert summary[0][1] == "<img src=x>" and summary[0][4] == evil
    assert report.rows("trace")[0][0][2] == evil


def test_html_timeline_marks_every_interaction_and_draws_time_bound_blocks() -> None:
    request, decisions = run_case("seed")
    report = parse_html(render_html(decisions, request))
    marks = [c for c in report.classes if c == "mark"]
    legend_marks = 4
    assert len(marks) == legend_marks + len(decisions) * len(request.interactions) + len(request.interactions)
    bars = report.classes.count("past") + report.classes.count("future")
    assert bars >= sum(len(d.blocked_by) for d in decisions if d.eligible_at is not None)
    text = "".join(report.text)
    assert "Not lifted by time alone:" in text  # the consent gate of off_vip_lounge
    assert "since the last rejected" in text


def test_html_draws_lifted_blocks_and_fast_mode_has_no_trace() -> None:
    request, decisions = run_case("showcase")
    report = parse_html(render_html(decisions, request))
    assert "lifted" in report.classes
    request, decisions = run_case("showcase", explain=False)
    report = parse_html(render_html(decisions, request))
    assert report.rows("trace") == []
    assert len(report.rows("summary")[0]) == 7


def test_html_subset_of_candidates_and_no_interactions() -> None:
    request, decisions = decide([], request_of({"offerId": "a"}, {"offerId": "b"}))
    report = parse_html(render_html(decisions[1:], request))
    [summary] = report.rows("summary")
    assert [row[0] for row in summary] == ["2"]
    text = " ".join("".join(report.text).split())
    assert "1 candidate shown of 2: 1 allowed, 0 blocked" in text
    assert "The request has no interactions." in text


# Timeline geometry ------------------------------------------------------------------------------


def entry(rule: str, details: dict[str, Any], eligible_at: float | None) -> Entry:
    return Entry("p", "P", rule, 50, "block", "why", details, eligible_at)


def test_span_of_each_kind_of_block() -> None:
    now = 1_000_000.0
    day, hour = 86400.0, 3600.0
    weekly = span_of(entry("frequency_cap", {"window": "weekly", "count": 3, "max": 3}, now + hour), now)
    assert weekly is not None and (weekly.start, weekly.end) == (now - 7 * day, now + hour)
    assert weekly.caption == "3 in the last 7 days, max 3"
    legacy = span_of(entry("frequency_cap", {"window": "14 days", "count": 4, "max": 4}, now + hour), now)
    assert legacy is not None and legacy.start == now - 14 * day
    total = span_of(entry("customer_total_cap", {"periodType": "alltime", "count": 9, "max": 9}, None), now)
    assert total is not None and (total.start, total.end) == (None, now)
    cooldown = span_of(entry("cooldown", {"cooldownHours": 48, "hoursSinceLast": 2}, now + 46 * hour), now)
    assert cooldown is not None and (cooldown.start, cooldown.end) == (now - 2 * hour, now + 46 * hour)
    rest = entry("outcome_based", {"suppressForDays": 30, "lastOutcome": "rejected"}, now + day)
    found = span_of(rest, now)
    assert found is not None and found.start == now - 29 * day and found.caption == "since the last rejected"
    window = span_of(entry("time_window", {}, now + 10 * hour), now)
    assert window is not None and (window.start, window.end) == (now, now + 10 * hour)
    assert span_of(entry("segment_exclusion", {"matchedSegment": "s"}, None), now) is None
    assert span_of(entry("mutual_exclusion", {}, None), now) is None


def test_ticks_are_few_and_inside_the_axis() -> None:
    from cpol.runtime.render.html import Axis

    for days in (0.2, 3, 40, 400, 4000):
        axis = Axis(0.0, days * 86400.0)
        found = ticks(axis)
        assert 1 <= len(found) <= 12
        assert all(0.0 <= float(left) <= 100.0 for left, _ in found)
