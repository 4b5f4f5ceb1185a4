"""SQLite's write lock as `transaction(write=True)` takes it: a writer waits for another
writer's commit (polling, not SQLite's busy handler), and gives up after the timeout."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

import cpol
from cpol.server import database
from cpol.server.database import make_engine, transaction
from cpol.server.decision_log import LogWriter, Retention
from cpol.server.policy_sets import LoadedSet, PolicySets


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


def _entry(number: int) -> dict[str, str]:
    return {
        "id": f"dec_{number:016x}", "tenant_id": "t", "customer_id": "c", "at": "2026-01-01T00:00:00.000Z",
        "policy_set": "set", "history": "[]", "request": "{}", "decisions": "[]",
    }  # fmt: skip


def test_the_log_waits_for_the_write_lock_without_blocking_the_event_loop(tmp_path: Path) -> None:
    """A decision-log entry committed on the event loop: while another connection holds
    SQLite's write lock the loop keeps running other work, and the entry lands once the
    lock is free (the decide waiting for it answers only then)."""
    url = f"sqlite:///{tmp_path / 'log.db'}"
    database.upgrade(url)
    engine = make_engine(url)
    sets = PolicySets()
    loaded = LoadedSet("set", "[]", cpol.Engine(cpol.load_json([])))
    sets.remember("t", loaded)  # stored already: the entry is committed on the loop
    writer = LogWriter(engine, sets, Retention(30))
    with transaction(engine, write=True) as session:
        writer.retention.prune_if_due(session)  # the first prune is done: none is due now
    ticks: list[float] = []

    async def tick() -> None:
        while True:
            ticks.append(time.monotonic())
            await asyncio.sleep(0.005)

    async def scenario() -> float:
        ticker = asyncio.create_task(tick())
        with transaction(engine, write=True) as holder:
            holder.execute(
                text(
                    "INSERT INTO decision_log (id, tenant_id, customer_id, at, policy_set, history, "
                    "request, decisions) VALUES ('dec_holder', 't', 'c', '', 'set', '[]', '{}', '[]')"
                )
            )
            writing = asyncio.create_task(writer.written("t", loaded, _entry(1)))
            await asyncio.sleep(0.2)
            assert not writing.done()
            released = time.monotonic()
        await writing
        ticker.cancel()
        return released

    released = asyncio.run(scenario())
    assert len([t for t in ticks if t < released]) >= 10  # the loop ran on while the lock was held
    with transaction(engine) as session:
        assert session.execute(text("SELECT count(*) FROM decision_log")).scalar() == 2


def test_a_failed_commit_on_the_loop_fails_its_decides_and_frees_the_lock(tmp_path: Path) -> None:
    """An entry the database refuses (here an id logged twice) fails the decides of its
    group commit; its transaction is rolled back, so the next entry, and any other writer,
    still gets the lock."""
    url = f"sqlite:///{tmp_path / 'log.db'}"
    database.upgrade(url)
    engine = make_engine(url)
    sets = PolicySets()
    loaded = LoadedSet("set", "[]", cpol.Engine(cpol.load_json([])))
    sets.remember("t", loaded)
    writer = LogWriter(engine, sets, Retention(30))
    with transaction(engine, write=True) as session:
        writer.retention.prune_if_due(session)

    async def scenario() -> None:
        await writer.written("t", loaded, _entry(1))
        with pytest.raises(sqlite3.IntegrityError):
            await writer.written("t", loaded, _entry(1))
        await writer.written("t", loaded, _entry(2))

    asyncio.run(scenario())
    with transaction(engine, write=True) as session:  # no transaction was left holding the lock
        ids = session.execute(text("SELECT id FROM decision_log ORDER BY id")).scalars().all()
    assert ids == [_entry(1)["id"], _entry(2)["id"]]
