"""JUnit XML for CI systems (GitLab, Jenkins, GitHub test reporters, Azure DevOps).

One `<testsuite>` per test file, one `<testcase>` per test; a failing test has a
`<failure>` whose message is the first mismatch and whose body holds every mismatch with
its trace, as printed on the terminal. A test file that could not be run (bad YAML, a
policy that does not compile, an unknown policy name) is a suite with one `<testcase>`
in `<error>`, its body the diagnostics.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import PurePath

from cpol.testing.report import failure_text
from cpol.testing.runner import TEST_SUFFIXES, FileRun

# Characters XML 1.0 cannot hold, even escaped (ANSI escapes, other control characters).
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(text: str) -> str:
    return _INVALID_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def classname(path: str) -> str:
    """`tests/policies/stdlib/email.test.yaml` -> `tests.policies.stdlib.email`."""
    name = path
    for suffix in TEST_SUFFIXES:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    parts = [part for part in PurePath(name).parts if part not in (".", "/", "..")]
    return ".".join(parts) or name


def _seconds(value: float) -> str:
    return f"{value:.3f}"


def junit_xml(runs: Sequence[FileRun]) -> str:
    root = ET.Element("testsuites", name="cpol test")
    total = failures = errors = 0
    elapsed = 0.0
    for run in runs:
        suite = ET.SubElement(root, "testsuite", name=_xml_text(run.path))
        suite.set("file", _xml_text(run.path))
        cls = _xml_text(classname(run.path))
        if run.errors:
            case = ET.SubElement(
                suite, "testcase", classname=cls, name="load test file", file=_xml_text(run.path)
            )
            body = "\n".join(diagnostic.render() for diagnostic in run.errors) + "\n"
            problem = run.errors[0]
            error = ET.SubElement(case, "error", message=_xml_text(f"{problem.location}: {problem.message}"))
            error.set("type", "TestFileError")
            error.text = _xml_text(body)
            suite.set("tests", "1")
            suite.set("failures", "0")
            suite.set("errors", "1")
            suite.set("skipped", "0")
            suite.set("time", _seconds(0.0))
            total += 1
            errors += 1
            continue
        for result in run.results:
            case = ET.SubElement(suite, "testcase", classname=cls, name=_xml_text(result.case.name))
            case.set("file", _xml_text(run.path))
            case.set("line", str(result.case.span.line))
            case.set("time", _seconds(result.seconds))
            if not result.passed:
                first = result.mismatches[0]
                message = f"{first.candidate.label}: expected {first.expected}; actual {first.actual}"
                failure = ET.SubElement(case, "failure", message=_xml_text(message))
                failure.set("type", "ExpectationFailed")
                failure.text = _xml_text("".join(failure_text(m, result) for m in result.mismatches))
        suite.set("tests", str(len(run.results)))
        suite.set("failures", str(run.failed))
        suite.set("errors", "0")
        suite.set("skipped", "0")
        suite.set("time", _seconds(run.seconds))
        total += len(run.results)
        failures += run.failed
        elapsed += run.seconds
    root.set("tests", str(total))
    root.set("failures", str(failures))
    root.set("errors", str(errors))
    root.set("time", _seconds(elapsed))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
