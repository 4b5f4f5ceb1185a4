"""`with_history`: stored interactions read apart and put first read as the same request
as one text holding them (the service's decide reads its stored history this way)."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cpol.runtime.request import parse_request, with_history
from tests.runtime.test_properties import requests


@given(requests(), st.data())
def test_history_read_apart_is_the_same_request(request: dict[str, Any], data: st.DataObject) -> None:
    interactions = request.pop("interactions", [])
    stored = data.draw(st.integers(0, len(interactions)))
    documents = [msgspec.json.encode(item).decode() for item in interactions[:stored]]
    whole, _ = parse_request(json.dumps({**request, "interactions": interactions}))
    given_only, _ = parse_request(json.dumps({**request, "interactions": interactions[stored:]}))
    assert with_history(given_only, documents) == whole


def test_stamps_finer_than_microseconds_or_in_other_zones_read_as_in_a_request() -> None:
    stamps = ["2026-03-20T14:00:00.1234567Z", "2026-03-20T16:00:00+02:00", "2026-03-20T14:00:00Z"]
    documents = [json.dumps({"timestamp": s, "outcome": "impression"}) for s in stamps]
    bare, _ = parse_request(
        json.dumps({"now": "2026-03-21T00:00:00Z", "customer": {"id": "c"}, "candidates": []})
    )
    whole, _ = parse_request(
        json.dumps(
            {
                "now": "2026-03-21T00:00:00Z",
                "customer": {"id": "c"},
                "interactions": [json.loads(d) for d in documents],
                "candidates": [],
            }
        )
    )
    assert with_history(bare, documents) == whole


def test_a_document_that_is_no_interaction_raises() -> None:
    bare, _ = parse_request(
        json.dumps({"now": "2026-03-21T00:00:00Z", "customer": {"id": "c"}, "candidates": []})
    )
    with pytest.raises((msgspec.MsgspecError, ValueError)):
        with_history(bare, ['{"outcome": "impression"}'])
    with pytest.raises((msgspec.MsgspecError, ValueError)):
        with_history(bare, ['{"timestamp": "yesterday", "outcome": "impression"}'])
