"""The standard-library modules as the editor shows them: their text, JSON and parameters."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib.resources import as_file, files
from pathlib import Path

from cpol.compiler.compile import compile_source
from cpol.compiler.imports import STDLIB_PACKAGE, TOP_LEVEL_KEYS, stdlib_modules
from cpol.plan import CONFIG_MODELS


@dataclass(frozen=True)
class Module:
    name: str
    about: str
    """The comment block at the top of the module file."""
    policies_json: str
    parameters: tuple[str, ...]
    """The `with` keys its policies accept: the config keys they set, the other config keys
    of their rule types, then the top-level keys."""


@functools.cache
def module(name: str) -> Module | None:
    text = stdlib_modules().get(name)
    if text is None:
        return None
    about = []
    for line in text.split("\n"):
        if not line.startswith("#"):
            break
        about.append(line[1:].strip())
    policies = compile_source(text, f"<stdlib>/{name}.cpol")
    written = [key for p in policies for key in p.to_json().get("config", {})]
    config = [key for p in policies for key in CONFIG_MODELS[p.ruleType].model_fields]
    parameters = tuple(dict.fromkeys([*written, *config, *TOP_LEVEL_KEYS]))
    shown = json.dumps([p.to_json() for p in policies], indent=2, ensure_ascii=False)
    return Module(name, "\n".join(about), shown, parameters)


def module_path(name: str) -> Path | None:
    """The file of a standard-library module on disk (for go to definition)."""
    if name not in stdlib_modules():
        return None
    with as_file(files(STDLIB_PACKAGE).joinpath(*f"{name}.cpol".split("/"))) as path:
        return Path(path)
