"""Every renderer survives every instant of the calendar (issue 10, class 2, renderer side).

Requests may name any instant of years 1 to 9999, and a block may lift at the calendar's
end or never (eligibleAt null). Whatever the decisions hold, text, JSON and HTML render
without an error, the JSON is strict (no NaN or Infinity) and every instant is written
with a four-digit year (`0001-01-01T…`, never `1-01-01T…`).

The decisions are built by hand from a parsed request, so what is tested is the renderers
alone, on shapes the engine may produce (every kind of timeline span, gates, lifted
blocks) with numbers at and past their limits.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

import cpol
from cpol.runtime import Decision, Engine, Entry, Request, parse_request
from cpol.runtime.clock import FIRST_INSTANT, HOUR, LAST_INSTANT
from cpol.runtime.render import FORMATS, render
from cpol.runtime.render.html import Axis, ticks

FIRST = datetime(1, 1, 1, tzinfo=UTC)
LAST = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
EDGES = (FIRST, FIRST + timedelta(seconds=1), FIRST + timedelta(days=1), LAST, LAST - timedelta(hours=1))
#: An instant written with fewer than four digits of year.
SHORT_YEAR = re.compile(r"(?<![\d-])\d{1,3}-\d\d-\d\dT\d\d:")

instants = st.one_of(
    st.sampled_from(EDGES),
    st.datetimes(
        min_value=FIRST.replace(tzinfo=None), max_value=LAST.replace(tzinfo=None), timezones=st.just(UTC)
    ),
)
epochs = st.one_of(
    st.none(),
    st.sampled_from([FIRST_INSTANT, LAST_INSTANT, LAST_INSTANT + 0.5, FIRST_INSTANT + 0.25]),
    instants.map(lambda moment: moment.timestamp()),
)
#: Numbers a detail may hold: lengths of windows and rests at and past their limits.
lengths = st.one_of(
    st.integers(min_value=0, max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1e-300, 1e308, 10**400]),
)
windows = st.sampled_from(
    ["daily", "weekly", "monthly", "alltime", "14 days", "1" + "0" * 400 + " days", "x"]
)


@st.composite
def entries(draw: st.DrawFn) -> Entry:
    """A block (or a lifted one, or a gate) of any kind the timeline draws."""
    rule = draw(
        st.sampled_from(
            [
                "frequency_cap",
                "customer_total_cap",
                "cooldown",
                "outcome_based",
                "category_suppression",
                "time_window",
                "segment_exclusion",
                "consent",
            ]
        )
    )
    details_of: dict[str, Callable[[], dict[str, Any]]] = {
        "frequency_cap": lambda: {"window": draw(windows), "count": draw(lengths), "max": draw(lengths)},
        "customer_total_cap": lambda: {"periodType": draw(windows), "count": 3, "max": 3},
        "cooldown": lambda: {"cooldownHours": draw(lengths), "hoursSinceLast": draw(lengths)},
        "outcome_based": lambda: {"suppressForDays": draw(lengths), "lastOutcome": "rejected"},
        "category_suppression": lambda: {"suppressionDays": draw(lengths), "triggeringOfferId": "o"},
    }
    details = details_of.get(rule, dict)()
    gate = rule == "consent"
    lifted = not gate and draw(st.booleans())
    reason = "bypassed by override VIP" if lifted else f"blocked until {draw(st.text(max_size=8))}"
    return Entry(
        None if gate else "cp_1",
        rule if gate else f"P {rule}",
        rule,
        None if gate else 50,
        "skipped" if lifted else "block",
        reason,
        details,
        draw(epochs),
    )


@st.composite
def reports(draw: st.DrawFn) -> tuple[Request, list[Decision]]:
    moments = draw(st.lists(instants, max_size=6))
    now = draw(instants)
    request: dict[str, Any] = {
        "now": now.isoformat(),
        "customer": {
            "id": "c",
            "timezone": draw(st.sampled_from(["UTC", "Pacific/Kiritimati", "Etc/GMT+12"])),
        },
        "interactions": [
            {"timestamp": moment.isoformat(), "outcome": outcome, "offerId": "o"}
            for moment, outcome in zip(moments, ["impression", "complaint", "click"] * 2, strict=False)
        ],
        "candidates": [{"offerId": "o"}, {"offerId": "p"}],
    }
    parsed, _ = parse_request(request)
    decisions = []
    for candidate in parsed.candidates:
        found = draw(st.lists(entries(), max_size=4))
        blocks = [e for e in found if e.result == "block"]
        override = Entry("cp_ov", "VIP", "allow_override", 90, "override", "override: VIP", {}, None)
        trace = [*found, override] if len(blocks) < len(found) else found
        decisions.append(
            Decision(
                candidate=candidate,
                sent={"offerId": candidate.offerId},
                allowed=not blocks,
                blocked_by=blocks,
                overridden_by="cp_ov" if len(blocks) < len(found) else None,
                eligible_at=draw(epochs) if blocks else None,
                trace=trace,
            )
        )
    return parsed, decisions


def strict_json(text: str) -> Any:
    def refuse(word: str) -> None:
        raise AssertionError(f"non-standard JSON: {word}")

    return json.loads(text, parse_constant=refuse)


@given(reports())
def test_every_renderer_survives_every_instant(report: tuple[Request, list[Decision]]) -> None:
    request, decisions = report
    for output_format in FORMATS:
        text = render(output_format, decisions, request)
        assert not SHORT_YEAR.search(text), (output_format, SHORT_YEAR.search(text))
        if output_format == "json":
            assert len(strict_json(text)) == len(decisions)


@given(st.floats(FIRST_INSTANT, LAST_INSTANT), st.floats(0.0, LAST_INSTANT - FIRST_INSTANT))
def test_ticks_stay_inside_the_calendar(low: float, length: float) -> None:
    high = min(low + max(length, HOUR), LAST_INSTANT)  # _axis makes every axis an hour or more
    low = min(low, high - HOUR)
    found = ticks(Axis(low, high))
    assert 1 <= len(found) <= 13
    for left, label in found:
        assert 0.0 <= float(left) <= 100.0
        assert not re.match(r"^\d{1,3}-", label)


def test_year_one_and_9999_in_one_report() -> None:
    request, _ = parse_request(
        {
            "now": "0001-01-01T00:00:00Z",
            "customer": {"id": "c"},
            "interactions": [{"timestamp": "9999-12-31T23:59:59Z", "outcome": "impression"}],
            "candidates": [{"offerId": "o"}],
        }
    )
    cap = Entry(
        "cp", "Cap", "frequency_cap", 50, "block", "r", {"window": "alltime", "count": 1, "max": 1}, None
    )
    decision = Decision(request.candidates[0], {"offerId": "o"}, False, [cap], None, LAST_INSTANT, [cap])
    html = render("html", [decision], request)
    assert "0001-01-01T00:00:00Z" in html and "9999-12-31T23:59:59Z" in html
    assert "0001-01-01" in render("text", [decision], request)


PUSH_A = {"offerId": "off_a", "channelId": "ch_push"}


@functools.cache
def example_engine() -> Engine:
    """Every rule type, as the bundled example writes them."""
    path = Path(__file__).resolve().parents[2] / "examples" / "all_rule_types.cpol"
    return Engine(cpol.compile_source(path.read_text(encoding="utf-8"), str(path)))


@given(instants, st.lists(instants, max_size=4), st.sampled_from(["UTC", "Pacific/Kiritimati", "Etc/GMT+12"]))
def test_every_renderer_survives_decisions_at_the_calendar_edges(
    now: datetime, moments: list[datetime], zone: str
) -> None:
    """End to end: the engine's own decisions (every rule type) on extreme instants."""
    outcomes = ["impression", "complaint", "rejected", "click"]
    request, raw = parse_request(
        {
            "now": now.isoformat(),
            "customer": {"id": "c", "timezone": zone},
            "interactions": [
                {"timestamp": moment.isoformat(), "outcome": outcome, **PUSH_A}
                for moment, outcome in zip(moments, outcomes, strict=False)
            ],
            "suppressions": [{"id": "s", "scope": "global", "expiresAt": m.isoformat()} for m in moments[:1]],
            "candidates": [PUSH_A, {"offerId": "off_b", "channelId": "ch_sms"}],
        }
    )
    decisions = example_engine().decide(request, explain=True, raw=raw)
    for output_format in FORMATS:
        text = render(output_format, decisions, request)
        assert not SHORT_YEAR.search(text), (output_format, SHORT_YEAR.search(text))
        if output_format == "json":
            strict_json(text)
