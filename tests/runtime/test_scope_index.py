"""The scope index: fast mode walks only the policies whose scopes a candidate is in, and the
index is kept across requests, keyed by the candidate's scope fields and bounded in size."""

from __future__ import annotations

from typing import Any

import pytest

from cpol.runtime import engine as engine_module

from .helpers import ago, candidate, engine, impression, policy, request

#: A cap on each of five offers, a cap on a channel and one on a category, plus a global one.
POLICIES = [
    *(policy("frequency_cap", {"maxPerDay": 1}, name=f"cap {o}", scope="offer", scope_id=o) for o in "abcde"),
    policy("cooldown", {"cooldownHours": 2}, name="sms rest", scope="channel", scope_id="ch_sms"),
    policy("cooldown", {"cooldownHours": 3}, name="loans rest", scope="category", scope_id="cat_loans"),
    policy("customer_total_cap", {"maxTotal": 50}, name="budget"),
]
HISTORY = [
    *(impression(ago(hours=5), offer=o, channel="ch_email", category="cat_cards") for o in "ace"),
    impression(ago(hours=1), offer="x", channel="ch_sms", category="cat_other"),
    impression(ago(hours=2), offer="y", channel="ch_push", category="cat_loans"),
]


def _first_blocks(decisions: list[Any]) -> list[str | None]:
    return [d.blocked_by[0].policy_name if d.blocked_by else None for d in decisions]


def _request(offers: str, **fields: Any) -> dict[str, Any]:
    return request([candidate(o, **fields) for o in offers], HISTORY)


def test_each_request_is_decided_by_the_policies_of_its_candidates_scopes() -> None:
    """One engine, requests whose candidates fall in different scopes, in turn: fast mode
    (which walks the narrowed plan) agrees with explain mode (which walks every policy)."""
    eng = engine(POLICIES)
    cases = [
        (_request("ab"), ["cap a", None]),
        (_request("ba", channel="ch_sms"), ["sms rest", "cap a"]),
        (_request("cde", category="cat_loans"), ["cap c", "loans rest", "cap e"]),
        (_request("ab"), ["cap a", None]),
    ]
    for req, expected in cases:
        fast = eng.decide_json(req)
        explained = eng.decide_json(req, explain=True)
        assert _first_blocks(fast) == _first_blocks(explained) == expected
        assert all(len(d.trace or ()) == len(POLICIES) for d in explained)


def test_the_index_is_bounded_and_starts_afresh(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_module, "SCOPE_INDEX_LIMIT", 2)
    eng = engine(POLICIES)
    for offer in "abcde":
        (decision,) = eng.decide_json(_request(offer))
        (explained,) = eng.decide_json(_request(offer), explain=True)
        assert (
            _first_blocks([decision])
            == _first_blocks([explained])
            == [f"cap {offer}" if offer in "ace" else None]
        )
        assert 1 <= len(eng._outside) <= 2
        assert len(eng._narrowed) <= 2 and len(eng._explained) <= 2


def test_explain_traces_laid_out_across_requests_are_those_of_a_fresh_engine() -> None:
    """Explain mode keeps each scope signature's trace layout across requests; a switched-off
    policy, a gate's entry before the policies' and candidates in several scopes must come out
    exactly as a new engine writes them."""
    switched_off = {**policy("cooldown", {"cooldownHours": 9}, name="off rest"), "status": "paused"}
    policies = [*POLICIES, switched_off]
    eng = engine(policies)
    requests = [
        _request("ab"),
        _request("ba", channel="ch_sms", channel_type="sms"),
        {**_request("cde", category="cat_loans"), "suppressions": [{"scope": "offer", "scopeId": "d"}]},
        _request("ab", channel="ch_sms"),
    ]
    for req in requests * 2:
        kept = [d.to_json() for d in eng.decide_json(req, explain=True)]
        fresh = [d.to_json() for d in engine(policies).decide_json(req, explain=True)]
        assert kept == fresh
        assert all(len(d["trace"]) >= len(policies) for d in kept)
