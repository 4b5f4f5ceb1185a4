"""`cpol lint FILE|DIR... [--format F] [--catalog FILE] [--ignore CODE] [--show-suppressed] [-o OUT]`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from cpol.cli.shared import (
    EXIT_PROBLEM,
    STDIN,
    Source,
    Unreadable,
    has_errors,
    imports_option,
    read_or_exit,
    read_source,
    read_sources,
    reject_repeated_stdin,
    report,
    write_output,
)
from cpol.diagnostics import Diagnostic, Diagnostics
from cpol.lint import CODES, KINDS, Catalog, load_catalog
from cpol.lint import lint as lint_policy_set
from cpol.lint.files import compiled_form_of, is_policy_json, policy_files
from cpol.lint.output import FORMATS, active, render_json, render_sarif, render_text
from cpol.policyset import Located, load_policy_set

KNOWN = {code.code for code in CODES} | set(KINDS)


def _ignored(values: tuple[str, ...]) -> set[str]:
    """Codes and kinds to leave out: `--ignore CPL103 --ignore overlap,CPL402`."""
    chosen = {part.strip() for value in values for part in value.split(",") if part.strip()}
    normalised = {part.upper() if part.upper() in KNOWN else part for part in chosen}
    unknown = sorted(normalised - KNOWN)
    if unknown:
        raise click.BadParameter(
            f"unknown code or kind {', '.join(unknown)} (see docs/lint.md)", param_hint="'--ignore'"
        )
    return normalised


def _read_folder(arg: str) -> tuple[list[Source], list[Unreadable]]:
    """The policy files under a directory; the `.json` files it skips are named on stderr."""
    try:
        paths = policy_files(Path(arg))
    except OSError as error:
        return [], [Unreadable(arg, error.strerror or str(error))]
    listed = set(paths)
    sources: list[Source] = []
    failures: list[Unreadable] = []
    for path in paths:
        compiled_from = compiled_form_of(path, listed)
        if compiled_from is not None:
            click.echo(f"skipped {path}: taken as the compiled form of {compiled_from}", err=True)
            continue
        try:
            source = read_source(str(path))
        except Unreadable as failure:
            failures.append(failure)
            continue
        if source.is_json and not is_policy_json(source.text):
            click.echo(f"skipped {path}: not a policy file", err=True)
        else:
            sources.append(source)
    if not sources and not failures:
        failures.append(Unreadable(arg, "no policy file in it (.cpol or .json)"))
    return sources, failures


def read_arguments(args: Sequence[str]) -> tuple[list[Source], list[Unreadable]]:
    """Every FILE argument read, a directory standing for the policy files under it."""
    reject_repeated_stdin(args)
    sources: list[Source] = []
    failures: list[Unreadable] = []
    for arg in args:
        if arg != STDIN and Path(arg).is_dir():
            found, failed = _read_folder(arg)
        else:
            found, failed = read_sources([arg])
        sources += found
        failures += failed
    return sources, failures


@click.command("lint")
@click.argument("files", nargs=-1, required=True, metavar="FILE|DIR...")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text: like a compiler; json: the findings as JSON; sarif: SARIF 2.1.0 for code hosts.",
)
@click.option(
    "--catalog",
    metavar="FILE",
    help="A JSON catalogue of known offers, channels, categories, subcategories, creatives, outcomes.",
)
@click.option(
    "--ignore",
    multiple=True,
    metavar="CODE",
    help="Leave out a finding code or kind (repeatable, or comma-separated): --ignore CPL103,overlap.",
)
@click.option(
    "--show-suppressed",
    is_flag=True,
    help="Also print the findings that `# lint: ignore` directives suppress (text format).",
)
@click.option("-o", "--output", default="-", metavar="FILE", help="Write the report to FILE (`-` is stdout).")
@imports_option
def lint(
    files: tuple[str, ...],
    output_format: str,
    catalog: str | None,
    ignore: tuple[str, ...],
    show_suppressed: bool,
    output: str,
    roots: tuple[str, ...],
) -> None:
    """Find policies that fight each other, never fire, or leave gaps.

    FILEs (.cpol or .json) are read together as one policy set; a DIR stands for every
    .cpol and .json policy file under it. Every finding has a code, a severity, the place
    of every policy involved and a fix; they are documented in docs/lint.md. Exit 1 when
    a finding is an error (or the input has problems); suppressed findings do not count.
    """
    ignored = _ignored(ignore)
    sources, catalog_source = read_or_exit(files, catalog, names=("FILE", "--catalog"), read=read_arguments)
    problems: list[Diagnostic] = []
    located: list[Located] = []
    try:
        located = load_policy_set([(source.text, source.name) for source in sources], import_roots=roots)
    except Diagnostics as found:
        problems.extend(found.items)
    known: Catalog | None = None
    if catalog_source is not None:
        try:
            known = load_catalog(catalog_source.text, catalog_source.name)
        except Diagnostics as found:
            problems.extend(found.items)
    if has_errors(problems):
        report(problems, [])
        raise SystemExit(EXIT_PROBLEM)
    findings = [
        finding
        for finding in lint_policy_set(located, known)
        if finding.code.code not in ignored and finding.kind not in ignored
    ]
    texts = {source.name: source.text for source in sources}
    if output_format == "json":
        rendered = render_json(findings, len(located), len(sources), texts)
    elif output_format == "sarif":
        rendered = render_sarif(findings, texts)
    else:
        rendered = render_text(findings, len(located), len(sources), show_suppressed=show_suppressed)
    write_output(output, rendered)
    if any(finding.severity == "error" for finding in active(findings)):
        raise SystemExit(EXIT_PROBLEM)
