"""Decision flows, the offer/channel catalogue, interactions, suppression records, and the
decision log with the policy sets it refers to.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

STAMP = sa.String(24)


def _catalogue(name: str) -> None:
    op.create_table(
        name,
        sa.Column("tenant_id", sa.Text, primary_key=True),
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("updated_at", STAMP, nullable=False),
    )


def upgrade() -> None:
    op.create_table(
        "decision_flows",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("tenant_id", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("draft_config", sa.Text, nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("updated_at", STAMP, nullable=False),
    )
    op.create_index("ix_decision_flows_tenant", "decision_flows", ["tenant_id", "created_at", "id"])
    _catalogue("offers")
    _catalogue("channels")
    op.create_table(
        "interactions",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(40), nullable=False, unique=True),
        sa.Column("tenant_id", sa.Text, nullable=False),
        sa.Column("customer_id", sa.Text, nullable=False),
        sa.Column("timestamp", STAMP, nullable=False),
        sa.Column("idempotency_key", sa.Text, nullable=True),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("result", sa.Text, nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.UniqueConstraint("tenant_id", "idempotency_key", name="uq_interactions_idempotency"),
    )
    op.create_index("ix_interactions_customer", "interactions", ["tenant_id", "customer_id", "seq"])
    op.create_table(
        "suppressions",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("tenant_id", sa.Text, nullable=False),
        sa.Column("customer_id", sa.Text, nullable=False),
        sa.Column("policy_id", sa.String(40), nullable=True),
        sa.Column("policy_type", sa.String(40), nullable=False),
        sa.Column("scope", sa.String(40), nullable=False),
        sa.Column("scope_id", sa.Text, nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("trigger_count", sa.Integer, nullable=False),
        sa.Column("expires_at", STAMP, nullable=True),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("updated_at", STAMP, nullable=False),
        sa.UniqueConstraint(
            "tenant_id", "customer_id", "policy_id", "scope", "scope_id", name="uq_suppressions_policy_scope"
        ),
    )
    op.create_index("ix_suppressions_customer", "suppressions", ["tenant_id", "customer_id"])
    op.create_table(
        "policy_sets",
        sa.Column("tenant_id", sa.Text, primary_key=True),
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("documents", sa.Text, nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
    )
    op.create_table(
        "decision_log",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("tenant_id", sa.Text, nullable=False),
        sa.Column("customer_id", sa.Text, nullable=False),
        sa.Column("at", STAMP, nullable=False),
        sa.Column("policy_set", sa.String(64), nullable=False),
        sa.Column("history", sa.Text, nullable=False),
        sa.Column("request", sa.Text, nullable=False),
        sa.Column("decisions", sa.Text, nullable=False),
    )
    op.create_index("ix_decision_log_customer", "decision_log", ["tenant_id", "customer_id", "at"])
    op.create_index("ix_decision_log_at", "decision_log", ["at"])


def downgrade() -> None:
    for table in ("decision_log", "policy_sets", "suppressions", "interactions", "channels", "offers"):
        op.drop_table(table)
    op.drop_table("decision_flows")
