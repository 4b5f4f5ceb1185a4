"""The what-if report (`cpol plan`) as text, JSON or a standalone HTML page.

* `render_json`: the `PlanReport` model (docs/plan.md), indented by 2, UTF-8 kept.
* `render_text`: a summary for a terminal; the largest breakdowns cut to their top rows.
* `render_html`: one self-contained file with inline SVG charts (nothing fetched).
"""

from __future__ import annotations

import json

from cpol.batch.report.html import render_html
from cpol.batch.report.text import render_text
from cpol.batch.whatif import PlanReport
from cpol.runtime.render import finite
from cpol.textsafe import json_safe

FORMATS = ("text", "json", "html")


def render_json(report: PlanReport) -> str:
    """Strict JSON (a non-finite number in a sample's trace becomes null), safe for a terminal."""
    value = finite(report.model_dump(mode="json"))
    return json_safe(json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False)) + "\n"


def render_report(output_format: str, report: PlanReport) -> str:
    """Dispatch on `output_format` (one of FORMATS)."""
    if output_format == "json":
        return render_json(report)
    if output_format == "text":
        return render_text(report)
    if output_format == "html":
        return render_html(report)
    raise ValueError(f"unknown format {output_format!r}; expected one of {', '.join(FORMATS)}")


__all__ = ["FORMATS", "render_html", "render_json", "render_report", "render_text"]
