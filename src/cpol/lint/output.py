"""Findings as text (for a terminal, like a compiler), JSON, or SARIF 2.1.0 (for code hosts).

Text locations are `file:line:col` in `.cpol` and `file:json.path` in `.json`. JSON and
SARIF carry both: the JSON path, and the line and column of the value it names (found in
the file's text), so that a code host can show a `.json` finding on its line.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

import cpol
from cpol.diagnostics import json_path
from cpol.lint.codes import CODES, Code
from cpol.lint.finding import Finding, Place, Suppression
from cpol.lint.jsonpos import JsonPositions
from cpol.textsafe import json_safe, one_line

FORMATS = ("text", "json", "sarif")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVELS = {"error": "error", "warning": "warning", "info": "note"}
RULE_INDEX = {code.code: position for position, code in enumerate(CODES)}


def _plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count} {word if count == 1 else (words or word + 's')}"


def active(findings: Sequence[Finding]) -> list[Finding]:
    """The findings no lint directive suppressed: the ones that count."""
    return [finding for finding in findings if finding.suppressed is None]


def counts(findings: Sequence[Finding]) -> dict[str, int]:
    """Findings per severity, suppressed ones left out."""
    kept = active(findings)
    return {level: sum(f.severity == level for f in kept) for level in ("error", "warning", "info")}


def summary_line(findings: Sequence[Finding], policies: int, files: int) -> str:
    """`1 error, 2 warnings and 1 info in 3 files (40 policies)`, or `no findings in …`."""
    where = f"{_plural(files, 'file')} ({_plural(policies, 'policy', 'policies')})"
    parts = [_plural(n, level) for level, n in counts(findings).items() if n]
    if not parts:
        return f"no findings in {where}"
    listed = ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]
    return f"{listed} in {where}"


def suppressed_line(findings: Sequence[Finding], shown: bool) -> str | None:
    """`2 findings suppressed by lint directives; --show-suppressed lists them`, if any are."""
    count = len(findings) - len(active(findings))
    if not count:
        return None
    said = f"{_plural(count, 'finding')} suppressed by lint directives"
    return said if shown else f"{said}; --show-suppressed lists them"


def _text_block(finding: Finding) -> str:
    """One finding as lines, each escaped: names, notes and justifications are the policy
    author's text and must not drive the terminal (escaping escaped text changes nothing)."""
    diagnostic = finding.primary.diagnostic(finding.message, finding.severity)
    label = f"{finding.severity}[{finding.code.code}] {finding.kind}"
    if finding.suppressed is not None:
        label = f"suppressed {label}"
    lines = [f"{diagnostic.location}: {label}: {finding.message}", *diagnostic.render().splitlines()[1:]]
    lines += [f"  note: {place.location}: {place.note or place.policy_name}" for place in finding.related]
    lines.append(f"  fix: {finding.fix}")
    if finding.suppressed is not None:
        why = finding.suppressed.justification or "(no justification given)"
        lines.append(f"  suppressed: {finding.suppressed.directive.location}: {why}")
    return "".join(f"{one_line(line)}\n" for line in lines)


def render_text(
    findings: Sequence[Finding], policies: int, files: int, *, show_suppressed: bool = False
) -> str:
    """Compiler style: location, severity[code] kind: message, the source line, notes, fix.

    Suppressed findings are counted on the last line, and shown (marked) on request.
    """
    blocks = [_text_block(finding) for finding in (findings if show_suppressed else active(findings))]
    tail = [summary_line(findings, policies, files), suppressed_line(findings, show_suppressed)]
    blocks.append("".join(f"{line}\n" for line in tail if line))
    return "\n".join(blocks)


class Locator:
    """Where places are, with line/column for JSON paths (each file's text scanned once)."""

    def __init__(self, texts: Mapping[str, str]) -> None:
        self.texts = texts
        self.positions: dict[str, JsonPositions] = {}

    def location(self, place: Place) -> dict[str, Any]:
        diagnostic = place.diagnostic("")
        out: dict[str, Any] = {"file": place.file}
        if diagnostic.span is not None:
            span = diagnostic.span
            out.update(line=span.line, column=span.column, endLine=span.end_line, endColumn=span.end_column)
            return out
        path = place.json_path
        if path is None:
            return out
        out["path"] = json_path(path) or "(root)"
        text = self.texts.get(place.file)
        if text is not None:
            if place.file not in self.positions:
                self.positions[place.file] = JsonPositions(text)
            found = self.positions[place.file].position(path)
            if found is not None:
                out.update(line=found[0], column=found[1])
        return out


def finding_json(finding: Finding, locator: Locator) -> dict[str, Any]:
    data = {
        "code": finding.code.code,
        "kind": finding.kind,
        "severity": finding.severity,
        "message": finding.message,
        "fix": finding.fix,
        "policy": finding.primary.policy_name,
        "location": locator.location(finding.primary),
        "related": [
            {"policy": place.policy_name, "message": place.note, "location": locator.location(place)}
            for place in finding.related
        ],
        "suppressed": finding.suppressed is not None,
    }
    if finding.suppressed is not None:
        data["justification"] = finding.suppressed.justification
        data["directive"] = locator.location(finding.suppressed.directive)
    return data


def render_json(findings: Sequence[Finding], policies: int, files: int, texts: Mapping[str, str]) -> str:
    locator = Locator(texts)
    data = {
        "findings": [finding_json(finding, locator) for finding in findings],
        "summary": {
            "files": files,
            "policies": policies,
            **counts(findings),
            "suppressed": len(findings) - len(active(findings)),
        },
    }
    return json_safe(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False)) + "\n"


def _uri(file: str) -> str:
    """A relative path stays relative (SARIF resolves it against the repository root)."""
    if file == "<stdin>":
        return "stdin"
    path = PurePath(file)
    return path.as_uri() if path.is_absolute() else quote(path.as_posix())


def _sarif_location(place: Place, locator: Locator) -> dict[str, Any]:
    where = locator.location(place)
    physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(place.file)}}
    if "line" in where:
        region = {"startLine": where["line"], "startColumn": where["column"]}
        if "endLine" in where:
            region.update(endLine=where["endLine"], endColumn=max(where["endColumn"], where["column"] + 1))
        physical["region"] = region
    name = place.policy_name
    logical = {"name": name, "fullyQualifiedName": where.get("path", name), "kind": "object"}
    return {"physicalLocation": physical, "logicalLocations": [logical]}


def _sarif_rule(code: Code) -> dict[str, Any]:
    return {
        "id": code.code,
        "name": code.name,
        "shortDescription": {"text": f"{code.kind}: {code.name}"},
        "fullDescription": {"text": code.summary},
        "help": {"text": f"See {code.anchor} in the cpol documentation."},
        "defaultConfiguration": {"level": SARIF_LEVELS[code.severity]},
        "properties": {"kind": code.kind, "tags": [code.kind]},
    }


def _fingerprint(finding: Finding) -> str:
    """Stable across runs and line moves: the code and the policies and fields involved."""
    places = [f"{place.file}:{place.policy_name}:{json_path(place.loc)}" for place in finding.places]
    return "|".join([finding.code.code, *places])


def _sarif_suppression(suppression: Suppression, locator: Locator) -> dict[str, Any]:
    """An in-source suppression (SARIF §3.35): the directive's place and its justification."""
    out: dict[str, Any] = {"kind": "inSource", "location": _sarif_location(suppression.directive, locator)}
    if suppression.justification:
        out["justification"] = suppression.justification
    return out


def _sarif_result(finding: Finding, locator: Locator) -> dict[str, Any]:
    related = []
    for number, place in enumerate(finding.related, start=1):
        location = _sarif_location(place, locator)
        location["id"] = number
        location["message"] = {"text": place.note or place.policy_name}
        related.append(location)
    result = {
        "ruleId": finding.code.code,
        "ruleIndex": RULE_INDEX[finding.code.code],
        "level": SARIF_LEVELS[finding.severity],
        "message": {"text": f"{finding.message}. Fix: {finding.fix}."},
        "locations": [_sarif_location(finding.primary, locator)],
        "relatedLocations": related,
        "partialFingerprints": {"cpolFinding/v1": _fingerprint(finding)},
        "properties": {
            "kind": finding.kind,
            "fix": finding.fix,
            "policy": finding.primary.policy_name,
        },
    }
    if finding.suppressed is not None:
        result["suppressions"] = [_sarif_suppression(finding.suppressed, locator)]
    return result


def render_sarif(findings: Sequence[Finding], texts: Mapping[str, str]) -> str:
    """A SARIF 2.1.0 log; suppressed findings carry `suppressions` (code hosts hide them)."""
    locator = Locator(texts)
    results = [_sarif_result(finding, locator) for finding in findings]
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "cpol lint",
                        "version": cpol.__version__,
                        "rules": [_sarif_rule(code) for code in CODES],
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json_safe(json.dumps(log, indent=2, ensure_ascii=False, allow_nan=False)) + "\n"
