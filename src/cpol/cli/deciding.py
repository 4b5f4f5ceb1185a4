"""The commands that decide: eval (the decisions as JSON) and explain (why, policy by policy)."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from typing import Any

import click

from cpol.cli.loading import load_policies
from cpol.cli.shared import (
    EXIT_PROBLEM,
    STDIN,
    STDIN_NAME,
    CpolError,
    F,
    Source,
    has_errors,
    imports_option,
    output_option,
    read_or_exit,
    report,
    use_color,
    write_output,
)
from cpol.diagnostics import Diagnostic, Diagnostics
from cpol.runtime import Decision, Engine, Request, parse_request
from cpol.runtime.render import FORMATS, render, render_json
from cpol.runtime.render.text import DEFAULT_WIDTH


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
    sources, request_source = read_or_exit(files, context, names=("POLICIES", "--context"))
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


@click.command("eval")
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


@click.command()
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
