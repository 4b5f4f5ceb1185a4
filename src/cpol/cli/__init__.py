"""The `cpol` command line: check, compile, decompile, format, evaluate, lint and test
contact policies, serve them, and decide populations at once.

Thin shells over the library, one module per family of commands (`authoring`: check,
compile, decompile, fmt, schema; `deciding`: eval, explain; `lint`; `testing`: test;
`service`: serve, db, keys; `sync`: push, pull; `batch`: batch, plan; `editor`: lsp), all
reading FILE arguments, reporting problems and exiting the same way (`shared`, below every
command; exit codes there). No stage of cpol imports this package.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import click

import cpol
from cpol.cli import authoring, batch, deciding, editor, service, sync
from cpol.cli.lint import lint
from cpol.cli.output import OutputFailed, guarded_output
from cpol.cli.shared import InternalError
from cpol.cli.testing import test


class CpolGroup(click.Group):
    """Turns any exception that is not about the input into one line and exit 3."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.Abort, click.ClickException, OutputFailed):
            raise  # click's own control flow; a failed write is told by `main`
        except Exception as error:
            if os.environ.get("CPOL_DEBUG"):
                raise
            known = isinstance(error, cpol.DecompileError | cpol.FormatError)  # self-checks failed
            raise InternalError(str(error) if known else f"{type(error).__name__}: {error}") from error


@click.group(cls=CpolGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(cpol.__version__, "-V", "--version", prog_name="cpol", message="%(prog)s %(version)s")
def cli() -> None:
    """Check, compile, decompile, format and evaluate contact policies (.cpol or .json).

    FILE may be `-` for standard input. Exit codes: 0 ok, 1 problems in the input,
    2 bad command line, 3 internal error.
    """


for command in (
    authoring.check,
    authoring.compile_command,
    authoring.decompile,
    authoring.fmt,
    authoring.schema,
    deciding.eval_command,
    deciding.explain,
    batch.batch,
    batch.plan,
    test,
    lint,
    service.serve,
    service.db_group,
    service.keys,
    sync.push,
    sync.pull,
    editor.lsp,
):
    cli.add_command(command)


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point (`cpol = "cpol.cli:main"`)."""
    with guarded_output():
        cli.main(args=list(argv) if argv is not None else None, prog_name="cpol")


__all__ = ["cli", "main"]
