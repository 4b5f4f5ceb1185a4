"""Issue 10, class 8: hostile YAML test files. Lone surrogates anywhere, nesting of any depth
and explicit tags (`!!python/object…` and every other) are errors at their location; `cpol
test` exits 0 or 1, never 3, and never takes unbounded time or stack."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cpol.cli import cli
from cpol.testing.yamlnodes import MAX_DEPTH, MAX_VALUES

HEADER = "policies: [p.cpol]\nnow: 2026-03-20T14:00:00Z\n"
TEST = """\
tests:
  - name: {name}
    history: [{{at: 1 hour ago, offer: {offer}}}]
    candidates: [{{offer: {offer}, expect: {expect}}}]
"""


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.cpol").write_text('policy "Cool" { cooldown 2 hours }\n', encoding="utf-8")
    return tmp_path


def run_file(here: Path, text: str) -> Result:
    (here / "h.test.yaml").write_text(text, encoding="utf-8")
    result = run("test", "h.test.yaml")
    assert result.exit_code in (0, 1), result.output
    assert "internal error" not in result.output
    return result


def surrogates() -> st.SearchStrategy[str]:
    return st.integers(0xD800, 0xDFFF).map(lambda code: f"\\u{code:04x}")


@settings(max_examples=80, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    where=st.sampled_from(["name", "offer", "expect", "key", "policy"]),
    escape=surrogates(),
    before=st.text(alphabet="abc xyz", max_size=5),
)
def test_a_lone_surrogate_anywhere_is_a_located_error(
    here: Path, where: str, escape: str, before: str
) -> None:
    bad = f'"{before}{escape}"'
    fields = {"name": '"a test"', "offer": "o1", "expect": "allowed"}
    if where in fields:
        fields[where] = bad
    text = HEADER + TEST.format(**fields)
    if where == "key":
        text += f"{bad}: 1\n"
    if where == "policy":
        text = text.replace("policies: [p.cpol]", f"policies: [{bad}]")
    result = run_file(here, text)
    assert result.exit_code == 1
    assert re.search(
        r"h\.test\.yaml:\d+:\d+: error: contains \\ud[89a-f][0-9a-f]{2}, which is not valid Unicode",
        result.stderr,
    )


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    depth=st.one_of(st.integers(1, MAX_DEPTH + 5), st.integers(MAX_DEPTH, 5000), st.just(100_000)),
    opener=st.sampled_from(["[", "{a: "]),
    where=st.sampled_from(["tests", "name", "extra"]),
)
def test_nesting_of_any_depth_is_refused_or_read(here: Path, depth: int, opener: str, where: str) -> None:
    closer = "]" if opener == "[" else "}"
    nested = opener * depth + "x" + closer * depth
    if where == "tests":
        text = HEADER + f"tests: {nested}\n"
    elif where == "name":
        text = HEADER + TEST.format(name=nested, offer="o1", expect="allowed")
    else:
        text = HEADER + TEST.format(name="n", offer="o1", expect="allowed") + f"extra: {nested}\n"
    result = run_file(here, text)
    deepest = depth + (3 if where == "name" else 1)  # the root mapping, tests and a test
    if deepest > MAX_DEPTH:
        assert result.exit_code == 1
        assert f"error: the YAML is nested more than {MAX_DEPTH} levels deep" in result.stderr
        assert re.search(r"h\.test\.yaml:\d+:\d+: error: the YAML is nested", result.stderr)


TAGS = [
    "!!python/object:os.system", "!!python/object/apply:os.system", "!!python/name:os.system",
    "!!str", "!!int", "!!float", "!!binary", "!!set", "!!omap", "!!timestamp", "!custom", "!",
    "!<tag:yaml.org,2002:str>",
]  # fmt: skip


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tag=st.sampled_from(TAGS), where=st.sampled_from(["name", "offer", "expect", "tests", "now"]))
def test_every_tag_is_refused_where_it_is_written(here: Path, tag: str, where: str) -> None:
    fields = {"name": "n", "offer": "o1", "expect": "allowed"}
    if where in fields:
        fields[where] = f"{tag} {fields[where]}"
    text = HEADER + TEST.format(**fields)
    if where == "tests":
        text = text.replace("tests:\n", f"tests: {tag}\n")
    if where == "now":
        text = text.replace("now: ", f"now: {tag} ")
    result = run_file(here, text)
    assert result.exit_code == 1
    line = 1 + text[: text.index(tag)].count("\n")
    assert re.search(
        rf"h\.test\.yaml:{line}:\d+: error: YAML tags such as `.+` are not allowed in a test file",
        result.stderr,
    ), result.stderr


def test_the_reported_python_object_tag(here: Path) -> None:
    text = HEADER + TEST.format(name="!!python/object:os.system x", offer="o1", expect="allowed")
    result = run_file(here, text)
    assert (
        "h.test.yaml:4:11: error: YAML tags such as `!!python/object:os.system` are not allowed"
        in result.stderr
    )
    assert "hint: write the plain value; quote it to keep it as text" in result.stderr


def test_a_file_as_deep_as_allowed_still_runs(here: Path) -> None:
    expect = "{blocked_by: [Cool]}"
    result = run_file(here, HEADER + TEST.format(name="n", offer="o1", expect=expect))
    assert result.exit_code == 0, result.output


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(levels=st.integers(1, 12), fan=st.integers(2, 9), where=st.sampled_from(["metrics", "extra"]))
def test_aliases_cannot_expand_a_file_without_bound(here: Path, levels: int, fan: int, where: str) -> None:
    """A "billion laughs" file: each anchor a list of `fan` aliases of the one before."""
    anchors = [f"k0: &a0 [{', '.join(['1'] * fan)}]"]
    anchors += [f"k{i}: &a{i} [{', '.join([f'*a{i - 1}'] * fan)}]" for i in range(1, levels)]
    indent = "    " if where == "metrics" else "  "
    bomb = "".join(f"{indent}{line}\n" for line in anchors)
    head = "customer:\n  id: c\n  metrics:\n" if where == "metrics" else "extra:\n"
    text = HEADER + head + bomb + TEST.format(name="n", offer="o1", expect="allowed")
    result = run_file(here, text)
    expanded = sum(fan**i for i in range(1, levels + 1))
    if expanded > MAX_VALUES:
        assert result.exit_code == 1
        assert f"this value holds more than {MAX_VALUES:,} values" in result.stderr
