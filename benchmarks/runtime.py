"""Runtime throughput: the engine's fast and explain modes against a hand-written baseline.

Run: `.venv/bin/python benchmarks/runtime.py [--repeat R] [--quick] [--per]`.

Generated requests (seeded, deterministic): one customer, N interactions over the last 60
days across a small universe of offers, channels, creatives, categories and campaigns,
M candidates, and 14 policies, one of each rule type. The main run is 200 interactions x
50 candidates; growth runs vary interactions (20 / 200 / 2,000 at 50 candidates) and
candidates (5 / 50 / 500 at 200 interactions). With `--per`, the frequency cap and the
cooldown count each offer apart and a 15th policy rests each offer after a rejection
(SPEC §1.1's `per`), so every candidate's offer is counted on its own.

The baseline (`baseline.py`) is the evaluator a team would write first: a loop over the
history per check, stopping at the first block. Before anything is timed, the baseline
and the engine's fast mode must agree on `allowed` and on the first blocking policy for
every candidate; a disagreement is printed and the script exits 1.

Timing: each figure is the best of R samples (`time.perf_counter`); a sample repeats the
call enough times to last at least 50 ms (10 ms with --quick) and is divided back. The
samples of every mode of every run are interleaved (round after round), so the ratios and
growth factors compare figures taken under the same load.
Request parsing is left out of the decide figures on both sides (the engine's `decide`
takes a parsed `Request`, the baseline's a `Prepared` request with its timestamps parsed)
and is timed on its own: `parse_request` for the engine, `baseline.prepare` for the
baseline. The engine's per-request indexing of the history is inside `decide`, so it is
counted.
"""

from __future__ import annotations

import argparse
import platform
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).parent))

import baseline
import cpol
from cpol.runtime import Engine, parse_request

NOW = datetime(2026, 3, 20, 14, 0, tzinfo=UTC)  # a Friday, 10:00 in New York
HISTORY_DAYS = 60
MAIN = (200, 50)
K = TypeVar("K")
INTERACTION_STEPS = (20, 200, 2000)
CANDIDATE_STEPS = (5, 50, 500)

# offerId: (categoryId, subCategoryId, offerCategory)
OFFERS: dict[str, tuple[str, str | None, str]] = {
    "off_cards_gold": ("cat_cards", "sub_gold", "credit cards"),
    "off_cards_cash": ("cat_cards", "sub_cashback", "credit cards"),
    "off_cards_travel": ("cat_cards", "sub_travel", "credit cards"),
    "off_loan_auto": ("cat_loans", "sub_auto", "loans"),
    "off_loan_personal": ("cat_loans", "sub_personal", "loans"),
    "off_mortgage_fix": ("cat_mortgage", "sub_fixed", "mortgage"),
    "off_mortgage_var": ("cat_mortgage", "sub_variable", "mortgage"),
    "off_savings_plus": ("cat_savings", None, "savings"),
    "off_savings_kids": ("cat_savings", None, "savings"),
    "off_insurance_home": ("cat_insurance", "sub_home", "insurance"),
    "off_insurance_travel": ("cat_insurance", "sub_travel_ins", "insurance"),
    "off_welcome": ("cat_banking", None, "banking"),
}
# channelId: (channelType, weight in the history, weight among candidates)
CHANNELS: dict[str, tuple[str, int, int]] = {
    "ch_email": ("email", 45, 40),
    "ch_sms": ("sms", 15, 20),
    "ch_push": ("push", 10, 5),
    "ch_web": ("web", 30, 35),
}
CAMPAIGNS = [None, None, "camp_spring", "camp_retention", "camp_service"]
OUTCOMES = [("impression", 850), ("click", 80), ("rejected", 50), ("complaint", 2), ("unsubscribe", 2)]


def _creative(offer: str, channel: str, variant: int) -> str:
    return f"cr_{offer[4:]}_{channel[3:]}_{variant}"


def _stamp(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def interactions(count: int, seed: int) -> list[dict[str, Any]]:
    """`count` interactions over the last 60 days (a few stamped just after now: clock skew)."""
    rng = random.Random(f"{seed}-history")
    offers = list(OFFERS)
    channels = list(CHANNELS)
    channel_weights = [CHANNELS[c][1] for c in channels]
    outcomes = [o for o, _ in OUTCOMES]
    outcome_weights = [w for _, w in OUTCOMES]
    out = []
    for index in range(count):
        offer = rng.choice(offers)
        channel = rng.choices(channels, channel_weights)[0]
        category, sub, offer_category = OFFERS[offer]
        if rng.random() < 0.01:
            at = NOW + timedelta(minutes=rng.randint(1, 90))
        else:
            at = NOW - timedelta(seconds=rng.randint(60, HISTORY_DAYS * 86400))
        item: dict[str, Any] = {
            "id": f"ih_{index:05d}",
            "timestamp": _stamp(at),
            "outcome": rng.choices(outcomes, outcome_weights)[0],
            "offerId": offer,
            "channelId": channel,
            "creativeId": _creative(offer, channel, rng.randint(1, 2)),
            "categoryId": category,
            "subCategoryId": sub,
            "offerCategory": offer_category,
            "campaignId": rng.choice(CAMPAIGNS),
        }
        out.append(item)
    return out


def candidates(count: int, seed: int) -> list[dict[str, Any]]:
    """`count` candidates in rank order; about one in twenty is mandatory."""
    rng = random.Random(f"{seed}-candidates")
    offers = list(OFFERS)
    channels = list(CHANNELS)
    channel_weights = [CHANNELS[c][2] for c in channels]
    out = []
    for _ in range(count):
        offer = rng.choice(offers)
        channel = rng.choices(channels, channel_weights)[0]
        category, sub, offer_category = OFFERS[offer]
        out.append(
            {
                "offerId": offer,
                "channelId": channel,
                "channelType": CHANNELS[channel][0],
                "creativeId": _creative(offer, channel, rng.randint(1, 3)),
                "categoryId": category,
                "subCategoryId": sub,
                "offerCategory": offer_category,
                "isMandatory": rng.random() < 0.05,
            }
        )
    return out


def request(n_interactions: int, n_candidates: int, seed: int = 7) -> dict[str, Any]:
    return {
        "now": _stamp(NOW),
        "customer": {
            "id": "cust_bench",
            "timezone": "America/New_York",
            "segments": ["seg_active_email", "seg_cardholders"],
            "metrics": {"met_complaint_rate": 0.01, "met_engagement": 0.42},
            "dnc": ["marketing_preferences_review"],
            "consent": {"email": "opted_in", "sms": "opted_in", "push": "opted_out"},
        },
        "interactions": interactions(n_interactions, seed),
        "budgets": {
            "off_cards_travel": {"impressions": 48_000, "spend": 5_200.0},
            "off_loan_auto": {"impressions": 9_500, "spend": 1_900.0},
            "off_welcome": {"impressions": 12_000, "spend": 800.0},
        },
        "suppressions": [
            {
                "id": "sup_1",
                "scope": "offer",
                "scopeId": "off_savings_kids",
                "policyType": "outcome_based",
                "reason": "rejected twice",
                "expiresAt": _stamp(NOW + timedelta(days=12)),
                "isActive": True,
            },
            {
                "id": "sup_2",
                "scope": "category",
                "scopeId": "cat_insurance",
                "policyType": "cooldown",
                "expiresAt": _stamp(NOW - timedelta(days=2)),
                "isActive": True,
            },
        ],
        "session": {"servedOfferIds": ["off_cards_gold"]},
        "candidates": candidates(n_candidates, seed),
    }


def _policy(index: int, name: str, rule: str, config: dict[str, Any], priority: int, **scope: Any) -> Any:
    policy: dict[str, Any] = {
        "id": f"cp_{index:03d}",
        "name": name,
        "status": "active",
        "ruleType": rule,
        "config": config,
        "priority": priority,
        "createdAt": f"{date(2026, 1, 1) + timedelta(days=index)}T09:00:00.000Z",
    }
    if "scopes" in scope:
        policy["scopes"] = [{"scope": s, "scopeId": i} for s, i in scope["scopes"]]
    else:
        policy.update(scope or {"scope": "global"})
    return policy


def policies() -> list[dict[str, Any]]:
    """One policy of each rule type, configured the way a marketing team would."""
    return [
        _policy(1, "Internal do-not-contact", "do_not_contact", {"dncSource": "internal_dnc"}, 100),
        _policy(
            2,
            "Adverse outcomes quarantine",
            "outcome_based",
            {"afterOutcome": ["complaint", "unsubscribe"], "suppressForDays": 14, "bypassable": False},
            95,
            scopes=[("channel", "ch_email"), ("channel", "ch_sms")],
        ),
        _policy(
            3,
            "Exclude vulnerable customers",
            "segment_exclusion",
            {"excludeSegments": ["seg_minors", "seg_vulnerable"]},
            90,
        ),
        _policy(
            4,
            "High complaint rate",
            "metric_condition",
            {"metricId": "met_complaint_rate", "operator": "gt", "threshold": 0.05},
            90,
        ),
        _policy(
            5,
            "SMS quiet hours",
            "time_window",
            {"startHour": 9, "endHour": 20, "daysOfWeek": [1, 2, 3, 4, 5, 6]},
            85,
            scope="channel",
            scopeId="ch_sms",
        ),
        _policy(
            6,
            "Email fatigue cap",
            "frequency_cap",
            {"maxPerDay": 3, "maxPerWeek": 12, "excludeCampaignIds": ["camp_service"]},
            80,
            scope="channel",
            scopeId="ch_email",
        ),
        _policy(
            7,
            "Offer cooldown",
            "cooldown",
            {"cooldownHours": 12},
            75,
            scopes=[("category", "cat_loans"), ("category", "cat_mortgage")],
        ),
        _policy(
            8,
            "Offer weekly cross-channel cap",
            "cross_channel_cap",
            {"maxTotal": 4, "periodType": "weekly", "appliesAcross": ["ch_email", "ch_sms", "ch_web"]},
            70,
        ),
        _policy(
            9, "Customer monthly cap", "customer_total_cap", {"maxTotal": 120, "periodType": "monthly"}, 65
        ),
        _policy(
            10,
            "Credit card monthly cap",
            "offer_category_cap",
            {"targetCategory": "credit cards", "maxTotal": 20},
            60,
        ),
        _policy(
            11,
            "Campaign budget",
            "budget_exhausted",
            {"budgetField": "spend", "threshold": 1_500.0},
            55,
            scope="global",
        ),
        _policy(
            12,
            "Mortgage rest period",
            "category_suppression",
            {"categoryId": "cat_mortgage", "suppressionDays": 2},
            50,
        ),
        _policy(
            13,
            "One mortgage offer per session",
            "mutual_exclusion",
            {"excludeOfferIds": ["off_mortgage_fix", "off_mortgage_var"]},
            45,
        ),
        _policy(
            14,
            "Welcome journey override",
            "allow_override",
            {"reason": "onboarding journey always goes out"},
            40,
            scope="offer",
            scopeId="off_welcome",
        ),
    ]


def per_policies() -> list[dict[str, Any]]:
    """The same set, with the history-counting rules counting each offer apart (`per`)."""
    counted = {
        "Email fatigue cap": {"maxPerDay": 1, "maxPerWeek": 2, "per": "offer"},
        "Offer cooldown": {"cooldownHours": 72, "per": "offer"},
    }
    out = [{**p, "config": counted.get(p["name"], p["config"])} for p in policies()]
    rest = {"afterOutcome": "rejected", "suppressForDays": 14, "per": "offer"}
    return [*out, _policy(15, "Rest each offer after a rejection", "outcome_based", rest, 72)]


#: What the 86 scoped policies of `many_policies` do, in turn.
SCOPED_RULES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("frequency_cap", {"maxPerDay": 2, "maxPerWeek": 5}),
    ("cooldown", {"cooldownHours": 6}),
    ("outcome_based", {"afterOutcome": "rejected", "suppressForDays": 2}),
    ("budget_exhausted", {"budgetField": "spend", "threshold": 1e9}),
)


def many_policies() -> list[dict[str, Any]]:
    """The 14 policies and 86 more, each scoped to one offer, channel or category in turn: a
    set where a candidate is in the scope of only a few of the scoped policies."""
    categories = sorted({category for category, _, _ in OFFERS.values()})
    targets = [
        *(("offer", offer) for offer in OFFERS),
        *(("channel", channel) for channel in CHANNELS),
        *(("category", category) for category in categories),
    ]
    out = policies()
    for index in range(100 - len(out)):
        scope, scope_id = targets[index % len(targets)]
        rule, config = SCOPED_RULES[index % len(SCOPED_RULES)]
        name = f"{rule} on {scope} {scope_id} #{index}"
        priority = 40 + index % 20
        out.append(_policy(20 + index, name, rule, dict(config), priority, scope=scope, scopeId=scope_id))
    return out


# -- measuring --------------------------------------------------------------------------
def measure(actions: dict[K, Callable[[], object]], repeat: int, min_sample: float) -> dict[K, float]:
    """Seconds per call of each action: the best of `repeat` samples, each of enough calls to
    last `min_sample`. The samples of the actions are interleaved, so a burst of other work
    on the machine disturbs them alike rather than one of them, which would skew the ratios."""
    loops = {}
    for name, action in actions.items():
        loops[name] = 1
        if min_sample > 0:
            start = time.perf_counter()
            action()
            once = time.perf_counter() - start
            loops[name] = max(1, int(min_sample / max(once, 1e-9)) + 1)
    best = dict.fromkeys(actions, float("inf"))
    for _ in range(repeat):
        for name, action in actions.items():
            start = time.perf_counter()
            for _ in range(loops[name]):
                action()
            best[name] = min(best[name], (time.perf_counter() - start) / loops[name])
    return best


class Case:
    """One generated request, parsed both ways, with its timings."""

    def __init__(self, n_interactions: int, n_candidates: int, engine: Engine, base: baseline.Baseline):
        self.n_interactions = n_interactions
        self.n_candidates = n_candidates
        self.data = request(n_interactions, n_candidates)
        self.request, self.raw = parse_request(self.data)
        self.prepared = baseline.prepare(self.data)
        self.engine = engine
        self.base = base
        self.times: dict[str, float] = {}

    def fast(self) -> Any:
        return self.engine.decide(self.request, raw=self.raw)

    def explain(self) -> Any:
        return self.engine.decide(self.request, explain=True, raw=self.raw)

    def baseline(self) -> Any:
        return self.base.decide(self.prepared)

    def check(self) -> tuple[int, list[tuple[int, Any, Any, Any]]]:
        """(agreeing candidates, disagreements as (index, baseline, fast, explain))."""
        ours = self.baseline()
        fast = self.fast()
        explain = self.explain()
        agree = 0
        problems = []
        for index, (mine, quick, full) in enumerate(zip(ours, fast, explain, strict=True)):
            quick_first = quick.blocked_by[0].policy_name if quick.blocked_by else None
            full_first = full.blocked_by[0].policy_name if full.blocked_by else None
            if mine == (quick.allowed, quick_first) == (full.allowed, full_first):
                agree += 1
            else:
                problems.append((index, mine, quick, full))
        return agree, problems

    def allowed_share(self) -> float:
        return sum(d.allowed for d in self.fast()) / self.n_candidates

    def actions(self) -> dict[str, Callable[[], object]]:
        return {
            "baseline": self.baseline,
            "fast": self.fast,
            "explain": self.explain,
            "parse (engine)": lambda: parse_request(self.data),
            "parse (baseline)": lambda: baseline.prepare(self.data),
        }


def _report_disagreement(case: Case, problems: list[tuple[int, Any, Any, Any]]) -> None:
    index, mine, quick, full = problems[0]
    print(f"\nDISAGREEMENT on candidate {index} ({len(problems)} in all):", file=sys.stderr)
    print(f"  candidate: {case.data['candidates'][index]}", file=sys.stderr)
    print(f"  baseline:  allowed={mine[0]} first block={mine[1]!r}", file=sys.stderr)
    for label, decision in (("fast", quick), ("explain", full)):
        blocks = [(e.policy_name, e.reason) for e in decision.blocked_by]
        print(f"  {label + ':':<10} allowed={decision.allowed} blockedBy={blocks}", file=sys.stderr)
    for entry in full.trace or []:
        print(f"    trace {entry.result:<12} {entry.policy_name}: {entry.reason}", file=sys.stderr)


def _rate(case: Case, mode: str) -> float:
    return case.n_candidates / case.times[mode]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--repeat", type=int, default=None, help="samples per figure (default 7, quick 3)")
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run: shorter samples (10 ms), 3 of them"
    )
    workload = parser.add_mutually_exclusive_group()
    workload.add_argument("--per", action="store_true", help="policies that count each offer apart (per)")
    workload.add_argument("--many", action="store_true", help="100 policies, most scoped to one target")
    args = parser.parse_args()
    repeat = args.repeat if args.repeat is not None else (3 if args.quick else 7)
    min_sample = 0.01 if args.quick else 0.05

    raw_policies = per_policies() if args.per else many_policies() if args.many else policies()
    engine = Engine(cpol.load_json(raw_policies))
    base = baseline.Baseline(raw_policies)
    sizes = sorted(
        {MAIN, *((n, MAIN[1]) for n in INTERACTION_STEPS), *((MAIN[0], m) for m in CANDIDATE_STEPS)}
    )
    cases = {size: Case(*size, engine, base) for size in sizes}
    main_case = cases[MAIN]

    print(f"python {platform.python_version()} on {platform.machine()}, best of {repeat}")
    kind = (
        "one per rule type, three counting per offer"
        if args.per
        else "one per rule type, and 86 scoped to one offer, channel or category"
        if args.many
        else "one per rule type"
    )
    print(f"{len(raw_policies)} policies ({kind}); now = {_stamp(NOW)}")

    # -- agreement first: a benchmark of wrong answers is worthless ----------------------
    failed = False
    for size, case in cases.items():
        agree, problems = case.check()
        label = "main run" if size == MAIN else "growth run"
        print(
            f"agreement {label:<10} {size[0]:>5} interactions x {size[1]:>3} candidates: "
            f"{agree}/{case.n_candidates} candidates (baseline = fast = explain)"
        )
        if problems and not failed:
            _report_disagreement(case, problems)
            failed = True
    if failed:
        return 1
    decisions = main_case.fast()
    allowed = sum(d.allowed for d in decisions)
    firsts = Counter(d.blocked_by[0].policy_name for d in decisions if d.blocked_by)
    print(f"main run: {allowed}/{len(decisions)} allowed ({allowed / len(decisions):.0%}); first blocks:")
    for name, count in firsts.most_common():
        print(f"  {count:>3}  {name}")

    # every figure of every run in one interleaved measurement: ratios and growth factors
    # then compare samples taken under the same conditions
    actions = {(size, mode): act for size, case in cases.items() for mode, act in case.actions().items()}
    times = measure(actions, repeat, min_sample)
    for (size, mode), seconds in times.items():
        cases[size].times[mode] = seconds

    m = main_case
    print(f"\nmain run: {MAIN[0]} interactions x {MAIN[1]} candidates")
    for mode in ("baseline", "fast", "explain"):
        ms = m.times[mode] * 1000
        print(f"  {mode:<9} {ms:8.3f} ms/request  {_rate(m, mode):10.0f} candidates/s")
    for mode in ("parse (engine)", "parse (baseline)"):
        print(f"  {mode:<17} {m.times[mode] * 1000:8.3f} ms/request (not in the figures above)")
    fast_ratio = m.times["baseline"] / m.times["fast"]
    explain_ratio = m.times["explain"] / m.times["fast"]
    print(
        f"  fast / baseline    = {fast_ratio:5.2f}x candidates/s (target >= 5)  {_verdict(fast_ratio >= 5)}"
    )
    print(f"  explain / fast     = {explain_ratio:5.2f}x cost (target <= 2)  {_verdict(explain_ratio <= 2)}")

    print(f"\ngrowth with interactions ({MAIN[1]} candidates): cost per candidate, us")
    _growth(cases, [(n, MAIN[1]) for n in INTERACTION_STEPS], per_candidate=True)
    print(f"\ngrowth with candidates ({MAIN[0]} interactions): total cost per request, ms")
    _growth(cases, [(MAIN[0], m) for m in CANDIDATE_STEPS], per_candidate=False)
    return 0


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def _growth(cases: dict[tuple[int, int], Case], sizes: list[tuple[int, int]], per_candidate: bool) -> None:
    """Cost at each step and the factor from the previous step (linear: factor <= size factor)."""
    scale = 1e6 if per_candidate else 1e3
    header = "".join(f"{mode:>22}" for mode in ("baseline", "fast", "explain"))
    print(f"  {'size':>12} {header}{'allowed':>10}")
    previous: Case | None = None
    for size in sizes:
        case = cases[size]
        cells = []
        for mode in ("baseline", "fast", "explain"):
            cost = case.times[mode] / (case.n_candidates if per_candidate else 1)
            cell = f"{cost * scale:10.2f}"
            if previous is not None:
                before = previous.times[mode] / (previous.n_candidates if per_candidate else 1)
                cell += f" (x{cost / before:5.2f})"
            else:
                cell += " " * 9
            cells.append(f"{cell:>22}")
        step = size[0] if per_candidate else size[1]
        print(f"  {step:>12} " + "".join(cells) + f"{case.allowed_share():>10.0%}")
        previous = case
    print("  (each step is 10x: a factor <= 10 is linear or better; allowed candidates run every check,")
    print("  so a run with a larger share allowed costs more per candidate on both sides)")


if __name__ == "__main__":
    sys.exit(main())
