"""Contact search (SPEC §7 `search=`) through an index rather than a scan of the tenant.

A search finds the contacts whose `search` column (names, phone and email, lowercased)
holds the lowercased text: `search LIKE '%text%'`, with `%`, `_` and the escape character
taken literally. That LIKE stays in every query, so the answer is its answer whatever the
index does; the index (migration 0005) only makes it fast:

- PostgreSQL: the LIKE alone, which the `pg_trgm` GIN index serves.
- SQLite: an FTS5 trigram table proposes the candidates (the text as one quoted phrase:
  every character literal, FTS5's query syntax included), found by id, then the LIKE. A
  text under 3 characters has no trigram, and a database without the table (a SQLite
  without FTS5 trigrams) has no index: the LIKE scans the tenant's contacts.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, and_, column, exists, func, select, table, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import UnaryExpression
from sqlalchemy.sql.operators import custom_op

from cpol.server.models import SEARCH_TABLE, Contact

#: The fewest characters a trigram index can look up.
SHORTEST = 3
_INDEX = table(SEARCH_TABLE, column("rowid"), column("search"))
_SCHEMA = table("sqlite_master", column("type"), column("name"))


def _rowid(contact_id: str) -> int:
    """The FTS row of a contact: its id's 64 bits (`con_` and 16 hex digits) as a signed
    integer, which `printf('con_%016x', rowid)` turns back into the id."""
    return int.from_bytes(bytes.fromhex(contact_id[4:]), "big", signed=True)


def _indexed(session: Session) -> bool:
    """Whether the database has the FTS5 table (SQLite, when its SQLite had trigrams)."""
    if session.get_bind().dialect.name != "sqlite":
        return False
    there = exists().where(_SCHEMA.c.type == "table", _SCHEMA.c.name == SEARCH_TABLE)
    return bool(session.scalar(select(there)))


def _phrase(lowered: str) -> str:
    """An FTS5 query for `lowered` as one string: inside double quotes only a double quote
    means something (doubled, it is itself)."""
    return '"' + lowered.replace('"', '""') + '"'


def holding(lowered: str) -> ColumnElement[bool]:
    """The contacts whose search text holds `lowered` (what a search answers, by definition)."""
    return Contact.search.contains(lowered, autoescape=True)


def matching(session: Session, tenant: str, search: str | None) -> ColumnElement[bool]:
    """The tenant's contacts that `search` finds (every one of them without a text)."""
    mine = Contact.tenant_id == tenant
    if not search:
        return mine
    lowered = search.lower()
    found = holding(lowered)
    if len(lowered) < SHORTEST or not _indexed(session):
        return and_(mine, found)
    ids = func.printf("con_%016x", _INDEX.c.rowid)
    candidates = select(ids).where(_INDEX.c.search.op("MATCH")(_phrase(lowered)))
    # `+tenant_id` keeps SQLite off the tenant's indexes: it starts from the candidates
    # (each looked up by id) instead of walking every contact of the tenant.
    unindexed = UnaryExpression(
        Contact.tenant_id.expression, operator=custom_op("+"), type_=Contact.tenant_id.type
    )
    return and_(Contact.id.in_(candidates), unindexed == tenant, found)


def index(session: Session, contacts: Iterable[Contact]) -> None:
    """Write the contacts' `search` texts to the FTS table, replacing earlier ones."""
    if _indexed(session):
        session.execute(
            text(f"INSERT OR REPLACE INTO {SEARCH_TABLE} (rowid, search) VALUES (:rowid, :search)"),
            [{"rowid": _rowid(contact.id), "search": contact.search} for contact in contacts],
        )


def forget(session: Session, contact_id: str) -> None:
    """Delete the contact's FTS row, then merge the index into one segment: FTS5 keeps a
    deleted row's trigrams in its older segments until they merge, and an erased contact
    must leave nothing behind."""
    if _indexed(session):
        row = {"rowid": _rowid(contact_id)}
        session.execute(text(f"DELETE FROM {SEARCH_TABLE} WHERE rowid = :rowid"), row)
        session.execute(text(f"INSERT INTO {SEARCH_TABLE} ({SEARCH_TABLE}) VALUES ('optimize')"))
