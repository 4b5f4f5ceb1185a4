"""Compiler diagnostics and lint findings as LSP diagnostics, each with its quick fixes.

A quick fix is offered where the change is mechanical: the suggestion of every "did you
mean" (compiler hints and lint messages alike), and the lint fixes that need no judgement:
deleting a policy that adds nothing, setting an inactive one active, dropping an
unreachable cap, correcting or deleting a `# lint:` directive.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from lsprotocol import types

from cpol.compiler.ast import RuleStmt
from cpol.compiler.lower import CLAUSE_KEYS, Lowered
from cpol.diagnostics import Diagnostic, Span
from cpol.lint import Finding, Place
from cpol.lint.codes import DOMINATED, DUPLICATE, INACTIVE, REDUNDANT, SINGLE_OFFER_GROUP, UNUSED_DIRECTIVE
from cpol.lsp.document import Analysis, Block
from cpol.lsp.positions import Lines

_SUGGESTION = re.compile(r'did you mean (?:`([^`]+)`|"((?:[^"\\]|\\.)*)")\?|write `([^`]+)`')
_DIRECTIVE = re.compile(
    r"(?P<head>#\s*lint\s*:\s*ignore)(?P<codes>[ \t]+\w+(?:[ \t]*,[ \t]*\w+)*)(?P<rest>.*)"
)
_SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "info": types.DiagnosticSeverity.Information,
}
#: Findings whose fix starts by deleting the policy the finding is about.
_DELETABLE = frozenset({DOMINATED.code, REDUNDANT.code, DUPLICATE.code, SINGLE_OFFER_GROUP.code})


@dataclass(frozen=True)
class Fix:
    title: str
    edits: tuple[types.TextEdit, ...]
    preferred: bool = False


@dataclass(frozen=True)
class Problem:
    """A diagnostic as published, and the fixes a code action on it offers."""

    diagnostic: types.Diagnostic
    fixes: tuple[Fix, ...] = ()


def suggestion(text: str) -> str | None:
    """The word a "did you mean `X`?" (or "write `X`") proposes."""
    match = _SUGGESTION.search(text)
    if match is None:
        return None
    quoted = match.group(2)
    return json.loads(f'"{quoted}"') if quoted is not None else match.group(1) or match.group(3)


def _replacement(lines: Lines, span: Span, text: str) -> Fix | None:
    """Replace the word or string at `span` with `text`, quoted as the original was."""
    if span.line != span.end_line:
        return None
    written = lines.lines[span.line - 1][span.column - 1 : span.end_column - 1]
    if written.startswith('"'):
        new = json.dumps(text, ensure_ascii=False)
    elif re.fullmatch(r"[A-Za-z0-9_:.]+", written):
        new = text
    else:
        return None
    if new == written:
        return None
    return Fix(f"Change to {new}", (types.TextEdit(range=lines.span(span), new_text=new),), preferred=True)


def _with_hint(message: str, label: str, hint: str | None) -> str:
    return f"{message}\n{label}: {hint}" if hint else message


def compiler_problems(analysis: Analysis, lines: Lines) -> list[Problem]:
    """Every compiler diagnostic, its hint included, with the "did you mean" fix."""
    problems: list[Problem] = []
    for item in analysis.diagnostics:
        own = item.span is not None and item.file == analysis.filename
        message = item.message if own else f"{item.location}: {item.message}"
        diagnostic = types.Diagnostic(
            range=lines.span(item.span) if own and item.span else lines.range(0, 0, 0, 0),
            message=_with_hint(message, "hint", item.hint),
            severity=_SEVERITY[item.severity],
            source="cpol",
        )
        problems.append(Problem(diagnostic, tuple(_did_you_mean(item, lines)) if own else ()))
    return problems


def _did_you_mean(item: Diagnostic, lines: Lines) -> Iterator[Fix]:
    word = suggestion(item.hint or "")
    fix = _replacement(lines, item.span, word) if word is not None and item.span is not None else None
    if fix is not None:
        yield fix


@dataclass(frozen=True)
class LintContext:
    """What turning findings into diagnostics needs: the document, its lines, the docs."""

    analysis: Analysis
    lines: Lines
    uri: str
    docs: str
    """The base of the docs links (`…/docs`)."""


def lint_problems(findings: Sequence[Finding], context: LintContext) -> list[Problem]:
    """Unsuppressed findings about this document as warnings (info stays info)."""
    blocks = {
        id(item.origin.source): block for block in context.analysis.blocks for item in block.compiled.located
    }
    problems: list[Problem] = []
    for finding in findings:
        placed = _placed(finding.primary, blocks)
        if finding.suppressed is not None or placed is None:
            continue
        block, span = placed
        severity = "info" if finding.severity == "info" else "warning"
        diagnostic = types.Diagnostic(
            range=context.lines.span(span),
            message=_with_hint(finding.message, "fix", finding.fix),
            severity=_SEVERITY[severity],
            code=finding.code.code,
            code_description=types.CodeDescription(
                href=f"{context.docs}/lint.md#{finding.code.code.lower()}"
            ),
            source="cpol lint",
            related_information=_related(finding, blocks, context) or None,
        )
        fixes = _lint_fixes(finding, block, span, context)
        problems.append(Problem(diagnostic, tuple(fixes)))
    return problems


def _placed(place: Place, blocks: dict[int, Block]) -> tuple[Block, Span] | None:
    """The block and document span of a finding's place, None when it is in another file."""
    item = place.diagnostic("")
    source = place.excerpt.source if place.excerpt else place.located.origin.source
    block = blocks.get(id(source))
    if block is None or item.span is None:
        return None
    return block, block.shift(item.span)


def _related(
    finding: Finding, blocks: dict[int, Block], context: LintContext
) -> list[types.DiagnosticRelatedInformation]:
    out = []
    for place in finding.related:
        placed = _placed(place, blocks)
        if placed is not None:
            location = types.Location(uri=context.uri, range=context.lines.span(placed[1]))
            out.append(
                types.DiagnosticRelatedInformation(location=location, message=place.note or place.policy_name)
            )
    return out


def _lint_fixes(finding: Finding, block: Block, span: Span, context: LintContext) -> Iterator[Fix]:
    word = suggestion(f"{finding.message} {finding.fix}")
    if word is not None:
        fix = _replacement(context.lines, span, word)
        if fix is not None:
            yield fix
    lowered = finding.primary.located.origin.lowered
    if lowered is None or lowered.imported_from is not None or finding.primary.excerpt is not None:
        yield from _directive_fixes(finding, span, context.lines)
        return
    code, loc = finding.code.code, finding.primary.loc
    if (code in _DELETABLE and (code != DOMINATED.code or loc == ())) or loc == ("deletedAt",):
        yield _delete_policy(lowered, block, context.lines)
    if code == INACTIVE.code and loc == ("status",):
        yield Fix(
            "Set status to active", (types.TextEdit(range=context.lines.span(span), new_text="active"),)
        )
    if loc[:1] == ("config",) and finding.fix.startswith(f"remove {loc[-1]}"):
        yield from _remove_cap(lowered, block, str(loc[-1]), context.lines)


def _delete_policy(lowered: Lowered, block: Block, lines: Lines) -> Fix:
    """Delete the policy's lines, and one blank line after them."""
    node = block.shift(lowered.node.span)
    last = node.end_line
    if last < len(lines.lines) and not lines.lines[last].strip():
        last += 1
    edit = types.TextEdit(range=lines.range(node.line - 1, 0, last, 0), new_text="")
    return Fix(f"Delete policy {json.dumps(lowered.raw.get('name'), ensure_ascii=False)}", (edit,))


def _remove_cap(lowered: Lowered, block: Block, key: str, lines: Lines) -> Iterator[Fix]:
    """Drop one `N per PERIOD` of a frequency cap, with the comma that joined it."""
    rules = [s for s in lowered.node.statements if isinstance(s, RuleStmt) and s.rule_type == "frequency_cap"]
    if not rules:
        return
    caps = [
        c
        for c in rules[0].clauses
        if ("frequency_cap", c.kind) in CLAUSE_KEYS and c.kind.startswith(("per_", "total"))
    ]
    target = [c for c in caps if CLAUSE_KEYS[("frequency_cap", c.kind)][0][0] == key]
    if len(caps) < 2 or not target:
        return
    index = caps.index(target[0])
    first, last = (caps[index - 1], target[0]) if index else (target[0], caps[1])
    # from the end of the cap before to the end of this one, or from this one to the next
    start = block.shift(first.span)
    end = block.shift(last.span)
    if index:
        edit_range = lines.range(
            start.end_line - 1, start.end_column - 1, end.end_line - 1, end.end_column - 1
        )
    else:
        edit_range = lines.range(start.line - 1, start.column - 1, end.line - 1, end.column - 1)
    yield Fix(f"Remove the cap {key}", (types.TextEdit(range=edit_range, new_text=""),))


def _directive_fixes(finding: Finding, span: Span, lines: Lines) -> Iterator[Fix]:
    """CPL902: delete an unused directive, or remove the codes it names in vain."""
    if finding.code.code != UNUSED_DIRECTIVE.code:
        return
    line = lines.lines[span.line - 1]
    unused = re.match(r"remove (.+) from the directive", finding.fix)
    if unused is None:
        whole = not line[: span.column - 1].strip()
        edit_range = lines.range(span.line - 1, 0, span.line, 0) if whole else lines.span(span)
        yield Fix("Delete the directive", (types.TextEdit(range=edit_range, new_text=""),))
        return
    comment = line[span.column - 1 : span.end_column - 1]
    parts = _DIRECTIVE.match(comment)
    if parts is None:
        return
    unwanted = set(unused.group(1).split(", "))
    kept = [code for code in re.split(r"[ \t]*,[ \t]*", parts["codes"].strip()) if code not in unwanted]
    text = f"{parts['head']} {', '.join(kept)}{parts['rest']}"
    yield Fix(
        f"Remove {unused.group(1)} from the directive",
        (types.TextEdit(range=lines.span(span), new_text=text),),
    )
