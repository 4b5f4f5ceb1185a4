"""A `.cpol` text with its file name, and the means to quote its lines in diagnostics."""

from __future__ import annotations

from dataclasses import dataclass

from cpol.diagnostics import Diagnostic, Severity, Span


@dataclass
class Source:
    """A `.cpol` text with its name, and the means to quote its lines in diagnostics."""

    text: str
    filename: str = "<input>"

    def __post_init__(self) -> None:
        self.lines = self.text.split("\n")

    def diagnostic(
        self, message: str, span: Span, hint: str | None = None, severity: Severity = "error"
    ) -> Diagnostic:
        line = self.lines[span.line - 1] if 0 < span.line <= len(self.lines) else ""
        return Diagnostic(message, self.filename, span, hint=hint, source_line=line, severity=severity)
