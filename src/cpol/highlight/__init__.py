"""Syntax highlighting of `.cpol` outside the language server.

The Pygments lexer lets any Pygments user (Sphinx, MkDocs, `pygmentize`) highlight
policies; the TextMate grammar for editors lives in editors/vscode/. Needs the `lsp` extra.
"""

from cpol.highlight.pygments_lexer import CpolLexer

__all__ = ["CpolLexer"]
