"""The decision log (SPEC §5.6): every decide, kept so that it can be re-explained exactly.

An entry holds the request's parts as decide assembled them (the body's, completed from
the catalogue, and the manual suppression records applied), the `seq` list of the stored
interactions it read, the policy set's digest and the decisions. Reading an entry puts the
whole §2 request back together: `cpol explain` on `request` and `policies` gives
`decisions` again, whatever changed since.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import queue
import re
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, delete, insert, select
from sqlalchemy.orm import Session

from cpol.server import clock
from cpol.server.database import LoopWriter, in_chunks, transaction
from cpol.server.errors import not_found
from cpol.server.models import DecisionLog, Interaction
from cpol.server.paging import Key, Keyset, Page, is_timestamp, matches
from cpol.server.policy_sets import LoadedSet, PolicySets, documents_of

Json = dict[str, Any]
#: The §2 request's members, in the order an entry writes them.
REQUEST_ORDER = ("now", "customer", "interactions", "budgets", "suppressions", "session", "candidates")
PRUNE_INTERVAL_SECONDS = 600.0
#: The most entries one group commit writes.
BATCH_LIMIT = 256
#: How soon a commit on the event loop tries SQLite's write lock again when it was taken.
LOCK_RETRY_SECONDS = 0.0002
#: An entry's row.
ENTRY = insert(DecisionLog)


#: A stored `decisions` text that starts with this is the decisions' JSON compressed (zlib,
#: then base64); any other is the JSON itself (entries written before, and raw inserts).
PACKED = "z:"


def packed(decisions: bytes) -> str:
    """The decisions' JSON as stored: about an eighth of its size (11 KB of JSON for ten
    candidates becomes 1.9 KB), so the log writes and checkpoints one page a decide, not four."""
    return PACKED + base64.b64encode(zlib.compress(decisions, 1)).decode("ascii")


def unpacked(stored: str) -> Any:
    """The decisions of a stored `decisions` text, packed or not."""
    if stored.startswith(PACKED):
        return json.loads(zlib.decompress(base64.b64decode(stored[len(PACKED) :])))
    return json.loads(stored)


def _seqs(deltas: str) -> list[int]:
    return list(itertools.accumulate(json.loads(deltas)))


def _interactions(session: Session, seqs: list[int]) -> list[Json]:
    """The stored interactions with these `seq`s, in the order given."""
    found: dict[int, str] = {}
    for chunk in in_chunks(seqs):
        rows = session.execute(
            select(Interaction.seq, Interaction.document).where(Interaction.seq.in_(chunk))
        )
        found.update((seq, document) for seq, document in rows)
    return [json.loads(found[seq]) for seq in seqs if seq in found]


def _request(parts: Json, stored: list[Json]) -> Json:
    parts = {**parts, "interactions": stored + parts.get("interactions", [])}
    return {key: parts[key] for key in REQUEST_ORDER if key in parts}


def entry(engine: Engine, tenant_id: str, decision_id: str) -> Json:
    """`GET /decisions/{id}`: the decision with its whole request and policy set."""
    with transaction(engine) as session:
        row = session.get(DecisionLog, decision_id) if DECISION_ID.match(decision_id) else None
        if row is None or row.tenant_id != tenant_id:
            raise not_found("decision")
        policies = documents_of(session, tenant_id, row.policy_set)
        stored = _interactions(session, _seqs(row.history))
        return {
            "decisionId": row.id,
            "at": row.at,
            "customerId": row.customer_id,
            "policySetVersion": row.policy_set,
            "request": _request(json.loads(row.request), stored),
            "policies": json.loads(policies or "[]"),
            "decisions": unpacked(row.decisions),
        }


DECISION_ID = re.compile(r"dec_[0-9a-f]{16}\Z", re.ASCII)
NEWEST_FIRST = Keyset(
    (Key(DecisionLog.at, True, is_timestamp), Key(DecisionLog.id, True, matches(DECISION_ID)))
)


def _summary(row: DecisionLog) -> Json:
    return {
        "decisionId": row.id,
        "at": row.at,
        "customerId": row.customer_id,
        "policySetVersion": row.policy_set,
        "decisions": unpacked(row.decisions),
    }


def customer_page(engine: Engine, tenant_id: str, customer_id: str, limit: int, cursor: str | None) -> Page:
    """`GET /customers/{id}/decisions`: the customer's decisions, newest first."""
    where = and_(DecisionLog.tenant_id == tenant_id, DecisionLog.customer_id == customer_id)
    with transaction(engine) as session:
        return NEWEST_FIRST.page(session, DecisionLog, where, limit, cursor, _summary)


class Retention:
    """Deletes entries older than `days`, at most once per interval per worker, from
    within decide's own write (so no background thread and no extra transaction)."""

    def __init__(self, days: int) -> None:
        self.days = days
        self._due = 0.0
        self._lock = threading.Lock()

    def due(self) -> bool:
        return time.monotonic() >= self._due

    def prune_if_due(self, session: Session) -> None:
        with self._lock:
            if time.monotonic() < self._due:
                return
            self._due = time.monotonic() + PRUNE_INTERVAL_SECONDS
        cutoff = clock.stamp(datetime.now(UTC) - timedelta(days=self.days))
        session.execute(delete(DecisionLog).where(DecisionLog.at < cutoff))


@dataclass
class _Pending:
    """An entry waiting for its commit; `notify` is called (from the writer's thread) once
    the commit succeeded or failed (`error`)."""

    tenant_id: str
    policy_set: LoadedSet
    entry: Json
    notify: Callable[[], object]
    error: BaseException | None = None


class LogWriter:
    """Writes decision-log entries by group commit: each decide waits until its entry is
    committed (no acknowledged decision goes unlogged), but the entries that arrive while a
    commit is under way are written together in the next transaction. On SQLite, where
    writers queue for one lock and each commit syncs to disk, one commit per decide would
    cap a server at the disk's commits per second; one per batch does not.

    On SQLite the common entry (its policy set stored already, no prune due) is committed
    on the event loop itself, in a transaction begun only when the write lock is free this
    instant (else tried again 0.2 ms later, the loop serving others meanwhile): a writer
    thread had to win the GIL back from the busy loop at every step of its commit, which
    made a decide at 400 req/s wait 10 ms (p50) for a 1.5 ms commit. A new policy set and
    retention's prune, rare and heavier, still go through the writer thread, as every
    entry does on PostgreSQL (whose commits wait on the network)."""

    def __init__(self, engine: Engine, sets: PolicySets, retention: Retention) -> None:
        self.engine = engine
        self.sets = sets
        self.retention = retention
        self._queue: queue.SimpleQueue[_Pending] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()
        self._on_loop: list[_Pending] = []
        self._loop_writer = LoopWriter(engine)

    async def written(self, tenant_id: str, policy_set: LoadedSet, entry: Json) -> None:
        """Once `entry` is committed (with its policy set, if new); raises what the commit
        raised. The event loop serves other requests meanwhile."""
        loop = asyncio.get_running_loop()
        committed = loop.create_future()
        if self._fits_the_loop(tenant_id, policy_set):
            pending = _Pending(tenant_id, policy_set, entry, lambda: committed.set_result(None))
            self._on_loop.append(pending)
            if len(self._on_loop) == 1:  # else a commit on the loop is already due
                loop.call_soon(self._commit_on_loop, loop)
        else:
            pending = _Pending(
                tenant_id, policy_set, entry, lambda: loop.call_soon_threadsafe(committed.set_result, None)
            )
            self._submit(pending)
        await committed
        if pending.error is not None:
            raise pending.error

    def _fits_the_loop(self, tenant_id: str, policy_set: LoadedSet) -> bool:
        return (
            self.engine.dialect.name == "sqlite"
            and self.sets.is_stored(tenant_id, policy_set)
            and not self.retention.due()
        )

    def _commit_on_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """The waiting entries in one transaction, if SQLite's write lock is free now."""
        batch = self._on_loop[:BATCH_LIMIT]
        try:
            if not self._loop_writer.insert_if_free(ENTRY, [pending.entry for pending in batch]):
                loop.call_later(LOCK_RETRY_SECONDS, self._commit_on_loop, loop)
                return
        except BaseException as error:  # every waiting decide answers it (as its own failure)
            for pending in batch:
                pending.error = error
        del self._on_loop[: len(batch)]
        if self._on_loop:
            loop.call_soon(self._commit_on_loop, loop)
        for pending in batch:
            pending.notify()

    @staticmethod
    def _insert(session: Session, batch: list[_Pending]) -> None:
        session.connection().execute(ENTRY, [pending.entry for pending in batch])

    def write(self, tenant_id: str, policy_set: LoadedSet, entry: Json) -> None:
        """`written`, for a caller outside an event loop (blocks its thread)."""
        committed = threading.Event()
        pending = _Pending(tenant_id, policy_set, entry, committed.set)
        self._submit(pending)
        committed.wait()
        if pending.error is not None:
            raise pending.error

    def _submit(self, pending: _Pending) -> None:
        self._ensure_running()
        self._queue.put(pending)

    def _ensure_running(self) -> None:
        with self._start:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="cpol-decision-log", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < BATCH_LIMIT:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._commit(batch)

    def _commit(self, batch: list[_Pending]) -> None:
        try:
            with transaction(self.engine, write=True) as session:
                self.retention.prune_if_due(session)
                for pending in batch:
                    self.sets.store(session, pending.tenant_id, pending.policy_set)
                self._insert(session, batch)
            for pending in batch:
                self.sets.remember(pending.tenant_id, pending.policy_set)
        except BaseException as error:  # every waiting decide answers it (as its own failure)
            for pending in batch:
                pending.error = error
        finally:
            for pending in batch:
                pending.notify()
