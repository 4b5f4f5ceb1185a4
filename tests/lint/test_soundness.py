"""Lint is sound against the engine, over random policy sets and requests.

When lint says a policy (or a cap) is redundant or never blocks, taking it out of the set
must change no decision's `allowed` nor `eligibleAt`, for any request. When it says a policy
(or a pair of time windows) blocks everything, the engine must never let a candidate pass it.
The random sets and requests are the runtime property tests' small universe (a few offers,
channels, segments…), so policies meet often; some sets are drawn from one rule type, or from
the cap rules, so that overlaps are frequent. They count `per` offer, channel… (SPEC §1.1) and
give cross_channel_cap the older `{maxContacts, windowDays}` or an empty `appliesAcross` too.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import event, given
from hypothesis import strategies as st

from cpol.lint import Finding, lint
from cpol.plan import load_json
from cpol.policyset import load_policy_set
from cpol.runtime import Engine
from tests.runtime.test_properties import RULE_TYPES, policy_sets, requests

REMOVABLE = {"CPL101", "CPL301", "CPL302", "CPL105", "CPL106", "CPL503"}
CAP_RULES = ["frequency_cap", "customer_total_cap", "cross_channel_cap", "offer_category_cap"]
PER_FIELDS = {
    "offer": "offerId",
    "channel": "channelId",
    "creative": "creativeId",
    "category": "categoryId",
    "subcategory": "subCategoryId",
}


@st.composite
def focused_sets(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Policies of one rule type, or of the cap rules (which dominate across types)."""
    rules = draw(st.one_of(st.sampled_from(RULE_TYPES).map(lambda rule: [rule]), st.just(CAP_RULES)))
    return draw(policy_sets(min_size=2, max_size=6, rules=st.sampled_from(rules)))


def outcomes(policies: list[dict[str, Any]], request: dict[str, Any]) -> list[tuple[bool, str | None]]:
    decisions = Engine(load_json(policies)).decide_json(request, explain=True)
    return [(d.allowed, d.to_json()["eligibleAt"]) for d in decisions]


def position(finding: Finding) -> int:
    prefix = finding.primary.located.origin.prefix
    assert len(prefix) == 1 and isinstance(prefix[0], int)
    return prefix[0]


def without(policies: list[dict[str, Any]], finding: Finding) -> list[dict[str, Any]] | None:
    """The set with what the finding says is useless taken out (None: nothing to take out)."""
    index = position(finding)
    loc = finding.primary.loc
    code = finding.code.code
    whole = code in ("CPL105", "CPL503") or (
        code == "CPL106" and policies[index]["ruleType"] not in ("frequency_cap", "cross_channel_cap")
    )
    if loc == () or whole:
        return policies[:index] + policies[index + 1 :]
    if loc[:1] != ("config",) or len(loc) != 2:
        return None
    key = str(loc[1])
    reduced = copy.deepcopy(policies)
    config = reduced[index]["config"]
    config.pop(key, None)
    if key in ("maxContacts", "windowDays"):
        config.pop("maxContacts", None)
        config.pop("windowDays", None)
    if key == "maxTotal":
        config.pop("periodType", None)  # a cross_channel_cap's period goes with its maxTotal
    caps = {"maxPerDay", "maxPerWeek", "maxPerMonth", "maxTotal", "maxContacts"}
    if not caps & set(config):
        return policies[:index] + policies[index + 1 :]
    return reduced


def passes(policies: list[dict[str, Any]], request: dict[str, Any]) -> list[set[str]]:
    """Per candidate, the names of the policies whose trace entry is `pass`."""
    decisions = Engine(load_json(policies)).decide_json(request, explain=True)
    return [{entry.policy_name for entry in d.trace or [] if entry.result == "pass"} for d in decisions]


def check_contradictions(
    findings: list[Finding], policies: list[dict[str, Any]], request: dict[str, Any]
) -> None:
    contradictions = [f for f in findings if f.kind == "contradiction"]
    if not contradictions:
        return
    passed = passes(policies, request)
    for finding in contradictions:
        names = {place.policy_name for place in finding.places}
        config = policies[position(finding)]["config"]
        for candidate, names_passed in zip(request["candidates"], passed, strict=True):
            if "targetCategory" in config and candidate.get("offerCategory") != config["targetCategory"]:
                continue  # a category cap concerns the candidates of its category only
            if "per" in config and PER_FIELDS[config["per"]] not in candidate:
                continue  # nothing to count by: the candidate passes (SPEC §1.1)
            assert not names <= names_passed, f"{finding.code.code}: {finding.message}"


def check(policies: list[dict[str, Any]], request: dict[str, Any]) -> None:
    findings = lint(load_policy_set([(json.dumps(policies), "set.json")]))
    check_contradictions(findings, policies, request)
    useless = [
        f
        for f in findings
        if f.code.code in REMOVABLE or (f.code.code == "CPL102" and "never blocks first" in f.message)
    ]
    for finding in findings:
        event(finding.code.code)
    if not useless:
        return
    before = outcomes(policies, request)
    for finding in useless:
        reduced = without(policies, finding)
        if reduced is None:
            continue
        assert outcomes(reduced, request) == before, f"{finding.code.code}: {finding.message}"


@given(policies=policy_sets(max_size=6), request=requests())
def test_useless_policies_change_no_decision(policies: list[dict[str, Any]], request: dict[str, Any]) -> None:
    check(policies, request)


@given(policies=focused_sets(), request=requests())
def test_useless_policies_change_no_decision_in_crowded_sets(
    policies: list[dict[str, Any]], request: dict[str, Any]
) -> None:
    check(policies, request)
