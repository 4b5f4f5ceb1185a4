"""The what-if report as one standalone HTML file (`cpol plan --format html`).

Self-contained: inline CSS, charts as inline SVG (`charts`), and one small inline script
that only makes the tables sortable; with scripts off the page reads the same. A Content
Security Policy allows nothing to be fetched and no script but that one (by its hash), so
even a policy name that slipped past escaping could neither run nor load anything.
Sample customers' traces sit in `<details>` elements, closed until clicked.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from importlib import resources

import markupsafe

import cpol
from cpol.batch.report.charts import (
    Chart,
    change_chart,
    contacts_chart,
    flips_chart,
    group_items,
    policy_items,
)
from cpol.batch.report.views import MISSING, environment, top
from cpol.batch.whatif import PlanReport


@functools.cache
def script() -> tuple[markupsafe.Markup, str]:
    """The inline script and its CSP source (`'sha256-…'`), hashed exactly as it is embedded."""
    text = resources.files("cpol.batch.report").joinpath("templates/sortable.js").read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return markupsafe.Markup(text), f"'sha256-{digest}'"  # cpol's own file, not user text


def charts(report: PlanReport) -> dict[str, Chart]:
    """The flips charts of each breakdown's top rows, and the contacts histograms."""
    contacts = report.contactsPerCustomer
    out = {"policy": flips_chart("Flips by policy", policy_items(top(report.byPolicy).shown))}
    for name, groups, column in (
        ("offer", report.byOffer, "offerId"),
        ("channel", report.byChannel, "channelId"),
        ("segment", report.bySegment, "segment"),
    ):
        out[name] = flips_chart(f"Flips by {name}", group_items(top(groups).shown, MISSING[column]))
    out["contacts"] = contacts_chart(contacts.before.distribution, contacts.after.distribution)
    out["change"] = change_chart(contacts.change)
    return out


def render_html(report: PlanReport) -> str:
    code, source = script()
    return (
        environment(html=True)
        .get_template("plan.html.j2")
        .render(
            report=report,
            charts=charts(report),
            script=code,
            script_source=source,
            version=cpol.__version__,
        )
    )
