"""Golden diagnostics cases, shared by the `.cpol` compiler's and the JSON loader's tests.

A case is a bad input `NN_short_name.<suffix>` next to `NN_short_name.expected`, the exact
text of `str(cpol.Diagnostics)` for it followed by one newline. Cases listed as known bad
are library bugs: their `.expected` file says what the output *should* be and they are
marked `xfail(strict=True)`, so fixing the bug makes the test fail until the case is taken
off the list.

`CPOL_UPDATE_GOLDEN=1` rewrites the `.expected` files from the actual output (never those
of known-bad cases); review the diff. The switch is off unless the variable is exactly `1`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

UPDATE = os.environ.get("CPOL_UPDATE_GOLDEN") == "1"
CASE_NAME = re.compile(r"^\d{2}_[a-z0-9_]+$")
HINT = "  hint: "


@dataclass(frozen=True)
class GoldenCases:
    """The cases of one folder whose inputs end in `suffix`."""

    folder: Path
    suffix: str
    known_bad: dict[str, str] = field(default_factory=dict)  # case name: what is wrong

    def names(self) -> list[str]:
        return sorted(p.stem for p in self.folder.glob(f"*{self.suffix}") if CASE_NAME.match(p.stem))

    def params(self) -> list[object]:
        """One pytest parameter per case, the known-bad ones marked as strict xfails."""
        return [
            pytest.param(
                name,
                marks=[pytest.mark.xfail(strict=True, reason=self.known_bad[name])]
                if name in self.known_bad
                else [],
                id=name,
            )
            for name in self.names()
        ]

    def expected(self, name: str) -> str:
        path = self.folder / f"{name}.expected"
        assert path.exists(), f"missing {path.name} (set CPOL_UPDATE_GOLDEN=1 to create it)"
        return path.read_text(encoding="utf-8")

    def check_rendered(self, name: str, actual: str) -> None:
        """The rendered diagnostics equal the `.expected` file (rewriting it first on update)."""
        if UPDATE and name not in self.known_bad:
            (self.folder / f"{name}.expected").write_text(actual, encoding="utf-8")
        assert actual == self.expected(name)

    def check_inventory(self, minimum: int) -> None:
        """Enough cases, unique numbers, no stray files, known-bad names that exist."""
        names = self.names()
        assert len(names) >= minimum
        assert len({name[:2] for name in names}) == len(names), "case numbers must be unique"
        for known in self.known_bad:
            assert known in names, f"the known-bad list names a case that does not exist: {known}"
        for path in self.folder.iterdir():
            assert path.name.split(".")[0] in names, f"stray file in {self.folder.name}/: {path.name}"


def header_blocks(text: str, header: re.Pattern[str]) -> list[tuple[re.Match[str], str | None]]:
    """Each diagnostic of a rendered text: its header line's match and its hint, if any.

    A block starts at a line that matches `header` and is not indented (source lines, carets
    and hints are) and runs to the next one."""
    blocks: list[list[str]] = []
    for line in text.rstrip("\n").split("\n"):
        if not line.startswith("  ") and header.match(line):
            blocks.append([line])
        else:
            assert blocks, f"text before the first diagnostic: {line!r}"
            blocks[-1].append(line)
    out = []
    for block in blocks:
        match = header.match(block[0])
        assert match is not None
        last = block[-1] if len(block) > 1 else ""
        out.append((match, last.removeprefix(HINT) if last.startswith(HINT) else None))
    return out
