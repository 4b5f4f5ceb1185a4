"""Loading policy files: container shapes, diagnostics with paths, and robustness."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cpol.diagnostics import Diagnostic, Diagnostics, Span
from cpol.plan import FrequencyCapPolicy, load_json, to_json

SEED_FILE = Path("/work/shared/examples/seed-policies.json")
SEED_TEXT = SEED_FILE.read_text()
SEEDS: list[dict[str, Any]] = json.loads(SEED_TEXT)["data"]


def cap(name: str = "P", **config: Any) -> dict[str, Any]:
    return {"name": name, "scope": "global", "ruleType": "frequency_cap",
            "config": config or {"maxPerDay": 1}}  # fmt: skip


def diagnostics(source: object, file: str = "f.json") -> list[Diagnostic]:
    with pytest.raises(Diagnostics) as caught:
        load_json(source, file)
    return caught.value.items


def where(items: list[Diagnostic]) -> list[tuple[str | None, str]]:
    return [(item.path, item.message) for item in items]


# --- accepted shapes ------------------------------------------------------------------------


def test_seed_file_loads_and_writes_back_exactly() -> None:
    out = to_json(load_json(SEED_TEXT, str(SEED_FILE)))
    assert out == SEEDS
    assert json.dumps(out, sort_keys=True) == json.dumps(SEEDS, sort_keys=True)


@pytest.mark.parametrize(
    "source",
    [
        json.dumps(SEEDS),
        json.dumps({"data": SEEDS, "pagination": {"total": 20}}),
        # the newer API documents page with `cursor`, the older ones with `nextCursor`
        json.dumps(
            {"data": SEEDS, "pagination": {"total": 20, "limit": 25, "hasMore": True, "cursor": "c2"}}
        ),
        json.dumps(
            {"data": SEEDS, "pagination": {"total": 20, "limit": 25, "hasMore": False, "nextCursor": None}}
        ),
        json.dumps(SEEDS).encode(),
        SEEDS,
        "\ufeff" + json.dumps(SEEDS),
        b"\xef\xbb\xbf" + json.dumps(SEEDS).encode(),
    ],
    ids=["array", "list-response", "cursor", "nextCursor", "bytes", "decoded", "bom-text", "bom-bytes"],
)
def test_every_accepted_container_gives_the_same_policies(source: object) -> None:
    assert to_json(load_json(source)) == SEEDS


def test_a_single_object_is_one_policy() -> None:
    policies = load_json(json.dumps(cap()))
    assert len(policies) == 1 and isinstance(policies[0], FrequencyCapPolicy)
    assert to_json(policies) == [cap()]


def test_an_empty_array_is_no_policies() -> None:
    assert load_json("[]") == [] and load_json({"data": []}) == []


def test_int_float_and_null_survive_text_round_trip() -> None:
    text = '[{"name": "P", "description": null, "scope": "global", "ruleType": "frequency_cap",'
    text += ' "config": {"maxPerDay": 1, "maxPerWeek": 3.0}}]'
    assert json.dumps(to_json(load_json(text))) == text


# --- diagnostics ----------------------------------------------------------------------------


def test_paths_point_into_an_array() -> None:
    items = diagnostics([cap(), cap("Q", maxPerWeek=-1)])
    assert where(items) == [("[1].config.maxPerWeek", "must be ≥ 0")]
    assert items[0].file == "f.json"
    assert items[0].render() == "f.json:[1].config.maxPerWeek: error: must be ≥ 0"


def test_paths_point_into_a_list_response() -> None:
    items = diagnostics({"data": [cap("A"), cap("B"), cap("C"), cap("D", maxPerWeek=-1)]})
    assert where(items) == [("data[3].config.maxPerWeek", "must be ≥ 0")]


def test_paths_point_into_a_single_object() -> None:
    items = diagnostics(cap(maxPerWeek=-1))
    assert where(items) == [("config.maxPerWeek", "must be ≥ 0")]


def test_hints_are_carried_to_diagnostics() -> None:
    (item,) = diagnostics([cap(maxPerDay=1, maxPerWek=1)])
    assert (item.path, item.hint) == ("[0].config.maxPerWek", "did you mean `maxPerWeek`?")


def test_problems_of_every_policy_are_reported_together() -> None:
    items = diagnostics([cap(maxPerDay=-1), cap("Q"), {"name": "R", "ruleType": "cooldown"}])
    assert where(items) == [
        ("[0].config.maxPerDay", "must be ≥ 0"),
        ("[2].config", "config is required"),
        ("[2].scopeId", "scopeId is required unless scope is global"),
    ]


def test_duplicate_names_are_reported_at_the_duplicate() -> None:
    items = diagnostics({"data": [cap("A"), cap("B"), cap("A")]})
    assert where(items) == [("data[2].name", "duplicate policy name `A`")]
    assert items[0].hint == "first used at data[0].name"


def test_duplicates_are_found_even_when_other_policies_are_invalid() -> None:
    items = diagnostics([cap("A"), cap("B", maxPerDay=-1), cap("A")])
    assert where(items) == [
        ("[1].config.maxPerDay", "must be ≥ 0"),
        ("[2].name", "duplicate policy name `A`"),
    ]


def test_a_repeated_json_key_is_not_silently_dropped() -> None:
    text = '[{"name": "A", "scope": "global", "ruleType": "frequency_cap",\n'
    text += ' "config": {"maxPerDay": 1, "maxPerDay": 2}}]'
    (item,) = diagnostics(text)
    assert (item.path, item.message) == ("[0].config.maxPerDay", "duplicate key `maxPerDay`")


def test_syntax_error_points_at_line_and_column() -> None:
    text = '[\n  {"name": "A",\n   "ruleType" "cooldown"}\n]'
    (item,) = diagnostics(text, "bad.json")
    assert item.message == "invalid JSON: expecting ':' delimiter"
    assert item.span == Span(32, 33, 3, 15, 3, 16)
    assert item.source_line == '   "ruleType" "cooldown"}'
    assert item.render().splitlines() == [
        "bad.json:3:15: error: invalid JSON: expecting ':' delimiter",
        '     "ruleType" "cooldown"}',
        "                ^",
    ]


def test_trailing_comma_gets_a_hint() -> None:
    (item,) = diagnostics('[{"name": "A"},\n]')
    assert item.hint == "JSON does not allow a trailing comma"
    assert item.span is not None and item.span.line == 2


def test_empty_input_is_a_syntax_error() -> None:
    (item,) = diagnostics("  ")
    assert item.span is not None and item.hint == "the input is empty"


def test_invalid_utf8_is_reported() -> None:
    (item,) = diagnostics(b'[{"name": "\xff"}]')
    assert item.message == "the input is not UTF-8 text (invalid byte at offset 11)"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("5", [(None, "expected " + 'a JSON array of policies, an API list response '
                '{"data": [...]} or one policy object')]),
        ('"x"', [(None, "expected " + 'a JSON array of policies, an API list response '
                  '{"data": [...]} or one policy object')]),
        ("[1]", [("[0]", "a policy must be a JSON object")]),
        ('{"data": 3}', [("data", "data must be a list of policies")]),
        ('{"data": [null]}', [("data[0]", "a policy must be a JSON object")]),
        ("[[]]", [("[0]", "a policy must be a JSON object")]),
        ("{}", [("name", "name is required"), ("ruleType", "ruleType is required"),
                ("config", "config is required"),
                ("scopeId", "scopeId is required unless scope is global")]),
    ],
)  # fmt: skip
def test_garbage_gets_clear_diagnostics(source: str, expected: list[tuple[str | None, str]]) -> None:
    assert where(diagnostics(source)) == expected


@pytest.mark.parametrize(
    "source",
    ["x", "NaN", "[" * 100_000, '{"a": ' * 50_000, "[NaN, Infinity]", '{"data": {"x": 1}}', None],
)
def test_hostile_input_only_ever_raises_diagnostics(source: object) -> None:
    assert diagnostics(source)


def test_deeply_wrong_config_is_reported_not_raised() -> None:
    deep: Any = "x"
    for _ in range(10_000):
        deep = [deep]
    items = diagnostics([cap(maxPerDay=deep, maxPerWeek={"a": deep}, zz=deep)])
    assert [item.path for item in items] == [
        "[0].config.maxPerDay",
        "[0].config.maxPerWeek",
        "[0].config.zz",
    ]


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300)
@given(JSON_VALUES)
def test_any_decoded_value_loads_or_raises_diagnostics(value: object) -> None:
    try:
        load_json(value)
    except Diagnostics as exc:
        assert exc.items


@settings(max_examples=300)
@given(
    st.integers(min_value=0, max_value=len(SEEDS) - 1),
    st.sampled_from(["config", "top"]),
    st.sampled_from(
        ["maxPerDay", "threshold", "afterOutcome", "startHour", "daysOfWeek", "timezone",
         "periodType", "excludeSegments", "name", "scope", "scopeId", "priority", "scopes",
         "status", "bypassable", "version", "createdAt", "operator", "outcome"]
    ),
    JSON_VALUES,
)  # fmt: skip
def test_mutated_seeds_load_losslessly_or_raise_diagnostics(
    index: int, where_: str, key: str, value: object
) -> None:
    raw = json.loads(json.dumps(SEEDS[index]))
    target = raw["config"] if where_ == "config" else raw
    target[key] = value
    try:
        out = to_json(load_json([raw]))
    except Diagnostics as exc:
        assert all(item.message for item in exc.items)
        return
    if where_ == "config" and value is None:
        del target[key]  # a null config key counts as absent
    assert out == [raw]
    assert json.dumps(out, sort_keys=True) == json.dumps([raw], sort_keys=True)
