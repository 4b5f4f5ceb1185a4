"""A policy set read from `.cpol` and `.json` files, each policy knowing where it was written.

Tools that report on policies after they compiled (the linter, the test runner) point at
the source: `file:line:col` with the line and a caret for `.cpol`, the JSON path for
`.json`. Every file is read first and every problem reported together, as elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cpol.compiler.compile import Roots, compile_located
from cpol.compiler.lower import Lowered
from cpol.compiler.source import Source
from cpol.diagnostics import Diagnostic, Diagnostics, Severity, json_path
from cpol.plan import Policy
from cpol.plan.base import Loc
from cpol.plan.loader import load_json_located
from cpol.plan.validation import duplicate_names


@dataclass(frozen=True)
class Origin:
    """Where a policy was written: spans in a `.cpol` file, or a path in a `.json` file."""

    file: str
    source: Source | None = None
    lowered: Lowered | None = None
    prefix: Loc = ()

    def diagnostic(
        self, message: str, loc: Loc = (), *, hint: str | None = None, severity: Severity = "error"
    ) -> Diagnostic:
        """A diagnostic about the part of the policy at `loc` (a JSON path inside it)."""
        if self.source is not None and self.lowered is not None:
            return self.source.diagnostic(message, self.lowered.span_for(loc), hint, severity)
        path = json_path((*self.prefix, *loc)) or "(root)"
        return Diagnostic(message, self.file, path=path, hint=hint, severity=severity)

    @property
    def location(self) -> str:
        return self.diagnostic("").location


@dataclass(frozen=True)
class Located:
    policy: Policy
    origin: Origin


def is_json(name: str, text: str) -> bool:
    """`.json` files, and text that starts like JSON (`.cpol` never starts with `[` or `{`)."""
    return name.endswith(".json") or text.lstrip()[:1] in ("[", "{")


def load_policy_set(files: Sequence[tuple[str, str]], *, import_roots: Roots = ()) -> list[Located]:
    """(text, file name) pairs -> located policies in file order; `Diagnostics` on any error.

    `.cpol` files compile together; names are unique across every file (per tenant).
    `import_roots` are folders their `use "x.cpol"` may read besides their own.
    """
    diagnostics: list[Diagnostic] = []
    cpol_files = [(text, name) for text, name in files if not is_json(name, text)]
    compiled: dict[str, list[Located]] = {}
    try:
        for policy, source, lowered in compile_located(cpol_files, import_roots=import_roots):
            origin = Origin(source.filename, source, lowered)
            compiled.setdefault(source.filename, []).append(Located(policy, origin))
    except Diagnostics as problems:
        diagnostics.extend(problems.items)
    located: list[Located] = []
    for text, name in files:
        if not is_json(name, text):
            located.extend(compiled.get(name, []))
            continue
        try:
            loaded = load_json_located(text, name)
            located += [Located(policy, Origin(name, prefix=prefix)) for prefix, policy in loaded]
        except Diagnostics as problems:
            diagnostics.extend(problems.items)
    diagnostics.extend(_json_duplicates(located))
    if diagnostics:
        raise Diagnostics(diagnostics)
    return located


def _json_duplicates(located: Sequence[Located]) -> list[Diagnostic]:
    """Names clashing across files where a JSON file is involved (the rest is checked)."""
    out = []
    for first, duplicate in duplicate_names([item.policy for item in located]):
        a, b = located[first].origin, located[duplicate].origin
        if a.file == b.file and (a.source is None) == (b.source is None):
            continue
        if a.source is not None and b.source is not None:
            continue
        name = located[duplicate].policy.name
        hint = f"first defined at {a.location}; policy names are unique per tenant"
        out.append(b.diagnostic(f"duplicate policy name `{name}`", ("name",), hint=hint))
    return out
