"""SQLite's write lock as `transaction(write=True)` takes it: a writer waits for another
writer's commit (polling, not SQLite's busy handler), and gives up after the timeout."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from cpol.server import database
from cpol.server.database import make_engine, transaction


def _engine(folder: Path) -> Engine:
    engine = make_engine(f"sqlite:///{folder / 'lock.db'}")
    with transaction(engine, write=True) as session:
        session.execute(text("CREATE TABLE marks (who TEXT)"))
    return engine


def test_a_writer_waits_for_the_other_and_both_commit(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    holding, release = threading.Event(), threading.Event()

    def first() -> None:
        with transaction(engine, write=True) as session:
            session.execute(text("INSERT INTO marks VALUES ('first')"))
            holding.set()
            release.wait(10)

    thread = threading.Thread(target=first)
    thread.start()
    holding.wait(10)
    threading.Timer(0.2, release.set).start()
    with transaction(engine, write=True) as session:  # waits until `first` commits
        session.execute(text("INSERT INTO marks VALUES ('second')"))
    thread.join()
    with transaction(engine) as session:
        assert session.execute(text("SELECT who FROM marks")).scalars().all() == ["first", "second"]


def test_a_writer_gives_up_after_the_busy_timeout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = _engine(tmp_path)
    monkeypatch.setattr(database, "BUSY_TIMEOUT_SECONDS", 0.05)
    with transaction(engine, write=True) as holder:
        holder.execute(text("INSERT INTO marks VALUES ('holder')"))
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):  # noqa: SIM117
            with transaction(engine, write=True) as waiter:
                waiter.execute(text("INSERT INTO marks VALUES ('waiter')"))
    with transaction(engine, write=True) as session:  # the failed try left its connection usable
        session.execute(text("INSERT INTO marks VALUES ('after')"))
        assert session.execute(text("SELECT count(*) FROM marks")).scalar() == 2
