"""Policy tests: `*.test.yaml` files that state what the policies must decide, and a runner.

    from cpol.testing import run_file
    run = run_file("tests/policies/email.test.yaml")
    print(run.passed, run.failed, run.errors)

The file format is documented in docs/testing.md; `cpol test` is the command line.
"""

from cpol.testing.model import CandidateCase, Expectation, TestCase, TestFile, read_test_file
from cpol.testing.runner import FileRun, TestResult, discover, load_policies, run_file, run_paths
from cpol.testing.times import TimeError, parse_time

__all__ = [
    "CandidateCase",
    "Expectation",
    "FileRun",
    "TestCase",
    "TestFile",
    "TestResult",
    "TimeError",
    "discover",
    "load_policies",
    "parse_time",
    "read_test_file",
    "run_file",
    "run_paths",
]
