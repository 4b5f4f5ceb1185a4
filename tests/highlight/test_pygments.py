"""The Pygments lexer: every shipped `.cpol` file and docs block is fully classified, each word
of the grammar has a role, words get the role their place in the sentence gives them, and
Pygments finds the lexer by name and file name through the installed entry point."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
from pygments.token import (
    Error,
    Name,
    Text,
    _TokenType,
    is_token_subtype,
)

from cpol.highlight import CpolLexer
from cpol.highlight import pygments_lexer as lexer
from cpol.plan import SCOPE_KINDS
from tests.highlight.corpus import CONTEXTS, FILES, MISTAKES, Sample, grammar_words, samples


def tokens(text: str) -> list[tuple[_TokenType, str]]:
    """The tokens that show: whitespace is left out, unless it is an error (a string's line end)."""
    return [
        (kind, value)
        for kind, value in CpolLexer().get_tokens(text)
        if value.strip() or is_token_subtype(kind, Error)
    ]


def unclassified(text: str) -> list[tuple[_TokenType, str]]:
    """Tokens a reader would see uncoloured or flagged: plain text, errors, unknown words."""
    return [
        (kind, value)
        for kind, value in tokens(text)
        if any(is_token_subtype(kind, bad) for bad in (Text, Error)) or kind is Name
    ]


@pytest.mark.parametrize("sample", samples(), ids=lambda sample: sample.name)
def test_every_token_is_classified(sample: Sample) -> None:
    assert unclassified(sample.text) == []


def test_the_corpus_holds_every_shipped_file() -> None:
    assert len(FILES) >= 11 and len(samples()) > 50


def test_every_grammar_word_has_one_role() -> None:
    roles = [
        lexer.DECLARATION_WORDS, lexer.IMPORT_WORDS, lexer.STATEMENT_WORDS, lexer.RULE_WORDS,
        lexer.UNIT_WORDS, lexer.CONSTANT_WORDS, SCOPE_KINDS,
    ]  # fmt: skip
    listed = [word for role in roles for word in role]
    assert len(listed) == len(set(listed)), "a word in two roles"
    assert grammar_words() <= set(listed)
    assert set(listed) - set(SCOPE_KINDS) <= grammar_words(), "a role lists a word the grammar lacks"
    for word in listed:
        assert unclassified(word) == [], word


@pytest.mark.parametrize(("text", "expected"), CONTEXTS, ids=lambda value: str(value)[:30])
def test_a_word_gets_the_role_of_its_place(text: str, expected: list[tuple[_TokenType, str]]) -> None:
    found = tokens(text)
    assert [pair for pair in expected if pair not in found] == []
    assert unclassified(text) == []


@pytest.mark.parametrize("text", MISTAKES)
def test_a_mistake_shows(text: str) -> None:
    assert unclassified(text) != []


def test_pygments_finds_the_lexer_by_name_and_file_name() -> None:
    assert isinstance(get_lexer_by_name("cpol"), CpolLexer)
    assert isinstance(get_lexer_for_filename("policies.cpol"), CpolLexer)


def test_pygmentize_highlights_a_file_through_the_entry_point() -> None:
    """What a docs build does: Pygments' own command line, told only the language name."""
    done = subprocess.run(
        [sys.executable, "-m", "pygments", "-l", "cpol", "-f", "html", str(FILES[0])],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert '<span class="kd">policy</span>' in done.stdout
    assert 'class="err"' not in done.stdout
