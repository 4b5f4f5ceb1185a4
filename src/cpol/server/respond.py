"""`POST /respond` (SPEC §5.6): interactions recorded, and the suppression records they make.

A body is checked whole before anything is written (every problem at its JSON path). A
batch is one write transaction: an idempotency key the tenant already used answers its
stored interaction and result again; the others are completed from the catalogue, stored
as the §2 interaction decide reads (`document`), and passed to the suppression engine.

Each stored row keeps, in `result`, the fields it was sent with (to tell a retry from a
different interaction under a reused key) and the records it created or extended as it
left them, so a retry's answer is the first answer. On PostgreSQL, concurrent retries with
one key (or batches creating one record) meet at a unique constraint: the loser's
transaction is rolled back and run again, and then finds the winner's rows.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from cpol.server import catalogue, suppressions
from cpol.server.clock import now
from cpol.server.database import transaction
from cpol.server.errors import ApiError, ErrorDetail
from cpol.server.fields import parsed
from cpol.server.models import Interaction
from cpol.server.policy_sets import PolicySets
from cpol.server.schemas import InteractionBatch, InteractionFields

Json = dict[str, Any]

#: Optional fields that are part of the §2 interaction, in its order.
OPTIONAL = ("creativeId", "campaignId", "categoryId", "subCategoryId", "offerCategory")
#: Runs of one batch's transaction before a 409: each lost race is followed by a win.
ATTEMPTS = 5
#: PostgreSQL's deadlock and serialization failures: the transaction may simply run again.
RETRYABLE_STATES = frozenset({"40P01", "40001"})


@dataclass(frozen=True)
class Given:
    """One interaction as sent: its fields (nulls dropped, the timestamp normalised; no
    idempotency key), its key, and where in the body it was."""

    fields: dict[str, str]
    key: str | None
    path: str

    @classmethod
    def of(cls, item: InteractionFields, path: str) -> Given:
        return cls(item.model_dump(exclude_none=True, exclude={"idempotencyKey"}), item.idempotencyKey, path)

    @property
    def key_path(self) -> str:
        return f"{self.path}.idempotencyKey" if self.path else "idempotencyKey"

    def document(self, at: str) -> Json:
        """The §2 interaction, before the catalogue completes it (default time: `at`)."""
        fields = self.fields
        head = {
            "id": f"ih_{secrets.token_hex(8)}",
            "timestamp": fields.get("timestamp", at),
            "outcome": fields["outcome"],
            "offerId": fields["offerId"],
            "channelId": fields["channelId"],
        }
        return head | {name: fields[name] for name in OPTIONAL if name in fields}


def read_batch(body: Json) -> list[Given]:
    """One interaction, or `{"interactions": [...]}`; else one 400 listing every problem at
    its path. A key given twice in one batch is a problem: which would be the first?"""
    if "interactions" not in body:
        return [Given.of(parsed(InteractionFields, body, "interaction"), "")]
    items = parsed(InteractionBatch, body, "batch of interactions").interactions
    batch = [Given.of(item, f"interactions[{i}]") for i, item in enumerate(items)]
    first: dict[str, str] = {}
    repeated = [
        ErrorDetail(path=g.key_path, message=f"repeats the key of {first[g.key]}")
        for g in batch
        if g.key is not None and first.setdefault(g.key, g.path) != g.path
    ]
    if repeated:
        raise ApiError(400, "the batch of interactions is invalid", repeated)
    return batch


def _answered(row: Interaction) -> Json:
    """A stored interaction as respond answers it: its §2 fields with the customer's id."""
    document: Json = json.loads(row.document)
    identity = {"id": document.pop("id"), "customerId": row.customer_id}
    return identity | document | {"idempotencyKey": row.idempotency_key, "createdAt": row.created_at}


def answer(rows: Sequence[Interaction]) -> Json:
    """`{"interactions", "suppressions"}`: each record once, as the last of the batch's
    interactions left it, in the order they were first touched."""
    records: dict[str, Json] = {}
    for row in rows:
        for item in json.loads(row.result)["suppressions"]:
            records[item["id"]] = item
    return {"interactions": [_answered(row) for row in rows], "suppressions": list(records.values())}


def _stored(session: Session, tenant: str, batch: Sequence[Given]) -> dict[str, Interaction]:
    """The tenant's interactions already recorded under the batch's keys, by key; 409 for
    a key that was used for another interaction."""
    keys = [g.key for g in batch if g.key is not None]
    if not keys:
        return {}
    query = select(Interaction).where(Interaction.tenant_id == tenant, Interaction.idempotency_key.in_(keys))
    found = {str(row.idempotency_key): row for row in session.scalars(query)}
    conflicts = [
        ErrorDetail(
            path=g.key_path,
            message=f"was used for another interaction ({json.loads(found[g.key].document)['id']})",
        )
        for g in batch
        if g.key in found and json.loads(found[g.key].result)["request"] != g.fields
    ]
    if conflicts:
        raise ApiError(409, "an idempotency key was used for a different interaction", conflicts)
    return found


def _recorded(session: Session, tenant: str, sets: PolicySets, batch: Sequence[Given]) -> list[Interaction]:
    """The batch's rows: those stored under its keys, the others recorded now."""
    stored = _stored(session, tenant, batch)
    fresh = [g for g in batch if g.key not in stored]
    at = now()
    documents = catalogue.complete(session, tenant, [g.document(at) for g in fresh], channel_type=False)
    made = suppressions.record(
        session,
        tenant,
        sets,
        [(g.fields["customerId"], d) for g, d in zip(fresh, documents, strict=True)],
        at,
    )
    rows = iter(
        Interaction(
            id=document["id"],
            tenant_id=tenant,
            customer_id=given.fields["customerId"],
            timestamp=document["timestamp"],
            idempotency_key=given.key,
            document=json.dumps(document, ensure_ascii=False),
            result=json.dumps({"request": given.fields, "suppressions": records}, ensure_ascii=False),
            created_at=at,
        )
        for given, document, records in zip(fresh, documents, made, strict=True)
    )
    recorded = [stored[g.key] if g.key in stored else next(rows) for g in batch]
    session.add_all(row for row, g in zip(recorded, batch, strict=True) if g.key not in stored)
    session.flush()
    return recorded


def _retryable(error: DBAPIError) -> bool:
    return isinstance(error, IntegrityError) or getattr(error.orig, "sqlstate", None) in RETRYABLE_STATES


def record(engine: Engine, sets: PolicySets, tenant: str, batch: Sequence[Given]) -> Json:
    """Record the batch in one transaction, run again when it lost a race to another."""
    for _ in range(ATTEMPTS):
        try:
            with transaction(engine, write=True) as session:
                return answer(_recorded(session, tenant, sets, batch))
        except DBAPIError as error:
            if not _retryable(error):
                raise
    raise ApiError(409, "concurrent writes kept meeting these interactions; send them again")


def respond(engine: Engine, sets: PolicySets, tenant: str, body: Json) -> Json:
    return record(engine, sets, tenant, read_batch(body))
