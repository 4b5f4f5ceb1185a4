"""Symbols, go to definition, rename, formatting and semantic tokens: the features that map
policies and words to places, and places to edits."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from lsprotocol import types

from cpol.compiler.imports import NotImported, locate, roots_of
from cpol.diagnostics import Diagnostics
from cpol.formatter import FormatError, format_source
from cpol.lsp.document import Analysis
from cpol.lsp.hover import use_name
from cpol.lsp.modules import module_path
from cpol.lsp.positions import Lines
from cpol.lsp.tokens import TOKEN_TYPES, Token
from cpol.lsp.workspace import Entry, Workspace

MAX_NAME = 255


def document_symbols(analysis: Analysis, lines: Lines) -> list[types.DocumentSymbol]:
    """One symbol per policy written in the document, its rule type as detail."""
    symbols = []
    for block, lowered in analysis.policies():
        symbols.append(
            types.DocumentSymbol(
                name=str(lowered.raw.get("name")),
                detail=str(lowered.raw.get("ruleType", "")),
                kind=types.SymbolKind.Object,
                range=lines.span(block.shift(lowered.node.span)),
                selection_range=lines.span(block.shift(lowered.node.name.span)),
            )
        )
    return symbols


def workspace_symbols(workspace: Workspace, query: str) -> list[types.WorkspaceSymbol]:
    """Policies of every file whose name holds the query (case-insensitive)."""
    wanted = query.lower()
    out = []
    for file in workspace.files():
        lines = Lines(file.text)
        for entry in file.policies:
            if wanted in entry.name.lower():
                location = types.Location(uri=file.uri, range=lines.span(entry.name_span))
                out.append(
                    types.WorkspaceSymbol(
                        name=entry.name,
                        kind=types.SymbolKind.Object,
                        location=location,
                        container_name=entry.rule_type,
                    )
                )
    return out


def definition(
    tokens: Sequence[Token], token: Token, filename: str, import_roots: Sequence[str]
) -> types.Location | None:
    """On a `use` line: the module's file (standard library or a `.cpol` file beside)."""
    line = [t for t in tokens if t.line == token.line]
    name = use_name(line) if line and line[0].text == "use" else None
    if name is None:
        return None
    path = module_path(name)
    if path is None and name.endswith(".cpol"):
        found = locate(name, filename, roots_of(filename, import_roots))
        path = None if isinstance(found, NotImported) else Path(found[1])
    if path is None:
        return None
    return types.Location(
        uri=path.resolve().as_uri(),
        range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)),
    )


def name_at(entries: Sequence[Entry], line: int, column: int) -> Entry | None:
    """The policy whose name string is under a 0-based position."""
    for entry in entries:
        span = entry.name_span
        if span.line - 1 == line and span.column - 1 <= column <= span.end_column - 1:
            return entry
    return None


class RenameRefused(ValueError):
    """A new name the compiler would reject: said to the user instead of applied."""


def rename(workspace: Workspace, old: str, new: str) -> types.WorkspaceEdit:
    """Every policy called `old`, in every file of the workspace, renamed to `new`."""
    if not new.strip() or len(new) > MAX_NAME:
        raise RenameRefused(f"a policy name is 1 to {MAX_NAME} characters and not blank")
    text = json.dumps(new, ensure_ascii=False)
    changes: dict[str, list[types.TextEdit]] = {}
    for file in workspace.files():
        lines = Lines(file.text)
        edits = [
            types.TextEdit(range=lines.span(entry.name_span), new_text=text)
            for entry in file.policies
            if entry.name == old
        ]
        if edits:
            changes[file.uri] = edits
    return types.WorkspaceEdit(changes=changes)


def format_edits(text: str, filename: str, lines: Lines) -> list[types.TextEdit] | None:
    """One edit to the canonical form; None when the text cannot be read (it has errors)."""
    try:
        formatted = format_source(text, filename)
    except (Diagnostics, FormatError):
        return None
    return [] if formatted == text else [types.TextEdit(range=lines.whole(), new_text=formatted)]


def format_range(analysis: Analysis, lines: Lines, first: int, last: int) -> list[types.TextEdit] | None:
    """The canonical form of the blocks the range touches (lines `first`..`last`, 0-based),
    each alone: the rest of the file is left as it is. None when one cannot be read."""
    edits = []
    for index, block in enumerate(analysis.blocks):
        following = analysis.blocks[index + 1].line if index + 1 < len(analysis.blocks) else None
        end = following if following is not None else len(lines.lines)
        if end <= first or block.line > last:
            continue
        start = lines.to_client(block.line, 0)
        where = types.Range(
            start=start, end=lines.whole().end if following is None else lines.to_client(end, 0)
        )
        text = block.compiled.text
        body = text.rstrip("\n")
        try:
            formatted = format_source(body + "\n", analysis.filename)
        except (Diagnostics, FormatError):
            return None
        formatted += text[len(body) + 1 :]
        if formatted != text:
            edits.append(types.TextEdit(range=where, new_text=formatted))
    return edits


def semantic_tokens(tokens: Sequence[Token], lines: Lines) -> list[int]:
    """The LSP's relative encoding of every classified token (punctuation left to the theme)."""
    data: list[int] = []
    previous_line = previous_start = 0
    for token in tokens:
        if token.kind not in TOKEN_TYPES:
            continue
        start = lines.to_client(token.line, token.column)
        end = lines.to_client(token.line, token.end)
        delta_line = start.line - previous_line
        delta_start = start.character - previous_start if delta_line == 0 else start.character
        data += [delta_line, delta_start, end.character - start.character, TOKEN_TYPES.index(token.kind), 0]
        previous_line, previous_start = start.line, start.character
    return data
