"""What the fuzz targets share: the errors that are answers, and how a target runs.

Each target in this folder defines `one_input(data: bytes) -> None`, which feeds one input
to one of cpol's readers. A reader answers bad input with `cpol.Diagnostics`, its
documented error; any other exception escaping `one_input` is a bug (in the CLI it would
be an "internal error", exit 3), and so is output that is not strict JSON.

`one_input` is plain Python: `tests/test_fuzz_targets.py` drives it with hypothesis, so
`make test` exercises every target without atheris. Only `python fuzz/TARGET.py …` (see
docs/fuzzing.md) imports atheris, through `run`, for coverage-guided fuzzing.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable

import cpol

#: The exceptions that are the readers' answers to bad input.
EXPECTED: tuple[type[BaseException], ...] = (cpol.Diagnostics,)


def text_of(data: bytes) -> str | None:
    """The input as the command line reads it: UTF-8, a leading BOM dropped, `\\r\\n` read
    as `\\n`; None for bytes that are not UTF-8 (the CLI refuses them before any reader)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text.removeprefix("\ufeff").replace("\r\n", "\n")


def strict_json(value: object) -> str:
    """`value` as JSON the way cpol writes it; raises ValueError on NaN or Infinity, which
    no output of cpol may hold."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def run(one_input: Callable[[bytes], None]) -> None:
    """Fuzz `one_input` with atheris (libFuzzer's options come from the command line).

    cpol is imported before this is called, so `instrument_all` instruments it."""
    import atheris  # only here: the targets import without it

    atheris.instrument_all()
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
