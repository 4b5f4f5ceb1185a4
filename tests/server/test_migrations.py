"""The migrations build exactly the schema the models describe (on SQLite, and on
PostgreSQL when the suite has one): a model changed without a migration fails here. The
exceptions are what only one database has (`models.compared`): the contact search index
(an FTS5 table on SQLite, a `pg_trgm` GIN index on PostgreSQL, neither of which a model
can describe) and PostgreSQL's generated `jsonb` copy of a contact's document."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, text

from cpol.server.database import make_engine, upgrade
from cpol.server.models import Base, compared

from .conftest import POSTGRESQL_ENV


@pytest.fixture(params=["sqlite", *(["postgresql"] if os.environ.get(POSTGRESQL_ENV) else [])])
def fresh(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of an empty database: a SQLite file, or a schema of its own on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('migrations') / 'm.db'}"
        return
    schema = f"m_{uuid.uuid4().hex[:12]}"
    admin = make_engine(os.environ[POSTGRESQL_ENV])
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    yield os.environ[POSTGRESQL_ENV] + f"?options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture
def migrated(fresh: str) -> Iterator[Engine]:
    """A database migrated from nothing."""
    upgrade(fresh)
    engine = make_engine(fresh)
    yield engine
    engine.dispose()


def test_servers_started_together_on_a_new_database_migrate_it_once(fresh: str) -> None:
    """Every `cpol serve` migrates its database first: several starting at once on a new
    one must not all create the schema (one would fail on a table another just made)."""
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: upgrade(fresh), range(4)))  # raises what any of them raised
    engine = make_engine(fresh)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
        context = MigrationContext.configure(connection, opts={"include_object": compared})
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()


def test_the_migrated_schema_is_the_models_schema(migrated: Engine) -> None:
    with migrated.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": compared})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
