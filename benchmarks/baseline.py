"""The straightforward evaluator a team would write first: the runtime benchmark's baseline.

Plain Python over the request and policy JSON (dicts). Timestamps are parsed once, up
front (`prepare`); then, for each candidate, the gates (consent, suppressions) and every
policy in evaluation order: scope check, then a loop over the whole interaction list for
that check, stopping at the first block. No indexes, no sorting of the history, no
binary search. It answers `allowed` and the name of the first blocking policy (or gate),
not eligibleAt, reasons or traces.

Semantics are SPEC §1 / §2.1's: rolling windows `now - W < t <= now`, interactions after
`now` ignored, counting narrowed to the matched scope for frequency_cap, cooldown,
outcome_based and budget_exhausted, then for the first three to the candidate's value of
their `per` field (§1.1), overrides lifting bypassable blocks, mandatory offers obeying only
frequency_cap, cross_channel_cap and non-bypassable rules, mutual exclusion against the
session and earlier allowed candidates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

HOUR = 3600.0
DAY = 86400.0
SCOPE_FIELDS: dict[str, str | None] = {
    "global": None,
    "offer": "offerId",
    "creative": "creativeId",
    "channel": "channelId",
    "category": "categoryId",
    "subcategory": "subCategoryId",
}
PERIODS: dict[str, float | None] = {"daily": DAY, "weekly": 7 * DAY, "monthly": 30 * DAY, "alltime": None}
MANDATORY_RULES = {"frequency_cap", "cross_channel_cap"}
Json = dict[str, Any]


def parse_time(text: str) -> float:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


@dataclass
class Prepared:
    """A request with its timestamps parsed: history is a list of (epoch, interaction)."""

    now: float
    customer: dict[str, Any]
    history: list[tuple[float, dict[str, Any]]]
    budgets: dict[str, Any]
    suppressions: list[tuple[float | None, dict[str, Any]]]
    served: list[str]
    candidates: list[dict[str, Any]]


def prepare(request: dict[str, Any]) -> Prepared:
    suppressions = []
    for record in request.get("suppressions") or []:
        expires = record.get("expiresAt")
        suppressions.append((parse_time(expires) if expires is not None else None, record))
    return Prepared(
        now=parse_time(request["now"]),
        customer=request["customer"],
        history=[(parse_time(i["timestamp"]), i) for i in request.get("interactions") or []],
        budgets=request.get("budgets") or {},
        suppressions=suppressions,
        served=list((request.get("session") or {}).get("servedOfferIds") or []),
        candidates=request["candidates"],
    )


def _order_key(pair: tuple[int, dict[str, Any]]) -> tuple[Any, ...]:
    index, policy = pair
    priority = policy.get("priority")
    created = policy.get("createdAt")
    policy_id = policy.get("id")
    return (
        -(priority if priority is not None else 50),
        (0, -parse_time(created)) if created is not None else (1, 0.0),
        (0, policy_id) if policy_id is not None else (1, ""),
        index,
    )


def _scopes(policy: dict[str, Any]) -> list[dict[str, Any]]:
    if policy.get("scopes"):
        return list(policy["scopes"])
    return [{"scope": policy.get("scope") or "offer", "scopeId": policy.get("scopeId")}]


def _matched(policy: dict[str, Any], cand: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for scope in _scopes(policy):
        field = SCOPE_FIELDS[scope["scope"]]
        if field is None or cand.get(field) == scope.get("scopeId"):
            out.append(scope)
    return out


def _active(policy: dict[str, Any]) -> bool:
    return (policy.get("status") or "active") == "active" and policy.get("deletedAt") is None


def _bypassable(policy: dict[str, Any]) -> bool:
    return policy["ruleType"] != "do_not_contact" and policy["config"].get("bypassable") is not False


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, OSError):
        return None


class Baseline:
    """Policies sorted once into evaluation order; `decide` walks them per candidate."""

    def __init__(self, policies: list[dict[str, Any]]) -> None:
        self.policies = [p for _, p in sorted(enumerate(policies), key=_order_key)]

    def decide(self, req: Prepared) -> list[tuple[bool, str | None]]:
        """(allowed, name of the first blocking policy or gate) per candidate, in order."""
        allowed_offers: list[str] = []
        out = []
        for cand in req.candidates:
            blocker = self._first_block(req, cand, allowed_offers)
            if blocker is None:
                allowed_offers.append(cand["offerId"])
            out.append((blocker is None, blocker))
        return out

    def _first_block(self, req: Prepared, cand: dict[str, Any], allowed_offers: list[str]) -> str | None:
        channel_type = cand.get("channelType")
        consent = req.customer.get("consent") or {}
        if channel_type is not None and consent.get(channel_type) == "opted_out":
            return "consent"
        for expires, record in req.suppressions:
            if record.get("isActive") is False or (expires is not None and expires <= req.now):
                continue
            scope = record.get("scope") or "global"
            if scope not in SCOPE_FIELDS:
                continue
            field = SCOPE_FIELDS[scope]
            if field is None or cand.get(field) == record.get("scopeId"):
                return f"suppression {record['id']}" if record.get("id") else "suppression"

        has_override = any(
            p["ruleType"] == "allow_override" and _active(p) and _matched(p, cand) for p in self.policies
        )
        for policy in self.policies:
            if not _active(policy):
                continue
            scopes = _matched(policy, cand)
            if not scopes:
                continue
            rule = policy["ruleType"]
            if rule == "allow_override":
                continue
            bypassable = _bypassable(policy)
            if bypassable and has_override:
                continue  # an override lifts it whatever it would say
            if cand.get("isMandatory") is True and bypassable and rule not in MANDATORY_RULES:
                continue
            if CHECKS[rule](policy["config"], req, cand, scopes, allowed_offers):
                return str(policy["name"])
        return None


# -- the checks: True when the rule blocks the candidate -----------------------------------
def _in_scope(item: dict[str, Any], cand: dict[str, Any], scope: dict[str, Any]) -> bool:
    field = SCOPE_FIELDS[scope["scope"]]
    return field is None or item.get(field) == cand.get(field)


def _per_field(config: Json) -> str | None:
    """The field a `per` policy counts each value of apart (None without `per`)."""
    per = config.get("per")
    return SCOPE_FIELDS[per] if per is not None else None


def frequency_cap(
    config: Json, req: Prepared, cand: Json, scopes: list[Json], allowed_offers: list[str]
) -> bool:
    caps = [
        (config.get("maxPerDay"), DAY),
        (config.get("maxPerWeek"), 7 * DAY),
        (config.get("maxPerMonth"), 30 * DAY),
        (config.get("maxTotal"), None),
    ]
    if config.get("maxContacts") is not None and config.get("windowDays") is not None:
        caps.append((config["maxContacts"], config["windowDays"] * DAY))
    within = config.get("withinCampaignId")
    excluded = config.get("excludeCampaignIds")
    per = _per_field(config)
    if per is not None and cand.get(per) is None:
        return False  # nothing to count by
    now = req.now
    for scope in scopes:
        for maximum, seconds in caps:
            if maximum is None:
                continue
            count = 0
            for t, item in req.history:
                if t > now or item["outcome"] != "impression":
                    continue
                if seconds is not None and t <= now - seconds:
                    continue
                if not _in_scope(item, cand, scope):
                    continue
                if per is not None and item.get(per) != cand[per]:
                    continue
                campaign = item.get("campaignId")
                if within is not None:
                    if campaign != within:
                        continue
                elif excluded is not None and campaign is not None and campaign in excluded:
                    continue
                count += 1
            if count >= maximum:
                return True
    return False


def cooldown(config: Json, req: Prepared, cand: Json, scopes: list[Json], allowed_offers: list[str]) -> bool:
    per = _per_field(config)
    if per is not None and cand.get(per) is None:
        return False
    now = req.now
    for scope in scopes:
        last = None
        for t, item in req.history:
            if t > now or item["outcome"] != "impression" or not _in_scope(item, cand, scope):
                continue
            if per is not None and item.get(per) != cand[per]:
                continue
            if last is None or t > last:
                last = t
        if last is not None and now - last < config["cooldownHours"] * HOUR:
            return True
    return False


def outcome_based(
    config: Json, req: Prepared, cand: Json, scopes: list[Json], allowed_offers: list[str]
) -> bool:
    outcomes = config.get("afterOutcome")
    if outcomes is None:
        outcomes = config.get("outcome")
    if isinstance(outcomes, str):
        outcomes = [outcomes]
    days = config.get("suppressForDays")
    if days is None:
        days = config.get("withinDays")
    per = _per_field(config)
    if per is not None and cand.get(per) is None:
        return False
    now = req.now
    for scope in scopes:
        for t, item in req.history:
            if t > now or item["outcome"] not in outcomes or not _in_scope(item, cand, scope):
                continue
            if per is not None and item.get(per) != cand[per]:
                continue
            if now - t < days * DAY:
                return True
    return False


def budget_exhausted(
    config: Json, req: Prepared, cand: Json, scopes: list[Json], allowed_offers: list[str]
) -> bool:
    field = config["budgetField"]
    for scope in scopes:
        key = cand.get("creativeId") if scope["scope"] == "creative" else cand.get("offerId")
        entry = req.budgets.get(key or "") or {}
        actual = entry.get(field)  # a missing figure does not block (daily_spend included)
        if actual is not None and actual >= config["threshold"]:
            return True
    return False


def segment_exclusion(
    config: Json, req: Prepared, cand: Json, scopes: list[Json], allowed_offers: list[str]
) -> bool:
    excluded = config.get("excludeSegments")
    if excluded is None:
        excluded = [config.get("segmentId")]
    segments = req.customer.get("segments") or []
    return any(segment in segments for segment in excluded)


def _hour_open(hour: int, start: int | None, end: int | None) -> bool:
    low = 0 if start is None else start
    high = 24 if end is None else end
    if low == high:
        return False
    if low < high:
        return low <= hour < high
    return hour >= low or hour < high


def time_window(
    config: Json, req: Prepared, cand: Json, scopes: list[Json], allowed_offers: list[str]
) -> bool:
    tz = _zone(config.get("timezone")) or _zone(req.customer.get("timezone")) or ZoneInfo("UTC")
    local = datetime.fromtimestamp(req.now, tz)
    days = config.get("daysOfWeek")
    if days is not None and local.isoweekday() % 7 not in days:
        return True
    return not _hour_open(local.hour, config.get("startHour"), config.get("endHour"))


def mutual_exclusion(
    config: Json, req: Prepared, cand: Json, scopes: list[Json], allowed_offers: list[str]
) -> bool:
    group = config["excludeOfferIds"]
    offer = cand["offerId"]
    if offer not in group:
        return False
    return any(other != offer and other in group for other in req.served + allowed_offers)


def _count_impressions(req: Prepared, seconds: float | None, keep: Any) -> int:
    """Impressions in the last `seconds` (None: ever) that `keep` keeps."""
    now = req.now
    count = 0
    for t, item in req.history:
        if t > now or item["outcome"] != "impression":
            continue
        if seconds is not None and t <= now - seconds:
            continue
        if keep(item):
            count += 1
    return count


def cross_channel_cap(
    config: Json, req: Prepared, cand: Json, scopes: list[Json], allowed_offers: list[str]
) -> bool:
    offer = cand["offerId"]
    channels = config.get("appliesAcross")  # absent or empty: every channel

    def keep(item: dict[str, Any]) -> bool:
        return item.get("offerId") == offer and (not channels or item.get("channelId") in channels)

    caps = []
    if config.get("maxTotal") is not None:
        caps.append((config["maxTotal"], PERIODS[config.get("periodType") or "weekly"]))
    if config.get("maxContacts") is not None and config.get("windowDays") is not None:
        caps.append((config["maxContacts"], config["windowDays"] * DAY))
    return any(_count_impressions(req, seconds, keep) >= maximum for maximum, seconds in caps)


def customer_total_cap(
    config: Json, req: Prepared, cand: Json, scopes: list[Json], allowed_offers: list[str]
) -> bool:
    count = _count_impressions(req, PERIODS[config.get("periodType") or "weekly"], lambda item: True)
    return count >= config["maxTotal"]


def offer_category_cap(
    config: Json, req: Prepared, cand: Json, scopes: list[Json], allowed_offers: list[str]
) -> bool:
    target = config["targetCategory"]
    if cand.get("offerCategory") != target:
        return False
    period = config.get("periodType") or "monthly"
    count = _count_impressions(req, PERIODS[period], lambda item: item.get("offerCategory") == target)
    return count >= config["maxTotal"]


def category_suppression(
    config: Json, req: Prepared, cand: Json, scopes: list[Json], allowed_offers: list[str]
) -> bool:
    category = config.get("categoryId")
    sub = config.get("subCategoryId")
    if category is None and sub is None:
        category = cand.get("categoryId")
        if category is None:
            return False
    else:
        if category is not None and cand.get("categoryId") != category:
            return False
        if sub is not None and cand.get("subCategoryId") != sub:
            return False
    now = req.now
    for t, item in req.history:
        if t > now or item["outcome"] != "impression":
            continue
        if sub is not None and item.get("subCategoryId") != sub:
            continue
        if category is not None and item.get("categoryId") != category:
            continue
        if now - t < config["suppressionDays"] * DAY:
            return True
    return False


def do_not_contact(
    config: Json, req: Prepared, cand: Json, scopes: list[Json], allowed_offers: list[str]
) -> bool:
    lists = req.customer.get("dnc") or []
    source = config.get("dncSource")
    return source in lists if source is not None else bool(lists)


def metric_condition(
    config: Json, req: Prepared, cand: Json, scopes: list[Json], allowed_offers: list[str]
) -> bool:
    value = (req.customer.get("metrics") or {}).get(config["metricId"])
    if not isinstance(value, int | float) or isinstance(value, bool) or value != value:
        return False
    threshold = config.get("threshold")
    if threshold is None:
        threshold = 0
    operator = config.get("operator") or "gte"
    if operator == "gt":
        return bool(value > threshold)
    if operator == "gte":
        return bool(value >= threshold)
    if operator == "lt":
        return bool(value < threshold)
    if operator == "lte":
        return bool(value <= threshold)
    return bool(value == threshold)


def allow_override(
    config: Json, req: Prepared, cand: Json, scopes: list[Json], allowed_offers: list[str]
) -> bool:
    return False


CHECKS = {
    "frequency_cap": frequency_cap,
    "cooldown": cooldown,
    "budget_exhausted": budget_exhausted,
    "outcome_based": outcome_based,
    "segment_exclusion": segment_exclusion,
    "time_window": time_window,
    "mutual_exclusion": mutual_exclusion,
    "cross_channel_cap": cross_channel_cap,
    "customer_total_cap": customer_total_cap,
    "offer_category_cap": offer_category_cap,
    "allow_override": allow_override,
    "category_suppression": category_suppression,
    "do_not_contact": do_not_contact,
    "metric_condition": metric_condition,
}
