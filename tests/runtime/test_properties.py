"""Properties of the engine over random policy sets and requests in a small universe.

(a) fast mode agrees with explain mode on `allowed`, the first `blockedBy` entry and
    `eligibleAt` (SPEC §2);
(b) a block with an eligibleAt lifts exactly then: re-deciding at eligibleAt the policy (or
    gate) no longer blocks, one second earlier it still does (SPEC §2 "eligibleAt is the
    earliest instant at which that block lifts by itself");
(c) one more impression never turns a cap's block into a pass.

The hypothesis profile comes from tests/conftest.py.
"""

from __future__ import annotations

import functools
import json
import math
import re
from datetime import UTC, datetime, timedelta
from random import Random
from typing import Any

from hypothesis import event, given
from hypothesis import strategies as st

from cpol.runtime import Engine

from .helpers import engine, iso

OFFERS = ("off_a", "off_b", "off_c", "off_d")
CHANNELS = {"ch_email": "email", "ch_sms": "sms", "ch_push": "push"}
CREATIVES = ("cr_1", "cr_2", "cr_3")
CATEGORIES = ("cat_1", "cat_2")
SUBCATEGORIES = ("sub_1", "sub_2")
OFFER_CATEGORIES = ("cards", "travel")
CAMPAIGNS = ("camp_1", "camp_2")
OUTCOMES = ("impression", "impression", "impression", "click", "complaint", "unsubscribe")
SEGMENTS = ("seg_1", "seg_2", "seg_3")
METRICS = ("m_1", "m_2")
DNC_LISTS = ("dnc_a", "dnc_b")
TIMEZONES = (
    "UTC",
    "America/New_York",
    "Europe/London",
    "Asia/Kolkata",
    "Australia/Sydney",
    "Pacific/Chatham",
)
CAPS = frozenset({"frequency_cap", "cross_channel_cap", "customer_total_cap", "offer_category_cap"})
SCOPE_VALUES: dict[str, tuple[str, ...]] = {
    "offer": OFFERS,
    "channel": tuple(CHANNELS),
    "creative": CREATIVES,
    "category": CATEGORIES,
    "subcategory": SUBCATEGORIES,
}
PER_DIMENSIONS = tuple(SCOPE_VALUES)
Z_SECONDS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


# -- policies ------------------------------------------------------------------------------------
def small_numbers(top: int) -> st.SearchStrategy[int | float]:
    return st.one_of(st.integers(0, top), st.sampled_from([0.5, 1.5, 2.5]))


def small_counts(top: int) -> st.SearchStrategy[int | float]:
    """A cap's maximum: whole numbers only (a fractional count is refused)."""
    return st.one_of(st.integers(0, top), st.sampled_from([1.0, 2.0]))


def optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


def some(values: tuple[str, ...], min_size: int = 0) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(values), min_size=min_size, max_size=len(values), unique=True)


@st.composite
def frequency_cap(draw: st.DrawFn) -> dict[str, Any]:
    config = {
        key: draw(optional(small_counts(4))) for key in ("maxPerDay", "maxPerWeek", "maxPerMonth", "maxTotal")
    }
    if draw(st.booleans()):
        config["maxContacts"] = draw(small_counts(4))
        config["windowDays"] = draw(st.sampled_from([1, 2, 3.5, 10, 14]))
    config = {k: v for k, v in config.items() if v is not None}
    if not config:
        config["maxPerWeek"] = draw(st.integers(0, 4))
    filt = draw(st.sampled_from(["none", "within", "exclude"]))
    if filt == "within":
        config["withinCampaignId"] = draw(st.sampled_from(CAMPAIGNS))
    elif filt == "exclude":
        config["excludeCampaignIds"] = draw(some(CAMPAIGNS, min_size=1))
    return config


@st.composite
def outcome_based(draw: st.DrawFn) -> dict[str, Any]:
    outcomes = draw(
        st.one_of(
            st.sampled_from(("click", "complaint", "unsubscribe")),
            some(("impression", "click", "complaint", "unsubscribe"), min_size=1),
        )
    )
    days = draw(small_numbers(20))
    if draw(st.booleans()):
        return {"afterOutcome": outcomes, "suppressForDays": days}
    return {"outcome": outcomes, "withinDays": days}


def with_per(configs: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """A config counted `per` a dimension (SPEC §1.1) about half the time."""
    per = st.one_of(st.none(), st.sampled_from(PER_DIMENSIONS))
    return st.builds(
        lambda config, dimension: config | ({"per": dimension} if dimension else {}), configs, per
    )


@st.composite
def cross_channel_cap(draw: st.DrawFn) -> dict[str, Any]:
    """`{maxTotal, periodType?}`, the older `{maxContacts, windowDays}` or both; appliesAcross
    absent, empty (every channel) or some channels."""
    shape = draw(st.sampled_from(["newer", "older", "both"]))
    config: dict[str, Any] = {}
    if shape != "older":
        config["maxTotal"] = draw(small_counts(4))
        period = draw(optional(st.sampled_from(["daily", "weekly", "monthly"])))
        if period is not None:
            config["periodType"] = period
    if shape != "newer":
        config["maxContacts"] = draw(small_counts(4))
        config["windowDays"] = draw(st.sampled_from([1, 2, 3.5, 10, 14]))
    across = draw(optional(some(tuple(CHANNELS))))
    if across is not None:
        config["appliesAcross"] = across
    return config


@st.composite
def time_window(draw: st.DrawFn) -> dict[str, Any]:
    config: dict[str, Any] = {}
    if draw(st.booleans()):
        config["startHour"] = draw(st.integers(0, 23))
    if draw(st.booleans()):
        config["endHour"] = draw(st.integers(0, 24))
    if draw(st.booleans()):
        config["daysOfWeek"] = draw(st.lists(st.integers(0, 6), max_size=7, unique=True))
    if draw(st.booleans()):
        config["timezone"] = draw(st.sampled_from(TIMEZONES))
    return config


CONFIGS: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "frequency_cap": with_per(frequency_cap()),
    "cooldown": with_per(
        st.fixed_dictionaries({"cooldownHours": st.sampled_from([0, 1, 2.5, 12, 24, 72, 200])})
    ),
    "budget_exhausted": st.fixed_dictionaries(
        {
            "budgetField": st.sampled_from(["impressions", "spend", "daily_spend"]),
            "threshold": small_numbers(10),
        }
    ),
    "outcome_based": with_per(outcome_based()),
    "segment_exclusion": st.one_of(
        st.fixed_dictionaries({"excludeSegments": some(SEGMENTS)}),
        st.fixed_dictionaries({"segmentId": st.sampled_from(SEGMENTS)}),
    ),
    "time_window": time_window(),
    "mutual_exclusion": st.fixed_dictionaries({"excludeOfferIds": some(OFFERS)}),
    "cross_channel_cap": cross_channel_cap(),
    "customer_total_cap": st.fixed_dictionaries(
        {"maxTotal": small_counts(8)},
        optional={"periodType": st.sampled_from(["daily", "weekly", "monthly", "alltime"])},
    ),
    "offer_category_cap": st.fixed_dictionaries(
        {"targetCategory": st.sampled_from(OFFER_CATEGORIES), "maxTotal": small_counts(5)},
        optional={"periodType": st.sampled_from(["daily", "weekly", "monthly", "alltime"])},
    ),
    "allow_override": st.fixed_dictionaries({}, optional={"reason": st.just("vip")}),
    "category_suppression": st.fixed_dictionaries(
        {"suppressionDays": small_numbers(10)},
        optional={"categoryId": st.sampled_from(CATEGORIES), "subCategoryId": st.sampled_from(SUBCATEGORIES)},
    ),
    "do_not_contact": st.fixed_dictionaries({}, optional={"dncSource": st.sampled_from(DNC_LISTS)}),
    "metric_condition": st.fixed_dictionaries(
        {"metricId": st.sampled_from(METRICS)},
        optional={
            "operator": st.sampled_from(["gt", "gte", "lt", "lte", "eq"]),
            "threshold": st.sampled_from([0, 1, 2.5, 5]),
        },
    ),
}
RULE_TYPES = tuple(CONFIGS)
# overrides and non-blocking rules are drawn less often than the rest
RULE_WEIGHTS = st.sampled_from([r for r in RULE_TYPES for _ in range(1 if r == "allow_override" else 3)])


@st.composite
def scope_ref(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(("global", "global", *SCOPE_VALUES)))
    if kind == "global":
        return {"scope": "global"}
    return {"scope": kind, "scopeId": draw(st.sampled_from(SCOPE_VALUES[kind]))}


@st.composite
def a_policy(draw: st.DrawFn, index: int, rules: st.SearchStrategy[str] = RULE_WEIGHTS) -> dict[str, Any]:
    rule = draw(rules)
    config = dict(draw(CONFIGS[rule]))
    bypass = draw(st.sampled_from([None, None, True, False]))
    if bypass is not None:
        config["bypassable"] = bypass
    out: dict[str, Any] = {"name": f"p{index}", "ruleType": rule, "config": config}
    if draw(st.booleans()):
        out["id"] = f"cp_{draw(st.integers(0, 99)):02d}"
    if draw(st.booleans()):
        out["scopes"] = draw(st.lists(scope_ref(), min_size=1, max_size=3))
    else:
        out.update(draw(scope_ref()))
    out["priority"] = draw(st.sampled_from([0, 10, 50, 50, 90, 100]))
    status = draw(st.sampled_from(["active"] * 8 + ["paused", "draft", "archived"]))
    if status != "active" or draw(st.booleans()):
        out["status"] = status
    if draw(st.integers(0, 9)) == 0:
        out["deletedAt"] = "2026-01-01T00:00:00Z"
    created = draw(st.sampled_from([None, "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"]))
    if created:
        out["createdAt"] = created
    return out


#: Rules whose blocks lift by time (plus a rare override), for the eligibleAt property.
TIME_BOUND = st.sampled_from(
    [
        *["frequency_cap", "cooldown", "outcome_based", "time_window", "cross_channel_cap"] * 3,
        *["customer_total_cap", "offer_category_cap", "category_suppression"] * 3,
        "allow_override",
    ]
)


@st.composite
def policy_sets(
    draw: st.DrawFn, min_size: int = 0, max_size: int = 6, rules: st.SearchStrategy[str] = RULE_WEIGHTS
) -> list[dict[str, Any]]:
    size = draw(st.integers(min_size, max_size))
    return [draw(a_policy(index, rules)) for index in range(size)]


# -- requests ------------------------------------------------------------------------------------
#: Instants near the 2026 DST changes are drawn often.
NOW_BASES = [
    datetime(2026, 3, 8, 6, 0, tzinfo=UTC),
    datetime(2026, 3, 29, 0, 0, tzinfo=UTC),
    datetime(2026, 10, 25, 0, 0, tzinfo=UTC),
    datetime(2026, 11, 1, 5, 0, tzinfo=UTC),
]


@st.composite
def nows(draw: st.DrawFn) -> datetime:
    """Whole seconds, so `eligibleAt − 1 s` is never before `now`."""
    if draw(st.booleans()):
        base = draw(st.sampled_from(NOW_BASES))
        return base + timedelta(seconds=draw(st.integers(-2 * 86400, 2 * 86400)))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return start + timedelta(seconds=draw(st.integers(0, 364 * 86400)))


@st.composite
def an_interaction(draw: st.DrawFn, now: datetime) -> dict[str, Any]:
    # within the last 40 days, at or before now; sometimes with microseconds, sometimes
    # on a round number of days or hours before now (the window edges)
    shape = draw(st.sampled_from(["any", "any", "days", "hours"]))
    if shape == "days":
        back = timedelta(days=draw(st.integers(0, 40)))
    elif shape == "hours":
        back = timedelta(hours=draw(st.integers(0, 40 * 24)))
    else:
        back = timedelta(microseconds=draw(st.integers(0, 40 * 86400 * 10**6)))
    out: dict[str, Any] = {
        "timestamp": iso(now - back),
        "outcome": draw(st.sampled_from(OUTCOMES)),
        "offerId": draw(st.sampled_from(OFFERS)),
    }
    for key, values in (
        ("channelId", tuple(CHANNELS)),
        ("creativeId", CREATIVES),
        ("categoryId", CATEGORIES),
        ("subCategoryId", SUBCATEGORIES),
        ("offerCategory", OFFER_CATEGORIES),
        ("campaignId", CAMPAIGNS),
    ):
        value = draw(optional(st.sampled_from(values)))
        if value is not None:
            out[key] = value
    return out


@st.composite
def a_candidate(draw: st.DrawFn) -> dict[str, Any]:
    # every field a scope or a `per` reads is sometimes missing (channelType stays with the
    # channel: the consent gate reads it)
    channel = draw(st.sampled_from(tuple(CHANNELS)))
    out: dict[str, Any] = {"offerId": draw(st.sampled_from(OFFERS)), "channelType": CHANNELS[channel]}
    if draw(st.integers(0, 5)):
        out["channelId"] = channel
    for key, values in (
        ("creativeId", CREATIVES),
        ("categoryId", CATEGORIES),
        ("subCategoryId", SUBCATEGORIES),
        ("offerCategory", OFFER_CATEGORIES),
    ):
        value = draw(st.sampled_from((*values, *values, None)))
        if value is not None:
            out[key] = value
    if draw(st.integers(0, 4)) == 0:
        out["isMandatory"] = True
    return out


@st.composite
def a_suppression(draw: st.DrawFn, now: datetime) -> dict[str, Any]:
    out = draw(scope_ref())
    expires = draw(st.sampled_from(["none", "past", "future", "future"]))
    if expires == "past":
        out["expiresAt"] = iso(now - timedelta(seconds=draw(st.integers(0, 5 * 86400))))
    elif expires == "future":
        out["expiresAt"] = iso(now + timedelta(microseconds=draw(st.integers(1, 10 * 86400 * 10**6))))
    active = draw(st.sampled_from([None, None, True, False]))
    if active is not None:
        out["isActive"] = active
    return out


@st.composite
def requests(draw: st.DrawFn, max_candidates: int = 6) -> dict[str, Any]:
    now = draw(nows())
    metric_values = st.one_of(st.sampled_from([0, 1, 2.5, 5, 7, -1]), st.none(), st.just("n/a"))
    customer: dict[str, Any] = {
        "id": "cust",
        "segments": draw(some(SEGMENTS)),
        "metrics": draw(st.dictionaries(st.sampled_from(METRICS), metric_values, max_size=2)),
        "dnc": draw(st.lists(st.sampled_from(DNC_LISTS), max_size=1)),
        "consent": draw(
            st.dictionaries(
                st.sampled_from(list(CHANNELS.values())), st.sampled_from(["opted_in", "opted_out"])
            )
        ),
    }
    timezone = draw(st.one_of(st.none(), st.sampled_from((*TIMEZONES, "Not/AZone"))))
    if timezone is not None:
        customer["timezone"] = timezone
    budget_keys = st.sampled_from((*OFFERS, *CREATIVES))
    budget_entry = st.dictionaries(
        st.sampled_from(["impressions", "spend", "daily_spend"]), small_numbers(12), max_size=3
    )
    return {
        "now": iso(now),
        "customer": customer,
        "interactions": draw(st.lists(an_interaction(now), max_size=30)),
        "budgets": draw(st.dictionaries(budget_keys, budget_entry, max_size=4)),
        "suppressions": [
            {"id": f"sup_{index}", **record}
            for index, record in enumerate(draw(st.lists(a_suppression(now), max_size=2)))
        ],
        "session": {"servedOfferIds": draw(st.lists(st.sampled_from(OFFERS), max_size=2, unique=True))},
        "candidates": draw(st.lists(a_candidate(), min_size=1, max_size=max_candidates)),
    }


# -- helpers -------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=64)
def compiled(policies_json: str) -> Engine:
    return engine(json.loads(policies_json))


def explain(policies: list[dict[str, Any]], req: dict[str, Any]) -> list[dict[str, Any]]:
    eng = compiled(json.dumps(policies, sort_keys=True))
    return [d.to_json() for d in eng.decide_json(req, explain=True)]


def head(decision: dict[str, Any]) -> tuple[Any, ...]:
    first = decision["blockedBy"][0] if decision["blockedBy"] else None
    key = (first["policyId"], first["policyName"], first["ruleType"]) if first else None
    return decision["allowed"], key, decision["eligibleAt"]


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def still_blocks(decision: dict[str, Any], block: dict[str, Any]) -> bool:
    """Whether the trace still has this gate or policy blocking."""
    return any(
        e["result"] == "block"
        and e["policyName"] == block["policyName"]
        and e["ruleType"] == block["ruleType"]
        for e in decision["trace"]
    )


# -- (a) fast ≡ explain --------------------------------------------------------------------------
@given(policy_sets(), requests())
def test_fast_mode_agrees_with_explain_mode(policies: list[dict[str, Any]], req: dict[str, Any]) -> None:
    eng = engine(policies)
    fast = [d.to_json() for d in eng.decide_json(req, explain=False)]
    full = [d.to_json() for d in eng.decide_json(req, explain=True)]
    assert [head(d) for d in fast] == [head(d) for d in full]


# -- structural invariants -----------------------------------------------------------------------
@given(policy_sets(), requests())
def test_decisions_are_consistent(policies: list[dict[str, Any]], req: dict[str, Any]) -> None:
    decisions = explain(policies, req)
    assert len(decisions) == len(req["candidates"])
    inactive = {p["name"] for p in policies if p.get("status", "active") != "active" or p.get("deletedAt")}
    for decision in decisions:
        assert decision["allowed"] is (not decision["blockedBy"])
        blocks = [e for e in decision["trace"] if e["result"] == "block"]
        assert [(b["policyName"], b["ruleType"]) for b in blocks] == [
            (b["policyName"], b["ruleType"]) for b in decision["blockedBy"]
        ]
        # one trace entry per policy, after the gates, in evaluation order
        names = [e["policyName"] for e in decision["trace"] if e["priority"] is not None]
        assert sorted(names) == sorted(p["name"] for p in policies)
        gates = [e["ruleType"] in ("consent", "suppression") for e in decision["trace"]]
        assert gates == sorted(gates, reverse=True)
        priorities = [
            e["priority"] for e in decision["trace"] if e["ruleType"] not in ("consent", "suppression")
        ]
        assert priorities == sorted(priorities, reverse=True)
        instants = [b["eligibleAt"] for b in decision["blockedBy"]]
        for instant in instants:
            assert instant is None or Z_SECONDS.match(instant)
        if not decision["blockedBy"] or None in instants:
            assert decision["eligibleAt"] is None
        else:
            assert decision["eligibleAt"] == max(instants)
        for e in decision["trace"]:
            if e["ruleType"] == "time_window" and e["result"] == "block" and e["eligibleAt"]:
                assert e["eligibleAt"].endswith(":00Z")  # whole minutes
            if e["ruleType"] == "mutual_exclusion" and e["result"] == "block":
                assert e["eligibleAt"] is None
            if e["ruleType"] == "do_not_contact" and e["result"] == "skipped":
                assert e["policyName"] in inactive  # never bypassed, only skipped when inactive
        active_overrides = [
            e for e in decision["trace"] if e["ruleType"] == "allow_override" and e["result"] == "override"
        ]
        if decision["overriddenBy"] is not None:
            assert active_overrides


# -- (b) eligibleAt lifts exactly then -----------------------------------------------------------
@given(
    st.one_of(policy_sets(min_size=1), policy_sets(min_size=1, rules=TIME_BOUND)), requests(max_candidates=1)
)
def test_each_block_lifts_at_its_eligible_at_and_not_a_second_before(
    policies: list[dict[str, Any]], req: dict[str, Any]
) -> None:
    # One candidate per request, so mutual exclusion with earlier candidates cannot move.
    # Checked for every block that has an eligibleAt (a superset of "decisions whose every
    # block is time-bound": each block's eligibleAt is its own promise).
    (decision,) = explain(policies, req)
    now = parse(req["now"])
    keys = [(b["policyName"], b["ruleType"]) for b in decision["blockedBy"]]
    assert len(keys) == len(set(keys))
    timed = [b for b in decision["blockedBy"] if b["eligibleAt"] is not None]
    event("time-bound blocks", str(min(len(timed), 3)))
    for block in timed:
        eligible = parse(block["eligibleAt"])
        assert eligible > now
        (at_eligible,) = explain(policies, {**req, "now": iso(eligible)})
        assert not still_blocks(at_eligible, block), (block, at_eligible["trace"])
        (just_before,) = explain(policies, {**req, "now": iso(eligible - timedelta(seconds=1))})
        assert still_blocks(just_before, block), (block, just_before["trace"])


# -- (c) one more impression never lifts a cap ---------------------------------------------------
@given(policy_sets(min_size=1), requests(), st.data())
def test_one_more_impression_never_lifts_a_cap(
    policies: list[dict[str, Any]], req: dict[str, Any], data: st.DataObject
) -> None:
    before = explain(policies, req)
    now = parse(req["now"])
    for index, decision in enumerate(before):
        capped = [b["policyName"] for b in decision["blockedBy"] if b["ruleType"] in CAPS]
        if not capped:
            continue
        cand = req["candidates"][index]
        back = timedelta(seconds=data.draw(st.integers(0, 40 * 86400)))
        extra = {
            "timestamp": iso(now - back),
            "outcome": "impression",
            **{k: v for k, v in cand.items() if k not in ("channelType", "isMandatory")},
        }
        campaign = data.draw(optional(st.sampled_from(CAMPAIGNS)))
        if campaign is not None:
            extra["campaignId"] = campaign
        after = explain(policies, {**req, "interactions": [*req["interactions"], extra]})
        for name in capped:
            assert any(e["policyName"] == name and e["result"] == "block" for e in after[index]["trace"]), (
                name
            )


# -- small sanity checks of the generators -------------------------------------------------------
@given(requests())
def test_generated_interactions_are_never_after_now(req: dict[str, Any]) -> None:
    now = parse(req["now"])
    assert all(parse(i["timestamp"]) <= now for i in req["interactions"])
    assert math.isfinite(now.timestamp())


# -- more SPEC promises --------------------------------------------------------------------------
@given(policy_sets(), requests(), st.data())
def test_interactions_after_now_are_ignored_everywhere(
    policies: list[dict[str, Any]], req: dict[str, Any], data: st.DataObject
) -> None:
    now = parse(req["now"])
    future = []
    for item in data.draw(st.lists(an_interaction(now), min_size=1, max_size=5)):
        ahead = now - parse(item["timestamp"]) + timedelta(microseconds=data.draw(st.integers(1, 10**9)))
        future.append({**item, "timestamp": iso(now + ahead)})
    with_future = {**req, "interactions": [*req["interactions"], *future]}
    assert explain(policies, with_future) == explain(policies, req)


@given(policy_sets(), requests(), st.randoms(use_true_random=False))
def test_the_order_of_interactions_does_not_matter(
    policies: list[dict[str, Any]], req: dict[str, Any], rng: Random
) -> None:
    shuffled = list(req["interactions"])
    rng.shuffle(shuffled)
    assert explain(policies, {**req, "interactions": shuffled}) == explain(policies, req)


def bypassable(policy: dict[str, Any]) -> bool:
    return policy["ruleType"] != "do_not_contact" and policy["config"].get("bypassable") is not False


@given(policy_sets(), requests(), st.sampled_from([0, 50, 100]))
def test_a_global_override_leaves_only_gates_and_non_bypassable_blocks(
    policies: list[dict[str, Any]], req: dict[str, Any], priority: int
) -> None:
    override = {"name": "global override", "ruleType": "allow_override", "config": {}, "scope": "global"}
    policies = [*policies, {**override, "priority": priority}]
    by_name = {p["name"]: p for p in policies}
    for decision in explain(policies, req):
        for block in decision["blockedBy"]:
            if block["ruleType"] in ("consent", "suppression"):
                assert block["policyId"] is None
                continue
            assert not bypassable(by_name[block["policyName"]]), block


@given(policy_sets(), requests())
def test_a_mandatory_candidate_obeys_only_caps_gates_and_non_bypassable_rules(
    policies: list[dict[str, Any]], req: dict[str, Any]
) -> None:
    req = {**req, "candidates": [{**c, "isMandatory": True} for c in req["candidates"]]}
    by_name = {p["name"]: p for p in policies}
    for decision in explain(policies, req):
        for block in decision["blockedBy"]:
            if block["ruleType"] in ("consent", "suppression"):
                continue
            p = by_name[block["policyName"]]
            assert p["ruleType"] in ("frequency_cap", "cross_channel_cap") or not bypassable(p), block
