"""Issue 10, classes 2 and 9: instants at the edges of the calendar, and durations in reasons.

Every instant a request may carry (years 1 to 9999) survives every rule's computation: a
window start `now - window`, an eligibleAt `t + window` after 9999-12-31 (null, and the
reason says so), a time window's local time and next opening in zones up to 14 hours from
UTC. Test files refuse relative times that leave the calendar, at their location. Every
instant is written with a four-digit year. A reason never rounds "how long ago" across the
limit it is compared with.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cpol
from cpol.cli import cli
from cpol.runtime import Engine
from cpol.runtime.clock import BEYOND_CALENDAR, FIRST_INSTANT, LAST_INSTANT, format_instant
from cpol.runtime.verdict import exact_duration
from cpol.testing.times import iso

FIRST = datetime(1, 1, 1, tzinfo=UTC)
LAST = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
ZONES = ("UTC", "Pacific/Kiritimati", "Pacific/Niue", "America/New_York", "Asia/Kolkata", "Europe/Paris")
INSTANT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
UNPADDED = re.compile(r"(?<![\d-])\d{1,3}-\d\d-\d\dT")

POLICIES = """\
policy "day cap" { cap 1 per day, 2 per week, 3 per month, 1 per 3.5 days }
policy "ever cap" { cap 5 in total }
policy "cooldown" { cooldown 48 hours }
policy "long cooldown" { cooldown 87660000 hours }
policy "rest" { suppress for 3652500 days after "complaint" }
policy "older rest" { suppress within 2 days of "complaint" }
policy "budget" { stop when impressions reach 10 }
policy "segments" { exclude segments "seg_x" }
policy "window here" { only between 9:00 and 17:00 on mon..fri }
policy "window east" {
  only between 9:00 and 17:00 on mon..fri in "Pacific/Kiritimati"
}
policy "window west" {
  only from 22 until 6 on sat, sun in "Pacific/Niue"
}
policy "exclusive" { mutually exclusive "o1", "o2" }
policy "cross" { cross channel cap 1 per week, 1 per 10000 days }
policy "customer" { customer cap 1 per month }
policy "category" { category cap 1 per month for "cat" }
policy "rest category" { suppress category "cat" for 3652500 days }
policy "dnc" { do not contact }
policy "metric" { block when metric "m" > 3 }
policy "each offer" { cap 1 per week for each offer }
policy "each channel" { cooldown 72 hours for each channel }
policy "override elsewhere" {
  applies to offer "nobody"
  override because "vip"
}
"""


def instants() -> st.SearchStrategy[datetime]:
    """Instants a request may carry, crowded at both ends of the calendar."""
    near_first = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40)).map(lambda d: FIRST + d)
    near_last = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40)).map(lambda d: LAST - d)
    anywhere = st.datetimes(min_value=FIRST.replace(tzinfo=None), max_value=LAST.replace(tzinfo=None)).map(
        lambda d: d.replace(tzinfo=UTC)
    )
    edges = st.sampled_from([FIRST, LAST, LAST.replace(microsecond=0), FIRST + timedelta(microseconds=1)])
    return st.one_of(edges, near_first, near_last, anywhere)


def spell(moment: datetime, offset_hours: int) -> str:
    """The instant with an offset when the local time stays within the calendar, else in UTC."""
    try:
        local = moment.astimezone(__import__("datetime").timezone(timedelta(hours=offset_hours)))
    except OverflowError:
        return iso(moment)
    if not 1 <= local.year <= 9999:
        return iso(moment)
    return local.isoformat()


def interaction(moment: str, outcome: str = "impression") -> dict[str, Any]:
    return {
        "timestamp": moment,
        "outcome": outcome,
        "offerId": "o1",
        "channelId": "ch",
        "categoryId": "cat",
        "offerCategory": "cat",
    }


@st.composite
def edge_requests(draw: st.DrawFn) -> dict[str, Any]:
    now = draw(instants())
    stamps = draw(st.lists(instants(), max_size=6))
    offsets = st.integers(min_value=-12, max_value=14)
    history = [
        interaction(spell(stamp, draw(offsets)), draw(st.sampled_from(["impression", "complaint"])))
        for stamp in stamps
    ]
    expiry = draw(st.none() | instants())
    suppressions = [] if expiry is None else [{"id": "s1", "scope": "global", "expiresAt": iso(expiry)}]
    return {
        "now": spell(now, draw(offsets)),
        "customer": {"id": "c1", "timezone": draw(st.sampled_from(ZONES)), "metrics": {"m": 5}},
        "interactions": history,
        "suppressions": suppressions,
        "candidates": [
            {"offerId": offer, "channelId": "ch", "categoryId": "cat", "offerCategory": "cat"}
            for offer in ("o1", "o2")
        ],
    }


def _no_constants(name: str) -> Any:
    raise AssertionError(f"not strict JSON: {name}")


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def instants_in(value: object) -> list[str]:
    """Every string in a decoded JSON value that looks like an instant."""
    if isinstance(value, dict):
        return [found for item in value.values() for found in instants_in(item)]
    if isinstance(value, list):
        return [found for item in value for found in instants_in(item)]
    return [value] if isinstance(value, str) and re.match(r"^\d+-\d\d-\d\dT", value) else []


def check_entries(decision: dict[str, Any], now: float) -> None:
    """Every block's eligibleAt is a padded instant after now, or null; a block beyond the
    calendar says so."""
    for entry in [*decision["blockedBy"], *decision.get("trace", [])]:
        when = entry["eligibleAt"]
        if when is not None:
            assert INSTANT.match(when), when
            epoch = datetime.fromisoformat(when.replace("Z", "+00:00")).timestamp()
            assert FIRST_INSTANT <= epoch <= LAST_INSTANT
            if entry["ruleType"] != "suppression":
                assert epoch > now, (entry, now)
        if BEYOND_CALENDAR in entry["reason"]:
            assert when is None, entry
        assert not UNPADDED.search(entry["reason"]), entry["reason"]


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.cpol").write_text(POLICIES, encoding="utf-8")
    return tmp_path


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(req=edge_requests())
def test_every_rule_survives_instants_at_the_edges_of_the_calendar(here: Path, req: dict[str, Any]) -> None:
    (here / "r.json").write_text(json.dumps(req), encoding="utf-8")
    now = datetime.fromisoformat(req["now"].replace("Z", "+00:00")).timestamp()
    for command in (["eval"], ["explain", "--format", "json"]):
        result = run(*command, "p.cpol", "--context", "r.json")
        assert result.exit_code == 0, result.output
        decisions = json.loads(result.stdout, parse_constant=_no_constants)
        for decision in decisions:
            check_entries(decision, now)
        for instant in instants_in(decisions):
            assert re.match(r"^\d{4}-", instant), instant


@pytest.mark.parametrize("now", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "9999-12-31T12:00:00Z"])
@pytest.mark.parametrize("stamp", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z"])
@pytest.mark.parametrize("zone", ZONES)
def test_the_reported_edges(here: Path, now: str, stamp: str, zone: str) -> None:
    req = {
        "now": now,
        "customer": {"id": "c1", "timezone": zone},
        "interactions": [interaction(stamp), interaction(stamp, "complaint")],
        "candidates": [{"offerId": "o1", "channelId": "ch", "categoryId": "cat", "offerCategory": "cat"}],
    }
    (here / "r.json").write_text(json.dumps(req), encoding="utf-8")
    result = run("explain", "p.cpol", "--context", "r.json", "--format", "json")
    assert result.exit_code == 0, result.output
    for decision in json.loads(result.stdout, parse_constant=_no_constants):
        check_entries(decision, datetime.fromisoformat(now.replace("Z", "+00:00")).timestamp())


def decide(policies: str, req: dict[str, Any]) -> dict[str, Any]:
    decisions = Engine(cpol.compile_source(policies)).decide_json(req, explain=True)
    return decisions[0].to_json()


def test_year_one_is_written_with_four_digits() -> None:
    req = {"now": "0001-01-01T00:00:00Z", "customer": {"id": "c"}, "candidates": [{"offerId": "o"}]}
    decision = decide('policy "w" { only between 8 and 9 }', req)
    assert decision["eligibleAt"] == "0001-01-01T08:00:00Z"
    assert format_instant(FIRST_INSTANT) == "0001-01-01T00:00:00Z"
    assert iso(FIRST) == "0001-01-01T00:00:00Z"


def test_a_block_beyond_the_calendar_has_no_eligible_at_and_says_why() -> None:
    req = {
        "now": "9999-12-30T00:00:00Z",
        "customer": {"id": "c"},
        "interactions": [interaction("9999-12-29T00:00:00Z")],
        "candidates": [{"offerId": "o1"}],
    }
    decision = decide('policy "w" { cap 1 per week }', req)
    assert decision["eligibleAt"] is None
    assert decision["blockedBy"][0]["reason"] == (
        f"1 impression in the last 7 days; cap is 1 per week; {BEYOND_CALENDAR}"
    )


def test_a_window_whose_local_time_is_past_year_9999() -> None:
    # 9999-12-31T12:00Z is Saturday 10000-01-01 02:00 in Kiritimati (UTC+14)
    req = {
        "now": "9999-12-31T12:00:00Z",
        "customer": {"id": "c", "timezone": "Pacific/Kiritimati"},
        "candidates": [{"offerId": "o1"}],
    }
    decision = decide('policy "w" { only between 9 and 17 on mon..fri }', req)
    reason = decision["blockedBy"][0]["reason"]
    assert reason.startswith("it is Saturday 02:00 in Pacific/Kiritimati, outside the allowed window; ")
    assert reason.endswith(BEYOND_CALENDAR)
    assert decision["eligibleAt"] is None


def test_a_window_whose_local_time_is_before_year_one() -> None:
    # 0001-01-01T00:00Z is 0000-12-31 19:03:58 in New York (local mean time, -4:56:02)
    req = {
        "now": "0001-01-01T00:00:00Z",
        "customer": {"id": "c", "timezone": "America/New_York"},
        "candidates": [{"offerId": "o1"}],
    }
    decision = decide('policy "w" { only between 9 and 17 }', req)
    assert decision["blockedBy"][0]["reason"].startswith("it is Sunday 19:03 in America/New_York")
    assert decision["eligibleAt"] == "0001-01-01T13:56:02Z"


# -- test files: relative times that leave the calendar ---------------------------------------------


TEST_FILE = """\
policies: [p.cpol]
now: {now}
tests:
  - name: edge
    history: [{{at: "{at}", offer: o1}}]
    candidates: [{{offer: o1, expect: {{allowed: true}}}}]
"""


def relative_times() -> st.SearchStrategy[str]:
    """Relative times of any length, and absolute ones at the edges with an offset or a zone."""
    amounts = st.one_of(st.integers(0, 10**13), st.sampled_from([99999999999, 3000000, 3652058, 10**400]))
    units = st.sampled_from(["days", "weeks", "hours", "seconds"])
    form = st.sampled_from(["{} {} ago", "in {} {}", "now - {} {}", "now + {} {}"])
    relative = st.builds(lambda f, a, u: f.format(a, u), form, amounts, units)
    absolute = st.sampled_from([
        "0001-01-01T00:00:00+01:00", "0001-01-01T00:00:00-01:00", "9999-12-31T23:59:59-05:00",
        "9999-12-31T23:59:59+14:00", "0001-01-01 00:00 Asia/Tokyo", "9999-12-31 23:00 America/New_York",
        "0001-01-01", "9999-12-31T23:59:59.999999Z",
    ])  # fmt: skip
    return st.one_of(relative, absolute)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(now=instants(), at=relative_times())
def test_relative_times_that_leave_the_calendar_are_located_errors(
    here: Path, now: datetime, at: str
) -> None:
    (here / "p.cpol").write_text('policy "c" { cooldown 1 hour }', encoding="utf-8")
    (here / "edge.test.yaml").write_text(TEST_FILE.format(now=iso(now), at=at), encoding="utf-8")
    result = run("test", "edge.test.yaml")
    assert result.exit_code in (0, 1), result.output
    assert "internal error" not in result.output
    assert not UNPADDED.search(result.output), result.output
    if "ERROR" in result.stdout:
        assert re.search(
            r"edge\.test\.yaml:5:\d+: error: `at`: `.*` is (before 0001-01-01T00:00:00Z|after "
            r"9999-12-31T23:59:59Z)",
            result.stderr,
        ), result.stderr


def test_a_test_file_at_year_one_is_echoed_with_four_digits(here: Path) -> None:
    (here / "p.cpol").write_text('policy "w" { only between 8 and 9 }', encoding="utf-8")
    text = TEST_FILE.format(now="0001-01-01T00:00:00Z", at="now").replace("offer: o1}]", "offer: o2}]")
    (here / "edge.test.yaml").write_text(text, encoding="utf-8")
    result = run("test", "edge.test.yaml")
    assert result.exit_code == 1
    assert "eligible at 0001-01-01T08:00:00Z" in result.stdout
    assert not UNPADDED.search(result.output), result.output


def test_the_reported_test_file_times(here: Path) -> None:
    for at, edge in (("99999999999 days ago", "before"), ("in 3000000 days", "after")):
        (here / "edge.test.yaml").write_text(
            TEST_FILE.format(now="2026-03-20T14:00:00Z", at=at), encoding="utf-8"
        )
        result = run("test", "edge.test.yaml")
        assert result.exit_code == 1
        assert f"edge.test.yaml:5:20: error: `at`: `{at}` is {edge}" in result.stderr


# -- class 9: how long ago, never rounded across the limit ---------------------------------------------


def test_half_a_second_short_of_a_cooldown() -> None:
    req = {
        "now": "2026-03-20T14:00:00Z",
        "customer": {"id": "c"},
        "interactions": [interaction("2026-03-19T14:00:00.5Z")],
        "candidates": [{"offerId": "o1"}],
    }
    block = decide('policy "c" { cooldown 24 hours }', req)["blockedBy"][0]
    assert block["reason"] == "last impression was 23 hours 59 minutes 59.5 seconds ago; cooldown is 24 hours"
    assert block["details"]["hoursSinceLast"] < 24
    assert block["eligibleAt"] == "2026-03-20T14:00:01Z"


RECENCY = {
    "cooldown": ('policy "p" {{ cooldown {} hours }}', "impression", 3600.0, "hoursSinceLast"),
    "outcome_based": (
        'policy "p" {{ suppress for {} days after "complaint" }}',
        "complaint",
        86400.0,
        "daysSince",
    ),
    "category_suppression": (
        'policy "p" {{ suppress category "cat" for {} days }}',
        "impression",
        86400.0,
        "daysSince",
    ),
}
SHORT = re.compile(r" was (?:shown )?(\d+\.\d) (?:hours|days) ago;")
LONG = re.compile(r" was (?:shown )?((?:[\d.]+ (?:days?|hours?|minutes?|seconds?) ?)+) ago;")


def said_seconds(reason: str, unit: float) -> float:
    """How long ago the reason says, in seconds."""
    short = SHORT.search(reason)
    if short is not None:
        return float(short.group(1)) * unit
    long = LONG.search(reason)
    assert long is not None, reason
    sizes = {"day": 86400.0, "hour": 3600.0, "minute": 60.0, "second": 1.0}
    words = long.group(1).split()
    return sum(float(n) * sizes[w.rstrip("s")] for n, w in zip(words[::2], words[1::2], strict=True))


@settings(max_examples=150)
@given(
    rule=st.sampled_from(sorted(RECENCY)),
    limit=st.sampled_from([1, 2, 24, 48, 0.5, 7, 90, 1.25]),
    delta=st.one_of(
        st.integers(-7200_000000, 7200_000000), st.integers(-2_000000, 2_000000), st.sampled_from([0, 1, -1])
    ),
)
def test_how_long_ago_is_on_the_side_of_the_verdict(rule: str, limit: float, delta: int) -> None:
    """For an event `limit ± delta µs` ago, the words and the details agree with the verdict."""
    template, outcome, unit, key = RECENCY[rule]
    now = datetime(2026, 3, 20, 14, tzinfo=UTC)
    since = timedelta(seconds=limit * unit) + timedelta(microseconds=delta)
    if since < timedelta(0):
        return
    req = {
        "now": iso(now),
        "customer": {"id": "c"},
        "interactions": [interaction(iso(now - since), outcome)],
        "candidates": [{"offerId": "o1", "categoryId": "cat"}],
    }
    entry = decide(template.format(limit), req)["trace"][0]
    blocked = entry["result"] == "block"
    assert blocked == (since.total_seconds() < limit * unit)
    assert (said_seconds(entry["reason"], unit) < limit * unit) == blocked, entry["reason"]
    assert (entry["details"][key] < limit) == blocked, entry["details"]


def test_exact_durations() -> None:
    assert exact_duration(86399.5, 3600.0, up=False) == "23 hours 59 minutes 59.5 seconds"
    assert exact_duration(604799.9999999, 86400.0, up=False) == "6 days 23 hours 59 minutes 59.999999 seconds"
    assert exact_duration(86400.0000001, 3600.0, up=True) == "24 hours 0.000001 seconds"
    assert exact_duration(0, 86400.0, up=False) == "0 seconds"
    assert exact_duration(61, 3600.0, up=False) == "1 minute 1 second"
    assert math.isclose(said_seconds(" was 1 day 2 hours ago;", 1.0), 93600.0)


@pytest.mark.parametrize(
    ("now", "edge"),
    [("0001-01-01T00:00:00+01:00", "before"), ("9999-12-31T23:59:59-00:01", "after"),
     ("0001-01-01 00:30 Asia/Tokyo", "before")],
)  # fmt: skip
def test_a_test_files_now_outside_the_calendar_is_a_located_error(here: Path, now: str, edge: str) -> None:
    (here / "edge.test.yaml").write_text(TEST_FILE.format(now=now, at="now"), encoding="utf-8")
    result = run("test", "edge.test.yaml")
    assert result.exit_code == 1
    assert f"edge.test.yaml:2:6: error: `now`: `{now}` is {edge}" in result.stderr
