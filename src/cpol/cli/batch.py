"""The commands at campaign scale (SPEC §6): batch, every candidate row of a population
decided at once, and plan, the what-if replay of two policy sets."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

import click

from cpol.batch import decide
from cpol.batch.backend import BatchError
from cpol.batch.replay import DEFAULT_SAMPLES, Inputs, replay
from cpol.batch.report import FORMATS, render_report
from cpol.cli.loading import load_or_exit, load_policies
from cpol.cli.shared import (
    EXIT_PROBLEM,
    STDIN,
    STDIN_NAME,
    CpolError,
    F,
    emit,
    has_errors,
    imports_option,
    output_option,
    read_sources,
    report,
    write_output,
)
from cpol.plan import Policy
from cpol.runtime.clock import parse_instant

ENGINES = ("duckdb", "spark")


def engine_options(command: F) -> F:
    """`--engine`, `--master` and `--threads`: where a population is decided."""
    options = (
        click.option(
            "--engine",
            type=click.Choice(ENGINES),
            default="duckdb",
            show_default=True,
            help="Where to decide.",
        ),
        click.option(
            "--master", metavar="URL", help="Spark's master URL (default: local mode on every core)."
        ),
        click.option(
            "--threads", type=click.IntRange(min=1), help="Threads the engine may use (default: all cores)."
        ),
    )
    for option in reversed(options):
        command = option(command)
    return command


def input_option(name: str, what: str) -> Callable[[F], F]:
    return click.option(
        f"--{name}",
        required=True,
        metavar="FILE",
        help=f"{what} (Parquet, CSV, or a directory of Parquet files).",
    )


def load_both(old: str, new: str, roots: Sequence[str]) -> tuple[list[Policy], list[Policy]]:
    """Both policy sets, or every problem of both reported and exit 1."""
    sources, failures = read_sources([old, new])
    loaded = [load_policies([source], roots) for source in sources]
    diagnostics = [d for _, found in loaded for d in found]
    if failures or has_errors(diagnostics):
        report(diagnostics, failures)
        raise SystemExit(EXIT_PROBLEM)
    return loaded[0][0], loaded[1][0]


def inputs_or_exit(interactions: str, customers: str, candidates: str, now: str) -> Inputs:
    """The population's files (each must exist) and `--now`, or one line per problem and exit 1."""
    problems = [
        f"cannot read --{option} {path}: no such file or directory"
        for option, path in (
            ("interactions", interactions),
            ("customers", customers),
            ("candidates", candidates),
        )
        if not Path(path).exists()
    ]
    instant: datetime | None = None
    try:
        instant = parse_instant(now)
    except ValueError:
        problems.append(f"--now {now!r} is not an instant; write one like 2026-03-20T14:00:00Z")
    if problems or instant is None:
        for problem in problems[:-1]:
            CpolError(problem).show()
        raise CpolError(problems[-1])
    return Inputs(Path(interactions), Path(customers), Path(candidates), instant)


@click.command()
@click.argument("policies", nargs=-1, required=True, metavar="POLICIES...")
@input_option("interactions", "Every customer's interaction history")
@input_option("customers", "The customers: id, timezone, segments, dnc, consent, metrics")
@input_option("candidates", "The candidate rows: customerId, rank and the candidate fields")
@click.option("--now", required=True, metavar="T", help="The instant every row is decided at (ISO 8601).")
@click.option(
    "--suppressions",
    metavar="FILE",
    type=click.Path(exists=True),
    help="Suppression records: customerId, scope, scopeId, expiresAt, isActive, id (optional).",
)
@click.option(
    "--budgets",
    metavar="FILE",
    type=click.Path(exists=True),
    help="Budgets by offer or creative id: id, impressions, spend, daily_spend, customerId? (optional).",
)
@click.option(
    "-o",
    "--output",
    metavar="OUT",
    help="Write the rows to OUT: .parquet, .csv or .jsonl (default: JSON lines on stdout).",
)
@engine_options
@click.option(
    "--memory-limit",
    metavar="SIZE",
    help="DuckDB: stay within SIZE (e.g. 4GB), deciding stage by stage and spilling to disk.",
)
@click.option(
    "--explain", is_flag=True, help="Add blockedByAll: every blocking policy of each row, in order."
)
@imports_option
def batch(
    policies: tuple[str, ...],
    interactions: str,
    customers: str,
    candidates: str,
    now: str,
    suppressions: str | None,
    budgets: str | None,
    output: str | None,
    engine: str,
    master: str | None,
    threads: int | None,
    memory_limit: str | None,
    explain: bool,
    roots: tuple[str, ...],
) -> None:
    """Decide every candidate row of a population at once (one SQL plan).

    POLICIES are .cpol or .json files. Each output row (customerId, rank, offerId,
    channelId, allowed, blockedBy, blockedByName, eligibleAt) equals what `cpol eval`
    decides for that customer's request. A progress bar shows on a terminal.
    """
    policy_set = load_or_exit(policies, roots)
    population = inputs_or_exit(interactions, customers, candidates, now)
    decided = functools.partial(
        decide,
        policy_set,
        interactions=population.interactions,
        customers=population.customers,
        candidates=population.candidates,
        now=now,
        suppressions=suppressions,
        budgets=budgets,
        engine=engine,
        threads=threads,
        explain=explain,
        master=master,
        progress=output is not None and sys.stderr.isatty(),
        memory_limit=memory_limit,
    )
    try:
        if output is None:
            rows = decided().to_pylist()
            emit("".join(json.dumps(row) + "\n" for row in rows))  # ASCII: nothing a terminal acts on
            return
        decided(output=output)
    except BatchError as error:
        raise CpolError(str(error)) from None


@click.command()
@click.argument("old", metavar="OLD")
@click.argument("new", metavar="NEW")
@input_option("interactions", "Every customer's interaction history")
@input_option("customers", "The customers: id, timezone, segments, dnc, consent, metrics")
@input_option("candidates", "The candidate rows: customerId, rank and the candidate fields")
@click.option("--now", required=True, metavar="T", help="The instant both sets decide at (ISO 8601, UTC).")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text: a summary for a terminal; json: the whole report; html: a standalone page with charts.",
)
@engine_options
@click.option(
    "--samples",
    type=click.IntRange(min=0),
    default=DEFAULT_SAMPLES,
    show_default=True,
    metavar="K",
    help="Sample customers explained per kind of flip and policy (0: none).",
)
@imports_option
@output_option("the report")
def plan(
    old: str,
    new: str,
    interactions: str,
    customers: str,
    candidates: str,
    now: str,
    output_format: str,
    engine: str,
    master: str | None,
    threads: int | None,
    samples: int,
    roots: tuple[str, ...],
    output: str,
) -> None:
    """What-if: decide a population under policy sets OLD and NEW and report what flips.

    OLD and NEW are .cpol or .json files (`-` is stdin, for one of them). The report counts
    candidate rows, customers and offers flipping from allowed to blocked and back, by
    policy, offer, channel and segment, the change in contacts per customer, and explains
    K sample customers per flip. It writes nothing but the report.
    """
    old_set, new_set = load_both(old, new, roots)
    inputs = inputs_or_exit(interactions, customers, candidates, now)
    try:
        result = replay(
            old_set,
            new_set,
            inputs,
            engine=engine,
            threads=threads,
            master=master,
            samples=samples,
            sources=(_named(old), _named(new)),
        )
    except BatchError as error:
        raise CpolError(str(error)) from None
    write_output(output, render_report(output_format, result))


def _named(arg: str) -> list[str]:
    return [STDIN_NAME if arg == STDIN else arg]
