"""Prints plan policies (their JSON objects) as canonical `.cpol` text.

The sentence of each rule type lives in `templates/policy.cpol.j2`; this module supplies
the filters that spell values the way the grammar reads them back. It works on the JSON
form, so the decompiler (plan -> text) and the formatter (text -> text) share it.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import jinja2

from cpol.textsafe import json_safe

WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
PERIOD_WORDS = {"daily": "per day", "weekly": "per week", "monthly": "per month", "alltime": "in total"}
OPERATOR_SIGNS = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "eq": "="}
META_KEYS = ("id", "tenantId", "version", "createdAt", "updatedAt", "deletedAt")
ROW_KEYS = ("id", "contactPolicyId", "createdAt")
CAP_ITEMS = (("maxPerDay", "per day"), ("maxPerWeek", "per week"), ("maxPerMonth", "per month"))


class Notes(Protocol):
    """Comments to print around a statement (`where` names the statement's kind).

    `before` returns whole lines (indented, each ending in a newline), `after` the text
    that trails the statement's line (empty when there is none).
    """

    def before(self, where: str) -> str: ...

    def after(self, where: str) -> str: ...


def quote(value: object) -> str:
    """A double-quoted string literal the lexer accepts (JSON escapes, Unicode kept).

    What a terminal or an editor would act on is escaped too (`json_safe`): DEL, C1 and
    bidi controls (a name could reorder the text around it, as in "Trojan Source"), line
    separators (editors break lines there) and lone surrogates (UTF-8 cannot encode them).
    """
    return json_safe(json.dumps(value, ensure_ascii=False))


def number(value: object) -> str:
    """`3` stays `3`, `3.0` stays `3.0`: the type survives the round trip."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"not a number: {value!r}")
    return repr(value)


def scalar(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return quote(value)
    return number(value)


def array(values: Sequence[str]) -> str:
    """A list that is always an array: bare when it has items, `[]` when empty."""
    return ", ".join(quote(v) for v in values) if values else "[]"


def string_or_array(value: str | Sequence[str]) -> str:
    """A bare single string means a string; a one-item array needs brackets."""
    if isinstance(value, str):
        return quote(value)
    if len(value) == 1:
        return f"[{quote(value[0])}]"
    return array(value)


def hour(value: int | float) -> str:
    return f"{value}:00" if isinstance(value, int) and not isinstance(value, bool) else number(value)


def days(values: Sequence[int]) -> str:
    """Weekday names; ascending runs of three or more become `mon..fri`."""
    if not values:
        return "no days"
    parts: list[str] = []
    index = 0
    while index < len(values):
        end = index
        while end + 1 < len(values) and values[end + 1] == values[end] + 1:
            end += 1
        if end - index >= 2:
            parts.append(f"{WEEKDAYS[values[index]]}..{WEEKDAYS[values[end]]}")
        else:
            parts.extend(WEEKDAYS[v] for v in values[index : end + 1])
        index = end + 1
    return ", ".join(parts)


def cap_items(config: Mapping[str, Any]) -> list[str]:
    items = [f"{number(config[key])} {words}" for key, words in CAP_ITEMS if key in config]
    if "maxTotal" in config:
        items.append(f"{number(config['maxTotal'])} in total")
    return items + window_cap(config)


def window_cap(config: Mapping[str, Any]) -> list[str]:
    """The older `{maxContacts, windowDays}` cap as `3 per 14 days`, if the config has it."""
    if "maxContacts" not in config and "windowDays" not in config:
        return []
    days = config["windowDays"]
    return [f"{number(config['maxContacts'])} per {number(days)} {'day' if days == 1 else 'days'}"]


def _scope_ref(ref: Mapping[str, Any]) -> str:
    if "scope" not in ref:
        text = scalar(ref["scopeId"])
    elif "scopeId" not in ref:
        text = str(ref["scope"])
    else:
        text = f"{ref['scope']} {scalar(ref['scopeId'])}"
    rows = [f"{key} {scalar(ref[key])}" for key in ROW_KEYS if key in ref]
    return f"{text} ({', '.join(rows)})" if rows else text


def _scope_only(ref: Mapping[str, Any]) -> dict[str, Any]:
    return {k: ref[k] for k in ("scope", "scopeId") if k in ref}


def scope_lines(policy: Mapping[str, Any]) -> list[str]:
    """`applies to` when scope/scopeId repeat the first of `scopes` (the API's own shape);
    `scope`/`scopes` for anything else; nothing for a plain global policy."""
    single = _scope_only(policy)
    if "scopes" not in policy:
        return [] if single == {"scope": "global"} else [f"scope {_scope_ref(single)}"]
    scopes = policy["scopes"]
    if scopes and _scope_only(scopes[0]) == single:
        return ["applies to " + ", ".join(_scope_ref(ref) for ref in scopes)]
    lines = [f"scope {_scope_ref(single)}"] if single else []
    if scopes is None:
        lines.append("scopes null")
    else:
        lines.append("scopes " + (", ".join(_scope_ref(ref) for ref in scopes) or "none"))
    return lines


def meta_fields(policy: Mapping[str, Any]) -> list[tuple[str, Any]]:
    return [(key, policy[key]) for key in META_KEYS if key in policy]


def has_meta(policy: Mapping[str, Any]) -> bool:
    return any(key in policy for key in META_KEYS)


@functools.cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("cpol.decompiler", "templates"),
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(
        q=quote, num=number, scalar=scalar, array=array, string_or_array=string_or_array,
        hour=hour, days=days, period=PERIOD_WORDS.__getitem__, operator=OPERATOR_SIGNS.__getitem__,
        use_value=use_value,
    )  # fmt: skip
    env.globals.update(
        cap_items=cap_items, window_cap=window_cap, scope_lines=scope_lines, meta_fields=meta_fields,
        has_meta=has_meta,
    )  # fmt: skip
    return env.get_template("policy.cpol.j2")


def use_value(value: object) -> str:
    """A `use … with` parameter value: a JSON scalar, a boolean or a list of them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(use_value(item) for item in value) + "]"
    return scalar(value)


def render_policies(
    policies: Sequence[Mapping[str, Any]],
    notes: Sequence[Notes] | None = None,
    uses: Sequence[Mapping[str, Any]] = (),
    use_notes: Sequence[Notes] | None = None,
) -> str:
    """`use` lines, then policy blocks separated by a blank line, in one template pass."""
    return _template().render(policies=policies, notes=notes, uses=uses, use_notes=use_notes)
