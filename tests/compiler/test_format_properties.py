"""Properties of `cpol fmt` on sources laid out the way people type them (hypothesis).

Sources are decompiled random plans, then perturbed: statements, clauses and meta fields
reordered, non-canonical spellings (`8` for `8:00`, `hour`, `reaches`, `==`, bracketed
lists, `mon, tue, wed` for `mon..wed`, ...), random whitespace and line breaks between
tokens, and `# comments` on their own lines and at line ends (see `perturbed_sources`).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from hypothesis import given

import cpol
from tests.strategies import CpolSource, comments_of, lex, perturbed_sources


def plan_of(text: str) -> list[dict[str, Any]]:
    return cpol.to_json(cpol.compile_source(text))


def assert_same_json(actual: object, expected: object) -> None:
    assert actual == expected
    assert json.dumps(actual, sort_keys=True) == json.dumps(expected, sort_keys=True)


@given(perturbed_sources())
def test_perturbed_source_still_means_its_plan(source: CpolSource) -> None:
    """The generator's own premise: every perturbation is valid and changes no meaning."""
    assert Counter(comments_of(source.text)) == Counter(c.rstrip() for c in source.comments)
    assert_same_json(plan_of(source.text), source.plan)


@given(perturbed_sources())
def test_format_is_idempotent(source: CpolSource) -> None:
    formatted = cpol.format_source(source.text)
    assert cpol.format_source(formatted) == formatted


@given(perturbed_sources())
def test_format_keeps_the_meaning(source: CpolSource) -> None:
    formatted = cpol.format_source(source.text)
    assert_same_json(plan_of(formatted), plan_of(source.text))


@given(perturbed_sources())
def test_format_keeps_every_comment(source: CpolSource) -> None:
    formatted = cpol.format_source(source.text)
    assert Counter(comments_of(formatted)) == Counter(comments_of(source.text))


@given(perturbed_sources())
def test_format_of_a_comment_free_source_is_the_decompiled_text(source: CpolSource) -> None:
    """Without comments, formatting any layout gives exactly the canonical printout."""
    tokens_only = " ".join(text for _, text in lex(source.text))
    assert cpol.format_source(tokens_only) == cpol.to_cpol(cpol.load_json(source.plan))
