"""The `.cpol` text both highlighters are held to: every file cpol ships and every ```cpol
block of the docs, all valid cpol, so any token left unclassified is a highlighter's gap."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

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
