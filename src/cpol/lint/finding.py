"""A lint finding: a code, a message, a fix, and every policy involved, each with its place."""

from __future__ import annotations

from dataclasses import dataclass, field

from cpol.compiler.source import Source
from cpol.diagnostics import Diagnostic, Severity, Span
from cpol.lint.codes import Code, Kind
from cpol.plan.base import Loc
from cpol.policyset import Located


@dataclass(frozen=True)
class Excerpt:
    """A span of `.cpol` text outside a policy's own spans: a comment, perhaps in a module."""

    source: Source
    span: Span


@dataclass(frozen=True)
class Place:
    """A part of one policy (`loc`, a JSON path inside it) and what it says about the finding.

    `excerpt`, when given, is where the place is instead: a lint directive about the policy.
    """

    located: Located
    loc: Loc = ()
    note: str = ""
    excerpt: Excerpt | None = None

    @property
    def policy_name(self) -> str:
        return self.located.policy.name

    @property
    def file(self) -> str:
        return self.excerpt.source.filename if self.excerpt else self.located.origin.file

    @property
    def json_path(self) -> Loc | None:
        """The path from the root of a JSON file (None for `.cpol`, which has spans)."""
        origin = self.located.origin
        return None if origin.source is not None or self.excerpt else (*origin.prefix, *self.loc)

    def diagnostic(self, message: str, severity: Severity = "info", hint: str | None = None) -> Diagnostic:
        if self.excerpt is not None:
            return self.excerpt.source.diagnostic(message, self.excerpt.span, hint, severity)
        return self.located.origin.diagnostic(message, self.loc, hint=hint, severity=severity)

    @property
    def location(self) -> str:
        return self.diagnostic("").location


@dataclass(frozen=True)
class Suppression:
    """The `# lint: ignore` directive that suppressed a finding: where it is, and why."""

    directive: Place
    justification: str


@dataclass(frozen=True)
class Finding:
    code: Code
    message: str
    fix: str
    primary: Place
    related: tuple[Place, ...] = field(default=())
    suppressed: Suppression | None = None

    @property
    def kind(self) -> Kind:
        return self.code.kind

    @property
    def severity(self) -> Severity:
        return self.code.severity

    def diagnostic(self) -> Diagnostic:
        """The primary place as a diagnostic: location, source line and caret, the fix as hint."""
        return self.primary.diagnostic(self.message, self.severity, hint=self.fix)

    @property
    def places(self) -> tuple[Place, ...]:
        return (self.primary, *self.related)
