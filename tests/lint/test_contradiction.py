"""contradiction (errors): CPL201 a cap of 0, CPL202 a window never open, CPL203 two windows
never open together. Each with a near-identical set that is fine."""

from __future__ import annotations

import pytest

from .helpers import above_info, codes, lint_cpol, only, policy

EMAIL = 'applies to channel "ch_email"'

ZERO_CAPS = {
    "frequency cap": ("cap 0 per week", "cap 1 per week", "maxPerWeek"),
    "one cap of several": ("cap 1 per day, 0 per month", "cap 1 per day, 20 per month", "maxPerMonth"),
    "older shape": ("cap 0 per 14 days", "cap 1 per 14 days", "maxContacts"),
    "customer cap": ("customer cap 0 per week", "customer cap 1 per week", "maxTotal"),
    "cross-channel cap": ("cross channel cap 0 per week", "cross channel cap 2 per week", "maxTotal"),
    "category cap": (
        'category cap 0 per month for "loans"',
        'category cap 2 per month for "loans"',
        "maxTotal",
    ),
}


@pytest.mark.parametrize("case", list(ZERO_CAPS))
def test_zero_cap(case: str) -> None:
    fires, quiet, key = ZERO_CAPS[case]
    found = only(lint_cpol(policy("Zero", EMAIL, fires)), "CPL201")
    assert (found.severity, found.kind) == ("error", "contradiction")
    assert found.primary.loc == ("config", key)
    assert above_info(lint_cpol(policy("Zero", EMAIL, quiet))) == []


def test_zero_cap_names_override_exception() -> None:
    bypassable = only(lint_cpol(policy("Zero", EMAIL, "cap 0 per week")), "CPL201")
    final = only(lint_cpol(policy("Zero", EMAIL, "cap 0 per week", "cannot be overridden")), "CPL201")
    assert bypassable.message.endswith("unless an override lifts it")
    assert final.message.endswith("at all times")


def test_a_zero_cap_is_not_also_reported_as_dominating() -> None:
    findings = lint_cpol(policy("Zero", "cap 0 per week"), policy("Email", EMAIL, "cap 3 per week"))
    assert codes(findings) == ["CPL201"]


EMPTY_WINDOWS = {
    "start equals end": ("only between 9:00 and 9:00", "only between 9:00 and 10:00", "startHour"),
    "no day": ("only on no days", "only on sun", "daysOfWeek"),
    "until midnight": ("only until 0:00", "only until 1:00", "startHour"),
}


@pytest.mark.parametrize("case", list(EMPTY_WINDOWS))
def test_empty_time_window(case: str) -> None:
    fires, quiet, key = EMPTY_WINDOWS[case]
    found = only(lint_cpol(policy("Never", EMAIL, fires)), "CPL202")
    assert found.severity == "error"
    assert found.primary.loc == ("config", key)
    assert above_info(lint_cpol(policy("Never", EMAIL, quiet))) == []


DISJOINT = {
    "hours on the same scope": (
        [
            policy("Morning", EMAIL, "only between 9:00 and 12:00"),
            policy("Afternoon", EMAIL, "only between 13:00 and 17:00"),
        ],
        [
            policy("Morning", EMAIL, "only between 9:00 and 14:00"),
            policy("Afternoon", EMAIL, "only between 13:00 and 17:00"),
        ],
    ),
    "days, one window global": (
        [policy("Weekdays", "only on mon..fri"), policy("Weekend email", EMAIL, "only on sat, sun")],
        [policy("Weekdays", "only on mon..fri"), policy("Weekend email", EMAIL, "only on fri, sat, sun")],
    ),
    "a wrapping window and a daytime window": (
        [
            policy("Night", EMAIL, "only between 22:00 and 6:00"),
            policy("Day", EMAIL, "only between 8:00 and 20:00"),
        ],
        [
            policy("Night", EMAIL, "only between 22:00 and 6:00"),
            policy("Day", EMAIL, "only between 5:00 and 20:00"),
        ],
    ),
    "different channels never meet": (
        [
            policy("Morning", EMAIL, "only between 9:00 and 12:00"),
            policy("Afternoon", EMAIL, "only between 13:00 and 17:00"),
        ],
        [
            policy("Morning", EMAIL, "only between 9:00 and 12:00"),
            policy("Afternoon", 'applies to channel "ch_sms"', "only between 13:00 and 17:00"),
        ],
    ),
    "different time zones are not compared": (
        [
            policy("NY", EMAIL, 'only between 9:00 and 12:00 in "America/New_York"'),
            policy("NY2", EMAIL, 'only between 13:00 and 17:00 in "America/New_York"'),
        ],
        [
            policy("NY", EMAIL, 'only between 9:00 and 12:00 in "America/New_York"'),
            policy("Paris", EMAIL, 'only between 13:00 and 17:00 in "Europe/Paris"'),
        ],
    ),
    "an inactive window": (
        [
            policy("Morning", EMAIL, "only between 9:00 and 12:00"),
            policy("Afternoon", EMAIL, "only between 13:00 and 17:00"),
        ],
        [
            policy("Morning", EMAIL, "only between 9:00 and 12:00"),
            policy("Afternoon", EMAIL, "status draft", "only between 13:00 and 17:00"),
        ],
    ),
}


@pytest.mark.parametrize("case", list(DISJOINT))
def test_disjoint_time_windows(case: str) -> None:
    fires, quiet = DISJOINT[case]
    found = only(lint_cpol(*fires), "CPL203")
    assert found.severity == "error"
    assert len(found.related) == 1
    assert above_info(lint_cpol(*quiet)) == []


def test_disjoint_windows_reported_once_on_the_later_policy() -> None:
    findings = lint_cpol(
        policy("Weekdays", "only on mon..fri"), policy("Weekend email", EMAIL, "only on sat, sun")
    )
    found = only(findings, "CPL203")
    assert found.primary.policy_name == "Weekend email"
    assert found.related[0].policy_name == "Weekdays"
    assert "every candidate on channel ch_email" in found.message
