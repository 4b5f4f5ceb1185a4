"""Lint stays fast on large sets: pairwise checks go through the index, never all pairs."""

from __future__ import annotations

import importlib.util
import json
import sys
import time
from pathlib import Path
from types import ModuleType

import cpol
from cpol.lint import lint
from cpol.policyset import Located, load_policy_set

BENCHMARKS = Path(__file__).parents[2] / "benchmarks"


def benchmark_module(name: str) -> ModuleType:
    """A module of benchmarks/ (`lint.py` would clash with this package's name on import)."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        spec = importlib.util.spec_from_file_location(f"benchmark_{name}", BENCHMARKS / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCHMARKS))


policy_set = benchmark_module("corpus").policy_set
one_bucket = benchmark_module("lint").one_bucket


def timed(located: list[Located]) -> float:
    start = time.perf_counter()
    lint(located)
    return time.perf_counter() - start


def test_a_thousand_policies_well_under_a_second() -> None:
    data = policy_set(1000)
    located = load_policy_set([(json.dumps(data), "corpus.json")])
    assert min(timed(located) for _ in range(3)) < 0.5


def test_json_and_cpol_sets_find_the_same() -> None:
    data = policy_set(300)
    from_json = lint(load_policy_set([(json.dumps(data), "corpus.json")]))
    from_cpol = lint(load_policy_set([(cpol.to_cpol(cpol.load_json(data)), "corpus.cpol")]))
    assert [(f.code.code, f.primary.policy_name) for f in from_json] == [
        (f.code.code, f.primary.policy_name) for f in from_cpol
    ]


def test_one_crowded_bucket_is_still_fast() -> None:
    """Every policy global and of one rule type: the index cannot split them."""
    for rule in ("frequency_cap", "segment_exclusion"):
        located = load_policy_set([(json.dumps(one_bucket(1000, rule)), "bucket.json")])
        assert min(timed(located) for _ in range(2)) < 2.0
