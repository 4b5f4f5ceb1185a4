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
from hypothesis import strategies as st

from .helpers import engine
from .test_properties import policy_sets, requests

sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))
import baseline


def first_blocks(policies: list[dict[str, Any]], req: dict[str, Any]) -> list[tuple[bool, str | None]]:
    decisions = engine(policies).decide_json(req)
    return [(d.allowed, d.blocked_by[0].policy_name if d.blocked_by else None) for d in decisions]


#: The rules that count the history by the candidate's fields: few of them per set, so that
#: `per`, the cross-channel shapes and the verdicts shared between candidates decide often.
COUNTING = st.sampled_from(["frequency_cap", "cooldown", "outcome_based", "cross_channel_cap"])


@given(policy_sets(max_size=8), requests(max_candidates=8))
def test_fast_mode_agrees_with_the_baseline(policies: list[dict[str, Any]], req: dict[str, Any]) -> None:
    expected = baseline.Baseline(policies).decide(baseline.prepare(req))
    assert first_blocks(policies, req) == expected


@given(policy_sets(min_size=1, max_size=4, rules=COUNTING), requests(max_candidates=8))
def test_counting_rules_agree_with_the_baseline(policies: list[dict[str, Any]], req: dict[str, Any]) -> None:
    expected = baseline.Baseline(policies).decide(baseline.prepare(req))
    assert first_blocks(policies, req) == expected
