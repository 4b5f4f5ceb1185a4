"""`# lint: ignore CODE[, CODE…] justification`: what a directive suppresses, and its own findings.

Each case is checked against the same set without the directive, so that a test cannot pass
because the finding never fired in the first place.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cpol.compiler.ast import Comment
from cpol.compiler.source import Source
from cpol.diagnostics import Span
from cpol.formatter import scan_comments
from cpol.lint import Finding, lint
from cpol.lint.directives import read_directive
from cpol.policyset import load_policy_set

from .helpers import codes, lint_cpol, policy

EMAIL = 'applies to channel "ch_email"'
NEWER = policy("Email cap", EMAIL, "cap 1 per day, 3 per week")
OLDER = policy("Email cap (older shape)", EMAIL, "cap 3 per 7 days")
OLDEST = policy("Email cap (oldest shape)", EMAIL, "cap 4 per 7 days")
LAUNCH = policy("Launch week", "priority 90", 'override because "launch"')
TIED_CAP = policy("Cap", "priority 90", "cap 3 per week")
WHY = "the mobile app still reads the older shape"


def directive(line: str, text: str) -> str:
    """`text` (one policy) with a comment line directly above its `policy` line."""
    return f"{line}\n{text}"


def shown(findings: list[Finding]) -> list[tuple[str, str]]:
    """(code, primary policy) of the findings no directive suppressed."""
    return [(f.code.code, f.primary.policy_name) for f in findings if f.suppressed is None]


def suppressed(findings: list[Finding]) -> list[tuple[str, str, str]]:
    return [
        (f.code.code, f.primary.policy_name, f.suppressed.justification) for f in findings if f.suppressed
    ]


# -- what a directive suppresses ----------------------------------------------------------------


def test_suppresses_the_named_code_on_its_policy_only() -> None:
    plain = lint_cpol(NEWER, OLDER)
    assert shown(plain) == [("CPL301", "Email cap (older shape)")]
    found = lint_cpol(NEWER, directive(f"# lint: ignore CPL301 {WHY}", OLDER))
    assert shown(found) == []
    assert suppressed(found) == [("CPL301", "Email cap (older shape)", WHY)]
    assert found[0].suppressed is not None and found[0].suppressed.directive.location == "set.cpol:6:1"


def test_another_policy_with_the_same_code_still_fires() -> None:
    found = lint_cpol(NEWER, directive(f"# lint: ignore CPL301 {WHY}", OLDER), OLDEST)
    assert shown(found) == [("CPL301", "Email cap (oldest shape)")]
    assert [name for _, name, _ in suppressed(found)] == ["Email cap (older shape)"]


def test_another_code_on_the_same_policy_still_fires() -> None:
    plain = lint_cpol(TIED_CAP, LAUNCH)
    assert shown(plain) == [("CPL402", "Launch week"), ("CPL501", "Launch week")]
    found = lint_cpol(TIED_CAP, directive("# lint: ignore CPL501 a launch, for one week", LAUNCH))
    assert shown(found) == [("CPL402", "Launch week")]
    assert suppressed(found) == [("CPL501", "Launch week", "a launch, for one week")]


def test_several_codes() -> None:
    found = lint_cpol(TIED_CAP, directive("# lint: ignore CPL402, CPL501 a launch, for one week", LAUNCH))
    assert shown(found) == []
    assert [code for code, _, _ in suppressed(found)] == ["CPL402", "CPL501"]


def test_a_finding_that_only_names_the_policy_in_a_note_is_not_suppressed() -> None:
    """The directive is on the stronger policy, which the finding only mentions."""
    found = lint_cpol(directive(f"# lint: ignore CPL301 {WHY}", NEWER), OLDER)
    assert shown(found) == [("CPL902", "Email cap"), ("CPL301", "Email cap (older shape)")]


@pytest.mark.parametrize(
    "text",
    [
        f"# Kept on purpose.\n# lint: ignore CPL301 {WHY}\n# More words after it.\n{OLDER}",
        OLDER.replace("{\n", f"{{  # lint: ignore CPL301 {WHY}\n", 1),
        f"#lint:ignore CPL301: {WHY}\n{OLDER}",
    ],
    ids=["in the comment block", "on the policy line", "tight spelling"],
)
def test_where_and_how_it_may_be_written(text: str) -> None:
    found = lint_cpol(NEWER, text)
    assert shown(found) == []
    assert suppressed(found) == [("CPL301", "Email cap (older shape)", WHY)]


def test_a_blank_line_detaches_it() -> None:
    found = lint_cpol(NEWER, f"# lint: ignore CPL301 {WHY}\n\n{OLDER}")
    assert shown(found) == [("CPL301", "Email cap (older shape)"), ("CPL902", "Email cap (older shape)")]
    stray = found[-1]
    assert stray.severity == "info"
    assert stray.primary.location == "set.cpol:6:1"
    assert "not directly above a policy" in stray.message


def test_a_directive_inside_a_policy_applies_to_nothing() -> None:
    inside = OLDER.replace("  cap", f"  # lint: ignore CPL301 {WHY}\n  cap")
    found = lint_cpol(NEWER, inside)
    assert shown(found) == [("CPL301", "Email cap (older shape)"), ("CPL902", "Email cap (older shape)")]
    assert found[-1].primary.location == "set.cpol:8:3"


# -- the directives' own findings ------------------------------------------------------------


def test_unknown_code_is_a_warning_at_the_code_with_a_hint() -> None:
    found = lint_cpol(NEWER, directive(f"# lint: ignore CPL31, CPL301 {WHY}", OLDER))
    assert shown(found) == [("CPL901", "Email cap (older shape)")]
    unknown = found[-1]
    assert unknown.severity == "warning"
    assert unknown.primary.location == "set.cpol:6:16"
    assert unknown.message == "lint directive names unknown code `CPL31`; did you mean `CPL301`?"
    assert suppressed(found) == [("CPL301", "Email cap (older shape)", WHY)]  # the known code still works


def test_unknown_code_far_from_every_code_has_no_hint() -> None:
    found = lint_cpol(NEWER, directive(f"# lint: ignore noqa {WHY}", OLDER))
    assert shown(found) == [("CPL301", "Email cap (older shape)"), ("CPL901", "Email cap (older shape)")]
    assert found[-1].message == "lint directive names unknown code `noqa`"


@pytest.mark.parametrize(
    ("line", "message", "column"),
    [
        ("# lint: ignore", "lint directive names no code", 1),
        ("# lint: disable CPL301", "unknown lint directive `disable`: the only one is", 1),
        ("# lint: ignore CPL302 CPL301 twice", "`CPL301` is read as the start of the justification", 23),
    ],
    ids=["no code", "another verb", "no comma"],
)
def test_unreadable_directives(line: str, message: str, column: int) -> None:
    found = lint_cpol(NEWER, directive(line, OLDER))
    invalid = [f for f in found if f.code.code == "CPL901"]
    assert len(invalid) == 1 and invalid[0].message.startswith(message)
    assert invalid[0].primary.location == f"set.cpol:6:{column}"
    assert ("CPL301", "Email cap (older shape)") in shown(found)


def test_unused_directive_is_an_info() -> None:
    found = lint_cpol(directive(f"# lint: ignore CPL301 {WHY}", OLDER))
    assert shown(found) == [("CPL902", "Email cap (older shape)")]
    unused = found[0]
    assert (unused.severity, unused.primary.location) == ("info", "set.cpol:1:1")
    assert (
        unused.message == 'unused lint directive: "Email cap (older shape)" has no CPL301 finding to suppress'
    )
    assert unused.fix == "delete the directive"


def test_an_unused_code_of_a_used_directive_is_reported() -> None:
    found = lint_cpol(NEWER, directive(f"# lint: ignore CPL301, CPL401 {WHY}", OLDER))
    assert shown(found) == [("CPL902", "Email cap (older shape)")]
    assert found[-1].fix == "remove CPL401 from the directive"


def test_ordinary_comments_are_not_directives() -> None:
    text = directive("# lint rules: see the wiki; we ignore CPL301 elsewhere", OLDER)
    assert shown(lint_cpol(NEWER, text)) == [("CPL301", "Email cap (older shape)")]


# -- imported policies ---------------------------------------------------------------------------


@pytest.fixture
def module(tmp_path: Path) -> Path:
    """A module whose older cap says, in the module, that it is kept on purpose."""
    (tmp_path / "caps.cpol").write_text(
        NEWER + "\n" + directive(f"# lint: ignore CPL301 {WHY}", OLDER), encoding="utf-8"
    )
    return tmp_path


def lint_file(path: Path) -> list[Finding]:
    return lint(load_policy_set([(path.read_text(encoding="utf-8"), str(path))]))


def test_imported_policies_carry_their_directives(module: Path) -> None:
    (module / "main.cpol").write_text('use "caps.cpol"\n', encoding="utf-8")
    found = lint_file(module / "main.cpol")
    assert shown(found) == []
    assert suppressed(found) == [("CPL301", "Email cap (older shape)", WHY)]
    directive_place = found[0].suppressed.directive if found[0].suppressed else None
    assert directive_place is not None and directive_place.location == f"{module / 'caps.cpol'}:6:1"


def test_a_module_directive_unused_where_imported_is_not_reported(module: Path) -> None:
    """Imported paused, the older cap is redundant to nothing: its directive has nothing to do."""
    (module / "main.cpol").write_text('use "caps.cpol" with status "paused"\n', encoding="utf-8")
    found = lint_file(module / "main.cpol")
    assert codes(found) == ["CPL103", "CPL103"]
    assert suppressed(found) == []


def test_an_unknown_code_in_a_module_is_reported_at_the_module(tmp_path: Path) -> None:
    (tmp_path / "caps.cpol").write_text(directive(f"# lint: ignore CPL31 {WHY}", OLDER), encoding="utf-8")
    (tmp_path / "main.cpol").write_text('use "caps.cpol"\n', encoding="utf-8")
    found = lint_file(tmp_path / "main.cpol")
    assert [(f.code.code, f.primary.location) for f in found] == [
        ("CPL901", f"{tmp_path / 'caps.cpol'}:1:16")
    ]


# -- reading one comment -------------------------------------------------------------------------


def read(text: str) -> tuple[list[str], str, list[str]]:
    [comment] = scan_comments(text)
    found = read_directive(comment, Source(text, "x.cpol"))
    assert found is not None
    return [code for code, _ in found.codes], found.justification, [p.message for p in found.problems]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("# lint: ignore CPL301 kept", (["CPL301"], "kept", [])),
        ("# lint: ignore CPL301,CPL401 — kept, on purpose", (["CPL301", "CPL401"], "kept, on purpose", [])),
        ("# lint: ignore CPL301 ,  CPL401: kept", (["CPL301", "CPL401"], "kept", [])),
        ("# lint: ignore CPL301", (["CPL301"], "", [])),
    ],
)
def test_reading(text: str, expected: tuple[list[str], str, list[str]]) -> None:
    assert read(text) == expected


def test_a_comment_that_is_not_a_directive() -> None:
    comment = Comment("# linting is done in CI", Span(0, 23, 1, 1, 1, 24), True)
    assert read_directive(comment, Source(comment.text)) is None
