"""Contact lists and their members (SPEC §7): standard lists, whose ids are segments of a
decision's customer, and `dnc` lists, whose names are its do-not-contact lists.

A list's `document` is exactly what the API answers; its members are rows of
`list_members` (contact id and when it was added), so a membership is one row to add or
remove and "which lists is this contact in" is one indexed read. Deleting a list removes
its memberships and keeps the contacts; erasing a contact removes its memberships
(`contacts.erase`). Writes read the list (and the contacts added) under a lock, so a list
or contact deleted concurrently never keeps a membership.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import Engine, and_, bindparam, delete, select
from sqlalchemy.orm import Session

from cpol.server.clock import now
from cpol.server.contact_fields import CONTACT_ID, StoredContact
from cpol.server.database import in_chunks, insert_new, transaction
from cpol.server.errors import ApiError, ErrorDetail, not_found
from cpol.server.fields import parsed
from cpol.server.models import Contact, ContactList, ListMember
from cpol.server.paging import Key, Keyset, Page, is_timestamp, matches
from cpol.server.schemas import Id, Name, Pagination, Reason, Written

Document = dict[str, Any]
LIST_ID = re.compile(r"lst_[0-9a-f]{16}\Z", re.ASCII)
#: The most contact ids one `POST …/members` adds (as `POST /respond`'s interactions).
MAX_MEMBERS = 1000
Kind = Literal["standard", "dnc"]
#: Lists newest first, as contacts.
KEYSET = Keyset(
    (Key(ContactList.created_at, True, is_timestamp), Key(ContactList.id, True, matches(LIST_ID)))
)


class ListFields(Written):
    """A list as written; in an update, the fields given."""

    name: Name
    description: Reason | None = None
    kind: Kind = "standard"


class StoredList(BaseModel):
    id: str
    name: str
    description: str | None
    kind: Kind
    createdAt: str
    updatedAt: str


class ListPage(BaseModel):
    data: list[StoredList]
    pagination: Pagination


class MemberIds(Written):
    contactIds: Annotated[list[Id], Field(min_length=1, max_length=MAX_MEMBERS)]


class MembersAdded(BaseModel):
    """Which of the ids became members now, and which were already (both in body order)."""

    added: list[str]
    alreadyMembers: list[str]


class MemberPage(BaseModel):
    data: list[StoredContact]
    pagination: Pagination


@dataclass(frozen=True)
class Memberships:
    """What a decision knows of a contact's lists (SPEC §7): the ids of the standard lists
    it is in (its segments) and the names of the `dnc` lists, each sorted, once."""

    segments: tuple[str, ...] = ()
    dnc: tuple[str, ...] = ()


def _document(row: Any) -> Document:
    """A stored list's, or a member contact's, document as the API answers it."""
    document: Document = json.loads(row.document)
    return document


def _found(session: Session, tenant: str, list_id: str, *, lock: bool = False) -> ContactList:
    """The list, or 404 (an id of another shape was never made: not even asked for)."""
    if LIST_ID.match(list_id) is None:
        raise not_found("contact list")
    query = select(ContactList).where(ContactList.tenant_id == tenant, ContactList.id == list_id)
    row = session.scalars(query.with_for_update() if lock else query).one_or_none()
    if row is None:
        raise not_found("contact list")
    return row


def _store(row: ContactList, fields: ListFields, at: str) -> Document:
    document = {"id": row.id, **fields.model_dump(), "createdAt": row.created_at, "updatedAt": at}
    row.kind, row.updated_at = fields.kind, at
    row.document = json.dumps(document, ensure_ascii=False)
    return document


def create(engine: Engine, tenant: str, fields: Document) -> Document:
    given = parsed(ListFields, fields, "contact list")
    at = now()
    row = ContactList(id=f"lst_{secrets.token_hex(8)}", tenant_id=tenant, created_at=at)
    with transaction(engine, write=True) as session:
        document = _store(row, given, at)
        session.add(row)
        return document


def get(engine: Engine, tenant: str, list_id: str) -> Document:
    with transaction(engine) as session:
        return _document(_found(session, tenant, list_id))


def update(engine: Engine, tenant: str, list_id: str, changes: Document) -> Document:
    """The fields given change (null clears the description); the result is checked whole."""
    with transaction(engine, write=True) as session:
        row = _found(session, tenant, list_id, lock=True)
        stored = {k: v for k, v in _document(row).items() if k in ListFields.model_fields}
        return _store(row, parsed(ListFields, {**stored, **changes}, "contact list", list_id), now())


def delete_list(engine: Engine, tenant: str, list_id: str) -> None:
    """The list and its memberships; its contacts stay."""
    with transaction(engine, write=True) as session:
        session.delete(_found(session, tenant, list_id, lock=True))
        session.execute(delete(ListMember).where(ListMember.list_id == list_id))


def list_page(engine: Engine, tenant: str, limit: int, cursor: str | None) -> Page:
    with transaction(engine) as session:
        return KEYSET.page(session, ContactList, ContactList.tenant_id == tenant, limit, cursor, _document)


def _contacts(session: Session, tenant: str, ids: list[str]) -> set[str]:
    """Which of `ids` are contacts of the tenant, read for share: a concurrent erasure
    waits for this transaction (or this one sees the contact gone)."""
    found: set[str] = set()
    for chunk in in_chunks(i for i in ids if CONTACT_ID.match(i)):
        query = select(Contact.id).where(Contact.tenant_id == tenant, Contact.id.in_(chunk))
        found.update(session.scalars(query.with_for_update(read=True)))
    return found


def add_members(engine: Engine, tenant: str, list_id: str, fields: Document) -> Document:
    """Add the contacts (each once; a member already is left as it was); an id that is no
    contact of the tenant is a 400 at its index, and then nothing is added."""
    given = parsed(MemberIds, fields, "members").contactIds
    ids = list(dict.fromkeys(given))
    with transaction(engine, write=True) as session:
        _found(session, tenant, list_id, lock=True)
        known = _contacts(session, tenant, ids)
        unknown = [
            ErrorDetail(path=f"contactIds[{i}]", message="is not a contact of the tenant")
            for i, contact_id in enumerate(given)
            if contact_id not in known
        ]
        if unknown:
            raise ApiError(400, "the members are invalid", unknown)
        row = {"list_id": list_id, "tenant_id": tenant, "added_at": now()}
        added = [c for c in ids if insert_new(session, ListMember, {**row, "contact_id": c})]
    return {"added": added, "alreadyMembers": [c for c in ids if c not in added]}


def remove_member(engine: Engine, tenant: str, list_id: str, contact_id: str) -> None:
    """404 for a contact that is not a member (of a list the tenant has)."""
    member = and_(ListMember.list_id == list_id, ListMember.contact_id == contact_id)
    with transaction(engine, write=True) as session:
        _found(session, tenant, list_id, lock=True)
        # an id of another shape is never a member (and PostgreSQL cannot compare a NUL)
        deleted = delete(ListMember).where(member).returning(ListMember.contact_id)
        if CONTACT_ID.match(contact_id) is None or session.execute(deleted).first() is None:
            raise not_found("member of the list")


def members_page(engine: Engine, tenant: str, list_id: str, limit: int, cursor: str | None) -> Page:
    """The list's contacts, most recently added first."""
    members = (
        select(ListMember.added_at, ListMember.contact_id, Contact.document)
        .join(Contact, and_(Contact.tenant_id == tenant, Contact.id == ListMember.contact_id))
        .where(ListMember.list_id == list_id)
        .subquery()
    )
    keyset = Keyset(
        (Key(members.c.added_at, True, is_timestamp), Key(members.c.contact_id, True, matches(CONTACT_ID)))
    )
    with transaction(engine) as session:
        _found(session, tenant, list_id)
        return keyset.rows_page(session, members, limit, cursor, _document)


#: Built once, as decide's other reads are; ix_list_members_contact finds the rows.
MEMBERSHIPS = (
    select(ContactList.id, ContactList.kind, ContactList.document)
    .join(ListMember, ListMember.list_id == ContactList.id)
    .where(ListMember.tenant_id == bindparam("tenant"), ListMember.contact_id == bindparam("contact"))
)


def memberships(session: Session, tenant_id: str, contact_id: str) -> Memberships:
    """The lists the contact is in, in one query: standard lists' ids, `dnc` lists' names."""
    rows = session.connection().execute(MEMBERSHIPS, {"tenant": tenant_id, "contact": contact_id}).all()
    segments = sorted(row.id for row in rows if row.kind == "standard")
    dnc = sorted({json.loads(row.document)["name"] for row in rows if row.kind == "dnc"})
    return Memberships(tuple(segments), tuple(dnc))
