"""Contacts: the customers decisions are about (SPEC §7).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

STAMP = sa.String(24)


def upgrade() -> None:
    op.create_table(
        "contacts",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("tenant_id", sa.Text, nullable=False),
        sa.Column("phone", sa.String(20), nullable=True),
        sa.Column("email", sa.Text, nullable=True),
        sa.Column("country", sa.String(2), nullable=True),
        sa.Column("lifecycle_stage", sa.Text, nullable=True),
        sa.Column("timezone", sa.Text, nullable=True),
        sa.Column("opted_out", sa.Text, nullable=False),
        sa.Column("search", sa.Text, nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("updated_at", STAMP, nullable=False),
        sa.UniqueConstraint("tenant_id", "phone", name="uq_contacts_phone"),
        sa.UniqueConstraint("tenant_id", "email", name="uq_contacts_email"),
    )
    op.create_index("ix_contacts_order", "contacts", ["tenant_id", "created_at", "id"])
    op.create_index("ix_contacts_stage", "contacts", ["tenant_id", "lifecycle_stage", "created_at", "id"])
    op.create_index("ix_contacts_country", "contacts", ["tenant_id", "country", "created_at", "id"])


def downgrade() -> None:
    op.drop_table("contacts")
