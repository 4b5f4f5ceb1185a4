"""A decision leaves no reference cycles behind.

Everything a request builds (the indexed history, verdicts, trace entries) must be freed by
reference counting when `decide` returns. A cycle (say, a verdict's lazily computed words
holding the request context that caches the verdict) keeps it all alive until the cyclic
garbage collector runs, which then walks every object of the request: in the runtime
benchmark that cost about a tenth of fast mode's time.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import cpol
from cpol.runtime import parse_request

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture
def collector_off() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@pytest.mark.parametrize("explain", [False, True], ids=["fast", "explain"])
def test_deciding_leaves_nothing_for_the_cycle_collector(explain: bool, collector_off: None) -> None:
    source = (EXAMPLES / "all_rule_types.cpol").read_text(encoding="utf-8")
    engine = cpol.Engine(cpol.compile_source(source, "all_rule_types.cpol"))
    request, raw = parse_request(json.loads((EXAMPLES / "demo-request.json").read_text(encoding="utf-8")))
    gc.collect()
    decisions = engine.decide(request, explain=explain, raw=raw)
    assert any(d.blocked_by for d in decisions)  # the request exercises blocks and their words
    del decisions
    assert gc.collect() == 0


def test_a_requests_records_are_not_tracked_by_the_collector() -> None:
    """Interactions, candidates and suppressions hold only strings, numbers and instants, so
    the collector need not track them: the hundreds of a request then never count towards a
    collection, which would also walk the engine's long-lived objects."""
    data = json.loads((EXAMPLES / "demo-request.json").read_text(encoding="utf-8"))
    data["suppressions"] = [{"scope": "offer", "scopeId": "off_x", "expiresAt": "2026-04-01T00:00:00Z"}]
    request, _ = parse_request(data)
    records = [*request.interactions, *request.candidates, *request.suppressions]
    assert request.interactions and request.candidates and request.suppressions
    assert not any(gc.is_tracked(record) for record in records)
