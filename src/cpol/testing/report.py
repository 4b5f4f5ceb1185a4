"""The runner's text output: a line per test, the failures with their traces, a summary.

    PASS tests/policies/email.test.yaml:12  the first email of the day is allowed
    FAIL tests/policies/email.test.yaml:24  the fourth email of the week is blocked
        #1 off_news on ch_email
          expected: blocked first by Email frequency cap, eligible at … (in 2d)
          actual:   allowed
          trace:
            <the `cpol explain` text of that candidate>
    ERROR tests/policies/broken.test.yaml  (2 problems, reported above)
    12 passed, 1 failed

The last line is always exactly `N passed, M failed`.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import click

from cpol.runtime.render.text import render_text
from cpol.testing.runner import FileRun, Mismatch, TestResult
from cpol.textsafe import escape

TRACE_INDENT = " " * 8


def _paint(text: str, color: bool, **styles: object) -> str:
    return click.style(text, **styles) if color else text  # type: ignore[arg-type]


def location(run: FileRun, result: TestResult) -> str:
    return f"{escape(run.path)}:{result.case.span.line}"


def render_runs(
    runs: Sequence[FileRun],
    *,
    color: bool = False,
    width: int = 100,
    quiet: bool = False,
    summary: bool = True,
) -> str:
    """Every test's line, each failure in full, and (with `summary`) the closing count."""
    lines: list[str] = []
    for run in runs:
        if run.errors:
            count = len(run.errors)
            word = "problem" if count == 1 else "problems"
            lines.append(
                f"{_paint('ERROR', color, fg='red', bold=True)} {escape(run.path)}"
                f"  ({count} {word}, reported above)"
            )
            continue
        for result in run.results:
            title = f"{location(run, result)}  {escape(result.case.name)}"
            if result.passed:
                if not quiet:
                    lines.append(f"{_paint('PASS', color, fg='green')} {title}")
                continue
            lines.append(f"{_paint('FAIL', color, fg='red', bold=True)} {title}")
            for mismatch in result.mismatches:
                lines.extend(failure_lines(mismatch, result, color=color, width=width))
    if summary:
        lines.append(summary_line(runs))
    return "\n".join(lines) + "\n" if lines else ""


def failure_lines(
    mismatch: Mismatch, result: TestResult, *, color: bool = False, width: int = 100
) -> list[str]:
    """The candidate, expected vs actual, and its explain trace, indented under the test."""
    lines = [
        f"    {escape(mismatch.candidate.label)}",
        f"      expected: {escape(mismatch.expected)}",
        f"      actual:   {_paint(escape(mismatch.actual), color, fg='red')}",
        *(f"      differs:  {escape(difference)}" for difference in mismatch.differences),
        "      trace:",
    ]
    trace = render_text(
        [mismatch.decision], result.case.parsed, color=color, width=max(60, width - len(TRACE_INDENT))
    )
    lines.append(textwrap.indent(trace.rstrip("\n"), TRACE_INDENT, lambda line: bool(line.strip())))
    return lines


def failure_text(mismatch: Mismatch, result: TestResult) -> str:
    """The same, without colour, for a JUnit `<failure>` body."""
    return "\n".join(failure_lines(mismatch, result)) + "\n"


def counts(runs: Sequence[FileRun]) -> tuple[int, int]:
    return sum(run.passed for run in runs), sum(run.failed for run in runs)


def summary_line(runs: Sequence[FileRun]) -> str:
    passed, failed = counts(runs)
    return f"{passed} passed, {failed} failed"
