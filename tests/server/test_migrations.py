"""The migrations build exactly the schema the models describe (on SQLite, and on
PostgreSQL when the suite has one): a model changed without a migration fails here. The
exceptions are what only one database has (`models.compared`): the contact search index
(an FTS5 table on SQLite, a `pg_trgm` GIN index on PostgreSQL, neither of which a model
can describe) and PostgreSQL's generated `jsonb` copy of a contact's document."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, text

from cpol.server.database import make_engine, upgrade
from cpol.server.models import Base, compared

from .conftest import POSTGRESQL_ENV


@pytest.fixture(params=["sqlite", *(["postgresql"] if os.environ.get(POSTGRESQL_ENV) else [])])
def migrated(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A database migrated from nothing: a SQLite file, or a schema of its own on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('migrations') / 'm.db'}"
        upgrade(url)
        engine = make_engine(url)
        yield engine
        engine.dispose()
        return
    schema = f"m_{uuid.uuid4().hex[:12]}"
    admin = make_engine(os.environ[POSTGRESQL_ENV])
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    url = os.environ[POSTGRESQL_ENV] + f"?options=-csearch_path%3D{schema}"
    upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def test_the_migrated_schema_is_the_models_schema(migrated: Engine) -> None:
    with migrated.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": compared})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
