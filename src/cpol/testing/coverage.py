"""Policy coverage: which policies the tests never saw block, and never saw pass.

A policy that no test ever saw block may be mis-scoped, or its threshold never reached by
any test; one that never passed is only tested on the customers it stops. Both are worth
a test. Counted from the explain traces of every candidate of every test that ran:
`block` and `pass` results only (a block lifted by an override is `skipped`, not a block).
Overrides never block nor pass: they are listed when they never lifted a block. The same
policy loaded by several test files (a standard-library module, a shared `.cpol` file) is
counted once, by its name and where it was written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cpol.testing.runner import FileRun
from cpol.textsafe import escape


@dataclass
class PolicyUse:
    """One policy across every test: what the tests saw it do."""

    name: str
    source: str
    rule_type: str
    status: str
    blocked: int = 0
    passed: int = 0
    lifted: int = 0

    @property
    def label(self) -> str:
        state = "" if self.status == "active" else f", {self.status}"
        return f"{self.name} ({self.rule_type}{state}, {self.source})"

    @property
    def is_override(self) -> bool:
        return self.rule_type == "allow_override"


def coverage(runs: Sequence[FileRun]) -> list[PolicyUse]:
    """Every policy of every test file that ran, with its counts, in first-seen order."""
    table: dict[tuple[str, str], PolicyUse] = {}
    for run in runs:
        if run.policies is None or run.errors:
            continue
        keys: dict[str, tuple[str, str]] = {}
        ids: dict[str, str] = {}
        for item, source in zip(run.policies.located, run.policies.sources, strict=True):
            policy = item.policy
            key = (source, policy.name)
            keys[policy.name] = key
            if policy.id is not None:
                ids[policy.id] = policy.name
            status = "deleted" if policy.deletedAt is not None else (policy.status or "active")
            table.setdefault(key, PolicyUse(policy.name, source, policy.ruleType, status))
        for result in run.results:
            for decision in result.decisions:
                if decision.overridden_by is not None:
                    name = ids.get(decision.overridden_by, decision.overridden_by)
                    if name in keys:
                        table[keys[name]].lifted += 1
                for entry in decision.trace or []:
                    use = table.get(keys.get(entry.policy_name, ("", "")))
                    if entry.priority is None or use is None:
                        continue  # a gate
                    if entry.result == "block":
                        use.blocked += 1
                    elif entry.result == "pass":
                        use.passed += 1
    return list(table.values())


def render_coverage(uses: Sequence[PolicyUse], files: int) -> str:
    """The gaps: active policies never seen blocking, never seen passing, overrides that
    never lifted a block, and the inactive policies (which no test can exercise)."""
    active = [use for use in uses if use.status == "active"]
    inactive = [use for use in uses if use.status != "active"]
    policies = [use for use in active if not use.is_override]
    never_blocked = [use for use in policies if not use.blocked]
    never_passed = [use for use in policies if not use.passed]
    never_lifted = [use for use in active if use.is_override and not use.lifted]
    plural = "y" if len(uses) == 1 else "ies"
    lines = [f"coverage: {len(uses)} polic{plural} in {files} test file{'' if files == 1 else 's'}"]
    if not (never_blocked or never_passed or never_lifted):
        lines.append("  every active policy blocked and passed at least once, every override lifted a block")
    for title, items in (
        ("never blocked in any test", never_blocked),
        ("never passed in any test", never_passed),
        ("overrides that never lifted a block", never_lifted),
        ("not active, so never evaluated", inactive),
    ):
        if items:
            lines.append(f"  {title} ({len(items)}):")
            lines.extend(f"    {use.label}" for use in items)
    return "".join(f"{escape(line)}\n" for line in lines)  # names are the policy authors' text
