"""The HTML report's charts as inline SVG geometry: drawn by the page with no script.

A chart is a list of rectangles and text labels in a fixed coordinate system (the SVG's
viewBox), so it scales with the page and a browser with scripts off draws it the same.
Every bar carries a tooltip (`<title>`) with its exact numbers. Labels are user text
(policy names, offer ids): they are cut to fit and escaped by the template, and the
full text is in the tooltip.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from cpol.batch.whatif import Count, GroupFlips, PolicyFlips
from cpol.runtime.render.text import grouped

WIDTH = 760
LABEL_WIDTH = 230
VALUE_ROOM = 70  # right of the longest bar, for its number
ROW_HEIGHT = 26
BAR_HEIGHT = 10
HISTOGRAM_HEIGHT = 220
AXIS_ROOM = 34
#: Characters of a label drawn before it is cut with `…`.
LABEL_CHARS = 30
#: Contact counts drawn one column each; larger counts share the last column (`20+`).
HISTOGRAM_COLUMNS = 20


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    anchor: str = "start"  # SVG text-anchor
    css: str = ""
    title: str = ""


@dataclass
class Chart:
    title: str
    width: float
    height: float
    rects: list[Rect] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)


@dataclass(frozen=True)
class Item:
    """One row of a flips chart: a label and its newly blocked and newly allowed rows."""

    label: str
    blocked: int
    allowed: int


def cut(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def policy_items(policies: Sequence[PolicyFlips]) -> list[Item]:
    return [Item(policy_label(p), p.newlyBlocked.rows, p.newlyAllowed.rows) for p in policies]


def policy_label(policy: PolicyFlips) -> str:
    """`Email Weekly Cap (cp_001)`, or whichever of the two is known."""
    if policy.policyName and policy.policyId and policy.policyName != policy.policyId:
        return f"{policy.policyName} ({policy.policyId})"
    return policy.policyName or policy.policyId or "(unnamed policy)"


def group_items(groups: Sequence[GroupFlips], missing: str) -> list[Item]:
    return [
        Item(g.key if g.key is not None else missing, g.newlyBlocked.rows, g.newlyAllowed.rows)
        for g in groups
    ]


def flips_chart(title: str, items: Sequence[Item]) -> Chart:
    """Horizontal bars, two per item: newly blocked (red) above newly allowed (green)."""
    chart = Chart(title, WIDTH, ROW_HEIGHT * len(items) + 8)
    peak = max((max(i.blocked, i.allowed) for i in items), default=0) or 1
    room = WIDTH - LABEL_WIDTH - VALUE_ROOM
    for row, item in enumerate(items):
        top = row * ROW_HEIGHT + 4
        chart.texts.append(
            Text(LABEL_WIDTH - 8, top + BAR_HEIGHT + 4, cut(item.label), "end", "label", item.label)
        )
        for offset, (value, css, words) in enumerate(
            ((item.blocked, "blocked", "newly blocked"), (item.allowed, "allowed", "newly allowed"))
        ):
            y = top + offset * (BAR_HEIGHT + 1)
            width = room * value / peak
            tip = f"{item.label}: {grouped(value)} {words}"
            chart.rects.append(Rect(LABEL_WIDTH, y, max(width, 1.0 if value else 0.0), BAR_HEIGHT, css, tip))
            chart.texts.append(Text(LABEL_WIDTH + width + 4, y + BAR_HEIGHT - 1, grouped(value), css="value"))
    return chart


def _columns(counts: Sequence[Count]) -> dict[int, int]:
    """Customers per contact count, counts beyond HISTOGRAM_COLUMNS in the last column."""
    out: dict[int, int] = {}
    for count in counts:
        column = min(count.value, HISTOGRAM_COLUMNS)
        out[column] = out.get(column, 0) + count.customers
    return out


def contacts_chart(before: Sequence[Count], after: Sequence[Count]) -> Chart:
    """Customers by number of allowed rows, before (grey) and after (blue), side by side."""
    sides = (_columns(before), _columns(after))
    last = max([0, *sides[0], *sides[1]])
    return _histogram(
        "Customers by contacts (allowed candidate rows) per customer",
        [
            (f"{v}+" if v == HISTOGRAM_COLUMNS else str(v), [side.get(v, 0) for side in sides])
            for v in range(last + 1)
        ],
        ("before", "after"),
    )


def change_chart(change: Sequence[Count]) -> Chart:
    """Customers by the change in their contacts (after − before): fewer red, more green."""
    columns = [(f"{c.value:+d}" if c.value else "0", [c.customers]) for c in change]
    css = ["fewer" if c.value < 0 else "more" if c.value > 0 else "same" for c in change]
    return _histogram("Customers by change in contacts", columns, ("",), css)


def _histogram(
    title: str, columns: Sequence[tuple[str, Sequence[int]]], series: Sequence[str], css: Sequence[str] = ()
) -> Chart:
    """Vertical bars: one group per column, one bar per series, value on top, label under."""
    chart = Chart(title, WIDTH, HISTOGRAM_HEIGHT + AXIS_ROOM)
    peak = max((v for _, values in columns for v in values), default=0) or 1
    slot = (WIDTH - 20) / max(len(columns), 1)
    bar = min(28.0, slot * 0.8 / len(series))
    base = HISTOGRAM_HEIGHT
    for index, (label, values) in enumerate(columns):
        left = 10 + index * slot + (slot - bar * len(series)) / 2
        for number, value in enumerate(values):
            height = (base - 18) * value / peak
            x = left + number * bar
            kind = css[index] if css else series[number]
            what = f"{series[number]}: " if series[number] else ""
            tip = f"{label}: {what}{grouped(value)} customers"
            chart.rects.append(Rect(x, base - height, bar - 1, height, kind, tip))
            if len(columns) * len(values) <= 40:  # room for the numbers
                chart.texts.append(Text(x + bar / 2, base - height - 3, grouped(value), "middle", "value"))
        chart.texts.append(Text(10 + index * slot + slot / 2, base + 16, label, "middle", "axis"))
    return chart
