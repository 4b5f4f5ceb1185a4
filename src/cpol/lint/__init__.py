"""`cpol lint`: find the policies of a set that fight each other, never fire, or leave gaps.

    findings = lint(load_policy_set([(text, "policies.cpol")]), catalog=None)

Each finding has a stable code (`codes.py`), a kind (dead_rule, contradiction, overlap,
priority_tie, gap, directive), a severity, a message, the place of every policy involved and
a fix. The checks are documented, condition by condition, in `docs/lint.md`. Findings that a
`# lint: ignore` directive names are returned too, marked `suppressed` (`directives.py`).
"""

from __future__ import annotations

from collections.abc import Sequence

from cpol.lint.catalog import Catalog, load_catalog
from cpol.lint.checks import contradiction, dead, dominance, gaps, ties
from cpol.lint.codes import CODES, KINDS, Code, Kind
from cpol.lint.context import Context
from cpol.lint.directives import Directives
from cpol.lint.finding import Finding, Place, Suppression
from cpol.lint.model import View
from cpol.policyset import Located

CODE_ORDER = {code.code: position for position, code in enumerate(CODES)}


def lint(located: Sequence[Located], catalog: Catalog | None = None) -> list[Finding]:
    """Every finding on a policy set, sorted by file (in the set's order), policy and code.

    Findings a directive suppresses are marked (`finding.suppressed`), never left out.
    """
    views = [View.of(index, item) for index, item in enumerate(located)]
    context = Context(views, catalog)
    findings = contradiction.check(context)
    findings += dead.check(context)
    findings += gaps.check(context)
    pairs: dominance.Pairs = set()
    findings += dominance.check(context, pairs)
    findings += ties.check(context, pairs)
    directives = Directives(located)
    findings = [directives.suppress(finding) for finding in findings]
    findings += directives.findings()
    position = {id(item): index for index, item in enumerate(located)}
    files = {item.origin.file: None for item in located}
    rank = {name: index for index, name in enumerate(files)}

    def key(finding: Finding) -> tuple[int, int, int, str]:
        place = finding.primary
        file = rank[place.located.origin.file]
        return (file, position[id(place.located)], CODE_ORDER[finding.code.code], finding.message)

    return sorted(findings, key=key)


__all__ = [
    "CODES", "KINDS", "Catalog", "Code", "Finding", "Kind", "Place", "Suppression", "lint", "load_catalog",
]  # fmt: skip
