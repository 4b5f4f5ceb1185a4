"""`# lint: ignore CODE[, CODE…] justification`: suppressing findings from `.cpol` comments.

A directive is a comment in the block directly above a `policy` line (no blank line between)
or on that line. It suppresses the findings of the codes it names whose primary policy is
that policy, and no other. An imported policy (`use "module"`) carries the directives
written above it in its module. A suppressed finding is never dropped: it is marked, with
the justification, and every output says how many there are.

Directives are checked too: one that cannot be read is reported (CPL901), and so is one that
suppresses nothing or stands where it applies to no policy (CPL902, info), in the files being
linted. A module's directives are written for every set that imports it and may be unused in
some of them, so their use is not reported where the module is imported.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from cpol.compiler.ast import Comment, PolicyNode
from cpol.compiler.source import Source
from cpol.diagnostics import Span, did_you_mean
from cpol.formatter import scan_comments
from cpol.lint.codes import CODES, INVALID_DIRECTIVE, UNUSED_DIRECTIVE, Code
from cpol.lint.finding import Excerpt, Finding, Place, Suppression
from cpol.lint.model import quoted
from cpol.policyset import Located

SYNTAX = "`# lint: ignore CODE[, CODE…] justification`"
KNOWN_CODES = [code.code for code in CODES]
_HEAD = re.compile(r"#\s*lint\s*:\s*(?P<verb>\w*)")
_CODE_LIST = re.compile(r"[ \t]+\w+(?:[ \t]*,[ \t]*\w+)*")
_WORD = re.compile(r"\w+")
_LOOKS_LIKE_CODE = re.compile(r"[A-Z]{3}\d{3}\b")


@dataclass(frozen=True)
class Problem:
    """Why a directive cannot be read, and where in it."""

    message: str
    fix: str
    span: Span


@dataclass(frozen=True)
class Directive:
    """One `# lint:` comment, read: the codes it names (each with its span) and why."""

    excerpt: Excerpt
    codes: tuple[tuple[str, Span], ...]
    justification: str
    problems: tuple[Problem, ...]

    @property
    def known(self) -> list[str]:
        return [code for code, _ in self.codes if code in KNOWN_CODES]


def _part(comment: Comment, start: int, end: int) -> Span:
    """The span of `comment.text[start:end]` (a comment lies on one line)."""
    span = comment.span
    return Span(
        span.start + start, span.start + end, span.line, span.column + start, span.line, span.column + end
    )


def read_directive(comment: Comment, source: Source) -> Directive | None:
    """The directive a comment holds, or None for an ordinary comment."""
    text = comment.text
    head = _HEAD.match(text)
    if head is None:
        return None
    excerpt = Excerpt(source, comment.span)
    if head["verb"] != "ignore":
        what = f"unknown lint directive `{head['verb']}`" if head["verb"] else "lint directive without a verb"
        problem = Problem(f"{what}: the only one is {SYNTAX}", f"write {SYNTAX}", comment.span)
        return Directive(excerpt, (), "", (problem,))
    listed = _CODE_LIST.match(text, head.end())
    if listed is None:
        problem = Problem("lint directive names no code", f"write {SYNTAX}", comment.span)
        return Directive(excerpt, (), text[head.end() :].strip(), (problem,))
    codes = tuple(
        (word.group(), _part(comment, word.start(), word.end()))
        for word in _WORD.finditer(text, listed.start(), listed.end())
    )
    justification = text[listed.end() :].strip().lstrip(":;-–—").strip()
    problems = [_unknown(code, span) for code, span in codes if code not in KNOWN_CODES]
    stray = _LOOKS_LIKE_CODE.match(justification)
    if stray is not None:
        start = text.index(justification, listed.end())
        problems.append(
            Problem(
                f"`{stray.group()}` is read as the start of the justification, not as a code",
                "separate the codes with commas: `# lint: ignore CPL301, CPL401 justification`",
                _part(comment, start, start + len(stray.group())),
            )
        )
    return Directive(excerpt, codes, justification, tuple(problems))


def _unknown(code: str, span: Span) -> Problem:
    hint = did_you_mean(code, KNOWN_CODES)
    message = f"lint directive names unknown code `{code}`" + (f"; {hint}" if hint else "")
    fix = "correct the code, or remove it" if hint else "name the code of a finding (see docs/lint.md)"
    return Problem(message, fix, span)


def attached(comments: dict[int, Comment], node: PolicyNode) -> list[Comment]:
    """The comments on a policy's header line(s) and in the block directly above it."""
    header = node.header
    found = [comments[line] for line in range(header.line, header.end_line + 1) if line in comments]
    line = header.line - 1
    while line in comments and comments[line].own_line:
        found.append(comments[line])
        line -= 1
    return found


class Directives:
    """The directives of a policy set: which policy each applies to, and which were used."""

    def __init__(self, located: Sequence[Located]) -> None:
        self.located = located
        self.comments: dict[int, dict[int, Comment]] = {}
        self.read: dict[tuple[int, int], Directive | None] = {}
        self.owner: dict[tuple[int, int], tuple[Located, bool]] = {}
        """Directive -> the policy it applies to (the first, if imported twice), and whether
        that policy is written in a linted file (not only in a module it imports)."""
        self.of: dict[int, list[Directive]] = defaultdict(list)
        self.used: set[tuple[int, int, str]] = set()
        for item in located:
            lowered = item.origin.lowered
            if lowered is not None and lowered.written is not None:
                own = lowered.written.source is item.origin.source
                self._attach(item, lowered.written.source, lowered.written.node, own)

    def _comments(self, source: Source) -> dict[int, Comment]:
        if id(source) not in self.comments:
            self.comments[id(source)] = {c.span.line: c for c in scan_comments(source.text)}
        return self.comments[id(source)]

    def _directive(self, source: Source, comment: Comment) -> Directive | None:
        key = (id(source), comment.span.start)
        if key not in self.read:
            self.read[key] = read_directive(comment, source)
        return self.read[key]

    def _attach(self, item: Located, source: Source, node: PolicyNode, own: bool) -> None:
        for comment in attached(self._comments(source), node):
            directive = self._directive(source, comment)
            if directive is not None:
                self.of[id(item)].append(directive)
                self.owner.setdefault(_key(directive), (item, own))

    def suppress(self, finding: Finding) -> Finding:
        """The finding, marked suppressed if a directive of its primary policy names its code."""
        code = finding.code.code
        for directive in self.of.get(id(finding.primary.located), []):
            if code in directive.known:
                self.used.add((*_key(directive), code))
                place = Place(finding.primary.located, excerpt=directive.excerpt)
                return replace(finding, suppressed=Suppression(place, directive.justification))
        return finding

    def findings(self) -> Iterator[Finding]:
        """The directives' own findings: unreadable, unused, or applying to no policy."""
        for key, (item, own) in self.owner.items():
            directive = self.read[key]
            assert directive is not None
            for problem in directive.problems:
                yield _finding(INVALID_DIRECTIVE, problem.message, problem.fix, item, directive, problem.span)
            if own:
                yield from self._unused(directive, item)
        yield from self._stray()

    def _unused(self, directive: Directive, item: Located) -> Iterator[Finding]:
        unused = [code for code in directive.known if (*_key(directive), code) not in self.used]
        if unused:
            name = quoted(item.policy.name)
            message = f"unused lint directive: {name} has no {' or '.join(unused)} finding to suppress"
            whole = unused == directive.known
            fix = "delete the directive" if whole else f"remove {', '.join(unused)} from the directive"
            yield _finding(UNUSED_DIRECTIVE, message, fix, item, directive, directive.excerpt.span)

    def _stray(self) -> Iterator[Finding]:
        """Directives in a linted file that are not directly above a policy."""
        message = "unused lint directive: it is not directly above a policy, so it applies to none"
        fix = "move it to the comment block directly above the `policy` line it is about, or delete it"
        for source, items in _by_source(self.located):
            for comment in self._comments(source).values():
                directive = self._directive(source, comment)
                if directive is not None and _key(directive) not in self.owner:
                    item = _nearest(items, comment.span.line)
                    yield _finding(UNUSED_DIRECTIVE, message, fix, item, directive, comment.span)


def _key(directive: Directive) -> tuple[int, int]:
    return (id(directive.excerpt.source), directive.excerpt.span.start)


def _finding(code: Code, message: str, fix: str, item: Located, directive: Directive, span: Span) -> Finding:
    return Finding(code, message, fix, Place(item, excerpt=Excerpt(directive.excerpt.source, span)))


def _by_source(located: Sequence[Located]) -> Iterator[tuple[Source, list[Located]]]:
    """Each linted `.cpol` file with its policies (imported ones at their `use` line)."""
    groups: dict[int, tuple[Source, list[Located]]] = {}
    for item in located:
        source = item.origin.source
        if source is not None:
            groups.setdefault(id(source), (source, []))[1].append(item)
    yield from groups.values()


def _nearest(items: Sequence[Located], line: int) -> Located:
    """The policy whose block holds `line`, else the first one after it, else the last one."""
    placed = sorted(
        (item.origin.lowered.node.span, index) for index, item in enumerate(items) if item.origin.lowered
    )
    for span, index in placed:
        if line <= span.end_line:
            return items[index]
    return items[placed[-1][1]]
