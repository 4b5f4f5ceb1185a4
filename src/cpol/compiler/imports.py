"""`use` statements: policies from the standard library or another file, with parameters.

`use "compliance/adverse_outcomes_quarantine" with suppressForDays 30` imports every
policy of that module and sets `suppressForDays` on each policy whose rule type has that
config key (top-level keys such as `priority`, `status` or `name` apply to every imported
policy). Parameters are the JSON keys themselves, so anything a policy can say can be
overridden and validated by the same models, with errors pointing at the `use` line.
A module name ending in `.cpol` is a file relative to the importing file; any other name
is a module of the standard library shipped in `cpol/stdlib_rules/`.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import Any

from cpol.compiler.ast import Literal, PolicyNode, UseArg, UseNode
from cpol.compiler.lower import Lowered
from cpol.diagnostics import did_you_mean
from cpol.plan import CONFIG_MODELS

TOP_LEVEL_KEYS = (
    "name", "description", "status", "priority", "scope", "scopeId", "scopes",
    "id", "tenantId", "version", "createdAt", "updatedAt", "deletedAt",
)  # fmt: skip
STDLIB_PACKAGE = "cpol.stdlib_rules"


@functools.cache
def stdlib_modules() -> dict[str, str]:
    """Module name (`compliance/quiet_hours_sms`) -> source text, for every shipped file."""
    root = files(STDLIB_PACKAGE)
    out: dict[str, str] = {}
    stack = [(root, "")]
    while stack:
        folder, prefix = stack.pop()
        for entry in folder.iterdir():
            if entry.is_dir() and not entry.name.startswith("_"):
                stack.append((entry, f"{prefix}{entry.name}/"))
            elif entry.name.endswith(".cpol"):
                out[f"{prefix}{entry.name[:-5]}"] = entry.read_text(encoding="utf-8")
    return dict(sorted(out.items()))


def locate(name: str, importer: str) -> tuple[str, str] | str:
    """(source text, file name to report) for a module, or an error message."""
    if name.endswith(".cpol"):
        base = Path(importer).parent if not importer.startswith("<") else Path.cwd()
        path = base / name
        try:
            return path.read_text(encoding="utf-8"), str(path)
        except (OSError, UnicodeDecodeError) as error:
            reason = error.strerror if isinstance(error, OSError) else "it is not UTF-8 text"
            return f"cannot read `{name}`: {reason}"
    modules = stdlib_modules()
    if name in modules:
        return modules[name], f"<stdlib>/{name}.cpol"
    return f"unknown standard-library module `{name}`"


def module_hint(name: str) -> str:
    names = list(stdlib_modules())
    return did_you_mean(name, names, quote='"') or "modules: " + ", ".join(names)


Report = Callable[[str, Any, str | None], None]


def instantiate(use: UseNode, policies: list[Lowered], report: Report) -> list[Lowered]:
    """Copies of a module's policies with the `use` parameters applied, spans at the `use`."""
    imported = [_copy_at(use, lowered) for lowered in policies]
    for arg in use.args:
        _apply(arg, imported, str(use.module.value), report)
    _check_hidden_scope(use, imported, report)
    return imported


def _check_hidden_scope(use: UseNode, imported: list[Lowered], report: Report) -> None:
    """`with scopeId "x"` that would do nothing, on a policy that lists `scopes` or on a
    global one, is reported: the user meant to narrow the policy."""
    given = {str(arg.key.value): arg for arg in use.args}
    single = [given[k] for k in ("scope", "scopeId") if k in given]
    if not single or "scopes" in given:
        return
    if any(lowered.raw.get("scopes") for lowered in imported):
        report(
            f"`{single[0].key.value}` has no effect here: the imported policy lists its `scopes`",
            single[0].key.span,
            "add `scopes null` to the `use` so that scope/scopeId apply",
        )
    elif (
        "scope" not in given
        and given["scopeId"].value.value is not None
        and any(lowered.raw.get("scope") == "global" for lowered in imported)
    ):
        report(
            "`scopeId` has no effect here: the imported policy is global",
            given["scopeId"].key.span,
            'add the kind too, e.g. `scope "offer", scopeId "…"`',
        )


def _copy_at(use: UseNode, lowered: Lowered) -> Lowered:
    node = PolicyNode(Literal(lowered.raw.get("name"), use.span), (), use.span, use.span)
    raw = copy.deepcopy(lowered.raw)
    return Lowered(node, raw, {(): use.span}, str(use.module.value), lowered.written)


def _accepts(lowered: Lowered, key: str) -> bool:
    model = CONFIG_MODELS.get(str(lowered.raw.get("ruleType")))
    return model is not None and key in model.model_fields


def _apply(arg: UseArg, imported: list[Lowered], module: str, report: Report) -> None:
    key = str(arg.key.value)
    if key in TOP_LEVEL_KEYS:
        for lowered in imported:
            lowered.raw[key] = arg.value.value
            lowered.spans[(key,)] = arg.value.span
        return
    targets = [lowered for lowered in imported if _accepts(lowered, key)]
    if not targets:
        known = sorted({k for lowered in imported for k in _config_keys(lowered)} | set(TOP_LEVEL_KEYS))
        hint = did_you_mean(key, known) or "parameters: " + ", ".join(known)
        report(f"no policy in `{module}` has a parameter `{key}`", arg.key.span, hint)
        return
    for lowered in targets:
        config = lowered.raw.setdefault("config", {})
        if arg.value.value is None:
            config.pop(key, None)  # a null config key counts as absent
        else:
            config[key] = arg.value.value
        lowered.spans[("config", key)] = arg.value.span


def _config_keys(lowered: Lowered) -> list[str]:
    model = CONFIG_MODELS.get(str(lowered.raw.get("ruleType")))
    return list(model.model_fields) if model is not None else []
