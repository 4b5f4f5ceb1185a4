"""What the editor says about the words of `.cpol`: hover text, snippets and docs anchors.

The texts are the reference's own (docs/language.md); `tests/lsp/test_language.py` checks
that each summary is still written there, so hover and the docs cannot drift apart.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import get_args

from cpol.compiler.lower import META_KEYS, WEEKDAYS
from cpol.grammar.parser import get_parser
from cpol.plan.fields import BudgetField, ScopeKind, Status


@dataclass(frozen=True)
class Entry:
    """One thing a word can stand for: how it is written, what it means, where it is documented."""

    syntax: str
    summary: str
    anchor: str
    snippet: str = ""


SENTENCES: dict[str, Entry] = {
    "frequency_cap": Entry(
        'cap ITEM, ITEM… [within campaign "id"] [excluding campaigns LIST]',
        "Blocks when the in-scope impressions in a window reach its maximum (any one of them).",
        "frequency_cap-cap-",
        "cap ${1:3} per ${2|day,week,month|}",
    ),
    "cooldown": Entry(
        "cooldown N hours",
        "Blocks while the last in-scope impression is less than N hours old.",
        "cooldown-cooldown-n-hours",
        "cooldown ${1:48} hours",
    ),
    "budget_exhausted": Entry(
        "stop when FIELD reach N",
        "Blocks when the consumed budget of the candidate's offer (its creative, for a creative "
        "scope) has reached the threshold.",
        "budget_exhausted-stop-when--reach-n",
        "stop when ${1|impressions,spend,daily_spend|} reach ${2:10000}",
    ),
    "outcome_based": Entry(
        'suppress for N days after "outcome", …',
        "Blocks while an in-scope interaction with one of those outcomes is less than N days old.",
        "outcome_based-suppress-for-n-days-after-",
        'suppress for ${1:90} days after "${2:complaint}"',
    ),
    "segment_exclusion": Entry(
        'exclude segments "seg", …',
        "Blocks when the customer is in any of those segments.",
        "segment_exclusion-exclude-segments-",
        'exclude segments "${1:seg_minors}"',
    ),
    "time_window": Entry(
        'only between H and H [on DAYS] [in "Zone"]',
        "Blocks when the local time is outside the window.",
        "time_window-only-between--and-",
        'only between ${1:8:00} and ${2:21:00} on ${3:mon..fri} in "${4:Europe/London}"',
    ),
    "mutual_exclusion": Entry(
        'mutually exclusive "offer", "offer", …',
        "Blocks an offer of the group when another offer of the group was already served in this "
        "session, or allowed earlier in the same request.",
        "mutual_exclusion-mutually-exclusive-",
        'mutually exclusive "${1:off_a}", "${2:off_b}"',
    ),
    "cross_channel_cap": Entry(
        'cross channel cap N [per PERIOD] [across "channel", …]',
        "Blocks when the impressions of the candidate's offer on all channels (or on the channels "
        "listed) in the period have reached N.",
        "cross_channel_cap-cross-channel-cap-n-",
        'cross channel cap ${1:5} per ${2|week,day,month|} across "${3:ch_email}", "${4:ch_sms}"',
    ),
    "customer_total_cap": Entry(
        "customer cap N [per PERIOD | in total]",
        "Blocks when the customer's impressions across every offer, channel and creative in the "
        "period have reached N.",
        "customer_total_cap-customer-cap-n-",
        "customer cap ${1:10} per ${2|week,day,month|}",
    ),
    "offer_category_cap": Entry(
        'category cap N [per PERIOD | in total] [for "category"]',
        "Blocks a candidate whose `offerCategory` is the target when the impressions in that category"
        " in the period have reached N.",
        "offer_category_cap-category-cap-n--for-category",
        'category cap ${1:3} per ${2|month,week,day|} for "${3:credit cards}"',
    ),
    "allow_override": Entry(
        'override [because "reason"]',
        "Never blocks. While an active override is in scope, it lifts every block of a bypassable "
        "policy for that candidate (not `cannot be overridden` policies, not do_not_contact, not the "
        "consent and suppression gates).",
        "allow_override-override-",
        'override because "${1:VIP exception}"',
    ),
    "category_suppression": Entry(
        'suppress category "cat" [subcategory "sub"] for N days',
        "Blocks when an offer of the candidate's category (or sub-category) was shown less than N days ago.",
        "category_suppression-suppress-category--for-n-days",
        'suppress category "${1:cat_mortgage}" for ${2:14} days',
    ),
    "do_not_contact": Entry(
        'do not contact [on list "source"] [because "reason"]',
        "Blocks when the customer is on a do-not-contact list: any list, or the one named. It is "
        "never bypassable.",
        "do_not_contact-do-not-contact-",
        'do not contact on list "${1:internal_dnc}" because "${2:reason}"',
    ),
    "metric_condition": Entry(
        'block when metric "id" OP N',
        "Blocks when the customer's metric compares true against the threshold.",
        "metric_condition-block-when-metric---n",
        'block when metric "${1:met_impressions_30d}" > ${2:12}',
    ),
}

#: The first word of each rule sentence (`suppress` starts two: `category` decides).
SENTENCE_HEADS: dict[str, str] = {
    "cap": "frequency_cap", "cooldown": "cooldown", "stop": "budget_exhausted",
    "suppress": "outcome_based", "exclude": "segment_exclusion", "only": "time_window",
    "mutually": "mutual_exclusion", "cross": "cross_channel_cap", "customer": "customer_total_cap",
    "category": "offer_category_cap", "override": "allow_override", "do": "do_not_contact",
    "block": "metric_condition",
}  # fmt: skip

STATEMENTS: dict[str, Entry] = {
    "policy": Entry(
        'policy "name" { … }',
        "One contact policy: exactly one rule sentence and optional statements.",
        "file-structure",
        'policy "${1:name}" {\n  ${0}\n}',
    ),
    "use": Entry(
        'use "MODULE" [with KEY VALUE, …]',
        "Copies the policies of another module into the file, optionally changing some of their values.",
        "imports-use",
        'use "${1}"',
    ),
    "description": Entry(
        'description "text"',
        "A free text shown with the policy.",
        "description-status-priority",
        'description "${1}"',
    ),
    "status": Entry(
        "status draft | active | paused | archived",
        "Only active policies are evaluated, the others show up in a full trace as skipped.",
        "description-status-priority",
        "status ${1|active,draft,paused,archived|}",
    ),
    "priority": Entry(
        "priority N (0–100)",
        "Higher priorities are evaluated first (ties: newest `createdAt` first, then `id`).",
        "description-status-priority",
        "priority ${1:50}",
    ),
    "applies": Entry(
        'applies to KIND "id", …',
        "`scope`/`scopeId` from the first scope, and `scopes` with every scope.",
        "scopes",
        'applies to ${1|channel,offer,creative,category,subcategory|} "${2:id}"',
    ),
    "scope": Entry(
        'scope KIND "id"', "Sets `scope`/`scopeId` only.", "scopes", 'scope ${1:channel} "${2:id}"'
    ),
    "scopes": Entry(
        'scopes KIND "id", … | none | null', "Sets `scopes` only.", "scopes", 'scopes ${1:channel} "${2:id}"'
    ),
    "meta": Entry(
        'meta { id "…" version N … }',
        "The server owns `id`, `tenantId`, `version`, `createdAt`, `updatedAt` and `deletedAt`.",
        "meta",
        'meta {\n  id "${1}"\n}',
    ),
    "can": Entry(
        "can be overridden",
        "`can be overridden` writes `true`, which is what an absent key means anyway.",
        "can-be-overridden--cannot-be-overridden",
        "can be overridden",
    ),
    "cannot": Entry(
        "cannot be overridden",
        "`cannot be overridden` writes `false`: an `override` policy (allow_override) no longer lifts"
        " this policy's block.",
        "can-be-overridden--cannot-be-overridden",
        "cannot be overridden",
    ),
}

UNITS: dict[str, Entry] = {
    "day": Entry("per day", "`daily`: the last 24 hours.", "periods"),
    "week": Entry("per week", "`weekly`: the last 7 days.", "periods"),
    "month": Entry("per month", "`monthly`: the last 30 days.", "periods"),
    "total": Entry("in total", "`alltime`: everything.", "periods"),
    "hours": Entry("N hours", "A duration in hours: `cooldown 48 hours` writes `cooldownHours`.", "numbers"),
    "days": Entry("N days", "A duration in days, 0 or from one second to 10,000 years.", "numbers"),
}
UNITS["hour"] = UNITS["hours"]

ZONES_ANCHOR = "time-windows"
EACH = Entry(
    "… for each offer",
    "`for each offer` (`channel`, `creative`, `category`, `subcategory`) sets `per`.",
    "counting-for-each-offer-channel-or-category-for-each",
)

#: Enumerated words and what completes them.
WORD_CHOICES: dict[str, tuple[str, ...]] = {
    "status": get_args(Status),
    "per": ("day", "week", "month"),
    "scope_kind": get_args(ScopeKind),
    "day": WEEKDAYS,
    "meta": META_KEYS,
    "budget": get_args(BudgetField),
}


@functools.cache
def keywords() -> frozenset[str]:
    """Every reserved word of the grammar (a word the lexer never reads as a name)."""
    literals = (t.pattern.value for t in get_parser().terminals if t.pattern.type == "str")
    return frozenset(word for word in literals if word.isalpha())


def docs_link(base: str, entry: Entry) -> str:
    return f"{base}/language.md#{entry.anchor}"
