"""The catalogue: what a tenant's offers, channels, categories… are, for `cpol lint --catalog`.

A JSON object; every key is optional and a missing key means "not known", never "empty":

    {
      "offers": ["off_welcome", "off_cards_gold"],
      "channels": ["ch_email", "ch_sms"],
      "categories": ["cat_cards"],
      "subcategories": ["sub_gold"],
      "creatives": ["cr_gold_hero"],
      "outcomes": ["impression", "click", "dismiss", "unsubscribe"],
      "customerTimezones": "all"
    }

`customerTimezones` says whether the customers' profiles carry a time zone: `"all"`,
`"some"` or `"none"`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, cast

from cpol.diagnostics import Diagnostic, Diagnostics, did_you_mean
from cpol.plan.jsontext import decode_json

TimezoneCoverage = Literal["all", "some", "none"]

SCOPE_LISTS: dict[str, str] = {
    "offers": "offer",
    "channels": "channel",
    "categories": "category",
    "subcategories": "subcategory",
    "creatives": "creative",
}
"""Catalogue key -> the scope kind whose ids it lists."""
LIST_KEYS = (*SCOPE_LISTS, "outcomes")
TIMEZONE_KEY = "customerTimezones"
TIMEZONE_VALUES: tuple[TimezoneCoverage, ...] = ("all", "some", "none")


@dataclass(frozen=True)
class Catalog:
    ids: dict[str, frozenset[str]] = field(default_factory=dict)
    """Scope kind (`offer`, `channel`, …) -> the known ids; absent kinds are not known."""
    outcomes: frozenset[str] | None = None
    customer_timezones: TimezoneCoverage | None = None


def load_catalog(text: str, file: str) -> Catalog:
    """Parse a catalogue; `Diagnostics` (with JSON paths) for anything it cannot use."""
    data, problems = decode_json(text, file)
    if not isinstance(data, dict):
        raise Diagnostics([*problems, Diagnostic("a catalogue is a JSON object", file)])
    ids: dict[str, frozenset[str]] = {}
    outcomes: frozenset[str] | None = None
    coverage: TimezoneCoverage | None = None
    for key, value in data.items():
        if key == TIMEZONE_KEY:
            if value in TIMEZONE_VALUES:
                coverage = cast(TimezoneCoverage, value)
            else:
                message = f"{TIMEZONE_KEY} must be one of {', '.join(TIMEZONE_VALUES)}"
                problems.append(Diagnostic(message, file, path=key))
            continue
        if key not in LIST_KEYS:
            hint = did_you_mean(key, [*LIST_KEYS, TIMEZONE_KEY]) or f"a catalogue has {', '.join(LIST_KEYS)}"
            problems.append(Diagnostic(f"unknown catalogue key `{key}`", file, path=key, hint=hint))
            continue
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            problems.append(Diagnostic(f"{key} must be a list of strings", file, path=key))
            continue
        if key == "outcomes":
            outcomes = frozenset(value)
        else:
            ids[SCOPE_LISTS[key]] = frozenset(value)
    if problems:
        raise Diagnostics(problems)
    return Catalog(ids, outcomes, coverage)
