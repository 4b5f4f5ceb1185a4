"""The commands that read and write policies: check, compile, decompile, fmt, schema."""

from __future__ import annotations

import difflib
from typing import Literal

import click

import cpol
from cpol.cli.loading import load_or_exit, load_policies
from cpol.cli.shared import (
    EXIT_PROBLEM,
    STDIN,
    CpolError,
    Source,
    emit,
    files_argument,
    has_errors,
    imports_option,
    json_text,
    output_option,
    plural,
    read_source,
    read_sources,
    reject_repeated_stdin,
    report,
    write_output,
)
from cpol.diagnostics import Diagnostics
from cpol.textsafe import escape

Outcome = Literal["unchanged", "changed", "failed"]


@click.command()
@files_argument
@imports_option
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: print the diagnostics as a JSON array on stdout.",
)
def check(files: tuple[str, ...], roots: tuple[str, ...], output_format: str) -> None:
    """Report every problem in FILEs; write nothing.

    FILEs are compiled together, so policy names must be unique across all of them.
    """
    sources, failures = read_sources(files)
    policies, diagnostics = load_policies(sources, roots)
    if output_format == "json":
        emit(json_text([d.to_json() for d in [*(f.diagnostic() for f in failures), *diagnostics]]))
    elif failures or diagnostics:
        report(diagnostics, failures)
    else:
        emit(f"ok: {plural(len(policies), 'policy', 'policies')} in {plural(len(sources), 'file')}\n")
    if failures or has_errors(diagnostics):
        raise SystemExit(EXIT_PROBLEM)


@click.command("compile")
@files_argument
@imports_option
@output_option("the JSON array")
def compile_command(files: tuple[str, ...], roots: tuple[str, ...], output: str) -> None:
    """Compile FILEs to a JSON array of policies.

    .json FILEs are validated and normalised; FILEs are compiled together, in order.
    """
    write_output(output, json_text(cpol.to_json(load_or_exit(files, roots))))


@click.command()
@files_argument
@imports_option
@output_option("the .cpol text")
def decompile(files: tuple[str, ...], roots: tuple[str, ...], output: str) -> None:
    """Print policies as canonical .cpol.

    JSON input may be an array, an API list response {"data": [...]} or one policy.
    """
    write_output(output, cpol.to_cpol(load_or_exit(files, roots)))


@click.command()
@files_argument
@click.option("--check", is_flag=True, help="Write nothing; list files that would change, exit 1 if any.")
@click.option("--diff", "show_diff", is_flag=True, help="Write nothing; print a unified diff of the changes.")
def fmt(files: tuple[str, ...], check: bool, show_diff: bool) -> None:
    """Rewrite .cpol FILEs in their canonical layout.

    Comments are kept; only files that change are written. `cpol fmt -` formats
    standard input to standard output.
    """
    reject_repeated_stdin(files)
    outcomes = [format_one(arg, check=check, show_diff=show_diff) for arg in files]
    if "failed" in outcomes or (check and "changed" in outcomes):
        raise SystemExit(EXIT_PROBLEM)


def format_one(arg: str, *, check: bool, show_diff: bool) -> Outcome:
    """Format one FILE argument: `unchanged`, `changed` or `failed` (reported, others go on)."""
    try:
        return reformat(read_source(arg), check=check, show_diff=show_diff)
    except CpolError as error:
        error.show()
    except Diagnostics as problems:
        report(problems.items, [])
    return "failed"


def reformat(source: Source, *, check: bool, show_diff: bool) -> Outcome:
    """Rewrite, list or diff one source; stdin always gets its formatted text on stdout."""
    if source.is_json:
        raise CpolError(f"cannot format {source.name}: it is JSON (fmt formats .cpol source)")
    formatted = cpol.format_source(source.text, source.name)
    changed = formatted != source.text
    if show_diff:
        emit(unified_diff(source, formatted))
    elif check:
        if changed:
            emit(f"{escape(source.name)}\n")
    elif source.arg == STDIN:
        emit(formatted)
    elif changed:
        write_output(source.arg, formatted)
        click.echo(f"reformatted {escape(source.name)}", err=True)
    return "changed" if changed else "unchanged"


def unified_diff(source: Source, formatted: str) -> str:
    """A `patch -p0`-able diff; a last line without newline is marked as diff(1) does."""
    lines = difflib.unified_diff(
        source.text.splitlines(keepends=True),
        formatted.splitlines(keepends=True),
        fromfile=source.name,
        tofile=source.name,
    )
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )


@click.command()
@output_option("the schema")
def schema(output: str) -> None:
    """Print the JSON Schema of a policy file (the plan)."""
    write_output(output, json_text(cpol.plan_json_schema()))
