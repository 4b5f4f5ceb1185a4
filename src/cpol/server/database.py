"""Connecting to the database and running its migrations.

SQLite (the default) runs in WAL mode, so readers never wait for a writer, and every
write transaction starts with `BEGIN IMMEDIATE`: it takes the write lock before reading,
so a read-then-write never fails half-way on a lock upgrade and concurrent writers simply
queue (up to the busy timeout). Other databases keep their own default transactions.

A writer waiting for the lock polls it every 50 µs to 1 ms (`_lock_for_writing`) instead of
through SQLite's busy handler, whose sleeps grow to 25–100 ms: with two workers writing,
that handler made a lock wait's p99 33 ms where polling makes it 5 ms (measured).
"""

from __future__ import annotations

import functools
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from importlib.resources import files
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from alembic.util.exc import CommandError
from sqlalchemy import ClauseElement, Engine, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.orm import Session

BUSY_TIMEOUT_SECONDS = 30
#: The first and the longest pause between two tries for SQLite's write lock.
FIRST_PAUSE, LONGEST_PAUSE = 0.00005, 0.001
#: The most values one `IN (…)` sends: far below SQLite's and PostgreSQL's parameter limits.
PER_QUERY = 500
_T = TypeVar("_T")
WRITE = "cpol_write"


def make_engine(url: str) -> Engine:
    """An engine for `url`; for SQLite, WAL and immediate write transactions."""
    if not url.startswith("sqlite"):
        return create_engine(driver_url(url), pool_pre_ping=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_SECONDS})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # transactions are begun below, not by the driver
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        if connection.get_execution_options().get(WRITE, False):
            _lock_for_writing(connection.connection.driver_connection)
        else:
            connection.exec_driver_sql("BEGIN")

    return engine


def _try_lock(driver: Any) -> bool:
    """`BEGIN IMMEDIATE` if no other connection writes this instant; False otherwise."""
    driver.execute("PRAGMA busy_timeout=0")
    try:
        return _begin_immediate(driver)
    finally:
        driver.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}")


def _begin_immediate(driver: Any) -> bool:
    """`BEGIN IMMEDIATE`; False if another connection still holds the write lock once the
    connection's busy timeout is over."""
    try:
        driver.execute("BEGIN IMMEDIATE")
        return True
    except sqlite3.OperationalError as error:
        if error.sqlite_errorcode != sqlite3.SQLITE_BUSY:
            raise
        return False


def _lock_for_writing(driver: Any) -> None:
    """`BEGIN IMMEDIATE`, retried with short pauses while another connection writes (up to
    `BUSY_TIMEOUT_SECONDS`, then SQLite's "database is locked")."""
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    pause = FIRST_PAUSE
    while not _try_lock(driver):
        if time.monotonic() > deadline:
            raise sqlite3.OperationalError("database is locked")
        time.sleep(pause)
        pause = min(pause * 2, LONGEST_PAUSE)


def driver_url(url: str) -> str:
    """`postgresql://…` (and libpq's `postgres://…`) through psycopg 3, the driver the
    `server` extra installs; SQLAlchemy alone would look for psycopg2."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@contextmanager
def transaction(engine: Engine, *, write: bool = False) -> Iterator[Session]:
    """One transaction: committed when the block ends normally, rolled back otherwise."""
    with (
        engine.connect() as connection,
        Session(bind=connection.execution_options(**{WRITE: write})) as session,
        session.begin(),
    ):
        yield session


def fast_rows(
    where: Session | Connection, statement: ClauseElement, params: Mapping[str, Any]
) -> list[tuple[Any, ...]]:
    """The rows of a SELECT whose columns need no conversion (text and numbers), run on the
    driver's own cursor within `where`'s transaction: on decide's small reads SQLAlchemy's
    work per execution costs as much as the database's (decide's reads: 650 -> 470 µs of
    CPU). The statement is compiled once per dialect; it may not expand a list."""
    connection = where.connection() if isinstance(where, Session) else where
    sql, names, defaults = _compiled(statement, connection.dialect)
    driver: Any = connection.connection.driver_connection
    cursor = driver.cursor()
    try:
        cursor.execute(sql, _bound(names, defaults, params))
        return list(cursor.fetchall())
    finally:
        cursor.close()


@functools.lru_cache(maxsize=4096)
def _compiled(
    statement: ClauseElement, dialect: Dialect
) -> tuple[str, tuple[str, ...] | None, dict[str, Any]]:
    """The statement's SQL for a dialect, its parameters' names in order (a positional
    paramstyle, SQLite's) or None (named, psycopg's), and the values it binds itself."""
    compiled: Any = statement.compile(dialect=dialect)
    names = tuple(compiled.positiontup or ()) if dialect.positional else None
    return str(compiled), names, dict(compiled.params)


def _bound(
    names: tuple[str, ...] | None, defaults: dict[str, Any], params: Mapping[str, Any]
) -> list[Any] | dict[str, Any]:
    """A compiled statement's parameters as its driver takes them: in order for a
    positional paramstyle, else by name; those `params` do not give, the statement's own."""
    values = defaults | dict(params)
    return [values[name] for name in names] if names is not None else values


class LoopWriter:
    """SQLite inserts for an event loop, which must never wait: on a connection of its own
    (never back to the pool), in a transaction begun only when no other connection writes
    this instant, on the driver itself. Through a SQLAlchemy session the same commit took
    0.5 ms of the loop (p50), where SQLite's own insert and sync to disk take about 0.1."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._held: Any = None

    def insert_if_free(self, statement: ClauseElement, rows: Iterable[Mapping[str, Any]]) -> bool:
        """`statement` (an INSERT of every column) once per row, committed; False, with
        nothing done, when another connection holds the write lock (try again later)."""
        driver = self._driver()
        if not _begin_immediate(driver):
            return False
        try:
            sql, names, defaults = _compiled(statement, self._engine.dialect)
            driver.executemany(sql, [_bound(names, defaults, row) for row in rows])
            driver.execute("COMMIT")
        finally:
            if driver.in_transaction:
                driver.execute("ROLLBACK")
        return True

    def _driver(self) -> Any:
        if self._held is None:
            self._held = self._engine.raw_connection()
            self._held.driver_connection.execute("PRAGMA busy_timeout=0")
        return self._held.driver_connection


class DatabaseUnusable(Exception):
    """The database URL cannot be read, or its database reached; the message says why in
    one line (never the URL, which may hold a password)."""


#: The key of the PostgreSQL advisory lock migrations hold ("cpol" in ASCII).
MIGRATION_LOCK = 0x63706F6C


@contextmanager
def _alone(engine: Engine) -> Iterator[Connection]:
    """A migration's transaction, excluding every other: two servers started at once on a
    new database would otherwise both create the schema (and one fail). SQLite: the write
    lock, from `BEGIN IMMEDIATE`; PostgreSQL: an advisory lock held to the transaction's end."""
    with engine.connect() as connection, connection.execution_options(**{WRITE: True}).begin():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        yield connection


def upgrade(url: str) -> None:
    """Create or migrate the schema to the newest version (idempotent)."""
    try:
        engine = make_engine(url)
    except (ArgumentError, ImportError) as error:  # a URL that does not parse, a driver not installed
        raise DatabaseUnusable(f"cannot use the database URL: {error}") from None
    try:
        config = Config()
        config.set_main_option("script_location", str(files("cpol.server") / "migrations"))
        with _alone(engine) as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except DBAPIError as error:
        raise DatabaseUnusable(f"cannot open the database: {error.orig}") from None
    except CommandError:  # the only one `upgrade` raises here: a revision this cpol lacks
        raise DatabaseUnusable(
            "the database was migrated by a newer cpol than this one: install that version or a newer one"
        ) from None
    finally:
        engine.dispose()


def insert_new(session: Session, table: type[Any], row: dict[str, Any]) -> bool:
    """Insert `row` unless its key is taken (then nothing happens, and no error ends the
    transaction): whether it was inserted. SQLite and PostgreSQL both say `ON CONFLICT DO
    NOTHING`; `RETURNING` tells which happened (psycopg's rowcount does not)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    keys = [column for column in table.__table__.primary_key.columns]
    statement = insert(table).values(**row).on_conflict_do_nothing().returning(*keys)
    return session.execute(statement).first() is not None


def in_chunks(items: Iterable[_T]) -> Iterator[list[_T]]:
    """`items` a query's worth (`PER_QUERY`) at a time, for `IN (…)` lists of any length."""
    chunk: list[_T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == PER_QUERY:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
