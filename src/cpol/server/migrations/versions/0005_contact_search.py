"""An index for contact search (`search=`, a substring of `contacts.search`).

SQLite: an FTS5 table with the trigram tokenizer (SQLite 3.34 or newer with FTS5; without
them, nothing: search scans, as before). Its rowid is the contact id's 64 bits (`con_` and
16 hex digits, read as a signed integer), so a contact's row is found without a column of
its own; `contacts.py` writes it in the transaction that writes the contact. Existing
contacts are indexed here.

PostgreSQL: a GIN index of `pg_trgm` on the column (LIKE '%…%' uses it directly). The
extension is trusted (PostgreSQL 13+: a database owner may create it); its operator class
is named with the schema it is in, which need not be on this connection's search path.

Revision ID: 0005
Revises: 0004
"""

import sqlite3

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TABLE, INDEX = "contacts_search", "ix_contacts_search"
BATCH = 5000
#: The schema `pg_trgm` is in (as an identifier, quoted when it needs to be).
TRGM_SCHEMA = "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema = bind.scalar(sa.text(TRGM_SCHEMA))
        op.execute(f"CREATE INDEX {INDEX} ON contacts USING gin (search {schema}.gin_trgm_ops)")
    elif bind.dialect.name == "sqlite" and _has_trigrams(bind):
        op.execute(f"CREATE VIRTUAL TABLE {TABLE} USING fts5(search, tokenize = 'trigram case_sensitive 1')")
        _index_existing(bind)


def _has_trigrams(bind: sa.Connection) -> bool:
    """FTS5 compiled in, and its trigram tokenizer (SQLite 3.34)."""
    return sqlite3.sqlite_version_info >= (3, 34) and bool(
        bind.scalar(sa.text("SELECT sqlite_compileoption_used('ENABLE_FTS5')"))
    )


def _index_existing(bind: sa.Connection) -> None:
    insert = sa.text(f"INSERT INTO {TABLE} (rowid, search) VALUES (:rowid, :search)")
    for batch in bind.execute(sa.text("SELECT id, search FROM contacts")).partitions(BATCH):
        bind.execute(insert, [{"rowid": _rowid(id_), "search": search} for id_, search in batch])


def _rowid(contact_id: str) -> int:
    return int.from_bytes(bytes.fromhex(contact_id[4:]), "big", signed=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {INDEX}")
    else:
        op.execute(f"DROP TABLE IF EXISTS {TABLE}")
