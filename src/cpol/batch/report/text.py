"""The what-if report for a terminal: the totals, the breakdowns as aligned tables (top rows
only), contacts per customer, and the sample customers' flipped rows in one line each."""

from __future__ import annotations

from collections.abc import Sequence

from cpol.batch.report.charts import policy_label
from cpol.batch.report.views import MISSING, Cut, environment, top
from cpol.batch.whatif import Count, GroupFlips, PlanReport
from cpol.runtime.render.text import grouped
from cpol.textsafe import cell_width, clean

#: Display cells of a table's text cell before it is cut with `…`.
CELL = 40


def _fit(text: str) -> str:
    text = clean(text)
    if cell_width(text) <= CELL:
        return text
    while cell_width(text) > CELL - 1:
        text = text[:-1]
    return text + "…"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], text_columns: int = 1) -> list[str]:
    """Aligned lines: the first `text_columns` left-aligned (and cut), numbers right-aligned."""
    cells = [list(headers), *([_fit(c) if i < text_columns else c for i, c in enumerate(r)] for r in rows)]
    widths = [max(cell_width(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for row in cells:
        parts = [
            cell + " " * (width - cell_width(cell))
            if i < text_columns
            else " " * (width - cell_width(cell)) + cell
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  " + "  ".join(parts).rstrip())
    return lines


def policy_table(report: PlanReport) -> tuple[list[str], Cut]:
    cut = top(report.byPolicy)
    rows = [
        [
            policy_label(p),
            grouped(p.newlyBlocked.rows),
            grouped(p.newlyBlocked.customers),
            grouped(p.newlyAllowed.rows),
            grouped(p.newlyAllowed.customers),
        ]
        for p in cut.shown
    ]
    headers = ["policy", "newly blocked", "customers", "newly allowed", "customers"]
    return table(headers, rows), cut


def group_table(groups: Sequence[GroupFlips], column: str, title: str) -> tuple[list[str], Cut]:
    cut = top(groups)
    rows = [
        [
            g.key if g.key is not None else MISSING[column],
            grouped(g.rows),
            grouped(g.allowedBefore),
            grouped(g.allowedAfter),
            grouped(g.newlyBlocked.rows),
            grouped(g.newlyAllowed.rows),
        ]
        for g in cut.shown
    ]
    headers = [title, "rows", "allowed before", "after", "newly blocked", "newly allowed"]
    return table(headers, rows), cut


def contacts_table(before: Sequence[Count], after: Sequence[Count]) -> list[str]:
    counts = sorted({c.value for c in [*before, *after]})
    found = [{c.value: c.customers for c in side} for side in (before, after)]
    rows = [[str(v), grouped(found[0].get(v, 0)), grouped(found[1].get(v, 0))] for v in counts]
    return table(["contacts", "customers before", "after"], rows, text_columns=0)


def render_text(report: PlanReport) -> str:
    contacts = report.contactsPerCustomer
    return (
        environment(html=False)
        .get_template("plan.txt.j2")
        .render(
            report=report,
            policies=policy_table(report),
            groups=[
                ("offer", group_table(report.byOffer, "offerId", "offer")),
                ("channel", group_table(report.byChannel, "channelId", "channel")),
                ("segment", group_table(report.bySegment, "segment", "segment")),
            ],
            contacts=contacts_table(contacts.before.distribution, contacts.after.distribution),
        )
    )
