"""Issue 10, class 5: `use "x.cpol"` never becomes a way to read the disk.

Import paths are generated across every way out of the compiled file's folder (`..`,
absolute paths, symlinks, from a nested module) and every kind of file that must not be
read (a device, a FIFO, a folder, a huge file). Each is refused at the `use`, with exit 1,
and the target's content never appears in any output; an explicit `--allow-import-from`
(`import_roots=`) lets a chosen folder in, and text with no file behind it imports only
the standard library.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st

import cpol
from cpol.cli import cli
from cpol.compiler.imports import MAX_MODULE_BYTES

#: What a leak would show: the first line of the target, echoed in a syntax error.
SECRET = "root:x:0:0:SECRET-CONTENT:/root:/bin/bash"
MODULE = 'policy "Imported" {\n  cooldown 4 hours\n}\n'

#: Where the bad target lies, relative to the project folder, or how it is reached.
ESCAPES = ["parent", "absolute", "symlink_out", "symlink_dir_out", "dotted"]
#: Files inside the folder that must still not be read.
KINDS = ["fifo", "folder", "huge", "device"]


@contextmanager
def layout() -> Iterator[tuple[Path, Path]]:
    """(project folder, outside folder) in a fresh temporary tree."""
    with tempfile.TemporaryDirectory() as top:
        base = Path(top)
        project, outside = base / "project", base / "outside"
        (project / "sub").mkdir(parents=True)
        outside.mkdir()
        (outside / "secret.cpol").write_text(SECRET + "\n", encoding="utf-8")
        (outside / "ok.cpol").write_text(MODULE, encoding="utf-8")
        yield project, outside


def escaping_name(kind: str, project: Path, outside: Path) -> str:
    """A module name from `project/sub/` that lands outside `project`."""
    if kind == "parent":
        return "../../outside/secret.cpol"
    if kind == "dotted":
        return "./../.././outside/./secret.cpol"
    if kind == "absolute":
        return str(outside / "secret.cpol")
    if kind == "symlink_out":
        (project / "sub" / "link.cpol").symlink_to(outside / "secret.cpol")
        return "link.cpol"
    (project / "sub" / "door").symlink_to(outside, target_is_directory=True)
    return "door/secret.cpol"


def bad_kind_name(kind: str, project: Path) -> str:
    """A module name, inside the folder, of something that is not a small regular file."""
    target = project / "sub" / f"{kind}.cpol"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "folder":
        target.mkdir()
    elif kind == "huge":
        target.write_text(SECRET + "\n" + "#" * MAX_MODULE_BYTES, encoding="utf-8")
    else:
        target.symlink_to("/dev/zero")
    return target.name


def check(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["check", *args], input=input)


def assert_refused_at_use(result: Result, line: int) -> None:
    assert result.exit_code == 1, result.output
    assert f"main.cpol:{line}:5: error: cannot " in result.stderr, result.stderr
    assert "SECRET" not in result.output
    assert "Traceback" not in result.output


@given(st.sampled_from(ESCAPES), st.booleans())
def test_imports_never_leave_the_root_files_folder(kind: str, nested: bool) -> None:
    """Directly, or from a module that the root file imports (the root's folder counts)."""
    with layout() as (project, outside):
        name = escaping_name(kind, project, outside)
        main = project / "sub" / "main.cpol"
        if nested:  # main -> inner/mod.cpol -> the escaping name, spelt from inner/
            (project / "sub" / "inner").mkdir()
            inner = name if os.path.isabs(name) or not name.startswith(".") else "../" + name
            if kind.startswith("symlink"):
                inner = "../" + name
            (project / "sub" / "inner" / "mod.cpol").write_text(f'use "{inner}"\n', encoding="utf-8")
            main.write_text('use "inner/mod.cpol"\n', encoding="utf-8")
            result = check(str(main))
            assert result.exit_code == 1 and "SECRET" not in result.output
            assert "mod.cpol:1:5: error: cannot import" in result.stderr, result.stderr
        else:
            main.write_text(f'# a comment\nuse "{name}"\n', encoding="utf-8")
            assert_refused_at_use(check(str(main)), line=2)


@given(st.sampled_from(KINDS))
def test_only_small_regular_files_are_read(kind: str) -> None:
    """Checked before reading: a FIFO would block forever, `/dev/zero` never ends."""
    with layout() as (project, _):
        name = bad_kind_name(kind, project)
        main = project / "sub" / "main.cpol"
        main.write_text(f'use "{name}"\n', encoding="utf-8")
        roots = ["--allow-import-from", "/dev"] if kind == "device" else []
        result = check(*roots, str(main))
        assert_refused_at_use(result, line=1)
        expected = {
            "fifo": "not a regular file",
            "folder": "not a regular file",
            "device": "not a regular file",
        }
        assert expected.get(kind, "larger than 1 MiB") in result.stderr


@given(st.sampled_from(["parent", "absolute", "dotted"]))
def test_an_allowed_folder_widens_the_confinement(kind: str) -> None:
    with layout() as (project, outside):
        name = escaping_name(kind, project, outside).replace("secret.cpol", "ok.cpol")
        main = project / "sub" / "main.cpol"
        main.write_text(f'use "{name}"\n', encoding="utf-8")
        assert check(str(main)).exit_code == 1
        result = check("--allow-import-from", str(outside), str(main))
        assert result.exit_code == 0, result.output
        compiled = cpol.compile_files([main], import_roots=[outside])
        assert [policy.name for policy in compiled] == ["Imported"]


def test_imports_inside_the_folder_still_work() -> None:
    with layout() as (project, _):
        (project / "sub" / "lib").mkdir()
        (project / "sub" / "lib" / "caps.cpol").write_text(MODULE, encoding="utf-8")
        (project / "sub" / "lib" / "more.cpol").write_text(
            'use "caps.cpol" with name "Again"\n', encoding="utf-8"
        )
        main = project / "sub" / "main.cpol"
        main.write_text('use "lib/caps.cpol"\nuse "lib/more.cpol"\n', encoding="utf-8")
        assert check(str(main)).exit_code == 0
        assert [p.name for p in cpol.compile_files([main])] == ["Imported", "Again"]


@given(st.sampled_from(["secret.cpol", "../outside/ok.cpol", "/etc/passwd.cpol", "x.cpol"]))
def test_text_without_a_file_imports_only_the_standard_library(name: str) -> None:
    """`compile_source(text)` (a service compiling what it is sent) and standard input."""
    text = f'use "{name}"\nuse "compliance/adverse_outcomes_quarantine"\n'
    with pytest.raises(cpol.Diagnostics) as raised:
        cpol.compile_source(text)
    [problem] = raised.value.items
    assert problem.message.startswith(f"cannot import `{name}`: text with no file behind it")
    assert problem.span is not None and (problem.span.line, problem.span.column) == (1, 5)
    result = check("-", input=text)
    assert result.exit_code == 1 and "<stdin>:1:5: error: cannot import" in result.stderr
    assert [p.name for p in cpol.compile_source(text.splitlines()[1])] == ["Adverse outcomes quarantine"]


@given(st.lists(st.sampled_from(["..", ".", "sub", "inner", "door", "outside", "project"]), max_size=6))
def test_any_relative_path_is_read_exactly_when_it_resolves_inside(parts: list[str]) -> None:
    """Paths generated from `..`, `.`, folders and a symlinked folder (`door` -> outside):
    a module is read if and only if its real path is under the root file's folder."""
    with layout() as (project, outside):
        (project / "sub" / "inner").mkdir()
        (project / "sub" / "door").symlink_to(outside, target_is_directory=True)
        for folder in (project, project / "sub", project / "sub" / "inner"):
            (folder / "secret.cpol").write_text(MODULE, encoding="utf-8")  # inside: fine to read
        (project.parent / "secret.cpol").write_text(SECRET + "\n", encoding="utf-8")
        name = "/".join([*parts, "secret.cpol"])
        main = project / "sub" / "main.cpol"
        main.write_text(f'use "{name}"\n', encoding="utf-8")
        target = Path(os.path.realpath(project / "sub" / name))
        inside = target.is_relative_to(Path(os.path.realpath(project / "sub")))
        result = check(str(main))
        assert "SECRET" not in result.output
        if not inside:
            assert_refused_at_use(result, line=1)
            assert "cannot import" in result.stderr
        elif target.exists():
            assert result.exit_code == 0, result.output
        else:
            assert result.exit_code == 1 and "No such file or directory" in result.stderr


def test_standard_input_with_an_allowed_folder_reads_from_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "caps.cpol").write_text(MODULE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert check("-", input='use "caps.cpol"\n').exit_code == 1
    assert check("--allow-import-from", ".", "-", input='use "caps.cpol"\n').exit_code == 0


def test_lint_and_test_take_an_allowed_folder_too() -> None:
    """`cpol lint` and `cpol test` compile `.cpol` files as well: confined by default, and
    widened by the same `--allow-import-from`."""
    with layout() as (project, outside):
        main = project / "sub" / "main.cpol"
        main.write_text('use "../../outside/ok.cpol"\n', encoding="utf-8")
        tests = project / "sub" / "main.test.yaml"
        tests.write_text(
            "policies: [main.cpol]\nnow: 2026-03-20T14:00:00Z\ntests:\n"
            "  - name: fresh\n    candidates: [off_1]\n    expect: allowed\n",
            encoding="utf-8",
        )
        for command in (["lint", str(main)], ["test", str(tests)]):
            refused = CliRunner().invoke(cli, command)
            assert refused.exit_code == 1, refused.output
            assert "SECRET" not in refused.output
            allowed = CliRunner().invoke(cli, [*command, "--allow-import-from", str(outside)])
            assert allowed.exit_code == 0, allowed.output
