"""What every command shares: reading FILE arguments, writing results, reporting problems
and the exit codes, so no command and no stage of cpol reads or reports differently.

    0  success
    1  the input has a problem: diagnostics, an unreadable file, `fmt --check` found work
    2  the command line is wrong (click's usage errors)
    3  an internal error, a bug in cpol (set CPOL_DEBUG=1 to see the traceback)
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from cpol.diagnostics import Diagnostic
from cpol.textsafe import escape, json_safe

STDIN = "-"
STDIN_NAME = "<stdin>"
EXIT_PROBLEM = 1
EXIT_INTERNAL = 3

F = TypeVar("F", bound=Callable[..., Any])


class CpolError(click.ClickException):
    """A failure told in one `cpol: …` line (click would say `Error: …`); exit 1 by default."""

    exit_code = EXIT_PROBLEM

    def show(self, file: Any = None) -> None:
        click.echo(f"cpol: {escape(self.format_message())}", err=True)


class Unreadable(CpolError):
    """A FILE argument that cannot be read; `check --format json` reports it as a diagnostic."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"cannot read {name}: {reason}")
        self.name = name
        self.reason = reason

    def diagnostic(self) -> Diagnostic:
        return Diagnostic(f"cannot read file: {self.reason}", self.name)


class InternalError(CpolError):
    """A bug in cpol (e.g. the decompiler's self-check failed): exit 3, never a traceback."""

    exit_code = EXIT_INTERNAL

    def __init__(self, message: str) -> None:
        super().__init__(f"internal error: {message}")


@dataclass(frozen=True)
class Source:
    """The text of one FILE argument, with the name diagnostics use for it."""

    arg: str
    text: str

    @property
    def name(self) -> str:
        return STDIN_NAME if self.arg == STDIN else self.arg

    @property
    def is_json(self) -> bool:
        """By extension; stdin is sniffed (`.cpol` never starts with `[` or `{`)."""
        if self.arg == STDIN:
            return self.text.lstrip()[:1] in ("[", "{")
        return Path(self.arg).suffix.lower() == ".json"


# Reading and writing ----------------------------------------------------------------------


def read_source(arg: str) -> Source:
    """Read a FILE argument as UTF-8 (a BOM is dropped, line endings become `\\n`)."""
    name = STDIN_NAME if arg == STDIN else arg
    try:
        data = sys.stdin.buffer.read() if arg == STDIN else Path(arg).read_bytes()
        text = data.decode("utf-8-sig")
    except OSError as error:
        raise Unreadable(name, error.strerror or str(error)) from None
    except UnicodeDecodeError as error:
        raise Unreadable(name, f"not UTF-8 text (invalid byte at offset {error.start})") from None
    return Source(arg, text.replace("\r\n", "\n").replace("\r", "\n"))


def reject_repeated_stdin(args: Sequence[str]) -> None:
    """Standard input can be read only once; a second `-` would silently be empty."""
    if list(args).count(STDIN) > 1:
        raise click.UsageError("`-` (standard input) can be given only once")


def read_sources(args: Sequence[str]) -> tuple[list[Source], list[Unreadable]]:
    """Read every argument, collecting failures so one missing file hides no other problem."""
    reject_repeated_stdin(args)
    sources: list[Source] = []
    failures: list[Unreadable] = []
    for arg in args:
        try:
            sources.append(read_source(arg))
        except Unreadable as failure:
            failures.append(failure)
    return sources, failures


def read_or_exit(
    args: Sequence[str],
    extra: str | None,
    *,
    names: tuple[str, str],
    read: Callable[[Sequence[str]], tuple[list[Source], list[Unreadable]]] = read_sources,
) -> tuple[list[Source], Source | None]:
    """FILE arguments and one more file given by an option (`--context`, `--catalog`):
    both read, or every unreadable one reported and exit 1. `names` are what the two are
    called in the message when standard input is asked for twice."""
    if extra == STDIN and STDIN in args:
        raise click.UsageError(
            f"`-` (standard input) can be given only once: for {names[0]} or for {names[1]}"
        )
    sources, failures = read(args)
    extra_source = None
    if extra is not None:
        try:
            extra_source = read_source(extra)
        except Unreadable as failure:
            failures.append(failure)
    if failures:
        report([], failures)
        raise SystemExit(EXIT_PROBLEM)
    return sources, extra_source


def emit(text: str) -> None:
    """Write to stdout as UTF-8 whatever the locale, so piped output matches `-o` files."""
    sys.stdout.flush()  # anything click.echo left in the text layer goes first
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.buffer.flush()


def write_output(dest: str, text: str) -> None:
    """Write a result to a file, or to stdout for `-`."""
    if dest == STDIN:
        emit(text)
        return
    try:
        Path(dest).write_text(text, encoding="utf-8", newline="\n")
    except OSError as error:
        raise CpolError(f"cannot write {dest}: {error.strerror or error}") from None


def json_text(value: object) -> str:
    """Indented JSON, non-ASCII kept, but nothing a terminal would act on (`json_safe`)."""
    return json_safe(json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False)) + "\n"


# Diagnostics --------------------------------------------------------------------------------


def plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count} {word if count == 1 else (words or word + 's')}"


def summary(diagnostics: Sequence[Diagnostic]) -> str:
    """`2 errors in 1 file` (warnings are counted too when there are any)."""
    errors = [d for d in diagnostics if d.severity == "error"]
    warnings = [d for d in diagnostics if d.severity == "warning"]
    counts = plural(len(errors), "error")
    if warnings:
        counts += f" and {plural(len(warnings), 'warning')}"
    return f"{counts} in {plural(len({d.file for d in diagnostics}), 'file')}"


def report(diagnostics: Sequence[Diagnostic], failures: Sequence[Unreadable]) -> None:
    """Everything wrong, on stderr: unreadable files, each diagnostic, then a summary."""
    for failure in failures:
        failure.show()
    for diagnostic in diagnostics:
        click.echo(diagnostic.render(), err=True)
    if diagnostics:  # an unreadable file alone is said in one line
        click.echo(summary([*diagnostics, *(f.diagnostic() for f in failures)]), err=True)


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.severity == "error" for d in diagnostics)


# Options ----------------------------------------------------------------------------------------


def files_argument(command: F) -> F:
    return click.argument("files", nargs=-1, required=True, metavar="FILE...")(command)


def imports_option(command: F) -> F:
    """`--allow-import-from DIR`: `use "x.cpol"` may read there too (by default only in the
    folder of the file being compiled; standard input may import only the standard library)."""
    return click.option(
        "--allow-import-from",
        "roots",
        multiple=True,
        metavar="DIR",
        type=click.Path(exists=True, file_okay=False),
        help='Let `use "x.cpol"` also read files under DIR (repeatable).',
    )(command)


def output_option(what: str) -> Callable[[F], F]:
    return click.option(
        "-o",
        "--output",
        default=STDIN,
        metavar="FILE",
        help=f"Write {what} to FILE instead of stdout (`-` is stdout).",
    )


def use_color(output: str) -> bool:
    """Colour only on a terminal, unless NO_COLOR is set (https://no-color.org)."""
    if output != STDIN or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def complain(message: str) -> None:
    """One `cpol: …` line on stderr, for a problem that is not a diagnostic."""
    click.echo(f"cpol: {escape(message)}", err=True)
