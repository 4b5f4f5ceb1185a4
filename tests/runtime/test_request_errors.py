"""Malformed requests (SPEC §2): every problem is a `cpol.Diagnostics` carrying the JSON
path, never another exception; offsets are normalised to UTC; unknown fields are ignored."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import cpol
from cpol.runtime.request_check import (
    Candidate,
    Customer,
    Interaction,
    Request,
    Session,
    Suppression,
    _NullMeansDefault,
)
from tests.strategies import json_values

from .helpers import candidate, decide_one, engine, impression, policy, request

POLICIES = [
    policy("frequency_cap", {"maxPerDay": 1}, name="cap"),
    policy("cooldown", {"cooldownHours": 2}, name="cool"),
    policy("time_window", {"startHour": 8, "endHour": 20}, name="window"),
    policy("metric_condition", {"metricId": "m"}, name="metric"),
    policy("budget_exhausted", {"budgetField": "spend", "threshold": 5}, name="budget"),
    policy("mutual_exclusion", {"excludeOfferIds": ["off_1", "off_2"]}, name="group"),
]


def diagnostics_of(source: Any) -> list[cpol.Diagnostic]:
    with pytest.raises(cpol.Diagnostics) as raised:
        engine(POLICIES).decide_json(source, explain=True)
    assert raised.value.items, "Diagnostics without any diagnostic"
    return raised.value.items


def paths_of(source: Any) -> list[str | None]:
    return [d.path for d in diagnostics_of(source)]


def valid() -> dict[str, Any]:
    return request(
        [candidate("off_1"), candidate("off_2", channel="ch_sms", channel_type="sms")],
        [impression("2026-03-19T10:00:00Z"), impression("2026-03-18T10:00:00Z", offer="off_2")],
        customer={"timezone": "America/New_York", "segments": ["s"], "metrics": {"m": -1}, "dnc": []},
        budgets={"off_1": {"spend": 1}},
        suppressions=[{"scope": "offer", "scopeId": "off_9"}],
        session={"servedOfferIds": []},
    )


# -- the JSON path of each problem ---------------------------------------------------------------
@pytest.mark.parametrize(
    "bad", ["yesterday", "2026-13-01T00:00:00Z", "2026-03-20T25:00:00Z", "", 1774015200, None]
)
def test_bad_now(bad: object) -> None:
    req = valid()
    req["now"] = bad
    assert paths_of(req) == ["now"]


@pytest.mark.parametrize("bad", ["not a date", "2026-02-30T00:00:00Z", 5, None, ["2026-03-19T10:00:00Z"]])
def test_bad_interaction_timestamp(bad: object) -> None:
    req = valid()
    req["interactions"][1]["timestamp"] = bad
    assert paths_of(req) == ["interactions[1].timestamp"]


@pytest.mark.parametrize("bad", [5, None, ["impression"], {"kind": "impression"}, True])
def test_outcome_not_a_string(bad: object) -> None:
    req = valid()
    req["interactions"][0]["outcome"] = bad
    assert paths_of(req) == ["interactions[0].outcome"]


def test_candidate_without_offer_id() -> None:
    req = valid()
    del req["candidates"][1]["offerId"]
    assert paths_of(req) == ["candidates[1].offerId"]


@pytest.mark.parametrize("bad", [7, None, True, ["off_1"]])
def test_offer_id_not_a_string(bad: object) -> None:
    req = valid()
    req["candidates"][0]["offerId"] = bad
    assert paths_of(req) == ["candidates[0].offerId"]


@pytest.mark.parametrize("bad", [{"offerId": "off_1"}, "off_1", 3, None])
def test_candidates_not_a_list(bad: object) -> None:
    req = valid()
    req["candidates"] = bad
    assert paths_of(req) == ["candidates"]


def test_candidate_not_an_object() -> None:
    req = valid()
    req["candidates"].append("off_3")
    assert paths_of(req) == ["candidates[2]"]


@pytest.mark.parametrize("missing", ["now", "customer", "candidates"])
def test_required_top_level_fields(missing: str) -> None:
    req = valid()
    del req[missing]
    assert paths_of(req) == [missing]


def test_customer_id_required() -> None:
    req = valid()
    del req["customer"]["id"]
    assert paths_of(req) == ["customer.id"]


@pytest.mark.parametrize(
    ("where", "value", "path"),
    [
        (("interactions",), {"a": 1}, "interactions"),
        (("interactions", 0), "impression", "interactions[0]"),
        (("customer",), "cust_1", "customer"),
        (("customer", "segments"), "vip", "customer.segments"),
        (("customer", "dnc"), "legal", "customer.dnc"),
        (("suppressions", 0, "expiresAt"), "soon", "suppressions[0].expiresAt"),
        (("suppressions", 0, "isActive"), "yes", "suppressions[0].isActive"),
        (("session", "servedOfferIds"), "off_1", "session.servedOfferIds"),
        (("candidates", 0, "isMandatory"), "yes", "candidates[0].isMandatory"),
        (("budgets", "off_1", "spend"), "lots", "budgets.off_1.spend"),
    ],
)
def test_other_malformed_fields_carry_their_path(
    where: tuple[str | int, ...], value: object, path: str
) -> None:
    req = valid()
    target: Any = req  # walks down to a list or an object
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    assert set(paths_of(req)) == {path}


def test_every_problem_is_reported() -> None:
    req = valid()
    req["now"] = "never"
    req["interactions"][0]["outcome"] = 3
    del req["candidates"][0]["offerId"]
    assert set(paths_of(req)) == {"now", "interactions[0].outcome", "candidates[0].offerId"}


@pytest.mark.parametrize("text", ['{"now": "2026-03-20T14:00:00Z",', "{'now': 1}", "", "[1, 2", '{"a": 1} x'])
def test_bad_json_text(text: str) -> None:
    items = diagnostics_of(text)
    assert any(d.span is not None or "JSON" in d.message for d in items)


def test_bad_json_text_points_at_the_line() -> None:
    text = '{\n  "now": "2026-03-20T14:00:00Z",\n  "customer": {"id": "c"}\n  "candidates": []\n}'
    (item,) = diagnostics_of(text)
    assert item.span is not None
    assert item.span.line == 4


@pytest.mark.parametrize("source", [b"\xff\xfe{", "[]", "null", "42", '"request"', [], 42, None, "true"])
def test_request_that_is_not_an_object(source: object) -> None:
    diagnostics_of(source)


def test_json_text_and_bytes_are_accepted() -> None:
    text = json.dumps(valid())
    eng = engine(POLICIES)
    expected = [d.to_json() for d in eng.decide_json(valid(), explain=True)]
    assert [d.to_json() for d in eng.decide_json(text, explain=True)] == expected
    assert [d.to_json() for d in eng.decide_json(text.encode(), explain=True)] == expected


@pytest.mark.parametrize(
    ("where", "stamp"),
    [
        ("now", "0001-01-01T00:00:00+01:00"),
        ("now", "9999-12-31T23:00:00-05:00"),
        ("interaction", "0001-01-01T00:30:00+02:00"),
        ("suppression", "9999-12-31T23:59:59-01:00"),
    ],
)
def test_timestamp_out_of_range_after_normalising_is_a_diagnostic(where: str, stamp: str) -> None:
    req = valid()
    if where == "now":
        req["now"] = stamp
    elif where == "interaction":
        req["interactions"][0]["timestamp"] = stamp
    else:
        req["suppressions"][0]["expiresAt"] = stamp
    diagnostics_of(req)


# -- offsets are normalised to UTC ---------------------------------------------------------------
def test_now_with_an_offset_is_the_same_instant() -> None:
    cool = [policy("cooldown", {"cooldownHours": 24}, name="cool")]
    history = [impression("2026-03-19T15:00:00Z")]
    as_utc = decide_one(cool, request(interactions=history, now="2026-03-20T14:00:00Z"))
    as_offset = decide_one(cool, request(interactions=history, now="2026-03-20T16:00:00+02:00"))
    assert as_offset["eligibleAt"] == as_utc["eligibleAt"] == "2026-03-20T15:00:00Z"
    behind = decide_one(cool, request(interactions=history, now="2026-03-20T10:00:00-04:00"))
    assert behind["eligibleAt"] == "2026-03-20T15:00:00Z"


def test_interaction_offsets_are_normalised() -> None:
    cool = [policy("cooldown", {"cooldownHours": 24}, name="cool")]
    decision = decide_one(cool, interactions=[impression("2026-03-19T17:00:00+02:00")])  # 15:00Z
    assert decision["eligibleAt"] == "2026-03-20T15:00:00Z"
    # 2026-03-19T14:30:00-00:30 is 15:00Z too
    decision = decide_one(cool, interactions=[impression("2026-03-19T14:30:00-00:30")])
    assert decision["eligibleAt"] == "2026-03-20T15:00:00Z"


def test_offset_decides_window_membership() -> None:
    cap = [policy("frequency_cap", {"maxPerDay": 1}, name="cap")]
    # 2026-03-19T15:00:00+01:00 is 14:00Z, exactly a day before now: outside the window
    assert decide_one(cap, interactions=[impression("2026-03-19T15:00:00+01:00")])["allowed"] is True
    # 2026-03-19T14:00:01+00:00 is a second inside it
    assert decide_one(cap, interactions=[impression("2026-03-19T14:00:01+00:00")])["allowed"] is False


def test_offset_decides_the_future() -> None:
    cap = [policy("frequency_cap", {"maxPerDay": 1}, name="cap")]
    # 2026-03-20T13:00:00-02:00 is 15:00Z, after now: ignored
    assert decide_one(cap, interactions=[impression("2026-03-20T13:00:00-02:00")])["allowed"] is True


def test_time_window_reads_now_in_utc_whatever_its_offset() -> None:
    window = [policy("time_window", {"startHour": 13, "endHour": 15}, name="window")]
    assert decide_one(window, now="2026-03-20T23:00:00+09:00")["allowed"] is True  # 14:00Z


def test_suppression_expiry_offset() -> None:
    supp = [{"scope": "global", "expiresAt": "2026-03-20T15:00:00+01:00"}]  # 14:00Z = now: expired
    assert decide_one([], request(suppressions=supp))["allowed"] is True


# -- unknown fields and omissions ----------------------------------------------------------------
def test_unknown_fields_are_ignored_everywhere() -> None:
    plain = valid()
    noisy = copy.deepcopy(plain)
    noisy["requestId"] = "r-1"
    noisy["customer"]["loyaltyTier"] = "gold"
    noisy["interactions"][0]["revenue"] = 12.5
    noisy["interactions"][0]["meta"] = {"x": [1, 2]}
    noisy["candidates"][0]["score"] = 0.97
    noisy["suppressions"][0]["triggerCount"] = 3
    noisy["session"]["sessionId"] = "s-1"
    heads = [(d["allowed"], d["blockedBy"], d["eligibleAt"]) for d in _decide(noisy)]
    assert heads == [(d["allowed"], d["blockedBy"], d["eligibleAt"]) for d in _decide(plain)]


def test_every_optional_field_may_be_omitted() -> None:
    minimal = {"now": "2026-03-20T14:00:00Z", "customer": {"id": "c"}, "candidates": [{"offerId": "off_1"}]}
    (decision,) = _decide(minimal)
    assert decision["allowed"] is True


def test_empty_candidates_gives_no_decisions() -> None:
    assert _decide({"now": "2026-03-20T14:00:00Z", "customer": {"id": "c"}, "candidates": []}) == []


def test_null_optional_fields_are_fine_where_they_are_nullable() -> None:
    req = valid()
    req["interactions"][0]["campaignId"] = None
    req["customer"]["timezone"] = None
    req["suppressions"][0]["expiresAt"] = None
    assert len(_decide(req)) == 2


def _decide(req: Any) -> list[dict[str, Any]]:
    return [d.to_json() for d in engine(POLICIES).decide_json(req, explain=True)]


# -- never another exception ---------------------------------------------------------------------
def _decide_or_diagnose(source: Any) -> None:
    eng = engine(POLICIES)
    for explain in (False, True):
        try:
            eng.decide_json(source, explain=explain)
        except cpol.Diagnostics as error:
            assert error.items


@given(json_values())
def test_any_json_value_decides_or_raises_diagnostics(value: Any) -> None:
    _decide_or_diagnose(value)
    _decide_or_diagnose(json.dumps(value))


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out += _paths(item, (*prefix, index))
    return out


LEAF_VALUES = st.one_of(
    json_values(max_leaves=5),
    st.sampled_from(
        [
            "2026-03-20T14:00:00Z",
            "2026-03-20T14:00:00+02:00",
            "2026-03-20",
            "2026-03-20T14:00:00.123456789Z",
            "impression",
            "opted_out",
            "Mars/Olympus",
            "America/New_York",
            -1,
            1e308,
            float("nan"),
            float("inf"),
            [],
            {},
        ]
    ),
)


@given(st.data())
def test_any_single_mutation_of_a_valid_request_decides_or_raises_diagnostics(data: st.DataObject) -> None:
    req = valid()
    paths = _paths(req)
    where = data.draw(st.sampled_from(paths[1:]))
    action = data.draw(st.sampled_from(["replace", "delete", "add"]))
    parent = req
    for key in where[:-1]:
        parent = parent[key]
    if action == "delete":
        del parent[where[-1]]
    elif action == "add" and isinstance(parent, dict):
        parent[data.draw(st.text(max_size=8))] = data.draw(LEAF_VALUES)
    else:
        parent[where[-1]] = data.draw(LEAF_VALUES)
    _decide_or_diagnose(req)


# -- where the SPEC is silent ----------------------------------------------------------------------
def test_timestamp_without_offset_means_utc() -> None:
    # Ambiguity: SPEC §2 only shows `Z` timestamps. A production platform reads an instant
    # without an offset as UTC (the zone every other instant is normalised to).
    cool = [policy("cooldown", {"cooldownHours": 24}, name="cool")]
    decision = decide_one(
        cool, request(interactions=[impression("2026-03-19T15:00:00")], now="2026-03-20T14:00:00")
    )
    assert decision["eligibleAt"] == "2026-03-20T15:00:00Z"


NULLABLE = [
    ("interactions",),
    ("budgets",),
    ("suppressions",),
    ("session",),
    ("session", "servedOfferIds"),
    ("customer", "segments"),
    ("customer", "metrics"),
    ("customer", "dnc"),
    ("customer", "consent"),
    ("candidates", 0, "isMandatory"),
]


@pytest.mark.parametrize("where", NULLABLE, ids=[".".join(map(str, w)) for w in NULLABLE])
def test_null_in_an_optional_request_field_counts_as_absent(where: tuple[str | int, ...]) -> None:
    # Ambiguity: SPEC §2 says "Every field but now, customer.id and candidates may be
    # omitted" and §2.1 that a null config key "counts as absent". Requests come from many
    # systems that write absent values as null (the SPEC's own example has
    # "campaignId": null); a production platform treats null like an omitted field.
    req = valid()
    target: Any = req  # walks down to a list or an object
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = None
    omitted = valid()
    target = omitted
    for key in where[:-1]:
        target = target[key]
    target.pop(where[-1], None)
    # the candidate is echoed back as sent (null included); the decision is what must agree
    assert _without_echo(_decide(req)) == _without_echo(_decide(omitted))


def _without_echo(decisions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{key: value for key, value in d.items() if key != "candidate"} for d in decisions]


@pytest.mark.parametrize("model", [Customer, Interaction, Candidate, Suppression, Session, Request])
def test_null_means_the_default_wherever_a_default_is_not_none(model: type[Any]) -> None:
    """Only models with a non-None default pay for turning null into that default; a model
    given a new non-None default must take the validator along."""
    defaults = [info.default for info in model.model_fields.values() if not info.is_required()]
    needs_it = any(default is not None for default in defaults)
    assert issubclass(model, _NullMeansDefault) == needs_it
