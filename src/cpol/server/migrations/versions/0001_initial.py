"""The initial schema: API keys, contact policies and their audit trail.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.Text, nullable=False, unique=True),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("tenant_id", sa.Text, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_at", sa.String(24), nullable=False),
        sa.Column("revoked_at", sa.String(24), nullable=True),
    )
    op.create_table(
        "contact_policies",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("tenant_id", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("live_name", sa.Text, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("rule_type", sa.String(40), nullable=False),
        sa.Column("scope_kinds", sa.Text, nullable=False),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.String(24), nullable=False),
        sa.Column("updated_at", sa.String(24), nullable=False),
        sa.Column("deleted_at", sa.String(24), nullable=True),
        sa.Column("document", sa.Text, nullable=False),
        sa.UniqueConstraint("tenant_id", "live_name", name="uq_contact_policies_live_name"),
    )
    op.create_index(
        "ix_contact_policies_order", "contact_policies", ["tenant_id", "priority", "created_at", "id"]
    )
    op.create_table(
        "policy_audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("tenant_id", sa.Text, nullable=False),
        sa.Column("policy_id", sa.String(40), sa.ForeignKey("contact_policies.id"), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("at", sa.String(24), nullable=False),
        sa.Column("before", sa.Text, nullable=True),
        sa.Column("after", sa.Text, nullable=True),
    )
    op.create_index("ix_policy_audit_policy", "policy_audit", ["policy_id", "id"])


def downgrade() -> None:
    op.drop_table("policy_audit")
    op.drop_table("contact_policies")
    op.drop_table("api_keys")
