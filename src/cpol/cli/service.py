"""The service's commands (SPEC §5.1): `serve`, `db upgrade`, `keys create|list|revoke`.

Thin shells over `cpol.server`, which is imported inside each command: the `server` extra
is optional, and `cpol` without it must keep working (its commands then say what to
install and exit 1).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from cpol.cli.shared import CpolError, emit

if TYPE_CHECKING:
    from sqlalchemy import Engine

EXTRA_MISSING = "the service needs the server extra: pip install 'cpol[server]'"
DB_HELP = "database URL (default: $CPOL_DATABASE_URL, else sqlite:///./cpol.db)"
ROLES = ("viewer", "editor", "admin")


def _require_extra() -> None:
    """Exit 1 naming the extra when the service's libraries are not installed."""
    try:
        import cpol.server  # noqa: F401
    except ImportError as error:
        if (error.name or "cpol").split(".")[0] == "cpol":
            raise
        raise CpolError(EXTRA_MISSING) from None


def _upgraded(db: str | None) -> str:
    """The database URL, with its schema created or migrated to the newest version."""
    _require_extra()
    from cpol.server.database import DatabaseUnusable, upgrade
    from cpol.server.settings import database_url

    url = database_url(db)
    try:
        upgrade(url)
    except DatabaseUnusable as problem:
        raise CpolError(str(problem)) from None
    return url


db_option = click.option("--db", metavar="URL", help=DB_HELP)


@click.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1), help="worker processes")
def serve(db: str | None, host: str, port: int, workers: int) -> None:
    """Run the HTTP service (docs/service.md), migrating the database first."""
    url = _upgraded(db)
    import uvicorn

    from cpol.server.settings import DATABASE_ENV

    os.environ[DATABASE_ENV] = url  # how the workers learn it
    uvicorn.run("cpol.server.app:serving_app", factory=True, host=host, port=port, workers=workers)


@click.group(name="db")
def db_group() -> None:
    """The service's database."""


@db_group.command()
@db_option
def upgrade(db: str | None) -> None:
    """Create or migrate the schema to the newest version."""
    _upgraded(db)


@contextmanager
def _key_store(db: str | None) -> Iterator[Engine]:
    """The migrated database's engine; a key command that cannot be done exits 1."""
    url = _upgraded(db)
    from cpol.server.database import make_engine
    from cpol.server.keys import KeyProblem

    engine = make_engine(url)
    try:
        yield engine
    except KeyProblem as problem:
        raise CpolError(str(problem)) from None
    finally:
        engine.dispose()


@click.group()
def keys() -> None:
    """API keys of the service: only their hashes are stored."""


@keys.command()
@click.option("--tenant", required=True)
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--name", help="a unique name (default: generated); the audit's actor")
@db_option
def create(tenant: str, role: str, name: str | None, db: str | None) -> None:
    """Print a new API key (one line, nothing else)."""
    with _key_store(db) as engine:
        from cpol.server.keys import create_key, role_named

        emit(create_key(engine, tenant, role_named(role), name) + "\n")


@keys.command(name="list")
@db_option
def list_command(db: str | None) -> None:
    """Every key: name, tenant, role, created, revoked (tab-separated)."""
    with _key_store(db) as engine:
        from cpol.server.keys import list_keys

        for key in list_keys(engine):
            emit(f"{key.name}\t{key.tenant_id}\t{key.role}\t{key.created_at}\t{key.revoked_at or '-'}\n")


@keys.command()
@click.argument("name")
@db_option
def revoke(name: str, db: str | None) -> None:
    """Revoke the key named NAME: it answers 401 from now on."""
    with _key_store(db) as engine:
        from cpol.server.keys import revoke_key

        revoke_key(engine, name)
