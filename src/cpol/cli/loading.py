"""Policies from any mix of `.cpol` and `.json` FILE arguments, every problem across all of
them reported at once."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import cpol
from cpol.cli.shared import EXIT_PROBLEM, Source, has_errors, read_sources, report
from cpol.compiler.compile import compile_sources
from cpol.diagnostics import Diagnostic, Diagnostics, json_path
from cpol.plan import Policy, duplicate_names


def compile_cpol(
    sources: Sequence[Source], roots: Sequence[str] = ()
) -> tuple[dict[str, list[Policy]], list[Diagnostic]]:
    """Compile `.cpol` sources together, so names are checked across files with positions.

    The compiler returns one flat list; with several files each is compiled again on its
    own (cheap) to know which policies came from which file. `roots` are the folders
    `--allow-import-from` adds to where `use "x.cpol"` may read.
    """
    try:
        together = compile_sources(((s.text, s.name) for s in sources), import_roots=roots)
    except Diagnostics as problems:
        return {}, problems.items
    if len(sources) == 1:
        return {sources[0].arg: together}, []
    return {s.arg: cpol.compile_source(s.text, s.name, import_roots=roots) for s in sources}, []


def policy_prefix(source: Source) -> Callable[[int], tuple[str | int, ...]]:
    """The JSON path of the n-th policy of a (valid) JSON source, for cross-file diagnostics."""
    data = json.loads(source.text)
    if isinstance(data, list):
        return lambda index: (index,)
    if isinstance(data, dict) and "data" in data:
        return lambda index: ("data", index)
    return lambda index: ()


def cross_file_duplicates(loaded: Sequence[tuple[Source, list[Policy]]]) -> list[Diagnostic]:
    """Names that clash between files when a JSON file is involved.

    `.cpol` against `.cpol` is the compiler's job and a JSON file against itself the
    loader's; the rule (unique per tenant among live policies) is the plan's own.
    """
    owners = [(source, index) for source, policies in loaded for index in range(len(policies))]
    flat = [policy for _, policies in loaded for policy in policies]
    out: list[Diagnostic] = []
    for first, duplicate in duplicate_names(flat):
        (a, a_index), (b, b_index) = owners[first], owners[duplicate]
        if a is b or not (a.is_json or b.is_json):
            continue
        here, here_index, other, other_index = (
            (b, b_index, a, a_index) if b.is_json else (a, a_index, b, b_index)
        )
        path = json_path((*policy_prefix(here)(here_index), "name"))
        where = other.name
        if other.is_json:
            where += ":" + json_path((*policy_prefix(other)(other_index), "name"))
        order = "first" if here is b else "also"
        message = f"duplicate policy name `{flat[first].name}`"
        hint = f"{order} defined in {where}; policy names are unique per tenant"
        out.append(Diagnostic(message, here.name, path=path, hint=hint))
    return out


def load_policies(
    sources: Sequence[Source], roots: Sequence[str] = ()
) -> tuple[list[Policy], list[Diagnostic]]:
    """Every source's policies in argument order, and every problem found across all of them."""
    compiled, diagnostics = compile_cpol([s for s in sources if not s.is_json], roots)
    loaded: list[tuple[Source, list[Policy]]] = []
    for source in sources:
        if not source.is_json:
            if source.arg in compiled:  # absent when the .cpol sources have errors
                loaded.append((source, compiled[source.arg]))
            continue
        try:
            loaded.append((source, cpol.load_json(source.text, file=source.name)))
        except Diagnostics as problems:
            diagnostics.extend(problems.items)
    diagnostics.extend(cross_file_duplicates(loaded))
    position = {source.name: index for index, source in enumerate(sources)}
    diagnostics.sort(key=lambda d: position.get(d.file, len(position)))  # stable: file order kept
    return [policy for _, policies in loaded for policy in policies], diagnostics


def load_or_exit(args: Sequence[str], roots: Sequence[str] = ()) -> list[Policy]:
    """The policies of FILE arguments, or report every problem and exit 1."""
    sources, failures = read_sources(args)
    if failures:
        report([], failures)
        raise SystemExit(EXIT_PROBLEM)
    policies, diagnostics = load_policies(sources, roots)
    if has_errors(diagnostics):
        report(diagnostics, [])
        raise SystemExit(EXIT_PROBLEM)
    return policies
