"""Fuzz target: `.cpol` text through the compiler (`cpol.compile_source`).

A text either compiles or raises `Diagnostics`. What compiles must give strict JSON
(`cpol.to_json`), and print back as `.cpol` (`cpol.to_cpol`) that compiles to the same
policies. Run: `python fuzz/compiler.py -max_total_time=3600 WORKDIR fuzz/corpus/compiler`.
"""

from __future__ import annotations

import cpol
from cpol_fuzz import EXPECTED, run, strict_json, text_of


def one_input(data: bytes) -> None:
    text = text_of(data)
    if text is None:
        return
    try:
        policies = cpol.compile_source(text, "fuzz.cpol")
    except EXPECTED:
        return
    plan = cpol.to_json(policies)
    strict_json(plan)
    again = cpol.compile_source(cpol.to_cpol(policies), "round-trip.cpol")
    assert cpol.to_json(again) == plan, "the decompiled text compiles to other policies"


if __name__ == "__main__":
    run(one_input)
