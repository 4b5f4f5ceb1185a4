"""The worked examples of `docs/semantics.md` never drift from the engine.

Convention (fenced code blocks, read in document order):

    ```cpol                 an example's policies: starts a new example
    ```json request         the request of the last ```cpol block above it
    ```json decisions       the engine's decisions in explain mode, for the last request above
    ```json decisions fast  the same in fast mode (no trace)

Every `json decisions` block must equal, exactly (key order, `3` versus `3.0`), what
`Engine(compile_source(policies)).decide_json(request, explain=...)` returns. For every
example, fast mode and explain mode must also agree on `allowed`, the first `blockedBy`
entry and `eligibleAt` (SPEC §2). Other blocks (```python, ```text…) are prose.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import cpol
import cpol.runtime

DOC = Path(__file__).resolve().parent.parent / "docs" / "semantics.md"
_FENCE = re.compile(r"^```(?P<info>[^`]*)$")


@dataclass(frozen=True)
class Block:
    info: str  # the words after the opening fence, e.g. "json decisions fast"
    text: str
    line: int  # 1-based line of the opening fence


@dataclass
class Example:
    policies: Block
    request: Block | None = None
    decisions: list[Block] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"line {self.policies.line}"


def read_blocks(path: Path) -> list[Block]:
    lines = path.read_text(encoding="utf-8").split("\n")
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        match = _FENCE.match(lines[index])
        index += 1
        if match is None:
            continue
        start = index
        while index < len(lines) and lines[index] != "```":
            index += 1
        if index == len(lines):
            raise AssertionError(f"{path.name}:{start}: unclosed code block")
        info = " ".join(match["info"].split())
        blocks.append(Block(info, "\n".join(lines[start:index]) + "\n", start))
        index += 1
    return blocks


def read_examples(path: Path) -> list[Example]:
    examples: list[Example] = []
    for block in read_blocks(path):
        if block.info == "cpol":
            examples.append(Example(block))
        elif block.info == "json request":
            assert examples, f"line {block.line}: a request before any ```cpol block"
            assert examples[-1].request is None, f"line {block.line}: a second request for one example"
            examples[-1].request = block
        elif block.info in ("json decisions", "json decisions fast"):
            assert examples and examples[-1].request is not None, (
                f"line {block.line}: decisions without a request above them"
            )
            examples[-1].decisions.append(block)
    return examples


EXAMPLES = read_examples(DOC)


def _params() -> list[Any]:
    return [pytest.param(example, id=example.id) for example in EXAMPLES]


def decide(example: Example, *, explain: bool) -> list[dict[str, Any]]:
    assert example.request is not None
    engine = cpol.runtime.Engine(cpol.compile_source(example.policies.text, "semantics.md"))
    request = json.loads(example.request.text)
    return [decision.to_json() for decision in engine.decide_json(request, explain=explain)]


def exact(value: object) -> str:
    """JSON spelled so that key order and int versus float both count."""
    return json.dumps(value, ensure_ascii=False, indent=1)


def test_the_doc_has_enough_worked_examples() -> None:
    complete = [e for e in EXAMPLES if e.request is not None and e.decisions]
    assert len(complete) >= 5
    assert len(complete) == len(EXAMPLES), "every ```cpol block needs a request and its decisions"
    infos = {block.info for example in complete for block in example.decisions}
    assert infos == {"json decisions", "json decisions fast"}


@pytest.mark.parametrize("example", _params())
def test_documented_decisions_are_the_engines(example: Example) -> None:
    for block in example.decisions:
        documented = json.loads(block.text)
        actual = decide(example, explain=block.info == "json decisions")
        assert exact(documented) == exact(actual), f"docs/semantics.md line {block.line} drifted"


@pytest.mark.parametrize("example", _params())
def test_fast_and_explain_mode_agree(example: Example) -> None:
    fast = decide(example, explain=False)
    explained = decide(example, explain=True)
    assert len(fast) == len(explained)
    for quick, full in zip(fast, explained, strict=True):
        assert "trace" not in quick
        assert quick["allowed"] == full["allowed"]
        assert quick["eligibleAt"] == full["eligibleAt"]
        assert quick["blockedBy"][:1] == full["blockedBy"][:1]


@pytest.mark.parametrize("example", _params())
def test_example_policies_are_canonical(example: Example) -> None:
    assert cpol.format_source(example.policies.text) == example.policies.text
