"""`use` statements: policies from the standard library or another file, with parameters.

`use "compliance/adverse_outcomes_quarantine" with suppressForDays 30` imports every
policy of that module and sets `suppressForDays` on each policy whose rule type has that
config key (top-level keys such as `priority`, `status` or `name` apply to every imported
policy). Parameters are the JSON keys themselves, so anything a policy can say can be
overridden and validated by the same models, with errors pointing at the `use` line.
A module name ending in `.cpol` is a file relative to the importing file; any other name
is a module of the standard library shipped in `cpol/stdlib_rules/`.

`.cpol` text may come from anyone (a service compiles what it is sent), so a `use` must not
become a way to read the disk: a file import stays inside the directory tree of the root
file being compiled (symlinks resolved first), or of an import root the caller names;
text with no file behind it imports only the standard library unless roots are given; and
the file must be a regular file of at most MAX_MODULE_BYTES, checked before it is read.
Refusals never quote the target file.
"""

from __future__ import annotations

import copy
import functools
import os
import stat
from collections.abc import Callable, Iterable
from importlib.resources import files
from pathlib import Path
from typing import Any, NamedTuple

from cpol.compiler.ast import Literal, PolicyNode, UseArg, UseNode
from cpol.compiler.lower import Lowered
from cpol.diagnostics import did_you_mean
from cpol.plan import CONFIG_MODELS

TOP_LEVEL_KEYS = (
    "name", "description", "status", "priority", "scope", "scopeId", "scopes",
    "id", "tenantId", "version", "createdAt", "updatedAt", "deletedAt",
)  # fmt: skip
STDLIB_PACKAGE = "cpol.stdlib_rules"
#: The largest module file a `use` reads: far above any real policy file (the whole
#: standard library is a few kB), and small enough that nothing hostile floods memory.
MAX_MODULE_BYTES = 1024 * 1024
#: Said in every refusal to read outside the allowed trees.
WIDEN_HINT = (
    "imports stay in the compiled file's folder; `--allow-import-from DIR` (import_roots=) widens that"
)


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


def has_file(filename: str) -> bool:
    """Whether a text was read from a file: `<input>`, `<stdin>` and the like name none."""
    return not filename.startswith("<")


def roots_of(filename: str, extra: Iterable[str | os.PathLike[str]] = ()) -> tuple[str, ...]:
    """The real directories a root file's imports may read from: its own folder, if it
    has a file behind it, and the roots the caller allows."""
    roots = [os.path.realpath(root) for root in extra]
    if has_file(filename):
        roots.insert(0, os.path.realpath(os.path.dirname(os.path.abspath(filename))))
    return tuple(roots)


class NotImported(NamedTuple):
    """Why a module was not imported, and what to do about it."""

    message: str
    hint: str | None = None


def locate(name: str, importer: str, roots: tuple[str, ...] = ()) -> tuple[str, str] | NotImported:
    """(source text, file name to report) for a module, or why not."""
    if name.endswith(".cpol"):
        return _read_module(name, importer, roots)
    modules = stdlib_modules()
    if name in modules:
        return modules[name], f"<stdlib>/{name}.cpol"
    return NotImported(f"unknown standard-library module `{name}`", module_hint(name))


def _read_module(name: str, importer: str, roots: tuple[str, ...]) -> tuple[str, str] | NotImported:
    """A module file's text, after checking where it is and what it is, or why not."""
    if not roots:
        message = f"cannot import `{name}`: text with no file behind it can import only the standard library"
        return NotImported(message, "compile the file itself, or allow a folder with import_roots=")
    path = (Path(importer).parent if has_file(importer) else Path.cwd()) / name
    real = os.path.realpath(path)
    if not any(os.path.commonpath([real, root]) == root for root in roots):
        where = "an absolute path" if os.path.isabs(name) else "outside the compiled file's folder"
        return NotImported(f"cannot import `{name}`: it is {where}", WIDEN_HINT)
    try:
        return _read_regular(real), str(path)
    except _Refused as refused:
        return NotImported(f"cannot import `{name}`: {refused}")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "it is not UTF-8 text"
        return NotImported(f"cannot read `{name}`: {reason}")


class _Refused(Exception):
    """A module file that is not read: not a regular file, or too large."""


def _read_regular(real: str) -> str:
    """Read a regular file of at most MAX_MODULE_BYTES. The kind and size are checked before
    reading (a FIFO would block, `/dev/zero` never ends), and again on the open file, so a
    file swapped in between is refused too."""
    _check_kind(os.stat(real))
    fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as handle:
        _check_kind(os.fstat(handle.fileno()))
        data = handle.read(MAX_MODULE_BYTES + 1)
    if len(data) > MAX_MODULE_BYTES:
        raise _Refused(f"it is larger than {MAX_MODULE_BYTES // 1024 // 1024} MiB")
    return data.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")


def _check_kind(info: os.stat_result) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise _Refused("it is not a regular file (a folder, a device or a pipe)")
    if info.st_size > MAX_MODULE_BYTES:
        raise _Refused(f"it is larger than {MAX_MODULE_BYTES // 1024 // 1024} MiB")


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
