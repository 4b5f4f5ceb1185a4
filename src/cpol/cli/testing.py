"""`cpol test [PATH]...`: run policy test files (`*.test.yaml`), for people and for CI.

Exit codes, as for every cpol command: 0 every test passed; 1 a test failed, a test file
has a problem or no test file was found; 2 a wrong command line; 3 a bug in cpol.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import click

from cpol.cli.shared import EXIT_PROBLEM, STDIN, complain, emit, imports_option, use_color
from cpol.runtime.render.text import DEFAULT_WIDTH
from cpol.testing.coverage import coverage, render_coverage
from cpol.testing.junit import junit_xml
from cpol.testing.report import render_runs, summary_line
from cpol.testing.runner import FileRun, discover, run_paths

DEFAULT_FOLDER = str(Path("tests", "policies"))


def _report_errors(runs: list[FileRun]) -> None:
    broken = [run for run in runs if run.errors]
    for run in broken:
        for diagnostic in run.errors:
            click.echo(diagnostic.render(), err=True)
    if broken:
        count = sum(len(run.errors) for run in broken)
        files = len(broken)
        click.echo(
            f"{count} error{'' if count == 1 else 's'} in {files} test file{'' if files == 1 else 's'}",
            err=True,
        )


@click.command("test")
@click.argument("paths", nargs=-1, metavar="[PATH]...")
@click.option(
    "--junit",
    "junit_file",
    metavar="FILE",
    help="Also write the results as JUnit XML to FILE (for CI test reports).",
)
@click.option(
    "--coverage",
    "show_coverage",
    is_flag=True,
    help="Report the policies that never blocked, or never passed, in any test.",
)
@click.option("-k", "--filter", "only", metavar="TEXT", help="Run only the tests whose name contains TEXT.")
@click.option("-q", "--quiet", is_flag=True, help="Print only the failures and the summary.")
@imports_option
def test(
    paths: tuple[str, ...],
    junit_file: str | None,
    show_coverage: bool,
    only: str | None,
    quiet: bool,
    roots: tuple[str, ...],
) -> None:
    """Run policy tests: decide each test's candidates and compare with its `expect`.

    PATH is a test file or a folder searched for `*.test.yaml` (default: tests/policies
    if it exists, else the current folder); `-` reads one test file from stdin. Prints a
    line per test, each failure with the expected and actual verdicts and the trace of
    that candidate, and ends with `N passed, M failed`. Exit 1 if anything failed.
    """
    if list(paths).count("-") > 1:
        raise click.UsageError("`-` (standard input) can be given only once")
    chosen = list(paths) or [DEFAULT_FOLDER if Path(DEFAULT_FOLDER).is_dir() else "."]
    files, problems = discover(chosen)
    for problem in problems:
        complain(problem)
    if not files:
        raise SystemExit(EXIT_PROBLEM)
    stdin_text = None
    if "-" in files:
        stdin_text = sys.stdin.buffer.read().decode("utf-8-sig", errors="replace")
    runs = run_paths(files, only=only, stdin_text=stdin_text, import_roots=roots)
    _report_errors(runs)
    color = use_color(STDIN)
    width = max(60, shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns) if color else DEFAULT_WIDTH
    emit(render_runs(runs, color=color, width=width, quiet=quiet, summary=False))
    if show_coverage:
        emit(render_coverage(coverage(runs), sum(1 for run in runs if not run.errors)))
    emit(summary_line(runs) + "\n")
    if junit_file is not None:
        try:
            Path(junit_file).write_text(junit_xml(runs), encoding="utf-8")
        except OSError as error:
            complain(f"cannot write {junit_file}: {error.strerror or error}")
            raise SystemExit(EXIT_PROBLEM) from None
    ran = sum(len(run.results) for run in runs)
    if only is not None and ran == 0 and not any(run.errors for run in runs):
        complain(f"no test name contains `{only}`")
        raise SystemExit(EXIT_PROBLEM)
    if problems or any(run.errors or run.failed for run in runs):
        raise SystemExit(EXIT_PROBLEM)
