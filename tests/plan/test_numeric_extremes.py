"""Issue 10, class 1: every numeric field of every rule type, written in any form the grammar
or JSON allows (exponents, fractions, huge, tiny, negative zero, NaN-like), is either refused
with a located message or accepted and then survives every computation: `cpol check` and
`cpol explain` exit 0 or 1, never 3, and print strict JSON.

The rules (docs/decisions.md, "Numbers in policies"): caps count contacts, so they are whole
numbers from 0 to 2**53 - 1; durations are 0 or from one second to 10,000 years; hours of a
time window are whole hours 0..23 / 0..24; thresholds are any finite number ≥ 0.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cpol.cli import cli
from cpol.plan.fields import MAX_COUNT, MAX_DAYS


class Field(NamedTuple):
    """A numeric config field: how to write it in `.cpol` (`{}` is the number) and in JSON."""

    rule_type: str
    key: str
    kind: str  # count, hours, days, hour, end_hour, amount, priority
    cpol: str
    config: dict[str, Any]  # the other keys the JSON policy needs


FIELDS = (
    Field("frequency_cap", "maxPerDay", "count", "cap {} per day", {}),
    Field("frequency_cap", "maxPerWeek", "count", "cap {} per week", {}),
    Field("frequency_cap", "maxPerMonth", "count", "cap {} per month", {}),
    Field("frequency_cap", "maxTotal", "count", "cap {} in total", {}),
    Field("frequency_cap", "maxContacts", "count", "cap {} per 7 days", {"windowDays": 7}),
    Field("frequency_cap", "windowDays", "days", "cap 1 per {} days", {"maxContacts": 1}),
    Field("cooldown", "cooldownHours", "hours", "cooldown {} hours", {}),
    Field(
        "budget_exhausted",
        "threshold",
        "amount",
        "stop when impressions reach {}",
        {"budgetField": "impressions"},
    ),
    Field(
        "outcome_based",
        "suppressForDays",
        "days",
        'suppress for {} days after "complaint"',
        {"afterOutcome": "complaint"},
    ),
    Field(
        "outcome_based",
        "withinDays",
        "days",
        'suppress within {} days of "complaint"',
        {"outcome": "complaint"},
    ),
    Field("time_window", "startHour", "hour", "only between {} and 21", {"endHour": 21}),
    Field("time_window", "endHour", "end_hour", "only between 8 and {}", {"startHour": 8}),
    Field("cross_channel_cap", "maxTotal", "count", "cross channel cap {} per week", {}),
    Field("cross_channel_cap", "maxContacts", "count", "cross channel cap {} per 7 days", {"windowDays": 7}),
    Field("cross_channel_cap", "windowDays", "days", "cross channel cap 1 per {} days", {"maxContacts": 1}),
    Field("customer_total_cap", "maxTotal", "count", "customer cap {} per week", {}),
    Field(
        "offer_category_cap",
        "maxTotal",
        "count",
        'category cap {} per month for "cat"',
        {"targetCategory": "cat"},
    ),
    Field(
        "category_suppression",
        "suppressionDays",
        "days",
        'suppress category "cat" for {} days',
        {"categoryId": "cat"},
    ),
    Field(
        "metric_condition",
        "threshold",
        "amount",
        'block when metric "m" > {}',
        {"metricId": "m", "operator": "gt"},
    ),
    Field("frequency_cap", "priority", "priority", "cap 1 per day\n  priority {}", {"maxPerDay": 1}),
    Field("frequency_cap", "version", "version", "cap 1 per day\n  meta {{ version {} }}", {"maxPerDay": 1}),
    Field("time_window", "daysOfWeek", "weekday", "", {}),  # JSON only: .cpol names the days
)
TOP_LEVEL = ("priority", "version")

SPECIAL = [
    "1e400", "-1e400", "1e-300", "4.9e-324", "1e308", "0.00000000000000001", "-0", "-0.0", "0.0",
    "0e0", "1E3", "3.0", "2.5", "0.5", "24", "24.0", "23", "1e1", "10000000000000000000000000000000",
    "9007199254740991", "9007199254740992", "87660000", "87660001", "3652500", "3652501", "9" * 5000,
    "NaN", "Infinity", "-Infinity", "-1", "0.0002", "0.0003", "0.00001", "0.00002",
]  # fmt: skip


def number_texts() -> st.SearchStrategy[str]:
    """A number as the grammar's NUMBER token (and JSON) spells it, or a NaN-like word."""
    digits = st.integers(min_value=0, max_value=10**40).map(str)
    signs = st.sampled_from(["", "-"])
    fractions = st.builds(lambda i, f: f"{i}.{f}", st.integers(0, 10**6), st.integers(0, 10**20))
    exponents = st.builds(
        lambda m, e: f"{m}e{e}", st.one_of(digits, fractions), st.integers(min_value=-400, max_value=400)
    )
    plain = st.one_of(digits, fractions, exponents)
    return st.one_of(st.sampled_from(SPECIAL), st.builds(lambda s, n: s + n, signs, plain))


REQUEST = {
    "now": "2026-03-20T14:00:00Z",
    "customer": {"id": "c1", "metrics": {"m": 5}, "timezone": "Europe/Paris"},
    "interactions": [
        {"timestamp": stamp, "outcome": outcome, "offerId": "o1", "channelId": "ch", "categoryId": "cat",
         "offerCategory": "cat"}
        for stamp in ("2026-03-20T13:59:59.5Z", "2026-03-20T10:00:00Z", "2026-03-18T14:00:00Z",
                      "2026-03-01T00:00:00Z", "2020-01-01T00:00:00Z")
        for outcome in ("impression", "complaint")
    ],
    "budgets": {"o1": {"impressions": 500, "spend": 3.5}},
    "candidates": [{"offerId": "o1", "channelId": "ch", "categoryId": "cat", "offerCategory": "cat"}],
}  # fmt: skip

LOCATED_CPOL = re.compile(r"^p\.cpol:\d+:\d+: error: ", re.MULTILINE)
LOCATED_JSON = re.compile(r"^p\.json:\[0\]\.\S+: error: |^p\.json:\d+:\d+: error: ", re.MULTILINE)


def _no_constants(name: str) -> Any:
    raise AssertionError(f"not strict JSON: {name}")


def strict_json(text: str) -> Any:
    return json.loads(text, parse_constant=_no_constants)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def acceptable(kind: str, value: object) -> bool:
    """Whether the plan may accept this value for a field of this kind (the documented range)."""
    if kind == "weekday":
        return isinstance(value, list) and all(acceptable("version", v) and v <= 6 for v in value)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return False
    if value < 0 or math.copysign(1.0, value) < 0:
        return False
    if kind == "count":
        return value == math.floor(value) and value <= MAX_COUNT
    if kind in ("hours", "days"):
        unit = 3600.0 if kind == "hours" else 86400.0
        return value == 0 or 1 <= value * unit <= MAX_DAYS * 86400.0
    if kind == "version":
        return isinstance(value, int)
    if kind in ("hour", "end_hour", "priority"):
        top = {"hour": 23, "end_hour": 24, "priority": 100}[kind]
        return isinstance(value, int) and value <= top
    return True  # amount


def check_explain(path: str, context: Path) -> None:
    for fmt in ("json", "text"):
        result = run("explain", path, "--context", str(context), "--format", fmt)
        assert result.exit_code == 0, result.output
        if fmt == "json":
            decisions = strict_json(result.stdout)
            assert len(decisions) == 1


def check_one(tmp: Path, field: Field, text: str, form: str) -> None:
    """Write the field in one form, check it, and explain a request with it when accepted."""
    context = tmp / "request.json"
    context.write_text(json.dumps(REQUEST), encoding="utf-8")
    if form == "cpol" and field.cpol:
        path = tmp / "p.cpol"
        path.write_text(f'policy "p" {{\n  {field.cpol.format(text)}\n}}\n', encoding="utf-8")
        located = LOCATED_CPOL
    else:
        path = tmp / "p.json"
        written = f"[{text}]" if field.kind == "weekday" else text
        config = ", ".join([f'"{field.key}": {written}'] if field.key not in TOP_LEVEL else [])
        others = json.dumps(field.config)[1:-1]
        body = ", ".join(part for part in (config, others) if part)
        priority = f', "{field.key}": {text}' if field.key in TOP_LEVEL else ""
        path.write_text(
            f'[{{"name": "p", "scope": "global", "ruleType": "{field.rule_type}", '
            f'"config": {{{body}}}{priority}}}]',
            encoding="utf-8",
        )
        located = LOCATED_JSON
    checked = run("compile", str(path.name))
    assert checked.exit_code in (0, 1), checked.output
    assert "internal error" not in checked.output
    if checked.exit_code == 1:
        assert located.search(checked.stderr), checked.stderr
        return
    policy = strict_json(checked.stdout)[0]
    value = policy[field.key] if field.key in TOP_LEVEL else policy["config"][field.key]
    assert acceptable(field.kind, value), (text, value)
    check_explain(path.name, context)
    linted = run("lint", path.name, "--format", "json")
    assert linted.exit_code in (0, 1), linted.output
    strict_json(linted.stdout)


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(FIELDS), text=number_texts(), form=st.sampled_from(["cpol", "json"]))
def test_every_numeric_field_in_every_form_is_refused_or_survives(
    here: Path, field: Field, text: str, form: str
) -> None:
    check_one(here, field, text, form)


@pytest.mark.parametrize("field", FIELDS, ids=lambda f: f"{f.rule_type}.{f.key}")
@pytest.mark.parametrize(
    "text", ["1e400", "0.00000000000000001", "1e-300", "-0.0", "10000000000000000000000000000000", "9" * 5000]
)
@pytest.mark.parametrize("form", ["cpol", "json"])
def test_the_reported_extremes(here: Path, field: Field, text: str, form: str) -> None:
    check_one(here, field, text, form)


def message(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    result = run("check", path.name)
    assert result.exit_code == 1
    return result.stderr


def test_a_fractional_cap_is_refused_with_a_hint(here: Path) -> None:
    out = message(here / "p.cpol", 'policy "p" {\n  cap 0.00000000000000001 per week\n}\n')
    assert "p.cpol:2:7: error: must be a whole number, not 1e-17" in out
    assert "hint: a cap counts contacts: write 0 or 1" in out


def test_a_tiny_json_category_cap_is_refused_at_its_path(here: Path) -> None:
    policy = {"name": "p", "scope": "global", "ruleType": "offer_category_cap",
              "config": {"targetCategory": "cat", "maxTotal": 1e-300}}  # fmt: skip
    out = message(here / "p.json", json.dumps([policy]))
    assert "p.json:[0].config.maxTotal: error: must be a whole number, not 1e-300" in out


def test_an_hour_written_with_an_exponent_is_refused(here: Path) -> None:
    out = message(here / "p.cpol", 'policy "p" {\n  only between 9:00 and 1e400:00\n}\n')
    assert "p.cpol:2:25: error: this number is too large" in out
    out = message(here / "p.cpol", 'policy "p" {\n  only between 9:00 and 1e1\n}\n')
    assert "endHour must be an integer from 0 to 24" in out


def test_durations_are_bounded_by_the_calendar(here: Path) -> None:
    out = message(here / "p.cpol", 'policy "p" {\n  cooldown 87660001 hours\n}\n')
    assert "must be at most 87,660,000 hours (10,000 years)" in out
    out = message(here / "p.cpol", 'policy "p" {\n  cooldown 0.0002 hours\n}\n')
    assert "0.0002 hours is shorter than a second" in out


def test_whole_floats_stay_as_written(here: Path) -> None:
    (here / "p.cpol").write_text('policy "p" {\n  cap 3.0 per day, 1E3 per week\n}\n', encoding="utf-8")
    out = run("compile", "p.cpol")
    assert out.exit_code == 0
    assert strict_json(out.stdout)[0]["config"] == {"maxPerDay": 3.0, "maxPerWeek": 1000.0}
