"""The runner: policies from files and `use`, expectations checked, problems at YAML lines."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from cpol.testing.runner import FileRun, discover, run_file

POLICIES = """\
policy "Email cap" {
  priority 80
  scope channel "ch_email"
  cap 1 per day, 3 per week
}

policy "Minors" {
  priority 95
  exclude segments "seg_minors"
}

policy "VIP" {
  scope offer "off_vip"
  override because "VIP"
}

policy "Rest after contact" {
  meta { id "cp_rest" }
  cooldown 48 hours
}
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def run(folder: Path, tests: str, *, policies: str = POLICIES) -> FileRun:
    write(folder, "bank.cpol", policies)
    header = "policies: [bank.cpol]\nnow: 2026-03-20T14:00:00Z\n"
    path = write(folder, "bank.test.yaml", header + textwrap.dedent(tests))
    return run_file(str(path))


def outcome(result: FileRun) -> list[tuple[str, bool]]:
    assert not result.errors, "\n".join(d.render() for d in result.errors)
    return [(r.case.name, r.passed) for r in result.results]


def test_expectations_that_hold_pass(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """\
        tests:
          - name: first email
            candidates: [{offer: off_1, channel: ch_email, expect: allowed}]
          - name: second email
            history: [{at: 3 days ago, channel: ch_email}, {at: 1 hour ago, channel: ch_email}]
            candidates:
              - offer: off_1
                channel: ch_email
                expect: {blocked_by: [Email cap, Rest after contact], eligible_at: in 47 hours}
              - {offer: off_1, channel: ch_email, expect: blocked by Email cap}
              - {offer: off_1, channel: ch_email, expect: blocked by "Email cap"}
              - {offer: off_1, channel: ch_email, expect: {blocked_by: [Rest after contact, Email cap]}}
              - {offer: off_1, channel: ch_sms, expect: blocked by cp_rest}
              - {offer: off_vip, channel: ch_email, expect: {allowed: true, overridden_by: VIP}}
          - name: minors
            customer: {segments: [seg_minors]}
            candidates:
              - {offer: off_1, expect: {blocked_by: Minors, eligible_at: never, overridden_by: null}}
        """,
    )
    assert outcome(result) == [("first email", True), ("second email", True), ("minors", True)]
    assert (result.passed, result.failed) == (3, 0)


@pytest.mark.parametrize(
    ("expect", "expected", "actual", "differs"),
    [
        (
            "allowed",
            "allowed",
            "blocked by Email cap; eligible at 2026-03-21T13:00:00Z (in 23h)",
            "it is blocked",
        ),
        (
            "blocked by Minors",
            "blocked first by Minors",
            "blocked by Email cap; eligible at",
            "the first block is Email cap, not Minors",
        ),
        (
            "{blocked_by: [Email cap, Minors]}",
            "blocked by exactly Email cap, Minors",
            "blocked by Email cap; eligible at",
            "the blocks are Email cap, not Email cap, Minors",
        ),
        (
            "{blocked_by: Email cap, eligible_at: in 1 day}",
            "blocked first by Email cap, eligible at 2026-03-21T14:00:00Z (in 1d)",
            "blocked by Email cap; eligible at 2026-03-21T13:00:00Z (in 23h)",
            "it is eligible at 2026-03-21T13:00:00Z, not 2026-03-21T14:00:00Z",
        ),
        (
            "{eligible_at: never}",
            "blocked, never by time alone",
            "eligible at 2026-03-21T13:00:00Z",
            "it is eligible at 2026-03-21T13:00:00Z, not never",
        ),
        (
            "{overridden_by: VIP}",
            "allowed or blocked, overridden by VIP",
            "blocked by Email cap",
            "no override lifted a block, not VIP",
        ),
    ],
)
def test_a_broken_expectation_fails_with_both_verdicts(
    tmp_path: Path, expect: str, expected: str, actual: str, differs: str
) -> None:
    result = run(
        tmp_path,
        f"""\
        tests:
          - name: second email today
            history: [{{at: 1 hour ago, offer: off_1, channel: ch_email}}]
            candidates:
              - {{offer: off_0, channel: ch_email, expect: {expect}}}
        """,
        policies=POLICIES.replace("cooldown 48 hours", "cooldown 1 hours"),
    )
    assert outcome(result) == [("second email today", False)]
    (mismatch,) = result.results[0].mismatches
    assert mismatch.expected == expected
    assert actual in mismatch.actual
    assert mismatch.differences == (differs,)
    assert mismatch.candidate.label == "#1 off_0 on ch_email"


def test_an_unexpected_override_is_a_difference(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """\
        tests:
          - name: vip
            history: [{at: 1 hour ago, channel: ch_email}]
            candidates:
              - {offer: off_vip, channel: ch_email, expect: {overridden_by: null}}
              - {offer: off_vip, channel: ch_email, expect: {blocked_by: [Email cap]}}
        """,
    )
    first, second = result.results[0].mismatches
    assert first.differences == ("VIP lifted a block, and no override was expected to",)
    assert second.differences == ("it is allowed",)
    assert second.actual == "allowed, overridden by VIP"


def test_a_candidate_without_expect_is_context(tmp_path: Path) -> None:
    one_of = """\
    policy "One card" {
      applies to offer "gold", offer "silver"
      mutually exclusive "gold", "silver"
    }
    """
    result = run(
        tmp_path,
        """\
        tests:
          - name: the second card of a request is excluded
            candidates:
              - gold
              - {offer: silver, expect: {blocked_by: One card, eligible_at: never}}
        """,
        policies=textwrap.dedent(one_of),
    )
    assert outcome(result) == [("the second card of a request is excluded", True)]


def test_the_gates_can_be_named(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """\
        tests:
          - name: gates
            customer: {consent: {sms: opted_out}}
            suppressions: [{id: s1, scope: offer, scope_id: off_2, expires: in 1 day}]
            candidates:
              - {offer: off_1, channel_type: sms, expect: {blocked_by: consent, eligible_at: never}}
              - {offer: off_2, expect: {blocked_by: suppression s1, eligible_at: in 1 day}}
              - {offer: off_2, expect: blocked by suppression}
        """,
    )
    assert outcome(result) == [("gates", True)]


def test_stdlib_modules_with_parameters(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "std.test.yaml",
        """\
        use:
          - compliance/global_do_not_contact
          - module: fatigue/email_weekly_cap
            with: {maxPerDay: null, maxPerWeek: 2}
        now: 2026-03-20T14:00Z
        tests:
          - name: two a week, no daily cap
            history: [{at: 1 hour ago, channel: ch_email}]
            candidates: [{offer: a, channel: ch_email, expect: allowed}]
          - name: the third of the week
            history: [{at: 2 hours ago, channel: ch_email}, {at: 1 hour ago, channel: ch_email}]
            candidates: [{offer: a, channel: ch_email, expect: blocked by Email frequency cap}]
        """,
    )
    result = run_file(str(path))
    assert outcome(result) == [("two a week, no daily cap", True), ("the third of the week", True)]
    assert result.policies is not None
    assert result.policies.sources == ["use compliance/global_do_not_contact", "use fatigue/email_weekly_cap"]


def problems(result: FileRun) -> list[str]:
    assert not result.results
    out = []
    for item in result.errors:
        where = f"{item.span.line}:{item.span.column}" if item.span else "-"
        out.append(
            f"{Path(item.file).name}:{where}: {item.message}" + (f" ({item.hint})" if item.hint else "")
        )
    return out


def test_use_problems_point_at_the_yaml(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "std.test.yaml",
        """\
        use:
          - compliance/global_do_not_contactt
          - module: fatigue/email_weekly_cap
            with: {maxPerWek: 2, maxPerDay: -1}
        now: 2026-03-20T14:00Z
        tests: [{name: a, candidates: [x], expect: allowed}]
        """,
    )
    found = problems(run_file(str(path)))
    assert found[0] == (
        "std.test.yaml:2:5: unknown standard-library module `compliance/global_do_not_contactt` "
        '(did you mean "compliance/global_do_not_contact"?)'
    )
    assert found[1] == (
        "std.test.yaml:4:12: no policy in `fatigue/email_weekly_cap` has a parameter `maxPerWek` "
        "(did you mean `maxPerWeek`?)"
    )
    assert found[2] == (
        "std.test.yaml:4:37: must be ≥ 0 "
        "(config.maxPerDay of `Email frequency cap` from fatigue/email_weekly_cap)"
    )
    assert len(found) == 3


def test_policy_file_problems(tmp_path: Path) -> None:
    write(tmp_path, "broken.cpol", 'policy "X" {\n  cap 3 per fortnight\n}\n')
    path = write(
        tmp_path,
        "t.test.yaml",
        """\
        policies: [missing.cpol, broken.cpol]
        now: 2026-03-20T14:00Z
        tests: [{name: a, candidates: [x], expect: allowed}]
        """,
    )
    found = problems(run_file(str(path)))
    assert found[0] == "t.test.yaml:1:12: cannot read policy file `missing.cpol`: No such file or directory"
    assert found[1].startswith("broken.cpol:2:")
    assert len(found) == 2


def test_unknown_policy_names(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """\
        tests:
          - name: a
            candidates:
              - {offer: x, expect: blocked by Email Cap}
              - {offer: x, expect: {blocked_by: [Email cap, Nobody]}}
              - {offer: x, expect: {allowed: true, overridden_by: Minors}}
              - {offer: x, expect: {allowed: true, overridden_by: VIPP}}
        """,
    )
    assert problems(result) == [
        "bank.test.yaml:6:28: no policy is named `Email Cap` (did you mean `Email cap`?)",
        "bank.test.yaml:7:53: no policy is named `Nobody` "
        "(the policy names: Email cap, Minors, VIP, Rest after contact, consent, suppression)",
        "bank.test.yaml:8:59: `Minors` is not an override policy: it cannot lift a block "
        "(the override policy names: VIP)",
        "bank.test.yaml:9:59: no override policy is named `VIPP` (did you mean `VIP`?)",
    ]


def test_problems_in_the_tests_and_the_policies_are_all_reported(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "t.test.yaml",
        """\
        use: [nope]
        now: 2026-03-20T14:00Z
        tests: [{name: a, candidates: [x], expect: alowed}]
        """,
    )
    found = problems(run_file(str(path)))
    assert [line.split(" (")[0] for line in found] == [
        "t.test.yaml:1:7: unknown standard-library module `nope`",
        "t.test.yaml:3:44: `expect: alowed` is not an expectation",
    ]


def test_unreadable_test_file(tmp_path: Path) -> None:
    (tmp_path / "bad.test.yaml").write_bytes(b"\xff\xfe")
    result = run_file(str(tmp_path / "bad.test.yaml"))
    assert [d.message for d in result.errors] == ["not UTF-8 text (invalid byte at offset 0)"]


def test_only_runs_matching_tests(tmp_path: Path) -> None:
    write(tmp_path, "bank.cpol", POLICIES)
    path = write(
        tmp_path,
        "t.test.yaml",
        """\
        policies: [bank.cpol]
        now: 2026-03-20T14:00Z
        tests:
          - {name: Email one, candidates: [x], expect: allowed}
          - {name: sms two, candidates: [x], expect: allowed}
        """,
    )
    assert [r.case.name for r in run_file(str(path), only="EMAIL").results] == ["Email one"]


def test_discovery(tmp_path: Path) -> None:
    write(tmp_path, "a/one.test.yaml", "x: 1\n")
    write(tmp_path, "a/b/two.test.yml", "x: 1\n")
    write(tmp_path, "a/not-a-test.yaml", "x: 1\n")
    write(tmp_path, "a/.hidden/three.test.yaml", "x: 1\n")
    write(tmp_path, "empty/readme.md", "nothing\n")
    found, missing = discover([str(tmp_path / "a"), str(tmp_path / "a" / "one.test.yaml")])
    assert [Path(p).relative_to(tmp_path).as_posix() for p in found] == [
        "a/b/two.test.yml",
        "a/one.test.yaml",
    ]
    assert missing == []
    found, missing = discover([str(tmp_path / "empty"), str(tmp_path / "nowhere")])
    assert found == []
    assert missing == [
        f"no test files (*.test.yaml) in {tmp_path / 'empty'}",
        f"cannot read {tmp_path / 'nowhere'}: No such file or directory",
    ]


def test_a_name_clash_between_use_and_a_policy_file_points_at_both(tmp_path: Path) -> None:
    write(tmp_path, "mine.cpol", 'policy "Email frequency cap" {\n  cooldown 2 hours\n}\n')
    path = write(
        tmp_path,
        "t.test.yaml",
        """\
        use:
          - fatigue/email_weekly_cap
        policies: [mine.cpol]
        now: 2026-03-20T14:00Z
        tests: [{name: a, candidates: [x], expect: allowed}]
        """,
    )
    (problem,) = run_file(str(path)).errors
    assert Path(problem.file).name == "mine.cpol"
    assert problem.message == "duplicate policy name `Email frequency cap`"
    assert problem.hint is not None
    assert f"first defined at {path}:2:5;" in problem.hint
