"""The two request readers agree: msgspec's C-speed one (`request._fast`) and the checking
one (pydantic, `request_check`) accept exactly the same requests and read them to equal
values; on a bad request the user sees the checking reader's diagnostics, every one.

Requests come as a decoded value (`Engine.decide_json(dict)`) and as JSON text (what a
server reads off the wire); both entry points are exercised.
"""

from __future__ import annotations

import copy
import json
import math
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cpol
from cpol.runtime import request as reader
from cpol.runtime import request_check
from tests.strategies import json_values

from .test_properties import requests

Outcome = reader.Request | list[str]


def fast(source: object) -> reader.Request | None:
    """The fast reader's request, or None when it leaves the request to the checking one."""
    try:
        return reader._fast(source)[0]
    except Exception:  # any refusal (`_Refused`, msgspec, ValueError…) means "not vouched for"
        return None


def checked(source: object) -> Outcome:
    """The checking reader's request, or its diagnostics as text."""
    try:
        data = request_check.read_json(source, "<r>") if isinstance(source, str | bytes) else source
        return reader._from_checked(request_check.checked(data, "<r>"))
    except cpol.Diagnostics as problems:
        return [str(item) for item in problems.items]


def parsed(source: object) -> Outcome:
    """What a user gets: the request, or the diagnostics."""
    try:
        return reader.parse_request(source, "<r>")[0]
    except cpol.Diagnostics as problems:
        return [str(item) for item in problems.items]


def agree(source: object) -> Outcome:
    """Both readers accept or both refuse; accepted, the values are equal; the user gets the
    checking reader's answer."""
    quick, slow = fast(source), checked(source)
    if isinstance(slow, list):
        assert quick is None, f"the fast reader accepted a request the checking one refuses: {slow}"
    else:
        assert quick == slow, "the fast reader refused or misread a valid request"
    assert parsed(source) == slow
    return slow


def as_text(data: Any) -> bytes:
    return json.dumps(data).encode()


# -- valid requests: both entry points read them alike, and fast --------------------------------
@given(requests(max_candidates=4))
def test_valid_requests_read_alike_from_a_dict_and_from_text(data: dict[str, Any]) -> None:
    for source in (data, as_text(data), json.dumps(data, ensure_ascii=False)):
        assert isinstance(agree(source), reader.Request)


@given(requests(max_candidates=3), st.data())
def test_null_in_an_optional_field_reads_as_omitted(data: dict[str, Any], draw: st.DataObject) -> None:
    where = draw.draw(
        st.sampled_from(
            [
                ("interactions",),
                ("budgets",),
                ("suppressions",),
                ("session",),
                ("customer", "segments"),
                ("customer", "metrics"),
                ("customer", "consent"),
                ("customer", "dnc"),
                ("candidates", 0, "isMandatory"),
                ("session", "servedOfferIds"),
            ]
        )
    )
    with_null, omitted = copy.deepcopy(data), copy.deepcopy(data)
    _set(with_null, where, None)
    _delete(omitted, where)
    assert agree(with_null) == agree(omitted)


# -- a corpus of bad requests: both refuse, and the user sees every problem --------------------
def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


def _set(target: Any, path: tuple[Any, ...], value: Any) -> None:
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


def _delete(target: Any, path: tuple[Any, ...]) -> None:
    for key in path[:-1]:
        target = target[key]
    if isinstance(target, dict):
        target.pop(path[-1], None)


@given(requests(max_candidates=3), st.data())
def test_any_value_anywhere_is_read_alike(data: dict[str, Any], draw: st.DataObject) -> None:
    """Replace a random part of a valid request with any JSON value (NaN, huge numbers, lone
    surrogates, wrong types, nulls included): both readers still agree."""
    for _ in range(draw.draw(st.integers(1, 3))):
        path = draw.draw(st.sampled_from(_paths(data)))
        _set(data, path, draw.draw(json_values(max_leaves=6)))
    agree(data)
    text = json.dumps(data).encode()  # NaN and Infinity come out as Python's non-JSON literals
    agree(text)


@given(requests(max_candidates=3), st.data())
def test_a_missing_field_is_read_alike(data: dict[str, Any], draw: st.DataObject) -> None:
    _delete(data, draw.draw(st.sampled_from(_paths(data))))
    agree(data)
    agree(as_text(data))


BAD_TEXTS = {
    "repeated key": b'{"now": "2026-03-20T14:00:00Z", "now": "2026-03-20T15:00:00Z", '
    b'"customer": {"id": "c"}, "candidates": [{"offerId": "o"}]}',
    "repeated key in a candidate": b'{"now": "2026-03-20T14:00:00Z", "customer": {"id": "c"}, '
    b'"candidates": [{"offerId": "o", "offerId": "p"}]}',
    "lone surrogate": b'{"now": "2026-03-20T14:00:00Z", "customer": {"id": "\\ud800"}, '
    b'"candidates": [{"offerId": "o"}]}',
    "NaN metric": b'{"now": "2026-03-20T14:00:00Z", "customer": {"id": "c", "metrics": {"m": NaN}}, '
    b'"candidates": [{"offerId": "o"}]}',
    "Infinity in an unknown field": b'{"now": "2026-03-20T14:00:00Z", "customer": {"id": "c"}, '
    b'"candidates": [{"offerId": "o", "score": Infinity}]}',
    "1e400 budget": b'{"now": "2026-03-20T14:00:00Z", "customer": {"id": "c"}, '
    b'"budgets": {"o": {"spend": 1e400}}, "candidates": [{"offerId": "o"}]}',
    "timestamp in no format": b'{"now": "20 March", "customer": {"id": "c"}, '
    b'"candidates": [{"offerId": "o"}]}',
    "truncated": b'{"now": "2026-03-20T14:00:00Z", "customer": {"id": "c"}, "candidates": [',
    "a number as an id": b'{"now": "2026-03-20T14:00:00Z", "customer": {"id": 7}, '
    b'"candidates": [{"offerId": "o"}]}',
    "not an object": b"[1, 2]",
}


@pytest.mark.parametrize("text", BAD_TEXTS.values(), ids=BAD_TEXTS.keys())
def test_bad_text_is_refused_with_the_checking_readers_diagnostics(text: bytes) -> None:
    outcome = agree(text)
    assert isinstance(outcome, list) and outcome, outcome


@pytest.mark.parametrize("figure", [math.inf, -math.inf, math.nan], ids=["inf", "-inf", "nan"])
def test_a_non_finite_metric_or_budget_in_a_dict_reads_as_missing(figure: float) -> None:
    """JSON cannot carry NaN or Infinity (the text readers refuse them); a Python caller's dict
    can. Both readers take it, and the rules read it as a missing figure: it never blocks and
    never reaches a trace, whose JSON could not carry it either."""
    engine = cpol.Engine(
        cpol.load_json(
            [
                {"name": "m", "ruleType": "metric_condition", "scope": "global", "config": {"metricId": "m"}},
                {
                    "name": "b",
                    "ruleType": "budget_exhausted",
                    "scope": "global",
                    "config": {"budgetField": "spend", "threshold": 1},
                },
            ]
        )
    )
    data = json.loads(BAD_TEXTS["timestamp in no format"].replace(b"20 March", b"2026-03-20T14:00:00Z"))
    data["customer"]["metrics"] = {"m": figure}
    data["budgets"] = {"o": {"spend": figure}}
    assert isinstance(agree(data), reader.Request)
    (decision,) = engine.decide_json(data, explain=True)
    assert decision.allowed
    text = json.dumps([entry.trace_json() for entry in decision.trace or []], allow_nan=False)
    assert "missing" in text and "Infinity" not in text and "NaN" not in text


# -- what the fast reader leaves to the checking one, and still reads right ----------------------
def test_text_with_an_escaped_colon_is_read_by_the_checking_reader() -> None:
    """The repeated-key count cannot see `\\u003a`; such text takes the slow road, same result."""
    text = b'{"now": "2026-03-20T14\\u003a00:00Z", "customer": {"id": "c"}, "candidates": [{"offerId": "o"}]}'
    assert fast(text) is None
    request = checked(text)
    assert isinstance(request, reader.Request) and parsed(text) == request
    assert request.now.isoformat() == "2026-03-20T14:00:00+00:00"


def test_datetime_objects_in_a_dict_are_read_by_the_checking_reader() -> None:
    now = datetime(2026, 3, 20, 14, tzinfo=UTC)
    data = {"now": now, "customer": {"id": "c"}, "candidates": [{"offerId": "o"}]}
    assert fast(data) is None
    request = reader.parse_request(data)[0]
    assert request.now == now


# -- the two readers declare the same request ------------------------------------------------
PAIRS = [
    (reader.Customer, request_check.Customer),
    (reader.Interaction, request_check.Interaction),
    (reader.Candidate, request_check.Candidate),
    (reader.Suppression, request_check.Suppression),
    (reader.Session, request_check.Session),
    (reader._Wire, request_check.Request),
]


@pytest.mark.parametrize(("fast_kind", "checking_kind"), PAIRS, ids=[kind.__name__ for kind, _ in PAIRS])
def test_both_readers_declare_the_same_fields_and_defaults(fast_kind: Any, checking_kind: Any) -> None:
    """The models are written twice (msgspec for speed, pydantic for the messages): a field or
    default added to one and not the other fails here before any request shows it."""
    fast_fields = {}
    for info in msgspec.structs.fields(fast_kind):
        factory = info.default_factory
        default = factory() if factory is not msgspec.NODEFAULT else info.default
        fast_fields[info.name] = "required" if info.required else default
    checking_fields = {
        name: "required" if info.is_required() else info.get_default(call_default_factory=True)
        for name, info in checking_kind.model_fields.items()
    }
    if fast_kind is reader._Wire:  # a Session model on one side, a Session Struct on the other
        assert fast_fields.pop("session") == reader.Session()
        assert checking_fields.pop("session") == request_check.Session()
    assert fast_fields == checking_fields
