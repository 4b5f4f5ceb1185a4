"""Non-finite numbers in requests (issue class: NaN, Infinity, numbers beyond a double).

JSON text cannot carry them: `cpol eval` refuses them at their path, exit 1. A Python
caller's dict can: the engine decides, and every decision it writes is strict JSON.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

import cpol
from cpol.cli import cli
from cpol.runtime.render import render_json

from .test_properties import requests
from .test_request_parity import _paths, _set

EXAMPLES = Path(__file__).parents[2] / "examples"
ENGINE = cpol.Engine(cpol.compile_files([EXAMPLES / "all_rule_types.cpol"]))
NON_FINITE = st.sampled_from([math.inf, -math.inf, math.nan])
#: How each is spelled in text: Python's json writes NaN and Infinity; 1e400 is valid JSON
#: syntax but beyond a double, so Python's decoder reads it as infinity.
SPELLINGS = st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400", "-1e400"])


def _strict(text: str) -> Any:
    def refuse(constant: str) -> None:
        raise AssertionError(f"non-standard JSON constant {constant}")

    return json.loads(text, parse_constant=refuse)


@given(requests(max_candidates=3), st.data())
def test_a_dict_with_non_finite_numbers_anywhere_gives_strict_json(
    data: dict[str, Any], draw: st.DataObject
) -> None:
    for _ in range(draw.draw(st.integers(1, 3))):
        path = draw.draw(st.sampled_from(_paths(data)))
        _set(data, path, draw.draw(NON_FINITE))
    try:
        decisions = ENGINE.decide_json(data, explain=True)
    except cpol.Diagnostics as refused:  # the number replaced a field of another type
        assert all(item.path for item in refused.items)
        return
    _strict(render_json(decisions))


@given(requests(max_candidates=2), st.data())
def test_json_text_spelling_a_non_finite_number_is_refused_at_its_path(
    data: dict[str, Any], draw: st.DataObject
) -> None:
    path = draw.draw(st.sampled_from(_paths(data)))
    marker = "__non_finite__"
    _set(data, path, marker)
    text = json.dumps(data).replace(f'"{marker}"', draw.draw(SPELLINGS))
    policies = str(EXAMPLES / "all_rule_types.cpol")
    result = CliRunner().invoke(cli, ["eval", policies, "--context", "-"], input=text)
    assert result.exit_code == 1, result.output
    assert "is not a finite number" in result.output
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
    assert where in result.output
