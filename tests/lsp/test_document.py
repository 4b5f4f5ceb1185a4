"""The block-wise analysis says what the whole-file compiler says, and the tolerant scanner
reads the tokens the grammar's lexer reads; the hover texts are the docs' own."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from cpol.compiler.compile import compile_located
from cpol.diagnostics import Diagnostics
from cpol.grammar.parser import get_parser
from cpol.lsp.document import Compiler, analyse
from cpol.lsp.language import SENTENCES, STATEMENTS
from cpol.lsp.tokens import scan

ROOT = Path(__file__).parents[2]
EXAMPLE = (ROOT / "examples" / "all_rule_types.cpol").read_text(encoding="utf-8")
NAME = str(ROOT / "examples" / "edited.cpol")
PIECES = ["}", "{", '"', 'policy "x" {', "\n", "cpa", " cap 3 per week ", "#", "status actve\n", ""]


def _whole(text: str) -> list[str]:
    try:
        compile_located([(text, NAME)])
    except Diagnostics as problems:
        return [d.render() for d in problems.items]
    return []


@st.composite
def edited(draw: st.DrawFn) -> str:
    """The example file after a few edits such as a user makes while typing."""
    text = EXAMPLE
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        cut = draw(st.integers(0, 12))
        text = text[:at] + draw(st.sampled_from(PIECES)) + text[at + cut :]
    return text


@given(edited())
def test_blocks_report_what_the_whole_file_reports(text: str) -> None:
    """Every diagnostic of the whole-file compile, at the same place with the same words.

    The blocks may say more: when recovery from a syntax error unwinds past earlier policies,
    the whole-file parse drops their lowering errors (an `8:30` before it), which a block
    compiled alone still reports. On text that parses, they say exactly the same.
    """
    blocks = [d.render() for d in analyse(text, Compiler(NAME)).diagnostics]
    whole = _whole(text)
    assert set(whole) <= set(blocks)
    if not any("unexpected" in line or "missing" in line or "unknown word" in line for line in blocks):
        assert blocks == whole


def test_an_edit_recompiles_only_its_block() -> None:
    compiler = Compiler(NAME)
    before = analyse(EXAMPLE, compiler)
    after = analyse(EXAMPLE.replace("cooldown 48 hours", "cooldown 47 hours"), compiler)
    pairs = zip(before.blocks[1:], after.blocks[1:], strict=True)  # the header is compiled every time
    changed = [b for a, b in pairs if a.compiled is not b.compiled]
    assert len(before.blocks) > 10 and len(changed) == 1 and "cooldown 47 hours" in changed[0].compiled.text


def test_the_scanner_reads_the_lexers_tokens() -> None:
    for path in [
        ROOT / "examples" / "all_rule_types.cpol",
        *(ROOT / "src" / "cpol" / "stdlib_rules").rglob("*.cpol"),
    ]:
        text = path.read_text(encoding="utf-8")
        lexed = [str(token) for token in get_parser().lex(text)]
        scanned = [token.text for token in scan(text) if token.kind != "comment"]
        assert scanned == lexed, path


def _anchors(markdown: str) -> set[str]:
    """GitHub's anchors for the headings of a page."""
    headings = re.findall(r"^#+ (.+)$", markdown, re.M)
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}


def test_hover_texts_are_the_reference_s_own() -> None:
    language = (ROOT / "docs" / "language.md").read_text(encoding="utf-8")
    flat = " ".join(language.split())
    anchors = _anchors(language)
    for entry in [*SENTENCES.values(), *STATEMENTS.values()]:
        assert entry.anchor in anchors, entry.anchor
    for rule, entry in SENTENCES.items():
        assert entry.summary in flat, rule
