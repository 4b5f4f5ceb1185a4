"""The plan models: lossless round trips, SPEC validation and its wording."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cpol.plan import (
    CONFIG_MODELS,
    POLICY_ADAPTER,
    RULE_TYPES,
    FrequencyCapConfig,
    FrequencyCapPolicy,
    PolicyInvalid,
    Problem,
    ScopeRef,
    duplicate_names,
    parse_policy,
    plan_json_schema,
)
from cpol.plan.fields import MAX_COUNT

SEED_FILE = Path("/work/shared/examples/seed-policies.json")
SEEDS: list[dict[str, Any]] = json.loads(SEED_FILE.read_text())["data"]
SPEC_ORDER = [
    "id", "tenantId", "name", "description", "status", "scope", "scopeId", "scopes",
    "ruleType", "config", "priority", "version", "deletedAt", "createdAt", "updatedAt",
]  # fmt: skip


def policy(rule_type: str = "frequency_cap", config: Any = None, **top: Any) -> dict[str, Any]:
    """A valid global policy of `rule_type`, with `top` overriding top-level fields."""
    raw: dict[str, Any] = {"name": "P", "scope": "global", "ruleType": rule_type}
    raw["config"] = {"maxPerDay": 1} if config is None else config
    raw.update(top)
    return raw


def problems(raw: object) -> list[Problem]:
    with pytest.raises(PolicyInvalid) as caught:
        parse_policy(raw)
    return caught.value.problems


def only_problem(raw: object) -> Problem:
    found = problems(raw)
    assert len(found) == 1, found
    return found[0]


def same_json(a: object, b: object) -> bool:
    """Equal including int-vs-float, which `==` alone would not catch (3 == 3.0)."""
    return a == b and json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


# --- round trips ----------------------------------------------------------------------------


@pytest.mark.parametrize("raw", SEEDS, ids=[seed["name"] for seed in SEEDS])
def test_every_seed_round_trips_exactly(raw: dict[str, Any]) -> None:
    out = parse_policy(raw).to_json()
    assert same_json(out, raw)
    assert list(out) == [key for key in SPEC_ORDER if key in raw]


def test_seeds_cover_all_fourteen_rule_types() -> None:
    assert {seed["ruleType"] for seed in SEEDS} == set(RULE_TYPES)
    assert len(RULE_TYPES) == 14


def test_discriminated_union_picks_the_model_of_the_rule_type() -> None:
    for raw in SEEDS:
        model = POLICY_ADAPTER.validate_python(raw)
        assert type(model.config) is CONFIG_MODELS[raw["ruleType"]]
        assert model.ruleType == raw["ruleType"]


def test_int_and_float_keep_their_type() -> None:
    config = {"maxPerDay": 3, "maxPerWeek": 3.0, "maxContacts": 2, "windowDays": 12.5}
    out = parse_policy(policy(config=config)).to_json()["config"]
    assert [type(out[key]) for key in config] == [int, float, int, float]
    assert json.dumps(out) == '{"maxPerDay": 3, "maxPerWeek": 3.0, "maxContacts": 2, "windowDays": 12.5}'


def test_explicit_nulls_round_trip_and_absent_keys_stay_absent() -> None:
    nullable = ["id", "tenantId", "description", "scopeId", "scopes", "version"]
    nullable += ["deletedAt", "createdAt", "updatedAt"]
    raw = policy()
    raw.update(dict.fromkeys(nullable))
    out = parse_policy(raw).to_json()
    assert out == raw
    assert "priority" not in out and "status" not in out


def test_defaults_are_readable_but_not_written() -> None:
    parsed = parse_policy({"name": "P", "scopeId": "o1", "ruleType": "cooldown",
                           "config": {"cooldownHours": 1}})  # fmt: skip
    assert (parsed.priority, parsed.status, parsed.scope) == (50, "active", "offer")
    assert parsed.to_json() == {"name": "P", "scopeId": "o1", "ruleType": "cooldown",
                                "config": {"cooldownHours": 1}}  # fmt: skip


def test_a_null_config_key_counts_as_absent() -> None:
    parsed = parse_policy(policy(config={"maxPerDay": 1, "maxPerWeek": None, "typo": None}))
    assert parsed.to_json()["config"] == {"maxPerDay": 1}


def test_null_config_value_does_not_satisfy_a_requirement() -> None:
    found = only_problem(policy("cooldown", {"cooldownHours": None}))
    assert (found.loc, found.message) == (("config",), "cooldown requires cooldownHours")


def test_timestamps_are_kept_verbatim() -> None:
    stamp = "2026-03-10T12:00:00.000Z"
    assert parse_policy(policy(createdAt=stamp)).to_json()["createdAt"] == stamp


def test_config_keys_are_written_current_then_older_shape_then_bypassable() -> None:
    config = {"bypassable": False, "windowDays": 7, "maxContacts": 3, "maxPerDay": 1}
    out = parse_policy(policy(config=config)).to_json()["config"]
    assert list(out) == ["maxPerDay", "maxContacts", "windowDays", "bypassable"]


def test_models_built_in_python_dump_only_what_was_set() -> None:
    built = FrequencyCapPolicy(
        name="P", scope="global", ruleType="frequency_cap", config=FrequencyCapConfig(maxPerDay=1)
    )
    assert built.to_json() == policy()


@given(
    st.dictionaries(
        st.sampled_from(["maxPerDay", "maxPerWeek", "maxPerMonth", "maxTotal"]),
        st.integers(min_value=0, max_value=MAX_COUNT) | st.integers(min_value=0, max_value=10**9).map(float),
        min_size=1,
    )
)
def test_any_valid_cap_config_round_trips(config: dict[str, int | float]) -> None:
    raw = policy(config=config)
    assert same_json(parse_policy(copy.deepcopy(raw)).to_json(), raw)


# --- scopes ---------------------------------------------------------------------------------


def test_effective_scopes_prefer_a_non_empty_scopes_list() -> None:
    raw = policy(scope="offer", scopeId="a", scopes=[{"scope": "channel", "scopeId": "c"},
                                                     {"scope": "global"}])  # fmt: skip
    assert parse_policy(raw).effective_scopes == [
        ScopeRef(scope="channel", scopeId="c"),
        ScopeRef(scope="global"),
    ]


@pytest.mark.parametrize("scopes", [[], None])
def test_empty_or_null_scopes_fall_back_to_scope_and_scope_id(scopes: object) -> None:
    raw = policy(scope="channel", scopeId="ch_sms", scopes=scopes)
    assert parse_policy(raw).effective_scopes == [ScopeRef(scope="channel", scopeId="ch_sms")]


def test_scope_defaults_to_offer() -> None:
    raw = policy(scopeId="off_1")
    del raw["scope"]
    assert parse_policy(raw).effective_scopes == [ScopeRef(scope="offer", scopeId="off_1")]


def test_scopes_list_makes_top_level_scope_id_unnecessary() -> None:
    raw = policy(scope="offer", scopes=[{"scope": "offer", "scopeId": "o"}])
    assert parse_policy(raw).to_json() == raw


# --- validation messages --------------------------------------------------------------------

CASES: list[tuple[dict[str, Any], tuple[str | int, ...], str, str | None]] = [
    (policy(config={"maxPerWeek": -1}), ("config", "maxPerWeek"), "must be ≥ 0", None),
    (
        policy(config={"maxPerDay": 1, "maxPerWek": 3}),
        ("config", "maxPerWek"),
        "unknown config key `maxPerWek` for frequency_cap",
        "did you mean `maxPerWeek`?",
    ),
    (
        policy(prority=3),
        ("prority",),
        "unknown policy field `prority`",
        "did you mean `priority`?",
    ),
    (
        policy("frequncy_cap"),
        ("ruleType",),
        "unknown ruleType `frequncy_cap`",
        "did you mean `frequency_cap`?",
    ),
    *[
        (
            policy("outcome_based", config),
            loc,
            "outcome_based requires afterOutcome as a non-empty string or non-empty string array",
            None,
        )
        for config, loc in [
            ({"suppressForDays": 3}, ("config",)),
            ({"afterOutcome": "", "suppressForDays": 3}, ("config", "afterOutcome")),
            ({"afterOutcome": [], "suppressForDays": 3}, ("config", "afterOutcome")),
            ({"outcome": [], "withinDays": 3}, ("config", "outcome")),
            ({"afterOutcome": 5, "suppressForDays": 3}, ("config", "afterOutcome")),
        ]
    ],
    (
        policy("time_window", {"startHour": 24}),
        ("config", "startHour"),
        "startHour must be an integer from 0 to 23",
        None,
    ),
    (
        policy("time_window", {"startHour": 9.0}),
        ("config", "startHour"),
        "startHour must be an integer from 0 to 23",
        None,
    ),
    (
        policy("time_window", {"endHour": 25}),
        ("config", "endHour"),
        "endHour must be an integer from 0 to 24",
        None,
    ),
    (
        policy("time_window", {"daysOfWeek": [1, 7]}),
        ("config", "daysOfWeek", 1),
        "daysOfWeek entries must be integers from 0 (Sunday) to 6 (Saturday)",
        None,
    ),
    (
        policy("time_window", {"timezone": "America/New_Yrok"}),
        ("config", "timezone"),
        "`America/New_Yrok` is not an IANA timezone",
        "did you mean `America/New_York`?",
    ),
    (
        policy("cross_channel_cap", {"maxTotal": 1, "periodType": "alltime"}),
        ("config", "periodType"),
        "periodType must be one of daily, weekly, monthly",
        None,
    ),
    (
        policy("customer_total_cap", {"maxTotal": 1, "periodType": "Weekly"}),
        ("config", "periodType"),
        "periodType must be one of daily, weekly, monthly, alltime",
        "did you mean `weekly`?",
    ),
    (
        policy(status="actve"),
        ("status",),
        "status must be one of draft, active, paused, archived",
        "did you mean `active`?",
    ),
    (
        policy(scope="chanel", scopeId="c"),
        ("scope",),
        "scope must be one of global, offer, creative, channel, category, subcategory",
        "did you mean `channel`?",
    ),
    (
        policy("budget_exhausted", {"budgetField": "spnd", "threshold": 1}),
        ("config", "budgetField"),
        "budgetField must be one of impressions, spend, daily_spend",
        "did you mean `spend`?",
    ),
    (
        policy("metric_condition", {"metricId": "m", "operator": "ge"}),
        ("config", "operator"),
        "operator must be one of gt, gte, lt, lte, eq",
        "did you mean `gte`?",
    ),
    *[
        (policy(rule, config), ("config",), message, None)
        for rule, config, message in [
            ("customer_total_cap", {}, "customer_total_cap requires maxTotal"),
            ("offer_category_cap", {"maxTotal": 1}, "offer_category_cap requires targetCategory"),
            ("offer_category_cap", {"targetCategory": "c"}, "offer_category_cap requires maxTotal"),
            ("cooldown", {}, "cooldown requires cooldownHours"),
            ("budget_exhausted", {"threshold": 1}, "budget_exhausted requires budgetField"),
            ("budget_exhausted", {"budgetField": "spend"}, "budget_exhausted requires threshold"),
            (
                "outcome_based",
                {"afterOutcome": "x"},
                "outcome_based requires suppressForDays (or withinDays)",
            ),
            (
                "segment_exclusion",
                {},
                "segment_exclusion requires excludeSegments (or segmentId)",
            ),
            ("mutual_exclusion", {}, "mutual_exclusion requires excludeOfferIds"),
            ("cross_channel_cap", {}, "cross_channel_cap requires maxTotal (or maxContacts with windowDays)"),
            ("category_suppression", {}, "category_suppression requires suppressionDays"),
            ("metric_condition", {"operator": "gt"}, "metric_condition requires metricId"),
            (
                "frequency_cap",
                {"withinCampaignId": "c"},
                "frequency_cap requires at least one cap: maxPerDay, maxPerWeek, maxPerMonth, "
                "maxTotal or maxContacts with windowDays",
            ),
        ]
    ],
    (
        policy(config={"maxContacts": 3}),
        ("config", "maxContacts"),
        "maxContacts and windowDays go together",
        None,
    ),
    (
        policy(config={"windowDays": 7}),
        ("config", "windowDays"),
        "maxContacts and windowDays go together",
        None,
    ),
    (
        policy(config={"maxPerDay": 1, "withinCampaignId": ""}),
        ("config", "withinCampaignId"),
        "withinCampaignId must not be empty",
        None,
    ),
    (
        policy(config={"maxPerDay": 1, "excludeCampaignIds": []}),
        ("config", "excludeCampaignIds"),
        "excludeCampaignIds must not be empty",
        None,
    ),
    (
        policy(scope="channel"),
        ("scopeId",),
        "scopeId is required unless scope is global",
        None,
    ),
    (
        policy(scope="offer", scopeId=""),
        ("scopeId",),
        "scopeId is required unless scope is global",
        None,
    ),
    (
        policy(scopes=[{"scope": "global"}, {"scope": "offer"}]),
        ("scopes", 1, "scopeId"),
        "scopeId is required unless scope is global",
        None,
    ),
    (policy(priority=101), ("priority",), "priority must be an integer from 0 to 100", None),
    (policy(priority=-1), ("priority",), "priority must be an integer from 0 to 100", None),
    (policy(priority=80.0), ("priority",), "priority must be an integer from 0 to 100", None),
    (policy(name=""), ("name",), "name must be 1 to 255 characters", None),
    (policy(name="x" * 256), ("name",), "name must be 1 to 255 characters", None),
    (policy(name=5), ("name",), "must be a string", None),
    (
        {"scope": "global", "ruleType": "cooldown", "config": {"cooldownHours": 1}},
        ("name",),
        "name is required",
        None,
    ),
    ({"name": "P", "scope": "global", "config": {}}, ("ruleType",), "ruleType is required", None),
    (policy(config={"maxPerDay": "3"}), ("config", "maxPerDay"), "must be a number", None),
    (policy(config={"maxPerDay": True}), ("config", "maxPerDay"), "must be a number", None),
    (
        policy(config={"maxPerDay": float("nan")}),
        ("config", "maxPerDay"),
        "must be a number",
        None,
    ),
    (
        policy(config={"maxPerDay": float("inf")}),
        ("config", "maxPerDay"),
        "this number is too large",
        "JSON numbers must be finite",
    ),
    (policy(version=1.5), ("version",), "must be an integer", None),
    (policy(description=3), ("description",), "must be a string", None),
    (
        policy("segment_exclusion", {"excludeSegments": ["a", 1]}),
        ("config", "excludeSegments"),
        "must be a list of strings",
        None,
    ),
    (
        policy(config={"maxPerDay": 1, "bypassable": "false"}),
        ("config", "bypassable"),
        "must be true or false",
        None,
    ),
    (policy(config=[1]), ("config",), "must be an object", None),
    (policy(scopes=[5]), ("scopes", 0), "must be an object", None),
    (
        policy(createdAt="yesterday"),
        ("createdAt",),
        "`yesterday` is not an ISO 8601 timestamp",
        None,
    ),
    (
        policy("metric_condition", {"metricId": "m", "threshold": -1}),
        ("config", "threshold"),
        "must be ≥ 0",
        None,
    ),
    (
        policy("outcome_based", {"afterOutcome": "x", "suppressForDays": -1}),
        ("config", "suppressForDays"),
        "must be ≥ 0",
        None,
    ),
]


@pytest.mark.parametrize(("raw", "loc", "message", "hint"), CASES)
def test_validation_message(
    raw: dict[str, Any], loc: tuple[str | int, ...], message: str, hint: str | None
) -> None:
    assert only_problem(raw) == Problem(loc, message, hint)


def test_all_problems_of_a_policy_are_collected() -> None:
    raw = policy(
        scope="channel",
        priority=101,
        prority=3,
        config={"maxPerWek": 3, "maxPerDay": -1, "windowDays": 7, "bypassable": 1},
    )
    assert {(found.loc, found.message) for found in problems(raw)} == {
        (("config", "maxPerWek"), "unknown config key `maxPerWek` for frequency_cap"),
        (("config", "maxPerDay"), "must be ≥ 0"),
        (("config", "windowDays"), "maxContacts and windowDays go together"),
        (("config", "bypassable"), "must be true or false"),
        (("priority",), "priority must be an integer from 0 to 100"),
        (("prority",), "unknown policy field `prority`"),
        (("scopeId",), "scopeId is required unless scope is global"),
    }


def test_an_unknown_rule_type_still_reports_top_level_problems() -> None:
    found = problems(policy("nope", {"x": 1}, name="", status="on"))
    assert [(p.loc, p.message) for p in found] == [
        (("ruleType",), "unknown ruleType `nope`"),
        (("name",), "name must be 1 to 255 characters"),
        (("status",), "status must be one of draft, active, paused, archived"),
    ]
    assert found[0].hint is not None and "frequency_cap" in found[0].hint


def test_unknown_key_without_a_close_match_lists_the_valid_keys() -> None:
    found = only_problem(policy("cooldown", {"cooldownHours": 1, "zzz": 1}))
    assert found.hint == "cooldown accepts bypassable, cooldownHours, per"


def test_every_list_entry_is_checked() -> None:
    found = problems(policy("time_window", {"daysOfWeek": [-1, 3, 7, True, "mon"]}))
    assert [p.loc for p in found] == [("config", "daysOfWeek", i) for i in (0, 2, 3, 4)]


def test_a_policy_must_be_an_object() -> None:
    assert only_problem([1]) == Problem((), "a policy must be a JSON object")


BAD_INPUTS: list[object] = [
    policy(config={"maxPerDay": [1], "maxPerWeek": {}, "excludeCampaignIds": "x"}),
    policy("time_window", {"startHour": "9", "daysOfWeek": "mon", "timezone": 5}),
    policy(scopes="x", priority="high", version=-1, createdAt=5, tenantId=[]),
    policy(scopes=[{"scope": 1, "scopeId": 2, "zz": 3}]),
    policy("outcome_based", {"afterOutcome": [1], "withinDays": "x"}),
    {"name": None, "ruleType": None, "config": None, "scope": None, "status": None},
    {1: 2, "ruleType": ["frequency_cap"]},
]


@pytest.mark.parametrize("raw", BAD_INPUTS)
def test_no_pydantic_wording_reaches_the_user(raw: object) -> None:
    for found in problems(raw):
        assert "Input should" not in found.message and "Field required" not in found.message
        assert "is not valid" not in found.message  # the generic fallback is never needed
        assert found.message


def test_validation_adds_no_problem_twice() -> None:
    found = problems(policy(scopes=[{"scope": "offer"}], config={"maxPerWeek": -1}))
    assert len(found) == len(set(found)) == 2


# --- duplicates -----------------------------------------------------------------------------


def test_duplicate_names_pairs_first_and_duplicate() -> None:
    raws = [policy(name="A"), policy(name="B"), policy(name="A"), policy(name="A")]
    assert duplicate_names([parse_policy(raw) for raw in raws]) == [(0, 2), (0, 3)]


def test_names_are_unique_per_tenant_among_live_policies() -> None:
    raws = [
        policy(name="A", tenantId="t1"),
        policy(name="A", tenantId="t2"),
        policy(name="A", tenantId="t1", deletedAt="2026-01-01T00:00:00Z"),
        policy(name="a", tenantId="t1"),
    ]
    assert duplicate_names([parse_policy(raw) for raw in raws]) == []


# --- schema ---------------------------------------------------------------------------------


def test_json_schema_describes_a_list_of_discriminated_policies() -> None:
    schema = plan_json_schema()
    assert schema["type"] == "array"
    mapping = schema["items"]["discriminator"]["mapping"]
    assert set(mapping) == set(RULE_TYPES)
    defs = schema["$defs"]
    assert defs["FrequencyCapConfig"]["additionalProperties"] is False
    assert defs["TimeWindowConfig"]["properties"]["startHour"]["anyOf"][0] == {
        "type": "integer",
        "minimum": 0,
        "maximum": 23,
    }
    json.dumps(schema)  # serialisable


def test_config_models_name_their_rule_type() -> None:
    assert all(model.rule_type == rule for rule, model in CONFIG_MODELS.items())
