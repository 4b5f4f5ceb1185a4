"""The compiler driver: text -> syntax tree -> lowered dictionaries -> validated plan.

Every stage reports into one list, so a file with a syntax error on line 3 and an unknown
timezone on line 40 shows both. Policies that contain a syntax error are not validated
(their statements are incomplete, and guessing would only add noise).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cpol.compiler.ast import Module, PolicyNode, UseNode
from cpol.compiler.builder import AstBuilder, LeanAstBuilder
from cpol.compiler.imports import NotImported, instantiate, locate, roots_of
from cpol.compiler.lower import Lowered, Written, lower_policy
from cpol.compiler.source import Source
from cpol.diagnostics import Diagnostic, Diagnostics, Span, json_path
from cpol.grammar.parser import parse
from cpol.plan import Policy, PolicyInvalid, parse_policy
from cpol.plan.validation import name_key


@dataclass
class LoweredFile:
    """A parsed and lowered file: what the formatter and the validator both start from."""

    source: Source
    policies: list[Lowered]
    diagnostics: list[Diagnostic]
    uses: tuple[UseNode, ...] = ()
    imported: list[Lowered] = field(default_factory=list)

    @property
    def plan(self) -> list[Lowered]:
        """Imported policies first (`use` comes first in a file), then the file's own."""
        return [*self.imported, *self.policies]

    def report(self, message: str, span: Span, hint: str | None = None) -> None:
        self.diagnostics.append(self.source.diagnostic(message, span, hint))


def _contains_error(node: PolicyNode | UseNode, offsets: Iterable[int]) -> bool:
    return any(node.span.start <= offset <= node.span.end for offset in offsets)


def lower_source(text: str, filename: str = "<input>", *, positions: bool = True) -> LoweredFile:
    """Parse and lower; report syntax and lowering problems, validate nothing yet.

    `positions=False` skips source spans: for re-reading text the printer produced.
    """
    source = Source(text, filename)
    outcome = parse(text, filename, AstBuilder if positions else LeanAstBuilder)
    diagnostics = list(outcome.diagnostics)
    module: Module = outcome.value or Module((), ())
    lowered: list[Lowered] = []
    for node in module.policies:
        partial = _contains_error(node, outcome.error_offsets)
        policy, problems = lower_policy(node, partial=partial)
        diagnostics.extend(source.diagnostic(p.message, p.span, p.hint) for p in problems)
        if not partial:
            policy.written = Written(source, node)
            lowered.append(policy)
    diagnostics.sort(key=lambda d: d.span.start if d.span else 0)
    uses = tuple(u for u in module.uses if not _contains_error(u, outcome.error_offsets))
    return LoweredFile(source, lowered, diagnostics, uses)


Roots = Iterable[str | os.PathLike[str]]


def _resolve_imports(file: LoweredFile, chain: tuple[str, ...], roots: tuple[str, ...]) -> None:
    """Load every `use`d module (recursively) and add its policies, parameters applied.

    `roots` are the root file's: a module's own imports stay where the root's may go.
    """
    for use in file.uses:
        name = str(use.module.value)
        found = locate(name, file.source.filename, roots)
        if isinstance(found, NotImported):
            file.report(found.message, use.module.span, found.hint)
            continue
        text, module_file = found
        if module_file in chain:
            cycle = " -> ".join([*chain[chain.index(module_file) :], module_file])
            file.report(f"import cycle: {cycle}", use.module.span)
            continue
        module = lower_source(text, module_file)
        _resolve_imports(module, (*chain, module_file), roots)
        file.diagnostics.extend(module.diagnostics)
        file.imported.extend(instantiate(use, module.plan, file.report))


def _validate(file: LoweredFile) -> list[Policy | None]:
    """Validate each lowered policy through the plan models, mapping JSON paths to spans."""
    results: list[Policy | None] = []
    already = {d.span for d in file.diagnostics}  # one message per place is enough
    for lowered in file.plan:
        try:
            results.append(parse_policy(lowered.raw))
        except PolicyInvalid as invalid:
            results.append(None)
            for problem in invalid.problems:
                span = lowered.span_for(tuple(problem.loc))
                message = problem.message
                if lowered.imported_from is not None:  # the `use` line: name what it is about
                    where = json_path(tuple(problem.loc)) or "policy"
                    name = lowered.raw.get("name")
                    message = f"{message} ({where} of `{name}` from {lowered.imported_from})"
                if span not in already:
                    already.add(span)
                    file.diagnostics.append(file.source.diagnostic(message, span, problem.hint))
    return results


def _report_duplicate_names(files: Sequence[LoweredFile]) -> None:
    """Names are unique across every file compiled together (SPEC: unique per tenant)."""
    seen: dict[object, tuple[LoweredFile, Lowered]] = {}
    for file in files:
        for lowered in file.plan:
            name = lowered.raw.get("name")
            key = name_key(lowered.raw.get("tenantId"), name, lowered.raw.get("deletedAt"))
            if key is None:
                continue
            if key not in seen:
                seen[key] = (file, lowered)
                continue
            first_file, first = seen[key]
            where = f"{first_file.source.filename}:{first.node.name.span.line}:{first.node.name.span.column}"
            file.diagnostics.append(
                file.source.diagnostic(
                    f"duplicate policy name `{name}`",
                    lowered.node.name.span,
                    f"first defined at {where}; policy names are unique per tenant",
                )
            )


def compile_sources(sources: Iterable[tuple[str, str]], *, import_roots: Roots = ()) -> list[Policy]:
    """Compile several (text, filename) pairs together: names must be unique across all.

    A filename not in angle brackets is the file the text was read from: its folder is
    where its `use "x.cpol"` imports may read. `import_roots` allows more folders.
    """
    return [policy for policy, _, _ in compile_located(sources, import_roots=import_roots)]


def compile_located(
    sources: Iterable[tuple[str, str]], *, import_roots: Roots = ()
) -> list[tuple[Policy, Source, Lowered]]:
    """Like `compile_sources`, each policy with its file and the spans of its JSON paths."""
    extra = tuple(import_roots)
    files = [lower_source(text, name) for text, name in sources]
    for file in files:
        filename = file.source.filename
        _resolve_imports(file, (filename,), roots_of(filename, extra))
    located: list[tuple[Policy, Source, Lowered]] = []
    for file in files:
        for policy, lowered in zip(_validate(file), file.plan, strict=True):
            if policy is not None:
                located.append((policy, file.source, lowered))
    _report_duplicate_names(files)
    diagnostics = [d for file in files for d in sorted(file.diagnostics, key=_position)]
    if any(d.severity == "error" for d in diagnostics):
        raise Diagnostics(diagnostics)
    return located


def _position(diagnostic: Diagnostic) -> tuple[int, int]:
    span = diagnostic.span
    return (span.line, span.column) if span else (0, 0)


def compile_source(text: str, filename: str = "<input>", *, import_roots: Roots = ()) -> list[Policy]:
    """Compile one `.cpol` text to plan policies, or raise `Diagnostics` with every error.

    Without a filename (or with one in angle brackets, `<stdin>`) the text has no file
    behind it and may `use` only the standard library, unless `import_roots` names the
    folders its file imports may come from (resolved against the working directory).
    A filename is taken as the path the text was read from: its folder's tree is where its
    file imports may come from.
    """
    return compile_sources([(text, filename)], import_roots=import_roots)


def read_text(path: Path) -> str:
    """Read a source file, turning OS and encoding failures into diagnostics."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "it is not UTF-8 text"
        raise Diagnostics([Diagnostic(f"cannot read file: {reason}", str(path))]) from None


def compile_files(paths: Iterable[str | Path], *, import_roots: Roots = ()) -> list[Policy]:
    """Compile `.cpol` files together (duplicate names are checked across all of them)."""
    return compile_sources(((read_text(Path(p)), str(p)) for p in paths), import_roots=import_roots)
