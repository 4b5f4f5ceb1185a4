"""A Pygments lexer for `.cpol` (registered as `cpol` through the `pygments.lexers` entry point).

It classifies by what a word means in the sentence, not only by its spelling, so a reader
sees the policy's shape: the name after `policy` is a declaration, the word after `status`
a status value, the word after `stop when` a budget field, the string after `in` a time
zone, the words of a `meta` block, of a scope row `( … )` and of `use … with` keys. A word
the language does not know stays a plain `Name`, and text no token allows (a single-quoted
string, a stray character) is an `Error`, so a typo shows before `cpol check` runs.
editors/vscode/syntaxes/cpol.tmLanguage.json gives the same classes to the same text
(tests/highlight checks both over every example and standard-library file).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, cast

from pygments import lexer
from pygments.lexer import RegexLexer, default, include, words
from pygments.token import (
    Comment,
    Error,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Whitespace,
    _TokenType,
)

from cpol.compiler.lower import WEEKDAYS
from cpol.plan import SCOPE_KINDS

# The word literals of grammar/cpol.lark, by role (tests check their union is the grammar's).
DECLARATION_WORDS = ("policy",)
IMPORT_WORDS = ("use", "with")
STATEMENT_WORDS = (
    "description", "status", "priority", "applies", "to", "scopes", "scope", "meta",
    "cannot", "can", "be", "overridden",
)  # fmt: skip
RULE_WORDS = (
    "across", "after", "and", "because", "between", "block", "campaigns", "campaign", "cap",
    "contact", "cooldown", "cross", "customer", "do", "each", "excluding", "exclude",
    "exclusive", "for", "from", "in", "list", "metric", "mutually", "not", "no", "of", "only",
    "on", "override", "per", "reaches", "reach", "segments", "segment", "stop", "suppress",
    "until", "when", "within",
)  # fmt: skip
UNIT_WORDS = ("hours", "hour", "days", "day", "week", "month", "total")
CONSTANT_WORDS = ("null", "true", "false", "none")
OPERATORS = (">=", "<=", "==", ">", "<", "=", "..")

WORD = r"[A-Za-z_][A-Za-z0-9_]*"
GAP = r"[ \t]+"  # a word's role comes from a neighbour on its line, as in TextMate
_ESCAPE = r'\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})'

Rules = list[tuple[object, ...] | include | default]

# one token type per regex group (pygments' own bygroups, which its stubs leave untyped)
bygroups = cast(Callable[..., object], lexer.bygroups)


def _string(token: _TokenType) -> Rules:
    """The inside of a JSON-style string (the opening quote is already read), as `token`."""
    return [
        (r'[^"\\\x00-\x1f]+', token),
        (_ESCAPE, String.Escape),
        (r'"', token, "#pop"),
        (r"\n", Error, "#pop"),  # a string ends on its line: the rest is read afresh
        (r"\\.?|[\x00-\x1f]", Error),  # an unknown escape, a raw control character
    ]


def _keys(closing: str) -> Rules:
    """A `meta { … }` block or a scope row `( … )`: field names, then values, up to `closing`."""
    return [
        include("space"),
        (closing, Punctuation, "#pop"),
        (words(CONSTANT_WORDS, suffix=r"\b"), Keyword.Constant),
        (WORD, Name.Attribute),
        include("values"),
    ]


def _phrase(*parts: str, last: _TokenType = Keyword.Reserved) -> tuple[str, object]:
    """Words that read as one sentence opener (`cross channel cap`): each word keeps its role."""
    pattern = f"({GAP})".join(f"({part})" for part in parts) + r"\b"
    tokens = [Keyword.Reserved, Whitespace] * (len(parts) - 1) + [last]
    return pattern, bygroups(*tokens)


class CpolLexer(RegexLexer):
    """Contact policies written in the cpol language (`.cpol`)."""

    name = "cpol"
    aliases: ClassVar[list[str]] = ["cpol"]
    filenames: ClassVar[list[str]] = ["*.cpol"]
    mimetypes: ClassVar[list[str]] = ["text/x-cpol"]
    url = "https://pypi.org/project/cpol/"

    tokens: ClassVar[dict[str, Rules]] = {
        "root": [
            include("space"),
            (rf'(use)({GAP})(")', bygroups(Keyword.Namespace, Whitespace, Name.Namespace), "module"),
            (r"with\b", Keyword.Namespace, "use-args"),
            (rf'(policy)({GAP})(")', bygroups(Keyword.Declaration, Whitespace, Name.Function), "name"),
            (rf"(status)({GAP})({WORD})", bygroups(Keyword, Whitespace, Name.Constant)),
            _phrase("stop", "when", WORD, last=Name.Variable),
            _phrase("cross", "channel", "cap"),
            _phrase("category|customer", "cap"),
            _phrase("suppress", "category|subcategory"),
            _phrase("for", "each", WORD, last=Name.Builtin),
            (rf'(in)({GAP})(")', bygroups(Keyword.Reserved, Whitespace, String.Other), "timezone"),
            (r"(meta)([ \t]*)(\{)", bygroups(Keyword, Whitespace, Punctuation), "meta"),
            (r"\(", Punctuation, "row"),
            (words(DECLARATION_WORDS, suffix=r"\b"), Keyword.Declaration),
            (words(IMPORT_WORDS, suffix=r"\b"), Keyword.Namespace),
            (words(STATEMENT_WORDS, suffix=r"\b"), Keyword),
            (words(RULE_WORDS, suffix=r"\b"), Keyword.Reserved),
            (words(UNIT_WORDS, suffix=r"\b"), Keyword.Type),
            (words(SCOPE_KINDS, suffix=r"\b"), Name.Builtin),
            (words(CONSTANT_WORDS, suffix=r"\b"), Keyword.Constant),
            include("values"),
            (WORD, Name),
        ],
        "space": [
            (r"\s+", Whitespace),
            (r"#[ \t]*lint:[^\n]*", Comment.Special),  # a lint directive (docs/lint.md)
            (r"#[^\n]*", Comment.Single),
        ],
        "values": [
            (r'"', String.Double, "string"),
            (r"[0-9]+:[0-9]+", Number),  # a time of day, 8:00
            (r"-?[0-9]+(\.[0-9]+([eE][+-]?[0-9]+)?|[eE][+-]?[0-9]+)", Number.Float),
            (r"-?[0-9]+", Number.Integer),
            (r"(?i:" + "|".join(WEEKDAYS) + r")\b", Name.Constant),
            (words(OPERATORS), Operator),
            (r"[{}\[\](),]", Punctuation),
        ],
        "use-args": [
            include("space"),
            (words(CONSTANT_WORDS, suffix=r"\b"), Keyword.Constant),
            (r"(?!(?:use|policy)\b)" + WORD, Name.Attribute),
            include("values"),
            default("#pop"),  # the next `use` or `policy`
        ],
        "meta": _keys(r"\}"),
        "row": _keys(r"\)"),
        "string": _string(String.Double),
        "name": _string(Name.Function),
        "module": _string(Name.Namespace),
        "timezone": _string(String.Other),
    }
