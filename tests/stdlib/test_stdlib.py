"""The standard library of policies: every module as shipped, through `use`, and at work.

Checked here:

- the library: the expected modules exist, each compiles on its own and through `use`, is
  in canonical form, opens with a header comment naming its parameters, has a name unique
  across the library, and a description that states no number (a parameter could change
  it); compliance modules cannot be overridden;
- parameters: each module's documented parameters change what `docs/stdlib.md` says they
  change; bad parameters are `cpol.Diagnostics` at the `use` line with a hint;
- behaviour: each module decides realistic requests through the runtime engine (explain
  mode and fast mode must agree);
- `docs/stdlib.md`: every module has a section, every ```cpol block compiles and every
  ```json block right after one is its compiled JSON, exactly.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import cpol
from cpol.runtime import Engine

ROOT = Path(__file__).resolve().parents[2]
STDLIB_DIR = Path(cpol.__file__).resolve().parent / "stdlib_rules"
STDLIB_DOC = ROOT / "docs" / "stdlib.md"

#: module -> the name of its one policy
MODULES = {
    "compliance/global_do_not_contact": "Global do-not-contact",
    "compliance/adverse_outcomes_quarantine": "Adverse outcomes quarantine",
    "compliance/quiet_hours_sms_voice": "SMS and voice quiet hours",
    "compliance/quiet_hours_whatsapp": "WhatsApp quiet hours",
    "lifecycle/suppress_after_unsubscribe": "Suppress after unsubscribe",
    "lifecycle/offer_cooldown_after_dismiss": "Offer cooldown after dismiss",
    "lifecycle/post_purchase_cooldown": "Post-purchase cooldown",
    "fatigue/email_weekly_cap": "Email frequency cap",
    "fatigue/customer_communication_budget": "Customer contact budget",
}
COMPLIANCE = [name for name in MODULES if name.startswith("compliance/")]

#: The reference instant: Friday 2026-03-20, 14:00 UTC = 10:00 in New York (EDT, UTC-4)
#: and 15:00 in Paris (CET, UTC+1).
NOW_DT = datetime(2026, 3, 20, 14, 0, 0, tzinfo=UTC)
NOW = "2026-03-20T14:00:00Z"


# -- helpers -----------------------------------------------------------------------------
def module_path(module: str) -> Path:
    return STDLIB_DIR / f"{module}.cpol"


def module_text(module: str) -> str:
    return module_path(module).read_text(encoding="utf-8")


def compile_json(text: str, filename: str = "main.cpol") -> list[dict[str, Any]]:
    return cpol.to_json(cpol.compile_source(text, filename))


def use(module: str, params: str = "") -> dict[str, Any]:
    """The one policy a `use` of the module gives, as JSON."""
    line = f'use "{module}"' + (f" with {params}" if params else "") + "\n"
    (policy,) = compile_json(line)
    return policy


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def ago(**units: float) -> str:
    return iso(NOW_DT - timedelta(**units))


def after(timestamp: str, **units: float) -> str:
    moment = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    return iso(moment + timedelta(**units))


def interaction(timestamp: str, outcome: str = "impression", **fields: Any) -> dict[str, Any]:
    out = {
        "timestamp": timestamp,
        "outcome": outcome,
        "offerId": "off_welcome",
        "channelId": "ch_email",
        "categoryId": "cat_banking",
        "offerCategory": "banking",
    }
    out.update(fields)
    return out


def candidate(offer: str = "off_welcome", channel: str = "ch_email", **fields: Any) -> dict[str, Any]:
    channel_type = channel.removeprefix("ch_")
    out = {
        "offerId": offer,
        "channelId": channel,
        "channelType": channel_type,
        "categoryId": "cat_banking",
        "offerCategory": "banking",
    }
    out.update(fields)
    return out


def request(
    candidates: list[dict[str, Any]],
    interactions: list[dict[str, Any]] | None = None,
    *,
    now: str = NOW,
    timezone: str | None = "America/New_York",
    dnc: list[str] | None = None,
) -> dict[str, Any]:
    customer: dict[str, Any] = {"id": "cust_001", "dnc": dnc or []}
    if timezone is not None:
        customer["timezone"] = timezone
    return {
        "now": now,
        "customer": customer,
        "interactions": interactions or [],
        "candidates": candidates,
    }


def decide(source: str, req: dict[str, Any]) -> list[dict[str, Any]]:
    """Explain-mode decisions as JSON; fast mode must agree on what SPEC §2 promises."""
    engine = Engine(cpol.compile_source(source, "main.cpol"))
    full = [d.to_json() for d in engine.decide_json(req, explain=True)]
    fast = [d.to_json() for d in engine.decide_json(req)]
    for slow, quick in zip(full, fast, strict=True):
        assert quick["allowed"] == slow["allowed"]
        assert quick["eligibleAt"] == slow["eligibleAt"]
        assert quick["blockedBy"][:1] == slow["blockedBy"][:1]
    return full


def decide_one(source: str, req: dict[str, Any]) -> dict[str, Any]:
    (decision,) = decide(source, req)
    return decision


def blocked_by(decision: dict[str, Any]) -> list[str]:
    return [entry["policyName"] for entry in decision["blockedBy"]]


def assert_blocked(decision: dict[str, Any], policy_name: str) -> dict[str, Any]:
    assert decision["allowed"] is False, decision
    assert blocked_by(decision) == [policy_name], decision
    return dict(decision["blockedBy"][0])


def assert_allowed(decision: dict[str, Any]) -> None:
    assert decision["allowed"] is True, decision
    assert decision["blockedBy"] == []


def result_of(decision: dict[str, Any], policy_name: str) -> str:
    (entry,) = [e for e in decision["trace"] if e["policyName"] == policy_name]
    return str(entry["result"])


#: An override on everything, to check which modules it can lift.
OVERRIDE_ALL = """
policy "Service exception" {
  priority 100
  override because "service message"
}
"""


# -- the library as shipped --------------------------------------------------------------
def test_the_library_has_the_expected_modules() -> None:
    shipped = {path.relative_to(STDLIB_DIR).with_suffix("").as_posix() for path in STDLIB_DIR.rglob("*.cpol")}
    assert shipped == set(MODULES)
    assert (STDLIB_DIR / "__init__.py").exists()


@pytest.mark.parametrize("module", MODULES)
def test_module_compiles_on_its_own(module: str) -> None:
    policies = compile_json(module_text(module), str(module_path(module)))
    assert [p["name"] for p in policies] == [MODULES[module]]


@pytest.mark.parametrize("module", MODULES)
def test_module_compiles_through_use(module: str) -> None:
    alone = compile_json(module_text(module), str(module_path(module)))
    assert [use(module)] == alone


@pytest.mark.parametrize("module", MODULES)
def test_module_is_canonical(module: str) -> None:
    text = module_text(module)
    assert cpol.format_source(text, str(module_path(module))) == text


@pytest.mark.parametrize("module", MODULES)
def test_module_opens_with_a_header_naming_its_parameters(module: str) -> None:
    lines = module_text(module).split("\n")
    header = []
    for line in lines:
        if not line.startswith("#"):
            break
        header.append(line)
    assert len(header) >= 3, "a header comment says what the module does"
    assert any("Parameters" in line for line in header)
    assert any("priority" in line for line in header)


@pytest.mark.parametrize("module", MODULES)
def test_description_states_no_number(module: str) -> None:
    """Parameters change the numbers; a description that stated one would then lie."""
    description = use(module)["description"]
    assert description
    assert not re.search(r"\d", description), description


def test_names_are_unique_across_the_library() -> None:
    names = [use(module)["name"] for module in MODULES]
    assert len(set(names)) == len(names)
    assert len({name.casefold() for name in names}) == len(names)


def test_every_module_can_be_used_in_one_file() -> None:
    source = "".join(f'use "{module}"\n' for module in MODULES)
    assert [p["name"] for p in compile_json(source)] == list(MODULES.values())


def test_the_library_can_be_used_next_to_the_seed_policies() -> None:
    """No stdlib name clashes with a seed policy, so a tenant can add the library as is."""
    seed = (ROOT / "tests" / "fixtures" / "seed" / "seed.cpol").read_text(encoding="utf-8")
    uses = "".join(f'use "{module}"\n' for module in MODULES)
    assert len(compile_json(uses + "\n" + seed)) == len(MODULES) + len(compile_json(seed))


@pytest.mark.parametrize("module", COMPLIANCE)
def test_compliance_modules_cannot_be_overridden(module: str) -> None:
    assert use(module)["config"]["bypassable"] is False


@pytest.mark.parametrize("module", ["compliance/quiet_hours_sms_voice", "compliance/quiet_hours_whatsapp"])
def test_quiet_hours_follow_the_customers_time_zone(module: str) -> None:
    config = use(module)["config"]
    assert "timezone" not in config
    assert "daysOfWeek" not in config  # every day


def test_default_scopes() -> None:
    assert use("compliance/quiet_hours_sms_voice")["scopes"] == [
        {"scope": "channel", "scopeId": "ch_sms"},
        {"scope": "channel", "scopeId": "ch_voice"},
    ]
    whatsapp = use("compliance/quiet_hours_whatsapp")
    assert (whatsapp["scope"], whatsapp["scopeId"], "scopes" in whatsapp) == ("channel", "ch_whatsapp", False)
    email = use("fatigue/email_weekly_cap")
    assert (email["scope"], email["scopeId"], "scopes" in email) == ("channel", "ch_email", False)
    dismiss = use("lifecycle/offer_cooldown_after_dismiss")
    assert (dismiss["scope"], "scopeId" in dismiss, dismiss["config"]["per"]) == ("global", False, "offer")
    for module in (
        "compliance/global_do_not_contact",
        "compliance/adverse_outcomes_quarantine",
        "lifecycle/suppress_after_unsubscribe",
        "lifecycle/post_purchase_cooldown",
        "fatigue/customer_communication_budget",
    ):
        assert use(module)["scope"] == "global"


# -- parameters --------------------------------------------------------------------------
def pick(policy: dict[str, Any], path: str) -> Any:
    value: Any = policy
    for key in path.split("."):
        value = value[key]
    return value


PARAMETERS = [
    # (module, parameters, {json path: expected value}); `None` expected = key absent
    ("compliance/global_do_not_contact", 'dncSource "internal_dnc"', {"config.dncSource": "internal_dnc"}),
    ("compliance/global_do_not_contact", 'reason "Asked"', {"config.reason": "Asked"}),
    ("compliance/global_do_not_contact", "priority 99", {"priority": 99}),
    ("compliance/adverse_outcomes_quarantine", "suppressForDays 30", {"config.suppressForDays": 30}),
    ("compliance/adverse_outcomes_quarantine", "suppressForDays 30.5", {"config.suppressForDays": 30.5}),
    (
        "compliance/adverse_outcomes_quarantine",
        'afterOutcome ["complaint", "spam_report"]',
        {"config.afterOutcome": ["complaint", "spam_report"]},
    ),
    (
        "compliance/adverse_outcomes_quarantine",
        'afterOutcome "complaint"',
        {"config.afterOutcome": "complaint"},
    ),
    ("compliance/adverse_outcomes_quarantine", "priority 90", {"priority": 90}),
    ("compliance/adverse_outcomes_quarantine", "bypassable true", {"config.bypassable": True}),
    (
        "compliance/quiet_hours_sms_voice",
        "startHour 9, endHour 20",
        {"config.startHour": 9, "config.endHour": 20},
    ),
    (
        "compliance/quiet_hours_sms_voice",
        "daysOfWeek [1, 2, 3, 4, 5, 6]",
        {"config.daysOfWeek": [1, 2, 3, 4, 5, 6]},
    ),
    ("compliance/quiet_hours_sms_voice", 'timezone "Europe/Paris"', {"config.timezone": "Europe/Paris"}),
    (
        "compliance/quiet_hours_sms_voice",
        'scopes null, scopeId "acme_sms"',
        {"scope": "channel", "scopeId": "acme_sms", "scopes": None},
    ),
    ("compliance/quiet_hours_sms_voice", "priority 80", {"priority": 80}),
    ("compliance/quiet_hours_whatsapp", "startHour 10", {"config.startHour": 10, "config.endHour": 21}),
    ("compliance/quiet_hours_whatsapp", "daysOfWeek [1, 2, 3, 4, 5]", {"config.daysOfWeek": [1, 2, 3, 4, 5]}),
    ("compliance/quiet_hours_whatsapp", 'timezone "Asia/Kolkata"', {"config.timezone": "Asia/Kolkata"}),
    ("compliance/quiet_hours_whatsapp", 'scopeId "wa_main"', {"scope": "channel", "scopeId": "wa_main"}),
    ("lifecycle/suppress_after_unsubscribe", "suppressForDays 180", {"config.suppressForDays": 180}),
    (
        "lifecycle/suppress_after_unsubscribe",
        'afterOutcome ["unsubscribe", "opt_out"]',
        {"config.afterOutcome": ["unsubscribe", "opt_out"]},
    ),
    (
        "lifecycle/suppress_after_unsubscribe",
        'scope "channel", scopeId "ch_email"',
        {"scope": "channel", "scopeId": "ch_email"},
    ),
    ("lifecycle/suppress_after_unsubscribe", "bypassable false", {"config.bypassable": False}),
    ("lifecycle/offer_cooldown_after_dismiss", 'per "category"', {"config.per": "category"}),
    (
        "lifecycle/offer_cooldown_after_dismiss",
        'scope "channel", scopeId "ch_push"',
        {"scope": "channel", "scopeId": "ch_push"},
    ),
    ("lifecycle/offer_cooldown_after_dismiss", 'name "Gold rest"', {"name": "Gold rest"}),
    ("lifecycle/offer_cooldown_after_dismiss", "suppressForDays 14", {"config.suppressForDays": 14}),
    (
        "lifecycle/offer_cooldown_after_dismiss",
        'afterOutcome "dismissed"',
        {"config.afterOutcome": "dismissed"},
    ),
    ("lifecycle/post_purchase_cooldown", "suppressForDays 30", {"config.suppressForDays": 30}),
    ("lifecycle/post_purchase_cooldown", 'per "category"', {"config.per": "category"}),
    ("fatigue/email_weekly_cap", 'per "offer"', {"config.per": "offer"}),
    (
        "lifecycle/post_purchase_cooldown",
        'afterOutcome ["conversion", "purchase"]',
        {"config.afterOutcome": ["conversion", "purchase"]},
    ),
    (
        "lifecycle/post_purchase_cooldown",
        'scope "category", scopeId "cat_cards"',
        {"scope": "category", "scopeId": "cat_cards"},
    ),
    ("fatigue/email_weekly_cap", "maxPerWeek 2", {"config.maxPerDay": 1, "config.maxPerWeek": 2}),
    ("fatigue/email_weekly_cap", "maxPerDay null", {"config.maxPerDay": None, "config.maxPerWeek": 3}),
    (
        "fatigue/email_weekly_cap",
        "maxPerMonth 8, maxTotal 50",
        {"config.maxPerMonth": 8, "config.maxTotal": 50},
    ),
    ("fatigue/email_weekly_cap", 'withinCampaignId "run_1"', {"config.withinCampaignId": "run_1"}),
    ("fatigue/email_weekly_cap", 'excludeCampaignIds ["run_1"]', {"config.excludeCampaignIds": ["run_1"]}),
    ("fatigue/email_weekly_cap", 'scopeId "email"', {"scope": "channel", "scopeId": "email"}),
    ("fatigue/customer_communication_budget", "maxTotal 20", {"config.maxTotal": 20}),
    ("fatigue/customer_communication_budget", 'periodType "monthly"', {"config.periodType": "monthly"}),
    ("fatigue/customer_communication_budget", 'status "paused"', {"status": "paused"}),
]


@pytest.mark.parametrize(
    ("module", "params", "expected"), PARAMETERS, ids=[f"{m}: {p}" for m, p, _ in PARAMETERS]
)
def test_documented_parameter_works(module: str, params: str, expected: dict[str, Any]) -> None:
    policy = use(module, params)
    default = use(module)
    for path, value in expected.items():
        parent, _, key = path.rpartition(".")
        holder = pick(policy, parent) if parent else policy
        if value is None and path.startswith("config."):
            assert key not in holder, f"{path} should be removed"
        else:
            assert holder[key] == value, path
            assert type(holder[key]) is type(value), path  # 3 stays 3, 30.5 stays 30.5
    # nothing else changed
    touched = {path.split(".")[0] if not path.startswith("config.") else path for path in expected}
    for key in default:
        if key != "config" and key not in touched:
            assert policy.get(key) == default[key], key
    for key, value in default["config"].items():
        if f"config.{key}" not in touched:
            assert policy["config"][key] == value, key


def test_a_lone_scope_id_on_a_multi_scope_module_is_an_error() -> None:
    """`scopeId` alone would leave the `scopes` list, which wins: the compiler says so."""
    source = 'use "compliance/quiet_hours_sms_voice" with scopeId "acme_sms"\n'
    with pytest.raises(cpol.Diagnostics) as caught:
        cpol.compile_source(source, "main.cpol")
    (problem,) = caught.value.items
    assert problem.message == "`scopeId` has no effect here: the imported policy lists its `scopes`"
    assert problem.hint == "add `scopes null` to the `use` so that scope/scopeId apply"
    assert problem.span is not None
    assert (problem.span.line, problem.span.column) == (1, 45)
    policy = use("compliance/quiet_hours_sms_voice", 'scopes null, scopeId "acme_sms"')
    assert policy["scopeId"] == "acme_sms" and policy["scopes"] is None


def test_a_lone_scope_id_on_a_global_module_is_an_error() -> None:
    """The dismiss cooldown used to be scoped to a placeholder offer named with `scopeId`;
    on the global module that `scopeId` would silently do nothing."""
    source = 'use "lifecycle/offer_cooldown_after_dismiss" with scopeId "off_gold_card"\n'
    with pytest.raises(cpol.Diagnostics) as caught:
        cpol.compile_source(source, "main.cpol")
    (problem,) = caught.value.items
    assert problem.message == "`scopeId` has no effect here: the imported policy is global"
    assert problem.span is not None
    assert (problem.span.line, problem.span.column) == (1, 51)
    policy = use("lifecycle/offer_cooldown_after_dismiss", 'scope "offer", scopeId "off_gold_card"')
    assert (policy["scope"], policy["scopeId"]) == ("offer", "off_gold_card")
    assert use("lifecycle/offer_cooldown_after_dismiss", "scopeId null")["scope"] == "global"


def test_a_list_of_scope_objects_cannot_be_written_in_use() -> None:
    source = 'use "compliance/quiet_hours_sms_voice" with scopes [{"scope": "channel", "scopeId": "x"}]\n'
    with pytest.raises(cpol.Diagnostics):
        cpol.compile_source(source, "main.cpol")


def test_one_module_twice_with_new_names() -> None:
    source = (
        'use "lifecycle/offer_cooldown_after_dismiss" with name "Push", scope "channel", scopeId "push"\n'
        'use "lifecycle/offer_cooldown_after_dismiss" with name "Mail", scope "channel", scopeId "mail"\n'
    )
    policies = compile_json(source)
    assert [(p["name"], p["scopeId"]) for p in policies] == [
        ("Push", "push"),
        ("Mail", "mail"),
    ]


def test_one_module_twice_without_a_new_name_is_a_duplicate() -> None:
    source = 'use "fatigue/email_weekly_cap"\nuse "fatigue/email_weekly_cap" with scopeId "email"\n'
    with pytest.raises(cpol.Diagnostics) as caught:
        cpol.compile_source(source, "main.cpol")
    (diagnostic,) = caught.value.items
    assert "duplicate policy name `Email frequency cap`" in diagnostic.message
    assert diagnostic.span is not None and diagnostic.span.line == 2


BAD_PARAMETERS = [
    # (module, bad key, the key meant)
    ("compliance/global_do_not_contact", "dncSorce", "dncSource"),
    ("compliance/adverse_outcomes_quarantine", "suppresForDays", "suppressForDays"),
    ("compliance/adverse_outcomes_quarantine", "afterOutcomes", "afterOutcome"),
    ("compliance/quiet_hours_sms_voice", "startHr", "startHour"),
    ("compliance/quiet_hours_whatsapp", "daysOfWek", "daysOfWeek"),
    ("lifecycle/suppress_after_unsubscribe", "suppressForDay", "suppressForDays"),
    ("lifecycle/offer_cooldown_after_dismiss", "pre", "per"),
    ("lifecycle/post_purchase_cooldown", "afterOutcom", "afterOutcome"),
    ("fatigue/email_weekly_cap", "maxPerWek", "maxPerWeek"),
    ("fatigue/customer_communication_budget", "maxTotl", "maxTotal"),
    ("fatigue/customer_communication_budget", "priorty", "priority"),
]


@pytest.mark.parametrize(
    ("module", "key", "meant"), BAD_PARAMETERS, ids=[f"{m}: {k}" for m, k, _ in BAD_PARAMETERS]
)
def test_a_bad_parameter_points_at_the_use_line(module: str, key: str, meant: str) -> None:
    line = f'use "{module}" with priority 90, {key} 3'
    source = f'# my policies\n{line}\n\npolicy "Mine" {{\n  cooldown 4 hours\n}}\n'
    with pytest.raises(cpol.Diagnostics) as caught:
        cpol.compile_source(source, "main.cpol")
    (diagnostic,) = caught.value.items
    assert diagnostic.file == "main.cpol"
    assert diagnostic.span is not None
    assert (diagnostic.span.line, diagnostic.span.column) == (2, line.index(key) + 1)
    assert f"`{key}`" in diagnostic.message
    assert diagnostic.hint == f"did you mean `{meant}`?"
    assert str(caught.value).startswith(f"main.cpol:2:{line.index(key) + 1}: error: ")


BAD_VALUES = [
    ("compliance/adverse_outcomes_quarantine", "suppressForDays", '"ninety"'),
    ("compliance/adverse_outcomes_quarantine", "suppressForDays", "-1"),
    ("compliance/adverse_outcomes_quarantine", "afterOutcome", "[]"),
    ("compliance/quiet_hours_sms_voice", "startHour", "25"),
    ("compliance/quiet_hours_sms_voice", "timezone", '"America/New_Yrok"'),
    ("compliance/quiet_hours_whatsapp", "daysOfWeek", "[7]"),
    ("fatigue/customer_communication_budget", "periodType", '"yearly"'),
    ("fatigue/email_weekly_cap", "priority", "101"),
    ("fatigue/email_weekly_cap", "status", '"live"'),
]


@pytest.mark.parametrize(
    ("module", "key", "value"), BAD_VALUES, ids=[f"{m}: {k} {v}" for m, k, v in BAD_VALUES]
)
def test_a_bad_value_points_at_the_value(module: str, key: str, value: str) -> None:
    line = f'use "{module}" with {key} {value}'
    with pytest.raises(cpol.Diagnostics) as caught:
        cpol.compile_source(f"{line}\n", "main.cpol")
    (diagnostic,) = caught.value.items
    assert diagnostic.span is not None
    assert (diagnostic.span.line, diagnostic.span.column) == (1, line.index(f" {value}") + 2)


def test_a_misspelt_module_gets_a_hint() -> None:
    with pytest.raises(cpol.Diagnostics) as caught:
        cpol.compile_source('use "compliance/quiet_hours_whatsap"\n', "main.cpol")
    (diagnostic,) = caught.value.items
    assert diagnostic.hint == 'did you mean "compliance/quiet_hours_whatsapp"?'


def test_removing_every_email_cap_is_an_error() -> None:
    with pytest.raises(cpol.Diagnostics, match="requires at least one cap"):
        cpol.compile_source('use "fatigue/email_weekly_cap" with maxPerDay null, maxPerWeek null\n')


# -- behaviour: compliance ---------------------------------------------------------------
DNC = 'use "compliance/global_do_not_contact"\n'


def test_dnc_blocks_a_customer_on_any_list() -> None:
    decision = decide_one(DNC, request([candidate()], dnc=["internal_dnc"]))
    entry = assert_blocked(decision, "Global do-not-contact")
    assert entry["ruleType"] == "do_not_contact"
    assert entry["eligibleAt"] is None and decision["eligibleAt"] is None


def test_dnc_allows_a_customer_on_no_list() -> None:
    assert_allowed(decide_one(DNC, request([candidate()])))


def test_dnc_with_a_named_list() -> None:
    source = 'use "compliance/global_do_not_contact" with dncSource "internal_dnc"\n'
    assert_blocked(decide_one(source, request([candidate()], dnc=["internal_dnc"])), "Global do-not-contact")
    assert_allowed(decide_one(source, request([candidate()], dnc=["partner_list"])))


def test_dnc_blocks_every_channel_and_cannot_be_overridden() -> None:
    cands = [candidate(channel="ch_sms"), candidate(channel="ch_push", isMandatory=True)]
    for decision in decide(DNC + OVERRIDE_ALL, request(cands, dnc=["internal_dnc"])):
        assert_blocked(decision, "Global do-not-contact")
        assert decision["overriddenBy"] is None


QUARANTINE = 'use "compliance/adverse_outcomes_quarantine"\n'


def test_quarantine_blocks_ten_days_after_a_complaint() -> None:
    complaint = ago(days=10)
    decision = decide_one(QUARANTINE, request([candidate()], [interaction(complaint, "complaint")]))
    entry = assert_blocked(decision, "Adverse outcomes quarantine")
    assert entry["ruleType"] == "outcome_based"
    assert entry["details"]["suppressForDays"] == 90
    assert entry["eligibleAt"] == after(complaint, days=90) == decision["eligibleAt"]


def test_quarantine_allows_ninety_one_days_after_a_complaint() -> None:
    assert_allowed(decide_one(QUARANTINE, request([candidate()], [interaction(ago(days=91), "complaint")])))


@pytest.mark.parametrize("outcome", ["complaint", "unsubscribe", "hard_bounce", "spam_report"])
def test_quarantine_covers_every_adverse_outcome_on_every_channel(outcome: str) -> None:
    history = [interaction(ago(days=89), outcome, channelId="ch_email", offerId="off_other")]
    cands = [candidate(channel="ch_sms"), candidate("off_cards_gold", "ch_push")]
    for decision in decide(QUARANTINE, request(cands, history)):
        assert_blocked(decision, "Adverse outcomes quarantine")


def test_quarantine_ignores_ordinary_outcomes() -> None:
    history = [interaction(ago(days=1), "rejected"), interaction(ago(days=1), "dismiss")]
    assert_allowed(decide_one(QUARANTINE, request([candidate()], history)))


def test_quarantine_cannot_be_overridden() -> None:
    history = [interaction(ago(days=10), "spam_report")]
    cands = [candidate(), candidate("off_urgent", isMandatory=True)]
    for decision in decide(QUARANTINE + OVERRIDE_ALL, request(cands, history)):
        assert_blocked(decision, "Adverse outcomes quarantine")
        assert decision["overriddenBy"] is None
        assert result_of(decision, "Service exception") == "override"


def test_quarantine_made_bypassable_can_be_overridden() -> None:
    source = 'use "compliance/adverse_outcomes_quarantine" with bypassable true\n' + OVERRIDE_ALL
    decision = decide_one(source, request([candidate()], [interaction(ago(days=10), "complaint")]))
    assert_allowed(decision)
    assert decision["overriddenBy"] == "Service exception"


def test_quarantine_with_a_shorter_period() -> None:
    source = 'use "compliance/adverse_outcomes_quarantine" with suppressForDays 30\n'
    assert_blocked(
        decide_one(source, request([candidate()], [interaction(ago(days=10), "complaint")])),
        "Adverse outcomes quarantine",
    )
    assert_allowed(decide_one(source, request([candidate()], [interaction(ago(days=31), "complaint")])))


QUIET_SMS_VOICE = 'use "compliance/quiet_hours_sms_voice"\n'
#: Friday 22:30 in New York (EDT, UTC-4) is Saturday 02:30 UTC.
NY_2230 = "2026-03-21T02:30:00Z"


@pytest.mark.parametrize("channel", ["ch_sms", "ch_voice"])
def test_sms_voice_quiet_hours_block_at_2230_customer_time(channel: str) -> None:
    decision = decide_one(QUIET_SMS_VOICE, request([candidate(channel=channel)], now=NY_2230))
    entry = assert_blocked(decision, "SMS and voice quiet hours")
    assert entry["ruleType"] == "time_window"
    assert entry["details"]["currentHour"] == 22
    assert entry["eligibleAt"] == "2026-03-21T12:00:00Z"  # Saturday 08:00 in New York


@pytest.mark.parametrize("channel", ["ch_sms", "ch_voice"])
def test_sms_voice_quiet_hours_allow_at_1000_customer_time(channel: str) -> None:
    assert_allowed(decide_one(QUIET_SMS_VOICE, request([candidate(channel=channel)], now=NOW)))


@pytest.mark.parametrize(
    ("utc", "allowed"),
    [
        ("2026-03-20T11:59:59Z", False),  # 07:59:59 in New York
        ("2026-03-20T12:00:00Z", True),  # 08:00
        ("2026-03-21T00:59:59Z", True),  # 20:59:59
        ("2026-03-21T01:00:00Z", False),  # 21:00
        ("2026-03-22T14:00:00Z", True),  # Sunday 10:00: every day is allowed
    ],
)
def test_sms_voice_quiet_hours_edges(utc: str, allowed: bool) -> None:
    assert decide_one(QUIET_SMS_VOICE, request([candidate(channel="ch_sms")], now=utc))["allowed"] is allowed


def test_sms_voice_quiet_hours_use_each_customers_time_zone() -> None:
    """21:30 UTC is 22:30 in Paris (closed) and 17:30 in New York (open)."""
    now = "2026-03-20T21:30:00Z"
    paris = decide_one(
        QUIET_SMS_VOICE, request([candidate(channel="ch_sms")], now=now, timezone="Europe/Paris")
    )
    assert_blocked(paris, "SMS and voice quiet hours")
    assert_allowed(decide_one(QUIET_SMS_VOICE, request([candidate(channel="ch_sms")], now=now)))
    # no customer time zone: UTC, where 21:30 is closed
    utc = decide_one(QUIET_SMS_VOICE, request([candidate(channel="ch_sms")], now=now, timezone=None))
    assert_blocked(utc, "SMS and voice quiet hours")


def test_sms_voice_quiet_hours_leave_other_channels_alone() -> None:
    cands = [candidate(channel="ch_email"), candidate(channel="ch_whatsapp"), candidate(channel="ch_push")]
    for decision in decide(QUIET_SMS_VOICE, request(cands, now=NY_2230)):
        assert_allowed(decision)
        assert result_of(decision, "SMS and voice quiet hours") == "not_in_scope"


def test_sms_voice_quiet_hours_cannot_be_overridden() -> None:
    cands = [candidate(channel="ch_sms"), candidate(channel="ch_voice", isMandatory=True)]
    for decision in decide(QUIET_SMS_VOICE + OVERRIDE_ALL, request(cands, now=NY_2230)):
        assert_blocked(decision, "SMS and voice quiet hours")
        assert decision["overriddenBy"] is None


def test_sms_voice_quiet_hours_on_your_own_channel_ids() -> None:
    source = (
        'use "compliance/quiet_hours_sms_voice" with name "SMS quiet hours", '
        'scopes null, scopeId "acme_sms"\n'
        'use "compliance/quiet_hours_sms_voice" with name "Voice quiet hours", '
        'scopes null, scopeId "acme_calls"\n'
    )
    cands = [candidate(channel="acme_sms"), candidate(channel="acme_calls"), candidate(channel="ch_sms")]
    sms, calls, conventional = decide(source, request(cands, now=NY_2230))
    assert_blocked(sms, "SMS quiet hours")
    assert_blocked(calls, "Voice quiet hours")
    assert_allowed(conventional)


def test_sms_voice_quiet_hours_with_days_and_a_fixed_zone() -> None:
    source = (
        'use "compliance/quiet_hours_sms_voice" with startHour 9, endHour 20, '
        'daysOfWeek [1, 2, 3, 4, 5, 6], timezone "America/New_York"\n'
    )
    sunday_noon = "2026-03-22T16:00:00Z"  # 12:00 in New York
    assert_blocked(
        decide_one(source, request([candidate(channel="ch_sms")], now=sunday_noon, timezone="Europe/Paris")),
        "SMS and voice quiet hours",
    )
    # Friday 10:00 New York; the customer's own zone (Tokyo, 23:00) no longer matters
    assert_allowed(decide_one(source, request([candidate(channel="ch_sms")], now=NOW, timezone="Asia/Tokyo")))


QUIET_WHATSAPP = 'use "compliance/quiet_hours_whatsapp"\n'


def test_whatsapp_quiet_hours_open_at_nine() -> None:
    """08:30 in New York: SMS is open, WhatsApp not until 09:00."""
    now = "2026-03-20T12:30:00Z"
    cands = [candidate(channel="ch_whatsapp"), candidate(channel="ch_sms")]
    whatsapp, sms = decide(QUIET_WHATSAPP + QUIET_SMS_VOICE, request(cands, now=now))
    entry = assert_blocked(whatsapp, "WhatsApp quiet hours")
    assert entry["eligibleAt"] == "2026-03-20T13:00:00Z"
    assert_allowed(sms)
    assert_allowed(decide_one(QUIET_WHATSAPP, request([candidate(channel="ch_whatsapp")], now=NOW)))


def test_whatsapp_quiet_hours_block_late_and_cannot_be_overridden() -> None:
    cand = candidate(channel="ch_whatsapp", isMandatory=True)
    decision = decide_one(QUIET_WHATSAPP + OVERRIDE_ALL, request([cand], now=NY_2230))
    assert_blocked(decision, "WhatsApp quiet hours")


def test_whatsapp_quiet_hours_on_your_own_channel_id() -> None:
    source = 'use "compliance/quiet_hours_whatsapp" with scopeId "wa_main"\n'
    own, conventional = decide(
        source, request([candidate(channel="wa_main"), candidate(channel="ch_whatsapp")], now=NY_2230)
    )
    assert_blocked(own, "WhatsApp quiet hours")
    assert_allowed(conventional)


# -- behaviour: lifecycle ----------------------------------------------------------------
UNSUBSCRIBE = 'use "lifecycle/suppress_after_unsubscribe"\n'


def test_unsubscribe_suppresses_every_channel_for_ninety_days() -> None:
    unsubscribed = ago(days=30)
    history = [interaction(unsubscribed, "unsubscribe", channelId="ch_email")]
    cands = [candidate(), candidate("off_cards_gold", "ch_sms")]
    for decision in decide(UNSUBSCRIBE, request(cands, history)):
        entry = assert_blocked(decision, "Suppress after unsubscribe")
        assert entry["eligibleAt"] == after(unsubscribed, days=90)


def test_unsubscribe_lifts_after_ninety_days_exactly() -> None:
    history = [interaction(ago(days=90), "unsubscribe")]
    assert_allowed(decide_one(UNSUBSCRIBE, request([candidate()], history)))


def test_unsubscribe_ignores_other_outcomes() -> None:
    history = [interaction(ago(days=1), "complaint"), interaction(ago(days=1), "conversion")]
    assert_allowed(decide_one(UNSUBSCRIBE, request([candidate()], history)))


def test_unsubscribe_suppression_is_a_marketing_rule_an_override_lifts() -> None:
    history = [interaction(ago(days=30), "unsubscribe")]
    decision = decide_one(UNSUBSCRIBE + OVERRIDE_ALL, request([candidate()], history))
    assert_allowed(decision)
    assert decision["overriddenBy"] == "Service exception"
    final = 'use "lifecycle/suppress_after_unsubscribe" with bypassable false\n' + OVERRIDE_ALL
    assert_blocked(decide_one(final, request([candidate()], history)), "Suppress after unsubscribe")


def test_unsubscribe_on_one_channel_only() -> None:
    source = (
        'use "lifecycle/suppress_after_unsubscribe" with '
        'scope "channel", scopeId "ch_email", suppressForDays 180\n'
    )
    history = [interaction(ago(days=120), "unsubscribe", channelId="ch_email")]
    email, sms = decide(source, request([candidate(), candidate(channel="ch_sms")], history))
    assert_blocked(email, "Suppress after unsubscribe")
    assert_allowed(sms)


DISMISS = 'use "lifecycle/offer_cooldown_after_dismiss"\n'
CARDS = {"categoryId": "cat_cards", "offerCategory": "credit cards"}


def dismissed(offer: str, days_ago: float, **fields: Any) -> dict[str, Any]:
    return interaction(ago(days=days_ago), "dismiss", offerId=offer, **fields)


def test_dismiss_cooldown_rests_each_dismissed_offer_on_its_own() -> None:
    """Imported as is, one global policy rests whichever offer was dismissed, on any channel,
    and no other offer."""
    moment = ago(days=2)
    history = [interaction(moment, "dismiss", offerId="off_gold_card", channelId="ch_push", **CARDS)]
    cands = [
        candidate("off_gold_card", "ch_email", **CARDS),  # the dismissed offer, on another channel
        candidate("off_travel_card", "ch_email", **CARDS),  # another offer of the same category
    ]
    gold, travel = decide(DISMISS, request(cands, history))
    entry = assert_blocked(gold, "Offer cooldown after dismiss")
    assert entry["eligibleAt"] == after(moment, days=7)
    assert (entry["details"]["per"], entry["details"]["perValue"]) == ("offer", "off_gold_card")
    assert "off_gold_card" in entry["reason"]
    assert_allowed(travel)


def test_dismiss_cooldown_lifts_after_seven_days() -> None:
    history = [dismissed("off_gold_card", 7)]
    assert_allowed(decide_one(DISMISS, request([candidate("off_gold_card")], history)))


def test_dismiss_cooldown_only_counts_dismissals_of_that_offer() -> None:
    history = [dismissed("off_travel_card", 1), interaction(ago(days=1), "rejected", offerId="off_gold_card")]
    assert_allowed(decide_one(DISMISS, request([candidate("off_gold_card")], history)))


def test_dismiss_cooldown_two_offers_rest_for_their_own_time() -> None:
    history = [dismissed("off_gold_card", 8), dismissed("off_travel_card", 3)]
    source = 'use "lifecycle/offer_cooldown_after_dismiss" with suppressForDays 5\n'
    gold, travel = decide(
        source, request([candidate("off_gold_card"), candidate("off_travel_card")], history)
    )
    assert_allowed(gold)
    assert assert_blocked(travel, "Offer cooldown after dismiss")["details"]["perValue"] == "off_travel_card"


def test_dismiss_cooldown_per_category_rests_the_category() -> None:
    source = 'use "lifecycle/offer_cooldown_after_dismiss" with per "category"\n'
    history = [dismissed("off_gold_card", 1, **CARDS)]
    cands = [candidate("off_platinum_card", **CARDS), candidate("off_welcome", categoryId="cat_banking")]
    platinum, banking = decide(source, request(cands, history))
    assert_blocked(platinum, "Offer cooldown after dismiss")
    assert_allowed(banking)


def test_dismiss_cooldown_on_one_channel() -> None:
    source = 'use "lifecycle/offer_cooldown_after_dismiss" with scope "channel", scopeId "ch_push"\n'
    history = [dismissed("off_gold_card", 1, channelId="ch_email")]
    push, email = decide(
        source,
        request([candidate("off_gold_card", "ch_push"), candidate("off_gold_card", "ch_email")], history),
    )
    assert_allowed(push)  # an email dismissal does not count on push
    assert_allowed(email)  # and email is outside the policy's scope
    history = [dismissed("off_gold_card", 1, channelId="ch_push")]
    assert_blocked(
        decide_one(source, request([candidate("off_gold_card", "ch_push")], history)),
        "Offer cooldown after dismiss",
    )


def test_dismiss_cooldown_per_creative_passes_a_candidate_without_creative() -> None:
    """`per "creative"` rests the dismissed creative; a candidate without one has nothing to
    count by, so it passes (SPEC §1.1)."""
    source = 'use "lifecycle/offer_cooldown_after_dismiss" with per "creative"\n'
    history = [dismissed("off_gold_card", 1, creativeId="cr_1")]
    same, other = decide(
        source, request([candidate("off_gold_card", creativeId="cr_1"), candidate("off_gold_card")], history)
    )
    assert_blocked(same, "Offer cooldown after dismiss")
    assert "creativeId" not in candidate("off_gold_card")
    assert_allowed(other)


PURCHASE = 'use "lifecycle/post_purchase_cooldown"\n'


def test_post_purchase_cooldown_blocks_after_a_conversion() -> None:
    converted = ago(days=3)
    history = [interaction(converted, "conversion", offerId="off_mortgage_fix")]
    cands = [candidate(), candidate("off_cards_gold", "ch_sms", **CARDS)]
    for decision in decide(PURCHASE, request(cands, history)):
        entry = assert_blocked(decision, "Post-purchase cooldown")
        assert entry["eligibleAt"] == after(converted, days=14)


def test_post_purchase_cooldown_for_each_category() -> None:
    source = 'use "lifecycle/post_purchase_cooldown" with per "category"\n'
    history = [interaction(ago(days=3), "conversion", offerId="off_gold_card", **CARDS)]
    banking, cards = decide(source, request([candidate(), candidate("off_platinum_card", **CARDS)], history))
    assert_allowed(banking)
    assert assert_blocked(cards, "Post-purchase cooldown")["details"]["perValue"] == "cat_cards"


def test_post_purchase_cooldown_lifts_after_fourteen_days() -> None:
    history = [interaction(ago(days=14), "conversion"), interaction(ago(days=1), "impression")]
    assert_allowed(decide_one(PURCHASE, request([candidate()], history)))


def test_post_purchase_cooldown_with_more_outcomes() -> None:
    params = 'suppressForDays 30, afterOutcome ["conversion", "purchase"]'
    source = f'use "lifecycle/post_purchase_cooldown" with {params}\n'
    history = [interaction(ago(days=20), "purchase")]
    assert_blocked(decide_one(source, request([candidate()], history)), "Post-purchase cooldown")
    assert_allowed(decide_one(PURCHASE, request([candidate()], history)))


# -- behaviour: fatigue ------------------------------------------------------------------
EMAIL_CAP = 'use "fatigue/email_weekly_cap"\n'


def email_impressions(*days_ago: float, channel: str = "ch_email") -> list[dict[str, Any]]:
    return [interaction(ago(days=d), offerId=f"off_{i}", channelId=channel) for i, d in enumerate(days_ago)]


def test_email_cap_blocks_the_fourth_email_in_seven_days() -> None:
    history = email_impressions(6, 4, 2)
    decision = decide_one(EMAIL_CAP, request([candidate()], history))
    entry = assert_blocked(decision, "Email frequency cap")
    assert entry["details"] == {"window": "weekly", "count": 3, "max": 3}
    assert entry["eligibleAt"] == after(ago(days=6), days=7)


def test_email_cap_allows_the_third_email() -> None:
    assert_allowed(decide_one(EMAIL_CAP, request([candidate()], email_impressions(6, 2))))


def test_email_cap_forgets_emails_older_than_a_week() -> None:
    assert_allowed(decide_one(EMAIL_CAP, request([candidate()], email_impressions(8, 7, 2))))


def test_email_cap_one_a_day() -> None:
    decision = decide_one(EMAIL_CAP, request([candidate()], email_impressions(0.25)))
    entry = assert_blocked(decision, "Email frequency cap")
    assert entry["details"] == {"window": "daily", "count": 1, "max": 1}


def test_email_cap_counts_email_only() -> None:
    history = email_impressions(6, 4, 2, channel="ch_sms")
    email, sms = decide(EMAIL_CAP, request([candidate(), candidate(channel="ch_sms")], history))
    assert_allowed(email)
    assert_allowed(sms)
    assert result_of(sms, "Email frequency cap") == "not_in_scope"


def test_email_cap_for_each_offer() -> None:
    """`per "offer"`: three emails of other offers do not block; three of the same one do."""
    source = 'use "fatigue/email_weekly_cap" with per "offer"\n'
    assert_allowed(decide_one(source, request([candidate("off_0")], email_impressions(6, 4, 2))))
    history = [interaction(ago(days=d), offerId="off_0", channelId="ch_email") for d in (6, 4, 2)]
    entry = assert_blocked(decide_one(source, request([candidate("off_0")], history)), "Email frequency cap")
    assert entry["details"] == {"window": "weekly", "count": 3, "max": 3, "per": "offer", "perValue": "off_0"}


def test_email_cap_with_parameters() -> None:
    source = 'use "fatigue/email_weekly_cap" with maxPerDay null, maxPerWeek 2, scopeId "email"\n'
    history = email_impressions(3, 0.1, channel="email")
    own, conventional = decide(source, request([candidate(channel="email"), candidate()], history))
    entry = assert_blocked(own, "Email frequency cap")
    assert entry["details"]["window"] == "weekly"
    assert_allowed(conventional)


BUDGET = 'use "fatigue/customer_communication_budget"\n'


def mixed_impressions(count: int, *, days_ago: float = 1) -> list[dict[str, Any]]:
    channels = ["ch_email", "ch_sms", "ch_push", "ch_whatsapp"]
    return [
        interaction(ago(days=days_ago, hours=i), offerId=f"off_{i}", channelId=channels[i % 4])
        for i in range(count)
    ]


def test_customer_budget_blocks_the_eleventh_contact_in_a_week() -> None:
    decision = decide_one(BUDGET, request([candidate("off_new", "ch_push")], mixed_impressions(10)))
    entry = assert_blocked(decision, "Customer contact budget")
    assert entry["ruleType"] == "customer_total_cap"
    assert entry["details"] == {"periodType": "weekly", "count": 10, "max": 10}


def test_customer_budget_allows_the_tenth_contact() -> None:
    assert_allowed(decide_one(BUDGET, request([candidate("off_new", "ch_push")], mixed_impressions(9))))


def test_customer_budget_forgets_contacts_older_than_a_week() -> None:
    history = mixed_impressions(5, days_ago=1) + mixed_impressions(10, days_ago=7.5)
    assert_allowed(decide_one(BUDGET, request([candidate()], history)))


def test_customer_budget_with_parameters() -> None:
    source = 'use "fatigue/customer_communication_budget" with maxTotal 20, periodType "monthly"\n'
    history = mixed_impressions(10, days_ago=1) + mixed_impressions(10, days_ago=20)
    assert_blocked(decide_one(source, request([candidate()], history)), "Customer contact budget")
    assert_allowed(decide_one(source, request([candidate()], mixed_impressions(15))))


# -- the whole library at work ---------------------------------------------------------
def test_the_whole_library_on_one_request() -> None:
    """Every module imported at once; Friday 22:30 in New York."""
    source = "".join(f'use "{module}"\n' for module in MODULES)
    history = [
        *email_impressions(5, 3),
        dismissed("off_gold_card", 2, **CARDS),
        interaction("2026-03-20T20:00:00Z", offerId="off_push", channelId="ch_push"),
    ]
    cands = [
        candidate("off_welcome", "ch_email"),  # 2 emails this week, none today: allowed
        candidate("off_welcome", "ch_sms"),  # quiet hours
        candidate("off_gold_card", "ch_push", **CARDS),  # dismissed two days ago
        candidate("off_welcome", "ch_whatsapp"),  # quiet hours
        candidate("off_loan", "ch_push"),  # allowed
    ]
    decisions = decide(source, request(cands, history, now=NY_2230))
    assert [blocked_by(d) for d in decisions] == [
        [],
        ["SMS and voice quiet hours"],
        ["Offer cooldown after dismiss"],
        ["WhatsApp quiet hours"],
        [],
    ]
    # a complaint an hour ago quarantines all of them, first in the evaluation order
    complained = decide(
        source, request(cands, [*history, interaction(ago(hours=1), "complaint")], now=NY_2230)
    )
    assert all(d["blockedBy"][0]["policyName"] == "Adverse outcomes quarantine" for d in complained)


# -- docs/stdlib.md --------------------------------------------------------------------
_FENCE = re.compile(r"^```(?P<info>[^`]*)$")


def doc_blocks() -> list[tuple[int, str, str, tuple[int, str] | None]]:
    """(line, language, text, the preceding cpol block's (line, text) when paired)."""
    lines = STDLIB_DOC.read_text(encoding="utf-8").split("\n")
    blocks: list[tuple[int, str, str, tuple[int, str] | None]] = []
    previous: tuple[int, str, str] | None = None
    gap: list[str] = []
    index = 0
    while index < len(lines):
        match = _FENCE.match(lines[index])
        if match is None:
            if lines[index].strip():
                gap.append(lines[index].strip())
            index += 1
            continue
        start = index
        end = lines.index("```", index + 1)
        text = "".join(line + "\n" for line in lines[start + 1 : end])
        lang = match["info"].strip()
        paired = not gap or (len(gap) == 1 and gap[0].endswith(":"))
        follows = (previous[0], previous[2]) if paired and previous and previous[1] == "cpol" else None
        blocks.append((start + 1, lang, text, follows))
        previous = (start + 1, lang, text)
        gap = []
        index = end + 1
    return blocks


DOC_BLOCKS = doc_blocks()


def test_doc_has_a_section_per_module() -> None:
    text = STDLIB_DOC.read_text(encoding="utf-8")
    for module in MODULES:
        assert f"\n## {module}\n" in text, module
        assert f'use "{module}"' in text, module


def test_doc_blocks_are_cpol_or_paired_json() -> None:
    for line, lang, _text, follows in DOC_BLOCKS:
        assert lang in {"cpol", "json"}, f"line {line}: ```{lang}"
        if lang == "json":
            assert follows is not None, f"line {line}: a JSON block must follow a cpol block"


@pytest.mark.parametrize("block", [b for b in DOC_BLOCKS if b[1] == "cpol"], ids=lambda b: f"line {b[0]}")
def test_doc_cpol_compiles(block: tuple[int, str, str, Any]) -> None:
    compile_json(block[2], "<doc>")


@pytest.mark.parametrize("block", [b for b in DOC_BLOCKS if b[1] == "json"], ids=lambda b: f"line {b[0]}")
def test_doc_json_is_the_compiled_policy(block: tuple[int, str, str, Any]) -> None:
    _line, _lang, text, follows = block
    compiled = compile_json(follows[1], "<doc>")
    shown = json.loads(text)
    expected: object = compiled[0] if isinstance(shown, dict) and len(compiled) == 1 else compiled
    assert json.dumps(shown, ensure_ascii=False) == json.dumps(expected, ensure_ascii=False)
