"""One real `cpol serve` process for the whole server suite, and an HTTP client for it.

Tests isolate themselves by tenant (each asks `keys` for a fresh one), so they share the
server and its database (SQLite, and PostgreSQL too when `CPOL_TEST_POSTGRESQL_URL` names
one); keys are made with the library on that same database, as
`cpol keys create` would, without a process per key.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from cpol.server.database import make_engine
from cpol.server.keys import create_key, role_named

from .client import KeyMaker, Server
from .process import running_server

#: A PostgreSQL database for the suite (`.ci/run` creates one and sets it): then every
#: server test runs on SQLite and on PostgreSQL.
POSTGRESQL_ENV = "CPOL_TEST_POSTGRESQL_URL"
DATABASES = ["sqlite", *(["postgresql"] if os.environ.get(POSTGRESQL_ENV) else [])]


@pytest.fixture(scope="session", params=DATABASES)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    db_url = os.environ[POSTGRESQL_ENV] if request.param == "postgresql" else None
    with running_server(tmp_path_factory.mktemp("server"), db_url=db_url) as running:
        yield running


@pytest.fixture(scope="session")
def two_workers(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A second server with two worker processes on the first one's database: concurrent
    writes, and caches, meet across processes (and servers)."""
    folder = tmp_path_factory.mktemp("two_workers")
    with running_server(folder, "--workers", "2", db_url=server.db_url) as running:
        yield running


@pytest.fixture(scope="session")
def make_key(server: Server) -> Iterator[KeyMaker]:
    """`make_key(tenant, role="admin")`: a live key, stored in the server's database."""
    engine = make_engine(server.db_url)

    def make(tenant: str, role: str = "admin") -> str:
        return create_key(engine, tenant, role_named(role), f"{tenant}-{role}-{uuid.uuid4().hex[:8]}")

    yield make
    engine.dispose()


@pytest.fixture
def tenant() -> str:
    return f"t_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def admin(make_key: KeyMaker, tenant: str) -> str:
    return make_key(tenant, "admin")
