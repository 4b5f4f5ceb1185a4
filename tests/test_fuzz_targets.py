"""The fuzz targets of `fuzz/`, driven by hypothesis instead of atheris.

Each target's `one_input(bytes)` must return or raise only `cpol.Diagnostics`. Here each
one gets random bytes and "structured-ish" inputs: its seed corpus (from examples/)
mutated by splicing in tokens of its language (keywords, numbers with exponents, extreme
instants, control characters, YAML tags…) or, for JSON, by replacing parts of the parsed
seed with odd values. This runs in `make test` without atheris; the coverage-guided runs
of an hour are in docs/fuzzing.md.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
FUZZ = ROOT / "fuzz"
TARGETS = ("compiler", "json_loader", "request_parser", "yaml_tests")


def load_target(name: str) -> ModuleType:
    """`fuzz/NAME.py` as a module (it imports its helper `cpol_fuzz` from its folder)."""
    if str(FUZZ) not in sys.path:
        sys.path.insert(0, str(FUZZ))
    spec = importlib.util.spec_from_file_location(f"cpol_fuzz_target_{name}", FUZZ / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def one_input(name: str) -> Callable[[bytes], None]:
    function: Callable[[bytes], None] = load_target(name).one_input
    return function


def seeds(name: str) -> list[str]:
    return [path.read_text(encoding="utf-8") for path in sorted((FUZZ / "corpus" / name).iterdir())]


# Strategies -------------------------------------------------------------------------------------

NUMBERS = ["0", "-0", "1e400", "-1e400", "1e-300", "0.00000000000000001", "1.5", "99999999999999999999"]
NUMBERS += ["NaN", "Infinity", "-Infinity", "0x10", "1_000", "9" * 400]
INSTANTS = [
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00-23:59",
    "2026-02-30T00:00:00Z",
]
INSTANTS += ["9999-12-31T23:59:59.9999999Z", "1-01-01T00:00:00Z", "2026-03-20T14:00:00+14:00"]
ODD_TEXT = [
    "\x00",
    "\x1b]0;title\x07",
    "\x1b[31m",
    "\u202e",
    "\ud800",
    "\n",
    "\t",
    "\r",
    '"',
    "\\",
    "é",
    "日本",
]
CPOL_WORDS = [
    "policy",
    "use",
    "cap",
    "per",
    "day",
    "week",
    "month",
    "for",
    "each",
    "offer",
    "channel",
    "after",
]
CPOL_WORDS += ["suppress", "days", "hours", "only", "between", "and", "applies", "to", "priority", "{", "}"]
CPOL_WORDS += ['"', "#", ",", ":", "9:00", "24:00", '"compliance/adverse_outcomes_quarantine"', "meta"]
YAML_WORDS = ["!!python/object:os.system", "!!binary", "!tag", "&a", "*a", "<<: *a", "? ", "- ", ": "]
YAML_WORDS += ["[" * 50, "{" * 50, "---", "...", "%YAML 1.1", "at: 99999999999 days ago", "in 3000000 days"]
YAML_WORDS += ["now: 0001-01-01T00:00:00Z", "now: 9999-12-31T23:59:59Z", "~", "null", "yes", "'", "|", ">"]
TOKENS = {
    "compiler": [*CPOL_WORDS, *NUMBERS, *ODD_TEXT],
    "json_loader": ["{", "}", "[", "]", ",", ":", '"', "null", "true", *NUMBERS, *ODD_TEXT],
    "request_parser": ["{", "}", "[", "]", ",", ":", '"', "null", *NUMBERS, *INSTANTS, *ODD_TEXT],
    "yaml_tests": [*YAML_WORDS, *NUMBERS, *INSTANTS, *ODD_TEXT],
}


@st.composite
def spliced(draw: st.DrawFn, name: str) -> bytes:
    """A seed of the target with a few slices replaced by tokens of its language."""
    text = draw(st.sampled_from(seeds(name)))
    for _ in range(draw(st.integers(1, 4))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 40)))
        token = draw(st.one_of(st.sampled_from(TOKENS[name]), st.text(max_size=8)))
        text = text[:start] + token + text[end:]
    return text.encode("utf-8", "surrogatepass")


def json_words(value: Any) -> list[str]:
    """Every key and string of a JSON value: names the loader knows."""
    if isinstance(value, dict):
        return [*value, *(word for item in value.values() for word in json_words(item))]
    if isinstance(value, list):
        return [word for item in value for word in json_words(item)]
    return [value] if isinstance(value, str) else []


def odd_values(words: list[str]) -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.sampled_from([10**400, -(10**30), 2**63, 0.1 + 0.2, 1e-300, 1e308]),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from(words + INSTANTS + ODD_TEXT),
        st.text(max_size=10),
    )
    keys = st.one_of(st.sampled_from(words), st.text(max_size=6))
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
        max_leaves=6,
    )


def _replace(draw: st.DrawFn, value: Any, values: st.SearchStrategy[Any]) -> Any:
    """`value` with one part, at a random depth, replaced by a drawn value (or removed)."""
    if isinstance(value, dict | list) and value and draw(st.integers(0, 4)) > 0:
        keys = list(value) if isinstance(value, dict) else list(range(len(value)))
        key = draw(st.sampled_from(keys))
        if draw(st.integers(0, 5)) == 0:
            del value[key]
        else:
            value[key] = _replace(draw, value[key], values)
        return value
    return draw(values)


@st.composite
def reshaped(draw: st.DrawFn, name: str) -> bytes:
    """A JSON seed of the target, parsed, with a few parts replaced by odd values."""
    value = json.loads(draw(st.sampled_from(seeds(name))))
    values = odd_values(sorted(set(json_words(value))))
    value = copy.deepcopy(value)
    for _ in range(draw(st.integers(1, 3))):
        value = _replace(draw, value, values)
    text = json.dumps(value, ensure_ascii=draw(st.booleans()))  # NaN/Infinity written as words
    return text.encode("utf-8", "surrogatepass")


def inputs(name: str) -> st.SearchStrategy[bytes]:
    shapes = [st.binary(max_size=200), spliced(name)]
    if name in ("json_loader", "request_parser"):
        shapes.append(reshaped(name))
    return st.one_of(shapes)


# Tests ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", TARGETS)
def test_target_imports_without_atheris_and_has_seeds(name: str) -> None:
    module = load_target(name)
    assert callable(module.one_input)
    assert seeds(name), f"fuzz/corpus/{name} is empty"
    source = (FUZZ / f"{name}.py").read_text(encoding="utf-8")
    assert re.search(r"^import atheris|^from atheris", source, re.MULTILINE) is None


@pytest.mark.parametrize("name", TARGETS)
def test_target_has_a_libfuzzer_dictionary(name: str) -> None:
    """`fuzz/NAME.dict`: comments and `"token"` lines, printable ASCII with `\\xNN` escapes."""
    lines = (FUZZ / f"{name}.dict").read_text(encoding="ascii").splitlines()
    entries = [line for line in lines if line and not line.startswith("#")]
    assert entries
    for line in entries:
        assert re.fullmatch(r'"(?:[ !#-\[\]-~]|\\x[0-9a-f]{2})+"', line), line


@pytest.mark.parametrize("name", TARGETS)
def test_every_seed_is_accepted(name: str) -> None:
    """The seeds are valid inputs, so the fuzzer starts from the paths that go deep."""
    target = one_input(name)
    for text in seeds(name):
        target(text.encode("utf-8"))


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
@pytest.mark.parametrize("name", TARGETS)
def test_target_survives_generated_inputs(name: str, data: st.DataObject) -> None:
    target = one_input(name)
    target(data.draw(inputs(name)))
