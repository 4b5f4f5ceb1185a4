"""priority_tie: CPL401 two blocking policies of one rule type tied at a chosen priority, CPL402
an override tied with a bypassable policy it meets."""

from __future__ import annotations

import pytest

from .helpers import above_info, codes, lint_cpol, only, policy

EMAIL = 'applies to channel "ch_email"'

TIED = {
    "a channel cap and a global cap": (
        [
            policy("Email", "priority 80", EMAIL, "cap 1 per day"),
            policy("All", "priority 80", "cap 10 per week"),
        ],
        [
            policy("Email", "priority 80", EMAIL, "cap 1 per day"),
            policy("All", "priority 81", "cap 10 per week"),
        ],
    ),
    "two metrics on one scope": (
        [
            policy("A", "priority 70", 'block when metric "m1" > 1'),
            policy("B", "priority 70", 'block when metric "m2" > 1'),
        ],
        # ties at the default priority are not reported
        [policy("A", 'block when metric "m1" > 1'), policy("B", 'block when metric "m2" > 1')],
    ),
    "two rules of different types": (
        [
            policy("A", "priority 70", 'block when metric "m1" > 1'),
            policy("B", "priority 70", 'block when metric "m2" > 1'),
        ],
        [
            policy("A", "priority 70", 'block when metric "m1" > 1'),
            policy("B", "priority 70", 'exclude segment "s"'),
        ],
    ),
    "two channels never meet": (
        [
            policy("Email", "priority 80", EMAIL, 'exclude segment "a"'),
            policy("Email 2", "priority 80", EMAIL, 'exclude segment "b"'),
        ],
        [
            policy("Email", "priority 80", EMAIL, 'exclude segment "a"'),
            policy("SMS", "priority 80", 'applies to channel "ch_sms"', 'exclude segment "b"'),
        ],
    ),
    "disjoint exclusion groups never block the same candidate": (
        [
            policy("G1", "priority 60", 'mutually exclusive "a", "b"'),
            policy("G2", "priority 60", 'mutually exclusive "b", "c"'),
        ],
        [
            policy("G1", "priority 60", 'mutually exclusive "a", "b"'),
            policy("G2", "priority 60", 'mutually exclusive "c", "d"'),
        ],
    ),
    "an inactive policy is not tied": (
        [
            policy("A", "priority 70", 'block when metric "m1" > 1'),
            policy("B", "priority 70", 'block when metric "m2" > 1'),
        ],
        [
            policy("A", "priority 70", 'block when metric "m1" > 1'),
            policy("B", "priority 70", "status paused", 'block when metric "m2" > 1'),
        ],
    ),
}


@pytest.mark.parametrize("case", list(TIED))
def test_tied_blocking_policies(case: str) -> None:
    fires, quiet = TIED[case]
    findings = lint_cpol(*fires)
    found = only(findings, "CPL401")
    assert (found.kind, found.severity) == ("priority_tie", "warning")
    assert found.primary.loc == ("priority",) and found.related[0].loc == ("priority",)
    assert above_info(lint_cpol(*quiet)) == []


def test_a_redundant_pair_is_not_also_a_tie() -> None:
    findings = lint_cpol(
        policy("All", "priority 80", "cap 3 per week"),
        policy("Email", "priority 80", EMAIL, "cap 5 per week"),
    )
    assert codes(findings) == ["CPL101"]


def test_copies_are_duplicates_not_ties() -> None:
    copies = [policy(f"Copy {n}", "priority 80", EMAIL, "cap 3 per week") for n in range(3)]
    assert codes(lint_cpol(*copies)) == ["CPL302", "CPL302"]


OVERRIDE_TIES = {
    "an override and a global cap": (
        [
            policy("VIP", "priority 90", 'scope offer "off_vip"', "override"),
            policy("Cap", "priority 90", "cap 3 per week"),
        ],
        [
            policy("VIP", "priority 91", 'scope offer "off_vip"', "override"),
            policy("Cap", "priority 90", "cap 3 per week"),
        ],
    ),
    "an override and a policy it cannot lift": (
        [
            policy("VIP", "priority 90", 'scope offer "off_vip"', "override"),
            policy("Cap", "priority 90", "cap 3 per week"),
        ],
        [
            policy("VIP", "priority 90", 'scope offer "off_vip"', "override"),
            policy("Quiet", "priority 90", "only between 8:00 and 21:00", "cannot be overridden"),
        ],
    ),
    "an override and a policy of another offer": (
        [
            policy("VIP", "priority 90", 'scope offer "off_vip"', "override"),
            policy("Cap", "priority 90", 'scope offer "off_vip"', "cap 3 per week"),
        ],
        [
            policy("VIP", "priority 90", 'scope offer "off_vip"', "override"),
            policy("Cap", "priority 90", 'scope offer "off_other"', "cap 3 per week"),
        ],
    ),
}


@pytest.mark.parametrize("case", list(OVERRIDE_TIES))
def test_override_tied_with_a_blocker(case: str) -> None:
    fires, quiet = OVERRIDE_TIES[case]
    found = only(lint_cpol(*fires), "CPL402")
    assert found.primary.policy_name == "VIP"
    assert [place.policy_name for place in found.related] == ["Cap"]
    assert above_info(lint_cpol(*quiet)) == []
