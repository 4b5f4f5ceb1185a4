"""The `cpol` command line: check, compile, decompile, format and evaluate contact policies.

Every command reads FILE arguments the same way (`-` is standard input, `.json` is JSON,
anything else is `.cpol`), reports problems the same way (rendered diagnostics on stderr,
then a one-line summary) and exits with the same codes, so they are shared here once:

    0  success
    1  the input has a problem: diagnostics, an unreadable file, `fmt --check` found work
    2  the command line is wrong (click's usage errors)
    3  an internal error, a bug in cpol (set CPOL_DEBUG=1 to see the traceback)
"""

from __future__ import annotations

import contextlib
import difflib
import errno
import io
import json
import os
import shutil
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

import click

import cpol
from cpol.compiler.compile import compile_sources
from cpol.diagnostics import Diagnostic, Diagnostics, json_path
from cpol.lint.command import lint
from cpol.plan import Policy, duplicate_names
from cpol.runtime import Decision, Engine, Request, parse_request
from cpol.runtime.render import FORMATS, render, render_json
from cpol.runtime.render.text import DEFAULT_WIDTH
from cpol.testing.command import test
from cpol.textsafe import escape, escape_lines, json_safe

STDIN = "-"
STDIN_NAME = "<stdin>"
EXIT_PROBLEM = 1
EXIT_INTERNAL = 3

F = TypeVar("F", bound=Callable[..., Any])
Outcome = Literal["unchanged", "changed", "failed"]


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


# Loading policies from any mix of .cpol and .json -------------------------------------------


def compile_cpol(
    sources: Sequence[Source], roots: Sequence[str] = ()
) -> tuple[dict[str, list[Policy]], list[Diagnostic]]:
    """Compile `.cpol` sources together, so names are checked across files with positions.

    The compiler returns one flat list; with several files each is compiled again on its
    own (cheap) to know which policies came from which file. `roots` are the folders
    `--allow-import-from` adds to where `use "x.cpol"` may read.
    """
    try:
        together = compile_sources(((s.text, s.name) for s in sources), import_roots=roots)
    except Diagnostics as problems:
        return {}, problems.items
    if len(sources) == 1:
        return {sources[0].arg: together}, []
    return {s.arg: cpol.compile_source(s.text, s.name, import_roots=roots) for s in sources}, []


def policy_prefix(source: Source) -> Callable[[int], tuple[str | int, ...]]:
    """The JSON path of the n-th policy of a (valid) JSON source, for cross-file diagnostics."""
    data = json.loads(source.text)
    if isinstance(data, list):
        return lambda index: (index,)
    if isinstance(data, dict) and "data" in data:
        return lambda index: ("data", index)
    return lambda index: ()


def cross_file_duplicates(loaded: Sequence[tuple[Source, list[Policy]]]) -> list[Diagnostic]:
    """Names that clash between files when a JSON file is involved.

    `.cpol` against `.cpol` is the compiler's job and a JSON file against itself the
    loader's; the rule (unique per tenant among live policies) is the plan's own.
    """
    owners = [(source, index) for source, policies in loaded for index in range(len(policies))]
    flat = [policy for _, policies in loaded for policy in policies]
    out: list[Diagnostic] = []
    for first, duplicate in duplicate_names(flat):
        (a, a_index), (b, b_index) = owners[first], owners[duplicate]
        if a is b or not (a.is_json or b.is_json):
            continue
        here, here_index, other, other_index = (
            (b, b_index, a, a_index) if b.is_json else (a, a_index, b, b_index)
        )
        path = json_path((*policy_prefix(here)(here_index), "name"))
        where = other.name
        if other.is_json:
            where += ":" + json_path((*policy_prefix(other)(other_index), "name"))
        order = "first" if here is b else "also"
        message = f"duplicate policy name `{flat[first].name}`"
        hint = f"{order} defined in {where}; policy names are unique per tenant"
        out.append(Diagnostic(message, here.name, path=path, hint=hint))
    return out


def load_policies(
    sources: Sequence[Source], roots: Sequence[str] = ()
) -> tuple[list[Policy], list[Diagnostic]]:
    """Every source's policies in argument order, and every problem found across all of them."""
    compiled, diagnostics = compile_cpol([s for s in sources if not s.is_json], roots)
    loaded: list[tuple[Source, list[Policy]]] = []
    for source in sources:
        if not source.is_json:
            if source.arg in compiled:  # absent when the .cpol sources have errors
                loaded.append((source, compiled[source.arg]))
            continue
        try:
            loaded.append((source, cpol.load_json(source.text, file=source.name)))
        except Diagnostics as problems:
            diagnostics.extend(problems.items)
    diagnostics.extend(cross_file_duplicates(loaded))
    position = {source.name: index for index, source in enumerate(sources)}
    diagnostics.sort(key=lambda d: position.get(d.file, len(position)))  # stable: file order kept
    return [policy for _, policies in loaded for policy in policies], diagnostics


def load_or_exit(args: Sequence[str], roots: Sequence[str] = ()) -> list[Policy]:
    """The policies of FILE arguments, or report every problem and exit 1."""
    sources, failures = read_sources(args)
    if failures:
        report([], failures)
        raise SystemExit(EXIT_PROBLEM)
    policies, diagnostics = load_policies(sources, roots)
    if has_errors(diagnostics):
        report(diagnostics, [])
        raise SystemExit(EXIT_PROBLEM)
    return policies


# Commands -----------------------------------------------------------------------------------


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


@click.group(cls=CpolGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(cpol.__version__, "-V", "--version", prog_name="cpol", message="%(prog)s %(version)s")
def cli() -> None:
    """Check, compile, decompile, format and evaluate contact policies (.cpol or .json).

    FILE may be `-` for standard input. Exit codes: 0 ok, 1 problems in the input,
    2 bad command line, 3 internal error.
    """


@cli.command()
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


@cli.command("compile")
@files_argument
@imports_option
@output_option("the JSON array")
def compile_command(files: tuple[str, ...], roots: tuple[str, ...], output: str) -> None:
    """Compile FILEs to a JSON array of policies.

    .json FILEs are validated and normalised; FILEs are compiled together, in order.
    """
    write_output(output, json_text(cpol.to_json(load_or_exit(files, roots))))


@cli.command()
@files_argument
@imports_option
@output_option("the .cpol text")
def decompile(files: tuple[str, ...], roots: tuple[str, ...], output: str) -> None:
    """Print policies as canonical .cpol.

    JSON input may be an array, an API list response {"data": [...]} or one policy.
    """
    write_output(output, cpol.to_cpol(load_or_exit(files, roots)))


@cli.command()
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


@cli.command()
@output_option("the schema")
def schema(output: str) -> None:
    """Print the JSON Schema of a policy file (the plan)."""
    write_output(output, json_text(cpol.plan_json_schema()))


# Evaluation: eval and explain ----------------------------------------------------------------


def policies_argument(command: F) -> F:
    return click.argument("policies", nargs=-1, required=True, metavar="POLICIES...")(command)


def context_option(command: F) -> F:
    return click.option(
        "--context",
        "-c",
        required=True,
        metavar="REQUEST.json",
        help="The request to evaluate (JSON): the customer, their history, the candidates. `-` is stdin.",
    )(command)


def decide_or_exit(
    files: Sequence[str], context: str, *, explain: bool, roots: Sequence[str] = ()
) -> tuple[Request, list[Decision]]:
    """Load POLICIES and the request, report every problem of both (exit 1), then decide."""
    if context == STDIN and STDIN in files:
        raise click.UsageError("`-` (standard input) can be given only once: for POLICIES or for --context")
    sources, failures = read_sources(files)
    request_source: Source | None = None
    try:
        request_source = read_source(context)
    except Unreadable as failure:
        failures.append(failure)
    if failures:
        report([], failures)
        raise SystemExit(EXIT_PROBLEM)
    assert request_source is not None
    policies, diagnostics = load_policies(sources, roots)
    parsed, problems = parse_context(request_source)
    diagnostics.extend(problems)
    if has_errors(diagnostics) or parsed is None:
        report(diagnostics, [])
        raise SystemExit(EXIT_PROBLEM)
    request, raw = parsed
    return request, Engine(policies).decide(request, explain=explain, raw=raw)


def parse_context(source: Source) -> tuple[tuple[Request, Any] | None, list[Diagnostic]]:
    """The request and its JSON, or its problems, each at its JSON path."""
    try:
        return parse_request(source.text, source.name), []
    except Diagnostics as problems:
        return None, problems.items


def only_offers(
    request: Request, decisions: list[Decision], offer_ids: Sequence[str], context: str
) -> list[Decision]:
    """The decisions on these offers, in the request's order (every candidate was evaluated:
    mutual exclusion needs them). An offer that is not in the request is an error."""
    offers = list(dict.fromkeys(c.offerId for c in request.candidates))
    missing = [offer for offer in dict.fromkeys(offer_ids) if offer not in offers]
    if missing:
        listed = ", ".join(offers) if offers else "none"
        name = STDIN_NAME if context == STDIN else context
        which = ", ".join(f"`{offer}`" for offer in missing)
        raise CpolError(f"no candidate with offerId {which} in {name}; its offers are: {listed}")
    wanted = set(offer_ids)
    return [d for d in decisions if d.candidate.offerId in wanted]


def use_color(output: str) -> bool:
    """Colour only on a terminal, unless NO_COLOR is set (https://no-color.org)."""
    if output != STDIN or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


@cli.command("eval")
@policies_argument
@context_option
@imports_option
@output_option("the decisions")
def eval_command(policies: tuple[str, ...], context: str, roots: tuple[str, ...], output: str) -> None:
    """Decide every candidate of a request; print the decisions as JSON.

    POLICIES (.cpol or .json) are compiled together. Fast mode: no trace (see `explain`).
    Exit 0 whenever the request was evaluated, even if every candidate is blocked.
    """
    _, decisions = decide_or_exit(policies, context, explain=False, roots=roots)
    write_output(output, render_json(decisions))


@cli.command()
@policies_argument
@context_option
@imports_option
@click.option(
    "--format",
    "output_format",
    type=click.Choice(list(FORMATS)),
    default="text",
    show_default=True,
    help="text: for a terminal; json: the decisions with their traces; html: a standalone report.",
)
@click.option(
    "--candidate",
    "offer_ids",
    multiple=True,
    metavar="OFFER_ID",
    help="Show only the decisions on this offer; repeat for several (all candidates are still evaluated).",
)
@output_option("the report")
def explain(
    policies: tuple[str, ...],
    context: str,
    roots: tuple[str, ...],
    output_format: str,
    offer_ids: tuple[str, ...],
    output: str,
) -> None:
    """Decide every candidate of a request and explain why, policy by policy.

    Every policy is evaluated for every candidate and listed in the trace, in evaluation
    order, with its result and reason. Exit 0 whenever the request was evaluated.
    """
    request, decisions = decide_or_exit(policies, context, explain=True, roots=roots)
    if offer_ids:
        decisions = only_offers(request, decisions, offer_ids, context)
    color = output_format == "text" and use_color(output)
    width = max(60, shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns) if color else DEFAULT_WIDTH
    sources = [STDIN_NAME if arg == STDIN else arg for arg in policies]
    write_output(output, render(output_format, decisions, request, color=color, width=width, sources=sources))


cli.add_command(test)
cli.add_command(lint)


# Standard output and standard error that cannot be written ----------------------------------


class OutputFailed(Exception):
    """A write to standard output or error failed (a full disk, `> /dev/full`, a closed
    pipe). Not an OSError, so no handler meant for input files can take it for one."""

    def __init__(self, stream: str, error: OSError) -> None:
        super().__init__(f"cannot write {stream}: {error.strerror or error}")
        self.stream = stream
        self.error = error


class _GuardedFile(io.FileIO):
    """File descriptor 1 or 2, whose failed writes say which stream failed."""

    def __init__(self, fd: int, stream: str) -> None:
        super().__init__(fd, "wb", closefd=False)
        self.stream = stream

    def write(self, data: Any, /) -> int:
        try:
            return super().write(data)
        except OSError as error:
            raise OutputFailed(self.stream, error) from error


class _EscapingText(io.TextIOWrapper):
    """Standard error: only messages go there, so any control character that a message
    site did not escape (click's own, a file name) is shown escaped instead of reaching the
    terminal raw."""

    def write(self, text: str, /) -> int:
        super().write(escape_lines(text))
        return len(text)


def _guard(current: Any, stream: str) -> Any:
    """A text stream like `current` over the same descriptor, its failures told apart; the
    stream itself when it has no descriptor (a test runner's capture)."""
    try:
        fd = current.fileno()
        current.flush()
    except (AttributeError, OSError, ValueError):
        return current
    kind = _EscapingText if stream == "standard error" else io.TextIOWrapper
    return kind(
        io.BufferedWriter(_GuardedFile(fd, stream)),
        encoding=current.encoding,
        errors=current.errors,
        line_buffering=current.line_buffering,
        write_through=getattr(current, "write_through", False),
    )


def _silence(fd: int) -> None:
    """Point a failed descriptor at /dev/null so output still buffered for it is dropped
    at exit instead of failing again (the idiom Python's documentation gives for SIGPIPE)."""
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)


@contextlib.contextmanager
def guarded_output() -> Iterator[None]:
    """Every command, `--help` and `--version` included: a failed write to stdout or stderr
    is `cpol: cannot write standard output: …` and exit 1, like `-o /dev/full`, never an
    internal error; a closed pipe (`cpol compile big.cpol | head`) ends quietly, exit 1."""
    sys.stdout = _guard(sys.stdout, "standard output")
    sys.stderr = _guard(sys.stderr, "standard error")
    try:
        try:
            yield
        finally:
            sys.stdout.flush()  # what is still buffered fails here, not at exit
            sys.stderr.flush()
    except OutputFailed as failure:
        _silence(1 if failure.stream == "standard output" else 2)
        if failure.error.errno != errno.EPIPE:  # a closed pipe: the reader left on purpose
            try:
                sys.stderr.write(f"cpol: {failure}\n")
                sys.stderr.flush()
            except (OutputFailed, OSError):
                _silence(2)  # what could not be written must not fail again at exit
        raise SystemExit(EXIT_PROBLEM) from None


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point (`cpol = "cpol.cli:main"`)."""
    with guarded_output():
        cli.main(args=list(argv) if argv is not None else None, prog_name="cpol")


if __name__ == "__main__":
    main()
