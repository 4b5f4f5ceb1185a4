"""The policy sets decide runs (SPEC §5.6): an engine built once per content, stored once.

A tenant's live policies are reloaded only when their *signature* moves: the number of the
tenant's policy rows and the sum of their versions. Every create adds a row and every
update or delete adds 1 to a version, so any change moves it, and each worker sees it at
its next decide: no message between workers, one indexed aggregate per decide.

A set's version is the digest of its canonical JSON, so a set is stored (and an engine
built) once however many decisions use it, and a flow's subset is a set of its own.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

import cpol
from cpol.server.clock import now
from cpol.server.database import fast_rows, insert_new
from cpol.server.models import ContactPolicy, PolicySet
from cpol.server.policies import Document, document_of, live_rows

SETS_KEPT = 256
_K = TypeVar("_K")
_V = TypeVar("_V")
DIGEST_CHARS = 32


@dataclass(frozen=True)
class LoadedSet:
    """One policy set: its version (`digest`), its JSON as logged, and its engine."""

    digest: str
    documents: str
    engine: cpol.Engine


def _digest(documents: Sequence[Document]) -> str:
    canonical = json.dumps(documents, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()[:DIGEST_CHARS]


#: The number of a tenant's policy rows and the sum of their versions (built once).
SIGNATURE = select(func.count(), func.coalesce(func.sum(ContactPolicy.version), 0)).where(
    ContactPolicy.tenant_id == bindparam("tenant")
)


def _signature(session: Session, tenant_id: str) -> tuple[int, int]:
    ((count, versions),) = fast_rows(session, SIGNATURE, {"tenant": tenant_id})
    return int(count), int(versions)


class _Recent(OrderedDict[_K, _V]):
    """A mapping that forgets its least recently used entries beyond `capacity`."""

    def __init__(self, capacity: int) -> None:
        super().__init__()
        self.capacity = capacity

    def recall(self, key: _K) -> _V | None:
        found = self.get(key)
        if found is not None:
            self.move_to_end(key)
        return found

    def keep(self, key: _K, value: _V) -> _V:
        self[key] = value
        while len(self) > self.capacity:
            self.popitem(last=False)
        return value


class PolicySets:
    """Per worker process, shared by its request threads (a lock guards the caches)."""

    def __init__(self) -> None:
        self._current: _Recent[tuple[str, tuple[str, ...] | None], tuple[tuple[int, int], LoadedSet]]
        self._current = _Recent(SETS_KEPT)
        self._engines: _Recent[tuple[str, str], LoadedSet] = _Recent(SETS_KEPT)
        self._stored: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def current(self, session: Session, tenant_id: str, only: tuple[str, ...] | None = None) -> LoadedSet:
        """The tenant's live policies (only those with an id in `only`, when given), read
        again only when the tenant's signature moved."""
        signature = _signature(session, tenant_id)
        with self._lock:
            cached = self._current.recall((tenant_id, only))
        if cached is not None and cached[0] == signature:
            return cached[1]
        rows = live_rows(session, tenant_id)
        wanted = set(only) if only is not None else None
        documents = [document_of(row) for row in rows if wanted is None or row.id in wanted]
        documents.sort(key=lambda d: str(d["id"]))
        loaded = self._loaded(tenant_id, documents)
        with self._lock:
            self._current.keep((tenant_id, only), (signature, loaded))
        return loaded

    def _loaded(self, tenant_id: str, documents: list[Document]) -> LoadedSet:
        digest = _digest(documents)
        with self._lock:
            found = self._engines.recall((tenant_id, digest))
        if found is not None:
            return found
        text = json.dumps(documents, ensure_ascii=False, separators=(",", ":"))
        built = LoadedSet(digest, text, cpol.Engine(cpol.load_json(documents)))
        with self._lock:
            return self._engines.keep((tenant_id, digest), built)

    def is_stored(self, tenant_id: str, loaded: LoadedSet) -> bool:
        """Whether this worker stored (or saw stored) the set already."""
        return (tenant_id, loaded.digest) in self._stored

    def store(self, session: Session, tenant_id: str, loaded: LoadedSet) -> None:
        """Keep the set for the decision log, once (in the caller's write transaction; a
        set another worker stored first is left as it is: same digest, same content). The
        caller calls `remember` once that transaction committed."""
        if self.is_stored(tenant_id, loaded):
            return
        row = {
            "tenant_id": tenant_id,
            "digest": loaded.digest,
            "documents": loaded.documents,
            "created_at": now(),
        }
        insert_new(session, PolicySet, row)

    def remember(self, tenant_id: str, loaded: LoadedSet) -> None:
        """The set is committed: entries may refer to it without storing it again."""
        self._stored.add((tenant_id, loaded.digest))


def documents_of(session: Session, tenant_id: str, digest: str) -> str | None:
    """A stored set's JSON array text (for the decision log)."""
    row = session.get(PolicySet, (tenant_id, digest))
    return row.documents if row is not None else None
