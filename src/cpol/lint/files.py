"""The directories given to `cpol lint`: the policy files under them.

A directory stands for every `.cpol` and `.json` file under it, in sorted order, read as
one policy set with the other arguments. Hidden files and folders (a name starting with
`.`) are left out, and links to folders are not followed (a link back up would never end).
Two kinds of `.json` file found there are skipped, each with a note: one that is not a
policy file (an evaluation request, a catalogue), and one beside a `.cpol` file of the same
name (`x.json` next to `x.cpol`), taken as its compiled form: linting both would only report
every policy twice. A file named on the command line is always read.
"""

from __future__ import annotations

import json
from pathlib import Path

from cpol.plan.loader import is_policy_document

POLICY_SUFFIXES = (".cpol", ".json")


def policy_files(folder: Path) -> list[Path]:
    """Every policy file under `folder`, sorted; OSError when a folder cannot be listed."""
    found: list[Path] = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            if not entry.is_symlink():
                found += policy_files(entry)
        elif entry.suffix.lower() in POLICY_SUFFIXES:
            found.append(entry)
    return found


def compiled_form_of(path: Path, found: set[Path]) -> Path | None:
    """The `.cpol` file among `found` that a `.json` file is taken to be compiled from."""
    source = path.with_suffix(".cpol")
    return source if path.suffix.lower() == ".json" and source in found else None


def is_policy_json(text: str) -> bool:
    """Whether JSON text has a policy file's shape (broken JSON may be one: the loader says)."""
    try:
        return is_policy_document(json.loads(text))
    except (ValueError, RecursionError):
        return True
