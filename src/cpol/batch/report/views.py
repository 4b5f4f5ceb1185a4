"""What the text and HTML reports share: the templates' environment, the cut of long
breakdowns, and a sample's decisions in words.

Every string a template prints goes through `clean` (control and bidi characters shown as
escapes): policy names, ids and reasons are anyone's text. The HTML environment escapes
them for HTML too.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import jinja2
import markupsafe

from cpol.batch.report.charts import policy_label
from cpol.batch.whatif import GroupFlips, PolicyFlips
from cpol.runtime.render.text import grouped
from cpol.textsafe import clean

#: Rows of a breakdown (offers, channels, segments, policies) a report lists; the rest are summed up.
TOP = 20
#: What a report calls an offer, channel or segment that is missing (null).
MISSING = {"offerId": "(no offer)", "channelId": "(no channel)", "segment": "(no segment)"}

Flips = TypeVar("Flips", GroupFlips, PolicyFlips)


@dataclass(frozen=True)
class Cut:
    """The first TOP items of a breakdown that flipped, and what the others add up to."""

    shown: list[Any]
    more: int  # items with flips left out
    more_blocked: int
    more_allowed: int
    quiet: int  # items where nothing flipped


def top(items: Sequence[Flips]) -> Cut:
    """Items are sorted most flips first, so the ones that flipped lead."""
    moved = [i for i in items if i.newlyBlocked.rows or i.newlyAllowed.rows]
    rest = moved[TOP:]
    return Cut(
        shown=moved[:TOP],
        more=len(rest),
        more_blocked=sum(i.newlyBlocked.rows for i in rest),
        more_allowed=sum(i.newlyAllowed.rows for i in rest),
        quiet=len(items) - len(moved),
    )


def signed(number: float, digits: int = 0) -> str:
    """`+3`, `-250`, `0`; `+0.25` with digits."""
    text = f"{number:+,.{digits}f}"
    return text[1:] if round(number, digits) == 0 else text


def counted(number: int, noun: str) -> str:
    """`1 offer`, `1,200 offers`."""
    return f"{grouped(number)} {noun}{'' if number == 1 else 's'}"


def outcome(decision: Mapping[str, Any]) -> str:
    """A sample decision in one line: `allowed`, or its first block and when it lifts."""
    if decision.get("allowed"):
        overridden = decision.get("overriddenBy")
        return f"allowed (override {overridden})" if overridden else "allowed"
    blocks = decision.get("blockedBy") or [{}]
    first = blocks[0]
    name = first.get("policyName") or first.get("ruleType") or "?"
    more = f" (+{len(blocks) - 1} more)" if len(blocks) > 1 else ""
    when = f", eligible at {decision['eligibleAt']}" if decision.get("eligibleAt") else ""
    return f"blocked by {name}{more}: {first.get('reason', '')}{when}"


def _visible(value: object) -> object:
    """User text shown safely; markup the report itself made (its script) kept as it is."""
    return clean(value) if isinstance(value, str) and not isinstance(value, markupsafe.Markup) else value


@functools.cache
def environment(html: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("cpol.batch.report", "templates"),
        autoescape=html,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        finalize=_visible,
    )
    env.filters.update(grouped=grouped, counted=counted, signed=signed, outcome=outcome, policy=policy_label)
    env.globals.update(top=top, missing=MISSING)
    return env
