"""Dynamic segments (SPEC §7): stored rules over the contacts' fields, never a stored list
of members. A segment is immutable once made (the API has no update), so its members are
always what its rules select now: in SQL for a page of members, in Python for one contact
at decide time (`matching`), by the two evaluators of `segment_rules`.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import Engine, and_, bindparam, select
from sqlalchemy.orm import Session

from cpol.server import contacts, segment_rules
from cpol.server.clock import now
from cpol.server.database import transaction
from cpol.server.errors import ApiError, not_found
from cpol.server.fields import parsed
from cpol.server.models import Contact, Segment
from cpol.server.paging import Key, Keyset, Page, is_timestamp, matches
from cpol.server.schemas import Name, Pagination, Reason, Written

Document = dict[str, Any]
SEGMENT_ID = re.compile(r"seg_[0-9a-f]{16}\Z", re.ASCII)
KEYSET = Keyset((Key(Segment.created_at, True, is_timestamp), Key(Segment.id, True, matches(SEGMENT_ID))))


class SegmentFields(Written):
    """A segment as written; `rules` is checked by `segment_rules` (every problem at its path)."""

    name: Name
    description: Reason | None = None
    rules: dict[str, Any] = Field(
        description='{"all": [...]} or {"any": [...]} of conditions {field, op, value} and groups'
    )


class StoredSegment(BaseModel):
    id: str
    name: str
    description: str | None
    rules: dict[str, Any]
    createdAt: str


class SegmentPage(BaseModel):
    data: list[StoredSegment]
    pagination: Pagination


def _document(row: Segment | Contact) -> Document:
    document: Document = json.loads(row.document)
    return document


def _checked(fields: Document) -> SegmentFields:
    """The fields, or a 400 listing every problem: the rules' own at their paths (instead
    of the model's one "must be a JSON object" for rules that are no object)."""
    rule_problems = segment_rules.problems(fields["rules"])[1] if "rules" in fields else []
    try:
        given = parsed(SegmentFields, fields, "segment")
    except ApiError as invalid:
        invalid.details = [d for d in invalid.details if d.path != "rules" or not rule_problems]
        invalid.details += rule_problems
        raise
    if rule_problems:
        raise ApiError(400, "the segment is invalid", rule_problems)
    return given


def create(engine: Engine, tenant: str, fields: Document) -> Document:
    """The new segment: `{id, name, description, rules, createdAt}`."""
    given = _checked(fields)
    at = now()
    document = {"id": f"seg_{secrets.token_hex(8)}", **given.model_dump(), "createdAt": at}
    row = Segment(id=document["id"], tenant_id=tenant, document=json.dumps(document, ensure_ascii=False))
    row.created_at = at
    with transaction(engine, write=True) as session:
        session.add(row)
    return document


def _found(session: Session, tenant: str, segment_id: str) -> Segment:
    """The tenant's segment, or 404 (an id of another shape was never made)."""
    if SEGMENT_ID.match(segment_id) is None:
        raise not_found("segment")
    row = session.get(Segment, segment_id)
    if row is None or row.tenant_id != tenant:
        raise not_found("segment")
    return row


def get(engine: Engine, tenant: str, segment_id: str) -> Document:
    with transaction(engine) as session:
        return _document(_found(session, tenant, segment_id))


def delete(engine: Engine, tenant: str, segment_id: str) -> None:
    """The segment only: its contacts are not touched (SPEC §7)."""
    with transaction(engine, write=True) as session:
        session.delete(_found(session, tenant, segment_id))


def list_page(engine: Engine, tenant: str, limit: int, cursor: str | None) -> Page:
    """The tenant's segments, newest first."""
    with transaction(engine) as session:
        return KEYSET.page(session, Segment, Segment.tenant_id == tenant, limit, cursor, _document)


def members_page(engine: Engine, tenant: str, segment_id: str, limit: int, cursor: str | None) -> Page:
    """The contacts the segment's rules select now, in the contacts list's order: one
    query (and its count), the rules evaluated by the database."""
    with transaction(engine) as session:
        rules = segment_rules.parse(_document(_found(session, tenant, segment_id))["rules"])
        dialect = session.get_bind().dialect.name
        where = and_(Contact.tenant_id == tenant, segment_rules.where(rules, dialect))
        return contacts.KEYSET.page(session, Contact, where, limit, cursor, _document)


@dataclass(frozen=True)
class _Parsed:
    """A tenant's segments as last read: their ids (a signature: segments never change, so
    the same ids are the same rules) and their trees, in the list's order."""

    ids: tuple[str, ...]
    trees: tuple[tuple[str, segment_rules.Group], ...]


#: Per worker, per tenant: read again only when the tenant's segment ids change.
_CACHE: dict[str, _Parsed] = {}
#: Past this many tenants the cache starts over (a bound, not an eviction policy).
CACHE_TENANTS = 10_000
_IDS = (
    select(Segment.id)
    .where(Segment.tenant_id == bindparam("tenant"))
    .order_by(Segment.created_at.desc(), Segment.id.desc())
)
_DOCUMENTS = select(Segment.id, Segment.document).where(Segment.id.in_(bindparam("ids", expanding=True)))


def _parsed(session: Session, tenant: str) -> _Parsed:
    """The tenant's segments, from this worker's cache when their ids are unchanged (one
    index-only query), else read and parsed again."""
    connection = session.connection()
    ids = tuple(connection.execute(_IDS, {"tenant": tenant}).scalars())
    known = _CACHE.get(tenant)
    if known is not None and known.ids == ids:
        return known
    documents: dict[str, str] = {}
    if ids:
        documents = {row.id: row.document for row in connection.execute(_DOCUMENTS, {"ids": list(ids)})}
    trees = tuple((i, segment_rules.parse(json.loads(documents[i])["rules"])) for i in ids if i in documents)
    fresh = _Parsed(tuple(i for i, _ in trees), trees)
    if len(_CACHE) >= CACHE_TENANTS:
        _CACHE.clear()
    _CACHE[tenant] = fresh
    return fresh


def matching(session: Session, tenant_id: str, contact_document: Document) -> list[str]:
    """The ids of the tenant's segments the contact (its stored JSON document) matches,
    newest segment first, evaluated in Python (what decide knows of the contact)."""
    return [
        i for i, tree in _parsed(session, tenant_id).trees if segment_rules.matches(tree, contact_document)
    ]
