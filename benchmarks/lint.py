"""`cpol lint` on a generated 1,000-policy set: how long the checks take, and how they scale.

Run: `.venv/bin/python benchmarks/lint.py [--policies N] [--repeat R]`. Each figure is the
best of R runs. The set is `corpus.policy_set` (every rule type, three scopes and global,
random priorities and statuses), as JSON and as `.cpol`; lint works on the loaded set, so
loading is measured apart. Every pairwise check looks up the policies it can meet in an index
by (rule type, scope); the last two lines are the worst case for that index: every policy
global and of one rule type, so that they all share one bucket.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from collections import Counter
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import cpol
from corpus import policy_set
from cpol.lint import lint
from cpol.lint.output import render_sarif, render_text
from cpol.policyset import load_policy_set
from timing import best_of


def one_bucket(count: int, rule: str) -> list[dict[str, Any]]:
    """`count` global policies of one rule type, all different, all active."""
    if rule == "frequency_cap":
        configs = [{"maxPerDay": count - n, "maxPerWeek": n + 1} for n in range(count)]
    else:
        configs = [{"excludeSegments": [f"seg_{n}", f"seg_{n + 1}"]} for n in range(count)]
    return [
        {"name": f"{rule} {n}", "scope": "global", "ruleType": rule, "priority": 80, "config": config}
        for n, config in enumerate(configs)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--policies", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    n, repeat = args.policies, args.repeat

    data = policy_set(n)
    json_text = json.dumps(data, indent=2)
    cpol_text = cpol.to_cpol(cpol.load_json(data))
    from_json = load_policy_set([(json_text, "corpus.json")])
    from_cpol = load_policy_set([(cpol_text, "corpus.cpol")])
    findings = lint(from_json)
    assert len(findings) == len(lint(from_cpol))

    results = {
        "load .json": best_of(repeat, lambda: load_policy_set([(json_text, "corpus.json")])),
        "load .cpol": best_of(repeat, lambda: load_policy_set([(cpol_text, "corpus.cpol")])),
        "lint (.json set)": best_of(repeat, lambda: lint(from_json)),
        "lint (.cpol set)": best_of(repeat, lambda: lint(from_cpol)),
        "render text": best_of(repeat, lambda: render_text(findings, n, 1)),
        "render sarif": best_of(repeat, lambda: render_sarif(findings, {"corpus.json": json_text})),
    }
    for rule in ("frequency_cap", "segment_exclusion"):
        bucket = load_policy_set([(json.dumps(one_bucket(n, rule)), "bucket.json")])
        results[f"lint, one bucket: {rule}"] = best_of(repeat, partial(lint, bucket))

    kinds = Counter(f.code.code for f in findings)
    active = sum(1 for p in data if p["status"] == "active")
    print(f"{n} policies ({active} active), {len(findings)} findings:")
    print("  " + ", ".join(f"{code} {count}" for code, count in sorted(kinds.items())))
    print(f"python {platform.python_version()} on {platform.machine()}, best of {repeat}")
    for name, seconds in results.items():
        print(f"  {name:<34} {seconds * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
