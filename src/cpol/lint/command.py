"""`cpol lint FILE... [--format text|json|sarif] [--catalog FILE] [--ignore CODE] [-o OUT]`."""

from __future__ import annotations

import click

from cpol.diagnostics import Diagnostic, Diagnostics
from cpol.lint import CODES, KINDS, Catalog, load_catalog
from cpol.lint import lint as lint_policy_set
from cpol.lint.output import FORMATS, render_json, render_sarif, render_text
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


@click.command("lint")
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
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
@click.option("-o", "--output", default="-", metavar="FILE", help="Write the report to FILE (`-` is stdout).")
def lint(
    files: tuple[str, ...], output_format: str, catalog: str | None, ignore: tuple[str, ...], output: str
) -> None:
    """Find policies that fight each other, never fire, or leave gaps.

    FILEs (.cpol or .json) are read together as one policy set. Every finding has a
    code, a severity, the place of every policy involved and a fix; they are documented
    in docs/lint.md. Exit 1 when a finding is an error (or the input has problems).
    """
    from cpol import cli  # the shared file handling; imported here as cli imports this module

    ignored = _ignored(ignore)
    if catalog is not None and catalog == cli.STDIN and cli.STDIN in files:
        raise click.UsageError("`-` (standard input) can be given only once: for FILE or for --catalog")
    sources, failures = cli.read_sources(files)
    catalog_source = None
    if catalog is not None:
        try:
            catalog_source = cli.read_source(catalog)
        except cli.Unreadable as failure:
            failures.append(failure)
    if failures:
        cli.report([], failures)
        raise SystemExit(cli.EXIT_PROBLEM)
    problems: list[Diagnostic] = []
    located: list[Located] = []
    try:
        located = load_policy_set([(source.text, source.name) for source in sources])
    except Diagnostics as found:
        problems.extend(found.items)
    known: Catalog | None = None
    if catalog_source is not None:
        try:
            known = load_catalog(catalog_source.text, catalog_source.name)
        except Diagnostics as found:
            problems.extend(found.items)
    if cli.has_errors(problems):
        cli.report(problems, [])
        raise SystemExit(cli.EXIT_PROBLEM)
    findings = [
        finding
        for finding in lint_policy_set(located, known)
        if finding.code.code not in ignored and finding.kind not in ignored
    ]
    texts = {source.name: source.text for source in sources}
    if output_format == "json":
        report = render_json(findings, len(located), len(sources), texts)
    elif output_format == "sarif":
        report = render_sarif(findings, texts)
    else:
        report = render_text(findings, len(located), len(sources))
    cli.write_output(output, report)
    if any(finding.severity == "error" for finding in findings):
        raise SystemExit(cli.EXIT_PROBLEM)
