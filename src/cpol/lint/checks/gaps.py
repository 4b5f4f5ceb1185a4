"""gap: what a policy set leaves open or gets subtly wrong.

CPL501 a global override; CPL502 a time window without a time zone for customers who have
none either; CPL503 a mutual-exclusion group of one offer; CPL504 an outcome name nothing
else uses, close to a known one.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Iterable

from cpol.lint.codes import GLOBAL_OVERRIDE, NO_TIMEZONE, SINGLE_OFFER_GROUP, UNKNOWN_OUTCOME
from cpol.lint.context import Context
from cpol.lint.finding import Finding, Place
from cpol.lint.model import GLOBAL, View

KNOWN_OUTCOMES = frozenset(
    {
        "impression", "click", "clicked", "open", "opened", "view", "viewed",
        "conversion", "converted", "purchase", "purchased", "accept", "accepted",
        "reject", "rejected", "dismiss", "dismissed", "ignore", "ignored",
        "complaint", "unsubscribe", "unsubscribed", "hard_bounce", "soft_bounce",
        "bounce", "bounced", "spam_report", "delivered", "reply", "replied",
        "opt_out", "opted_out",
    }
)  # fmt: skip
"""Outcomes a decisioning platform commonly records; `impression` is the one caps count."""
CLOSE = 0.8
"""How alike two names must be (difflib ratio) to suggest one for the other."""


def _global_override(view: View) -> Finding | None:
    if view.rule != "allow_override" or not view.is_global:
        return None
    message = (
        f"override {view.name} is global: it lifts every bypassable block (caps, cooldowns, quiet "
        "hours…) for every candidate of every customer"
    )
    fix = "scope it to the offers, creatives or categories that need the exception"
    return Finding(GLOBAL_OVERRIDE, message, fix, Place(view.located, view.scope_loc(GLOBAL)))


def _no_timezone(context: Context, view: View) -> Finding | None:
    catalog = context.catalog
    coverage = catalog.customer_timezones if catalog is not None else None
    if view.rule != "time_window" or view.config.timezone is not None or coverage not in ("some", "none"):
        return None
    who = "customers lack one" if coverage == "none" else "some customers lack one"
    message = (
        f"{view.name} has no timezone and {who} (catalogue: customerTimezones {coverage}): "
        "for them it is evaluated in UTC"
    )
    fix = 'give it the timezone of its audience (`in "America/New_York"`; JSON `config.timezone`)'
    return Finding(NO_TIMEZONE, message, fix, Place(view.located, ("config",)))


def _single_offer_group(view: View) -> Finding | None:
    if view.rule != "mutual_exclusion" or len(set(view.config.excludeOfferIds)) >= 2:
        return None
    offers = ", ".join(dict.fromkeys(view.config.excludeOfferIds))
    message = (
        f"{view.name} groups a single offer ({offers}): mutual exclusion only conflicts with "
        "another offer of the group, so it never blocks"
    )
    fix = "list every offer that excludes the others, or delete the policy"
    return Finding(SINGLE_OFFER_GROUP, message, fix, Place(view.located, ("config", "excludeOfferIds")))


def _close(word: str, choices: Iterable[str]) -> str | None:
    options = {choice.lower(): choice for choice in choices}
    if word.lower() in options:
        return options[word.lower()]
    match = difflib.get_close_matches(word.lower(), list(options), n=1, cutoff=CLOSE)
    return options[match[0]] if match else None


def _outcome_places(view: View) -> list[tuple[str, tuple[str | int, ...]]]:
    config = view.config
    key = "afterOutcome" if config.afterOutcome is not None else "outcome"
    value = getattr(config, key)
    if isinstance(value, str):
        return [(value, ("config", key))]
    return [(name, ("config", key, position)) for position, name in enumerate(value or [])]


def _outcomes(context: Context) -> list[Finding]:
    users: Counter[str] = Counter()
    for view in context.views:
        if view.rule == "outcome_based":
            users.update(view.members)
    catalog = context.catalog.outcomes if context.catalog is not None else None
    findings = []
    for view in context.usable:
        if view.rule != "outcome_based":
            continue
        for name, loc in _outcome_places(view):
            elsewhere = users[name] > 1
            others = [used for used in users if used != name]
            if catalog is not None:
                if name in catalog or name == "impression":
                    continue
                guess = _close(name, [*catalog, *others])
                why = "the catalogue does not list it"
            else:
                if name in KNOWN_OUTCOMES or elsewhere:
                    continue
                guess = _close(name, [*KNOWN_OUTCOMES, *others])
                if guess is None:
                    continue
                why = "no other policy uses it and it is not a common outcome"
            hint = f"; did you mean `{guess}`?" if guess else ""
            message = f"{view.name} suppresses after outcome `{name}`: {why}{hint}"
            fix = f"write `{guess}`" if guess else "use an outcome your platform records"
            fix += " if that is what you meant" if guess else ""
            findings.append(Finding(UNKNOWN_OUTCOME, message, fix, Place(view.located, loc)))
    return findings


def check(context: Context) -> list[Finding]:
    findings: list[Finding] = []
    for view in context.usable:
        for found in (_global_override(view), _no_timezone(context, view), _single_offer_group(view)):
            if found is not None:
                findings.append(found)
                if found.code is SINGLE_OFFER_GROUP:
                    view.broken = True  # it never blocks
    findings.extend(_outcomes(context))
    context.reindex()
    return findings
