"""Round-trip properties of the plan, the decompiler and the printer (hypothesis).

Example counts come from the hypothesis profile (`HYPOTHESIS_PROFILE=ci`: 500 each).
Equality is checked both with `==` and through `json.dumps(sort_keys=True)`, because
`3 == 3.0` in Python while a plan that turns one into the other has changed.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import cpol
from cpol.plan import parse_policy
from tests.strategies import RULE_TYPES, SCOPE_FORMS, policy_sets, scope_fields, valid_policies


def canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=True)


def assert_same_json(actual: object, expected: object) -> None:
    assert actual == expected
    assert canonical(actual) == canonical(expected)


# --- the strategies generate only valid policies -----------------------------------------


@given(valid_policies())
def test_parse_policy_accepts_every_generated_policy(policy: dict[str, Any]) -> None:
    parsed = parse_policy(policy)
    assert parsed.ruleType == policy["ruleType"]


@given(policy_sets())
def test_load_json_accepts_every_generated_policy_set(policies: list[dict[str, Any]]) -> None:
    assert len(cpol.load_json(policies)) == len(policies)


@pytest.mark.parametrize("rule_type", RULE_TYPES)
@given(data=st.data())
def test_every_rule_type_is_generated_valid(rule_type: str, data: st.DataObject) -> None:
    policy = data.draw(valid_policies((rule_type,)))
    assert parse_policy(policy).ruleType == rule_type


@pytest.mark.parametrize("form", SCOPE_FORMS)
@given(data=st.data())
def test_every_scope_form_is_generated_valid(form: str, data: st.DataObject) -> None:
    fields = data.draw(scope_fields(form))
    policy = {"name": "p", **fields, "ruleType": "cooldown", "config": {"cooldownHours": 1}}
    assert_same_json(parse_policy(policy).to_json(), policy)


# --- JSON -> plan -> JSON ------------------------------------------------------------------


@given(policy_sets())
def test_json_plan_json_identity(policies: list[dict[str, Any]]) -> None:
    assert_same_json(cpol.to_json(cpol.load_json(policies)), policies)


@given(policy_sets(), st.booleans())
def test_json_text_plan_json_identity(policies: list[dict[str, Any]], ascii_only: bool) -> None:
    """The same through JSON text, as `cpol compile`/`decompile` read files."""
    text = json.dumps(policies, ensure_ascii=ascii_only)
    assert_same_json(cpol.to_json(cpol.load_json(text)), policies)


@given(policy_sets())
def test_api_list_response_loads_like_an_array(policies: list[dict[str, Any]]) -> None:
    envelope = {"data": policies, "pagination": {"nextCursor": None}}
    assert_same_json(cpol.to_json(cpol.load_json(envelope)), policies)


# --- compile(decompile(p)) == p ------------------------------------------------------------


@given(policy_sets())
def test_compile_of_decompile_is_identity(policies: list[dict[str, Any]]) -> None:
    text = cpol.to_cpol(cpol.load_json(policies))
    assert_same_json(cpol.to_json(cpol.compile_source(text)), policies)


@given(valid_policies())
def test_compile_of_decompile_is_identity_for_one_policy(policy: dict[str, Any]) -> None:
    """One policy at a time: shrinks to the smallest failing policy on its own."""
    text = cpol.to_cpol(cpol.load_json([policy]))
    assert_same_json(cpol.to_json(cpol.compile_source(text)), [policy])


# --- decompiled text is canonical ----------------------------------------------------------


@given(policy_sets())
def test_decompiled_text_is_canonical(policies: list[dict[str, Any]]) -> None:
    text = cpol.to_cpol(cpol.load_json(policies))
    assert cpol.format_source(text) == text
