"""The Python API the README shows: compile once, build an `Engine`, decide many requests."""

from __future__ import annotations

import json
from pathlib import Path

import cpol

EXAMPLES = Path(__file__).parents[1] / "examples"


def test_engine_from_compiled_policies_decides_the_demo_request() -> None:
    source = (EXAMPLES / "all_rule_types.cpol").read_text(encoding="utf-8")
    engine = cpol.Engine(cpol.compile_source(source, "all_rule_types.cpol"))
    request = json.loads((EXAMPLES / "demo-request.json").read_text(encoding="utf-8"))
    fast = engine.decide_json(request)
    full = engine.decide_json(request, explain=True)
    assert len(fast) == len(request["candidates"])
    assert [d.allowed for d in fast] == [d.allowed for d in full]
    assert any(d.allowed for d in fast) and not all(d.allowed for d in fast)
    assert all(d.trace is None for d in fast) and all(d.trace for d in full)


def test_engine_is_part_of_the_public_api() -> None:
    assert "Engine" in cpol.__all__
    assert cpol.Engine is cpol.runtime.Engine
