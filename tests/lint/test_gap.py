"""gap: CPL501 a global override, CPL502 no time zone where customers have none, CPL503 an
exclusion group of one offer, CPL504 an outcome name close to a known one."""

from __future__ import annotations

import pytest

from .helpers import above_info, codes, lint_cpol, only, policy


def test_global_override() -> None:
    found = only(lint_cpol(policy("Everyone", "override")), "CPL501")
    assert (found.kind, found.severity) == ("gap", "warning")
    assert found.primary.loc == ("scope",)
    assert above_info(lint_cpol(policy("VIP", 'scope offer "off_vip"', "override"))) == []
    assert codes(lint_cpol(policy("Everyone", "status draft", "override"))) == ["CPL103"]


def test_a_scoped_override_under_a_global_one() -> None:
    findings = lint_cpol(policy("Everyone", "override"), policy("VIP", 'scope offer "off_vip"', "override"))
    assert codes(findings) == ["CPL501", "CPL101"]
    assert (
        findings[1].message
        == 'override "VIP" (on offer off_vip) lifts nothing that "Everyone" does not already lift'
    )


def test_global_override_among_scopes() -> None:
    found = only(lint_cpol(policy("Mixed", 'applies to offer "o", global', "override")), "CPL501")
    assert found.primary.loc == ("scopes", 1)


NO_ZONE = policy("Quiet", "only between 8:00 and 21:00")
ZONE = policy("Quiet", 'only between 8:00 and 21:00 in "America/New_York"')


@pytest.mark.parametrize("coverage", ["none", "some"])
def test_time_window_without_timezone_for_customers_without_one(coverage: str) -> None:
    catalog = {"customerTimezones": coverage}
    found = only(lint_cpol(NO_ZONE, catalog=catalog), "CPL502")
    assert "UTC" in found.message
    assert above_info(lint_cpol(ZONE, catalog=catalog)) == []


def test_time_window_without_timezone_is_fine_when_customers_have_one() -> None:
    assert above_info(lint_cpol(NO_ZONE, catalog={"customerTimezones": "all"})) == []
    assert above_info(lint_cpol(NO_ZONE, catalog={"channels": ["ch_email"]})) == []
    assert above_info(lint_cpol(NO_ZONE)) == []


def test_single_offer_group() -> None:
    found = only(lint_cpol(policy("Alone", 'mutually exclusive "off_a"')), "CPL503")
    assert found.primary.loc == ("config", "excludeOfferIds")
    assert codes(lint_cpol(policy("Twice", 'mutually exclusive "off_a", "off_a"'))) == ["CPL503"]
    assert above_info(lint_cpol(policy("Pair", 'mutually exclusive "off_a", "off_b"'))) == []


def test_outcome_typo() -> None:
    found = only(lint_cpol(policy("Unsub", 'suppress for 30 days after "unsubscibe"')), "CPL504")
    assert "did you mean `unsubscribe`?" in found.message
    assert found.fix.startswith("write `unsubscribe`")
    assert found.primary.loc == ("config", "afterOutcome")


def test_outcome_typo_in_a_list_points_at_the_item() -> None:
    found = only(
        lint_cpol(policy("Adverse", 'suppress for 30 days after "complaint", "hardbounce"')), "CPL504"
    )
    assert found.primary.loc == ("config", "afterOutcome", 1)
    assert "`hard_bounce`" in found.message


def test_outcome_close_to_one_another_policy_uses() -> None:
    findings = lint_cpol(
        policy("A", 'suppress for 30 days after "loan_declined"'),
        policy("B", 'suppress for 30 days after "loan_decline"'),
    )
    assert codes(findings) == ["CPL504", "CPL504"]


QUIET_OUTCOMES = {
    "known outcomes": ('"complaint", "unsubscribe"',),
    "an outcome far from any known one": ('"renewal"',),
    "an outcome another policy uses too": ('"unsubscibe"', '"unsubscibe"'),
    "older shape": ('"rejected"',),
}


@pytest.mark.parametrize("case", list(QUIET_OUTCOMES))
def test_outcomes_that_are_fine(case: str) -> None:
    sets = [
        policy(f"P{n}", f"suppress for 30 days after {outcomes}")
        for n, outcomes in enumerate(QUIET_OUTCOMES[case])
    ]
    # two policies over the same outcome with the same days are duplicates, not gaps
    assert [c for c in codes(lint_cpol(*sets)) if c == "CPL504"] == []


def test_catalogue_outcomes_are_authoritative() -> None:
    catalog = {"outcomes": ["impression", "dismiss", "renewal"]}
    found = only(lint_cpol(policy("P", 'suppress for 30 days after "dismissed"'), catalog=catalog), "CPL504")
    assert "the catalogue does not list it" in found.message
    assert "`dismiss`" in found.message
    assert above_info(lint_cpol(policy("P", 'suppress for 30 days after "renewal"'), catalog=catalog)) == []
