"""`cpol lsp`: the language server, wiring the features to pygls over stdio.

Diagnostics are published in two steps, both debounced per document: the compiler's as soon
as a change settles (`debounceMs`, blocks re-compiled only where the text changed), then the
lint findings of the whole set (`lintDelayMs` later), which take longer. The second publish
repeats the compiler's, so the editor always shows both kinds together.

Settings come as `initializationOptions`: `lint` (default true), `catalog` (a lint catalogue
file), `importRoots` (folders `use "x.cpol"` may also read), `debounceMs` (default 30),
`lintDelayMs` (default 300) and `docsUrl` (the base of docs links; default the `docs`
folder of this checkout, else the relative `docs`).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer

import cpol
from cpol.diagnostics import Diagnostics
from cpol.lint import Catalog, lint, load_catalog
from cpol.lsp.completion import complete
from cpol.lsp.document import Analysis, Compiler, analyse
from cpol.lsp.hover import hover
from cpol.lsp.navigation import (
    RenameRefused,
    definition,
    document_symbols,
    format_edits,
    format_range,
    name_at,
    rename,
    semantic_tokens,
    workspace_symbols,
)
from cpol.lsp.positions import Lines, utf16_units
from cpol.lsp.problems import LintContext, Problem, compiler_problems, lint_problems
from cpol.lsp.tokens import TOKEN_TYPES, Token, before, scan, token_at
from cpol.lsp.workspace import Workspace, uri_to_path

_UNITS = {
    types.PositionEncodingKind.Utf8: lambda text: len(text.encode("utf-8")),
    types.PositionEncodingKind.Utf32: len,
}


@dataclass
class Settings:
    lint: bool = True
    catalog: Catalog | None = None
    import_roots: tuple[str, ...] = ()
    debounce: float = 0.03
    lint_delay: float = 0.3
    docs: str = "docs"


def default_docs() -> str:
    """The docs folder next to the package in a checkout, as a file URI; else `docs`."""
    folder = Path(cpol.__file__).resolve().parents[2] / "docs"
    return folder.as_uri() if (folder / "lint.md").is_file() else "docs"


def read_settings(options: Any) -> Settings:
    """`initializationOptions`, or the defaults for what is missing; a bad catalogue is said."""
    options = options if isinstance(options, dict) else {}
    settings = Settings(docs=str(options.get("docsUrl") or default_docs()).rstrip("/"))
    settings.lint = bool(options.get("lint", True))
    settings.import_roots = tuple(str(root) for root in options.get("importRoots") or ())
    settings.debounce = float(options.get("debounceMs", 30)) / 1000
    settings.lint_delay = float(options.get("lintDelayMs", 300)) / 1000
    if options.get("catalog"):
        path = Path(str(options["catalog"]))
        settings.catalog = load_catalog(path.read_text(encoding="utf-8"), str(path))
    return settings


@dataclass
class Document:
    """An open document: its compiler (with the block cache) and its latest analysis."""

    uri: str
    compiler: Compiler
    analysis: Analysis | None = None
    scanned: dict[str, list[Token]] = field(default_factory=dict)
    """Each block's tokens, lines counted from the block's start, by block text."""
    words: list[Token] | None = None
    lines: Lines = field(default_factory=lambda: Lines(""))
    problems: list[Problem] = field(default_factory=list)
    lint: list[Problem] = field(default_factory=list)
    linted: str = ""
    """The text the lint problems were found in: until lint runs again after a change they
    stay shown (no flicker), but their fixes are not offered on another text."""
    pending: asyncio.Task[None] | None = None

    @property
    def tokens(self) -> list[Token]:
        """The document's tokens, scanned again only in blocks that changed (and only when a
        feature asks: a keystroke alone does not need them)."""
        if self.words is None:
            assert self.analysis is not None
            scanned = {
                b.compiled.text: self.scanned.get(b.compiled.text) or scan(b.compiled.text)
                for b in self.analysis.blocks
            }
            self.scanned = scanned
            self.words = [
                token._replace(line=token.line + block.line)
                for block in self.analysis.blocks
                for token in scanned[block.compiled.text]
            ]
        return self.words


class CpolServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "cpol", cpol.__version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental
        )
        self.settings = Settings(docs=default_docs())
        self.documents: dict[str, Document] = {}
        self.index = Workspace()

    # -- documents ---------------------------------------------------------------------
    def units(self) -> Any:
        return _UNITS.get(self.workspace.position_encoding, utf16_units)  # type: ignore[call-overload]

    def document(self, uri: str) -> Document:
        if uri not in self.documents:
            path = uri_to_path(uri)
            filename = str(path) if uri.startswith("file:") else "<untitled>"
            self.documents[uri] = Document(uri, Compiler(filename, self.settings.import_roots))
        return self.documents[uri]

    def refresh(self, uri: str) -> Document:
        """Analyse the document's current text (only changed blocks are compiled again)."""
        document = self.document(uri)
        text = self.workspace.get_text_document(uri).source
        if document.analysis is not None and document.analysis.text == text:
            return document
        document.analysis = analyse(text, document.compiler)
        document.lines = Lines(text, self.units())
        document.words = None
        document.problems = compiler_problems(document.analysis, document.lines)
        self.index.update_open(uri, document.analysis)
        return document

    def publish(self, document: Document) -> None:
        version = self.workspace.get_text_document(document.uri).version
        diagnostics = [p.diagnostic for p in [*document.problems, *document.lint]]
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=document.uri, diagnostics=diagnostics, version=version)
        )

    def schedule(self, uri: str, delay: float) -> None:
        """Check the document once typing pauses for `delay` seconds (a new change restarts it)."""
        document = self.document(uri)
        if document.pending is not None:
            document.pending.cancel()
        document.pending = asyncio.get_running_loop().create_task(self._check(uri, delay))

    async def _check(self, uri: str, delay: float) -> None:
        await asyncio.sleep(delay)
        document = self.refresh(uri)
        self.publish(document)
        if self.settings.lint:
            await asyncio.sleep(self.settings.lint_delay)
            self.lint(document)
            self.publish(document)

    def lint(self, document: Document) -> None:
        assert document.analysis is not None
        findings = lint(document.analysis.located, self.settings.catalog)
        context = LintContext(document.analysis, document.lines, document.uri, self.settings.docs)
        document.lint = lint_problems(findings, context)
        document.linted = document.analysis.text


server = CpolServer()


@server.feature(types.INITIALIZE)
def initialize(ls: CpolServer, params: types.InitializeParams) -> None:
    try:
        ls.settings = read_settings(params.initialization_options)
    except (OSError, UnicodeDecodeError, Diagnostics) as error:
        ls.settings = read_settings({})
        ls.window_show_message(
            types.ShowMessageParams(type=types.MessageType.Error, message=f"cpol: catalog: {error}")
        )
    folders = [uri_to_path(f.uri) for f in params.workspace_folders or []]
    if not folders and params.root_uri:
        folders = [uri_to_path(params.root_uri)]
    ls.index = Workspace(folders)


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: CpolServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri, 0)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: CpolServer, params: types.DidChangeTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri, ls.settings.debounce)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: CpolServer, params: types.DidCloseTextDocumentParams) -> None:
    document = ls.documents.pop(params.text_document.uri, None)
    if document is not None and document.pending is not None:
        document.pending.cancel()
    ls.index.close(params.text_document.uri)
    ls.index.changed_on_disk(params.text_document.uri)
    ls.text_document_publish_diagnostics(
        types.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[])
    )


@server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def did_change_files(ls: CpolServer, params: types.DidChangeWatchedFilesParams) -> None:
    for change in params.changes:
        if change.uri not in ls.documents:
            ls.index.changed_on_disk(change.uri)


# -- features ------------------------------------------------------------------------------
def _at(ls: CpolServer, uri: str, position: types.Position) -> tuple[Document, int, int]:
    document = ls.refresh(uri)
    line, column = document.lines.from_client(position)
    return document, line, column


@server.feature(types.TEXT_DOCUMENT_HOVER)
def on_hover(ls: CpolServer, params: types.HoverParams) -> types.Hover | None:
    document, line, column = _at(ls, params.text_document.uri, params.position)
    token = token_at(document.tokens, line, column)
    assert document.analysis is not None
    text = hover(document.analysis, document.tokens, token, ls.settings.docs) if token is not None else None
    if text is None or token is None:
        return None
    content = types.MarkupContent(kind=types.MarkupKind.Markdown, value=text)
    return types.Hover(
        contents=content, range=document.lines.range(token.line, token.column, token.line, token.end)
    )


@server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=['"', " ", ","]))
def on_completion(ls: CpolServer, params: types.CompletionParams) -> types.CompletionList:
    document, line, column = _at(ls, params.text_document.uri, params.position)
    assert document.analysis is not None
    tokens = before(document.tokens, line, column)
    last = tokens[-1] if tokens else None
    in_string = (
        last is not None
        and last.kind == "string"
        and (last.line, last.end) == (line, column)
        and not (len(last.text) > 1 and last.text.endswith('"'))
    )
    inside = _inside_policy(tokens)
    first_policy = next((t for t in document.tokens if t.text == "policy"), None)
    uses_allowed = first_policy is None or (first_policy.line, first_policy.column) >= (line, column)
    seen = ls.index.seen() if in_string else {}
    items = complete(tokens, in_string, inside, seen, uses_allowed)
    return types.CompletionList(is_incomplete=False, items=items)


def _inside_policy(tokens: list[Token]) -> bool:
    """Whether the braces before the cursor leave a policy block open."""
    depth = 0
    for token in tokens:
        if token.text == "policy":
            depth = 0
        elif token.text == "{":
            depth += 1
        elif token.text == "}":
            depth = max(depth - 1, 0)
    return depth > 0


@server.feature(types.TEXT_DOCUMENT_FORMATTING)
def on_formatting(ls: CpolServer, params: types.DocumentFormattingParams) -> list[types.TextEdit] | None:
    document = ls.refresh(params.text_document.uri)
    assert document.analysis is not None
    return format_edits(document.analysis.text, document.analysis.filename, document.lines)


@server.feature(types.TEXT_DOCUMENT_RANGE_FORMATTING)
def on_range_formatting(
    ls: CpolServer, params: types.DocumentRangeFormattingParams
) -> list[types.TextEdit] | None:
    document = ls.refresh(params.text_document.uri)
    assert document.analysis is not None
    first, last = params.range.start.line, params.range.end.line
    return format_range(document.analysis, document.lines, first, last)


@server.feature(types.TEXT_DOCUMENT_DEFINITION)
def on_definition(ls: CpolServer, params: types.DefinitionParams) -> types.Location | None:
    document, line, column = _at(ls, params.text_document.uri, params.position)
    token = token_at(document.tokens, line, column)
    if token is None:
        return None
    return definition(document.tokens, token, document.compiler.filename, ls.settings.import_roots)


@server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
def on_document_symbol(ls: CpolServer, params: types.DocumentSymbolParams) -> list[types.DocumentSymbol]:
    document = ls.refresh(params.text_document.uri)
    assert document.analysis is not None
    return document_symbols(document.analysis, document.lines)


@server.feature(types.WORKSPACE_SYMBOL)
def on_workspace_symbol(ls: CpolServer, params: types.WorkspaceSymbolParams) -> list[types.WorkspaceSymbol]:
    for uri in list(ls.documents):
        ls.refresh(uri)
    return workspace_symbols(ls.index, params.query)


@server.feature(types.TEXT_DOCUMENT_PREPARE_RENAME)
def on_prepare_rename(ls: CpolServer, params: types.PrepareRenameParams) -> types.Range | None:
    document, line, column = _at(ls, params.text_document.uri, params.position)
    entry = name_at(ls.index.open[params.text_document.uri].policies, line, column)
    return document.lines.span(entry.name_span) if entry is not None else None


@server.feature(types.TEXT_DOCUMENT_RENAME)
def on_rename(ls: CpolServer, params: types.RenameParams) -> types.WorkspaceEdit | None:
    _, line, column = _at(ls, params.text_document.uri, params.position)
    for uri in list(ls.documents):
        ls.refresh(uri)
    entry = name_at(ls.index.open[params.text_document.uri].policies, line, column)
    if entry is None:
        return None
    try:
        return rename(ls.index, entry.name, params.new_name)
    except RenameRefused as refused:
        raise ValueError(str(refused)) from None


@server.feature(
    types.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL,
    types.SemanticTokensLegend(token_types=list(TOKEN_TYPES), token_modifiers=[]),
)
def on_semantic_tokens(ls: CpolServer, params: types.SemanticTokensParams) -> types.SemanticTokens:
    document = ls.refresh(params.text_document.uri)
    return types.SemanticTokens(data=semantic_tokens(document.tokens, document.lines))


@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
)
def on_code_action(ls: CpolServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    document = ls.refresh(params.text_document.uri)
    wanted = params.range
    actions = []
    current = (
        document.lint if document.analysis is not None and document.linted == document.analysis.text else []
    )
    for problem in [*document.problems, *current]:
        where = problem.diagnostic.range
        if _before(where.end, wanted.start) or _before(wanted.end, where.start):
            continue
        for fix in problem.fixes:
            edit = types.WorkspaceEdit(changes={document.uri: list(fix.edits)})
            actions.append(
                types.CodeAction(
                    title=fix.title,
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[problem.diagnostic],
                    edit=edit,
                    is_preferred=fix.preferred or None,
                )
            )
    return actions


def _before(a: types.Position, b: types.Position) -> bool:
    return (a.line, a.character) < (b.line, b.character)


def serve() -> None:
    """Speak LSP on stdin/stdout until the client exits."""
    with contextlib.suppress(KeyboardInterrupt):
        server.start_io()


__all__ = ["CpolServer", "serve", "server"]
