"""`cpol db upgrade` and `cpol keys …` (SPEC §5.1), and `cpol serve` without the extra."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from cpol.server.database import make_engine
from cpol.server.keys import authenticate


def _cpol(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "CPOL_DATABASE_URL"} | (env or {})
    return subprocess.run(
        [sys.executable, "-m", "cpol.cli", *args], cwd=cwd, env=environment, capture_output=True, text=True
    )


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as connection:
        return {row[0] for row in connection.execute("select name from sqlite_master where type='table'")}


def test_db_upgrade_defaults_to_a_file_here_and_is_idempotent(tmp_path: Path) -> None:
    for _ in range(2):
        assert _cpol("db", "upgrade", cwd=tmp_path).returncode == 0
    assert {"api_keys", "contact_policies", "policy_audit", "alembic_version"} <= _tables(
        tmp_path / "cpol.db"
    )
    with sqlite3.connect(tmp_path / "cpol.db") as connection:
        assert connection.execute("pragma journal_mode").fetchone() == ("wal",)


def test_the_database_url_comes_from_the_environment(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'env.db'}"
    assert _cpol("db", "upgrade", cwd=tmp_path, env={"CPOL_DATABASE_URL": url}).returncode == 0
    assert (tmp_path / "env.db").exists() and not (tmp_path / "cpol.db").exists()


def test_keys_create_list_revoke(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'k.db'}"
    made = _cpol(
        "keys", "create", "--tenant", "acme", "--role", "editor", "--name", "ci", "--db", db, cwd=tmp_path
    )
    assert made.returncode == 0, made.stderr
    key = made.stdout.removesuffix("\n")
    assert "\n" not in key and key.startswith("cpol_") and made.stderr == ""
    engine = make_engine(db)
    try:
        principal = authenticate(engine, key)
        assert principal is not None and (principal.name, principal.tenant_id, principal.role) == (
            "ci",
            "acme",
            "editor",
        )
        with sqlite3.connect(tmp_path / "k.db") as connection:
            assert key not in str(connection.execute("select * from api_keys").fetchall())  # only the hash
        listed = _cpol("keys", "list", "--db", db, cwd=tmp_path).stdout.split("\t")
        assert listed[:3] == ["ci", "acme", "editor"] and listed[4] == "-\n"
        again = _cpol(
            "keys", "create", "--tenant", "x", "--role", "admin", "--name", "ci", "--db", db, cwd=tmp_path
        )
        assert again.returncode == 1 and again.stderr.startswith("cpol: ") and again.stdout == ""
        assert _cpol("keys", "revoke", "ci", "--db", db, cwd=tmp_path).returncode == 0
        assert authenticate(engine, key) is None
        unknown = _cpol("keys", "revoke", "nobody", "--db", db, cwd=tmp_path)
        assert unknown.returncode == 1 and "no key named" in unknown.stderr
    finally:
        engine.dispose()
    bad_role = _cpol("keys", "create", "--tenant", "x", "--role", "owner", "--db", db, cwd=tmp_path)
    assert bad_role.returncode == 2


def test_serve_without_the_extra_says_what_to_install(tmp_path: Path) -> None:
    """The server's libraries made unimportable, as in an install without `cpol[server]`."""
    blocked = (
        "import sys\nfor name in ('fastapi', 'uvicorn', 'sqlalchemy', 'alembic'): sys.modules[name] = None\n"
    )
    (tmp_path / "sitecustomize.py").write_text(blocked)
    env = {"PYTHONPATH": str(tmp_path)}
    for command in (["serve"], ["db", "upgrade"], ["keys", "list"]):
        result = _cpol(*command, cwd=tmp_path, env=env)
        assert result.returncode == 1, result.stderr
        assert result.stderr == "cpol: the service needs the server extra: pip install 'cpol[server]'\n"
    assert _cpol("--help", cwd=tmp_path, env=env).returncode == 0
    assert _cpol("check", "--help", cwd=tmp_path, env=env).returncode == 0


def test_an_unusable_database_is_a_one_line_error(tmp_path: Path) -> None:
    for url in ("nonsense", f"sqlite:///{tmp_path / 'missing' / 'x.db'}"):
        for command in (["db", "upgrade"], ["keys", "list"]):
            result = _cpol(*command, "--db", url, cwd=tmp_path)
            assert result.returncode == 1, result.stderr
            assert result.stderr.startswith("cpol: cannot ") and result.stderr.count("\n") == 1


def test_a_database_migrated_by_a_newer_cpol_is_a_one_line_error(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'newer.db'}"
    assert _cpol("db", "upgrade", "--db", db_url, cwd=tmp_path).returncode == 0
    engine = make_engine(db_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    done = _cpol("serve", "--db", db_url, cwd=tmp_path)
    assert done.returncode == 1
    newer = "the database was migrated by a newer cpol than this one: install that version or a newer one"
    assert done.stderr == f"cpol: {newer}\n"
