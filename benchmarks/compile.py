"""Compile / decompile / fmt throughput on a generated 1,000-policy file.

Run: `.venv/bin/python benchmarks/compile.py [--policies N] [--repeat R]`. Each figure is
the best of R runs (the least disturbed by other work on the machine). The bare parse is
the same Lark grammar and lexer building a plain parse tree, with no syntax tree, lowering
or validation: the floor that compile is compared to.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import cpol
from corpus import policy_set
from cpol.grammar.parser import get_parser
from timing import best_of


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--policies", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    plan = cpol.load_json(policy_set(args.policies))
    source = cpol.to_cpol(plan)
    bare = get_parser(None)
    cpol.compile_source(source)  # warm caches: parser tables, templates

    results = {
        "bare parse": best_of(args.repeat, lambda: bare.parse(source)),
        "compile": best_of(args.repeat, lambda: cpol.compile_source(source)),
        "decompile": best_of(args.repeat, lambda: cpol.to_cpol(plan)),
        "fmt": best_of(args.repeat, lambda: cpol.format_source(source)),
        "load_json": best_of(args.repeat, lambda: cpol.load_json(json.dumps(cpol.to_json(plan)))),
    }
    n = args.policies
    print(f"{n} policies, {len(source.splitlines())} lines, {len(source)} bytes of .cpol")
    print(f"python {platform.python_version()} on {platform.machine()}, best of {args.repeat}")
    for name, seconds in results.items():
        print(f"  {name:<11} {seconds * 1000:8.1f} ms   {n / seconds:10.0f} policies/s")
    print(f"  compile / bare parse   = {results['compile'] / results['bare parse']:.2f}x (target <= 2)")
    print(f"  decompile / compile    = {results['decompile'] / results['compile']:.2f}x (target < 1)")


if __name__ == "__main__":
    main()
