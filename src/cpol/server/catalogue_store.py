"""Writing and reading the offer and channel catalogue (SPEC §5.5).

`PUT` creates or replaces an entry under the client's own id (which other systems already
use for the offer or channel); the stored `document` is exactly what GET answers,
`{id, …fields, createdAt, updatedAt}`, the shape `catalogue.complete` reads. A field set
to null is left out, as if not given. Deleting an entry removes its row: the catalogue only
fills in what candidates and interactions leave out, so there is nothing to keep.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cpol.server.catalogue import ID_RULE, is_catalogue_id
from cpol.server.clock import now
from cpol.server.database import transaction
from cpol.server.errors import ApiError, ErrorDetail, not_found
from cpol.server.fields import parsed
from cpol.server.models import Channel, Offer
from cpol.server.paging import Key, Keyset, Page
from cpol.server.schemas import ChannelFields, OfferFields

Document = dict[str, Any]
Entry = TypeVar("Entry", Offer, Channel)


@dataclass(frozen=True)
class Kind(Generic[Entry]):
    """Offers or channels: their table, their fields and their name in messages."""

    table: type[Entry]
    fields: type[BaseModel]
    what: str

    @property
    def keyset(self) -> Keyset:
        """By id: the ids are the client's, so creation order means little to them."""
        return Keyset((Key(self.table.id, False, is_catalogue_id),))


OFFERS = Kind(Offer, OfferFields, "offer")
CHANNELS = Kind(Channel, ChannelFields, "channel")


def _found(
    session: Session, kind: Kind[Entry], tenant: str, item_id: str, *, lock: bool = False
) -> Entry | None:
    """The entry, or None (an id no entry can have included); `lock`: read for update."""
    if not is_catalogue_id(item_id):  # never stored; and PostgreSQL cannot even compare a NUL
        return None
    query = select(kind.table).where(kind.table.tenant_id == tenant, kind.table.id == item_id)
    return session.scalars(query.with_for_update() if lock else query).one_or_none()


def _row(session: Session, kind: Kind[Entry], tenant: str, item_id: str, *, lock: bool = False) -> Entry:
    row = _found(session, kind, tenant, item_id, lock=lock)
    if row is None:
        raise not_found(kind.what)
    return row


def _document(row: Offer | Channel) -> Document:
    document: Document = json.loads(row.document)
    return document


def _created(session: Session, row: Offer | Channel) -> bool:
    """Insert `row` unless a concurrent create of its id got there first (PostgreSQL: the
    key refuses it, and only the savepoint is rolled back; SQLite's writers queue)."""
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True


def put(
    engine: Engine, tenant: str, kind: Kind[Entry], item_id: str, fields: Document
) -> tuple[Document, bool]:
    """Create or replace the entry; whether it was created. Of concurrent creates of one
    id, the database's key lets one create and the others replace."""
    if not is_catalogue_id(item_id):
        raise ApiError(400, f"the {kind.what} is invalid", [ErrorDetail(path="id", message=ID_RULE)])
    written = parsed(kind.fields, fields, kind.what, item_id).model_dump(exclude_none=True)
    at = now()
    document = {"id": item_id, **written, "createdAt": at, "updatedAt": at}
    with transaction(engine, write=True) as session:
        row = _found(session, kind, tenant, item_id, lock=True)
        if row is None:
            text = json.dumps(document, ensure_ascii=False)
            if _created(
                session, kind.table(tenant_id=tenant, id=item_id, document=text, created_at=at, updated_at=at)
            ):
                return document, True
            row = _row(session, kind, tenant, item_id, lock=True)
        document["createdAt"] = row.created_at
        row.document = json.dumps(document, ensure_ascii=False)
        row.updated_at = at
        return document, False


def get(engine: Engine, tenant: str, kind: Kind[Entry], item_id: str) -> Document:
    with transaction(engine) as session:
        return _document(_row(session, kind, tenant, item_id))


def delete(engine: Engine, tenant: str, kind: Kind[Entry], item_id: str) -> None:
    with transaction(engine, write=True) as session:
        session.delete(_row(session, kind, tenant, item_id, lock=True))


def list_page(engine: Engine, tenant: str, kind: Kind[Entry], limit: int, cursor: str | None) -> Page:
    with transaction(engine) as session:
        return kind.keyset.page(session, kind.table, kind.table.tenant_id == tenant, limit, cursor, _document)
