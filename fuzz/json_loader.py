"""Fuzz target: JSON policy files through the loader (`cpol.load_json`).

A text either loads or raises `Diagnostics`; what loads must give strict JSON back
(`cpol.to_json`). Run: `python fuzz/json_loader.py -max_total_time=3600 WORKDIR
fuzz/corpus/json_loader`.
"""

from __future__ import annotations

import cpol
from cpol_fuzz import EXPECTED, run, strict_json, text_of


def one_input(data: bytes) -> None:
    text = text_of(data)
    if text is None:
        return
    try:
        policies = cpol.load_json(text, file="fuzz.json")
    except EXPECTED:
        return
    strict_json(cpol.to_json(policies))


if __name__ == "__main__":
    run(one_input)
