"""The VS Code TextMate grammar, run by VS Code's own engine (vscode-textmate and
vscode-oniguruma, installed by `npm ci` from editors/vscode/test/package-lock.json and run by
Node.js): every shipped `.cpol` file and docs block gets a scope for every token, and the
same class, character by character, as the Pygments lexer gives it; mistakes are flagged.
Without Node.js and npm the test fails and says so: the grammar would go untested."""

from __future__ import annotations

import bisect
import json
import shutil
import subprocess
from collections.abc import Callable, Iterator

import pytest
from pygments.token import (
    Comment,
    Error,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    _TokenType,
    is_token_subtype,
)

from cpol.highlight import CpolLexer
from cpol.plan import SCOPE_KINDS
from tests.highlight.corpus import CONTEXTS, MISTAKES, ROOT, Sample, grammar_words, samples

EXTENSION = ROOT / "editors" / "vscode"
HARNESS = EXTENSION / "test"
Scopes = list[str]
Lines = list[list[tuple[int, int, Scopes]]]

# One class per role, and how each highlighter names it (first match wins).
TEXTMATE_CLASSES = [
    ("comment", "comment"),
    ("invalid", "error"),
    ("constant.character.escape", "escape"),
    ("entity.name.function.policy", "policy name"),
    ("entity.name.namespace.module", "module"),
    ("constant.other.timezone", "time zone"),
    ("string", "string"),
    ("constant.numeric.time", "time of day"),
    ("constant.numeric", "number"),
    ("keyword.other.unit", "unit"),
    ("constant.language", "constant"),
    ("constant.other", "enumerated value"),
    ("keyword.operator", "operator"),
    ("keyword.declaration", "declaration"),
    ("keyword.control.import", "import"),
    ("keyword.other.statement", "statement"),
    ("keyword.control.rule", "rule sentence"),
    ("support.type.scope-kind", "scope kind"),
    ("variable.other.budget-field", "budget field"),
    ("variable.other.property", "key"),
    ("variable.parameter.key", "key"),
    ("punctuation", "punctuation"),
    ("variable.other.word", "unknown word"),
]
PYGMENTS_CLASSES: list[tuple[_TokenType, str]] = [
    (Comment, "comment"),
    (Error, "error"),
    (String.Escape, "escape"),
    (Name.Function, "policy name"),
    (Name.Namespace, "module"),
    (String.Other, "time zone"),
    (String, "string"),
    (Number.Integer, "number"),
    (Number.Float, "number"),
    (Number, "time of day"),
    (Keyword.Type, "unit"),
    (Keyword.Constant, "constant"),
    (Name.Constant, "enumerated value"),
    (Operator, "operator"),
    (Keyword.Declaration, "declaration"),
    (Keyword.Namespace, "import"),
    (Keyword.Reserved, "rule sentence"),
    (Keyword, "statement"),
    (Name.Builtin, "scope kind"),
    (Name.Variable, "budget field"),
    (Name.Attribute, "key"),
    (Punctuation, "punctuation"),
    (Name, "unknown word"),
]
UNCOLOURED = {"unknown word", "error", None}


def _ready(command: str) -> str:
    found = shutil.which(command)
    if found is None:
        pytest.fail(
            f"`{command}` is not installed: the TextMate grammar is tested with VS Code's engine "
            "(vscode-textmate) run by Node.js; install Node.js 18+ with npm"
        )
    return found


@pytest.fixture(scope="module")
def tokenize() -> Callable[[list[str]], list[Lines]]:
    """Installs the harness's locked packages (once per lockfile) and returns its tokenizer."""
    node, npm = _ready("node"), _ready("npm")
    installed = HARNESS / "node_modules" / ".package-lock.json"
    lock = HARNESS / "package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=HARNESS,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, f"npm ci in {HARNESS} failed:\n{done.stderr}"

    def run(texts: list[str]) -> list[Lines]:
        done = subprocess.run(
            [node, str(HARNESS / "tokenize.js")],
            input=json.dumps(texts),
            capture_output=True,
            text=True,
            encoding="utf-8",
            check=False,
        )
        assert done.returncode == 0, done.stderr
        result: list[Lines] = json.loads(done.stdout)
        return result

    return run


def textmate_class(scopes: Scopes) -> str | None:
    for prefix, name in TEXTMATE_CLASSES:
        if any(scope.startswith(prefix) for scope in scopes):
            return name
    return None  # the bare source.cpol


def pygments_class(kind: _TokenType) -> str | None:
    return next((name for token, name in PYGMENTS_CLASSES if is_token_subtype(kind, token)), None)


def visible(text: str) -> Iterator[tuple[int, int, str]]:
    """(line, column, character) of every character a reader sees, quotes aside (a string's
    quotes are punctuation to TextMate and part of the string to Pygments)."""
    for number, line in enumerate(text.split("\n")):
        for column, char in enumerate(line):
            if not char.isspace() and char != '"':
                yield number, column, char


def textmate_classes(lines: Lines) -> dict[tuple[int, int], str | None]:
    return {
        (number, column): textmate_class(scopes)
        for number, tokens in enumerate(lines)
        for start, end, scopes in tokens
        for column in range(start, end)
    }


def pygments_classes(text: str) -> dict[tuple[int, int], str | None]:
    starts = [0]
    for line in text.split("\n"):
        starts.append(starts[-1] + len(line) + 1)
    found: dict[tuple[int, int], str | None] = {}
    for index, kind, value in CpolLexer().get_tokens_unprocessed(text):
        for offset in range(index, index + len(value)):
            number = bisect.bisect_right(starts, offset) - 1
            found[(number, offset - starts[number])] = pygments_class(kind)
    return found


def disagreements(text: str, lines: Lines) -> list[str]:
    """Characters the two highlighters class differently, or that either leaves uncoloured."""
    textmate, pygments = textmate_classes(lines), pygments_classes(text)
    return [
        f"{number + 1}:{column + 1} {char!r}: TextMate {textmate.get((number, column))}, "
        f"Pygments {pygments.get((number, column))}"
        for number, column, char in visible(text)
        if textmate.get((number, column)) in UNCOLOURED
        or textmate.get((number, column)) != pygments.get((number, column))
    ]


SAMPLES = samples()


@pytest.fixture(scope="module")
def corpus_tokens(tokenize: Callable[[list[str]], list[Lines]]) -> dict[str, Lines]:
    """The whole corpus through one Node.js process."""
    return dict(zip([s.name for s in SAMPLES], tokenize([s.text for s in SAMPLES]), strict=True))


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda sample: sample.name)
def test_every_token_is_classified_as_pygments_does(sample: Sample, corpus_tokens: dict[str, Lines]) -> None:
    lines = corpus_tokens[sample.name]
    bare = [
        (number + 1, sample.text.split("\n")[number][start:end])
        for number, tokens in enumerate(lines)
        for start, end, scopes in tokens
        if scopes == ["source.cpol"] and sample.text.split("\n")[number][start:end].strip()
    ]
    assert bare == [], "tokens with no scope but source.cpol"
    assert disagreements(sample.text, lines) == []


def test_every_grammar_word_is_known(tokenize: Callable[[list[str]], list[Lines]]) -> None:
    known = sorted(grammar_words() | set(SCOPE_KINDS))
    for word, lines in zip(known, tokenize(known), strict=True):
        assert disagreements(word, lines) == [], word


def test_words_take_the_role_of_their_place(tokenize: Callable[[list[str]], list[Lines]]) -> None:
    texts = [text for text, _ in CONTEXTS]
    for text, lines in zip(texts, tokenize(texts), strict=True):
        assert disagreements(text, lines) == [], text


def test_a_mistake_shows(tokenize: Callable[[list[str]], list[Lines]]) -> None:
    for text, lines in zip(MISTAKES, tokenize(MISTAKES), strict=True):
        classes = textmate_classes(lines).values()
        assert "error" in classes or "unknown word" in classes, text


def test_the_extension_contributes_the_grammar() -> None:
    manifest = json.loads((EXTENSION / "package.json").read_text(encoding="utf-8"))
    contributes = manifest["contributes"]
    assert contributes["languages"][0]["id"] == "cpol"
    assert ".cpol" in contributes["languages"][0]["extensions"]
    grammar = contributes["grammars"][0]
    assert grammar["language"] == "cpol" and grammar["scopeName"] == "source.cpol"
    path = EXTENSION / grammar["path"]
    assert json.loads(path.read_text(encoding="utf-8"))["scopeName"] == "source.cpol"
    config = json.loads((EXTENSION / contributes["languages"][0]["configuration"]).read_text("utf-8"))
    assert config["comments"]["lineComment"] == "#"
