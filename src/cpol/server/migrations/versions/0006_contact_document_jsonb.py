"""A `jsonb` copy of each contact's document, for segment rules on PostgreSQL.

PostgreSQL only: a STORED generated column `document_jsonb` (PostgreSQL 12+), computed
from `document` whenever a row is written, so writes need no change and the copy cannot
drift. Segment members (`segment_rules.where`) read it instead of parsing the text of every
contact for every query (about 5 µs a row). Adding it rewrites the table once. SQLite has
nothing here: its JSON functions read the text.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

COLUMN = "document_jsonb"
GENERATED = "jsonb GENERATED ALWAYS AS (document::jsonb) STORED"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE contacts ADD COLUMN {COLUMN} {GENERATED}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE contacts DROP COLUMN IF EXISTS {COLUMN}")
