"""Explain reports of large requests: summed up past their thresholds, bounded in size.

A person cannot read 100,000 candidate blocks or a million timeline marks, so past
TEXT_CANDIDATES / HTML_CANDIDATES / SUMMARY_ROWS / MAX_MARKS / INTERACTION_ROWS the
reports show the first ones in full and sum up the rest. These tests check the summary
lines and that the output grows with the thresholds, not with the request (no timing:
sizes only). Below the thresholds the golden files of test_render.py hold the output.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cpol.runtime import Decision, Entry, Request
from cpol.runtime.render import render_html, render_text
from cpol.runtime.render.html import (
    HTML_CANDIDATES,
    INTERACTION_ROWS,
    MAX_MARKS,
    SUMMARY_ROWS,
    TIMELINE_BINS,
)
from cpol.runtime.render.text import SUMMARY_POLICIES, TEXT_CANDIDATES, positions

from .test_render import cooldown, decide, parse_html, request_of

NOW = datetime(2026, 3, 20, 14, 0, tzinfo=UTC)
OUTCOMES = ("impression", "impression", "click", "complaint")


def candidates(count: int) -> list[dict[str, Any]]:
    return [{"offerId": f"off_{index % 7}", "channelId": "ch_email"} for index in range(count)]


def history(count: int) -> list[dict[str, Any]]:
    """`count` interactions, one every 37 minutes back from now, of 7 offers."""
    out = []
    for index in range(count):
        at = NOW - timedelta(minutes=37 * (index + 1))
        out.append(
            {
                "timestamp": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "outcome": OUTCOMES[index % len(OUTCOMES)],
                "offerId": f"off_{index % 7}",
            }
        )
    return out


def explained(n_candidates: int, n_interactions: int = 3) -> tuple[Request, list[Decision]]:
    """A 48-hour cooldown blocks the offers seen lately; the others are allowed."""
    request = request_of(*candidates(n_candidates), interactions=history(n_interactions))
    return decide([cooldown("Cooldown 48h", 48)], request)


def with_many_blockers(decisions: list[Decision], names: int) -> list[Decision]:
    """The decisions, each blocked first by one of `names` policies (in turn)."""
    for index, decision in enumerate(decisions):
        name = f"Policy {index % names}"
        decision.allowed = False
        decision.blocked_by = [Entry(None, name, "cooldown", 50, "block", "why", {}, None)]
    return decisions


# Text -------------------------------------------------------------------------------------------


def headers(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("#")]


def test_text_at_the_threshold_shows_every_candidate() -> None:
    request, decisions = explained(TEXT_CANDIDATES)
    text = render_text(decisions, request)
    assert len(headers(text)) == TEXT_CANDIDATES
    assert "more candidate" not in text


def test_text_past_the_threshold_sums_up_the_rest() -> None:
    request, decisions = explained(TEXT_CANDIDATES + 1234)
    text = render_text(decisions, request)
    assert [h.split()[0] for h in headers(text)] == [f"#{rank}" for rank in range(1, TEXT_CANDIDATES + 1)]
    rest = decisions[TEXT_CANDIDATES:]
    allowed = sum(d.allowed for d in rest)
    assert (
        f"… and 1,234 more candidates (see --format json): {allowed:,} allowed, {1234 - allowed:,} blocked"
        in (text)
    )
    assert f"    {1234 - allowed:,} × Cooldown 48h" in text.split("blocked first by")[1]
    assert f"{len(decisions)} candidates: " in text.splitlines()[1]  # the header counts them all


def test_text_names_at_most_the_most_frequent_first_blockers() -> None:
    request, decisions = explained(TEXT_CANDIDATES + 300)
    text = render_text(with_many_blockers(decisions, SUMMARY_POLICIES + 5), request)
    tail = text.split("blocked first by\n")[1].splitlines()
    assert len(tail) == SUMMARY_POLICIES + 1
    assert tail[-1] == "    … and 5 other policies"
    counts = [int(line.split("×")[0].replace(",", "")) for line in tail[:-1]]
    assert counts == sorted(counts, reverse=True)


def test_text_size_follows_the_threshold_not_the_request() -> None:
    request, decisions = explained(TEXT_CANDIDATES + 1)
    small = len(render_text(decisions, request))
    request, decisions = explained(TEXT_CANDIDATES * 40)
    large = len(render_text(decisions, request))
    assert large <= small + 200  # only the digits of the counts grow


def test_positions_are_the_ranks_in_the_request() -> None:
    request, decisions = explained(9)
    assert positions(decisions[3:6], request) == [4, 5, 6]
    assert positions(decisions, None) == list(range(1, 10))


# HTML -------------------------------------------------------------------------------------------


def test_html_many_candidates_have_summary_rows_and_few_sections() -> None:
    request, decisions = explained(SUMMARY_ROWS + 250)
    text = render_html(decisions, request)
    report = parse_html(text)
    [summary] = report.rows("summary")
    assert [row[0] for row in summary] == [str(rank) for rank in range(1, SUMMARY_ROWS + 1)]
    assert len(re.findall(r'<section class="candidate"', text)) == HTML_CANDIDATES
    links = {value for tag, key, value in report.attrs if key == "href"}
    assert links == {f"#candidate-{rank}" for rank in range(1, HTML_CANDIDATES + 1)}  # none dangle
    words = " ".join("".join(report.text).split())
    assert "… and 250 more candidates (see --format json)" in words
    assert f"The first {HTML_CANDIDATES} candidates are explained below" in words
    assert f"{len(decisions)} candidates: " in words  # the header counts them all


def test_html_long_history_is_drawn_in_groups() -> None:
    count = MAX_MARKS * 10
    request, decisions = explained(3, count)
    report = parse_html(render_html(decisions, request))
    marks = re.findall(
        r'<span class="mark ([^"]*)" style="left: [^"]*" title="([^"]*)"', render_html(decisions, request)
    )
    assert 0 < len(marks) <= 3 * TIMELINE_BINS
    per_timeline = len(marks) // 3
    groups = [int(title.split(" interactions")[0].replace(",", "")) for _, title in marks[:per_timeline]]
    assert sum(groups) == count  # every interaction is in one group
    assert any("o-adverse" in css for css, _ in marks)  # a group with a complaint shows it
    assert any("own" in css for css, _ in marks)
    words = " ".join("".join(report.text).split())
    assert f"interactions ({count:,} in {per_timeline} groups)" in words
    [table] = report.rows("interactions")
    assert len(table) == INTERACTION_ROWS
    assert (
        f"The {INTERACTION_ROWS} most recent interactions; the {count - INTERACTION_ROWS:,} earlier" in words
    )


def test_html_at_the_mark_threshold_draws_every_interaction() -> None:
    request, decisions = explained(1, MAX_MARKS)
    report = parse_html(render_html(decisions, request))
    words = " ".join("".join(report.text).split())
    assert f"interactions ({MAX_MARKS})" in words
    assert "groups" not in words and "earlier ones" not in words


@pytest.mark.parametrize(
    ("small", "large"),
    [((1, INTERACTION_ROWS), (1, INTERACTION_ROWS * 20)), ((SUMMARY_ROWS, 3), (SUMMARY_ROWS * 4, 3))],
)
def test_html_size_follows_the_thresholds_not_the_request(
    small: tuple[int, int], large: tuple[int, int]
) -> None:
    request, decisions = explained(*small)
    small_size = len(render_html(decisions, request))
    request, decisions = explained(*large)
    large_size = len(render_html(decisions, request))
    assert large_size <= small_size * 1.25


def test_html_shows_control_and_bidi_characters_as_escapes() -> None:
    evil = "Evil\x1b]0;title\x07 name\u202e\u2066 end"
    customer = {"id": "cust\x1b[31m\u200f"}
    history = [{"timestamp": "2026-03-20T13:00:00Z", "outcome": "impression", "offerId": "o\x08"}]
    request, decisions = decide(
        [cooldown(evil, 48)], request_of({"offerId": "o\x08"}, customer=customer, interactions=history)
    )
    text = render_html(decisions, request)
    for char in "\x1b\x07\x08\u202e\u2066\u200f":
        assert char not in text
    assert "Evil\\x1b]0;title\\x07 name\\u202e\\u2066 end" in text
    assert "cust\\x1b[31m\\u200f" in text
    assert "o\\x08" in text
