"""Renderers of decisions, for `cpol explain --format text|json|html` (and `cpol eval`).

* `render_json`: exactly the decisions array of SPEC §2, indented by 2, UTF-8 kept.
* `render_text`: a terminal report, one block per candidate, plain unless `color=True`.
* `render_html`: a standalone HTML report (inline CSS, no script, nothing fetched).

The text and HTML renderers take the request too, for `now`, the customer and the
interactions; the decisions may be a subset of the request's candidates (`--candidate`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

from cpol.runtime.decision import Decision
from cpol.runtime.render.html import render_html
from cpol.runtime.render.text import DEFAULT_WIDTH, render_text
from cpol.runtime.request import Request
from cpol.textsafe import json_safe

FORMATS = ("text", "json", "html")


def decisions_json(decisions: Sequence[Decision]) -> list[dict[str, object]]:
    return [decision.to_json() for decision in decisions]


def render_json(decisions: Sequence[Decision]) -> str:
    """The SPEC §2 decisions array as text: indent 2, non-ASCII kept, a final newline.

    Strict JSON only: a non-finite number (NaN, ±Infinity, which `json` would write as
    bare words no other parser reads) is written as null, as a missing value. The walk
    that finds them runs only when the fast, strict dump refuses the decisions. What a
    terminal would act on (DEL, C1 and bidi controls) is written as `\\uXXXX` (`json_safe`).
    """
    value = decisions_json(decisions)
    try:
        text = json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False)
    except ValueError:
        text = json.dumps(finite(value), indent=2, ensure_ascii=False, allow_nan=False)
    return json_safe(text) + "\n"


def finite(value: object) -> object:
    """`value` with every non-finite float replaced by None (lists and dicts walked)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [finite(item) for item in value]
    return value


def render(
    output_format: str,
    decisions: Sequence[Decision],
    request: Request,
    *,
    color: bool = False,
    width: int | None = None,
    sources: Sequence[str] = (),
) -> str:
    """Dispatch on `output_format` (one of FORMATS)."""
    if output_format == "json":
        return render_json(decisions)
    if output_format == "text":
        return render_text(decisions, request, color=color, width=width or DEFAULT_WIDTH)
    if output_format == "html":
        return render_html(decisions, request, sources=sources)
    raise ValueError(f"unknown format {output_format!r}; expected one of {', '.join(FORMATS)}")


__all__ = ["FORMATS", "decisions_json", "render", "render_html", "render_json", "render_text"]
