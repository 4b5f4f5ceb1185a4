"""The examples and the language reference never drift from the compiler.

Checked here:

- every `examples/*.cpol` compiles, and equals `examples/<same stem>.json` exactly;
- the seed fixture (`tests/fixtures/seed/`, the seed platform's own data, kept for
  compatibility): `seed.json` is the `data` of `seed-policies.json`, `seed.cpol` is exactly
  what the decompiler prints for it, and compiles to `seed.json`;
- every example is already in canonical form (`cpol fmt` would leave it unchanged);
- the fenced code blocks of `docs/language.md`, by this convention:

A block's info string is a language word, optionally followed by flags.

    ```cpol            a complete .cpol file: it must compile
    ```cpol-error      a .cpol file that must fail with `cpol.Diagnostics`
    ```json input      a JSON policy file: it must load with `cpol.load_json`

Two blocks are a *pair* when the second follows the first with nothing between them but
blank lines and at most one line of prose ending in a colon ("compiles to:"). A pair makes
a claim about the second block:

    cpol        then  json          the compiled policies (a JSON array: the whole file;
                                    a JSON object: the file's only policy)
    cpol        then  json config   the same, for the policies' `config` objects only
    cpol        then  cpol fmt      `cpol.format_source` of the first block, exactly
    cpol-error  then  text          `str(Diagnostics)`, compiling with filename `example.cpol`
    json input  then  cpol          `cpol.to_cpol` of the loaded policies, exactly

JSON is compared exactly: key order matters, and so does `3` versus `3.0`. Any other block
(```text, ```sh, a ```json not in a pair) is prose and is not checked.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import cpol

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SEED = ROOT / "tests" / "fixtures" / "seed"
SHARED = Path("/work/shared/examples")
LANGUAGE_DOC = ROOT / "docs" / "language.md"
ERROR_FILENAME = "example.cpol"
RULE_TYPES = (
    "frequency_cap", "cooldown", "budget_exhausted", "outcome_based", "segment_exclusion",
    "time_window", "mutual_exclusion", "cross_channel_cap", "customer_total_cap",
    "offer_category_cap", "allow_override", "category_suppression", "do_not_contact",
    "metric_condition",
)  # fmt: skip

_FENCE = re.compile(r"^```(?P<info>[^`]*)$")


# -- reading the doc ---------------------------------------------------------------------
@dataclass(frozen=True)
class Block:
    """One fenced code block of a Markdown file."""

    lang: str
    flags: tuple[str, ...]
    text: str  # the lines between the fences, each ending with a newline
    line: int  # 1-based line of the opening fence
    follows: Block | None  # the block just before, when the two are a pair

    @property
    def id(self) -> str:
        info = " ".join((self.lang, *self.flags))
        return f"line {self.line} ({info})"


def read_blocks(path: Path) -> list[Block]:
    """The fenced blocks of a Markdown file (fences at the start of a line)."""
    blocks: list[Block] = []
    lines = path.read_text(encoding="utf-8").split("\n")
    index = 0
    previous: Block | None = None
    gap: list[str] = []  # the non-blank lines since the previous block
    while index < len(lines):
        match = _FENCE.match(lines[index])
        if match is None:
            if lines[index].strip():
                gap.append(lines[index].strip())
            index += 1
            continue
        words = match["info"].split()
        start = index
        index += 1
        body: list[str] = []
        while index < len(lines) and lines[index] != "```":
            body.append(lines[index])
            index += 1
        if index == len(lines):
            raise AssertionError(f"{path.name}:{start + 1}: unclosed code block")
        paired = not gap or (len(gap) == 1 and gap[0].endswith(":"))
        follows = previous if paired else None
        block = Block(
            lang=words[0] if words else "",
            flags=tuple(words[1:]),
            text="".join(line + "\n" for line in body),
            line=start + 1,
            follows=follows,
        )
        blocks.append(block)
        previous = block
        gap = []
        index += 1
    return blocks


DOC_BLOCKS = read_blocks(LANGUAGE_DOC)


def _blocks(*, lang: str, flags: tuple[str, ...] | None = None) -> list[Any]:
    chosen = [b for b in DOC_BLOCKS if b.lang == lang and (flags is None or b.flags == flags)]
    return [pytest.param(b, id=b.id) for b in chosen]


def _pairs(first: str, second: str, flags: tuple[str, ...] = ()) -> list[Any]:
    chosen = [
        b
        for b in DOC_BLOCKS
        if b.lang == second
        and b.flags == flags
        and b.follows is not None
        and b.follows.lang == first
        and (first != "json" or b.follows.flags == ("input",))
    ]
    return [pytest.param(b, id=b.id) for b in chosen]


# -- helpers -----------------------------------------------------------------------------
def compile_json(text: str, filename: str = "<doc>") -> list[dict[str, Any]]:
    return cpol.to_json(cpol.compile_source(text, filename))


def exact(value: object) -> str:
    """A JSON value spelled so that key order and int versus float both count."""
    return json.dumps(value, ensure_ascii=False)


def sorted_keys(value: object) -> str:
    """Like `exact`, but blind to key order."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def dump_file(policies: list[dict[str, Any]]) -> str:
    """How the compiled examples are stored: an array, indent 2, UTF-8, final newline."""
    return json.dumps(policies, indent=2, ensure_ascii=False) + "\n"


def one_or_all(block: Block, values: list[Any]) -> object:
    """What a paired JSON block shows: the whole array, or the only item as an object."""
    shown = json.loads(block.text)
    if isinstance(shown, dict):
        assert len(values) == 1, f"an object stands for one policy, the file has {len(values)}"
        return values[0]
    return values


# -- examples/ and the seed fixture ------------------------------------------------------
EXAMPLE_SOURCES = [*sorted(EXAMPLES.glob("*.cpol")), SEED / "seed.cpol"]


def test_examples_exist() -> None:
    names = {path.name for path in EXAMPLES.iterdir()}
    expected = {
        "README.md",
        "all_rule_types.cpol",
        "all_rule_types.json",
        "request.json",
        "demo-request.json",
    }
    assert expected <= names
    seed = {"seed.cpol", "seed.json", "seed-policies.json", "api-list-response.json"}
    assert {path.name for path in SEED.iterdir()} == seed


def test_every_example_is_in_the_readme() -> None:
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    missing = [
        path.name
        for path in EXAMPLES.iterdir()
        if f"`{path.name}`" not in readme and path.name != "README.md"
    ]
    assert not missing, f"examples/README.md does not describe {missing}"


@pytest.mark.parametrize("source", EXAMPLE_SOURCES, ids=lambda p: p.name)
def test_example_compiles_to_its_json(source: Path) -> None:
    compiled = compile_json(source.read_text(encoding="utf-8"), str(source))
    committed = source.with_suffix(".json")
    assert committed.exists(), f"{committed.name} is missing: compile {source.name} into it"
    assert committed.read_text(encoding="utf-8") == dump_file(compiled)


@pytest.mark.parametrize("source", EXAMPLE_SOURCES, ids=lambda p: p.name)
def test_example_is_canonical(source: Path) -> None:
    text = source.read_text(encoding="utf-8")
    assert cpol.format_source(text, str(source)) == text


@pytest.mark.parametrize("source", EXAMPLE_SOURCES, ids=lambda p: p.name)
def test_example_json_loads_back(source: Path) -> None:
    text = source.with_suffix(".json").read_text(encoding="utf-8")
    assert cpol.to_json(cpol.load_json(text)) == json.loads(text)


def test_seed_json_is_the_seed_data() -> None:
    """Same keys and values (3 vs 3.0 included); the key order is normalised to SPEC §1."""
    seed = json.loads((SEED / "seed-policies.json").read_text(encoding="utf-8"))
    compiled = json.loads((SEED / "seed.json").read_text(encoding="utf-8"))
    assert sorted_keys(compiled) == sorted_keys(seed["data"])


def test_seed_cpol_is_the_decompiled_seed() -> None:
    seed = cpol.load_json((SEED / "seed-policies.json").read_text(encoding="utf-8"))
    assert (SEED / "seed.cpol").read_text(encoding="utf-8") == cpol.to_cpol(seed)


def test_all_rule_types_uses_every_rule_type() -> None:
    compiled = json.loads((EXAMPLES / "all_rule_types.json").read_text(encoding="utf-8"))
    assert {policy["ruleType"] for policy in compiled} == set(RULE_TYPES)


@pytest.mark.parametrize(
    "path",
    [SEED / "seed-policies.json", SEED / "api-list-response.json", EXAMPLES / "request.json"],
    ids=lambda p: p.name,
)
def test_shared_inputs_are_the_shared_files(path: Path) -> None:
    """The copies of the seed platform's files stay exact copies."""
    assert path.read_bytes() == (SHARED / path.name).read_bytes()


# -- docs/language.md --------------------------------------------------------------------
def test_doc_has_examples_of_every_rule_type() -> None:
    seen: set[str] = set()
    for block in DOC_BLOCKS:
        if block.lang == "cpol":
            seen.update(p["ruleType"] for p in compile_json(block.text))
    assert seen == set(RULE_TYPES)


def test_doc_blocks_are_tagged() -> None:
    untagged = [block.line for block in DOC_BLOCKS if not block.lang]
    assert not untagged, f"code blocks without a language on lines {untagged}"


def test_doc_json_is_all_checked() -> None:
    """No JSON example escapes the checks: each is an input or pairs with a .cpol block."""
    loose = [
        block.line
        for block in DOC_BLOCKS
        if block.lang == "json"
        and block.flags != ("input",)
        and (block.follows is None or block.follows.lang != "cpol")
    ]
    assert not loose, f"JSON blocks that follow no cpol block, on lines {loose}"


@pytest.mark.parametrize("block", _blocks(lang="cpol"))
def test_doc_cpol_compiles(block: Block) -> None:
    compile_json(block.text)


@pytest.mark.parametrize("block", _blocks(lang="cpol-error"))
def test_doc_cpol_error_fails(block: Block) -> None:
    with pytest.raises(cpol.Diagnostics):
        cpol.compile_source(block.text, ERROR_FILENAME)


@pytest.mark.parametrize("block", _blocks(lang="json", flags=("input",)))
def test_doc_json_input_loads(block: Block) -> None:
    cpol.load_json(block.text)


@pytest.mark.parametrize("block", _pairs("cpol", "json"))
def test_doc_json_is_the_compiled_policy(block: Block) -> None:
    assert block.follows is not None
    compiled = compile_json(block.follows.text)
    assert exact(json.loads(block.text)) == exact(one_or_all(block, compiled))


@pytest.mark.parametrize("block", _pairs("cpol", "json", ("config",)))
def test_doc_json_config_is_the_compiled_config(block: Block) -> None:
    assert block.follows is not None
    configs = [policy["config"] for policy in compile_json(block.follows.text)]
    assert exact(json.loads(block.text)) == exact(one_or_all(block, configs))


@pytest.mark.parametrize("block", _pairs("cpol", "cpol", ("fmt",)))
def test_doc_fmt_is_the_formatted_source(block: Block) -> None:
    assert block.follows is not None
    assert block.text == cpol.format_source(block.follows.text)


@pytest.mark.parametrize("block", _pairs("cpol-error", "text"))
def test_doc_diagnostics_are_real(block: Block) -> None:
    assert block.follows is not None
    with pytest.raises(cpol.Diagnostics) as caught:
        cpol.compile_source(block.follows.text, ERROR_FILENAME)
    assert block.text == str(caught.value) + "\n"


@pytest.mark.parametrize("block", _pairs("json", "cpol"))
def test_doc_decompiled_cpol_is_real(block: Block) -> None:
    assert block.follows is not None
    assert block.text == cpol.to_cpol(cpol.load_json(block.follows.text))
