"""Contact lists and their members, dynamic segments, behavioral metrics (SPEC §7).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

STAMP = sa.String(24)


def upgrade() -> None:
    op.create_table(
        "contact_lists",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("tenant_id", sa.Text, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("updated_at", STAMP, nullable=False),
    )
    op.create_index("ix_contact_lists_order", "contact_lists", ["tenant_id", "created_at", "id"])
    op.create_table(
        "list_members",
        sa.Column("list_id", sa.String(40), primary_key=True),
        sa.Column("contact_id", sa.String(40), primary_key=True),
        sa.Column("tenant_id", sa.Text, nullable=False),
        sa.Column("added_at", STAMP, nullable=False),
    )
    op.create_index("ix_list_members_order", "list_members", ["list_id", "added_at", "contact_id"])
    op.create_index("ix_list_members_contact", "list_members", ["tenant_id", "contact_id"])
    op.create_table(
        "segments",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("tenant_id", sa.Text, nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
    )
    op.create_index("ix_segments_order", "segments", ["tenant_id", "created_at", "id"])
    op.create_table(
        "metrics",
        sa.Column("tenant_id", sa.Text, primary_key=True),
        sa.Column("id", sa.String(255), primary_key=True),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("updated_at", STAMP, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("metrics")
    op.drop_table("segments")
    op.drop_table("list_members")
    op.drop_table("contact_lists")
