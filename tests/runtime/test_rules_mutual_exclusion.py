"""mutual_exclusion (SPEC §1 table, §2.1).

"mutual_exclusion conflicts only with a *different* offer of the group: from
`session.servedOfferIds`, then from earlier candidates of the request whose final
decision was allowed." Its blocks have eligibleAt null.
"""

from __future__ import annotations

from typing import Any

from .helpers import assert_blocks, assert_passes, candidate, decide, decide_one, entry, policy, request

GROUP = policy("mutual_exclusion", {"excludeOfferIds": ["off_a", "off_b", "off_c"]}, name="group")


def session(*served: str) -> dict[str, Any]:
    return {"servedOfferIds": list(served)}


def test_served_offer_of_the_group_blocks_another_member() -> None:
    decision = decide_one([GROUP], request([candidate("off_b")], session=session("off_a")))
    block = assert_blocks(decision, "group", None)
    assert block["details"] == {"offerGroup": ["off_a", "off_b", "off_c"], "conflictingOfferId": "off_a"}
    assert decision["eligibleAt"] is None


def test_the_candidates_own_offer_does_not_conflict() -> None:
    assert_passes(decide_one([GROUP], request([candidate("off_b")], session=session("off_b"))), "group")


def test_offers_outside_the_group_do_not_conflict() -> None:
    assert_passes(
        decide_one([GROUP], request([candidate("off_b")], session=session("off_x", "off_y"))), "group"
    )


def test_a_candidate_outside_the_group_passes() -> None:
    decision = decide_one([GROUP], request([candidate("off_x")], session=session("off_a")))
    assert decision["allowed"] is True


def test_no_session_no_conflict() -> None:
    assert_passes(decide_one([GROUP], request([candidate("off_a")])), "group")


def test_earlier_allowed_candidate_in_the_request_blocks_later_ones() -> None:
    decisions = decide([GROUP], request([candidate("off_a"), candidate("off_x"), candidate("off_b")]))
    assert [d["allowed"] for d in decisions] == [True, True, False]
    block = assert_blocks(decisions[2], "group", None)
    assert block["details"]["conflictingOfferId"] == "off_a"


def test_earlier_blocked_candidate_does_not_conflict() -> None:
    # off_a is blocked by the consent gate (sms opted out), so off_b may go
    req = request(
        [candidate("off_a", channel="ch_sms", channel_type="sms"), candidate("off_b")],
        customer={"consent": {"sms": "opted_out"}},
    )
    decisions = decide([GROUP], req)
    assert [d["allowed"] for d in decisions] == [False, True]
    assert_passes(decisions[1], "group")


def test_earlier_candidate_blocked_by_a_policy_does_not_conflict() -> None:
    cap = policy("frequency_cap", {"maxPerDay": 0}, name="cap", scope="offer", scope_id="off_a")
    decisions = decide([GROUP, cap], request([candidate("off_a"), candidate("off_b"), candidate("off_c")]))
    assert [d["allowed"] for d in decisions] == [False, True, False]
    assert assert_blocks(decisions[2], "group")["details"]["conflictingOfferId"] == "off_b"


def test_earlier_candidate_blocked_by_mutual_exclusion_does_not_conflict_in_turn() -> None:
    decisions = decide([GROUP], request([candidate("off_a"), candidate("off_b"), candidate("off_c")]))
    assert [d["allowed"] for d in decisions] == [True, False, False]
    assert assert_blocks(decisions[2], "group")["details"]["conflictingOfferId"] == "off_a"


def test_same_offer_twice_in_a_request_does_not_conflict() -> None:
    decisions = decide([GROUP], request([candidate("off_a"), candidate("off_a", channel="ch_push")]))
    assert [d["allowed"] for d in decisions] == [True, True]


def test_candidate_order_decides_who_wins() -> None:
    decisions = decide([GROUP], request([candidate("off_b"), candidate("off_a")]))
    assert [d["allowed"] for d in decisions] == [True, False]
    assert assert_blocks(decisions[1], "group")["details"]["conflictingOfferId"] == "off_b"


def test_earlier_candidate_allowed_through_an_override_conflicts() -> None:
    cap = policy("frequency_cap", {"maxPerDay": 0}, name="cap", scope="offer", scope_id="off_a")
    override = policy("allow_override", {}, name="override", scope="offer", scope_id="off_a")
    decisions = decide([GROUP, cap, override], request([candidate("off_a"), candidate("off_b")]))
    assert [d["allowed"] for d in decisions] == [True, False]


def test_mutual_exclusion_respects_its_scope() -> None:
    p = dict(GROUP, scope="channel", scopeId="ch_email")
    decision = decide_one(
        [p], request([candidate("off_b", channel="ch_sms", channel_type="sms")], session=session("off_a"))
    )
    assert entry(decision, "group")["result"] == "not_in_scope"
    assert decision["allowed"] is True


def test_two_groups_are_independent() -> None:
    other = policy("mutual_exclusion", {"excludeOfferIds": ["off_x", "off_y"]}, name="other")
    decisions = decide([GROUP, other], request([candidate("off_a"), candidate("off_x"), candidate("off_y")]))
    assert [d["allowed"] for d in decisions] == [True, True, False]
    assert_blocks(decisions[2], "other", None)


def test_the_offer_allowed_first_is_named_when_several_were() -> None:
    """Two offers of the group allowed outside the policy's scope, then one in it: the block
    names the one allowed first, whatever the group's own order."""
    p = dict(GROUP, scope="channel", scopeId="ch_sms")
    sms: dict[str, Any] = {"channel": "ch_sms", "channel_type": "sms"}
    decisions = decide(
        [p], request([candidate("off_b"), candidate("off_a"), candidate("off_b"), candidate("off_c", **sms)])
    )
    assert [d["allowed"] for d in decisions] == [True, True, True, False]
    assert assert_blocks(decisions[3], "group")["details"]["conflictingOfferId"] == "off_b"
