"""`cpol lsp`: the language server for editors, on stdin/stdout (extra `cpol[lsp]`)."""

from __future__ import annotations

import click

from cpol.cli.shared import CpolError


@click.command("lsp")
def lsp() -> None:
    """Run the language server on stdin/stdout (editors start it; see docs/editors.md)."""
    try:
        from cpol.lsp.server import serve
    except ImportError as error:  # pygls is the `lsp` extra
        raise CpolError(f"cpol lsp needs the lsp extra: pip install 'cpol[lsp]' ({error})") from None
    serve()
