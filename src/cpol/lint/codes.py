"""The finding codes of `cpol lint`: one stable code per condition, grouped by kind.

A code never changes meaning once shipped; a new condition gets a new code. The hundreds
digit is the kind (1 dead_rule, 2 contradiction, 3 overlap, 4 priority_tie, 5 gap, 9 the
`# lint:` directives written in `.cpol` comments), and
`docs/lint.md` has a section per code (its anchor is the lower-case code).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cpol.diagnostics import Severity

Kind = Literal["dead_rule", "contradiction", "overlap", "priority_tie", "gap", "directive"]
KINDS: tuple[Kind, ...] = ("dead_rule", "contradiction", "overlap", "priority_tie", "gap", "directive")


@dataclass(frozen=True)
class Code:
    code: str
    kind: Kind
    severity: Severity
    name: str
    """A PascalCase rule name (SARIF `rules[].name`)."""
    summary: str
    """One sentence: the condition under which the finding fires."""

    @property
    def anchor(self) -> str:
        """The section of `docs/lint.md` documenting this code."""
        return f"docs/lint.md#{self.code.lower()}"


DOMINATED = Code(
    "CPL101",
    "dead_rule",
    "warning",
    "DominatedByAnotherPolicy",
    "A policy (or one of its caps) never blocks a candidate that another active policy on the "
    "same or a broader scope does not already block, for at least as long.",
)
UNREACHABLE_CAP = Code(
    "CPL102",
    "dead_rule",
    "warning",
    "UnreachableCap",
    "A cap of a frequency_cap (or of a cross_channel_cap with the older windowDays) can never be "
    "the one that blocks: another cap of the same policy is always reached first.",
)
INACTIVE = Code(
    "CPL103",
    "dead_rule",
    "info",
    "InactivePolicy",
    "The policy is not active (draft, paused, archived or deleted), so it is never evaluated.",
)
UNKNOWN_SCOPE = Code(
    "CPL104",
    "dead_rule",
    "warning",
    "UnknownScopeId",
    "A scope id that the catalogue does not list and no other policy mentions: the scope "
    "matches no candidate.",
)
SCOPE_MISSES_RULE = Code(
    "CPL105",
    "dead_rule",
    "warning",
    "ScopeMissesRule",
    "The policy's scopes admit only candidates its rule never concerns (a mutual-exclusion "
    "group none of whose offers is in scope, a category rest scoped to another category).",
)
ZERO_DURATION = Code(
    "CPL106",
    "dead_rule",
    "warning",
    "ZeroDuration",
    "A cooldown, suppression or rest of 0, or a cap over a window of 0 days, never blocks.",
)
ZERO_CAP = Code(
    "CPL201",
    "contradiction",
    "error",
    "ZeroCap",
    "A cap of 0 blocks every candidate in scope at all times.",
)
EMPTY_TIME_WINDOW = Code(
    "CPL202",
    "contradiction",
    "error",
    "EmptyTimeWindow",
    "A time window that is never open (startHour equal to endHour, or no day allowed) blocks "
    "every candidate in scope at all times.",
)
DISJOINT_TIME_WINDOWS = Code(
    "CPL203",
    "contradiction",
    "error",
    "DisjointTimeWindows",
    "Two time windows on the same scope (or one global) whose open hours and days never "
    "intersect: together they block every candidate of that scope at all times.",
)
REDUNDANT = Code(
    "CPL301",
    "overlap",
    "warning",
    "RedundantPolicy",
    "Two policies of the same rule type and the same scopes where one blocks whenever the "
    "other does, at least as long: the weaker one is redundant.",
)
DUPLICATE = Code(
    "CPL302",
    "overlap",
    "warning",
    "DuplicatePolicy",
    "Two policies of the same rule type and the same scopes that say the same thing.",
)
TIED_BLOCKERS = Code(
    "CPL401",
    "priority_tie",
    "warning",
    "TiedBlockingPolicies",
    "Two active policies of the same rule type share a priority (other than the default 50) and "
    "can block the same candidate: which one is reported first is left to the tie-breakers.",
)
TIED_OVERRIDE = Code(
    "CPL402",
    "priority_tie",
    "warning",
    "OverrideTiedWithBlocker",
    "An allow_override shares its priority (other than the default 50) with a bypassable "
    "blocking policy whose scope it meets.",
)
GLOBAL_OVERRIDE = Code(
    "CPL501",
    "gap",
    "warning",
    "GlobalOverride",
    "An active allow_override with a global scope lifts every bypassable block for everyone.",
)
NO_TIMEZONE = Code(
    "CPL502",
    "gap",
    "warning",
    "TimeWindowWithoutTimezone",
    "A time_window without a timezone, while the catalogue says customers lack one: the "
    "window is evaluated in UTC.",
)
SINGLE_OFFER_GROUP = Code(
    "CPL503",
    "gap",
    "warning",
    "SingleOfferExclusionGroup",
    "A mutual-exclusion group of fewer than two distinct offers never blocks.",
)
UNKNOWN_OUTCOME = Code(
    "CPL504",
    "gap",
    "warning",
    "UnknownOutcome",
    "An outcome name used by no other policy and not known, close to a known one (or absent "
    "from the catalogue's outcomes).",
)
INVALID_DIRECTIVE = Code(
    "CPL901",
    "directive",
    "warning",
    "InvalidLintDirective",
    "A `# lint:` comment that cannot be read: an unknown code, no code, or a verb other than "
    "`ignore` (the only directive).",
)
UNUSED_DIRECTIVE = Code(
    "CPL902",
    "directive",
    "info",
    "UnusedLintDirective",
    "A `# lint: ignore` directive (or one of its codes) that suppresses no finding, or that is "
    "not directly above a policy.",
)

CODES: tuple[Code, ...] = (
    DOMINATED, UNREACHABLE_CAP, INACTIVE, UNKNOWN_SCOPE, SCOPE_MISSES_RULE, ZERO_DURATION,
    ZERO_CAP, EMPTY_TIME_WINDOW, DISJOINT_TIME_WINDOWS,
    REDUNDANT, DUPLICATE,
    TIED_BLOCKERS, TIED_OVERRIDE,
    GLOBAL_OVERRIDE, NO_TIMEZONE, SINGLE_OFFER_GROUP, UNKNOWN_OUTCOME,
    INVALID_DIRECTIVE, UNUSED_DIRECTIVE,
)  # fmt: skip
