"""Fuzz target: policy test files through the YAML test loader (`read_test_file`).

A text either reads as a test file or raises `Diagnostics`. Run: `python
fuzz/yaml_tests.py -max_total_time=3600 WORKDIR fuzz/corpus/yaml_tests`.
"""

from __future__ import annotations

from cpol.testing import read_test_file
from cpol_fuzz import EXPECTED, run, text_of


def one_input(data: bytes) -> None:
    text = text_of(data)
    if text is None:
        return
    try:
        read_test_file(text, "fuzz.test.yaml")
    except EXPECTED:
        return


if __name__ == "__main__":
    run(one_input)
