"""dead_rule: CPL101 dominated, CPL102 unreachable cap, CPL103 inactive, CPL104 unknown scope id,
CPL105 scope that misses the rule, CPL106 a duration of 0.

Each case that must fire has a near-identical twin that must not: the twin is a set that is
fine, so it must produce nothing above info at all.
"""

from __future__ import annotations

import pytest

from .helpers import above_info, codes, lint_cpol, lint_json, only, policy

EMAIL = 'applies to channel "ch_email"'
SMS = 'applies to channel "ch_sms"'

# -- CPL101: dominated by another policy ---------------------------------------------------

DOMINATED_CASES = {
    "channel cap under a global cap of the same window": (
        [policy("Global", "cap 3 per week"), policy("Email", EMAIL, "cap 5 per week")],
        [policy("Global", "cap 3 per week"), policy("Email", EMAIL, "cap 2 per week")],
    ),
    "weekly channel cap under a global monthly cap (longer window, lower max)": (
        [policy("Global", "cap 3 per month"), policy("Email", EMAIL, "cap 5 per week")],
        [policy("Global", "cap 3 per day"), policy("Email", EMAIL, "cap 5 per week")],
    ),
    "channel cap under a non-bypassable customer cap": (
        [
            policy("Budget", "customer cap 3 per week", "cannot be overridden"),
            policy("Email", EMAIL, "cap 5 per week"),
        ],
        # a bypassable customer cap is skipped for mandatory offers; frequency caps are not
        [policy("Budget", "customer cap 3 per week"), policy("Email", EMAIL, "cap 5 per week")],
    ),
    "global cap filtered to one campaign does not dominate": (
        [
            policy("Global", 'cap 3 per week within campaign "c1"'),
            policy("Email", EMAIL, 'cap 5 per week within campaign "c1"'),
        ],
        [policy("Global", 'cap 3 per week within campaign "c1"'), policy("Email", EMAIL, "cap 5 per week")],
    ),
    "a dominator that can be overridden does not dominate a final policy": (
        [
            policy("Global", "cap 3 per week", "cannot be overridden"),
            policy("Email", EMAIL, "cap 5 per week", "cannot be overridden"),
        ],
        [
            policy("Global", "cap 3 per week"),
            policy("Email", EMAIL, "cap 5 per week", "cannot be overridden"),
        ],
    ),
    "an inactive dominator dominates nothing": (
        [policy("Global", "cap 3 per week"), policy("Email", EMAIL, "cap 5 per week")],
        [policy("Global", "status paused", "cap 3 per week"), policy("Email", EMAIL, "cap 5 per week")],
    ),
    "a channel cooldown under a longer global cooldown": (
        [policy("Global", "cooldown 48 hours"), policy("Email", EMAIL, "cooldown 24 hours")],
        [policy("Global", "cooldown 48 hours"), policy("Email", EMAIL, "cooldown 72 hours")],
    ),
    "every scope of a policy covered": (
        [
            policy("Global", "cap 3 per week"),
            policy("Both", 'applies to channel "ch_email", channel "ch_sms"', "cap 5 per week"),
        ],
        [
            policy("Email only", EMAIL, "cap 3 per week"),
            policy("Both", 'applies to channel "ch_email", channel "ch_sms"', "cap 5 per week"),
        ],
    ),
    "an offer budget under a global budget of the same figure": (
        [
            policy("All offers", "stop when impressions reach 100"),
            policy("Welcome", 'scope offer "off_w"', "stop when impressions reach 200"),
        ],
        [
            policy("All offers", "stop when impressions reach 100"),
            policy("Creative", 'scope creative "cr_1"', "stop when impressions reach 200"),
        ],
    ),
    "a category rest inside the candidate's own category rest": (
        [
            policy("Any category", "suppress category for 14 days"),
            policy("Cards", 'scope category "cat_cards"', 'suppress category "cat_cards" for 7 days'),
        ],
        [
            policy("Any category", "suppress category for 14 days"),
            policy("Gold", 'scope subcategory "sub_gold"', 'suppress subcategory "sub_gold" for 7 days'),
        ],
    ),
}


@pytest.mark.parametrize("case", list(DOMINATED_CASES))
def test_dominated_policy(case: str) -> None:
    fires, quiet = DOMINATED_CASES[case]
    found = only(lint_cpol(*fires), "CPL101")
    assert found.severity == "warning" and found.kind == "dead_rule"
    assert len(found.related) >= 1
    assert above_info(lint_cpol(*quiet)) == []


def test_dominated_message_and_places() -> None:
    found = only(
        lint_cpol(policy("Global", "cap 3 per week"), policy("Email", EMAIL, "cap 5 per week")), "CPL101"
    )
    assert found.primary.location == "set.cpol:5:1"
    assert found.primary.policy_name == "Email"
    assert [place.policy_name for place in found.related] == ["Global"]
    assert found.related[0].location == "set.cpol:2:3"
    assert '"Email"' in found.message and '"Global"' in found.message
    assert found.fix.startswith('delete "Email"')


def test_one_cap_of_a_policy_dominated() -> None:
    findings = lint_cpol(
        policy("Global", "cap 3 per week"), policy("Email", EMAIL, "cap 1 per day, 5 per week")
    )
    found = only(findings, "CPL101")
    assert found.primary.loc == ("config", "maxPerWeek")
    assert "maxPerWeek (5 per week)" in found.message
    assert "lower it below 3" in found.fix


def test_policies_of_other_tenants_never_meet() -> None:
    policies = [
        {
            "name": "Global",
            "tenantId": "t1",
            "scope": "global",
            "ruleType": "frequency_cap",
            "config": {"maxPerWeek": 3},
        },
        {
            "name": "Email",
            "tenantId": "t2",
            "scope": "channel",
            "scopeId": "ch_email",
            "ruleType": "frequency_cap",
            "config": {"maxPerWeek": 5},
        },
    ]
    assert above_info(lint_json(policies)) == []
    policies[1]["tenantId"] = "t1"
    assert codes(lint_json(policies)) == ["CPL101"]


def test_json_locations_are_paths() -> None:
    policies = [
        {"name": "Global", "scope": "global", "ruleType": "frequency_cap", "config": {"maxPerWeek": 3}},
        {
            "name": "Email",
            "scope": "channel",
            "scopeId": "ch_email",
            "ruleType": "frequency_cap",
            "config": {"maxPerDay": 1, "maxPerWeek": 5},
        },
    ]
    found = only(lint_json(policies), "CPL101")
    assert found.primary.location == "set.json:[1].config.maxPerWeek"
    assert found.related[0].location == "set.json:[0].config.maxPerWeek"


# -- CPL102: a cap its own policy makes unreachable ----------------------------------------

UNREACHABLE_CASES = {
    "weekly cap above seven daily caps": (
        "cap 1 per day, 8 per week",
        "cap 1 per day, 7 per week",
        "maxPerWeek",
    ),
    "monthly cap above what the weekly cap allows": (
        "cap 3 per week, 16 per month",
        "cap 3 per week, 15 per month",
        "maxPerMonth",
    ),
    "daily cap above the weekly cap": ("cap 5 per day, 3 per week", "cap 2 per day, 3 per week", "maxPerDay"),
    "older window above what the daily cap allows": (
        "cap 1 per day, 15 per 14 days",
        "cap 1 per day, 14 per 14 days",
        "maxContacts",
    ),
    "total below a windowed cap": ("cap 5 per week, 3 in total", "cap 5 per week, 6 in total", "maxPerWeek"),
}


@pytest.mark.parametrize("case", list(UNREACHABLE_CASES))
def test_unreachable_cap(case: str) -> None:
    fires, quiet, key = UNREACHABLE_CASES[case]
    found = only(lint_cpol(policy("Email", EMAIL, fires)), "CPL102")
    assert found.primary.loc == ("config", key)
    assert above_info(lint_cpol(policy("Email", EMAIL, quiet))) == []


def test_unreachable_cap_says_the_bound() -> None:
    found = only(lint_cpol(policy("Email", EMAIL, "cap 1 per day, 8 per week")), "CPL102")
    assert "at most 7 impressions in 7 days" in found.message
    assert found.fix == "lower maxPerWeek to 7 or less, or remove it"


def test_an_override_that_may_lift_the_caps_breaks_the_bound() -> None:
    """Overridden contacts skip both caps, so a week can hold more than seven."""
    cap = policy("Email", EMAIL, "cap 1 per day, 8 per week")
    vip = policy("VIP", 'scope offer "off_vip"', "override")
    assert above_info(lint_cpol(cap, vip)) == []
    final = policy("Email", EMAIL, "cap 1 per day, 8 per week", "cannot be overridden")
    assert codes(lint_cpol(final, vip)) == ["CPL102"]
    # an override on another channel never meets the email cap
    sms_vip = policy("SMS VIP", SMS, "override")
    assert codes(lint_cpol(cap, sms_vip)) == ["CPL102"]


def test_a_same_instant_cap_dominance_ignores_overrides() -> None:
    vip = policy("VIP", 'scope offer "off_vip"', "override")
    assert codes(lint_cpol(policy("Email", EMAIL, "cap 5 per day, 3 per week"), vip)) == ["CPL102"]


def test_the_same_cap_twice_in_one_policy() -> None:
    found = only(lint_cpol(policy("Email", EMAIL, "cap 3 per week, 3 per 7 days")), "CPL102")
    assert found.primary.loc == ("config", "maxContacts")


# -- CPL103: inactive ------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["draft", "paused", "archived"])
def test_inactive_policy_is_info(status: str) -> None:
    found = only(lint_cpol(policy("Old", f"status {status}", "cap 3 per week")), "CPL103")
    assert found.severity == "info"
    assert found.primary.loc == ("status",)
    assert status in found.message
    assert lint_cpol(policy("Old", "status active", "cap 3 per week")) == []


def test_deleted_policy_is_info() -> None:
    deleted = {
        "name": "Gone",
        "ruleType": "cooldown",
        "scope": "global",
        "config": {"cooldownHours": 4},
        "deletedAt": "2026-01-01T00:00:00Z",
    }
    found = only(lint_json([deleted]), "CPL103")
    assert found.primary.location == "set.json:[0].deletedAt"


def test_inactive_policies_take_part_in_nothing_else() -> None:
    findings = lint_cpol(
        policy("A", "status draft", "cap 0 per week"), policy("B", "status draft", "cap 0 per week")
    )
    assert codes(findings) == ["CPL103", "CPL103"]


# -- CPL104: scope ids nobody knows (with a catalogue) -----------------------------------------

CATALOG = {"channels": ["ch_email", "ch_sms"], "offers": ["off_a", "off_b"]}


def test_unknown_scope_id() -> None:
    found = only(
        lint_cpol(policy("Typo", 'applies to channel "ch_emial"', "cap 3 per week"), catalog=CATALOG),
        "CPL104",
    )
    assert found.primary.loc == ("scopes", 0)
    assert "did you mean `ch_email`?" in found.fix
    assert "the policy never applies" in found.message


def test_known_scope_ids_and_unlisted_kinds_are_fine() -> None:
    fine = [
        policy("Email", EMAIL, "cap 3 per week"),
        policy("Category", 'scope category "cat_x"', "cooldown 4 hours"),  # the catalogue lists no categories
    ]
    assert above_info(lint_cpol(*fine, catalog=CATALOG)) == []
    assert above_info(lint_cpol(policy("Typo", 'applies to channel "ch_emial"', "cap 3 per week"))) == []


def test_a_scope_id_another_policy_mentions_is_not_reported() -> None:
    cap = policy("Fax", 'scope channel "ch_fax"', "cap 3 per week")
    across = policy(
        "Across", 'scope offer "off_a"', 'cross channel cap 5 per week across "ch_fax", "ch_email"'
    )
    assert codes(lint_cpol(cap, catalog=CATALOG)) == ["CPL104"]
    assert above_info(lint_cpol(cap, across, catalog=CATALOG)) == []


def test_one_unknown_scope_of_several() -> None:
    found = only(
        lint_cpol(
            policy("Two", 'applies to channel "ch_email", channel "ch_pager"', "cooldown 4 hours"),
            catalog=CATALOG,
        ),
        "CPL104",
    )
    assert found.primary.loc == ("scopes", 1)
    assert "that scope matches nothing" in found.message


# -- CPL105: scopes that miss the rule -------------------------------------------------------


def test_exclusion_group_outside_its_scope() -> None:
    fires = policy("Cards", 'applies to offer "off_c"', 'mutually exclusive "off_a", "off_b"')
    quiet = policy("Cards", 'applies to offer "off_a", offer "off_b"', 'mutually exclusive "off_a", "off_b"')
    assert only(lint_cpol(fires), "CPL105").primary.loc == ("config", "excludeOfferIds")
    assert above_info(lint_cpol(quiet)) == []


def test_category_rest_scoped_to_another_category() -> None:
    fires = policy("Rest", 'scope category "cat_a"', 'suppress category "cat_b" for 7 days')
    quiet = policy("Rest", 'scope category "cat_b"', 'suppress category "cat_b" for 7 days')
    assert codes(lint_cpol(fires)) == ["CPL105"]
    assert above_info(lint_cpol(quiet)) == []


# -- CPL106: durations of 0 ------------------------------------------------------------------

ZERO_CASES = {
    "cooldown": ("cooldown 0 hours", "cooldown 1 hour"),
    "outcome suppression": ('suppress for 0 days after "complaint"', 'suppress for 1 day after "complaint"'),
    "category rest": ("suppress category for 0 days", "suppress category for 1 day"),
    "older cap window": ("cap 3 per 0 days", "cap 3 per 1 day"),
}


@pytest.mark.parametrize("case", list(ZERO_CASES))
def test_zero_duration(case: str) -> None:
    fires, quiet = ZERO_CASES[case]
    assert codes(lint_cpol(policy("Zero", fires))) == ["CPL106"]
    assert above_info(lint_cpol(policy("Zero", quiet))) == []
