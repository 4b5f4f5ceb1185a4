"""Storing and reading contacts (SPEC §7).

A contact's `document` is exactly what the API answers; the columns beside it are what
lists filter on and what the unique keys hold (phone and email, per tenant: two
concurrent creates of one address cannot both succeed). A contact's id is the
`customerId` its interactions, suppression records and decisions are recorded under, so
erasing a contact deletes those rows by that id, in the transaction that deletes it.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, and_, delete, literal, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cpol.server import contact_search, decision_log
from cpol.server.clock import now
from cpol.server.contact_fields import CONTACT_ID, ContactFields, Preferences, Tags
from cpol.server.database import transaction
from cpol.server.errors import ApiError, ErrorDetail, not_found
from cpol.server.fields import parsed
from cpol.server.models import Contact, DecisionLog, Interaction, ListMember, SuppressionRecord
from cpol.server.paging import Key, Keyset, Page, is_timestamp, matches

Document = dict[str, Any]
FIELDS = tuple(ContactFields.model_fields)
KEYSET = Keyset((Key(Contact.created_at, True, is_timestamp), Key(Contact.id, True, matches(CONTACT_ID))))
ACTIVITY_ID = re.compile(r"(ih|dec)_[0-9a-f]{16}\Z", re.ASCII)
#: The tables that hold a customer's data by `customer_id`: what erasure deletes.
CUSTOMER_TABLES = (Interaction, SuppressionRecord, DecisionLog)


def _document(row: Contact) -> Document:
    document: Document = json.loads(row.document)
    return document


def _found(session: Session, tenant: str, contact_id: str, *, lock: bool = False) -> Contact:
    """The contact, or 404 (an id of another shape was never made: not even asked for)."""
    if CONTACT_ID.match(contact_id) is None:
        raise not_found("contact")
    query = select(Contact).where(Contact.tenant_id == tenant, Contact.id == contact_id)
    row = session.scalars(query.with_for_update() if lock else query).one_or_none()
    if row is None:
        raise not_found("contact")
    return row


#: The fields an update merges key by key (a key given null is removed), and the empty
#: value of the fields that are never null.
MERGED = ("customFields", "preferences")
EMPTY: dict[str, Callable[[], Any]] = {"tags": list, "customFields": dict, "preferences": dict}


def _merged(document: Document, changes: ContactFields) -> Document:
    """`document` with the fields given changed: `customFields` and `preferences` merged,
    the others replaced (null clears them); a tag given twice is kept once."""
    merged = dict(document)
    for name, value in changes.model_dump(exclude_unset=True).items():
        if name in MERGED and value is not None:
            value = {k: v for k, v in {**merged[name], **value}.items() if v is not None}
        elif name == "tags" and value is not None:
            value = list(dict.fromkeys(value))
        merged[name] = EMPTY[name]() if value is None and name in EMPTY else value
    if merged["phone"] is None and merged["email"] is None:
        required = "a contact needs a phone or an email"
        raise ApiError(
            400,
            "the contact is invalid",
            [ErrorDetail(path="phone", message=required), ErrorDetail(path="email", message=required)],
        )
    return merged


def _store(row: Contact, document: Document) -> None:
    """Write `document` and the columns derived from it."""
    row.phone, row.email = document["phone"], document["email"]
    row.country, row.lifecycle_stage = document["country"], document["lifecycleStage"]
    row.timezone = document["timezone"]
    out = sorted(channel for channel, value in document["preferences"].items() if value == "opted_out")
    row.opted_out = f" {' '.join(out)} " if out else ""
    name = " ".join(word for word in (document["firstName"], document["lastName"]) if word)
    row.search = "\n".join((name, document["phone"] or "", document["email"] or "")).lower()
    row.document = json.dumps(document, ensure_ascii=False)


def _duplicate(session: Session, tenant: str, document: Document, contact_id: str) -> ApiError:
    """The 409 of a phone or email another contact of the tenant has (read after the unique
    key refused the write, to say which)."""
    details = []
    for field, column in (("phone", Contact.phone), ("email", Contact.email)):
        value = document[field]
        mine = and_(Contact.tenant_id == tenant, column == value, Contact.id != contact_id)
        if value is not None and (taken := session.scalar(select(Contact.id).where(mine))) is not None:
            details.append(ErrorDetail(path=field, message=f"is already the {field} of contact {taken}"))
    return ApiError(409, "a contact of the tenant already has this phone or email", details)


def _written(session: Session, tenant: str, row: Contact, document: Document, *, new: bool) -> Document:
    """Store `document` in `row` inside a savepoint: a duplicate phone or email (also one
    a concurrent transaction committed first) is a 409 and changes nothing. The search
    index follows a changed search text in the same transaction."""
    searched = None if new else row.search
    try:
        with session.begin_nested():
            _store(row, document)
            if new:
                session.add(row)
            session.flush()
    except IntegrityError:
        raise _duplicate(session, tenant, document, row.id) from None
    if row.search != searched:
        contact_search.index(session, [row])
    return document


def create(engine: Engine, tenant: str, fields: Document) -> Document:
    given = parsed(ContactFields, fields, "contact")
    at = now()
    contact_id = f"con_{secrets.token_hex(8)}"
    blank: Document = {name: None for name in FIELDS} | {"tags": [], "customFields": {}, "preferences": {}}
    document = {"id": contact_id, **_merged(blank, given), "createdAt": at, "updatedAt": at}
    row = Contact(id=contact_id, tenant_id=tenant, created_at=at, updated_at=at)
    with transaction(engine, write=True) as session:
        return _written(session, tenant, row, document, new=True)


def get(engine: Engine, tenant: str, contact_id: str) -> Document:
    with transaction(engine) as session:
        return _document(_found(session, tenant, contact_id))


def update(
    engine: Engine, tenant: str, contact_id: str, change: Callable[[Document], ContactFields]
) -> Document:
    """Apply the changes `change` makes of the stored contact, read for update (so two
    concurrent changes both apply, never one over a stale read)."""
    with transaction(engine, write=True) as session:
        row = _found(session, tenant, contact_id, lock=True)
        at = now()
        document = {**_merged(_document(row), change(_document(row))), "updatedAt": at}
        row.updated_at = at
        return _written(session, tenant, row, document, new=False)


def update_fields(engine: Engine, tenant: str, contact_id: str, fields: Document) -> Document:
    changes = parsed(ContactFields, fields, "contact", contact_id)
    return update(engine, tenant, contact_id, lambda _: changes)


def add_tags(engine: Engine, tenant: str, contact_id: str, fields: Document) -> Document:
    """Duplicates ignored (SPEC §7): a tag it has stays where it is."""
    tags = parsed(Tags, fields, "tags").tags
    return update(engine, tenant, contact_id, lambda known: ContactFields(tags=[*known["tags"], *tags]))


def remove_tag(engine: Engine, tenant: str, contact_id: str, tag: str) -> Document:
    return update(
        engine, tenant, contact_id, lambda known: ContactFields(tags=[t for t in known["tags"] if t != tag])
    )


def set_preferences(engine: Engine, tenant: str, contact_id: str, fields: Document) -> Document:
    preferences = parsed(Preferences, fields, "preferences")
    return update(engine, tenant, contact_id, lambda _: ContactFields(preferences=preferences))


def erase(engine: Engine, tenant: str, contact_id: str) -> None:
    """The contact, its search index entry, its list memberships and everything recorded
    under its id, in one transaction."""
    with transaction(engine, write=True) as session:
        session.delete(_found(session, tenant, contact_id, lock=True))
        contact_search.forget(session, contact_id)
        session.execute(
            delete(ListMember).where(ListMember.tenant_id == tenant, ListMember.contact_id == contact_id)
        )
        for table in CUSTOMER_TABLES:
            session.execute(delete(table).where(table.tenant_id == tenant, table.customer_id == contact_id))


def list_page(
    engine: Engine,
    tenant: str,
    limit: int,
    cursor: str | None,
    filters: dict[str, str | None],
    search: str | None,
) -> Page:
    """Contacts, newest first, with the columns of `filters` equal to their values (None:
    any) and `search` found in their names, phone or email."""
    equal = (getattr(Contact, column) == value for column, value in filters.items() if value is not None)
    with transaction(engine) as session:
        where = and_(contact_search.matching(session, tenant, search), *equal)
        return KEYSET.page(session, Contact, where, limit, cursor, _document)


def optouts_page(
    engine: Engine, tenant: str, limit: int, cursor: str | None, channel: str | None, search: str | None
) -> Page:
    """Contacts that opted out of a channel (of `channel`, when given)."""
    opted_out = Contact.opted_out.contains(f" {channel} ") if channel else Contact.opted_out != ""
    with transaction(engine) as session:
        where = and_(contact_search.matching(session, tenant, search), opted_out)
        return KEYSET.page(session, Contact, where, limit, cursor, _document)


_INTERACTIONS = select(
    literal("interaction").label("type"),
    Interaction.id.label("id"),
    Interaction.timestamp.label("at"),
    Interaction.document.label("document"),
    literal(None).label("version"),
)
_DECISIONS = select(
    literal("decision").label("type"),
    DecisionLog.id.label("id"),
    DecisionLog.at.label("at"),
    DecisionLog.decisions.label("document"),
    DecisionLog.policy_set.label("version"),
)


def _item(row: Any) -> Document:
    """One entry of the timeline: an interaction as recorded, or a decision's answers."""
    if row.type == "decision":
        data = {"policySetVersion": row.version, "decisions": decision_log.unpacked(row.document)}
    else:
        data = json.loads(row.document)
    return {"type": row.type, "id": row.id, "at": row.at, "data": data}


def activity_page(engine: Engine, tenant: str, contact_id: str, limit: int, cursor: str | None) -> Page:
    """The contact's interactions and decisions, newest first (one query over both)."""
    timeline = union_all(
        _INTERACTIONS.where(Interaction.tenant_id == tenant, Interaction.customer_id == contact_id),
        _DECISIONS.where(DecisionLog.tenant_id == tenant, DecisionLog.customer_id == contact_id),
    ).subquery()
    keyset = Keyset((Key(timeline.c.at, True, is_timestamp), Key(timeline.c.id, True, matches(ACTIVITY_ID))))
    with transaction(engine) as session:
        _found(session, tenant, contact_id)
        return keyset.rows_page(session, timeline, limit, cursor, _item)
