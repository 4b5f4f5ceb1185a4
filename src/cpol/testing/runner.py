"""The test runner: load a test file's policies, decide every test, compare with `expect`.

A test file is read, its policies are compiled (the `policies:` files and the `use:`
modules, together, so names are unique across them), every policy named in an
expectation is checked to exist, and only then are its tests run: a file with any
problem runs no test and reports every problem at once, as `cpol check` does.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from cpol.compiler.compile import Roots
from cpol.diagnostics import Diagnostic, Diagnostics, Span, did_you_mean
from cpol.policyset import Located, load_policy_set
from cpol.runtime import Decision, Engine, Entry
from cpol.runtime.clock import format_instant
from cpol.runtime.render.text import duration
from cpol.testing.model import (
    CandidateCase,
    Expectation,
    NameRef,
    TestCase,
    TestFile,
    UseEntry,
    cpol_value,
    read_test_file_partly,
)

#: Names the gates give their entries (SPEC §2.1): `consent`, `suppression <id>`.
GATE_NAMES = ("consent", "suppression")
USE_SUFFIX = "#use"


@dataclass(frozen=True)
class PolicySet:
    """A test file's policies, where each came from (for coverage), and their engine."""

    located: list[Located]
    sources: list[str]
    engine: Engine

    def ids(self) -> dict[str, str | None]:
        return {item.policy.name: item.policy.id for item in self.located}


@dataclass(frozen=True)
class Mismatch:
    """A candidate whose decision is not the expected one."""

    candidate: CandidateCase
    decision: Decision
    expected: str
    actual: str
    differences: tuple[str, ...] = ()


@dataclass
class TestResult:
    """One test run: its decisions (explain mode) and the candidates that did not match."""

    __test__ = False

    case: TestCase
    decisions: list[Decision]
    mismatches: list[Mismatch]
    seconds: float

    @property
    def passed(self) -> bool:
        return not self.mismatches


@dataclass
class FileRun:
    """A test file: its results, or the problems that kept its tests from running."""

    path: str
    title: str
    results: list[TestResult] = field(default_factory=list)
    errors: list[Diagnostic] = field(default_factory=list)
    policies: PolicySet | None = None
    test_file: TestFile | None = None
    seconds: float = 0.0

    @property
    def passed(self) -> int:
        return sum(1 for result in self.results if result.passed)

    @property
    def failed(self) -> int:
        return sum(1 for result in self.results if not result.passed)


# Discovery -----------------------------------------------------------------------------------

TEST_SUFFIXES = (".test.yaml", ".test.yml")
_SKIPPED_FOLDERS = frozenset({"node_modules", "__pycache__", "build", "dist"})


def discover(paths: Sequence[str]) -> tuple[list[str], list[str]]:
    """Test files under PATHs (folders are searched for `*.test.yaml`), and problems."""
    found: list[str] = []
    problems: list[str] = []
    for path in paths:
        if path == "-" or os.path.isfile(path):
            found.append(path)
        elif os.path.isdir(path):
            inside = _walk(path)
            if not inside:
                problems.append(f"no test files (*.test.yaml) in {path}")
            found.extend(inside)
        else:
            problems.append(f"cannot read {path}: No such file or directory")
    return list(dict.fromkeys(found)), problems


def _walk(folder: str) -> list[str]:
    out: list[str] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIPPED_FOLDERS)
        out.extend(os.path.join(root, name) for name in files if name.endswith(TEST_SUFFIXES))
    return sorted(out)


# Loading -------------------------------------------------------------------------------------


def _read(path: Path) -> str:
    text = path.read_bytes().decode("utf-8-sig")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _base(test_file: TestFile) -> Path:
    return Path.cwd() if test_file.path.startswith("<") else Path(test_file.path).parent


@dataclass
class _UseSource:
    """The `use` lines generated for a test file, and which YAML node wrote each part."""

    filename: str
    entries: list[UseEntry]
    lines: list[str] = field(default_factory=list)
    parts: list[list[tuple[int, int, Span]]] = field(default_factory=list)

    def build(self) -> str:
        for entry in self.entries:
            line = f"use {json.dumps(entry.module, ensure_ascii=False)}"
            parts = [(1, len(line) + 1, entry.module_span)]
            for number, (key, value, key_span) in enumerate(entry.params):
                line += " with " if number == 0 else ", "
                parts.append((len(line) + 1, len(line) + len(key) + 1, key_span))
                line += key + " "
                literal = cpol_value(value)
                parts.append((len(line) + 1, len(line) + len(literal) + 1, value.span))
                line += literal
            self.lines.append(line)
            self.parts.append(parts)
        return "\n".join(self.lines) + "\n"

    def span_for(self, diagnostic: Diagnostic) -> Span | None:
        """The YAML span of the generated text a diagnostic points at."""
        span = diagnostic.span
        if span is None or not 0 < span.line <= len(self.entries):
            return None
        for start, end, yaml_span in self.parts[span.line - 1]:
            if start <= span.column < end:
                return yaml_span
        return self.entries[span.line - 1].span

    def module_of(self, line: int) -> str | None:
        return self.entries[line - 1].module if 0 < line <= len(self.entries) else None


def load_policies(test_file: TestFile, import_roots: Roots = ()) -> PolicySet:
    """Compile the test file's policies; `Diagnostics` (at the YAML lines) on any problem."""
    base = _base(test_file)
    problems: list[Diagnostic] = []
    files: list[tuple[str, str]] = []
    uses = _UseSource(test_file.path + USE_SUFFIX, test_file.uses)
    if test_file.uses:
        files.append((uses.build(), uses.filename))
    for entry in test_file.policy_files:
        path = base / entry.path
        name = os.path.normpath(path)
        try:
            files.append((_read(path), name))
        except OSError as error:
            reason = error.strerror or str(error)
            problems.append(
                test_file.document.diagnostic(f"cannot read policy file `{entry.path}`: {reason}", entry.span)
            )
        except UnicodeDecodeError:
            problems.append(
                test_file.document.diagnostic(f"policy file `{entry.path}` is not UTF-8 text", entry.span)
            )
    try:
        located = load_policy_set(files, import_roots=import_roots)
    except Diagnostics as failed:
        problems.extend(_from_use(d, uses, test_file) for d in failed.items)
    if problems:
        raise Diagnostics(problems)
    sources = []
    for item in located:
        origin = item.origin
        if origin.file == uses.filename:
            span = origin.lowered.span_for(()) if origin.lowered is not None else None
            module = uses.module_of(span.line) if span is not None else None
            sources.append(f"use {module}" if module else "use")
        else:
            sources.append(origin.location)
    return PolicySet(located, sources, Engine([item.policy for item in located]))


def _from_use(diagnostic: Diagnostic, uses: _UseSource, test_file: TestFile) -> Diagnostic:
    if diagnostic.file != uses.filename:
        if diagnostic.hint and uses.filename in diagnostic.hint:  # "first defined at <the uses>:2:1"
            hint = re.sub(
                re.escape(uses.filename) + r":(\d+):\d+",
                lambda found: _use_location(uses, int(found.group(1)), test_file),
                diagnostic.hint,
            )
            return replace(diagnostic, hint=hint)
        return diagnostic
    span = uses.span_for(diagnostic) or (test_file.uses[0].span if test_file.uses else None)
    if span is None:
        return Diagnostic(
            diagnostic.message, test_file.path, hint=diagnostic.hint, severity=diagnostic.severity
        )
    found = test_file.document.diagnostic(diagnostic.message, span, diagnostic.hint)
    return Diagnostic(
        found.message,
        found.file,
        found.span,
        hint=found.hint,
        severity=diagnostic.severity,
        source_line=found.source_line,
    )


def _use_location(uses: _UseSource, line: int, test_file: TestFile) -> str:
    span = uses.entries[line - 1].span if 0 < line <= len(uses.entries) else None
    return f"{test_file.path}:{span.line}:{span.column}" if span is not None else test_file.path


def check_names(test_file: TestFile, policies: PolicySet) -> list[Diagnostic]:
    """Every policy an expectation names must be one of the test file's policies (or a gate)."""
    names = [item.policy.name for item in policies.located]
    ids = [item.policy.id for item in policies.located if item.policy.id]
    overrides = {item.policy.name for item in policies.located if item.policy.ruleType == "allow_override"}
    overrides |= {
        item.policy.id
        for item in policies.located
        if item.policy.ruleType == "allow_override" and item.policy.id
    }
    problems: list[Diagnostic] = []
    for case in test_file.tests:
        for candidate in case.candidates:
            expect = candidate.expect
            if expect is None:
                continue
            for ref in expect.blocked_by:
                if ref.name in names or ref.name in ids or _is_gate(ref.name):
                    continue
                problems.append(_unknown(test_file, ref, "no policy", [*names, *GATE_NAMES], "policy"))
            ref_override = expect.overridden_by
            if ref_override is not None and ref_override.name not in overrides:
                what = "no override policy" if ref_override.name not in names else "not an override policy:"
                problems.append(_unknown(test_file, ref_override, what, sorted(overrides), "override policy"))
    unique = {(d.message, d.span): d for d in problems}
    return list(unique.values())


def _unknown(test_file: TestFile, ref: NameRef, what: str, choices: Iterable[str], kind: str) -> Diagnostic:
    options = list(choices)
    hint = did_you_mean(ref.name, options)
    if hint is None:
        hint = f"the {kind} names: " + ", ".join(options) if options else f"the test file loads no {kind}"
    if what.endswith(":"):
        return test_file.document.diagnostic(f"`{ref.name}` is {what} it cannot lift a block", ref.span, hint)
    return test_file.document.diagnostic(f"{what} is named `{ref.name}`", ref.span, hint)


def _is_gate(name: str) -> bool:
    return name in GATE_NAMES or name.startswith("suppression ")


# Running -------------------------------------------------------------------------------------


def run_file(
    path: str, text: str | None = None, *, only: str | None = None, import_roots: Roots = ()
) -> FileRun:
    """Read, load and run one test file (`text` given: the file is not read)."""
    started = time.perf_counter()
    run = FileRun(path, path)
    try:
        source = text if text is not None else _read(Path(path))
    except OSError as error:
        run.errors = [Diagnostic(f"cannot read file: {error.strerror or error}", path)]
        return run
    except UnicodeDecodeError as error:
        run.errors = [Diagnostic(f"not UTF-8 text (invalid byte at offset {error.start})", path)]
        return run
    test_file, problems = read_test_file_partly(source, path)
    if test_file is None:
        run.errors = problems
        return run
    run.test_file = test_file
    run.title = test_file.title
    try:
        policies = load_policies(test_file, import_roots)
        run.policies = policies
        problems.extend(check_names(test_file, policies))
    except Diagnostics as failed:
        problems.extend(failed.items)
    if problems:
        run.errors = _in_order(problems, path)
        return run
    assert run.policies is not None
    policies = run.policies
    for case in test_file.tests:
        if only is None or only.lower() in case.name.lower():
            run.results.append(run_test(case, policies))
    run.seconds = time.perf_counter() - started
    return run


def _in_order(problems: list[Diagnostic], path: str) -> list[Diagnostic]:
    """The test file's own problems first, by position, then those of its policy files."""
    return sorted(problems, key=lambda d: (d.file != path, d.span.start if d.file == path and d.span else 0))


def run_test(case: TestCase, policies: PolicySet) -> TestResult:
    started = time.perf_counter()
    assert case.parsed is not None
    decisions = policies.engine.decide(case.parsed, explain=True, raw=case.raw)
    mismatches = []
    ids = policies.ids()
    for candidate, decision in zip(case.candidates, decisions, strict=True):
        if candidate.expect is None:
            continue
        found = differences(candidate.expect, decision, ids)
        if found:
            now = case.parsed.now
            expected = describe_expected(candidate.expect, now)
            mismatches.append(
                Mismatch(candidate, decision, expected, describe_actual(decision, now), tuple(found))
            )
    return TestResult(case, decisions, mismatches, time.perf_counter() - started)


def _entry_is(entry: Entry, name: str) -> bool:
    if entry.policy_name == name or (entry.policy_id is not None and entry.policy_id == name):
        return True
    return name == "suppression" and entry.rule_type == "suppression"


def matches(expect: Expectation, decision: Decision, ids: dict[str, str | None]) -> bool:
    """Whether the decision is what the expectation says."""
    return not differences(expect, decision, ids)


def _at(moment: float | None) -> str:
    return format_instant(moment) if moment is not None else "never"


def differences(expect: Expectation, decision: Decision, ids: dict[str, str | None]) -> list[str]:
    """What differs between the decision and the expectation, in words; empty when it holds."""
    if expect.allowed is not None and decision.allowed != expect.allowed:
        return ["it is allowed" if decision.allowed else "it is blocked"]
    out: list[str] = []
    blocks = decision.blocked_by
    names = ", ".join(entry.policy_name for entry in blocks) or "none"
    if expect.blocked_by and expect.all_blockers:
        remaining = list(blocks)
        found_all = True
        for ref in expect.blocked_by:
            found = next((entry for entry in remaining if _entry_is(entry, ref.name)), None)
            if found is None:
                found_all = False
                break
            remaining.remove(found)
        if not found_all or remaining:
            wanted = ", ".join(ref.name for ref in expect.blocked_by)
            out.append(f"the blocks are {names}, not {wanted}")
    elif expect.blocked_by and not _entry_is(blocks[0], expect.blocked_by[0].name):
        out.append(f"the first block is {blocks[0].policy_name}, not {expect.blocked_by[0].name}")
    if expect.check_eligible:
        wanted_at = _at(expect.eligible_at.timestamp() if expect.eligible_at is not None else None)
        actual_at = _at(decision.eligible_at)
        if wanted_at != actual_at:
            out.append(f"it is eligible at {actual_at}, not {wanted_at}")
    if expect.check_override:
        actual = decision.overridden_by
        if expect.overridden_by is None:
            if actual is not None:
                out.append(f"{actual} lifted a block, and no override was expected to")
        else:
            name = expect.overridden_by.name
            if actual is None:
                out.append(f"no override lifted a block, not {name}")
            elif actual not in (name, ids.get(name)):
                out.append(f"the override is {actual}, not {name}")
    return out


def _when(moment: float | None, now: datetime) -> str:
    if moment is None:
        return "never by time alone"
    delta = moment - now.timestamp()
    relative = f"in {duration(delta)}" if delta >= 0 else f"{duration(-delta)} ago"
    return f"eligible at {format_instant(moment)} ({relative})"


def describe_expected(expect: Expectation, now: datetime) -> str:
    """`blocked by Email frequency cap, eligible at … (in 2d)`."""
    if expect.allowed is None:
        words = "allowed or blocked"
    elif expect.allowed:
        words = "allowed"
    elif not expect.blocked_by:
        words = "blocked"
    elif expect.all_blockers:
        words = "blocked by exactly " + ", ".join(ref.name for ref in expect.blocked_by)
    else:
        words = f"blocked first by {expect.blocked_by[0].name}"
    if expect.check_eligible:
        words += ", " + _when(expect.eligible_at.timestamp() if expect.eligible_at else None, now)
    if expect.check_override:
        by = expect.overridden_by
        words += f", overridden by {by.name}" if by is not None else ", no override"
    return words


def describe_actual(decision: Decision, now: datetime) -> str:
    """`blocked by A, then B; eligible at … (in 2d)` or `allowed, overridden by V`."""
    if decision.allowed:
        words = "allowed"
    else:
        names = [entry.policy_name for entry in decision.blocked_by]
        words = f"blocked by {names[0]}"
        if len(names) > 1:
            words += ", then " + ", ".join(names[1:])
        words += "; " + _when(decision.eligible_at, now)
    if decision.overridden_by is not None:
        words += f", overridden by {decision.overridden_by}"
    return words


def run_paths(
    paths: Sequence[str], *, only: str | None = None, stdin_text: str | None = None, import_roots: Roots = ()
) -> list[FileRun]:
    """Run every test file, in order (`-` reads `stdin_text`)."""
    runs = []
    for path in paths:
        if path == "-":
            runs.append(run_file("<stdin>", stdin_text or "", only=only, import_roots=import_roots))
        else:
            runs.append(run_file(path, only=only, import_roots=import_roots))
    return runs
