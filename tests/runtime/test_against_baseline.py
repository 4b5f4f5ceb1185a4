"""The engine against an independent evaluator: `benchmarks/baseline.py`, the straightforward
loop-over-the-history implementation written from SPEC §1 apart from the engine.

On random policy sets and requests, fast mode must agree with it on `allowed` and on the
first blocking policy or gate of every candidate. The engine indexes the history, shares
verdicts between candidates and narrows windows; the baseline does none of that, so a
disagreement points at one of those shortcuts.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hypothesis import given

from .helpers import engine
from .test_properties import policy_sets, requests

sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))
import baseline


def first_blocks(policies: list[dict[str, Any]], req: dict[str, Any]) -> list[tuple[bool, str | None]]:
    decisions = engine(policies).decide_json(req)
    return [(d.allowed, d.blocked_by[0].policy_name if d.blocked_by else None) for d in decisions]


@given(policy_sets(max_size=8), requests(max_candidates=8))
def test_fast_mode_agrees_with_the_baseline(policies: list[dict[str, Any]], req: dict[str, Any]) -> None:
    expected = baseline.Baseline(policies).decide(baseline.prepare(req))
    assert first_blocks(policies, req) == expected
