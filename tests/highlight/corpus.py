"""The `.cpol` text both highlighters are held to: every file cpol ships and every ```cpol
block of the docs, all valid cpol, so any token left unclassified is a highlighter's gap."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pygments.token import Comment, Keyword, Name, Number, Operator, String, _TokenType

ROOT = Path(__file__).parents[2]
GRAMMAR = ROOT / "src" / "cpol" / "grammar" / "cpol.lark"
FILES = sorted(
    [
        *ROOT.glob("examples/*.cpol"),
        *ROOT.glob("src/cpol/stdlib_rules/**/*.cpol"),
        ROOT / "tests" / "fixtures" / "seed" / "seed.cpol",
    ]
)
# ```cpol and ```cpol fmt open a valid file; ```cpol-error blocks are not valid on purpose
BLOCK = re.compile(r"^```cpol(?:[ \t][^\n]*)?\n(.*?)^```$", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Sample:
    """One piece of `.cpol` text and where it comes from (the test id)."""

    name: str
    text: str


def _doc_blocks(page: Path) -> list[Sample]:
    text = page.read_text(encoding="utf-8")
    return [
        Sample(f"{page.relative_to(ROOT)}:{text.count(chr(10), 0, match.start()) + 1}", match.group(1))
        for match in BLOCK.finditer(text)
    ]


def samples() -> list[Sample]:
    """Every shipped `.cpol` file, then every ```cpol block of README.md and docs/."""
    files = [Sample(str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")) for path in FILES]
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    return files + [block for page in pages for block in _doc_blocks(page)]


def grammar_words() -> set[str]:
    """The words the grammar spells out (`"policy"`, `"cap"`…), comments left out."""
    code = "\n".join(line.split("//")[0] for line in GRAMMAR.read_text(encoding="utf-8").splitlines())
    return set(re.findall(r'"([a-z]+)"', code))


# Lines whose words take their role from their neighbours: (text, [(Pygments token, value)
# expected among its tokens]); the TextMate grammar must class them as the lexer does.
CONTEXTS: list[tuple[str, list[tuple[_TokenType, str]]]] = [
    (
        'use "fatigue/email_weekly_cap" with maxPerDay null, scopeId "e", x [1, 2.5e3, true]',
        [
            (Keyword.Namespace, "use"),
            (Name.Namespace, "fatigue/email_weekly_cap"),
            (Name.Attribute, "maxPerDay"),
            (Keyword.Constant, "null"),
            (Name.Attribute, "x"),
            (Number.Float, "2.5e3"),
            (Keyword.Constant, "true"),
        ],
    ),
    (
        'policy "Quiet \\"SMS\\"" { status paused only between 8:00 and 21 on Mon..sat in "Europe/Paris" }',
        [
            (Keyword.Declaration, "policy"),
            (Name.Function, "Quiet "),
            (String.Escape, '\\"'),
            (Name.Constant, "paused"),
            (Number, "8:00"),
            (Number.Integer, "21"),
            (Name.Constant, "Mon"),
            (Operator, ".."),
            (String.Other, "Europe/Paris"),
        ],
    ),
    (
        'stop when daily_spend reaches 5 for each offer\nmeta { tenantId "t" deletedAt null }',
        [
            (Name.Variable, "daily_spend"),
            (Name.Builtin, "offer"),
            (Name.Attribute, "tenantId"),
            (Keyword.Constant, "null"),
        ],
    ),
    (
        'applies to channel "c" (id "cps_1") cross channel cap 5 per week\ncategory cap 3 in total',
        [
            (Name.Builtin, "channel"),
            (Name.Attribute, "id"),
            (Keyword.Reserved, "channel"),
            (Keyword.Type, "week"),
            (Keyword.Reserved, "category"),
            (Keyword.Type, "total"),
        ],
    ),
    ("# lint: ignore CPL301 why\n# plain", [(Comment.Special, "# lint: ignore CPL301 why")]),
]

# Text a highlighter must flag (an error, or a word it does not know), not colour as valid.
MISTAKES = [
    "policy 'single quotes' {}",
    'policy "a" { description "bad \\q escape" }',
    'policy "a" { cap 3 per week @ }',
    'policy "unterminated {\n  cap 1 per day\n}',
    'policy "a" { stauts active }',  # a misspelt keyword is a plain name
]
