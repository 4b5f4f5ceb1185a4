"""Explain output for a terminal: one block per candidate, readable at 100 columns.

Each block has a header line (position, offer, channel, verdict and when it lifts), the
blocking entries (gates first) with their full reasons, the override that lifted blocks,
if any, and the whole trace as an aligned table whose reasons are cut with `…` to fit the
width. Colour (green allowed, red blocked, dim for entries that did not apply) is only
added when asked for, i.e. when the caller writes to a terminal.

User strings (policy names, ids, reasons quoting them) are shown with control characters
escaped, so a policy name cannot move the cursor or recolour the terminal.

Nobody reads a hundred thousand candidate blocks: beyond TEXT_CANDIDATES the report shows
the first ones in full and sums up the rest in a few lines (how many, allowed, blocked and
by which policy first), pointing to `--format json` for the whole detail. Every step is
linear in the decisions and their traces, so a large request costs what evaluating it costs.
"""

from __future__ import annotations

import math
import textwrap
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import click

from cpol.runtime.clock import format_instant
from cpol.runtime.decision import Decision, Entry
from cpol.runtime.request import Request
from cpol.textsafe import cell_width, clean

DEFAULT_WIDTH = 100
#: Results whose rows are dimmed: the policy did not take part in the decision.
QUIET_RESULTS = frozenset({"not_in_scope", "skipped"})
#: The trace reason of a block an override lifted starts with this (engine wording).
BYPASSED_PREFIX = "bypassed by override"

#: Candidates shown in full; the others are summed up (see `summary_lines`).
TEXT_CANDIDATES = 50
#: First blocking policies named in the summary of the candidates not shown.
SUMMARY_POLICIES = 10


# Shared helpers (the HTML report uses them too) -------------------------------------------


def is_gate(entry: Entry) -> bool:
    """Consent and suppression gates are the entries without a priority."""
    return entry.priority is None


def gates_first(entries: Sequence[Entry]) -> list[Entry]:
    return sorted(entries, key=lambda entry: not is_gate(entry))  # stable: order kept otherwise


def instant(epoch: float | None) -> str | None:
    return format_instant(epoch) if epoch is not None else None


def duration(seconds: float) -> str:
    """`2d 3h 5m`, rounded up to the minute; `0m` for nothing."""
    minutes = max(0, math.ceil(round(seconds, 6) / 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{days}d"] if days else []
    if hours:
        parts.append(f"{hours}h")
    if mins or not parts:
        parts.append(f"{mins}m")
    return " ".join(parts)


def positions(decisions: Sequence[Decision], request: Request | None) -> list[int]:
    """The 1-based rank of each decision's candidate in the request (its index in
    `decisions` when the candidate is not one of the request's).

    One table of the request's candidates, by identity, for all the decisions: looking
    each one up by a scan made the report quadratic in the candidates.
    """
    ranks = {id(c): index + 1 for index, c in enumerate(request.candidates)} if request is not None else {}
    return [ranks.get(id(decision.candidate), index + 1) for index, decision in enumerate(decisions)]


def grouped(number: int) -> str:
    """`19,950`: counts a reader takes in at a glance."""
    return f"{number:,}"


@dataclass(frozen=True)
class Rest:
    """The candidates a report leaves out, summed up: how many, how many allowed, and the
    policies (at most SUMMARY_POLICIES, the most frequent first) that block them first."""

    count: int
    allowed: int
    blockers: list[tuple[str, int]]
    other_policies: int

    @property
    def blocked(self) -> int:
        return self.count - self.allowed


def rest_of(decisions: Sequence[Decision]) -> Rest:
    first = Counter(gates_first(d.blocked_by)[0].policy_name for d in decisions if d.blocked_by)
    allowed = sum(1 for d in decisions if d.allowed)
    others = max(0, len(first) - SUMMARY_POLICIES)
    return Rest(len(decisions), allowed, first.most_common(SUMMARY_POLICIES), others)


def summary_lines(rest: Rest) -> list[str]:
    """The left-out candidates in at most SUMMARY_POLICIES + 3 lines."""
    lines = [
        f"… and {grouped(rest.count)} more candidate{'' if rest.count == 1 else 's'}"
        f" (see --format json): {grouped(rest.allowed)} allowed, {grouped(rest.blocked)} blocked"
    ]
    if rest.blockers:
        lines.append("  blocked first by")
        lines += [f"    {grouped(count)} × {clean(name)}" for name, count in rest.blockers]
    if rest.other_policies:
        lines.append(f"    … and {plural(rest.other_policies, 'other policy', 'other policies')}")
    return lines


def plural(number: int, one: str, many: str) -> str:
    return f"{grouped(number)} {one if number == 1 else many}"


def override_entry(decision: Decision) -> Entry | None:
    """The trace entry of the override named by `overriddenBy` (matched by id, then name)."""
    if decision.overridden_by is None or not decision.trace:
        return None
    overrides = [e for e in decision.trace if e.result == "override"]
    for entry in overrides:
        if entry.policy_id == decision.overridden_by:
            return entry
    for entry in overrides:
        if entry.policy_id is None and entry.policy_name == decision.overridden_by:
            return entry
    return None


def override_name(decision: Decision) -> str | None:
    """`VIP lounge exception (cp_017)`, or the raw `overriddenBy` when it is not in the trace."""
    if decision.overridden_by is None:
        return None
    entry = override_entry(decision)
    if entry is None:
        return decision.overridden_by
    if entry.policy_id is not None and entry.policy_id != entry.policy_name:
        return f"{entry.policy_name} ({entry.policy_id})"
    return entry.policy_name


def lifted(decision: Decision) -> list[Entry]:
    """The trace entries an override lifted (explain mode only)."""
    return [e for e in decision.trace or [] if e.result == "skipped" and e.reason.startswith(BYPASSED_PREFIX)]


def verdict_words(decision: Decision, now: float | None) -> str:
    """`ALLOWED`, `BLOCKED, eligible at … (in …)` or `BLOCKED, not by time alone`."""
    if decision.allowed:
        return "ALLOWED"
    return f"BLOCKED, {lifting(decision.eligible_at, now)}"


def lifting(eligible_at: float | None, now: float | None) -> str:
    if eligible_at is None:
        return "not by time alone"
    when = f"eligible at {format_instant(eligible_at)}"
    if now is not None:
        when += f" (in {duration(eligible_at - now)})"
    return when


def candidate_label(decision: Decision) -> str:
    """`off_welcome on ch_email (email)`: what a marketer recognises a candidate by."""
    cand = decision.candidate
    label = cand.offerId
    if cand.channelId is not None:
        label += f" on {cand.channelId}"
        if cand.channelType is not None and cand.channelType != cand.channelId:
            label += f" ({cand.channelType})"
    elif cand.channelType is not None:
        label += f" on {cand.channelType}"
    if cand.isMandatory:
        label += ", mandatory"
    return label


def entry_title(entry: Entry) -> str:
    """`Email Weekly Cap · frequency_cap · cp_001` or `consent · gate`."""
    if is_gate(entry):
        return f"{entry.policy_name} · gate"
    title = f"{entry.policy_name} · {entry.rule_type}"
    if entry.policy_id is not None:
        title += f" · {entry.policy_id}"
    return title


# Display width ------------------------------------------------------------------------------


def truncate(text: str, width: int) -> str:
    """At most `width` columns, ending in `…` when cut."""
    if cell_width(text) <= width:
        return text
    out, used = [], 0
    for char in text:
        size = 0 if unicodedata.combining(char) else cell_width(char)
        if used + size > width - 1:
            break
        out.append(char)
        used += size
    return "".join(out).rstrip() + "…"


def pad(text: str, width: int, *, right: bool = False) -> str:
    gap = " " * max(0, width - cell_width(text))
    return gap + text if right else text + gap


# Rendering ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Painter:
    """click.style when colour is on, the identity otherwise."""

    color: bool

    def __call__(self, text: str, **styles: object) -> str:
        return click.style(text, **styles) if self.color and text else text  # type: ignore[arg-type]

    def result(self, result: str, text: str) -> str:
        if result == "block":
            return self(text, fg="red", bold=True)
        if result == "pass":
            return self(text, fg="green")
        if result == "override":
            return self(text, fg="cyan", bold=True)
        return self(text, dim=True)


TABLE_INDENT = "    "
RESULT_WIDTH = len("not_in_scope")
PRIORITY_WIDTH = len("PRIO")
NAME_MAX = 30
NAME_MIN = 16
RULE_MAX = 20
RULE_MIN = 12
REASON_MIN = 28  # what the policy column leaves to reasons when it can
REASON_FLOOR = 16  # what reasons keep whatever the width


def render_text(
    decisions: Sequence[Decision],
    request: Request | None = None,
    *,
    color: bool = False,
    width: int = DEFAULT_WIDTH,
) -> str:
    """The terminal report of explain-mode decisions (fast-mode ones have no trace table)."""
    paint = _Painter(color)
    now = request.now.timestamp() if request is not None else None
    lines: list[str] = []
    if request is not None:
        zone = request.customer.timezone or "UTC"
        stamp = format_instant(request.now.timestamp())
        lines.append(clean(f"customer {request.customer.id} · now {stamp} · timezone {zone}"))
    allowed = sum(1 for d in decisions if d.allowed)
    total = len(request.candidates) if request is not None else len(decisions)
    shown = "" if len(decisions) == total else f" shown of {total}"
    counts = f"{len(decisions)} candidate{'' if len(decisions) == 1 else 's'}{shown}"
    lines.append(f"{counts}: {allowed} allowed, {len(decisions) - allowed} blocked")
    in_full = decisions[:TEXT_CANDIDATES]
    for decision, rank in zip(in_full, positions(in_full, request), strict=True):
        lines.append("")
        lines.extend(_candidate(decision, rank, now, paint, width))
    if len(decisions) > len(in_full):
        lines.append("")
        lines.extend(summary_lines(rest_of(decisions[len(in_full) :])))
    return "\n".join(lines) + "\n"


def _candidate(decision: Decision, rank: int, now: float | None, paint: _Painter, width: int) -> list[str]:
    verdict = "ALLOWED" if decision.allowed else "BLOCKED"
    colour = "green" if decision.allowed else "red"
    title = f"#{rank} {clean(candidate_label(decision))}  "
    when = "" if decision.allowed else f", {lifting(decision.eligible_at, now)}"
    lines = [title + paint(verdict, fg=colour, bold=True) + when]
    if cell_width(title + verdict + when) > width and when:  # too long: the lifting goes below
        lines = [title + paint(verdict, fg=colour, bold=True), f"  {when[2:]}"]
    if decision.blocked_by:
        lines.append("  blocked by")
        for entry in gates_first(decision.blocked_by):
            lines.extend(_blocking(entry, now, paint, width))
    name = override_name(decision)
    if name is not None:
        released = lifted(decision)
        what = f", which lifted {_names(released)}" if released else ""
        lines.extend(_wrap(f"overridden by {clean(name)}{what}", width, "  ", "    "))
    if decision.trace is not None:
        lines.append(f"  trace ({len(decision.trace)} entr{'y' if len(decision.trace) == 1 else 'ies'})")
        lines.extend(_table(decision.trace, paint, width))
    return lines


def _names(entries: Sequence[Entry]) -> str:
    return ", ".join(clean(entry.policy_name) for entry in entries)


def _blocking(entry: Entry, now: float | None, paint: _Painter, width: int) -> list[str]:
    """`✗ Name · rule · id · eligible at …` and the full reason, wrapped, never cut."""
    head = _wrap(
        f"✗ {clean(entry_title(entry))} · {lifting(entry.eligible_at, now)}", width, "    ", "      "
    )
    head[0] = head[0].replace("✗", paint("✗", fg="red"), 1)
    return [*head, *_wrap(clean(entry.reason), width, "      ", "      ")]


def _wrap(text: str, width: int, first: str, rest: str) -> list[str]:
    return textwrap.wrap(
        text,
        width=max(width, 40),
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [first.rstrip()]


def _table(trace: Sequence[Entry], paint: _Painter, width: int) -> list[str]:
    """RESULT  PRIO  POLICY  RULE TYPE  REASON, aligned; only the cells are cut, with `…`.

    The policy column gives way (down to NAME_MIN) so that reasons keep REASON_MIN columns;
    on a narrow terminal the rule type column gives way as well (down to RULE_MIN).
    """
    names = [clean(e.policy_name) for e in trace]
    rules = [clean(e.rule_type) for e in trace]
    rule_width = min(RULE_MAX, max([cell_width(r) for r in rules] + [len("RULE TYPE")]))
    base = len(TABLE_INDENT) + RESULT_WIDTH + PRIORITY_WIDTH + 4 * 2
    natural = min(NAME_MAX, max([cell_width(n) for n in names] + [len("POLICY")]))
    name_width = max(min(natural, NAME_MIN), min(natural, width - base - rule_width - REASON_MIN))
    overflow = base + rule_width + name_width + REASON_MIN - width
    if overflow > 0:  # a narrow terminal: the rule types give way too
        rule_width = max(RULE_MIN, rule_width - overflow)
    reason_width = max(REASON_FLOOR, width - base - rule_width - name_width)
    head = [
        pad("RESULT", RESULT_WIDTH),
        pad("PRIO", PRIORITY_WIDTH, right=True),
        pad("POLICY", name_width),
        pad("RULE TYPE", rule_width),
        "REASON",
    ]
    lines = [paint(TABLE_INDENT + "  ".join(head), dim=True)]
    for entry, name, rule in zip(trace, names, rules, strict=True):
        priority = "-" if entry.priority is None else str(entry.priority)
        cells = [
            pad(truncate(name, name_width), name_width),
            pad(truncate(rule, rule_width), rule_width),
            truncate(clean(entry.reason), reason_width),
        ]
        result = paint.result(entry.result, pad(entry.result, RESULT_WIDTH))
        rest = "  ".join([pad(priority, PRIORITY_WIDTH, right=True), *cells]).rstrip()
        if entry.result in QUIET_RESULTS:
            rest = paint(rest, dim=True)
        lines.append(f"{TABLE_INDENT}{result}  {rest}")
    return lines
