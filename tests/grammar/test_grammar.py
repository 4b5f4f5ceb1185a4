"""The grammar itself: conflict-free LALR, one cached parser, keywords that stay keywords."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from lark import Lark, Tree
from lark.exceptions import UnexpectedInput

from cpol.compiler.builder import AstBuilder
from cpol.grammar.parser import STATEMENT_HEADS, get_parser, grammar_text, parse

EXAMPLES = Path(__file__).parents[2] / "examples"


def _lalr_conflicts(grammar: str, caplog: pytest.LogCaptureFixture) -> list[str]:
    """Shift/reduce conflicts Lark resolves silently (it logs them in debug mode)."""
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="lark"):
        Lark(grammar, parser="lalr", lexer="basic", keep_all_tokens=True, debug=True)
    return [r.getMessage() for r in caplog.records if "conflict" in r.getMessage()]


def test_grammar_has_no_lalr_conflicts(caplog: pytest.LogCaptureFixture) -> None:
    assert _lalr_conflicts(grammar_text(), caplog) == []


def test_the_conflict_check_sees_a_conflict(caplog: pytest.LogCaptureFixture) -> None:
    ambiguous = 'start: e\ne: e "+" e | "n"\n'
    assert _lalr_conflicts(ambiguous, caplog)


def test_parser_is_built_once_per_builder() -> None:
    assert get_parser(AstBuilder) is get_parser(AstBuilder)
    assert get_parser(None) is not get_parser(AstBuilder)


def test_bare_parser_gives_a_parse_tree_of_the_examples() -> None:
    text = (EXAMPLES / "all_rule_types.cpol").read_text(encoding="utf-8")
    tree = get_parser(None).parse(text)
    assert isinstance(tree, Tree)
    blocks = [line for line in text.splitlines() if line.startswith("policy ")]
    assert sum(1 for _ in tree.find_data("policy")) == len(blocks)


def test_every_statement_head_is_a_terminal_of_the_grammar() -> None:
    names = {terminal.name for terminal in get_parser(AstBuilder).terminals}
    assert names >= STATEMENT_HEADS


@pytest.mark.parametrize("text", ['policy "a" { cap 3 per week', "policy", '"x"', "{}"])
def test_bad_text_never_escapes_as_a_lark_exception(text: str) -> None:
    outcome = parse(text, "t.cpol", AstBuilder)
    assert outcome.diagnostics, text
    with pytest.raises(UnexpectedInput):
        get_parser(None).parse(text)


def test_every_named_rule_has_a_builder_callback() -> None:
    """A rule without a callback becomes a generic tree that the builder skips, dropping
    what the user wrote (a `cap 3 per 14 days` once lowered to nothing this way)."""
    named = {
        str(rule.alias or rule.origin.name)
        for rule in get_parser(None).rules
        if not (rule.options.expand1 and len(rule.expansion) == 1)
    }
    missing = sorted(n for n in named if not n.startswith("_") and not hasattr(AstBuilder, n))
    assert missing == []
