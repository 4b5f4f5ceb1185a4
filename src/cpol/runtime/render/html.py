"""Explain output as a standalone HTML report (`cpol explain --format html`).

One file, inline CSS, no script and nothing fetched from the network: a summary table of
the candidates, then per candidate its blocking entries, a timeline and its trace table,
and the customer's interactions. Jinja2 autoescaping is on: policy names, reasons and ids
are user strings.

The timeline draws, on one time axis shared by every candidate, the interactions of the
request as marks and each time-bound block as a bar: for a window cap the window
[now − window, now] then the wait until its eligibleAt; for a cooldown, an outcome
suppression or a category rest the span from the event that started it to its
eligibleAt; for anything else that lifts by itself (a time window, a suppression record)
[now, eligibleAt]. Blocks that time alone never lifts are listed under the timeline.

A large request is summed up rather than drawn whole (its full detail is in
`--format json`): the first HTML_CANDIDATES candidates get a section, the summary table
lists the first SUMMARY_ROWS and sums up the rest, a history of more than MAX_MARKS
interactions is drawn as at most TIMELINE_BINS groups, and the interactions table lists
the INTERACTION_ROWS most recent. So the report's size is bounded by those numbers (and
the policies), not by the request, and every step is linear in the request.

Every instant of years 1 to 9999 draws: the axis is kept inside the calendar, and tick
labels are zero-padded. User strings are shown with control and bidi characters as
visible escapes (`\\x1b`, `\\u202e`) before being HTML-escaped.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jinja2

import cpol
from cpol.runtime.clock import DAY, FIRST_INSTANT, HOUR, LAST_INSTANT, format_instant
from cpol.runtime.decision import Decision, Entry
from cpol.runtime.render.text import (
    Rest,
    candidate_label,
    gates_first,
    grouped,
    instant,
    is_gate,
    lifted,
    lifting,
    override_name,
    positions,
    rest_of,
)
from cpol.runtime.request import Interaction, Request
from cpol.textsafe import clean

#: Window lengths by `details.window` (frequency_cap) or `details.periodType` (the other caps).
WINDOWS: dict[str, tuple[float | None, str]] = {
    "daily": (DAY, "in the last 24 hours"),
    "weekly": (7 * DAY, "in the last 7 days"),
    "monthly": (30 * DAY, "in the last 30 days"),
    "alltime": (None, "in total"),
}
#: Rules whose block starts at an event: (details key of the length, seconds per unit).
SINCE_EVENT: dict[str, tuple[str, float]] = {
    "cooldown": ("cooldownHours", HOUR),
    "outcome_based": ("suppressForDays", DAY),
    "category_suppression": ("suppressionDays", DAY),
}
CAP_RULES = frozenset({"frequency_cap", "cross_channel_cap", "customer_total_cap", "offer_category_cap"})
ADVERSE_OUTCOMES = frozenset({"complaint", "unsubscribe", "hard_bounce", "spam_report"})
_DAYS_WINDOW = re.compile(r"^(\d+(?:\.\d+)?) days?$")
#: Tick spacings to pick from, the smallest that gives at most MAX_TICKS ticks.
TICK_STEPS = tuple(h * HOUR for h in (1, 3, 6, 12)) + tuple(d * DAY for d in (1, 2, 7, 14, 30, 90, 365))
MAX_TICKS = 12
CAPTION_ROOM = 55.0  # % of the axis a caption may start at and still fit on its right
MARK_GAP = 1.2  # % of the axis under which two interaction marks would overlap
#: Candidates with a section of their own; the others are in the summary table.
HTML_CANDIDATES = 50
#: Rows of the summary table; the candidates past them are summed up under it.
SUMMARY_ROWS = 1000
#: Interactions drawn one mark each; a longer history is drawn as TIMELINE_BINS groups.
MAX_MARKS = 200
TIMELINE_BINS = 100
#: Rows of the interactions table (the most recent ones).
INTERACTION_ROWS = 500
#: The order in which outcome kinds show through in a group of interactions.
_SEVERITY = {"o-impression": 0, "o-other": 1, "o-adverse": 2}


@dataclass(frozen=True)
class Span:
    """A time-bound block on the axis: `start` None means since forever (an all-time cap)."""

    entry: Entry
    start: float | None
    end: float
    caption: str


@dataclass(frozen=True)
class Axis:
    """[low, high] in epoch seconds mapped to 0–100 %."""

    low: float
    high: float

    def percent(self, moment: float | None) -> float:
        if moment is None:
            return 0.0
        return max(0.0, min(100.0, (moment - self.low) / (self.high - self.low) * 100.0))


@dataclass
class Bar:
    left: str
    width: str
    kind: str  # "past": the window or the time since the event; "future": the wait; "lifted"


@dataclass
class Row:
    name: str
    rule_type: str
    reason: str
    caption: str
    caption_at: str  # `left: …%` or `right: …%`
    bars: list[Bar]


@dataclass
class Mark:
    left: str
    css: str
    title: str
    lane: int  # 0 or 1: marks that would overlap the previous one go one lane down


@dataclass
class Timeline:
    rows: list[Row]
    marks: list[Mark]
    marks_label: str  # `4`, or `200,000 in 100 groups`
    untimed: list[Entry]


@dataclass
class CandidateView:
    """A summary row, and a section when `timeline` is set (the first HTML_CANDIDATES)."""

    rank: int
    label: str
    decision: Decision
    blocks: list[Entry]
    verdict: str
    lifting: str
    first_block: Entry | None
    override: str | None
    lifted: list[Entry]
    timeline: Timeline | None


@dataclass(frozen=True)
class HistoryMarks:
    """The interaction marks, built once for every candidate: `by_offer` holds, for each
    offer, the indexes of the marks with an interaction of that offer (ringed `own`)."""

    marks: list[Mark]
    by_offer: dict[str, set[int]]
    label: str


# Spans ------------------------------------------------------------------------------------


def window_of(name: object) -> tuple[float | None, str] | None:
    """(seconds, words) of a window name: `weekly`, `alltime` (seconds None), `14 days`."""
    if not isinstance(name, str):
        return None
    if name in WINDOWS:
        return WINDOWS[name]
    match = _DAYS_WINDOW.match(name)
    if match:
        return float(match[1]) * DAY, f"in the last {match[1]} days"
    return None


def span_of(entry: Entry, now: float) -> Span | None:
    """Where a block sits in time, or None when time alone never lifts it."""
    details = entry.details
    if entry.rule_type in CAP_RULES:
        window = window_of(details.get("window", details.get("periodType")))
        if window is not None:
            seconds, words = window
            end = entry.eligible_at if entry.eligible_at is not None else now
            caption = f"{details.get('count')} {words}, max {details.get('max')}"
            return Span(entry, None if seconds is None else now - seconds, end, caption)
    if entry.eligible_at is None:
        return None
    if entry.rule_type in SINCE_EVENT:
        key, unit = SINCE_EVENT[entry.rule_type]
        length = _finite(details.get(key))
        if length is not None:
            return Span(entry, entry.eligible_at - length * unit, entry.eligible_at, _since(entry))
    return Span(entry, now, entry.eligible_at, "until it opens" if entry.rule_type == "time_window" else "")


def _finite(value: object) -> float | None:
    """A detail as a finite float, or None when it is no number or none a float can hold
    (an integer of 400 digits, NaN, Infinity), so the bar is drawn from `now` instead."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _since(entry: Entry) -> str:
    """What started a recency block: `since the last rejected`, `since off_x was shown`."""
    details = entry.details
    if entry.rule_type == "outcome_based" and details.get("lastOutcome"):
        return f"since the last {details['lastOutcome']}"
    if entry.rule_type == "category_suppression" and details.get("triggeringOfferId"):
        return f"since {details['triggeringOfferId']} was shown"
    return "since the last impression"


def _axis(now: float, interactions: Sequence[Interaction], spans: Sequence[Span]) -> Axis:
    moments = [now, *(i.timestamp.timestamp() for i in interactions)]
    moments += [s.start for s in spans if s.start is not None]
    moments += [s.end for s in spans]
    low, high = min(filter(math.isfinite, moments)), max(filter(math.isfinite, moments))  # now is finite
    if high - low < HOUR:
        low, high = low - DAY / 2, high + DAY / 2
    margin = (high - low) * 0.04
    return Axis(max(low - margin, FIRST_INSTANT), min(high + margin, LAST_INSTANT))


def ticks(axis: Axis) -> list[tuple[str, str]]:
    """(left %, label) at round UTC instants, at most MAX_TICKS of them."""
    # The axis lies inside the calendar (see _axis), so every tick has a date.
    span = axis.high - axis.low
    step = next((s for s in TICK_STEPS if span / s < MAX_TICKS), TICK_STEPS[-1])
    while span / step >= MAX_TICKS:  # n intervals can hold n + 1 ticks
        step *= 2
    first = math.ceil(axis.low / step) * step
    out = []
    moment = first
    while moment <= axis.high:
        when = datetime.fromtimestamp(moment, UTC)
        label = when.strftime("%b %d %H:%M") if step < DAY else when.strftime("%b %d")
        if step >= 365 * DAY:
            label = when.date().isoformat()  # zero-padded, unlike strftime's %Y for year 1
        out.append((_pct(axis.percent(moment)), label))
        moment += step
    return out


def _caption_at(start: float, end: float) -> str:
    """Where a bar's caption (drawn under it) goes: from its start, or ending at its end
    when it starts too far right for the text to fit."""
    if start <= CAPTION_ROOM:
        return f"left: {_pct(start)}%"
    return f"right: {_pct(100.0 - end)}%"


def _pct(value: float) -> str:
    return f"{value:.3f}"


def _outcome_css(outcome: str) -> str:
    if outcome == "impression":
        return "o-impression"
    if outcome in ADVERSE_OUTCOMES:
        return "o-adverse"
    return "o-other"


def interaction_title(item: Interaction) -> str:
    parts = [format_instant(item.timestamp.timestamp()), item.outcome]
    parts += [value for value in (item.offerId, item.channelId, item.campaignId) if value]
    return " · ".join(parts)


def history_marks(interactions: Sequence[Interaction], axis: Axis) -> HistoryMarks:
    """One mark per interaction (sorted by time), or, beyond MAX_MARKS, one per group of
    the interactions that fall in the same TIMELINE_BINS-th of the axis."""
    if len(interactions) > MAX_MARKS:
        return _grouped_marks(interactions, axis)
    lefts = [axis.percent(item.timestamp.timestamp()) for item in interactions]
    marks = [
        Mark(_pct(left), _outcome_css(item.outcome), interaction_title(item), lane)
        for item, left, lane in zip(interactions, lefts, _lanes(lefts), strict=True)
    ]
    by_offer: dict[str, set[int]] = {}
    for index, item in enumerate(interactions):
        if item.offerId is not None:
            by_offer.setdefault(item.offerId, set()).add(index)
    return HistoryMarks(marks, by_offer, str(len(marks)))


def _grouped_marks(interactions: Sequence[Interaction], axis: Axis) -> HistoryMarks:
    """A mark per group, at the middle of its first and last interaction, with the class of
    its worst outcome (`_SEVERITY`) and its counts in the tooltip: one pass over the
    history, so a million interactions cost a million steps, drawn as at most 100 marks."""
    bins: dict[int, list[Interaction]] = {}
    for item in interactions:
        index = min(int(axis.percent(item.timestamp.timestamp()) * TIMELINE_BINS / 100.0), TIMELINE_BINS - 1)
        bins.setdefault(index, []).append(item)
    groups = [bins[index] for index in sorted(bins)]
    by_offer: dict[str, set[int]] = {}
    for number, group in enumerate(groups):
        for item in group:
            if item.offerId is not None:
                by_offer.setdefault(item.offerId, set()).add(number)
    lefts = [axis.percent((g[0].timestamp.timestamp() + g[-1].timestamp.timestamp()) / 2) for g in groups]
    marks = [
        Mark(_pct(left), _worst_css(group), _group_title(group), lane)
        for group, left, lane in zip(groups, lefts, _lanes(lefts), strict=True)
    ]
    label = f"{grouped(len(interactions))} in {grouped(len(marks))} groups"
    return HistoryMarks(marks, by_offer, label)


def _worst_css(group: Sequence[Interaction]) -> str:
    return max({_outcome_css(item.outcome) for item in group}, key=_SEVERITY.__getitem__)


def _group_title(group: Sequence[Interaction]) -> str:
    """`37 interactions, 2026-01-02T… to 2026-01-03T…: 30 impression, 7 click`."""
    outcomes = Counter(item.outcome for item in group).most_common()
    counts = ", ".join(f"{grouped(count)} {outcome}" for outcome, count in outcomes)
    first, last = group[0].timestamp.timestamp(), group[-1].timestamp.timestamp()
    return f"{grouped(len(group))} interactions, {format_instant(first)} to {format_instant(last)}: {counts}"


def _lanes(lefts: Sequence[float]) -> list[int]:
    """The lane of each mark (in time order, at `lefts` %): a mark that would overlap the
    previous one goes one lane down."""
    last = [-100.0, -100.0]  # the rightmost mark of each lane, in %
    lanes = []
    for left in lefts:
        lane = 1 if left - last[0] < MARK_GAP and left - last[1] >= MARK_GAP else 0
        last[lane] = left
        lanes.append(lane)
    return lanes


def _own_marks(history: HistoryMarks, offer_id: str) -> list[Mark]:
    """The marks with those of the candidate's own offer ringed."""
    own = history.by_offer.get(offer_id, set())
    if not own:
        return history.marks
    return [
        Mark(m.left, f"{m.css} own", m.title, m.lane) if index in own else m
        for index, m in enumerate(history.marks)
    ]


def _timeline(
    decision: Decision, history: HistoryMarks, axis: Axis, now: float, spans: list[Span]
) -> Timeline:
    rows = []
    released = [(span, True) for span in (span_of(e, now) for e in lifted(decision)) if span is not None]
    for span, was_lifted in [*((span, False) for span in spans), *released]:
        start = axis.percent(span.start)
        end = axis.percent(span.end)
        middle = min(max(axis.percent(now), start), end)
        bars = []
        if was_lifted:
            bars.append(Bar(_pct(start), _pct(max(end - start, 0.4)), "lifted"))
        else:
            if middle > start:
                bars.append(Bar(_pct(start), _pct(middle - start), "past"))
            if end > middle:
                bars.append(Bar(_pct(middle), _pct(end - middle), "future"))
            if not bars:  # a zero-length span still shows as a tick
                bars.append(Bar(_pct(start), "0.4", "future"))
        until = f"until {format_instant(span.end)}" if span.entry.eligible_at is not None else ""
        caption = " · ".join(
            part for part in ("lifted by the override" if was_lifted else "", span.caption, until) if part
        )
        entry = span.entry
        rows.append(
            Row(entry.policy_name, entry.rule_type, entry.reason, caption, _caption_at(start, end), bars)
        )
    untimed = [e for e in gates_first(decision.blocked_by) if span_of(e, now) is None]
    marks = _own_marks(history, decision.candidate.offerId)
    return Timeline(rows, marks, history.label, untimed)


# The report -------------------------------------------------------------------------------


def details_text(details: dict[str, Any]) -> str:
    """`window=daily · count=1 · max=1`: the trace details in one line."""
    parts = []
    for key, value in details.items():
        if isinstance(value, list):
            shown = ", ".join(str(v) for v in value)
        elif value is None:
            shown = "null"
        elif isinstance(value, bool):
            shown = "true" if value else "false"
        else:
            shown = str(value)
        parts.append(f"{key}={shown}")
    return " · ".join(parts)


def _visible(value: object) -> object:
    """Every string the template prints, with control and bidi characters as escapes
    (HTML-escaping alone would keep a right-to-left override that reorders the page)."""
    return clean(value) if isinstance(value, str) else value


@functools.cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("cpol.runtime.render", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        finalize=_visible,
    )
    env.filters.update(instant=instant, details=details_text)
    return env.get_template("report.html.j2")


def render_html(decisions: Sequence[Decision], request: Request, *, sources: Sequence[str] = ()) -> str:
    """The standalone report of explain-mode decisions (fast-mode ones show no trace)."""
    now = request.now.timestamp()
    rows = decisions[:SUMMARY_ROWS]
    spans_of = [
        [span for span in (span_of(e, now) for e in gates_first(d.blocked_by)) if span is not None]
        for d in decisions[:HTML_CANDIDATES]
    ]
    interactions = sorted(request.interactions, key=lambda i: i.timestamp)
    axis = _axis(now, interactions, [span for spans in spans_of for span in spans])
    history = history_marks(interactions, axis)
    views = []
    for index, (decision, rank) in enumerate(zip(rows, positions(rows, request), strict=True)):
        blocks = gates_first(decision.blocked_by)
        timeline = None
        if index < HTML_CANDIDATES:
            timeline = _timeline(decision, history, axis, now, spans_of[index])
        views.append(
            CandidateView(
                rank=rank,
                label=candidate_label(decision),
                decision=decision,
                blocks=blocks,
                verdict="allowed" if decision.allowed else "blocked",
                lifting=lifting(decision.eligible_at, now),
                first_block=blocks[0] if blocks else None,
                override=override_name(decision),
                lifted=lifted(decision),
                timeline=timeline,
            )
        )
    allowed = sum(1 for d in decisions if d.allowed)
    listed = interactions[-INTERACTION_ROWS:]
    rest: Rest | None = rest_of(decisions[len(rows) :]) if len(decisions) > len(rows) else None
    return (
        _template().render(
            request=request,
            now=format_instant(now),
            now_left=_pct(axis.percent(now)),
            ticks=ticks(axis),
            count=len(decisions),
            candidates=views,
            sections=[view for view in views if view.timeline is not None],
            rest=rest,
            allowed=allowed,
            blocked=len(decisions) - allowed,
            total=len(request.candidates),
            interactions=listed,
            earlier=len(interactions) - len(listed),
            sources=list(sources),
            version=cpol.__version__,
            is_gate=is_gate,
            outcome_css=_outcome_css,
            grouped=grouped,
        )
        + "\n"
    )
