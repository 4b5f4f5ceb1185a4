"""Fuzz target: evaluation requests through the request parser, then the engine.

`cpol.runtime.parse_request` (its public entry point, on the request's JSON text) either
parses or raises `Diagnostics`. A parsed request is decided in explain mode against the
bundled example policies and every decision must be strict JSON: whatever the parser
accepts, the engine must survive. Run: `python fuzz/request_parser.py
-max_total_time=3600 WORKDIR fuzz/corpus/request_parser`.
"""

from __future__ import annotations

import functools
from pathlib import Path

import cpol
from cpol.runtime import Engine, parse_request
from cpol_fuzz import EXPECTED, run, strict_json, text_of

POLICIES = Path(__file__).resolve().parents[1] / "examples" / "all_rule_types.cpol"


@functools.cache
def engine() -> Engine:
    """One engine for every input (compiling the policies each time would be the test)."""
    return Engine(cpol.compile_source(POLICIES.read_text(encoding="utf-8"), str(POLICIES)))


def one_input(data: bytes) -> None:
    text = text_of(data)
    if text is None:
        return
    try:
        request, raw = parse_request(text, "fuzz.json")
    except EXPECTED:
        return
    decisions = engine().decide(request, explain=True, raw=raw)
    strict_json([decision.to_json() for decision in decisions])


if __name__ == "__main__":
    run(one_input)
