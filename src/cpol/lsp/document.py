"""Incremental analysis of one `.cpol` document: the compiler's answer, one block at a time.

Compiling a 1,000-policy file takes about 200 ms, far too slow for every keystroke. A file
is a header (comments and `use` lines) followed by `policy` blocks that the compiler treats
independently, except for duplicate names; so the text is cut into blocks at each line that
starts a policy (with the comments directly above it, where `# lint:` directives live), each
block is compiled alone and its result cached by its text. A keystroke re-compiles only the
block it touched. A block whose text ends inside an unfinished policy is merged with the
next one before compiling, so that a missing `}` reads as it would in the whole file.
Duplicate names, the one check spanning blocks, are made here with absolute positions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from cpol.compiler.compile import Roots, compile_located, lower_source
from cpol.compiler.lower import Lowered
from cpol.compiler.source import Source
from cpol.diagnostics import Diagnostic, Diagnostics, Span
from cpol.plan.validation import name_key
from cpol.policyset import Located, Origin

_POLICY_LINE = re.compile(r"[ \t]*policy(?![A-Za-z0-9_])")
_COMMENT_LINE = re.compile(r"[ \t]*#")


@dataclass(frozen=True)
class Compiled:
    """What the compiler says about one block's text, positions relative to the block."""

    text: str
    diagnostics: tuple[Diagnostic, ...]
    own: tuple[Lowered, ...]
    """The block's own policies as written (also those that failed validation)."""
    located: tuple[Located, ...]
    """Every policy that compiled, imported ones first (only when the block has no error)."""


@dataclass(frozen=True)
class Block:
    """A compiled block placed in the document: `line` is its first line (0-based)."""

    line: int
    compiled: Compiled

    def shift(self, span: Span) -> Span:
        """A block-relative span in document lines (columns are unchanged: blocks start lines)."""
        return span._replace(line=span.line + self.line, end_line=span.end_line + self.line)

    @property
    def source(self) -> Source | None:
        first = self.compiled.located[0] if self.compiled.located else None
        return first.origin.source if first is not None else None


def split_lines(text: str) -> list[str]:
    """Lines with their `\\n`, the way the compiler counts them (only `\\n` ends a line)."""
    lines = text.split("\n")
    return [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])


def block_starts(lines: Sequence[str]) -> list[int]:
    """The first line of each block: a `policy` line, moved up over the comments above it."""
    starts: list[int] = []
    for index, line in enumerate(lines):
        if not _POLICY_LINE.match(line):
            continue
        start = index
        while start > 0 and _COMMENT_LINE.match(lines[start - 1]) and (not starts or start - 1 > starts[-1]):
            start -= 1
        starts.append(start)
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    return starts


def _ends_open(compiled: Compiled) -> bool:
    """Whether a syntax error sits at the very end: the block's last policy is unfinished."""
    end = len(compiled.text.rstrip())
    return any(
        d.span is not None and d.span.start >= end and d.severity == "error" for d in compiled.diagnostics
    )


class Compiler:
    """Compiles blocks, remembering the result for each block text it has seen."""

    def __init__(self, filename: str, import_roots: Roots = ()) -> None:
        self.filename = filename
        self.import_roots = tuple(import_roots)
        self._cache: dict[str, Compiled] = {}

    def compile(self, text: str, *, header: bool) -> Compiled:
        """A block's result; headers are never cached, as the modules they `use` may change."""
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        compiled = self._compile(text)
        if not header:
            self._cache[text] = compiled
        return compiled

    def _compile(self, text: str) -> Compiled:
        try:
            triples = compile_located([(text, self.filename)], import_roots=self.import_roots)
        except Diagnostics as problems:
            own = tuple(lower_source(text, self.filename).policies)
            return Compiled(text, tuple(problems.items), own, ())
        located = tuple(
            Located(policy, Origin(source.filename, source, lowered)) for policy, source, lowered in triples
        )
        own = tuple(lowered for _, _, lowered in triples if lowered.imported_from is None)
        return Compiled(text, (), own, located)

    def keep_only(self, texts: set[str]) -> None:
        """Forget blocks no longer in the document (the cache follows the document's size)."""
        self._cache = {text: compiled for text, compiled in self._cache.items() if text in texts}


@dataclass
class Analysis:
    """A document's blocks and every compiler diagnostic, in document positions."""

    text: str
    filename: str
    blocks: list[Block]
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def located(self) -> list[Located]:
        return [item for block in self.blocks for item in block.compiled.located]

    def policies(self) -> Iterator[tuple[Block, Lowered]]:
        """Every policy written in this document (not imported), with its block."""
        for block in self.blocks:
            for lowered in block.compiled.own:
                yield block, lowered

    def block_at(self, line: int) -> Block | None:
        """The block holding a document line (0-based)."""
        found = None
        for block in self.blocks:
            if block.line > line:
                break
            found = block
        return found

    def block_of(self, source: Source) -> Block | None:
        """The block whose compiled text is `source` (lint findings point into one)."""
        for block in self.blocks:
            if any(item.origin.source is source for item in block.compiled.located):
                return block
        return None


def analyse(text: str, compiler: Compiler) -> Analysis:
    """Compile a document block by block, merging a block with the next while it ends open."""
    lines = split_lines(text)
    starts = block_starts(lines)
    ends = [*starts[1:], len(lines)]
    blocks: list[Block] = []
    index = 0
    while index < len(starts):
        first, last = starts[index], ends[index]
        compiled = compiler.compile("".join(lines[first:last]), header=index == 0)
        while _ends_open(compiled) and index + 1 < len(starts):
            index += 1
            last = ends[index]
            compiled = compiler.compile("".join(lines[first:last]), header=first == 0)
        blocks.append(Block(first, compiled))
        index += 1
    compiler.keep_only({block.compiled.text for block in blocks})
    analysis = Analysis(text, compiler.filename, blocks)
    analysis.diagnostics = _diagnostics(analysis)
    return analysis


def _diagnostics(analysis: Analysis) -> list[Diagnostic]:
    """Each block's diagnostics moved to document lines, with the duplicate-name check."""
    out = [
        _moved(d, block, analysis.filename) for block in analysis.blocks for d in block.compiled.diagnostics
    ]
    out += _duplicate_names(analysis)
    out.sort(key=lambda d: (d.span.line, d.span.column) if d.span else (0, 0))
    return out


def _moved(diagnostic: Diagnostic, block: Block, filename: str) -> Diagnostic:
    """A block's diagnostic in document lines; those about another file (a module) stay put."""
    if diagnostic.span is None or diagnostic.file != filename:
        return diagnostic
    return Diagnostic(
        diagnostic.message,
        diagnostic.file,
        block.shift(diagnostic.span),
        diagnostic.path,
        diagnostic.hint,
        diagnostic.severity,
        diagnostic.source_line,
    )


def _named(block: Block) -> list[Lowered]:
    """The policies a block adds to the file's plan: imported ones (from `use`) first."""
    imported = [item.origin.lowered for item in block.compiled.located if item.origin.lowered is not None]
    return [lowered for lowered in imported if lowered.imported_from is not None] + list(block.compiled.own)


def _duplicate_names(analysis: Analysis) -> list[Diagnostic]:
    """Names are unique per tenant across the file; clashes inside a block the compiler told."""
    seen: dict[object, tuple[Block, Span]] = {}
    out: list[Diagnostic] = []
    for block in analysis.blocks:
        source = Source(block.compiled.text, analysis.filename)
        for lowered in _named(block):
            raw = lowered.raw
            key = name_key(raw.get("tenantId"), raw.get("name"), raw.get("deletedAt"))
            if key is None:
                continue
            span = block.shift(lowered.node.name.span)
            if key not in seen:
                seen[key] = (block, span)
                continue
            first_block, first = seen[key]
            if first_block is block:
                continue
            where = f"{analysis.filename}:{first.line}:{first.column}"
            hint = f"first defined at {where}; policy names are unique per tenant"
            local = source.diagnostic(
                f"duplicate policy name `{raw.get('name')}`", lowered.node.name.span, hint
            )
            out.append(_moved(local, block, analysis.filename))
    return out
