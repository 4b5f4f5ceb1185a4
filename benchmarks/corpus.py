"""A generated policy set: every rule type, realistic names, scopes and statements."""

from __future__ import annotations

import random
from typing import Any

RULES: list[tuple[str, dict[str, Any]]] = [
    ("frequency_cap", {"maxPerDay": 1, "maxPerWeek": 3}),
    ("frequency_cap", {"maxContacts": 3, "windowDays": 14, "excludeCampaignIds": ["run_a"]}),
    ("cooldown", {"cooldownHours": 48}),
    ("budget_exhausted", {"budgetField": "spend", "threshold": 500.5}),
    ("outcome_based", {"afterOutcome": ["complaint", "unsubscribe"], "suppressForDays": 90}),
    ("segment_exclusion", {"excludeSegments": ["seg_minors", "seg_dnc"]}),
    (
        "time_window",
        {"startHour": 8, "endHour": 21, "daysOfWeek": [1, 2, 3, 4, 5], "timezone": "America/New_York"},
    ),
    ("mutual_exclusion", {"excludeOfferIds": ["off_a", "off_b", "off_c"]}),
    ("cross_channel_cap", {"maxTotal": 5, "periodType": "weekly", "appliesAcross": ["ch_email"]}),
    ("customer_total_cap", {"maxTotal": 10, "periodType": "monthly"}),
    ("offer_category_cap", {"targetCategory": "credit cards", "maxTotal": 3}),
    ("allow_override", {"reason": "VIP exception"}),
    ("category_suppression", {"categoryId": "cat_mortgage", "suppressionDays": 14}),
    ("do_not_contact", {"dncSource": "internal_dnc", "reason": "asked"}),
    ("metric_condition", {"metricId": "met_impressions_30d", "operator": "gt", "threshold": 12}),
]
SCOPES = [("channel", "ch_email"), ("offer", "off_welcome"), ("category", "cat_cards")]


def policy_set(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """`count` valid policies cycling through every rule type, with varied fields."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    for index in range(count):
        rule_type, config = RULES[index % len(RULES)]
        policy: dict[str, Any] = {
            "id": f"cp_{index:05d}",
            "name": f"Policy {index} — {rule_type.replace('_', ' ')}",
            "description": f"Generated policy number {index} for the benchmark.",
            "status": rng.choice(["active", "active", "paused", "draft"]),
        }
        if index % 3:
            scope, scope_id = rng.choice(SCOPES)
            policy.update(scope=scope, scopeId=scope_id, scopes=[{"scope": scope, "scopeId": scope_id}])
        else:
            policy["scope"] = "global"
        policy["ruleType"] = rule_type
        policy["config"] = dict(config)
        policy["priority"] = rng.randint(0, 100)
        out.append(policy)
    return out
