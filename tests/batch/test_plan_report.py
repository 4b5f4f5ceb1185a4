"""The what-if report of a known scenario (tests/batch/plan_scenario.py): its text and JSON
against goldens, its samples against the flips they illustrate, hostile policy names, and
the HTML page opened in a real headless Chromium.

The decided tables come from the online engine deciding each customer's request, so the
report is built from real decisions; `cpol plan` end to end is in test_plan_cli.py.
`CPOL_UPDATE_GOLDEN=1` rewrites the goldens (review the diff).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from cpol.batch.report import render_html, render_json, render_text
from cpol.batch.samples import explain, pick
from cpol.batch.whatif import PlanReport, PolicySet, align, build
from tests.batch import plan_scenario as scenario
from tests.batch.chromium import open_page
from tests.golden import UPDATE

GOLDEN = Path(__file__).parent / "golden"


def report_of(old: list[dict[str, Any]], new: list[dict[str, Any]], k: int = 2) -> PlanReport:
    population = scenario.requests()
    old_set, new_set = scenario.policies(old), scenario.policies(new)
    aligned = align(scenario.decided(old_set, population), scenario.decided(new_set, population))

    def requests_of(customers: Sequence[str]) -> Mapping[str, Mapping[str, Any]]:
        return {customer: population[customer] for customer in customers}

    segments = pa.Table.from_pylist(
        [{"customerId": c, "segment": s} for c, (listed, _) in scenario.CUSTOMERS.items() for s in listed]
    )
    return build(
        aligned,
        segments,
        explain(aligned, pick(aligned, k), requests_of, old_set, new_set),
        now=scenario.NOW,
        engine="duckdb",
        old=PolicySet(sources=["old.json"], policies=len(old_set)),
        new=PolicySet(sources=["new.json"], policies=len(new_set)),
    )


@pytest.fixture(scope="module")
def report() -> PlanReport:
    return report_of(scenario.OLD_POLICIES, scenario.NEW_POLICIES)


def check_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8")


def test_text_report_matches_its_golden(report: PlanReport) -> None:
    check_golden("plan.txt", render_text(report))


def test_json_report_matches_its_golden_and_reads_back(report: PlanReport) -> None:
    text = render_json(report)
    check_golden("plan.json", text)
    assert PlanReport.model_validate_json(text) == report


def test_the_scenario_flips_as_designed(report: PlanReport) -> None:
    """Email rows freed from the old cap, SMS rows newly blocked by the quiet hours."""
    by_policy = {p.policyId: p for p in report.byPolicy}
    assert by_policy["cp_email"].newlyAllowed.customers == 3  # c2, c3, c5 had one impression
    assert by_policy["cp_quiet"].newlyBlocked.customers == 4  # every SMS but sms_off's
    assert report.totals.blockerChanged == 2  # c2 and c4's SMS: segment bar -> quiet hours
    assert report.totals.allowedAfter == report.totals.allowedBefore - 4 + 3


def test_samples_show_the_flip_they_illustrate(report: PlanReport) -> None:
    """Each sample row's online decisions agree with its kind of flip and its policy."""
    assert {(g.kind, g.policyId) for g in report.samples} == {
        ("newlyBlocked", "cp_quiet"),
        ("newlyAllowed", "cp_email"),
    }
    for group in report.samples:
        assert 0 < len(group.samples) <= 2
        for sample in group.samples:
            assert sample.rows
            for row in sample.rows:
                before, after = (row.old, row.new) if group.kind == "newlyBlocked" else (row.new, row.old)
                assert before["allowed"] is True
                assert after["allowed"] is False
                blocked_by: Any = after["blockedBy"]
                assert blocked_by[0]["policyId"] == group.policyId
                assert "trace" in row.old and "trace" in row.new


def test_no_samples_when_k_is_zero() -> None:
    assert report_of(scenario.OLD_POLICIES, scenario.NEW_POLICIES, k=0).samples == []


HOSTILE = "Cap </text><script>alert(1)</script> \x1b[31mred\u202e"


@pytest.fixture(scope="module")
def hostile() -> PlanReport:
    renamed = [{**scenario.NEW_POLICIES[0]}, {**scenario.NEW_POLICIES[1], "name": HOSTILE, "id": "<b>id</b>"}]
    return report_of(scenario.OLD_POLICIES, renamed)


def test_hostile_policy_names_are_escaped_in_text_and_json(hostile: PlanReport) -> None:
    for text in (render_text(hostile), render_json(hostile)):
        assert "\x1b" not in text and "\u202e" not in text
    assert "\\x1b[31mred\\u202e" in render_text(hostile)


def test_hostile_policy_names_are_escaped_in_html(hostile: PlanReport) -> None:
    page = render_html(hostile)
    assert "<script>alert" not in page and "<b>id</b>" not in page
    assert "&lt;/text&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert len(re.findall(r"<script\b", page)) == 1  # the report's own


# In a real browser ---------------------------------------------------------------------------


def test_html_report_renders_in_chromium_with_no_script_error(report: PlanReport, tmp_path: Path) -> None:
    path = tmp_path / "plan.html"
    path.write_text(render_html(report), encoding="utf-8")
    page = open_page(path, tmp_path / "profile")
    assert page.console == []  # no script error, no CSP refusal
    sortable = re.search(r'data-sortable="(\d+)"', page.dom)
    assert sortable and int(sortable[1]) > 0, "the script did not run to its end"
    assert page.dom.count("<svg") == 6  # flips by policy, offer, channel, segment; contacts; change
    assert "SMS quiet hours" in page.dom


def test_html_report_reads_the_same_without_its_script(report: PlanReport, tmp_path: Path) -> None:
    """Chromium's --dump-dom needs scripts on, so the page is opened with its script cut out:
    every figure, chart and sample is still there (nothing is drawn by the script)."""
    path = tmp_path / "plan.html"
    path.write_text(
        re.sub(r"<script>.*?</script>", "", render_html(report), flags=re.DOTALL), encoding="utf-8"
    )
    page = open_page(path, tmp_path / "profile")
    assert "data-sortable" not in page.dom and "<script" not in page.dom
    for text in ("SMS quiet hours", "Email weekly cap", "<svg", "Sample customers", "By segment"):
        assert text in page.dom


def test_hostile_names_run_no_script_in_chromium(hostile: PlanReport, tmp_path: Path) -> None:
    path = tmp_path / "plan.html"
    path.write_text(render_html(hostile), encoding="utf-8")
    page = open_page(path, tmp_path / "profile")
    assert page.console == []
    assert len(re.findall(r"<script\b", page.dom)) == 1
    assert "alert(1)" in page.dom  # shown as text
