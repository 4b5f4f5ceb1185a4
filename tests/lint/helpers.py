"""Small policy sets for the lint tests: write them in `.cpol` (or JSON), lint, look at the codes."""

from __future__ import annotations

import json
from typing import Any

from cpol.lint import Catalog, Finding, lint, load_catalog
from cpol.policyset import load_policy_set


def policy(name: str, *statements: str) -> str:
    """`policy "name" { statements }` in `.cpol`."""
    body = "".join(f"  {statement}\n" for statement in statements)
    return f'policy "{name}" {{\n{body}}}\n'


def rule(name: str, rule_type: str, config: dict[str, Any], *scopes: str, **fields: Any) -> dict[str, Any]:
    """A JSON policy; each scope is `kind:id` (`"channel:ch_email"`), none means global."""
    refs = [dict(zip(("scope", "scopeId"), scope.split(":", 1), strict=True)) for scope in scopes]
    return {
        "name": name,
        "ruleType": rule_type,
        "scopes": refs or [{"scope": "global"}],
        "config": config,
        **fields,
    }


def lint_cpol(*policies: str, catalog: dict[str, Any] | None = None) -> list[Finding]:
    text = "\n".join(policies)
    known: Catalog | None = load_catalog(json.dumps(catalog), "catalog.json") if catalog is not None else None
    return lint(load_policy_set([(text, "set.cpol")]), known)


def lint_json(policies: list[dict[str, Any]], catalog: dict[str, Any] | None = None) -> list[Finding]:
    known = load_catalog(json.dumps(catalog), "catalog.json") if catalog is not None else None
    return lint(load_policy_set([(json.dumps(policies), "set.json")]), known)


def codes(findings: list[Finding]) -> list[str]:
    return [finding.code.code for finding in findings]


def above_info(findings: list[Finding]) -> list[str]:
    return [f"{f.code.code} {f.primary.location}: {f.message}" for f in findings if f.severity != "info"]


def only(findings: list[Finding], code: str) -> Finding:
    """The one finding with `code` (fails when there are none or several)."""
    found = [finding for finding in findings if finding.code.code == code]
    assert len(found) == 1, [f"{f.code.code}: {f.message}" for f in findings]
    return found[0]
