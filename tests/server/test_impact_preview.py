"""`POST /contact-policies/impact-preview` (SPEC §6.3): the seed's frequency-cap projection
counted by hand on a small population, the policy replay counted by hand and equal to
running `cpol.Engine` on the same requests, every problem at its path, the sample's bounds,
tenant isolation, viewers allowed, never a 5xx."""

from __future__ import annotations

import json
import math
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cpol
from tests.runtime.test_properties import a_candidate, a_policy, an_interaction, policy_sets

from .client import POLICIES, KeyMaker, Reply, Server
from .interactions import as_decided, interaction, respond
from .test_no_5xx import JSON

PREVIEW = f"{POLICIES}/impact-preview"
NOW = "2090-03-20T12:00:00.000Z"
Json = dict[str, Any]


def _contact(customer: str, when: str, outcome: str = "impression", offer: str = "off_welcome") -> Json:
    """An interaction of March 2030 (`when` is `DDTHH:MM`): off_welcome by email, off_refi by SMS."""
    channel = "ch_email" if offer == "off_welcome" else "ch_sms"
    stamp = f"2090-03-{when}:00Z"
    return interaction(
        customerId=customer, offerId=offer, channelId=channel, outcome=outcome, timestamp=stamp
    )


#: Seen from NOW, a 7-day window is (03-13T12:00, 03-20T12:00]:
#: c1 3 impressions in it; c2 1 (and 2 before it); c3 1 (one more exactly at its start, not
#: in it) and a click on off_refi; c4 2 (one exactly at NOW) and a click on off_refi;
#: c5 none (one after NOW, one on 03-01).
POPULATION = [
    _contact("c1", "15T10:00"),
    _contact("c1", "16T10:00"),
    _contact("c1", "17T10:00"),
    _contact("c2", "10T10:00"),
    _contact("c2", "11T10:00"),
    _contact("c2", "18T10:00"),
    _contact("c3", "13T12:00"),
    _contact("c3", "19T10:00"),
    _contact("c3", "19T13:00", "click", "off_refi"),
    _contact("c4", "14T10:00"),
    _contact("c4", "20T12:00"),
    _contact("c4", "16T10:00", "click", "off_refi"),
    _contact("c5", "21T10:00"),
    _contact("c5", "01T10:00"),
]
OFFERS = {
    "off_welcome": {"name": "Welcome Offer", "categoryId": "cat_cards"},
    "off_refi": {"name": "Mortgage Refi", "categoryId": "cat_loans"},
}


@dataclass(frozen=True)
class Tenant:
    admin: str
    viewer: str


def _put(server: Server, key: str, path: str, body: Json) -> None:
    reply = server.call("PUT", f"/api/v1/{path}", key=key, json_body=body)
    assert reply.status in (200, 201), reply.body


def _populated(server: Server, make_key: KeyMaker) -> Tenant:
    """A new tenant with the catalogue and POPULATION, and a neighbour tenant whose history
    (of the same customers, and one more) and blocking policy must never count."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    tenant = Tenant(make_key(name, "admin"), make_key(name, "viewer"))
    for offer_id, offer in OFFERS.items():
        _put(server, tenant.admin, f"offers/{offer_id}", offer)
    _put(server, tenant.admin, "channels/ch_sms", {"name": "SMS", "type": "sms"})
    respond(server, tenant.admin, {"interactions": POPULATION})
    neighbour = make_key(f"{name}_neighbour", "admin")
    crowd = [_contact(c, f"1{d}T09:00") for c in ("c1", "c2", "c3", "c4", "c5", "c6") for d in range(5, 10)]
    respond(server, neighbour, {"interactions": crowd})
    blocks_all = {
        "name": "Nothing",
        "scope": "global",
        "ruleType": "frequency_cap",
        "config": {"maxTotal": 0},
    }
    assert server.call("POST", POLICIES, key=neighbour, json_body=blocks_all).status == 201
    return tenant


@pytest.fixture(scope="module")
def population(server: Server, make_key: KeyMaker) -> Tenant:
    return _populated(server, make_key)


def _preview(server: Server, key: str, body: Json) -> Json:
    reply = server.call("POST", PREVIEW, key=key, json_body=body)
    assert reply.status == 200, (body, reply.body)
    answer: Json = reply.json()
    return answer


def _seed(scope: Json, cap: tuple[int, int, str], sample: int = 1000) -> Json:
    config = dict(zip(("maxFrequency", "periodDays", "outcomeType"), cap, strict=True))
    return {"policyType": "frequency_cap", **scope, "config": config, "sampleSize": sample, "now": NOW}


GLOBAL: Json = {}
EMAIL = {"scope": "channel", "scopeId": "ch_email"}
REFI_OFFER = {"scope": "offer", "scopeId": "off_refi"}
LOANS = {"scope": "category", "scopeId": "cat_loans"}
BOTH = {"Welcome Offer": 2, "Mortgage Refi": 1}
# scope, (maxFrequency, periodDays, outcomeType) -> analyzed, affected, %, offersSuppressed, avg before, after
SEED_CASES = [
    (GLOBAL, (2, 7, "impression"), 4, 2, 50.0, BOTH, 1.5, 0.8),
    (GLOBAL, (3, 7, "impression"), 4, 1, 25.0, {"Welcome Offer": 1}, 1.5, 1.3),  # 1.25: halves up
    (GLOBAL, (4, 7, "impression"), 4, 0, 0.0, {}, 1.5, 1.5),
    (EMAIL, (2, 7, "impression"), 4, 2, 50.0, {"Welcome Offer": 2}, 1.5, 1.0),
    (GLOBAL, (1, 7, "click"), 4, 2, 50.0, {"Mortgage Refi": 2, "Welcome Offer": 2}, 1.5, 0.5),
    (REFI_OFFER, (1, 7, "click"), 4, 2, 50.0, {"Mortgage Refi": 2}, 1.5, 1.0),
    (LOANS, (1, 7, "click"), 4, 2, 50.0, {"Mortgage Refi": 2}, 1.5, 1.0),
    ({"scopeId": "ignored"}, (1, 1, "impression"), 2, 1, 50.0, {"Welcome Offer": 1}, 1.0, 0.5),
]


@pytest.mark.parametrize(
    ("scope", "cap", "analyzed", "affected", "percent", "suppressed", "before", "after"), SEED_CASES
)
def test_the_seeds_form_counts_the_window_by_hand(
    server: Server,
    population: Tenant,
    scope: Json,
    cap: tuple[int, int, str],
    analyzed: int,
    affected: int,
    percent: float,
    suppressed: dict[str, int],
    before: float,
    after: float,
) -> None:
    answer = _preview(server, population.viewer, _seed(scope, cap))
    assert answer == {
        "totalCustomersAnalyzed": analyzed,
        "customersAffected": affected,
        "affectedPercent": percent,
        "offersSuppressed": suppressed,
        "avgOffersBeforePolicy": before,
        "avgOffersAfterPolicy": after,
        "topAffectedSegments": [],
        "now": NOW,
    }
    assert list(answer["offersSuppressed"]) == list(suppressed)  # most first, then by name


def test_without_now_the_server_clock_is_now(server: Server, population: Tenant) -> None:
    body = {k: v for k, v in _seed(GLOBAL, (2, 7, "impression")).items() if k != "now"}
    answer = _preview(server, population.viewer, body)
    assert datetime.fromisoformat(answer["now"]).year >= 2026  # the clock's now, not NOW
    assert answer["totalCustomersAnalyzed"] == 0  # March 2090 is in the future: nobody active yet


def _weekly_cap(most: int, **fields: Any) -> Json:
    return {
        "name": "Weekly cap",
        "scope": "global",
        "ruleType": "frequency_cap",
        "config": {"maxPerWeek": most},
    } | fields


def _flips(policy_id: str | None, blocked: int = 0, unblocked: int = 0) -> Json:
    """A `byPolicy` item of the weekly cap."""
    names = {"policyId": policy_id, "policyName": "Weekly cap", "ruleType": "frequency_cap"}
    return {**names, "blocked": blocked, "unblocked": unblocked}


def _replay(server: Server, key: str, policy: Json | str, sample: int | str = "all") -> Json:
    return _preview(server, key, {"policy": policy, "sampleSize": sample, "now": NOW})


def test_the_policy_form_replays_the_contacts_of_the_last_30_days(server: Server, population: Tenant) -> None:
    """No logged decision: each customer is asked about their offer/channel pairs (c3 and c4
    two, the others one); the weekly cap of 2 blocks c1 (3) and c4 (2) only."""
    answer = _replay(server, population.viewer, _weekly_cap(2))
    assert answer == {
        "totalCustomersAnalyzed": 5,
        "customersAffected": 2,
        "affectedPercent": 40.0,
        "offersSuppressed": {"Welcome Offer": 2, "Mortgage Refi": 1},
        "avgOffersBeforePolicy": 1.4,
        "avgOffersAfterPolicy": 0.8,
        "topAffectedSegments": [],
        "now": NOW,
        "candidatesAnalyzed": 7,
        "candidatesBlocked": 3,
        "candidatesUnblocked": 0,
        "customersUnblocked": 0,
        "offersUnblocked": {},
        "byPolicy": [
            {
                "policyId": None,
                "policyName": "Weekly cap",
                "ruleType": "frequency_cap",
                "blocked": 3,
                "unblocked": 0,
            }
        ],
    }
    # the most recently active first: c4 (at NOW), then c3
    first_two = _replay(server, population.viewer, _weekly_cap(2), sample=2)
    assert (
        first_two["totalCustomersAnalyzed"],
        first_two["customersAffected"],
        first_two["candidatesAnalyzed"],
    ) == (
        2,
        1,
        4,
    )


def _decide(server: Server, key: str, customer: str, candidates: list[Json], fields: Json) -> None:
    body = {"customerId": customer, "candidates": candidates, "customer": fields}
    reply = server.call("POST", "/api/v1/decide", key=key, json_body=body)
    assert reply.status == 200, reply.body


WELCOME = {"offerId": "off_welcome", "channelId": "ch_email"}
REFI = {"offerId": "off_refi", "channelId": "ch_sms"}


def test_the_policy_form_uses_logged_decisions_live_policies_and_manual_records(
    server: Server, make_key: KeyMaker
) -> None:
    """Live: a weekly cap of 2. c1 and c2 were decided (vip; c2 opted out of SMS, so its
    off_refi candidate is blocked by consent whatever the policies); c5 is suppressed by
    hand. Tightening the cap to 1 newly blocks c2's off_welcome and both of c3's pairs;
    pausing it frees c1 and c4's two pairs."""
    tenant = _populated(server, make_key)
    created = server.call("POST", POLICIES, key=tenant.admin, json_body=_weekly_cap(2))
    assert created.status == 201, created.body
    _decide(server, tenant.admin, "c1", [WELCOME], {"segments": ["vip"]})
    _decide(
        server,
        tenant.admin,
        "c2",
        [WELCOME, REFI],
        {"segments": ["vip", "news"], "consent": {"sms": "opted_out"}},
    )
    manual = {"scope": "global", "reason": "asked for a break", "expiresAt": "2099-01-01T00:00:00Z"}
    assert (
        server.call("POST", "/api/v1/customers/c5/suppressions", key=tenant.admin, json_body=manual).status
        == 201
    )

    tighter = _replay(server, tenant.viewer, _weekly_cap(1))
    assert {k: v for k, v in tighter.items() if k != "now"} == {
        "totalCustomersAnalyzed": 5,
        "customersAffected": 2,
        "affectedPercent": 40.0,
        "offersSuppressed": {"Welcome Offer": 2, "Mortgage Refi": 1},
        "avgOffersBeforePolicy": 0.6,
        "avgOffersAfterPolicy": 0.0,
        "topAffectedSegments": [
            {"segment": "news", "affected": 1, "total": 1},
            {"segment": "vip", "affected": 1, "total": 2},
        ],
        "candidatesAnalyzed": 8,
        "candidatesBlocked": 3,
        "candidatesUnblocked": 0,
        "customersUnblocked": 0,
        "offersUnblocked": {},
        "byPolicy": [_flips(None, blocked=3)],
    }
    as_text = _replay(server, tenant.viewer, 'policy "Weekly cap" {\n  cap 1 per week\n}\n')
    assert as_text == tighter

    paused = _replay(server, tenant.viewer, _weekly_cap(2, status="paused"))
    assert {k: paused[k] for k in ("customersAffected", "candidatesUnblocked", "customersUnblocked")} == {
        "customersAffected": 0,
        "candidatesUnblocked": 3,
        "customersUnblocked": 2,
    }
    assert paused["offersUnblocked"] == {"Welcome Offer": 2, "Mortgage Refi": 1}
    assert (paused["avgOffersBeforePolicy"], paused["avgOffersAfterPolicy"]) == (0.6, 1.2)
    live_id = created.json()["id"]
    assert paused["byPolicy"] == [
        {
            "policyId": live_id,
            "policyName": "Weekly cap",
            "ruleType": "frequency_cap",
            "blocked": 0,
            "unblocked": 3,
        }
    ]


def test_the_policy_text_may_use_the_standard_library(server: Server, population: Tenant) -> None:
    text = 'use "compliance/adverse_outcomes_quarantine" with suppressForDays 30\n'
    answer = _replay(server, population.viewer, text)
    assert (answer["totalCustomersAnalyzed"], answer["customersAffected"]) == (5, 0)  # no adverse outcome


# -- the policy form equals the engine run by hand ------------------------------------------------
PROPERTY_NOW = datetime(2090, 6, 15, 12, 0, tzinfo=UTC)
CUSTOMERS = ("p1", "p2", "p3")


def _stamp(instant: datetime) -> str:
    return instant.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@st.composite
def populations(draw: st.DrawFn) -> Json:
    """Per customer: a history of the last 40 days, and maybe a logged decision."""
    now = PROPERTY_NOW - timedelta(seconds=draw(st.integers(0, 3 * 86400)))
    histories = {c: draw(st.lists(an_interaction(now), max_size=8)) for c in CUSTOMERS}
    segments = st.lists(st.sampled_from(["s1", "s2"]), unique=True).map(lambda s: {"segments": s})
    decided = {
        c: (draw(st.lists(a_candidate(), min_size=1, max_size=4)), draw(segments))
        for c in draw(st.lists(st.sampled_from(CUSTOMERS), unique=True))
    }
    return {"now": _stamp(now), "histories": histories, "decided": decided}


def _pairs(history: list[Json], since: str) -> list[Json]:
    """The offer/channel pairs of the history after `since`, the latest first (as documented)."""
    fields = ("offerId", "channelId", "creativeId", "categoryId", "subCategoryId", "offerCategory")
    recorded = sorted((h for h in history if h["timestamp"] > since), key=lambda h: h["timestamp"])
    newest = reversed(recorded)  # among equal timestamps, the one recorded last first
    pairs: dict[tuple[str, str], Json] = {}
    for item in newest:
        pairs.setdefault((item["offerId"], item["channelId"]), {k: item[k] for k in fields if k in item})
    return list(pairs.values())


def _tenth(numerator: int, denominator: int) -> float:
    return math.floor(Fraction(10 * numerator, denominator) + Fraction(1, 2)) / 10 if denominator else 0.0


def _expected(requests: list[Json], live: list[Json], proposed: Json) -> Json:
    """What the preview must answer, from the engine run here on the same requests."""
    before = cpol.Engine(cpol.load_json(live))
    others = [p for p in live if p["name"] != proposed["name"]]
    after = cpol.Engine(cpol.load_json([*others, proposed]))
    affected, blocked, unblocked, offers_before, offers_after, lost = 0, 0, 0, 0, 0, Counter[str]()
    for request in requests:
        was, now = before.decide_json(request), after.decide_json(request)
        newly = sum(w.allowed and not n.allowed for w, n in zip(was, now, strict=True))
        affected += bool(newly)
        blocked += newly
        unblocked += sum(n.allowed and not w.allowed for w, n in zip(was, now, strict=True))
        kept = [{d.candidate.offerId for d in decided if d.allowed} for decided in (was, now)]
        offers_before, offers_after = offers_before + len(kept[0]), offers_after + len(kept[1])
        lost.update(kept[0] - kept[1])
    return {
        "totalCustomersAnalyzed": len(requests),
        "customersAffected": affected,
        "candidatesAnalyzed": sum(len(r["candidates"]) for r in requests),
        "candidatesBlocked": blocked,
        "candidatesUnblocked": unblocked,
        "offersSuppressed": dict(lost),
        "avgOffersBeforePolicy": _tenth(offers_before, len(requests)),
        "avgOffersAfterPolicy": _tenth(offers_after, len(requests)),
    }


def _recorded(server: Server, key: str, customer: str, history: list[Json]) -> list[Json]:
    if not history:
        return []
    sent = [{"customerId": customer, "channelId": "ch_email", **item} for item in history]
    return [as_decided(i) for i in respond(server, key, {"interactions": sent})["interactions"]]


def _logged_request(server: Server, key: str, customer: str) -> Json:
    listed = server.call("GET", f"/api/v1/customers/{customer}/decisions?limit=1", key=key).json()["data"]
    entry = server.call("GET", f"/api/v1/decisions/{listed[0]['decisionId']}", key=key).json()
    request: Json = entry["request"]
    return request


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(live=policy_sets(max_size=4), proposed=a_policy(9), replaces=st.booleans(), drawn=populations())
def test_the_policy_form_decides_as_the_engine_does(
    server: Server, make_key: KeyMaker, live: list[Json], proposed: Json, replaces: bool, drawn: Json
) -> None:
    """Any live set, any proposal (new, or replacing a live policy of its name), any
    histories, logged decisions or not: the counts are the engine's on the same requests."""
    key = make_key(f"t_{uuid.uuid4().hex[:12]}")
    if replaces and live:
        proposed = {**proposed, "name": live[0]["name"]}
    imported = server.call("POST", f"{POLICIES}/import", key=key, json_body=live)
    assert imported.status == 200, imported.body
    exported = server.call("GET", f"{POLICIES}/export", key=key).json()
    requests = [r for c in CUSTOMERS if (r := _request_of(server, key, c, drawn)) is not None]
    answer = _preview(server, key, {"policy": proposed, "sampleSize": "all", "now": drawn["now"]})
    expected = _expected(requests, exported, proposed)
    assert {k: answer[k] for k in expected} == expected


def _request_of(server: Server, key: str, customer: str, drawn: Json) -> Json | None:
    """Record the customer's history (and decide, when drawn); the request the preview must
    replay for them, as documented (None when they have neither)."""
    now = drawn["now"]
    history = _recorded(server, key, customer, drawn["histories"][customer])
    asked: Json
    if customer in drawn["decided"]:
        candidates, fields = drawn["decided"][customer]
        _decide(server, key, customer, candidates, fields)
        logged = _logged_request(server, key, customer)
        asked = {k: logged[k] for k in ("customer", "budgets", "candidates") if k in logged}
    elif history:
        since = _stamp(datetime.fromisoformat(now) - timedelta(days=30))
        asked = {"customer": {"id": customer}, "candidates": _pairs(history, since)}
    else:
        return None
    return {"now": now, "interactions": [h for h in history if h["timestamp"] <= now], **asked}


# -- problems, bounds, roles ----------------------------------------------------------------------
CAP = {"maxFrequency": 2, "periodDays": 7, "outcomeType": "impression"}


def _form(**fields: Any) -> Json:
    """A body of the seed's form: `fields` over a valid one."""
    return {"policyType": "frequency_cap", "config": CAP, **fields}


def _capped(**config: Any) -> Json:
    return _form(config={**CAP, **config})


def _asking(**fields: Any) -> Json:
    """A body of the policy form: `fields` over a valid one."""
    return {"policy": _weekly_cap(1), **fields}


PROBLEMS = [
    ({}, "policyType", "required"),
    ({"policyType": "frequency_cap"}, "config", "required"),
    (_form(policyType="cooldown"), "policyType", "only frequency_cap is supported"),
    (_form(scope="offer"), "scopeId", "required for scope offer"),
    (_form(scope="creative", scopeId="c"), "scope", "must be one of"),
    (_capped(maxFrequency=0), "config.maxFrequency", "greater than"),
    (_capped(maxFrequency=1.5), "config.maxFrequency", "integer"),
    (_capped(maxFrequency=2**53), "config.maxFrequency", "less than"),
    (_capped(periodDays=366), "config.periodDays", "less than"),
    (_capped(periodDays=0), "config.periodDays", "greater than"),
    (_capped(outcomeType=""), "config.outcomeType", "empty"),
    (_capped(per="offer"), "config.per", "unknown field"),
    (_form(sampleSize=99), "sampleSize", "greater than"),
    (_form(sampleSize=10_001), "sampleSize", "less than"),
    (_form(sampleSize="all"), "sampleSize", "integer"),
    (_form(now="yesterday"), "now", "not an ISO 8601"),
    (_asking(policy=7), "policy", "must be a policy"),
    (_asking(policy={"name": "x", "ruleType": "nope"}), "policy.ruleType", "nope"),
    (_asking(policy=_weekly_cap(-1)), "policy.config.maxPerWeek", "≥ 0"),
    (_asking(policy=_weekly_cap(1, scope="offer")), "policy.scopeId", "required"),
    (_asking(policy='policy "x" {\n  cap 2 per fortnight\n}\n'), "policy", "line 2, column"),
    (_asking(policy=""), "policy", "exactly one policy block, not 0"),
    (_asking(policy='use "shared/caps.cpol"\n'), "policy", "only the standard library"),
    (_asking(sampleSize=0), "sampleSize", 'or "all"'),
    (_asking(sampleSize=10_001), "sampleSize", 'or "all"'),
    (_asking(sampleSize=True), "sampleSize", 'or "all"'),
    (_asking(policyType="frequency_cap"), "policyType", "unknown field"),
]


@pytest.mark.parametrize(("body", "path", "words"), PROBLEMS)
def test_every_problem_is_a_400_at_its_path(
    server: Server, population: Tenant, body: Json, path: str, words: str
) -> None:
    reply = server.call("POST", PREVIEW, key=population.viewer, json_body=body)
    assert reply.status == 400, reply.body
    details = reply.error["details"]
    assert any(d["path"] == path and words in d["message"] for d in details), details


@pytest.mark.parametrize(
    "body",
    [
        _seed(GLOBAL, (2, 7, "impression"), sample=100),
        _seed(GLOBAL, (2, 7, "impression"), sample=10_000),
        {"policy": _weekly_cap(2), "sampleSize": 1, "now": NOW},
        {"policy": _weekly_cap(2), "sampleSize": 10_000, "now": NOW},
        {"policy": _weekly_cap(2)},
        _capped(periodDays=365, maxFrequency=2**53 - 1),
        _form(now="0001-01-01T00:00:00Z"),
    ],
)
def test_the_bounds_are_accepted(server: Server, population: Tenant, body: Json) -> None:
    _preview(server, population.viewer, body)


def test_the_sample_size_bounds_the_customers_analyzed(server: Server, population: Tenant) -> None:
    sizes = [
        _replay(server, population.viewer, _weekly_cap(2), n)["totalCustomersAnalyzed"] for n in (1, 3, 5, 6)
    ]
    assert sizes == [1, 3, 5, 5]


def test_keys_and_roles(server: Server, population: Tenant, make_key: KeyMaker) -> None:
    body = _seed(GLOBAL, (2, 7, "impression"))
    assert server.call("POST", PREVIEW, json_body=body).status == 401
    assert server.call("POST", PREVIEW, key="cpol_nope", json_body=body).status == 401
    stranger = make_key(f"t_{uuid.uuid4().hex[:12]}", "viewer")
    assert _preview(server, stranger, body)["totalCustomersAnalyzed"] == 0  # nothing of ours
    reply = server.call(
        "POST", PREVIEW, key=population.viewer, data=b"x", headers={"Content-Type": "text/plain"}
    )
    assert reply.status == 415


def _answered(reply: Reply) -> None:
    assert reply.status in (200, 400), reply.body
    if reply.status == 400:
        assert reply.error["code"] == "validation_error"


SEED_KEYS = st.sampled_from(["policyType", "scope", "scopeId", "config", "sampleSize", "now", "policy"])


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=JSON
    | st.dictionaries(SEED_KEYS, JSON, max_size=4).map(lambda d: {**_seed(GLOBAL, (2, 7, "impression")), **d})
    | st.dictionaries(st.sampled_from(list(CAP)), JSON, max_size=3).map(
        lambda d: {**_seed(GLOBAL, (2, 7, "impression")), "config": {**CAP, **d}}
    )
    | st.dictionaries(st.sampled_from(["sampleSize", "now", "policy"]), JSON, max_size=3).map(
        lambda d: {"policy": _weekly_cap(2), **d}
    )
)
def test_no_body_gives_a_5xx(server: Server, population: Tenant, body: object) -> None:
    _answered(
        server.call(
            "POST",
            PREVIEW,
            key=population.viewer,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
    )
